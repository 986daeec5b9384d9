"""Audio fixtures written by another libsndfile client (python-soundfile), read back by Tests/AudioTests.

Regenerate: python3 -m venv .venv-audio && .venv-audio/bin/pip install -r Tools/reference/audio/requirements.txt
            && .venv-audio/bin/python Tools/reference/audio/make_fixtures.py
"""

from pathlib import Path

import numpy as np
import soundfile

OUT = Path(__file__).resolve().parents[3] / "Tests" / "AudioTests" / "Resources"
OUT.mkdir(parents=True, exist_ok=True)

rate = 22_050
t = np.arange(rate // 2) / rate  # 0.5 s
mono = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
stereo = np.stack([mono, (0.25 * np.sin(2 * np.pi * 660 * t)).astype(np.float32)], axis=1)

soundfile.write(OUT / "sine440_22050.ogg", mono, rate, format="OGG", subtype="VORBIS")
soundfile.write(OUT / "sine440_22050.aiff", mono, rate, format="AIFF", subtype="PCM_16")
soundfile.write(OUT / "stereo_440_660_22050.flac", stereo, rate, format="FLAC", subtype="PCM_24")
for path in sorted(OUT.iterdir()):
    print(path.name, path.stat().st_size)
