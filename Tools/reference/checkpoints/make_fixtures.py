"""Checkpoint-format fixtures: the tiny CLAP and MusicLDM models saved as the hub publishes weights, with reference
outputs, and small hand-made torch.save files, valid and hostile, for the restricted unpickler.

Pinned versions: requirements.txt. Run: Tools/reference/checkpoints/make_fixtures.sh (creates .venv-checkpoints).
Inputs are the committed tiny models (Tools/reference/clap, Tools/reference/musicldm); nothing is downloaded.

Outputs
  Tests/CLAPTests/Resources/clap-tiny-formats/<variant>/
      bin                        pytorch_model.bin, float32 (save_pretrained(safe_serialization=False))
      sharded-bin-bf16           pytorch_model-0000k-of-0000n.bin + pytorch_model.bin.index.json, bfloat16
      sharded-safetensors-f16    model-0000k-of-0000n.safetensors + model.safetensors.index.json, float16
    each with config.json, the tokenizer and preprocessor files copied from clap-tiny, and reference.safetensors:
    audio_embeds and text_embeds of transformers' ClapModel reloaded from that folder with dtype=float32, on
    clap-tiny's fixture inputs (input_features; text_input_ids / text_attention_mask).
  Tests/MusicLDMTests/Resources/tiny-musicldm-formats/<variant>/
      bin     unet: sharded .bin; vae: single .bin; vocoder: single .bin; text_encoder: sharded .bin (float32)
      half    unet: sharded safetensors float16; vae: single .bin bfloat16; vocoder: sharded .bin float16;
              text_encoder: single safetensors bfloat16
    each with tokenizer/ copied, and reference.safetensors: unet.output, vae.mel, vocoder.audio,
    text.unconditional, text.prompt from the components reloaded with dtype=float32 (diffusers/transformers), on
    the inputs of tiny-musicldm/reference.safetensors (the prompt is "a calm piano melody with soft drums").
  Tests/TensorRuntimeTests/Resources/checkpoints/
      state-dict.bin             torch.save of an OrderedDict with float32/16, bfloat16, float64, int64, views
                                 sharing one storage (transpose, row, column, storage offsets), a stride-0
                                 expansion, a 0-d scalar, an empty tensor and an nn.Parameter (_rebuild_parameter)
      state-dict.safetensors     the same float tensors as contiguous float32 (the expected values)
      state-dict-zip64.bin       the same records in a zip with ZIP64 sizes and offsets in every header
      hostile-*.bin              one problem each (see HOSTILE below)
"""

import collections
import io
import json
import os
import pickle
import shutil
import struct
import zipfile
import zlib

import numpy as np
import torch
from diffusers import AutoencoderKL, DDIMScheduler, MusicLDMPipeline, UNet2DConditionModel
from safetensors.torch import load_file, save_file
from transformers import ClapModel, RobertaTokenizer, SpeechT5HifiGan

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
CLAP_SOURCE = os.path.join(ROOT, "Tests/CLAPTests/Resources/clap-tiny")
CLAP_OUT = os.path.join(ROOT, "Tests/CLAPTests/Resources/clap-tiny-formats")
MUSICLDM_SOURCE = os.path.join(ROOT, "Tests/MusicLDMTests/Resources/tiny-musicldm")
MUSICLDM_OUT = os.path.join(ROOT, "Tests/MusicLDMTests/Resources/tiny-musicldm-formats")
RUNTIME_OUT = os.path.join(ROOT, "Tests/TensorRuntimeTests/Resources/checkpoints")
CLAP_SIDE_FILES = ["preprocessor_config.json", "vocab.json", "merges.txt", "special_tokens_map.json",
                   "tokenizer_config.json"]
PROMPT = "a calm piano melody with soft drums"
# The file a hostile pickle would create if anything executed it; the Swift tests check it never appears.
MARKER = "/tmp/resonance-unpickler-marker"


def check_same_weights(saved, reloaded, dtype):
    """The reloaded float32 model holds exactly the saved (possibly half-precision) weights, upcast."""
    expected = saved.state_dict()
    for name, value in reloaded.state_dict().items():
        want = expected[name]
        if want.is_floating_point():
            assert want.dtype == dtype, (name, want.dtype)
            assert torch.equal(value, want.float()), name
        else:
            assert torch.equal(value, want), name


