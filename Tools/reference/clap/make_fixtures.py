"""Builds tiny random CLAP models with the reference library and records parity fixtures.

Outputs (under --out, default Tests/CLAPTests/Resources):
  tokenizer/            vocab.json + merges.txt of a small byte-level BPE trained here, and cases.json with the
                        ids of hard strings (slow and fast RoBERTa tokenizers agree on every one)
  clap-tiny/            ClapModel.save_pretrained (config.json, model.safetensors) + preprocessor_config.json +
                        tokenizer files; audio: spec 64, 16 mels (frequency ratio 4), window 4, depths [2,2,2]
  clap-tiny/fixtures.safetensors    inputs, per-stage hidden states, embeddings (float32)
  clap-realshape/       the real HTSAT geometry (spec 256, 64 mels, window 8, four stages, last stage unshifted)
                        with tiny widths, and the real laion preprocessor (48 kHz, 1024/480, 64 slaney mels)
  clap-realshape/fixtures.safetensors

Every weight is re-drawn from a seeded generator so that nothing is at its default (norm scales != 1, biases != 0,
batch-norm running statistics non-trivial, relative-position tables non-zero).
Run: Tools/reference/clap/make_fixtures.sh  (creates .venv-clap with requirements.txt).
"""

import argparse
import json
import os
import shutil

import numpy as np
import torch
from safetensors.torch import save_file
from tokenizers import ByteLevelBPETokenizer
from transformers import ClapConfig, ClapFeatureExtractor, ClapModel, RobertaTokenizer, RobertaTokenizerFast

CORPUS = [
    "A calm piano melody with soft strings in the background.",
    "Heavy metal guitar riffs, fast drums and screaming vocals!",
    "Jazz saxophone solo over a walking bass line; brushes on the snare.",
    "Hip-hop beat with deep 808 bass and vinyl crackle.",
    "Classical orchestra playing a slow, sad adagio in D minor.",
    "Reggae rhythm guitar skanks on the off-beat, relaxed groove.",
    "Country song with banjo, fiddle and a twangy voice; it's a road-trip tune.",
    "Disco track: four-on-the-floor kick, funky bass, shimmering hi-hats.",
    "Blues shuffle in E, harmonica wails and the singer's voice cracks.",
    "Electronic ambient pads, 120 BPM, café atmosphere, naïve résumé.",
    "Música clásica con guitarra española y voces suaves.",
    "日本のポップス、明るいメロディー。中文歌曲，节奏很快。",
    "Emoji test 🎵🎸🥁 — drums & bass… we'll've been there, don't you think? I'M SURE.",
    "Numbers 1234567890 and symbols #@$%^&*()[]{} <tag> 'quoted' \"double\".",
]

HARD_CASES = [
    "A calm piano melody with soft strings.",
    "don't stop, we'll've, I'm, you're, they'd, it's, DON'T, I'M",
    "café naïve résumé Straße ÆØÅ",
    "emoji 🎵🎸 ok 👩‍👩‍👧 flags 🇮🇹",
    "中文歌曲 日本語のうた 한국어 노래",
    "line one\nline two\ttabbed  double  space   \n\n end",
    "",
    "   leading and trailing spaces   ",
    "numbers 3.14159 and 2024-01-01, 100% sure!!! ???",
    "zzzzqqqq xylophone unseenwordwithoutmerges",
    " ".join(["this caption is far too long for the tiny model"] * 6),
    "special tokens: a   <mask> b, x<s>y, hello </s> world, <pad><unk>, <mask >, <mask>",
]


def train_tokenizer(directory):
    os.makedirs(directory, exist_ok=True)
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(
        CORPUS * 4, vocab_size=600, min_frequency=2, special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    )
    bpe.save_model(directory)
    slow = RobertaTokenizer(os.path.join(directory, "vocab.json"), os.path.join(directory, "merges.txt"))
    slow.model_max_length = 512
    fast = RobertaTokenizerFast(os.path.join(directory, "vocab.json"), os.path.join(directory, "merges.txt"))
    cases = []
    for text in HARD_CASES:
        ids_slow = slow(text)["input_ids"]
        ids_fast = fast(text)["input_ids"]
        assert ids_slow == ids_fast, (text, ids_slow, ids_fast)
        truncated = slow(text, max_length=16, truncation=True)["input_ids"]
        cases.append({"text": text, "ids": ids_slow, "ids_max16": truncated})
    return slow, cases


