"""Real-size CLAP benchmark, PyTorch side (CPU, 2 threads), and the random-weight model folders it uses.

  make-models OUT [--variants unfused,larger]
      writes OUT/<variant>/ with config.json + model.safetensors (random weights, real sizes), the real laion
      preprocessor_config.json, a byte-level BPE tokenizer, and OUT/clip.f32 (10 s at 48 kHz, raw float32).
  run OUT --json FILE [--repeats N]
      times get_audio_features (features precomputed, plus the feature extractor separately) on the clip and
      get_text_features on a short caption for every variant present, median of N after one warm-up.

Configurations: laion/clap-htsat-unfused (HTSAT 96/768, depths 2/2/6/2) and laion/larger_clap_music_and_speech
(HTSAT 128/1024, depths 2/2/12/2), both with the RoBERTa-base text tower and projection 512.
"""

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np
import torch
from transformers import ClapConfig, ClapFeatureExtractor, ClapModel

sys.path.insert(0, os.path.dirname(__file__))
from make_fixtures import randomize, train_tokenizer  # noqa: E402

VARIANTS = {
    "unfused": dict(),
    "larger": dict(patch_embeds_hidden_size=128, hidden_size=1024, depths=[2, 2, 12, 2]),
}
CAPTION = "A calm piano melody with soft strings in the background."
EXTRACTOR = dict(
    feature_size=64, sampling_rate=48000, hop_length=480, fft_window_size=1024, max_length_s=10, frequency_min=50,
    frequency_max=14000, truncation="rand_trunc", padding="repeatpad",
)


def clip():
    t = np.arange(480000) / 48000
    rng = np.random.default_rng(0)
    x = 0.3 * np.sin(2 * np.pi * 440 * t) + 0.2 * np.sin(2 * np.pi * 1234.5 * t) + 0.05 * rng.standard_normal(t.size)
    return x.astype(np.float32)


def make_models(out, variants):
    os.makedirs(out, exist_ok=True)
    clip().tofile(os.path.join(out, "clip.f32"))
    tokenizer, _ = train_tokenizer(os.path.join(out, "tokenizer"))
    for name in variants:
        directory = os.path.join(out, name)
        torch.manual_seed(0)
        model = ClapModel(ClapConfig(audio_config=VARIANTS[name], text_config={}, projection_dim=512))
        randomize(model, 0)
        model.save_pretrained(directory, safe_serialization=True)
        ClapFeatureExtractor(**EXTRACTOR).save_pretrained(directory)
        tokenizer.save_pretrained(directory)


def timed(function, repeats):
    function()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def run(out, json_path, repeats, variants):
    torch.set_num_threads(2)
    waveform = np.fromfile(os.path.join(out, "clip.f32"), dtype=np.float32)
    results = {"torch": torch.__version__, "threads": torch.get_num_threads()}
    for name in variants:
        directory = os.path.join(out, name)
        if not os.path.isdir(directory):
            continue
        model = ClapModel.from_pretrained(directory).eval()
        extractor = ClapFeatureExtractor.from_pretrained(directory)
        from transformers import RobertaTokenizer

        tokenizer = RobertaTokenizer.from_pretrained(directory)
        features = extractor(waveform, sampling_rate=48000, return_tensors="pt")["input_features"]
        ids = tokenizer(CAPTION, return_tensors="pt")
        with torch.inference_mode():
            cpu_start = time.process_time()
            audio = timed(lambda: model.get_audio_features(input_features=features), repeats)
            audio_cpu = (time.process_time() - cpu_start) / (repeats + 1)
            text = timed(lambda: model.get_text_features(**ids), repeats)
            embedding = model.get_audio_features(input_features=features)[0].numpy().tolist()
        extract = timed(lambda: extractor(waveform, sampling_rate=48000, return_tensors="pt"), max(1, repeats // 2))
        results[name] = {
            "audio_seconds": audio, "audio_cpu_seconds": audio_cpu, "text_seconds": text, "feature_extractor_seconds": extract,
            "audio_embedding": embedding, "caption_tokens": int(ids["input_ids"].shape[1]),
        }
    with open(json_path, "w") as handle:
        json.dump(results, handle, indent=1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["make-models", "run"])
    parser.add_argument("out")
    parser.add_argument("--json")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--variants", default="unfused,larger")
    args = parser.parse_args()
    if args.command == "make-models":
        make_models(args.out, args.variants.split(","))
    else:
        run(args.out, args.json, args.repeats, args.variants.split(","))


if __name__ == "__main__":
    main()
