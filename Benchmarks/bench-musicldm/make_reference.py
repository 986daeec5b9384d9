#!/usr/bin/env python3
"""Builds real-size MusicLDM components with random weights (the published configs, ucsd-reach/musicldm shapes),
saves them in the hub layout under OUT, writes the benchmark inputs as .npy, and times PyTorch CPU on them.

Usage: python make_reference.py OUT JSON   (pinned versions: Tools/reference/musicldm/requirements.txt)
"""
import json
import os
import resource
import sys
import time

import numpy as np
import torch
from diffusers import AutoencoderKL, DDIMScheduler, UNet2DConditionModel
from transformers import SpeechT5HifiGan, SpeechT5HifiGanConfig

out, report_path = sys.argv[1], sys.argv[2]
torch.set_num_threads(2)
torch.manual_seed(0)
os.makedirs(out, exist_ok=True)
if not os.path.exists(os.path.join(out, "unet", "config.json")):
    UNet2DConditionModel(
        sample_size=256, in_channels=8, out_channels=8,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
        block_out_channels=(128, 256, 384, 640), layers_per_block=2, cross_attention_dim=(128, 256, 384, 640),
        class_embed_type="simple_projection", projection_class_embeddings_input_dim=512,
        class_embeddings_concat=True, attention_head_dim=8, norm_num_groups=32,
    ).save_pretrained(os.path.join(out, "unet"))
    AutoencoderKL(
        in_channels=1, out_channels=1, latent_channels=8, block_out_channels=(128, 256, 512), layers_per_block=2,
        down_block_types=("DownEncoderBlock2D",) * 3, up_block_types=("UpDecoderBlock2D",) * 3, norm_num_groups=32,
        sample_size=1024, scaling_factor=0.4110932946205139,
    ).save_pretrained(os.path.join(out, "vae"))
    SpeechT5HifiGan(SpeechT5HifiGanConfig(
        model_in_dim=64, sampling_rate=16000, upsample_initial_channel=1024, upsample_rates=[5, 4, 2, 2, 2],
        upsample_kernel_sizes=[16, 16, 8, 4, 4], resblock_kernel_sizes=[3, 7, 11],
        resblock_dilation_sizes=[[1, 3, 5]] * 3, normalize_before=False,
    )).save_pretrained(os.path.join(out, "vocoder"))
    DDIMScheduler(
        num_train_timesteps=1000, beta_start=0.0015, beta_end=0.0195, beta_schedule="scaled_linear",
        steps_offset=1, clip_sample=False, set_alpha_to_one=False, prediction_type="epsilon",
        timestep_spacing="leading").save_pretrained(os.path.join(out, "scheduler"))

rng = np.random.default_rng(0)
inputs = {
    "unet_sample": rng.standard_normal((2, 8, 250, 16)).astype(np.float32),
    "class_labels": rng.standard_normal((2, 512)).astype(np.float32),
    "vae_latents": rng.standard_normal((1, 8, 250, 16)).astype(np.float32),
    "vocoder_mel": rng.standard_normal((1, 1000, 64)).astype(np.float32),
}
for name, value in inputs.items():
    np.save(os.path.join(out, f"{name}.npy"), value)


def median_time(fn, repetitions):
    """Median wall time of `repetitions` runs after one warm-up, and the mean process CPU time per run."""
    fn()
    samples = []
    cpu_start = time.process_time()
    for _ in range(repetitions):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return float(np.median(samples)), (time.process_time() - cpu_start) / repetitions


unet = UNet2DConditionModel.from_pretrained(os.path.join(out, "unet")).eval()
vae = AutoencoderKL.from_pretrained(os.path.join(out, "vae")).eval()
vocoder = SpeechT5HifiGan.from_pretrained(os.path.join(out, "vocoder")).eval()
with torch.no_grad():
    sample = torch.from_numpy(inputs["unet_sample"])
    labels = torch.from_numpy(inputs["class_labels"])
    latents = torch.from_numpy(inputs["vae_latents"])
    mel = torch.from_numpy(inputs["vocoder_mel"])
    only = os.environ.get("BENCH_COMPONENT")
    runs = {
        "unetBatch2Step": (
            "unet", lambda: unet(sample, torch.tensor(501), encoder_hidden_states=None, class_labels=labels), 3),
        "vaeDecode": ("vae", lambda: vae.decode(latents / vae.config.scaling_factor), 2),
        "vocoder": ("vocoder", lambda: vocoder(mel), 2),
    }
    report = {"torch": torch.__version__, "threads": torch.get_num_threads()}
    for key, (name, fn, repetitions) in runs.items():
        if only and only != name:
            continue
        report[key + "Seconds"], report[key + "CPUSeconds"] = median_time(fn, repetitions)
        # The output itself, for the Swift side's real-size parity check (reference_<name>.npy).
        result = fn()
        result = result.sample if hasattr(result, "sample") else result
        np.save(os.path.join(out, f"reference_{name}.npy"), result.numpy().astype(np.float32))
    # BATCH_SIZES=1,2,4: the UNet step per clip with that many clips batched (2 rows per clip with guidance).
    per_clip = {}
    for clips in [int(x) for x in os.environ.get("BATCH_SIZES", "").split(",") if x]:
        rows, row_labels = sample.repeat(clips, 1, 1, 1), labels.repeat(clips, 1)
        wall, cpu = median_time(
            lambda: unet(rows, torch.tensor(501), encoder_hidden_states=None, class_labels=row_labels), 2)
        per_clip[str(clips)] = {"unetStepSecondsPerClip": wall / clips, "unetStepCPUSecondsPerClip": cpu / clips}
    if per_clip:
        report["perClipByBatchSize"] = per_clip
    report["peakResidentMegabytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
json.dump(report, open(report_path, "w"), indent=2)
print("PyTorch:", json.dumps(report))