def clap_formats():
    shutil.rmtree(CLAP_OUT, ignore_errors=True)
    fixtures = load_file(os.path.join(CLAP_SOURCE, "fixtures.safetensors"))
    features = fixtures["input_features"]
    input_ids = fixtures["text_input_ids"].long()
    attention_mask = fixtures["text_attention_mask"].long()
    variants = [
        ("bin", torch.float32, False, "10GB"),
        ("sharded-bin-bf16", torch.bfloat16, False, "60KB"),
        ("sharded-safetensors-f16", torch.float16, True, "60KB"),
    ]
    for name, dtype, safe, shard in variants:
        directory = os.path.join(CLAP_OUT, name)
        model = ClapModel.from_pretrained(CLAP_SOURCE, dtype=torch.float32).eval().to(dtype)
        model.save_pretrained(directory, safe_serialization=safe, max_shard_size=shard)
        for side in CLAP_SIDE_FILES:
            shutil.copy(os.path.join(CLAP_SOURCE, side), directory)
        reloaded = ClapModel.from_pretrained(directory, dtype=torch.float32).eval()
        check_same_weights(model, reloaded, dtype)
        with torch.no_grad():
            reference = {
                "audio_embeds": reloaded.get_audio_features(input_features=features),
                "text_embeds": reloaded.get_text_features(input_ids=input_ids, attention_mask=attention_mask),
            }
        save_file({k: v.float().contiguous() for k, v in reference.items()},
                  os.path.join(directory, "reference.safetensors"))
        print("clap", name, sorted(os.listdir(directory)))


def musicldm_formats():
    shutil.rmtree(MUSICLDM_OUT, ignore_errors=True)
    inputs = load_file(os.path.join(MUSICLDM_SOURCE, "reference.safetensors"))
    # (component, class, {variant: (dtype, safetensors?, max_shard_size)})
    plan = [
        ("unet", UNet2DConditionModel,
         {"bin": (torch.float32, False, "300KB"), "half": (torch.float16, True, "200KB")}),
        ("vae", AutoencoderKL, {"bin": (torch.float32, False, "10GB"), "half": (torch.bfloat16, False, "10GB")}),
        ("vocoder", SpeechT5HifiGan,
         {"bin": (torch.float32, False, "10GB"), "half": (torch.float16, False, "60KB")}),
        ("text_encoder", ClapModel,
         {"bin": (torch.float32, False, "100KB"), "half": (torch.bfloat16, True, "10GB")}),
    ]
    tokenizer = RobertaTokenizer.from_pretrained(os.path.join(MUSICLDM_SOURCE, "tokenizer"))
    scheduler = DDIMScheduler.from_pretrained(os.path.join(MUSICLDM_SOURCE, "scheduler"))
    for variant in ["bin", "half"]:
        root = os.path.join(MUSICLDM_OUT, variant)
        shutil.copytree(os.path.join(MUSICLDM_SOURCE, "tokenizer"), os.path.join(root, "tokenizer"))
        loaded = {}
        for component, cls, options in plan:
            dtype, safe, shard = options[variant]
            source = os.path.join(MUSICLDM_SOURCE, component)
            model = cls.from_pretrained(source, torch_dtype=torch.float32) if cls in (UNet2DConditionModel,
                                                                                     AutoencoderKL) \
                else cls.from_pretrained(source, dtype=torch.float32)
            model = model.eval().to(dtype)
            directory = os.path.join(root, component)
            model.save_pretrained(directory, safe_serialization=safe, max_shard_size=shard)
            if cls in (UNet2DConditionModel, AutoencoderKL):
                # diffusers looks for the .bin index only when told not to use safetensors.
                reloaded = cls.from_pretrained(directory, torch_dtype=torch.float32, use_safetensors=safe).eval()
            else:
                reloaded = cls.from_pretrained(directory, dtype=torch.float32).eval()
            check_same_weights(model, reloaded, dtype)
            loaded[component] = reloaded
            print("musicldm", variant, component, sorted(os.listdir(directory)))
        unet, vae, vocoder, text_encoder = (loaded[k] for k in ["unet", "vae", "vocoder", "text_encoder"])
        with torch.no_grad():
            reference = {
                "unet.output": unet(inputs["unet.sample"], torch.tensor(int(inputs["unet.timestep"][0])),
                                    encoder_hidden_states=None, class_labels=inputs["unet.class_labels"]).sample,
                "vae.mel": vae.decode(inputs["vae.latents"] / vae.config.scaling_factor).sample,
                "vocoder.audio": vocoder(inputs["vocoder.mel"]),
            }
            pipeline = MusicLDMPipeline(vae=vae, text_encoder=text_encoder, tokenizer=tokenizer,
                                        feature_extractor=None, unet=unet, scheduler=scheduler, vocoder=vocoder)
            embeds = pipeline._encode_prompt(PROMPT, "cpu", 1, True, negative_prompt=None)
            reference["text.unconditional"] = embeds[0:1]
            reference["text.prompt"] = embeds[1:2]
        save_file({k: v.float().contiguous() for k, v in reference.items()},
                  os.path.join(root, "reference.safetensors"))


