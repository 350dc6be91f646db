"""Pay a page's one-off start-up costs on a background thread while the user types, not after a click.

Measured cold costs on 2 cores: the prompt check's text model (~4 s before the
text encoder was shared; the first Generate), the sim engine's first clip (~1 s),
the MP4 encoder and the player's first spectrogram (numpy: ``audio_features``), the output
check's detectors (~5 s, the first pre-screen). The calls below are pure checks
and a throwaway clip: nothing is recorded, saved or shown, and no decision is used.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable

from .._threads import wait_at_exit

__all__ = ["KernelWarmUp", "warm_up_generate", "warm_up_kernel", "warm_up_output_check"]

log = logging.getLogger(__name__)

#: The throwaway clip: big enough to run every path (encoder, detectors, speech), small enough to be quick.
WARM_CLIP = dict(duration=0.5, fps=8, width=64, height=64, seed=0)
#: The handle the throwaway clip's visible mark names (no account: the marked copy is dropped).
WARM_CREATOR = "warm_up"


def _step(fn: Callable[[], object]) -> object:
    try:
        return fn()
    except Exception:  # warming is an optimisation only
        log.debug("warm-up step failed", exc_info=True)
        return None


# What this process has warmed already: engine -> its throwaway clip (None: the prompt check only).
_warm_clips: dict[str | None, object] = {}
_generate_lock = threading.Lock()


def warm_up_generate(*, engine: str | None):
    """Load what the Studio's first Generate and its player need; returns the throwaway clip (or None).

    engine : the engine to make a throwaway clip with (only a CPU engine such as
        ``"sim"``: warming a diffusers engine would load gigabytes unasked); None skips
        the clip and what depends on it.
    """
    # Once per process: a page served by a pooled kernel (auth/kernel_pool.py) finds it done and pays nothing;
    # one that arrives while the pool's warm-up runs waits for it instead of doing the same work beside it.
    with _generate_lock:
        if engine in _warm_clips:
            return _warm_clips[engine]
        from ..moderation.text import check_prompt

        _step(lambda: check_prompt("a red ball bounces on a wooden floor"))
        if engine is None:
            return None
        from ..engines import generate

        clip = _step(lambda: generate("a ball bounces", engine=engine, **WARM_CLIP))
        if clip is None:
            return None
        from .clip_player import ClipPlayer

        _step(lambda: ClipPlayer.media_traits(clip))  # MP4 encoder, waveform, spectrogram (numpy)
        # The provenance marks every generated clip gets (generate_checked): their patterns, font and
        # fingerprint were ~1.8 s of CPU in a first Generate. A copy is marked: nothing is registered.
        # Package first, then the module (as publishing._provenance does): "from ..provenance.stamp import" takes the
        # module's import lock before the package's, the reverse of a Generate on another thread, and the two met
        # in Python's import locks ("cannot import name 'CLIP_ASSERTION' from partially initialized module").
        from ..provenance import stamp

        _step(lambda: stamp.mark(clip, creator=WARM_CREATOR))
        _warm_clips[engine] = clip
        return clip


# One load at a time: a page's warm-up and a pooled kernel's (auth/kernel_pool.py) may overlap in one
# process; the second waits for the first instead of loading the same detectors again.
_output_check_lock = threading.Lock()
_output_check_warm = False  # True once the detectors have run here


def warm_up_output_check(clip) -> None:
    """Load the output check's detectors (nudity, speech recognition) on ``clip`` (None: skipped)."""
    if clip is None:
        return
    from ..moderation.clip import check_clip

    global _output_check_warm
    with _output_check_lock:
        if _output_check_warm:
            return  # loaded once per process (the pooled kernel's warm-up, or an earlier page)
        _output_check_warm = _step(lambda: check_clip(clip)) is not None


class KernelWarmUp(threading.Thread):
    """The pooled kernel's warm-up thread; ``first_stage`` is set once what a first Generate needs is loaded."""

    def __init__(self, background_nice: int):
        super().__init__(name="sora-widgets-kernel-warm-up", daemon=True)
        self.background_nice = background_nice
        self.first_stage = threading.Event()

    def run(self) -> None:
        from ._worker import lower_thread_priority

        try:
            # The Studio's widgets and what they import (~0.4 s, more when a file changed): its page's cell
            # then only builds them. Imported here, not at the top: prompt_studio imports this module.
            _step(lambda: importlib.import_module(".prompt_studio", __package__))
            clip = warm_up_generate(engine="sim")
        finally:
            self.first_stage.set()
        # Only now: a page handed this kernel mid-way waits for what the first stage is loading (the text
        # encoder, a module's import lock), and a low-priority thread on a busy machine made it wait 10x longer.
        lower_thread_priority(self.background_nice)
        from ..engines import available

        _step(available)
        warm_up_output_check(clip)


def warm_up_kernel(*, background_nice: int = 10) -> KernelWarmUp:
    """Warm a kernel that waits for its page (the server's kernel pool): nothing here depends on a user.

    Everything runs on one thread, so the kernel answers at once and a page handed this kernel
    mid-way runs its cells on the main thread beside the warm-up (its own warm-up then finds the
    work done or waits for it: :func:`warm_up_generate`). First, at normal priority, what a first
    Generate needs (the Studio's widgets, the prompt check, a sim clip, its player media and
    provenance marks: ``first_stage`` is set after it); then, at low priority, the engine list
    (which imports torch) and the output check's detectors.

    Args:
        background_nice: how much to lower the thread's priority after the first stage (nice increment).

    Returns:
        the warm-up thread (started).
    """
    # (Importing this module imported sora_widgets.widgets: the dashboards' widgets and their assets.)
    # numpy's BLAS threads start with the thread that first imports it: the kernel's, at normal priority.
    import numpy  # noqa: F401

    thread = wait_at_exit(KernelWarmUp(background_nice))
    thread.start()
    return thread
