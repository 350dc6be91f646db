"""Job states and timings in the Store (table ``generation_jobs``, migration 010).

Each kernel records its own jobs (queued, running, then done / failed / cancelled);
the scheduler records the end of a job whose kernel went away. The Store is one
DuckDB file opened by many processes (see ``store.db_file_lock``), so writes are
short transactions, and a kernel makes them on one background thread: a
generation never waits on the file lock. The rows of one job written while an
earlier write waits are merged (only the latest state of each job is written).
:func:`flush` waits for what is pending (tests, benchmarks, process exit).
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import os
import threading
from pathlib import Path
from typing import Any

__all__ = ["COLUMNS", "STATES", "flush", "record", "record_now", "utcnow"]

log = logging.getLogger(__name__)

#: Job states, in the order a job can go through them (``queued`` again after its worker died).
STATES = ("queued", "running", "done", "failed", "cancelled")
COLUMNS = ("job_id", "user_handle", "engine", "model", "prompt", "state", "attempts", "worker", "node", "error",
           "submitted_at", "started_at", "finished_at", "queue_s", "run_s")

_SQL = (
    f"INSERT INTO generation_jobs ({', '.join(COLUMNS)}) VALUES ({', '.join('?' for _ in COLUMNS)}) "
    "ON CONFLICT (job_id) DO UPDATE SET "
    + ", ".join(f"{c} = coalesce(generation_jobs.{c}, excluded.{c})" if c == "submitted_at"  # the first one
                else f"{c} = coalesce(excluded.{c}, generation_jobs.{c})" for c in COLUMNS[1:])
)

_stores: dict[str, Any] = {}
_pending: dict[tuple[str, str], dict] = {}
_cond = threading.Condition()
_writing = 0
_thread: threading.Thread | None = None


def utcnow() -> dt.datetime:
    """Now in UTC, without a zone (how the Store keeps timestamps)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _store(home: str):
    from ..store import open_store

    if home not in _stores:
        _stores[home] = open_store(home)  # opened (and migrated) once per process
    return _stores[home]


def record_now(home: str | os.PathLike, row: dict) -> None:
    """Write ``row`` (``job_id``, ``state`` and any other :data:`COLUMNS`; None keeps what is stored) now,
    in one short transaction in the store at ``home``."""
    if row.get("state") not in STATES:
        raise ValueError(f"job state must be one of {', '.join(STATES)}; got {row.get('state')!r}")
    with _store(str(home)).transaction() as con:
        con.execute(_SQL, [row.get(c) for c in COLUMNS])


def record(home: str | os.PathLike | None, row: dict) -> None:
    """Queue ``row`` for the background writer (see :func:`record_now`); ``home`` None records nothing."""
    global _thread
    if home is None:
        return
    key = (str(Path(home).absolute()), row["job_id"])
    with _cond:
        merged = _pending.get(key, {})
        merged.update({k: v for k, v in row.items() if v is not None})
        _pending[key] = merged
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_writer, name="sora-widgets-jobs-log", daemon=True)
            _thread.start()
        _cond.notify_all()


def _writer() -> None:
    global _writing
    while True:
        with _cond:
            while not _pending:
                _cond.wait()
            batch = list(_pending.items())
            _pending.clear()
            _writing += 1
        try:
            for (home, _job), row in batch:
                try:
                    record_now(home, row)
                except Exception:  # a job's log must never break the job; say so in the kernel's log
                    log.exception("could not record generation job %s in %s", row.get("job_id"), home)
        finally:
            with _cond:
                _writing -= 1
                _cond.notify_all()


def flush(timeout_s: float = 30.0) -> bool:
    """Wait until every recorded row is written; True if it was within ``timeout_s`` seconds."""
    with _cond:
        return _cond.wait_for(lambda: not _pending and not _writing, timeout=timeout_s)


atexit.register(flush, 10.0)
