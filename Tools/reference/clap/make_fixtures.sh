#!/usr/bin/env bash
# Regenerates the CLAP parity fixtures in Tests/CLAPTests/Resources (about 10 s on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/../../.."
if [ ! -x .venv-clap/bin/python ]; then
  python3 -m venv .venv-clap
  .venv-clap/bin/pip install -q -r Tools/reference/clap/requirements.txt
fi
HF_HUB_OFFLINE=1 .venv-clap/bin/python Tools/reference/clap/make_fixtures.py --out Tests/CLAPTests/Resources
HF_HUB_OFFLINE=1 .venv-clap/bin/python Tools/reference/clap/make_op_fixtures.py --out Tests/TensorRuntimeTests/Resources/ops.safetensors
