#!/usr/bin/env python3
"""Records diffusers' DDIMScheduler behaviour for MusicLDM's configuration, as fixtures for MusicLDMTests.

Regenerate (pinned versions in requirements.txt):
    python3 -m venv .venv-musicldm && .venv-musicldm/bin/pip install -r Tools/reference/musicldm/requirements.txt
    .venv-musicldm/bin/python Tools/reference/musicldm/make_scheduler_fixtures.py Tests/MusicLDMTests/Resources
Writes scheduler_config.json (MusicLDM's, as in the hub folder) and ddim_reference.json: for several step
counts the timesteps, the alpha-cumprod at each timestep and at the previous one, and full 3-step and
10-step sampling trajectories on seeded random latents with a synthetic epsilon model.
"""
import json
import os
import sys

import diffusers
import numpy as np
import torch
from diffusers import DDIMScheduler

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
config = dict(
    num_train_timesteps=1000, beta_start=0.0015, beta_end=0.0195, beta_schedule="scaled_linear",
    steps_offset=1, clip_sample=False, set_alpha_to_one=False, prediction_type="epsilon",
    timestep_spacing="leading", trained_betas=None,
)
scheduler = DDIMScheduler(**config)
scheduler.save_config(out)  # writes scheduler_config.json in the hub layout

reference = {
    "diffusers": diffusers.__version__,
    "torch": torch.__version__,
    "alphasCumulative": scheduler.alphas_cumprod.tolist(),
    "schedules": {},
    "trajectories": [],
}
for steps in [1, 3, 7, 10, 50, 200]:
    scheduler.set_timesteps(steps)
    reference["schedules"][str(steps)] = [int(t) for t in scheduler.timesteps]

generator = torch.Generator().manual_seed(1234)
for steps in [3, 10]:
    scheduler.set_timesteps(steps)
    latents = torch.randn((1, 2, 5, 4), generator=generator, dtype=torch.float32)
    start = latents.clone()
    outputs = []
    for t in scheduler.timesteps:
        # A deterministic stand-in for the UNet: a smooth function of the latents and the timestep.
        epsilon = torch.tanh(latents * 0.7 + float(t) / 1000.0)
        latents = scheduler.step(epsilon, t, latents, eta=0.0).prev_sample
        outputs.append(latents.flatten().tolist())
    reference["trajectories"].append({
        "steps": steps,
        "initial": start.flatten().tolist(),
        "afterEachStep": outputs,
    })

with open(os.path.join(out, "ddim_reference.json"), "w") as handle:
    json.dump(reference, handle)
print("wrote", out)