def randomize(model, seed):
    generator = torch.Generator().manual_seed(seed)

    def normal(shape, std):
        return torch.randn(shape, generator=generator) * std

    with torch.no_grad():
        for name, parameter in model.named_parameters():
            shape = parameter.shape
            if name.startswith("logit_scale"):
                continue
            if "relative_position_bias_table" in name:
                parameter.copy_(normal(shape, 0.5))
            elif "embeddings" in name and name.endswith("weight") and parameter.dim() == 2:
                parameter.copy_(normal(shape, 0.5))
            elif name.endswith("bias"):
                parameter.copy_(normal(shape, 0.05))
            elif parameter.dim() == 1:  # LayerNorm / BatchNorm scales
                parameter.copy_(1 + normal(shape, 0.1))
            else:
                fan_in = int(np.prod(shape[1:]))
                parameter.copy_(normal(shape, 1 / np.sqrt(fan_in)))
        for name, buffer in model.named_buffers():
            if name.endswith("running_mean"):
                buffer.copy_(-45 + 8 * torch.randn(buffer.shape, generator=generator))
            elif name.endswith("running_var"):
                buffer.copy_(150 + 100 * torch.rand(buffer.shape, generator=generator))
    model.eval()


def waveform(seconds, rate, seed, frequency):
    rng = np.random.default_rng(seed)
    t = np.arange(int(round(seconds * rate))) / rate
    signal = 0.5 * np.sin(2 * np.pi * frequency * t) + 0.2 * np.sin(2 * np.pi * 3.1 * frequency * t)
    signal += 0.05 * rng.standard_normal(t.shape)
    signal *= np.linspace(0.2, 1.0, t.size)
    return signal.astype(np.float32)


