"""Stimulus-loading fixtures: what librosa.load (the authors' loader) returns for a stereo 44.1 kHz track, read
back by Tests/AudioTests (StimulusLoadingTests).

Regenerate (pinned versions in stimulus-requirements.txt):
    python3 -m venv .venv-audio-stimuli
    .venv-audio-stimuli/bin/pip install -r Tools/reference/audio/stimulus-requirements.txt
    .venv-audio-stimuli/bin/python Tools/reference/audio/make_stimulus_fixtures.py

Outputs in Tests/AudioTests/Resources/stimuli/:
    stereo_44100.wav              0.3 s, two different 16-bit channels at 44,100 Hz (the input)
    librosa_mono_44100.wav        librosa.load(path, sr=None, mono=True): the channel mean, float32
    librosa_mono_22050.wav        librosa.load(path, sr=22050, mono=True): mean, then res_type="soxr_hq" with
                                  librosa's fix_length to ceil(n * 22050 / 44100) samples, float32
    librosa_mono_48000.wav        the same at sr=48000 (an upsampling ratio whose length is padded by one sample)
"""

from pathlib import Path

import librosa
import numpy as np
import soundfile

OUT = Path(__file__).resolve().parents[3] / "Tests" / "AudioTests" / "Resources" / "stimuli"
OUT.mkdir(parents=True, exist_ok=True)

rate = 44_100
frames = int(0.3 * rate) + 13  # an odd length, so the resampled lengths round
t = np.arange(frames) / rate
rng = np.random.default_rng(20)
left = 0.4 * np.sin(2 * np.pi * 440 * t) + 0.1 * np.sin(2 * np.pi * 9_000 * t) + 0.02 * rng.standard_normal(frames)
right = 0.3 * np.sin(2 * np.pi * 660 * t + 0.5) + 0.15 * np.sin(2 * np.pi * 15_000 * t)
stereo = np.stack([left, right], axis=1)
source = OUT / "stereo_44100.wav"
soundfile.write(source, stereo, rate, subtype="PCM_16")

for sr in [None, 22_050, 48_000]:
    y, returned = librosa.load(source, sr=sr, mono=True)
    assert y.dtype == np.float32 and y.ndim == 1
    soundfile.write(OUT / f"librosa_mono_{returned}.wav", y, returned, subtype="FLOAT")
    print(returned, y.shape, float(np.abs(y).max()))
for path in sorted(OUT.iterdir()):
    print(path.name, path.stat().st_size)
