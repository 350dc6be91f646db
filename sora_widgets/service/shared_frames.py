"""A clip's frames handed from a worker to a caller on the same machine through one shared-memory file.

Through Ray's object store a clip's frames travel in pieces (``FRAME_CHUNK_BYTES``), each a put on the
worker's side, a get and a copy on the caller's: about 60-200 ms per 16 MiB piece on this 2-core machine,
so a 20 s 512 px clip (377 MB, 23 pieces) took 3-5 s to arrive for a job that ran in 0.5 s. When the
caller runs on the worker's own Ray node, as the user's kernel does on a one-machine deployment, the
worker instead copies the frames once into a file in ``/dev/shm`` (memory, not disk) and sends its
path; the caller maps the file and unlinks it at once, so the clip's array *is* that memory: one copy in
all, writable, and freed with the array. A caller that dies before unlinking leaves a file that its
worker removes at its next job (:func:`sweep`).

Used only when the caller and the worker share a Ray node and a user id (the file is created 0600), and
``/dev/shm`` has room for the clip plus a margin; anything else falls back to the pieces.
``SORA_WIDGETS_RAY_SHARED_FRAMES=0`` turns it off.
"""

from __future__ import annotations

import mmap
import os
import time
import uuid
from pathlib import Path

import numpy as np

__all__ = ["SHARED_DIR", "caller_identity", "read_frames", "shared_enabled", "sweep", "write_frames"]

#: Where the files go: a memory file system on Linux. Each is named ``sora-widgets-frames-<pid>-<id>``.
SHARED_DIR = Path("/dev/shm")
_PREFIX = "sora-widgets-frames-"
#: Room left free in ``SHARED_DIR`` after the file (bytes): Ray's own object store lives there too.
_MARGIN_BYTES = 256 * 2**20
#: Bytes per write() call.
_WRITE_BYTES = 64 * 2**20
#: A file older than this (s) that no caller unlinked belongs to a caller that went away.
_STALE_S = 300.0


def shared_enabled() -> bool:
    """False when ``SORA_WIDGETS_RAY_SHARED_FRAMES`` is ``0`` (always the pieces through Ray)."""
    return os.environ.get("SORA_WIDGETS_RAY_SHARED_FRAMES", "1").strip() != "0"


def caller_identity(node_id: str) -> dict | None:
    """What a caller tells its worker so the worker can decide whether a shared file would reach it:
    ``{"node": node_id, "uid": <this process's user id>}``, or None when shared files are turned off.

    Args:
        node_id (`str`): the caller's Ray node (``ray.get_runtime_context().get_node_id()``).
    """
    return {"node": node_id, "uid": os.getuid()} if shared_enabled() else None


def write_frames(frames: np.ndarray, caller: dict | None, node_id: str) -> str | None:
    """Copy ``frames`` into a new shared file and return its path, or None when the caller cannot use
    one (another node or user, no caller identity, not enough room): the caller then gets the pieces.

    Args:
        frames (`np.ndarray`): the clip's frames, ``(T, H, W, 3)`` uint8, C-contiguous.
        caller (`dict | None`): :func:`caller_identity` of the caller.
        node_id (`str`): this worker's Ray node.
    """
    if not caller or caller.get("node") != node_id or caller.get("uid") != os.getuid():
        return None
    try:
        stat = os.statvfs(SHARED_DIR)
    except OSError:
        return None
    if stat.f_bavail * stat.f_frsize < frames.nbytes + _MARGIN_BYTES:
        return None
    path = SHARED_DIR / f"{_PREFIX}{os.getpid()}-{uuid.uuid4().hex}"
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        # write(), not a mapping: the file system allocates its pages as it copies, about half the CPU of
        # faulting them in one by one through mmap (0.15 against 0.32 CPU s for 377 MB here)
        data, done = memoryview(frames).cast("B"), 0
        while done < len(data):
            done += os.write(fd, data[done:done + _WRITE_BYTES])
    except BaseException:
        os.close(fd)
        path.unlink(missing_ok=True)
        raise
    os.close(fd)
    return str(path)


def read_frames(path: str, shape: tuple[int, ...]) -> np.ndarray:
    """The frames a worker wrote to ``path`` (see :func:`write_frames`), as a writable array over the
    file's memory; the file is unlinked before this returns, so the memory goes with the array.

    Args:
        path (`str`): the file the worker named.
        shape (`tuple[int, ...]`): the frames' shape, ``(T, H, W, 3)``.
    """
    if not Path(path).name.startswith(_PREFIX) or Path(path).parent != SHARED_DIR:
        raise ValueError(f"not a shared frames file: {path}")
    nbytes = int(np.prod(shape))
    fd = os.open(path, os.O_RDWR)
    try:
        os.unlink(path)
        if os.fstat(fd).st_size != nbytes:
            raise ValueError(f"shared frames file {path} holds {os.fstat(fd).st_size} bytes, expected {nbytes}")
        mm = mmap.mmap(fd, nbytes)
    finally:
        os.close(fd)
    return np.frombuffer(mm, np.uint8).reshape(shape)  # the array keeps the mapping alive


def sweep(max_age_s: float = _STALE_S) -> int:
    """Remove this process's shared files older than ``max_age_s`` seconds (callers that never read
    theirs); returns how many went."""
    gone = 0
    cutoff = time.time() - max_age_s
    for path in SHARED_DIR.glob(f"{_PREFIX}{os.getpid()}-*"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                gone += 1
        except FileNotFoundError:
            pass
    return gone
