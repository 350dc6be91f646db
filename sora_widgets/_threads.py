"""Background threads that run native code, and the one rule that keeps them from aborting the process.

Why. Our background threads (a widget's warm-up, a pooled kernel's warm-up, a generate or publish job,
the feed's snapshot refresh) spend most of their time inside C++ libraries that release the GIL:
DuckDB, ONNX Runtime, CTranslate2, PyAV. They are daemon threads, so the interpreter does not wait for
them; if one comes back for the GIL after finalisation has begun, CPython ends it with
``pthread_exit``, whose forced unwind through those C++ frames aborts the whole process ("terminate
called without an active exception" / "FATAL: exception not rethrown", exit code 134). A test run
whose tests all passed then fails, and a kernel dies noisily on shutdown.

So threads that do finite work start through :func:`start_background`, and at exit (atexit handlers
run before finalisation) the interpreter waits for them, up to :data:`EXIT_WAIT_S` in all. Threads
that loop forever (a session watcher, a heartbeat) must not be started here.
"""

from __future__ import annotations

import atexit
import threading
import time
import weakref
from collections.abc import Callable

__all__ = ["EXIT_WAIT_S", "start_background", "wait_at_exit"]

#: Seconds the interpreter waits at exit, in all, for background threads still running.
EXIT_WAIT_S = 60.0

_running: weakref.WeakSet[threading.Thread] = weakref.WeakSet()
_lock = threading.Lock()


def wait_at_exit(thread: threading.Thread) -> threading.Thread:
    """Have the interpreter wait for ``thread`` at exit (see the module's docstring); returns it."""
    with _lock:
        _running.add(thread)
    return thread


def start_background(target: Callable[..., object], *, name: str, args: tuple = ()) -> threading.Thread:
    """Start ``target(*args)`` on a daemon thread called ``name`` that the interpreter waits for at exit.

    Args:
        target: finite work (it must return; a loop that never ends would hold exit for :data:`EXIT_WAIT_S`).
        name: the thread's name (shows in py-spy and faulthandler dumps).
        args: positional arguments for ``target``.

    Returns:
        the started thread.
    """
    thread = wait_at_exit(threading.Thread(target=target, args=args, name=name, daemon=True))
    thread.start()
    return thread


@atexit.register
def _join_background_threads() -> None:
    deadline = time.monotonic() + EXIT_WAIT_S
    with _lock:
        threads = [t for t in _running if t.is_alive() and t is not threading.current_thread()]
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