# ---------------------------------------------------------------------------------------------------------------
# Hand-made torch.save files.

def write_zip(path, entries, zip64=False, compress=False):
    """A zip of `entries` [(name, bytes)] laid out as torch.save does (stored entries), optionally with ZIP64
    sizes and offsets in every local and central header, or deflate-compressed entries."""
    out = bytearray()
    central = bytearray()
    for name, data in entries:
        encoded = name.encode()
        crc = zlib.crc32(data)
        if compress:
            packer = zlib.compressobj(9, zlib.DEFLATED, -15)
            payload = packer.compress(data) + packer.flush()
            method = 8
        else:
            payload, method = data, 0
        offset = len(out)
        if zip64:
            local_extra = struct.pack("<HHQQ", 1, 16, len(data), len(payload))
            sizes = (0xFFFFFFFF, 0xFFFFFFFF)
            central_extra = struct.pack("<HHQQQ", 1, 24, len(data), len(payload), offset)
            central_offset = 0xFFFFFFFF
        else:
            local_extra = b""
            sizes = (len(payload), len(data))
            central_extra = b""
            central_offset = offset
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, method, 0, 0x21, crc, sizes[0], sizes[1],
                           len(encoded), len(local_extra)) + encoded + local_extra + payload
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, method, 0, 0x21, crc, sizes[0], sizes[1],
                               len(encoded), len(central_extra), 0, 0, 0, 0, central_offset) + encoded + central_extra
    directory_offset = len(out)
    out += central
    count = len(entries)
    if zip64:
        record = len(out)
        out += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, count, count, len(central), directory_offset)
        out += struct.pack("<IIQI", 0x07064B50, 0, record, 1)
        out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    else:
        out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(central), directory_offset, 0)
    with open(path, "wb") as handle:
        handle.write(bytes(out))


class FakeStorage:
    """Pickled through persistent_id exactly as torch.save pickles a typed storage."""

    def __init__(self, key, storage_type, numel):
        self.key, self.storage_type, self.numel = key, storage_type, numel


class FakeTensor:
    """Pickled exactly as torch.save pickles a tensor, with any offset, size and stride."""

    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride

    def __reduce__(self):
        return (torch._utils._rebuild_tensor_v2,
                (self.storage, self.offset, self.size, self.stride, False, collections.OrderedDict()))


class RunsCommand:
    """What a malicious checkpoint carries: an object whose unpickling calls a function."""

    def __init__(self, function, argument):
        self.function, self.argument = function, argument

    def __reduce__(self):
        return (self.function, (self.argument,))


def dumps(obj, protocol=2):
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=protocol)
    pickler.persistent_id = lambda o: (("storage", o.storage_type, o.key, "cpu", o.numel)
                                       if isinstance(o, FakeStorage) else None)
    pickler.dump(obj)
    return buffer.getvalue()


def torch_zip(path, pickle_bytes, records, byteorder=b"little", **options):
    entries = [("archive/data.pkl", pickle_bytes), ("archive/byteorder", byteorder)]
    entries += [(f"archive/data/{key}", data) for key, data in records]
    entries += [("archive/version", b"3\n")]
    write_zip(path, entries, **options)


def float_bytes(values):
    return np.asarray(values, dtype="<f4").tobytes()


