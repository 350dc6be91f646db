"""No kernel traceback for a visitor who opens a widget comm with bad data (issue 13 item 11).

ipykernel logs an exception raised by a comm target's open handler with its traceback, and a kernel's
log reaches the page as a stderr stream: anyone on a dashboard could send ``comm_open`` on
``jupyter.widget.control`` (or ``jupyter.widget``) with nonsense and read file paths and code from the
answer. The targets registered in this kernel are wrapped so a failed open is closed quietly and one
line goes to the kernel process's own stderr (the server log), never to the visitor.
"""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["guard_comm_targets"]

_GUARDED = "_sora_widgets_guarded"


def guard_comm_targets() -> int:
    """Wrap every comm target registered in the running kernel (ipywidgets' are registered on import).

    Returns:
        `int`: how many targets were newly wrapped (0 outside a kernel, or when already done).
    """
    if "IPython" not in sys.modules:
        return 0  # not in a kernel: nothing to guard, and nothing heavy imported
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:
        return 0
    import comm
    import ipywidgets  # noqa: F401  (registers jupyter.widget and jupyter.widget.control in this kernel)

    targets: dict[str, Callable[..., Any]] = comm.get_comm_manager().targets
    n = 0
    for name, handler in list(targets.items()):
        if not getattr(handler, _GUARDED, False):
            targets[name] = _quiet(name, handler)
            n += 1
    return n


def _quiet(target: str, handler: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(handler)
    def open_comm(comm: Any, msg: dict) -> Any:
        try:
            return handler(comm, msg)
        except Exception as exc:  # a visitor's malformed comm_open: refuse it without a traceback
            print(f"sora-widgets: refused a comm_open on {target!r} ({type(exc).__name__})", file=sys.__stderr__)
            with contextlib.suppress(Exception):
                comm.close()
            return None

    setattr(open_comm, _GUARDED, True)
    return open_comm
