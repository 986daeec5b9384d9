"""Writes Tests/CLAPTests/Resources/real-checkpoints.json: every tensor name, shape and dtype of ClapModel
checkpoints in the real laion/clap-htsat-unfused and laion/larger_clap_music_and_speech shapes (as save_pretrained
writes them), with minimal config.json contents that rely on transformers' defaults.

Run after `bench_reference.py make-models DIR`: python make_checkpoint_manifest.py DIR OUT.json
"""

import json
import sys

from safetensors import safe_open

MINIMAL_CONFIGS = {
    "unfused": {"audio_config": {}, "text_config": {}, "projection_dim": 512},
    "larger": {
        "audio_config": {"patch_embeds_hidden_size": 128, "hidden_size": 1024, "depths": [2, 2, 12, 2]},
        "text_config": {}, "projection_dim": 512,
    },
}

directory, output = sys.argv[1], sys.argv[2]
manifest = {}
for variant, config in MINIMAL_CONFIGS.items():
    with safe_open(f"{directory}/{variant}/model.safetensors", "np") as handle:
        tensors = {key: [handle.get_slice(key).get_dtype(), handle.get_slice(key).get_shape()] for key in handle.keys()}
    manifest[variant] = {"config": config, "tensors": dict(sorted(tensors.items()))}
with open(output, "w") as handle:
    json.dump(manifest, handle, indent=0, sort_keys=True)
