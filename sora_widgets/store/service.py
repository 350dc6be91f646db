"""The store service: one long-lived process owns a home's DuckDB file; every other process talks to it.

Why: without it every store operation opens and closes the file (about 23 ms + 11 ms at load), because a
DuckDB file can be open read-write by one process only. The service opens it once (one DuckDB database
instance), holds the file lock (:func:`~sora_widgets.store.remote.db_file_lock`) exclusively for its whole
life so no process opens the file beside it, and serves sessions on a Unix socket in the home: one DuckDB
cursor per session, so a client's transaction is a real DuckDB transaction (WAL, MVCC, DuckDB's own
errors). Write sessions are let in one at a time, as the file lock let them before (see
:class:`~sora_widgets.store.remote.OwnedDatabase`); read sessions are read-only snapshots that never wait.

Start it with ``sora-widgets --home HOME store-serve`` (or :func:`spawn`); stop it with SIGTERM or
Ctrl-C. Clients need nothing: ``Store`` finds it (:func:`~sora_widgets.store.remote.turn`). A client that
dies mid-transaction has its transaction rolled back; a service that dies leaves DuckDB's WAL, replayed
by the next opener, so nothing committed is lost and nothing uncommitted appears.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pickle
import secrets
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from multiprocessing.connection import Client, Connection, Listener, answer_challenge, deliver_challenge
from pathlib import Path
from typing import Any

import duckdb

from .remote import MAX_SOCKET_PATH, OwnedDatabase, find_service, lock_path, service_file
from .store import Store, StoreError, connect_db

__all__ = ["StoreService", "running", "serve_forever", "spawn", "stop"]

#: Seconds :meth:`StoreService.stop` waits for open sessions to end before closing the database.
STOP_GRACE_S = 5.0


class StoreService:
    """The service of one home (see the module docstring).

    Args:
        home (`str | os.PathLike`): the store's folder (created if missing); its ``sora.duckdb`` is opened
            read-write and migrated.
    """

    def __init__(self, home: str | os.PathLike):
        self.home = Path(home).absolute()
        self.db_path = self.home / Store.DB_NAME
        self.socket_path: str | None = None
        self._lock_fh = None
        self._owned: OwnedDatabase | None = None
        self._listener: Listener | None = None
        self._key = secrets.token_bytes(32)
        self._stopping = threading.Event()
        self._sessions: set[_Session] = set()
        self._private_dir: str | None = None

    # ------------------------------------------------------------------------------------------ life
    def start(self) -> StoreService:
        """Take the file lock, open and migrate the database, listen, then announce the service (its file
        last, so a client that finds the file finds a service ready).

        Raises:
            StoreError: another service already serves this home, or the file is not a store.
        """
        self.home.mkdir(parents=True, exist_ok=True)
        self._lock_fh = open(lock_path(self.db_path), "a+b")
        delay = 0.001
        while True:  # direct users hold the lock briefly: wait for them; another service: refuse
            try:
                fcntl.flock(self._lock_fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                other = find_service(self.db_path)
                if other is not None:
                    self._lock_fh.close()
                    raise StoreError(f"a store service already serves {self.home} (pid {other.pid})") from None
                time.sleep(delay)
                delay = min(2 * delay, 0.05)
        try:
            with contextlib.suppress(FileNotFoundError):
                service_file(self.db_path).unlink()  # a killed service's: we hold the lock, so it is dead
            self._owned = OwnedDatabase(self.db_path, connect_db(self.db_path, read_only=False))
            self._owned.register()
            Store(self.home)  # migrations, through the connection just opened
            self._listen()
            self._announce()
        except BaseException:
            self._close()
            raise
        threading.Thread(target=self._accept_loop, name="store-service-accept", daemon=True).start()
        return self

    def _listen(self) -> None:
        path = str(self.db_path) + ".sock"
        if len(path) > MAX_SOCKET_PATH:  # too long for sun_path: a private folder of our own
            self._private_dir = tempfile.mkdtemp(prefix="sora-store-")
            path = os.path.join(self._private_dir, "sock")
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)  # a killed service's socket
        old = os.umask(0o077)  # the socket is created owner-only (no window where others could connect)
        try:
            self._listener = Listener(path, family="AF_UNIX")
        finally:
            os.umask(old)
        os.chmod(path, 0o600)
        self.socket_path = path

    def _announce(self) -> None:
        info = {"pid": os.getpid(), "socket": self.socket_path, "home": str(self.home), "key": self._key.hex()}
        target = service_file(self.db_path)
        tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(info, fh)
        os.replace(tmp, target)

    def stop(self) -> None:
        """Stop serving: the service file goes first (new operations open the file directly once the lock is
        free), open sessions get :data:`STOP_GRACE_S` to end, then the database is closed (checkpointed)
        and the lock released."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        with contextlib.suppress(FileNotFoundError):
            service_file(self.db_path).unlink()
        if self.socket_path:
            with contextlib.suppress(OSError), Client(self.socket_path, family="AF_UNIX"):
                pass  # wakes the accept loop, which then sees the flag
        deadline = time.monotonic() + STOP_GRACE_S
        while any(s.stack is not None for s in list(self._sessions)) and time.monotonic() < deadline:
            time.sleep(0.01)  # a session in progress finishes (idle pooled connections are not waited for)
        for s in list(self._sessions):
            with contextlib.suppress(OSError), socket.socket(fileno=os.dup(s.conn.fileno())) as sock:
                sock.shutdown(socket.SHUT_RDWR)  # wakes its thread with end-of-file: it rolls back and ends
        for s in list(self._sessions):  # no thread may still use a cursor when the database closes
            s.thread.join(max(0.5, deadline - time.monotonic()))
        self._close()

    def _close(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.close()
            self._listener = None
        if self.socket_path:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.socket_path)
        if self._private_dir:
            with contextlib.suppress(OSError):
                os.rmdir(self._private_dir)
        if self._owned is not None:
            self._owned.unregister()
            with contextlib.suppress(duckdb.Error):
                self._owned.con.close()
            self._owned = None
        if self._lock_fh is not None:
            fcntl.flock(self._lock_fh, fcntl.LOCK_UN)
            self._lock_fh.close()
            self._lock_fh = None

    # ------------------------------------------------------------------------------------- sessions
    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                conn = self._listener.accept()
            except OSError:
                if self._stopping.is_set():
                    return
                continue
            if self._stopping.is_set():
                conn.close()
                return
            threading.Thread(target=self._serve_client, args=(conn,), name="store-session", daemon=True).start()

    def _serve_client(self, conn: Connection) -> None:
        try:
            if not _same_user(conn):
                return
            try:
                deliver_challenge(conn, self._key)
                answer_challenge(conn, self._key)
                conn.send(str(self.home))
            except Exception:  # wrong key, or it hung up: never read a message from it
                return
            session = _Session(self._owned, conn)
            self._sessions.add(session)
            try:
                session.run()
            finally:
                self._sessions.discard(session)
        finally:
            conn.close()


