"""After ``numba_cache.warm()``, processes using librosa at once only read its numba cache.

Three processes filling an empty cache at the same time corrupted it, and the next
process crashed (segmentation fault) in ``onset_detect``: the full suite died that way.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sora_widgets.numba_cache import warm

pytestmark = pytest.mark.slow

USE_LIBROSA = """
import numpy as np
from sora_widgets import audio_features
from sora_widgets.numba_cache import warm
warm()  # every kernel the product and the analyser call
y = np.random.default_rng(1).standard_normal(48000).astype(np.float32)
audio_features.spectrogram_png(y[None], 48000)
print("ok")
"""


def _cache_files() -> dict[Path, tuple[int, int]]:
    import librosa

    root = Path(librosa.__file__).parent
    return {p: (p.stat().st_mtime_ns, p.stat().st_size) for p in root.rglob("*.nb[ic]")}


def test_after_warm_concurrent_processes_only_read_the_cache():
    warm()
    before = _cache_files()
    assert before, "librosa's numba cache is empty after warm(): nothing was cached"
    procs = [subprocess.Popen([sys.executable, "-c", USE_LIBROSA], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(3)]
    outs = [p.communicate(timeout=240) for p in procs]
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err.decode()[-2000:]
        assert out.strip() == b"ok"
    assert _cache_files() == before, "a process wrote librosa's numba cache after warm(): concurrent writers corrupt it"
    after = subprocess.run([sys.executable, "-c", USE_LIBROSA], capture_output=True, timeout=240)
    assert after.returncode == 0, after.stderr.decode()[-2000:]
