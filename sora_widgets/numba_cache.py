"""Fill librosa's numba cache once, from one process, before many processes use it.

librosa compiles its kernels with numba on first use and caches the machine code
beside the library (``cache=True``). When several processes compile the same
function at the same time — two Voila kernels opening their first player, say —
they write the cache's index and code files over each other, and every later
process that loads that cache crashes with a segmentation fault (reproduced
here with three processes calling ``librosa.onset.onset_detect`` at once on an
empty cache). Compiling everything we use once, in one process, before a server
starts its kernels leaves nothing for the kernels to write: they only read.

``make install`` and ``sora-widgets studio``/``serve`` call :func:`warm`; so does
the test-suite before it starts servers. With a full cache it takes about 1-2 s
(the imports); on an empty one about 10-20 s on 2 cores.
"""

from __future__ import annotations

import numpy as np

__all__ = ["warm"]


def warm(sr: int = 22050) -> None:
    """Compile (or load from the cache) every librosa kernel the product and its tests call.

    sr : sample rate in Hz of the throwaway signal (the kernels do not depend on it).
    """
    import librosa

    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        y = (0.1 * rng.standard_normal(sr // 2)).astype(dtype)
        # audio_features: the player's spectrogram
        librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=sr, n_fft=1024, hop_length=256, n_mels=64))
        # cameo.verify and cameo.voice: resampling, loudness, pitch
        librosa.resample(y, orig_sr=sr, target_sr=16000)
        librosa.feature.rms(y=y, frame_length=1024, hop_length=256)
        librosa.pyin(y, fmin=65.0, fmax=400.0, sr=sr, frame_length=1024, hop_length=256)
        # onsets (the sim engine's acceptance analyser, and anyone measuring sync in a notebook)
        env = librosa.onset.onset_strength(y=y, sr=sr, hop_length=128)
        librosa.onset.onset_detect(onset_envelope=env, sr=sr, hop_length=128, units="time")


if __name__ == "__main__":
    warm()
