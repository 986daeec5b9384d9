"""UNet batch-2 step and VAE decode in float32 vs bfloat16 (PyTorch CPU autocast) on the bench's random weights.

Usage: python bf16_autocast_probe.py MUSICLDM_BENCH_DIR OUT.json  (the folder Benchmarks/bench-musicldm/run.sh
writes; pinned packages: requirements.txt). Reports best-of wall times, the speed-up and the cosine between the
float32 and bfloat16 outputs of one forward (Docs/notes/blas-kernel.md, issue 18 item 3)."""
import os, sys, time, json
import numpy as np, torch
from diffusers import AutoencoderKL, UNet2DConditionModel
out = sys.argv[1]
torch.set_num_threads(2)
unet = UNet2DConditionModel.from_pretrained(os.path.join(out, "unet")).eval()
vae = AutoencoderKL.from_pretrained(os.path.join(out, "vae")).eval()
sample = torch.from_numpy(np.load(os.path.join(out, "unet_sample.npy")))
labels = torch.from_numpy(np.load(os.path.join(out, "class_labels.npy")))
latents = torch.from_numpy(np.load(os.path.join(out, "vae_latents.npy")))
def best(fn, n):
    fn(); times = []
    for _ in range(n):
        t = time.perf_counter(); r = fn(); times.append(time.perf_counter() - t)
    return min(times), r
report = {}
with torch.no_grad():
    for name, fn, n in [("unet", lambda: unet(sample, torch.tensor(501), encoder_hidden_states=None, class_labels=labels).sample, 2),
                        ("vae", lambda: vae.decode(latents / vae.config.scaling_factor).sample, 1)]:
        t32, r32 = best(fn, n)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            t16, r16 = best(fn, n)
        r16 = r16.float()
        cos = torch.nn.functional.cosine_similarity(r32.flatten(), r16.flatten(), dim=0).item()
        report[name] = {"float32Seconds": t32, "bfloat16Seconds": t16, "speedup": t32 / t16, "outputCosine": cos}
        print(name, report[name], flush=True)
json.dump(report, open(sys.argv[2], "w"), indent=2)
