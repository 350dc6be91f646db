"""Check the prompt while it is typed, so that Generate's own check finds the answer ready.

Generate runs the prompt check (:func:`sora_widgets.moderation.text.check_prompt`, through
:func:`sora_widgets.publishing.generate_checked`) before the engine; most of that check is embedding the
sentence. :class:`PromptPrecheck` runs the same function on the text in the box once the user has stopped
typing for :data:`QUIET_S` seconds, on a low-priority thread. Its verdict is thrown away: the point is that
:func:`sora_widgets.text_encoder.embed` then remembers the sentence, and Generate's check (which still
runs, and still decides) takes milliseconds. Nothing is recorded and nothing is shown.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from .._threads import start_background
from ._worker import lower_thread_priority

__all__ = ["PRECHECK_NICE", "QUIET_S", "PromptPrecheck"]

log = logging.getLogger(__name__)

#: Seconds without a keystroke before the text is checked (every keystroke reaches the kernel).
QUIET_S = 0.5
#: Niceness added to the checking thread (0-19 scale): a Generate or a page loading comes first.
PRECHECK_NICE = 5


class PromptPrecheck:
    """Runs ``check(text)`` on the latest text once typing pauses; at most one thread at a time.

    Args:
        check (`Callable[[str], object]`): the check to warm, e.g. ``check_prompt``; its result is ignored,
            and so are its errors (Generate runs the check again and reports them).
        quiet_s (`float`, *optional*, defaults to :data:`QUIET_S`): the pause, in seconds, that starts a check.
    """

    def __init__(self, check: Callable[[str], object], *, quiet_s: float = QUIET_S) -> None:
        self._check = check
        self.quiet_s = float(quiet_s)
        self._lock = threading.Lock()
        self._latest = ""
        self._due = 0.0  # time.monotonic() at which the latest text is checked
        self._thread: threading.Thread | None = None
        self._idle = threading.Event()
        self._idle.set()
        #: The texts checked so far, oldest first (the last few hundred; for tests and debugging).
        self.checked: list[str] = []

    def typed(self, text: str) -> None:
        """The box now holds ``text`` (an observer of the prompt's ``value`` calls this on every change)."""
        with self._lock:
            self._latest = text if isinstance(text, str) else ""
            self._due = time.monotonic() + self.quiet_s
            if self._thread is None:
                self._idle.clear()
                self._thread = start_background(self._run, name="sora-widgets-prompt-precheck")

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no check is pending or running; False if ``timeout`` (seconds) passed first."""
        return self._idle.wait(timeout)

    def _run(self) -> None:
        lower_thread_priority(PRECHECK_NICE)
        while True:
            with self._lock:
                wait = self._due - time.monotonic()
                text = self._latest
                if wait <= 0 and (not text.strip() or (self.checked and self.checked[-1] == text)):
                    # nothing new to check: this thread ends; the next keystroke starts another
                    self._thread = None
                    self._idle.set()
                    return
            if wait > 0:
                time.sleep(wait)
                continue
            try:
                self._check(text)
            except Exception:  # too long, not loaded yet...: Generate's own check will say so
                log.debug("prompt pre-check failed", exc_info=True)
            with self._lock:
                self.checked.append(text)
                del self.checked[:-256]
