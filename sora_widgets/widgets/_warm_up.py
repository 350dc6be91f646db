"""Pay a page's one-off start-up costs on a background thread while the user types, not after a click.

Measured cold costs on 2 cores: the prompt check's text model (~4 s before the
text encoder was shared; the first Generate), the sim engine's first clip (~1 s),
the MP4 encoder and librosa's first STFT (~1.5 s, the first player), the output
check's detectors (~5 s, the first pre-screen). The calls below are pure checks
and a throwaway clip: nothing is recorded, saved or shown, and no decision is used.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

__all__ = ["warm_up_generate", "warm_up_kernel", "warm_up_output_check"]

log = logging.getLogger(__name__)

#: The throwaway clip: big enough to run every path (encoder, detectors, speech), small enough to be quick.
WARM_CLIP = dict(duration=0.5, fps=8, width=64, height=64, seed=0)


def _step(fn: Callable[[], object]) -> object:
    try:
        return fn()
    except Exception:  # warming is an optimisation only
        log.debug("warm-up step failed", exc_info=True)
        return None


def warm_up_generate(*, engine: str | None):
    """Load what the Studio's first Generate and its player need; returns the throwaway clip (or None).

    engine : the engine to make a throwaway clip with (only a CPU engine such as
        ``"sim"``: warming a diffusers engine would load gigabytes unasked); None skips
        the clip and what depends on it.
    """
    from ..moderation.text import check_prompt

    _step(lambda: check_prompt("a red ball bounces on a wooden floor"))
    if engine is None:
        return None
    from ..engines import generate

    clip = _step(lambda: generate("a ball bounces", engine=engine, **WARM_CLIP))
    if clip is None:
        return None
    from .clip_player import ClipPlayer

    _step(lambda: ClipPlayer.media_traits(clip))  # MP4 encoder, waveform, spectrogram (librosa)
    return clip


# One load at a time: a page's warm-up and a pooled kernel's (auth/kernel_pool.py) may overlap in one
# process; the second waits for the first instead of loading the same detectors again.
_output_check_lock = threading.Lock()


def warm_up_output_check(clip) -> None:
    """Load the output check's detectors (nudity, speech recognition) on ``clip`` (None: skipped)."""
    if clip is None:
        return
    from ..moderation.clip import check_clip

    with _output_check_lock:
        _step(lambda: check_clip(clip))


def warm_up_kernel(*, background_nice: int = 10) -> threading.Thread:
    """Warm a kernel that waits for its page (the server's kernel pool): nothing here depends on a user.

    What a first Generate needs (imports, the prompt check, a sim clip and its player media) is paid
    now; the rest (the engine list, which imports torch, and the output check's detectors) on a
    low-priority thread, so a page handed this kernel meanwhile does not wait for it.

    Args:
        background_nice: how much to lower the background thread's priority (nice increment).

    Returns:
        the background thread (started).
    """
    # (Importing this module imported sora_widgets.widgets: the dashboards' widgets and their assets.)
    from ._worker import lower_thread_priority

    clip = warm_up_generate(engine="sim")

    def rest() -> None:
        from ..engines import available

        lower_thread_priority(background_nice)
        _step(available)
        warm_up_output_check(clip)

    thread = threading.Thread(target=rest, name="sora-widgets-kernel-warm-up", daemon=True)
    thread.start()
    return thread