def runtime_fixtures():
    shutil.rmtree(RUNTIME_OUT, ignore_errors=True)
    os.makedirs(RUNTIME_OUT)
    generator = torch.Generator().manual_seed(0)
    base = torch.randn(4, 6, generator=generator)
    state = collections.OrderedDict()
    state["dense.weight"] = base
    state["dense.weight_t"] = base.t()
    state["row"] = base[2]
    state["column"] = base[:, 3]
    state["half"] = torch.randn(3, 5, generator=generator).half()
    state["bf16"] = torch.randn(7, generator=generator).bfloat16()
    state["double"] = torch.randn(2, 2, generator=generator).double()
    state["expanded"] = torch.randn(3, generator=generator).expand(2, 3)
    state["scalar"] = torch.tensor(3.25)
    state["empty"] = torch.zeros(0, 3)
    state["ids"] = torch.arange(5)
    state["parameter"] = torch.nn.Parameter(torch.randn(2, 3, generator=generator))
    path = os.path.join(RUNTIME_OUT, "state-dict.bin")
    torch.save(state, path)
    expected = {k: v.detach().float().contiguous().clone() for k, v in state.items() if v.is_floating_point()}
    save_file(expected, os.path.join(RUNTIME_OUT, "state-dict.safetensors"))

    with zipfile.ZipFile(path) as archive:
        records = [(info.filename, archive.read(info.filename)) for info in archive.infolist()]
    write_zip(os.path.join(RUNTIME_OUT, "state-dict-zip64.bin"), records, zip64=True)
    reloaded = torch.load(os.path.join(RUNTIME_OUT, "state-dict-zip64.bin"), weights_only=True)
    assert all(torch.equal(reloaded[k], state[k]) for k in state)

    one = FakeStorage("0", torch.FloatStorage, 6)
    six = float_bytes(range(6))

    def hostile(name, obj, records=(("0", six),), protocol=2, **options):
        torch_zip(os.path.join(RUNTIME_OUT, f"hostile-{name}.bin"), dumps(obj, protocol), records, **options)

    good = FakeTensor(one, 0, (2, 3), (3, 1))
    hostile("posix-system", collections.OrderedDict(
        [("weight", good), ("payload", RunsCommand(os.system, f"touch {MARKER}"))]))
    hostile("builtins-eval", {"weight": good, "payload": RunsCommand(eval, f"open('{MARKER}', 'w')")})
    hostile("stack-global-exec", {"payload": RunsCommand(exec, f"open('{MARKER}', 'w')")}, protocol=4)
    # INST (protocol 0): MARK, then INST os/system, which would call os.system() on the marked arguments.
    torch_zip(os.path.join(RUNTIME_OUT, "hostile-inst.bin"), b"(ios\nsystem\n.", [])
    hostile("storage-too-short", {"weight": FakeTensor(FakeStorage("0", torch.FloatStorage, 24), 0, (4, 6), (6, 1))})
    hostile("missing-storage", {"weight": FakeTensor(FakeStorage("7", torch.FloatStorage, 6), 0, (6,), (1,))})
    hostile("offset-past-end", {"weight": FakeTensor(one, 5, (2,), (1,))})
    hostile("stride-past-end", {"weight": FakeTensor(one, 0, (2, 3), (3, 2))})
    hostile("shape-overflow", {"weight": FakeTensor(one, 0, (2**40, 2**40), (2**40, 1))})
    # Inside its 6-element storage (stride 0), but 6 · 2⁴⁰ float32 values once copied: refused by the tensor limit.
    hostile("expanded-past-limit", {"weight": FakeTensor(one, 0, (2**20, 2**20, 6), (0, 0, 1))})
    hostile("unknown-storage", {"weight": FakeTensor(FakeStorage("0", torch.ComplexFloatStorage, 3), 0, (3,), (1,))})
    hostile("not-a-state-dict", [good, good])
    hostile("compressed", {"weight": good}, compress=True)
    hostile("big-endian", {"weight": good}, byteorder=b"big")
    with open(path, "rb") as handle:
        whole = handle.read()
    with open(os.path.join(RUNTIME_OUT, "hostile-truncated.bin"), "wb") as handle:
        handle.write(whole[: len(whole) * 6 // 10])
    torch.save({"weight": base}, os.path.join(RUNTIME_OUT, "hostile-legacy.bin"), _use_new_zipfile_serialization=False)
    # The valid hand-made layout loads in PyTorch (so the hostile files differ from it only by their one problem).
    torch_zip(os.path.join(RUNTIME_OUT, "handmade.bin"), dumps({"weight": good}), [("0", six)])
    assert torch.equal(torch.load(os.path.join(RUNTIME_OUT, "handmade.bin"), weights_only=True)["weight"],
                       torch.arange(6.0).reshape(2, 3))
    print("runtime", sorted(os.listdir(RUNTIME_OUT)))


def main():
    torch.set_num_threads(2)
    runtime_fixtures()
    clap_formats()
    musicldm_formats()


if __name__ == "__main__":
    main()