def _same_user(conn: Connection) -> bool:
    """True when the peer process runs as this service's user (SO_PEERCRED): belt and braces with the
    socket's mode 0600 and the key."""
    with socket.socket(fileno=os.dup(conn.fileno())) as s:
        creds = s.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return uid == os.getuid()


class _Session:
    """One client connection: a store session at a time, each on its own DuckDB cursor (id 0) plus the
    cursors the client makes inside it."""

    def __init__(self, owned: OwnedDatabase, conn: Connection):
        self.owned = owned
        self.conn = conn
        self.stack: contextlib.ExitStack | None = None
        self.thread = threading.current_thread()
        self.write = False
        self.cursors: dict[int, duckdb.DuckDBPyConnection] = {}
        self.next_id = 1

    def run(self) -> None:
        try:
            while True:
                try:
                    requests = self.conn.recv()  # [(cursor id, operation, arguments), ...], answered once
                except (EOFError, OSError):
                    return  # the client went: its open transaction is rolled back below
                try:
                    for cid, op, args in requests:
                        reply = ("ok", self.handle(cid, op, args))
                except Exception as exc:  # the first error answers the message; the rest is not run
                    reply = ("err", *_describe(exc))
                try:
                    self.conn.send(reply)
                except (pickle.PicklingError, TypeError, AttributeError) as exc:
                    self.conn.send(("err", *_describe(exc)))
                except OSError:
                    return
        finally:
            self.end()

    def end(self) -> None:
        for cid, cur in list(self.cursors.items()):
            if cid:
                with contextlib.suppress(duckdb.Error):
                    cur.close()
        self.cursors = {}
        if self.stack is not None:
            with contextlib.suppress(duckdb.Error):
                self.stack.close()  # rolls back what the client left open, releases the write turn
            self.stack = None

    def handle(self, cid: int, op: str, args: tuple) -> Any:
        if op == "begin_session":
            self.end()
            self.write = bool(args[0])
            self.stack = contextlib.ExitStack()
            self.cursors = {0: self.stack.enter_context(self.owned.session(self.write))}
            return None
        if op == "end_session":
            self.end()
            return None
        cur = self.cursors.get(cid)
        if cur is None:
            raise StoreError("no store session is open on this connection")
        if op == "execute":
            query, params = args
            cur.execute(query) if params is None else cur.execute(query, params)
            return _description(cur)
        if op == "executemany":
            query, params = args
            cur.executemany(query, params)
            return _description(cur)
        if op == "fetch":
            method, margs = args
            if method not in _FETCHES:
                raise ValueError(f"unknown fetch {method!r}")
            return getattr(cur, method)(*margs)
        if op == "sql":
            query, params, method = args
            if method not in _RELATION_FETCHES:
                raise ValueError(f"unknown relation fetch {method!r}")
            return getattr(cur.sql(query, params=params), method)()
        if op == "register":
            cur.register(*args)
            return None
        if op == "unregister":
            cur.unregister(*args)
            return None
        if op in ("begin", "commit", "rollback"):
            getattr(cur, op)()
            return None
        if op == "cursor":
            new = cur.cursor()
            if not self.write:
                new.execute("BEGIN TRANSACTION READ ONLY")
            self.cursors[self.next_id] = new
            self.next_id += 1
            return self.next_id - 1
        if op == "close":
            if cid:
                self.cursors.pop(cid).close()
            return None
        raise ValueError(f"unknown store service operation {op!r}")


