#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into Fuzz/corpus/<target>/ (committed; rerun after changing it).

Standard library only. Seeds are the small test fixtures (copied unchanged; licences in
Tests/NeuroIOTests/Resources/LICENSES) plus hand-built files that reach every branch a fixture does not:
NIfTI-2, byte-swapped and pair headers, every .npy dtype, zip64 extras, each WAV/AIFF/AU variant, RF64,
events tables with n/a and quotes, sidecars, configs and tokenizer folders. Kept small (a few KiB each) so that
libFuzzer's mutations stay fast.
"""
import gzip
import json
import pathlib
import shutil
import struct
import zlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "Fuzz" / "corpus"
TESTS = ROOT / "Tests"
MARKER = b"\n%%\n"


def put(target, name, data):
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)


def copy(target, source, name=None):
    put(target, name or source.name, source.read_bytes())


def nifti1(dims, datatype, bitpix, data, offset=352, magic=b"n+1\0", endian="<", slope=1.0):
    header = bytearray(348)
    struct.pack_into(endian + "i", header, 0, 348)
    struct.pack_into(endian + "8h", header, 40, *(list(dims) + [1] * (8 - len(dims))))
    struct.pack_into(endian + "hh", header, 70, datatype, bitpix)
    struct.pack_into(endian + "8f", header, 76, -1, 2, 2, 2, 1.5, 1, 1, 1)
    struct.pack_into(endian + "fff", header, 108, offset, slope, 0.5)
    struct.pack_into(endian + "B", header, 123, 10)  # xyzt_units: mm, seconds
    struct.pack_into(endian + "hh", header, 252, 1, 1)  # qform_code, sform_code
    struct.pack_into(endian + "6f", header, 256, 0, 0, 0, -10, 12, -8)
    struct.pack_into(endian + "12f", header, 280, 2, 0, 0, -10, 0, 2, 0, 12, 0, 0, 2, -8)
    header[344:348] = magic
    extender = b"\0\0\0\0" if magic == b"n+1\0" else b""
    gap = b"\0" * max(0, offset - 352) if magic == b"n+1\0" else b""
    return bytes(header) + extender + gap + data


def nifti2(dims, datatype, bitpix, data, offset=544):
    header = bytearray(540)
    struct.pack_into("<i", header, 0, 540)
    header[4:12] = b"n+2\0\r\n\x1a\n"
    struct.pack_into("<hh", header, 12, datatype, bitpix)
    struct.pack_into("<8q", header, 16, *(list(dims) + [1] * (8 - len(dims))))
    struct.pack_into("<8d", header, 104, 1, 2, 2, 2, 1.5, 1, 1, 1)
    struct.pack_into("<q", header, 168, offset)
    struct.pack_into("<dd", header, 176, 1.0, 0.0)
    struct.pack_into("<ii", header, 344, 1, 1)  # qform_code, sform_code
    struct.pack_into("<12d", header, 400, 2, 0, 0, -10, 0, 2, 0, 12, 0, 0, 2, -8)
    return bytes(header) + b"\0\0\0\0" + b"\0" * max(0, offset - 544) + data


def npy(descr, shape, data, fortran=False, version=1):
    text = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (
        descr, "True" if fortran else "False", "(%s)" % "".join("%d, " % s for s in shape).rstrip(" ")
        if len(shape) != 1 else "(%d,)" % shape[0])
    prefix = 10 if version == 1 else 12
    text += " " * ((64 - (prefix + len(text) + 1) % 64) % 64) + "\n"
    length = struct.pack("<H", len(text)) if version == 1 else struct.pack("<I", len(text))
    return b"\x93NUMPY" + bytes([version, 0]) + length + text.encode() + data


def zip_archive(members, deflate, zip64=False):
    out, directory = b"", b""
    for name, raw in members:
        stored = zlib.compress(raw)[2:-4] if deflate else raw
        crc = zlib.crc32(raw)
        method = 8 if deflate else 0
        extra = b""
        sizes = (len(stored), len(raw))
        if zip64:
            extra = struct.pack("<HHQQ", 1, 16, len(raw), len(stored))
            sizes = (0xFFFFFFFF, 0xFFFFFFFF)
        local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, method, 0, 0x21, crc, sizes[0], sizes[1],
                            len(name), 0) + name.encode() + stored
        directory += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, method, 0, 0x21, crc, sizes[0],
                                 sizes[1], len(name), len(extra), 0, 0, 0, 0, len(out)) + name.encode() + extra
        out += local
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(directory), len(out), 0)
    return out + directory + end


def safetensors(tensors, metadata=None):
    header, data = {}, b""
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + data


def wav(channels, rate, bits, frames, fmt_tag=1, container=b"RIFF"):
    block = channels * bits // 8
    data = bytes((i * 37) % 256 for i in range(frames * block))
    fmt = struct.pack("<HHIIHH", fmt_tag, channels, rate, rate * block, block, bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    if container == b"RF64":
        ds64 = struct.pack("<QQQI", 36 + len(data), len(data), frames, 0)
        body = b"WAVE" + b"ds64" + struct.pack("<I", len(ds64)) + ds64 + b"fmt " + struct.pack("<I", len(fmt)) + fmt
        return b"RF64" + struct.pack("<I", 0xFFFFFFFF) + body + b"data" + struct.pack("<I", 0xFFFFFFFF) + data
    body += b"LIST" + struct.pack("<I", 4) + b"INFO" + b"data" + struct.pack("<I", len(data)) + data
    return container + struct.pack("<I", len(body)) + body


def aiff(frames):
    data = bytes((i * 11) % 256 for i in range(frames * 2))
    rate = bytes([0x40, 0x0D, 0xAC, 0x44, 0, 0, 0, 0, 0, 0])
    common = b"COMM" + struct.pack(">IhIh", 18, 1, frames, 16) + rate
    sound = b"SSND" + struct.pack(">III", 8 + len(data), 0, 0) + data
    return b"FORM" + struct.pack(">I", 4 + len(common) + len(sound)) + b"AIFF" + common + sound


def au(frames, size=None):
    data = bytes((i * 5) % 256 for i in range(frames * 2))
    return b".snd" + struct.pack(">IIIII", 24, len(data) if size is None else size, 3, 8000, 1) + data


def main():
    # Regenerated seeds are replaced; the reproducers of fixed findings (regression-*, added by hand as the README
    # says) are kept.
    for seed in CORPUS.glob("*/*"):
        if not seed.name.startswith("regression-"):
            seed.unlink()
    neuro = TESTS / "NeuroIOTests" / "Resources"

    # NIfTI, uncompressed (.nii, or .hdr + marker + .img).
    floats = struct.pack("<8f", *[0.5 * i for i in range(8)])
    copy("nifti", neuro / "qform_only.nii")
    put("nifti", "pair.hdr-img", (neuro / "standard_pair.hdr").read_bytes() + MARKER
        + (neuro / "standard_pair.img").read_bytes())
    put("nifti", "analyze.hdr-img", (neuro / "standard_analyze.hdr").read_bytes() + MARKER
        + (neuro / "standard_analyze.img").read_bytes())
    put("nifti", "float32_4d.nii", nifti1([4, 2, 2, 1, 2], 16, 32, floats))
    put("nifti", "int16_scaled.nii", nifti1([3, 2, 2, 2], 4, 16, struct.pack("<8h", *range(-4, 4)), slope=0.25))
    put("nifti", "uint8_offset.nii", nifti1([3, 2, 2, 2], 2, 8, bytes(range(8)), offset=400))
    put("nifti", "big_endian.nii", nifti1([3, 2, 2, 2], 64, 64, struct.pack(">8d", *range(8)), endian=">"))
    put("nifti", "nifti2.nii", nifti2([3, 2, 2, 2], 16, 32, floats))
    put("nifti", "nifti2_int64.nii", nifti2([2, 2, 2], 1024, 64, struct.pack("<4q", 1, -2, 3, -4), offset=560))

    # NIfTI, gzip stream.
    for name in ["standard.nii.gz", "dtype_int8.nii.gz", "dtype_uint16.nii.gz", "dtype_int32.nii.gz",
                 "nilearn_epi_mask_functional_opening1.nii.gz"]:
        copy("nifti-gz", neuro / name)
    put("nifti-gz", "nifti2.nii.gz", gzip.compress(nifti2([3, 2, 2, 2], 16, 32, floats), mtime=0))
    put("nifti-gz", "two_members.nii.gz", gzip.compress(nifti1([3, 2, 2, 2], 2, 8, b""), mtime=0)
        + gzip.compress(bytes(range(8)), mtime=0))

    # .npy
    for source in sorted(neuro.glob("*.npy")):
        copy("npy", source)
    put("npy", "int16_be.npy", npy(">i2", [2, 3], struct.pack(">6h", *range(6))))
    put("npy", "uint8_fortran.npy", npy("|u1", [2, 2, 2], bytes(range(8)), fortran=True))
    put("npy", "scalar_f8.npy", npy("<f8", [], struct.pack("<d", 3.5)))
    put("npy", "empty_f4.npy", npy("<f4", [0, 3], b""))
    put("npy", "version2_i8.npy", npy("<i8", [2], struct.pack("<2q", 1, 2), version=2))

    # .npz
    for name in ["arrays.npz", "arrays_compressed.npz"]:
        copy("npz", neuro / name)
    members = [("a.npy", npy("<f4", [2], struct.pack("<2f", 1, 2))), ("b.npy", npy("|b1", [3], b"\x01\x00\x01"))]
    put("npz", "zip64_stored.npz", zip_archive(members, deflate=False, zip64=True))
    put("npz", "zip64_deflated.npz", zip_archive(members, deflate=True, zip64=True))

    # safetensors
    copy("safetensors", TESTS / "TensorRuntimeTests" / "Resources" / "ops.safetensors")
    put("safetensors", "dtypes.safetensors", safetensors([
        ("f32", "F32", [2, 2], struct.pack("<4f", 1, -2, 3.5, 0)),
        ("f16", "F16", [3], struct.pack("<3e", 1, -0.5, 65504)),
        ("bf16", "BF16", [2], b"\x80\x3f\x00\xc0"),
        ("f64", "F64", [1], struct.pack("<d", 2.5)),
        ("i64", "I64", [1], struct.pack("<q", 7)),
        ("empty", "F32", [0, 4], b""),
    ], metadata={"format": "pt"}))

    # torch.save archives: the pinned fixtures of Tools/reference/checkpoints (valid, zip64 and each hostile one).
    checkpoints = TESTS / "TensorRuntimeTests" / "Resources" / "checkpoints"
    for source in sorted(checkpoints.glob("*.bin")):
        copy("pytorch", source)

    # Sharded checkpoints: index, then up to three shards (safetensors or torch.save), as fuzz-sharded splits them.
    first = safetensors([("a.weight", "F32", [2], struct.pack("<2f", 1, 2))])
    second = safetensors([("b.weight", "F16", [1], struct.pack("<e", 0.5)), ("b.bias", "F32", [0], b"")])
    index = {"metadata": {"total_size": 10}, "weight_map": {"a.weight": "shard-1", "b.weight": "shard-2",
                                                            "b.bias": "shard-2"}}
    put("sharded", "two-safetensors", json.dumps(index).encode() + MARKER + first + MARKER + second)
    pytorch_index = {"weight_map": {"weight": "shard-1", "a.weight": "shard-2"}}
    put("sharded", "pytorch-and-safetensors", json.dumps(pytorch_index).encode() + MARKER
        + (checkpoints / "handmade.bin").read_bytes() + MARKER + first)
    put("sharded", "missing-shard", json.dumps({"weight_map": {"a.weight": "shard-3"}}).encode() + MARKER + first)

    # Audio
    audio = TESTS / "AudioTests" / "Resources"
    copy("audio", audio / "sine440_22050.ogg")
    copy("audio", audio / "stereo_440_660_22050.flac")
    put("audio", "pcm16_mono.wav", wav(1, 22050, 16, 64))
    put("audio", "pcm24_stereo.wav", wav(2, 48000, 24, 32))
    put("audio", "float32.wav", wav(1, 16000, 32, 32, fmt_tag=3))
    put("audio", "rifx.wav", wav(1, 8000, 16, 16, container=b"RIFX"))
    put("audio", "rf64.wav", wav(1, 8000, 16, 16, container=b"RF64"))
    put("audio", "pcm16.aiff", aiff(32))
    put("audio", "pcm16.au", au(32))
    put("audio", "unknown_size.au", au(32, size=0xFFFFFFFF))

    # events.tsv
    put("events-tsv", "ds003720_events.tsv",
        b"onset\tduration\tgenre\ttrack\tstart\tend\n0.0\t15.0\t'rock'\t38\t10.5\t25.5\n"
        b"15.0\t15.0\t'blues'\t12\t3.0\t18.0\n30.0\t15.0\t\"jazz\"\t7\t0.0\t15.0\n")
    put("events-tsv", "na_crlf_events.tsv", b"onset\tduration\ttrial_type\r\n1.5\tn/a\tgo\r\n3\t0.5\tn/a\r\n")
    put("events-tsv", "header_only_events.tsv", b"onset\tduration\n")
    # fuzz-events-tsv's first find (CI, 2026-12-06): a first column named by a second byte-order mark.
    put("events-tsv", "doubled_byte_order_mark_events.tsv", b"\xef\xbb\xbf\xef\xbb\xbf\n\n")

    # BIDS JSON sidecars (first line doubles as a file name).
    put("bids-json", "bold_sidecar.json",
        b'{"RepetitionTime": 1.5, "TaskName": "Training", "SliceTiming": [0, 0.75, 0.375],\n'
        b' "EchoTime": 0.03, "PhaseEncodingDirection": "j-", "Extra": {"nested": [1, null, true]}}')
    put("bids-json", "dataset_description.json",
        b'{"Name": "Music Genre fMRI", "BIDSVersion": "1.8.0", "Authors": ["A", "B"], "License": "CC0"}')
    put("bids-json", "filename_first_line.json",
        b'sub-001_task-Training_run-01_space-MNI152NLin2009cAsym_desc-preproc_bold.nii.gz\n{"RepetitionTime": 2}')

    # Hugging Face / diffusers configurations.
    clap = TESTS / "CLAPTests" / "Resources" / "clap-tiny"
    copy("hf-config", clap / "config.json", "clap_config.json")
    copy("hf-config", clap / "preprocessor_config.json")
    musicldm = TESTS / "MusicLDMTests" / "Resources" / "tiny-musicldm"
    for component in ["unet", "vae", "vocoder"]:
        copy("hf-config", musicldm / component / "config.json", f"{component}_config.json")
    copy("hf-config", musicldm / "scheduler" / "scheduler_config.json")

    # BPE tokenizer: vocab.json, merges.txt, tokenizer_config.json, text.
    tokenizer = TESTS / "CLAPTests" / "Resources" / "tokenizer"
    vocab = (tokenizer / "vocab.json").read_bytes()
    merges = (tokenizer / "merges.txt").read_bytes()
    config = (clap / "tokenizer_config.json").read_bytes()
    put("bpe", "caption", vocab + MARKER + merges + MARKER + MARKER + "A calm piano piece, 90 BPM — <mask> jazz's café.".encode())
    put("bpe", "caption_with_config", vocab + MARKER + merges + MARKER + config + MARKER + b"  rock\t<s>guitar</s>  \n")
    put("bpe", "tiny", b'{"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3, "a": 4, "b": 5, "ab": 6}' + MARKER
        + b"#version: 0.2\na b\n" + MARKER + MARKER + b"abab ba")

    # Listening test requests: 8-byte file size, then form body, Range header, token.
    def request(size, body, header, token):
        return struct.pack(">Q", size) + body + MARKER + header + MARKER + token
    put("listening-form", "answer", request(1000, b"choice=A", b"bytes=0-99", b"0123456789abcdef0123456789abcdef"))
    put("listening-form", "consent", request(0, b"consent=yes&enrolment=ab%20cd+ef", b"bytes=-500", b"nothex"))
    put("listening-form", "admin", request(4096, b"token=%C3%A9t%C3%A9", b"bytes=100-", b""))
    put("listening-form", "multi", request(10, b"a=1&b=2&c", b"bytes=0-1,3-4", b"FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"))


if __name__ == "__main__":
    main()
