"""Read-only model weights that every process on the machine shares through the page cache.

Each dashboard kernel loads the same models. Arrays loaded into a process's own heap are counted
once per kernel (the MiniLM text encoder alone is ~90 MiB a kernel); arrays memory-mapped read-only
from one file on disk are counted once per machine: the kernel page cache holds the file, and every
process maps the same pages. :func:`mapped_arrays` builds such a file once (from the model's own
files, after whatever transform the model's loader wants: transposes, dtype casts), then maps it.

The file is a plain, uncompressed safetensors file (the format the weights ship in; written with the
``safetensors`` library, read by mapping its documented layout: an 8-byte little-endian header length,
a JSON header giving each tensor's dtype, shape and byte range, then the bytes). Its name carries a
digest of the source files' paths, sizes and modification times and the loader's ``version``, so a
changed model or loader builds a new file; it is written to a temporary name and renamed, so a crash
or two processes building at once never leave a half-written file under the final name.

Where the cache folder cannot be written (a read-only home), the arrays are returned from memory:
the same values, not shared.

:func:`release_freed_heap` gives memory that a model's loader freed back to the system (glibc keeps
freed heap pages otherwise; after loading Whisper ~70 MiB of its file's buffers stayed counted).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import json
import logging
import mmap
import os
import struct
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

__all__ = ["cache_dir", "cached_folder", "mapped_arrays", "release_freed_heap", "CACHE_ENV"]

log = logging.getLogger(__name__)

#: Environment variable naming the folder for mapped weight files (default: ``$XDG_CACHE_HOME/sora-widgets/weights``).
CACHE_ENV = "SORA_WIDGETS_WEIGHTS_CACHE"

# safetensors dtype names -> numpy (the ones numpy has).
_DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32,
           "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}


def cache_dir() -> Path:
    """The folder holding mapped weight files: ``$SORA_WIDGETS_WEIGHTS_CACHE``, else the XDG cache folder."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "sora-widgets" / "weights"


def _fingerprint(name: str, sources: Iterable[str | Path], version: str) -> str:
    h = hashlib.sha256(f"{name}\0{version}".encode())
    for src in sources:
        st = Path(src).stat()
        h.update(f"\0{Path(src).resolve()}\0{st.st_size}\0{st.st_mtime_ns}".encode())
    return h.hexdigest()[:20]


def _map(path: Path) -> dict[str, np.ndarray]:
    """Read-only arrays viewing one mmap of the safetensors file at ``path`` (no copy)."""
    with open(path, "rb") as f:
        mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    (n,) = struct.unpack("<Q", mm[:8])
    header = json.loads(mm[8 : 8 + n])
    start = 8 + n
    out = {}
    for key, info in header.items():
        if key == "__metadata__":
            continue
        a, b = info["data_offsets"]
        dtype = np.dtype(_DTYPES[info["dtype"]])
        shape = tuple(info["shape"])
        if start + b > len(mm) or b - a != dtype.itemsize * int(np.prod(shape, dtype=np.int64)):
            raise ValueError(f"{path}: tensor {key!r} does not fit the file (truncated or not ours)")
        # frombuffer on a read-only mmap gives a read-only array whose base keeps the mapping alive.
        out[key] = np.frombuffer(mm, dtype=dtype, count=(b - a) // dtype.itemsize, offset=start + a).reshape(shape)
    return out


def mapped_arrays(
    name: str,
    sources: Iterable[str | Path],
    build: Callable[[], dict[str, np.ndarray]],
    *,
    version: str = "1",
) -> dict[str, np.ndarray]:
    """Arrays shared read-only between processes: built once from ``sources``, then memory-mapped.

    Args:
        name (`str`): a short name for the model (part of the cache file's name), e.g. ``"minilm"``.
        sources (`Iterable[str | Path]`): the files ``build`` reads; their paths, sizes and modification
            times are part of the cache key, so a changed file builds a new cache file.
        build (`Callable[[], dict[str, np.ndarray]]`): returns the arrays exactly as the model uses them
            (already transposed / cast). Called only when no cache file exists yet (or it cannot be written).
        version (`str`, *optional*, defaults to `"1"`): the loader's own version; change it when ``build``
            changes what it returns.

    Returns:
        `dict[str, np.ndarray]`: read-only, C-contiguous arrays with the values ``build`` returned.
        Mapped from ``cache_dir()/<name>-<digest>.safetensors`` when that folder is writable; otherwise
        the arrays ``build`` returned (the same values, in this process's memory).
    """
    sources = list(sources)
    folder = cache_dir()
    path = folder / f"{name}-{_fingerprint(name, sources, version)}.safetensors"
    if path.exists():
        try:
            return _map(path)
        except (OSError, ValueError, KeyError, struct.error, json.JSONDecodeError):
            log.warning("mapped weights %s unreadable; building them again", path, exc_info=True)
    arrays = {k: np.ascontiguousarray(v) for k, v in build().items()}
    try:
        from safetensors.numpy import save_file

        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{name}-", suffix=".tmp", dir=folder)
        os.close(fd)
        try:
            save_file(arrays, tmp)
            os.chmod(tmp, 0o644)  # public model weights; readable by whoever may read the folder
            os.replace(tmp, path)  # atomic: a reader sees the whole file or none
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        mapped = _map(path)
    except OSError:
        log.info("cannot write mapped weights to %s; keeping %s in this process's memory", folder, name,
                 exc_info=True)
        return arrays
    del arrays  # the heap copy goes; the mapped one stays
    release_freed_heap()
    return mapped


def cached_folder(name: str, sources: Iterable[str | Path], write: Callable[[Path], None], *,
                  version: str = "1") -> Path | None:
    """A folder of model files built once on disk, for loaders that read a folder (CTranslate2, ONNX Runtime).

    Loading from a file lets the library read (or map) it itself; handing it the files' bytes from
    Python kept a second copy of them in the process (Whisper base: 190 instead of 330 MiB after loading).

    Args:
        name (`str`): a short name for the model (part of the folder's name).
        sources (`Iterable[str | Path]`): the files ``write`` reads (paths, sizes and modification times key the folder).
        write (`Callable[[Path], None]`): writes the model's files into the (empty, temporary) folder it is given.
        version (`str`, *optional*, defaults to `"1"`): change it when ``write`` changes what it writes.

    Returns:
        `Path | None`: ``cache_dir()/<name>-<digest>``, complete (renamed into place only once written);
        None when the cache folder cannot be written (the caller then loads as before).
    """
    sources = list(sources)
    folder = cache_dir()
    final = folder / f"{name}-{_fingerprint(name, sources, version)}"
    if final.is_dir():
        return final
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=folder))
        try:
            write(tmp)
            os.chmod(tmp, 0o755)
            try:
                os.rename(tmp, final)  # atomic; fails if another process finished first: theirs is as good
            except OSError:
                if not final.is_dir():
                    raise
        finally:
            if tmp.exists():
                import shutil

                shutil.rmtree(tmp, ignore_errors=True)
    except OSError:
        log.info("cannot write %s's files to %s; loading it from memory", name, folder, exc_info=True)
        return None
    return final


def release_freed_heap() -> None:
    """Return heap memory freed by a model's loader to the system (glibc ``malloc_trim``; no-op elsewhere)."""
    name = ctypes.util.find_library("c")
    if not name:
        return
    try:
        libc = ctypes.CDLL(name)
        libc.malloc_trim(0)
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to do
        pass