_FETCHES = frozenset({"fetchall", "fetchone", "fetchmany", "df", "fetchnumpy", "fetch_arrow_table"})
_RELATION_FETCHES = frozenset({"to_arrow_table", "fetchall", "fetchone", "df", "fetchnumpy"})


def _description(cur: duckdb.DuckDBPyConnection) -> list[tuple] | None:
    """``cur.description`` with each column's type as its name (DuckDB's type objects do not pickle)."""
    if cur.description is None:
        return None
    return [(d[0], str(d[1]), *d[2:]) for d in cur.description]


def _describe(exc: BaseException) -> tuple[str, str, str]:
    """(module, class name, message) of an error, for the client to raise the same class."""
    if isinstance(exc, duckdb.Error):
        return "duckdb", type(exc).__name__, str(exc)
    if type(exc).__module__ == "builtins":
        return "builtins", type(exc).__name__, str(exc)
    return "", type(exc).__name__, str(exc)


# ------------------------------------------------------------------------------------ running one


def serve_forever(home: str | os.PathLike, *, announce=print, parent_pid: int | None = None) -> int:
    """Run the service of ``home`` in this process until SIGTERM or Ctrl-C (``sora-widgets store-serve``).

    Args:
        home (`str | os.PathLike`): the store's folder.
        announce (`callable`): called with one line once the service is ready (``print`` by default).
        parent_pid (`int`, *optional*): also stop when this process is no longer our parent (it died):
            a deployment killed without its `finally` must not leave its service holding the store.
    Returns:
        0 when stopped.
    """
    stopped = threading.Event()

    def _on_signal(_signum, _frame):
        stopped.set()

    # Before start(): the service is announced inside it, and a SIGTERM right after must stop it cleanly.
    old = {s: signal.signal(s, _on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        service = StoreService(home).start()
    except BaseException:
        for s, h in old.items():
            signal.signal(s, h)
        raise
    try:
        announce(f"store service for {service.home} on {service.socket_path} (pid {os.getpid()}); "
                 "stop it with Ctrl-C or SIGTERM")
        with contextlib.suppress(AttributeError):
            sys.stdout.flush()
        while not stopped.wait(1.0):
            if parent_pid is not None and os.getppid() != parent_pid:
                break
    finally:
        service.stop()
        for s, h in old.items():
            signal.signal(s, h)
    return 0


def spawn(home: str | os.PathLike, *, timeout_s: float = 60.0, env: dict | None = None) -> subprocess.Popen:
    """Start ``sora-widgets store-serve`` for ``home`` in a new process and wait until it serves. It stops
    by itself if this process dies without stopping it.

    Args:
        home (`str | os.PathLike`): the store's folder.
        timeout_s (`float`): seconds to wait for it to be ready.
        env (`dict`, *optional*): the environment of the process (default: this one's).
    Raises:
        StoreError: it exited or did not get ready in time (its output is in the message).
    """
    home = Path(home).absolute()
    out = tempfile.TemporaryFile("w+")  # not a pipe: nobody reads it while the service runs
    argv = [sys.executable, "-m", "sora_widgets.cli", "--home", str(home), "store-serve",
            "--parent-pid", str(os.getpid())]
    proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, text=True, env=env)
    proc.output_file = out
    db_path = home / Store.DB_NAME
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out.seek(0)
            raise StoreError(f"the store service of {home} did not start: {out.read().strip()}")
        client = find_service(db_path)
        if client is not None and client.pid == proc.pid:
            return proc
        time.sleep(0.02)
    stop(proc)
    raise StoreError(f"the store service of {home} was not ready after {timeout_s:.0f} s")


def running(home: str | os.PathLike) -> int | None:
    """The pid of the service serving ``home`` now, or None.

    Raises:
        StoreError: a socket answers for this home without its key (see ``remote.find_service``).
    """
    backend = find_service(Path(home).absolute() / Store.DB_NAME)
    return getattr(backend, "pid", None)


def stop(proc: subprocess.Popen, *, timeout_s: float = 30.0) -> int:
    """Stop a service started by :func:`spawn` (SIGTERM, then SIGKILL after ``timeout_s``); its exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    out = getattr(proc, "output_file", None)
    if out is not None:
        out.close()
    return proc.returncode
