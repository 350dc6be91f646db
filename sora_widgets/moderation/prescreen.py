"""Output moderation started before Publish: one verdict per clip content, computed once by the service.

Checking a finished clip (sampled frames through the nudity detector, the
soundtrack through speech recognition) takes seconds on a small machine. The
Studio starts it as soon as a clip is generated, so by the time the user has
watched the clip and pressed Publish, publishing only saves.

The check starts at once, beside the encoding of the clip (both read the same
arrays, made read-only first); a caller arriving meanwhile finds it by the arrays'
identity. The rule stays in the service: a verdict is cached only by :func:`prescreen`,
which computes it itself with :func:`~sora_widgets.moderation.service.screen_clip`
on the clip it is given, under the key

    (store home, user, SHA-256 of the clip's MP4 bytes, policy version)

where the MP4 bytes are ``clip.encoded()``, the very bytes the store keeps. A
caller cannot hand in a verdict; a clip whose frames, sound or tags changed has
other bytes and so no cached verdict; a new policy file has another version.
:func:`verdict_for_publish` consumes the entry, so each saved clip uses one
check (a second save of the same clip is checked again).

Two callers asking for the same key share one computation: the second waits for
the first (and sees its progress). Cancelling one caller (``cancel`` event) stops
the computation only if it is the one running it; a waiter whose computation was
cancelled by its owner runs the check itself.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable

from ..engines.base import Cancelled, check_cancel
from ..media import Clip, container_tags
from ..store import Store, normalise_handle
from .policy import Policy, load_policy
from .verdict import Verdict

log = logging.getLogger(__name__)

__all__ = ["MAX_CACHED", "cached_verdict", "policy_version", "prescreen", "verdict_for_publish"]

#: Verdicts kept per process (finished ones; the oldest go first). A verdict is a few KB.
MAX_CACHED = 64
#: How often a waiter looks at its own ``cancel`` event while another thread checks, in seconds.
_WAIT_POLL_S = 0.05

ProgressFn = Callable[[int, int], None]


class _Entry:
    """One computation of a verdict: finished (``done`` set, ``verdict`` or ``error``) or running.

    ``ident`` names what is being checked before its bytes exist (store, user, policy version, the
    very frame and audio arrays, fps, sample rate, tags); ``key`` is set once the bytes are encoded.
    """

    def __init__(self, ident: tuple) -> None:
        self.ident = ident
        self.key: tuple[str, str, str, str] | None = None
        self.done = threading.Event()
        self.verdict: Verdict | None = None
        self.error: BaseException | None = None
        self.progress = (0, 0)
        self.listeners: list[ProgressFn] = []


_lock = threading.Lock()
#: Finished (and running, once encoded) checks by key.
_entries: OrderedDict[tuple[str, str, str, str], _Entry] = OrderedDict()
#: Running checks whose clip is still being encoded (a handful at most).
_inflight: list[_Entry] = []


@functools.lru_cache(maxsize=8)
def _version_of(policy_json: str) -> str:
    return hashlib.sha256(policy_json.encode()).hexdigest()[:16]


def policy_version(policy: Policy | None = None) -> str:
    """A short hash of ``policy`` (default: the shipped one): verdicts cached under another version are not reused."""
    policy = policy or load_policy()
    return _version_of(json.dumps(dataclasses.asdict(policy), sort_keys=True))


def _key(store: Store, user: str, sha256: str) -> tuple[str, str, str, str]:
    return (str(store.home), user, sha256, policy_version())


def _ident(store: Store, clip: Clip, user: str) -> tuple:
    return (str(store.home), user, policy_version(), clip.frames, clip.audio, float(clip.fps), clip.sample_rate,
            container_tags(clip.meta))


def _same(a: tuple, b: tuple) -> bool:
    """Same store, user, policy, tags and numbers, and the very same arrays (not equal ones: identity)."""
    return len(a) == len(b) and a[:3] == b[:3] and a[3] is b[3] and a[4] is b[4] and a[5:] == b[5:]


def _find(ident: tuple, key: tuple | None) -> _Entry | None:
    """The entry for this clip, by key or (still encoding) by identity. Caller holds ``_lock``."""
    if key is not None and key in _entries:
        return _entries[key]
    return next((e for e in _inflight if _same(e.ident, ident)), None)


def cached_verdict(store: Store, clip: Clip, *, user: str) -> Verdict | None:
    """The finished verdict for ``clip`` by ``user`` if one is cached (None if none, or still running)."""
    with _lock:
        entry = _entries.get(_key(store, normalise_handle(user), clip.encoded().sha256))
    return entry.verdict if entry is not None and entry.done.is_set() else None


def prescreen(
    store: Store,
    clip: Clip,
    *,
    user: str,
    on_progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
) -> Verdict:
    """Check ``clip``'s frames and soundtrack for ``user`` once, and keep the verdict for Publish.

    Args:
        store (`Store`): where the verdict is recorded (``moderation_verdicts``, with an audit line).
        clip (`Clip`): the generated clip. Its arrays are made read-only, and it is encoded here
            (``clip.encoded()``, beside the check) if nothing has encoded it yet; the player and the
            store reuse those bytes.
        user (`str`): the handle of the creator who will publish it.
        on_progress (`Callable[[int, int], None]`, *optional*): ``f(checks_done, checks_total)``; also
            called with the progress of a check another thread is already running for the same clip.
        cancel (`threading.Event`, *optional*): set it to stop; :class:`~sora_widgets.engines.Cancelled`
            is raised between two checks and nothing is cached.

    Returns:
        `Verdict`: the same object for every call with the same clip bytes, user, store and policy,
        until :func:`verdict_for_publish` consumes it.
    """
    return _prescreened(store, clip, normalise_handle(user), on_progress, cancel).verdict


def verdict_for_publish(
    store: Store,
    clip: Clip,
    *,
    user: str,
    on_progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
) -> Verdict:
    """The verdict ``publish`` uses: the pre-screened one (waiting for it if it is running), else a new check.

    It is used only if it was computed on the bytes ``clip.encoded()`` gives now. The cache entry
    is consumed: the next save of the same clip is checked again.
    """
    user = normalise_handle(user)
    while True:
        entry = _prescreened(store, clip, user, on_progress, cancel)
        key = _key(store, user, clip.encoded().sha256)
        with _lock:
            if entry.key == key:
                if _entries.get(key) is entry:
                    del _entries[key]
                return entry.verdict
        # The clip changed while it was being checked: check what it is now.


def _prescreened(store: Store, clip: Clip, user: str, on_progress: ProgressFn | None,
                 cancel: threading.Event | None) -> _Entry:
    """The finished entry for ``clip`` (computed here, or waited for if another thread runs it)."""
    while True:
        ready = clip.encoded_if_ready()
        ident = _ident(store, clip, user)
        key = _key(store, user, ready.sha256) if ready is not None else None
        with _lock:
            entry = _find(ident, key)
            mine = entry is None
            if mine:
                entry = _Entry(ident)
                _inflight.append(entry)
            elif on_progress is not None:
                entry.listeners.append(on_progress)
        if mine:
            _compute(store, clip, user, entry, on_progress, cancel)
            return entry
        if on_progress is not None and entry.progress[1]:
            on_progress(*entry.progress)
        while not entry.done.wait(_WAIT_POLL_S):
            check_cancel(cancel)
        if entry.verdict is not None:
            return entry
        if not isinstance(entry.error, Cancelled):
            raise entry.error  # the check itself failed: the same failure for every caller
        check_cancel(cancel)  # its owner gave up, not us: run it ourselves (the entry is gone)


def _compute(store: Store, clip: Clip, user: str, entry: _Entry, on_progress: ProgressFn | None,
             cancel: threading.Event | None) -> None:
    """Check ``clip`` while it is encoded beside (both read the same frozen arrays), then file the verdict."""
    from .service import screen_clip

    def report(done: int, total: int) -> None:
        check_cancel(cancel)
        entry.progress = (done, total)
        if on_progress is not None:
            on_progress(done, total)
        for fn in list(entry.listeners):  # other callers waiting for this check: their errors are theirs
            try:
                fn(done, total)
            except Exception:
                log.debug("a prescreen progress listener failed", exc_info=True)

    clip.freeze()  # the arrays checked are the arrays encoded
    encoded: list = []

    def encode() -> None:
        try:
            encoded.append(clip.encoded())
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            encoded.append(exc)

    encoder = threading.Thread(target=encode, name="sora-widgets-prescreen-encode")
    encoder.start()
    try:
        verdict = screen_clip(store, clip, user=user, on_progress=report)
        encoder.join()
        if isinstance(encoded[0], BaseException):
            raise encoded[0]
        key = _key(store, user, encoded[0].sha256)
    except BaseException as exc:
        encoder.join()
        with _lock:
            if entry in _inflight:
                _inflight.remove(entry)  # nothing cached: the next caller checks again
        entry.error = exc
        entry.done.set()
        raise
    with _lock:
        _inflight.remove(entry)
        entry.key, entry.verdict = key, verdict
        entry.ident = ()  # found by key from now on; do not keep the arrays alive
        _entries[key] = entry
        _evict()
    entry.done.set()


def _evict() -> None:
    """Drop the oldest finished entries beyond :data:`MAX_CACHED` (running ones stay). Caller holds ``_lock``."""
    for key in list(_entries):
        if len(_entries) <= MAX_CACHED:
            return
        if _entries[key].done.is_set():
            del _entries[key]
