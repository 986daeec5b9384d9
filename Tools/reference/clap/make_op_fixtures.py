"""Records PyTorch results of the TensorRuntime ops on small random inputs (Tests/TensorRuntimeTests/Resources).

Run: .venv-clap/bin/python Tools/reference/clap/make_op_fixtures.py  (see make_fixtures.sh for the venv).
"""

import argparse
import os

import torch
import torch.nn.functional as F
from safetensors.torch import save_file


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="Tests/TensorRuntimeTests/Resources/ops.safetensors")
    args = parser.parse_args()
    g = torch.Generator().manual_seed(7)
    r = lambda *shape: torch.randn(*shape, generator=g)
    t = {}
    # conv2d with stride, padding and dilation
    t["conv2d_x"], t["conv2d_w"], t["conv2d_b"] = r(2, 3, 9, 11), r(5, 3, 3, 2), r(5)
    t["conv2d_y"] = F.conv2d(t["conv2d_x"], t["conv2d_w"], t["conv2d_b"], stride=(2, 1), padding=(1, 2), dilation=(2, 1))
    # patch-embed style conv (kernel == stride)
    t["patch_x"], t["patch_w"], t["patch_b"] = r(1, 1, 8, 12), r(4, 1, 4, 4), r(4)
    t["patch_y"] = F.conv2d(t["patch_x"], t["patch_w"], t["patch_b"], stride=4)
    # dilated conv1d (vocoder residual blocks)
    t["conv1d_x"], t["conv1d_w"], t["conv1d_b"] = r(2, 4, 20), r(3, 4, 7), r(3)
    t["conv1d_y"] = F.conv1d(t["conv1d_x"], t["conv1d_w"], t["conv1d_b"], padding=9, dilation=3)
    # transposed conv1d (vocoder upsampler k16 u5 p5)
    t["convt_x"], t["convt_w"], t["convt_b"] = r(1, 6, 7), r(6, 4, 16), r(4)
    t["convt_y"] = F.conv_transpose1d(t["convt_x"], t["convt_w"], t["convt_b"], stride=5, padding=5)
    # norms
    t["norm_x"] = r(2, 8, 5, 3) * 3 + 1
    t["gn_w"], t["gn_b"] = 1 + 0.1 * r(8), 0.1 * r(8)
    t["gn_y"] = F.group_norm(t["norm_x"], 4, t["gn_w"], t["gn_b"], eps=1e-6)
    t["ln_w"], t["ln_b"] = 1 + 0.1 * r(3), 0.1 * r(3)
    t["ln_y"] = F.layer_norm(t["norm_x"], (3,), t["ln_w"], t["ln_b"], eps=1e-5)
    # activations
    t["act_x"] = r(64) * 3
    t["gelu_y"] = F.gelu(t["act_x"])
    t["silu_y"] = F.silu(t["act_x"])
    t["leaky_y"] = F.leaky_relu(t["act_x"], 0.1)
    # resizes
    t["resize_x"] = r(2, 3, 7, 5)
    t["bicubic_y"] = F.interpolate(t["resize_x"], size=(10, 8), mode="bicubic", align_corners=True)
    t["nearest_y"] = F.interpolate(t["resize_x"], size=(13, 9), mode="nearest")
    # masked multi-head attention (B=2, L=5, heads=2, dim=3)
    q, k, v = r(2, 5, 6), r(2, 5, 6), r(2, 5, 6)
    mask = torch.tensor([[0, 0, 0, 0, 0], [0, 0, 0, -1e9, -1e9]], dtype=torch.float32)
    t["attn_q"], t["attn_k"], t["attn_v"], t["attn_mask"] = q, k, v, mask
    split = lambda x: x.view(2, 5, 2, 3).transpose(1, 2)
    scores = split(q) @ split(k).transpose(-1, -2) / 3**0.5 + mask[:, None, None, :]
    t["attn_y"] = (scores.softmax(-1) @ split(v)).transpose(1, 2).reshape(2, 5, 6)
    # roll / permute
    t["roll_x"] = r(2, 4, 5, 3)
    t["roll_y"] = torch.roll(t["roll_x"], shifts=(-2, 3), dims=(1, 2))
    t["permute_y"] = t["roll_x"].permute(0, 2, 3, 1).contiguous()
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    save_file({k: v.contiguous().float() for k, v in t.items()}, args.out)


if __name__ == "__main__":
    main()
