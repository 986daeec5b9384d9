#!/usr/bin/env python3
"""Builds a tiny random MusicLDM (UNet, VAE, HiFi-GAN vocoder, DDIM scheduler) with MusicLDM's block types,
saves it in the hub layout, and records reference outputs for MusicLDMTests.

Regenerate (pinned versions in requirements.txt):
    .venv-musicldm/bin/python Tools/reference/musicldm/make_model_fixtures.py Tests/MusicLDMTests/Resources/tiny-musicldm
Output folder: unet/ vae/ vocoder/ scheduler/ (config.json + safetensors, as `save_pretrained` writes them) and
reference.safetensors with:
  unet.sample, unet.timestep, unet.class_labels, unet.output          one batch-2 UNet forward
  unet.down.N / unet.mid / unet.up.N                                   block outputs (hooks), for debugging
  vae.latents, vae.mel                                                 decode of latents (divided by scaling)
  vocoder.mel, vocoder.audio                                           vocoder on a mel
  pipeline.latents, pipeline.prompt_embeds, pipeline.negative_prompt_embeds, pipeline.unet_input.K,
  pipeline.noise_pred.K, pipeline.latents_after.K, pipeline.mel, pipeline.audio
The latent height (10) is not divisible by the UNet's up factor 8, so the odd-size upsampling path runs.
Weights are randomised beyond PyTorch's defaults (norm scales != 1, biases != 0) so that mistakes show.
"""
import os
import sys
import types

import numpy as np
import torch
from diffusers import AutoencoderKL, DDIMScheduler, MusicLDMPipeline, UNet2DConditionModel
from safetensors.torch import save_file
from transformers import ClapConfig, ClapModel, RobertaTokenizer, SpeechT5HifiGan, SpeechT5HifiGanConfig

out = sys.argv[1]
# The tiny CLAP text tower and tokenizer reuse the shapes of the CLAP fixtures (Tools/reference/clap).
clap_tiny = sys.argv[2] if len(sys.argv) > 2 else "Tests/CLAPTests/Resources/clap-tiny"
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)


def perturb(module, scale=0.1):
    """Makes every parameter non-trivial: norms get scales away from 1, biases away from 0."""
    with torch.no_grad():
        for name, parameter in module.named_parameters():
            if name.endswith("bias") or "norm" in name:
                parameter.add_(torch.randn_like(parameter) * scale)
            else:
                parameter.mul_(1.0 + 0.2 * torch.randn_like(parameter))


unet = UNet2DConditionModel(
    sample_size=10, in_channels=4, out_channels=4,
    down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
    up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
    block_out_channels=(8, 8, 16, 16), layers_per_block=2, cross_attention_dim=(8, 8, 16, 16),
    class_embed_type="simple_projection", projection_class_embeddings_input_dim=16, class_embeddings_concat=True,
    attention_head_dim=2, norm_num_groups=4, norm_eps=1e-5, act_fn="silu", flip_sin_to_cos=True, freq_shift=0,
).eval()
perturb(unet)
vae = AutoencoderKL(
    in_channels=1, out_channels=1, latent_channels=4, block_out_channels=(8, 16, 16), layers_per_block=2,
    down_block_types=("DownEncoderBlock2D",) * 3, up_block_types=("UpDecoderBlock2D",) * 3, norm_num_groups=4,
    sample_size=40, scaling_factor=0.7,
).eval()
perturb(vae)
vocoder = SpeechT5HifiGan(SpeechT5HifiGanConfig(
    model_in_dim=16, sampling_rate=16000, upsample_initial_channel=32, upsample_rates=[5, 4, 2, 2, 2],
    upsample_kernel_sizes=[16, 16, 8, 4, 4], resblock_kernel_sizes=[3, 7, 11],
    resblock_dilation_sizes=[[1, 3, 5], [1, 3, 5], [1, 3, 5]], normalize_before=False,
    # HiFi-GAN's default initialiser (std 0.01) makes this narrow vocoder's output a constant set by its biases
    # (std 1e-5, the same for every mel), which would check nothing of the convolutions and give the demo one
    # identical clip for every input; at 0.15 the output follows the mel (std ≈ 0.1) without saturating the tanh.
    initializer_range=0.15,
)).eval()
perturb(vocoder, scale=0.05)
scheduler = DDIMScheduler(
    num_train_timesteps=1000, beta_start=0.0015, beta_end=0.0195, beta_schedule="scaled_linear", steps_offset=1,
    clip_sample=False, set_alpha_to_one=False, prediction_type="epsilon", timestep_spacing="leading",
)
text_encoder = ClapModel(ClapConfig.from_pretrained(clap_tiny)).eval()
perturb(text_encoder, scale=0.05)
tokenizer = RobertaTokenizer.from_pretrained(clap_tiny, model_max_length=32)  # within 40 positions
assert text_encoder.config.projection_dim == 16
text_encoder.save_pretrained(os.path.join(out, "text_encoder"))
tokenizer.save_pretrained(os.path.join(out, "tokenizer"))
unet.save_pretrained(os.path.join(out, "unet"))
vae.save_pretrained(os.path.join(out, "vae"))
vocoder.save_pretrained(os.path.join(out, "vocoder"))
scheduler.save_pretrained(os.path.join(out, "scheduler"))

