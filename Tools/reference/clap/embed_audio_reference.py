"""The whole-process PyTorch side of `Benchmarks/bench-clap/whole_process.sh`: what `embed-audio` does, in Python.

  make-clips OUT N      writes OUT/clip-00.wav … (N mono 16-bit WAV files, 10 s at 48 kHz, seeded tones + noise)
  embed MODEL OUT.npy WAV…
      loads the CLAP folder with transformers, reads the WAV files, runs ClapFeatureExtractor and
      get_audio_features in batches of 8 (embed-audio's default), L2-normalises and saves a float32 .npy.

Run under /usr/bin/time by the script, so model loading, audio reading and feature extraction are counted on both
sides. Pinned packages: Tools/reference/clap/requirements.txt.
"""

import os
import sys
import wave

import numpy as np


def make_clips(out, count):
    os.makedirs(out, exist_ok=True)
    rate, seconds = 48000, 10
    t = np.arange(rate * seconds) / rate
    rng = np.random.default_rng(12)
    for index in range(count):
        pitch = 110 * 2 ** (index / 12)
        x = 0.3 * np.sin(2 * np.pi * pitch * t) + 0.15 * np.sin(2 * np.pi * 3.01 * pitch * t)
        x = x * (0.6 + 0.4 * np.sin(2 * np.pi * 0.5 * t)) + 0.05 * rng.standard_normal(t.size)
        with wave.open(os.path.join(out, f"clip-{index:02d}.wav"), "wb") as handle:
            handle.setnchannels(1)
            handle.setsampwidth(2)
            handle.setframerate(rate)
            handle.writeframes((np.clip(x, -1, 1) * 32767).astype("<i2").tobytes())


def read_wav(path):
    with wave.open(path, "rb") as handle:
        assert handle.getnchannels() == 1 and handle.getsampwidth() == 2
        data = np.frombuffer(handle.readframes(handle.getnframes()), dtype="<i2")
    return data.astype(np.float32) / 32768


def embed(model_dir, output, paths):
    import torch
    from transformers import ClapFeatureExtractor, ClapModel

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    model = ClapModel.from_pretrained(model_dir).eval()
    extractor = ClapFeatureExtractor.from_pretrained(model_dir)
    rows = []
    with torch.inference_mode():
        for start in range(0, len(paths), 8):
            waves = [read_wav(path) for path in paths[start : start + 8]]
            features = extractor(waves, sampling_rate=48000, return_tensors="pt")
            embedding = model.get_audio_features(**features)
            rows.append(torch.nn.functional.normalize(embedding, dim=-1).numpy())
    np.save(output, np.concatenate(rows).astype(np.float32))


if __name__ == "__main__":
    if sys.argv[1] == "make-clips":
        make_clips(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1] == "embed":
        embed(sys.argv[2], sys.argv[3], sys.argv[4:])
    else:
        sys.exit(__doc__)
