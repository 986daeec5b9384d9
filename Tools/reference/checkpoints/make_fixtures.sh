#!/usr/bin/env bash
# Regenerates the checkpoint-format fixtures (about 30 s on 2 cores): the tiny CLAP and MusicLDM models saved as
# the hub publishes weights (.bin, sharded, float16/bfloat16) with transformers/diffusers reference outputs, and
# the hostile torch.save files of Tests/TensorRuntimeTests/Resources/checkpoints.
set -euo pipefail
cd "$(dirname "$0")/../../.."
if [ ! -x .venv-checkpoints/bin/python ]; then
  python3 -m venv .venv-checkpoints
  .venv-checkpoints/bin/pip install -q -r Tools/reference/checkpoints/requirements.txt
fi
HF_HUB_OFFLINE=1 .venv-checkpoints/bin/python Tools/reference/checkpoints/make_fixtures.py