reference = {}
captured = {}


def hook(name):
    def record(_module, _inputs, output):
        value = output[0] if isinstance(output, tuple) else output
        captured[name] = value.detach().clone()
    return record


for index, block in enumerate(unet.down_blocks):
    block.register_forward_hook(hook(f"unet.down.{index}"))
unet.mid_block.register_forward_hook(hook("unet.mid"))
for index, block in enumerate(unet.up_blocks):
    block.register_forward_hook(hook(f"unet.up.{index}"))

with torch.no_grad():
    sample = torch.randn(2, 4, 10, 4)
    class_labels = torch.nn.functional.normalize(torch.randn(2, 16), dim=-1)
    timestep = torch.tensor(501)
    output = unet(sample, timestep, encoder_hidden_states=None, class_labels=class_labels).sample
    reference.update({
        "unet.sample": sample, "unet.timestep": timestep.float().reshape(1), "unet.class_labels": class_labels,
        "unet.output": output,
    })
    reference.update(captured)

    latents = torch.randn(1, 4, 10, 4)
    mel = vae.decode(latents / vae.config.scaling_factor).sample
    reference.update({"vae.latents": latents, "vae.mel": mel})

    vocoder_mel = torch.randn(1, 40, 16)
    reference.update({"vocoder.mel": vocoder_mel, "vocoder.audio": vocoder(vocoder_mel)})

    pipeline = MusicLDMPipeline(
        vae=vae, text_encoder=None, tokenizer=None, feature_extractor=None, unet=unet, scheduler=scheduler,
        vocoder=vocoder)
    # With ready prompt embeddings the pipeline only reads the text encoder's dtype; stand in for it.
    pipeline.text_encoder = types.SimpleNamespace(text_model=types.SimpleNamespace(dtype=torch.float32))
    pipeline.set_progress_bar_config(disable=True)
    prompt_embeds = torch.nn.functional.normalize(torch.randn(1, 16), dim=-1)
    negative_embeds = torch.nn.functional.normalize(torch.randn(1, 16), dim=-1)
    initial = torch.randn(1, 4, 10, 4)
    steps = {"unet_input": [], "noise_pred": []}
    def record_unet(_module, inputs, output):
        steps["unet_input"].append(inputs[0].clone())
        steps["noise_pred"].append((output[0] if isinstance(output, tuple) else output.sample).clone())

    unet_hooks = unet.register_forward_hook(record_unet)
    after = []
    original_step = scheduler.step

    def recording_step(*args, **kwargs):
        result = original_step(*args, **kwargs)
        after.append(result.prev_sample.clone())
        return result

    scheduler.step = recording_step
    audio = pipeline(
        prompt_embeds=prompt_embeds, negative_prompt_embeds=negative_embeds, num_inference_steps=3,
        guidance_scale=2.0, audio_length_in_s=0.4, latents=initial.clone(), output_type="pt").audios
    scheduler.step = original_step
    unet_hooks.remove()
    # The pipeline's mel: decode the final latents the way the pipeline does.
    final_mel = vae.decode(after[-1] / vae.config.scaling_factor).sample
    reference.update({
        "pipeline.latents": initial, "pipeline.prompt_embeds": prompt_embeds,
        "pipeline.negative_prompt_embeds": negative_embeds, "pipeline.mel": final_mel,
        "pipeline.audio": audio if isinstance(audio, torch.Tensor) else torch.from_numpy(np.asarray(audio)),
    })
    for k, (x, eps, y) in enumerate(zip(steps["unet_input"], steps["noise_pred"], after)):
        reference[f"pipeline.unet_input.{k}"] = x
        reference[f"pipeline.noise_pred.{k}"] = eps
        reference[f"pipeline.latents_after.{k}"] = y

    # The prompt path: MusicLDM's own CLAP text tower for the prompt and for "" (the unconditional branch).
    text_pipeline = MusicLDMPipeline(
        vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, feature_extractor=None, unet=unet,
        scheduler=scheduler, vocoder=vocoder)
    text_pipeline.set_progress_bar_config(disable=True)
    prompt = "a calm piano melody with soft drums"
    embeds = text_pipeline._encode_prompt(prompt, "cpu", 1, True, negative_prompt=None)
    text_initial = torch.randn(1, 4, 10, 4)
    text_audio = text_pipeline(
        prompt=prompt, num_inference_steps=2, guidance_scale=2.0, audio_length_in_s=0.4,
        latents=text_initial.clone(), output_type="pt").audios
    reference.update({
        "text.unconditional": embeds[0:1], "text.prompt": embeds[1:2], "text.latents": text_initial,
        "text.audio": text_audio,
    })

save_file({k: v.contiguous().float() for k, v in reference.items()}, os.path.join(out, "reference.safetensors"))
print("wrote", out, {k: tuple(v.shape) for k, v in reference.items() if not k.startswith("unet.")})