def build(out, name, audio_config, text_config, projection_dim, extractor_kwargs, clips, texts, tokenizer, seed,
          drop=()):
    directory = os.path.join(out, name)
    shutil.rmtree(directory, ignore_errors=True)
    torch.manual_seed(seed)
    config = ClapConfig(text_config=text_config, audio_config=audio_config, projection_dim=projection_dim)
    model = ClapModel(config)
    randomize(model, seed)
    model.save_pretrained(directory, safe_serialization=True)
    extractor = ClapFeatureExtractor(**extractor_kwargs)
    extractor.save_pretrained(directory)
    tokenizer.save_pretrained(directory)

    tensors = {}
    features = extractor(clips, sampling_rate=extractor.sampling_rate, return_tensors="pt")["input_features"]
    for index, clip in enumerate(clips):
        tensors[f"waveform_{index}"] = torch.from_numpy(clip)
    tensors["input_features"] = features.float()

    encoder = model.audio_model.audio_encoder
    captured = {}
    encoder.batch_norm.register_forward_hook(lambda m, i, o: captured.__setitem__("batch_norm", o.transpose(1, 3)))
    encoder.patch_embed.register_forward_hook(lambda m, i, o: captured.__setitem__("patch_embed", o))
    encoder.patch_embed.register_forward_hook(
        lambda m, i, o: captured.__setitem__("mel_image", i[0]))
    for stage_index, stage in enumerate(encoder.layers):
        stage.register_forward_hook(
            lambda m, i, o, s=stage_index: captured.__setitem__(f"stage_{s}", o[0]))
        stage.blocks[0].register_forward_hook(
            lambda m, i, o, s=stage_index: captured.__setitem__(f"stage_{s}_block_0", o[0]))
    with torch.no_grad():
        audio_outputs = model.audio_model(input_features=features)
        audio_embeds = model.get_audio_features(input_features=features)
        projected = model.audio_projection(audio_outputs.pooler_output)
    for key, value in captured.items():
        tensors[f"audio_{key}"] = value.contiguous()
    tensors["audio_pooled"] = audio_outputs.pooler_output
    tensors["audio_projected"] = projected
    tensors["audio_embeds"] = audio_embeds

    if texts:
        batch = tokenizer(texts, padding=True, return_tensors="pt")
        with torch.no_grad():
            text_embeds = model.get_text_features(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
            single = tokenizer(texts[0], return_tensors="pt")
            text_outputs = model.text_model(input_ids=single["input_ids"], attention_mask=single["attention_mask"])
        tensors["text_input_ids"] = batch["input_ids"].float()
        tensors["text_attention_mask"] = batch["attention_mask"].float()
        tensors["text_embeds"] = text_embeds
        tensors["text0_last_hidden_state"] = text_outputs.last_hidden_state[0]
        tensors["text0_pooled"] = text_outputs.pooler_output[0]
    tensors = {k: v for k, v in tensors.items() if k not in drop}
    save_file({k: v.detach().float().contiguous() for k, v in tensors.items()}, os.path.join(directory, "fixtures.safetensors"))
    with open(os.path.join(directory, "fixtures.json"), "w") as handle:
        json.dump({"texts": texts, "shapes": {k: list(v.shape) for k, v in tensors.items()}}, handle, indent=1,
                  ensure_ascii=False)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="Tests/CLAPTests/Resources")
    args = parser.parse_args()
    torch.set_num_threads(2)
    tokenizer_dir = os.path.join(args.out, "tokenizer")
    shutil.rmtree(tokenizer_dir, ignore_errors=True)
    tokenizer, cases = train_tokenizer(tokenizer_dir)
    with open(os.path.join(tokenizer_dir, "cases.json"), "w") as handle:
        json.dump(cases, handle, indent=1, ensure_ascii=False)

    text_config = dict(
        vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
        max_position_embeddings=40,
    )
    texts = ["A calm piano melody with soft strings.", "Heavy metal guitar riffs!", "中文歌曲 🎵"]

    tiny_audio = dict(
        spec_size=64, num_mel_bins=16, window_size=4, patch_size=4, patch_stride=[4, 4], patch_embeds_hidden_size=8,
        hidden_size=32, depths=[2, 2, 2], num_attention_heads=[2, 2, 4], mlp_ratio=2.0,
    )
    tiny_extractor = dict(
        feature_size=16, sampling_rate=8000, hop_length=80, fft_window_size=256, max_length_s=2, frequency_min=50,
        frequency_max=3500, truncation="rand_trunc", padding="repeatpad",
    )
    tiny_clips = [waveform(1.3, 8000, 1, 440.0), waveform(0.45, 8000, 2, 220.0)]
    build(args.out, "clap-tiny", tiny_audio, text_config, 16, tiny_extractor, tiny_clips, texts, tokenizer, 11)

    # Grids 12 and 6 with window 5: both stages zero-pad to a multiple of the window (the padded Swin path).
    padded_audio = dict(
        spec_size=48, num_mel_bins=12, window_size=5, patch_size=4, patch_stride=[4, 4], patch_embeds_hidden_size=8,
        hidden_size=16, depths=[2, 2], num_attention_heads=[2, 2], mlp_ratio=2.0,
    )
    padded_extractor = dict(
        feature_size=12, sampling_rate=8000, hop_length=80, fft_window_size=256, max_length_s=1, frequency_min=50,
        frequency_max=3500, truncation="rand_trunc", padding="repeatpad",
    )
    build(args.out, "clap-padded", padded_audio, text_config, 16, padded_extractor, [waveform(0.6, 8000, 4, 330.0)],
          [], tokenizer, 13, drop=("audio_batch_norm",))

    real_audio = dict(
        spec_size=256, num_mel_bins=64, window_size=8, patch_size=4, patch_stride=[4, 4], patch_embeds_hidden_size=4,
        hidden_size=32, depths=[2, 2, 2, 2], num_attention_heads=[1, 1, 2, 2], mlp_ratio=2.0,
    )
    real_extractor = dict(
        feature_size=64, sampling_rate=48000, hop_length=480, fft_window_size=1024, max_length_s=10, frequency_min=50,
        frequency_max=14000, truncation="rand_trunc", padding="repeatpad",
    )
    real_clips = [waveform(0.3, 48000, 3, 523.25)]
    build(args.out, "clap-realshape", real_audio, text_config, 16, real_extractor, real_clips, [], tokenizer, 12,
          drop=("audio_batch_norm", "audio_mel_image", "audio_stage_0_block_0", "audio_stage_1_block_0"))


if __name__ == "__main__":
    main()
