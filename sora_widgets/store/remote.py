"""How a process reaches the store's DuckDB file: directly under the file lock, or through the store service.

A DuckDB file can be open read-write by one process only. Without a service, every store operation opens
the file under an OS lock and closes it again (:func:`db_file_lock`), about 35 ms a time at load. With a
service (``sora-widgets store-serve``, :mod:`sora_widgets.store.service`), one long-lived process owns the
file and holds that lock exclusively for its whole life; every other process talks to it over a Unix
socket in the store's home. :func:`turn` decides which, per operation:

- the service of this home is running (its file ``sora.duckdb.service`` is there and its socket answers
  with this home's key): the operation runs as a session of the service;
- else the file is opened directly under the lock, as before. A process waiting on that lock looks again
  for a service while it waits, because a service that started meanwhile keeps the lock until it stops.

The client side (:class:`RemoteConnection`) has the methods the product calls on a
``duckdb.DuckDBPyConnection`` (``execute``, ``executemany``, ``fetchall``, ``fetchone``, ``fetchmany``,
``df``, ``fetchnumpy``, ``fetch_arrow_table``, ``sql(...).to_arrow_table()``, ``register``, ``cursor``,
``begin``/``commit``/``rollback``, ``description``) and returns the same Python values; DuckDB's errors
come back as the same ``duckdb`` exception classes, so ``except duckdb.ConstraintException`` still works.
A service that dies under an operation raises :class:`StoreError` in words.

Security: the socket and the service file are the owner's only (mode 0600); the file holds a random key
and both ends prove they know it (``multiprocessing.connection``'s HMAC challenge, both ways) before any
message is read, so another home's service, or anyone who cannot read this home, is refused. Messages are
pickles, which is why nothing is unpickled before that proof.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import threading
import time
from collections.abc import Iterator
from multiprocessing.connection import Client, Connection, answer_challenge, deliver_challenge
from pathlib import Path
from typing import Any

import duckdb

from .errors import StoreError

__all__ = [
    "SERVICE_SUFFIX",
    "OwnedDatabase",
    "RemoteConnection",
    "ServiceClient",
    "db_file_lock",
    "find_service",
    "service_file",
    "turn",
]

#: The file beside ``sora.duckdb`` that says a service owns it: ``sora.duckdb.service`` (JSON: pid, socket,
#: home, key; mode 0600). Written last when the service starts, removed first when it stops.
SERVICE_SUFFIX = ".service"
#: Longest Unix socket path Linux accepts (``sun_path`` is 108 bytes with its NUL): longer homes put the
#: socket in a private temporary folder and name it in the service file.
MAX_SOCKET_PATH = 100
#: The longest a direct opener sleeps between looks while the lock is busy (doubling from 1 ms), seconds.
_POLL_MAX_S = 0.01


def lock_path(db_path: str | os.PathLike) -> Path:
    """The lock file every process takes before opening ``db_path``: ``<db_path>.lock``."""
    return Path(str(db_path) + ".lock")


def service_file(db_path: str | os.PathLike) -> Path:
    """Where the service owning ``db_path`` announces itself: ``<db_path>.service``."""
    return Path(str(db_path) + SERVICE_SUFFIX)


@contextlib.contextmanager
def db_file_lock(db_path: str | os.PathLike, *, write: bool) -> Iterator[None]:
    """Hold the OS lock every process takes before opening ``db_path`` (``<db_path>.lock``):
    exclusive to write, shared to read. A killed process drops it; the kernel does the bookkeeping.

    While a store service runs it holds this lock exclusively: use :func:`turn`, which finds the service."""
    with open(lock_path(db_path), "a+b") as lock_fh:
        fcntl.flock(lock_fh, fcntl.LOCK_EX if write else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(lock_fh, fcntl.LOCK_UN)


# ------------------------------------------------------------------------------------------- the turn


@contextlib.contextmanager
def turn(db_path: str | os.PathLike, *, write: bool) -> Iterator[OwnedDatabase | ServiceClient | None]:
    """Whose turn it is to reach ``db_path``: yields the backend to open a session on (the database this
    process owns, or the running service's client), or None while holding the file lock for a direct open.

    Args:
        db_path (`str | os.PathLike`): the database file (``<home>/sora.duckdb``).
        write (`bool`): a direct opener takes the lock exclusively (True) or shared (False).
    """
    backend = find_service(db_path)
    if backend is not None:
        yield backend
        return
    with open(lock_path(db_path), "a+b") as lock_fh:
        mode = fcntl.LOCK_EX if write else fcntl.LOCK_SH
        delay = 0.001
        while True:
            try:
                fcntl.flock(lock_fh, mode | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                # A direct user holds it briefly, or a service took it for its lifetime: look for the service.
                backend = find_service(db_path)
                if backend is not None:
                    break
                time.sleep(delay)
                delay = min(2 * delay, _POLL_MAX_S)
        if backend is not None:
            lock_fh.close()
            yield backend
            return
        try:
            # Holding the lock proves no service runs (it would hold it): a service file left here is a
            # killed service's, removed so later operations skip the dead socket.
            with contextlib.suppress(FileNotFoundError):
                service_file(db_path).unlink()
            yield None
        finally:
            fcntl.flock(lock_fh, fcntl.LOCK_UN)


# ------------------------------------------------------------------------ the database this process owns

_owned: dict[str, OwnedDatabase] = {}


class OwnedDatabase:
    """The one read-write DuckDB connection of the process that owns the file (the service), and the lock
    that lets one write session at a time in.

    Writers are serialised, as the file lock serialised them before the service: every rule that reads
    and then writes (a teen's daily limit, a handle being free) sees the writes before it, which snapshot
    isolation alone would not give two concurrent transactions. Readers are not serialised: each read
    session is a read-only DuckDB transaction, a consistent snapshot that never waits for a writer.
    """

    def __init__(self, db_path: str | os.PathLike, con: duckdb.DuckDBPyConnection):
        self.db_path = str(db_path)
        self.con = con
        self.write_lock = threading.Lock()

    def register(self) -> None:
        """Make :func:`turn` in this process use this connection for ``db_path``."""
        _owned[self.db_path] = self

    def unregister(self) -> None:
        _owned.pop(self.db_path, None)

    @contextlib.contextmanager
    def session(self, write: bool) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor of the owned connection for one store operation: write sessions one at a time (the
        caller begins and commits its transaction), read sessions inside a read-only transaction."""
        cur = self.con.cursor()
        try:
            if write:
                with self.write_lock:
                    try:
                        yield cur
                    finally:
                        with contextlib.suppress(duckdb.Error):
                            cur.rollback()  # an unfinished transaction (the client went away) is undone
            else:
                cur.execute("BEGIN TRANSACTION READ ONLY")
                try:
                    yield cur
                finally:
                    with contextlib.suppress(duckdb.Error):
                        cur.rollback()
        finally:
            cur.close()


# ------------------------------------------------------------------------------------------ the client

_clients: dict[str, ServiceClient] = {}
_clients_lock = threading.Lock()


def find_service(db_path: str | os.PathLike) -> OwnedDatabase | ServiceClient | None:
    """The backend that owns ``db_path`` now: this process's own database, the running service's client,
    or None (no service, or only a dead one's file).

    Raises:
        StoreError: a socket answers for this home but does not know its key (another home's service).
    """
    key = str(db_path)
    owned = _owned.get(key)
    if owned is not None:
        return owned
    info_path = service_file(key)
    try:
        st = info_path.stat()
    except FileNotFoundError:
        _clients.pop(key, None)
        return None
    stamp = (st.st_ino, st.st_mtime_ns, os.getpid())
    client = _clients.get(key)
    if client is None or client.stamp != stamp:
        try:
            info = json.loads(info_path.read_text())
            client = ServiceClient(key, info, stamp)
        except (OSError, ValueError, KeyError, TypeError):
            return None  # being written, or a broken leftover: not a service
        with _clients_lock:
            _clients[key] = client
    return client if client.alive() else None


class ServiceClient:
    """The connections of this process to one store service (a pool: one per concurrent session)."""

    def __init__(self, db_path: str, info: dict[str, Any], stamp: tuple):
        self.db_path = db_path
        self.home = str(Path(db_path).parent)
        self.pid = int(info["pid"])
        self.socket = str(info["socket"])
        self.key = bytes.fromhex(info["key"])
        self.stamp = stamp
        self._idle: list[Connection] = []
        self._unanswered: set[int] = set()  # ids of idle connections whose end_session reply is unread
        self._lock = threading.Lock()

    def _connect(self) -> Connection | None:
        """A new authenticated connection, or None when nothing listens (the service is gone)."""
        try:
            conn = Client(self.socket, family="AF_UNIX")
        except OSError as exc:
            if exc.errno in (errno.ENOENT, errno.ECONNREFUSED, errno.ENOTSOCK):
                return None
            raise
        try:
            answer_challenge(conn, self.key)
            deliver_challenge(conn, self.key)
            home = conn.recv()
        except Exception as exc:  # AuthenticationError, or a peer that hung up: not this home's service
            conn.close()
            raise StoreError(
                f"refused the store service socket {self.socket}: it does not hold the key of {self.home} "
                "(another home's service, or a stranger's socket). Stop that service or remove "
                f"{service_file(self.db_path)} if no service of this home runs.") from exc
        if home != self.home:
            conn.close()
            raise StoreError(f"refused the store service socket {self.socket}: it serves {home}, not {self.home}")
        return conn

    def alive(self) -> bool:
        """True when the service answers: its process exists and a pooled connection is idle, or a new one
        connects (a killed service's file and socket stay behind: then False, and the store is opened
        directly)."""
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass  # someone else's process has the pid now: the socket decides
        with self._lock:
            if self._idle:
                return True
        conn = self._connect()
        if conn is None:
            return False
        with self._lock:
            self._idle.append(conn)
        return True

    def _take(self) -> Connection:
        while True:
            with self._lock:
                if not self._idle:
                    break
                conn = self._idle.pop()
                unanswered = id(conn) in self._unanswered
                self._unanswered.discard(id(conn))
            if not unanswered:
                return conn
            try:
                conn.recv()  # the previous session's end, sent without waiting
                return conn
            except (OSError, EOFError):
                conn.close()
        conn = self._connect()
        if conn is None:
            raise self.gone(None)
        return conn

    def _give_back(self, conn: Connection, *, unanswered: bool = False) -> None:
        with self._lock:
            self._idle.append(conn)
            if unanswered:
                self._unanswered.add(id(conn))

    def gone(self, exc: BaseException | None, *, committing: bool = False) -> StoreError:
        """The error for a service that stopped answering; ``committing``: it went during a commit."""
        with self._lock:
            for c in self._idle:
                with contextlib.suppress(OSError):
                    c.close()
            self._idle.clear()
        _clients.pop(self.db_path, None)
        what = ("it went while committing: check whether the change was saved before doing it again"
                if committing else "nothing of the transaction in progress was saved")
        return StoreError(
            f"the store service of {self.home} (pid {self.pid}) stopped answering ({exc or 'no socket'}); "
            f"{what}. Start it again (sora-widgets --home {self.home} store-serve), or stop the deployment "
            "to use the store directly.")

    @contextlib.contextmanager
    def session(self, write: bool) -> Iterator[RemoteConnection]:
        """One session on the service (its own DuckDB cursor there) for one store operation: write sessions
        one at a time, read sessions a read-only transaction (see :class:`OwnedDatabase`)."""
        conn = self._take()
        # Round trips are what a session costs: the session begins with its first statement (one message)
        # and ends without waiting for the answer (read when the connection is next taken).
        rc = RemoteConnection(self, conn, 0, begin=write)
        try:
            yield rc
        finally:
            if rc._broken:
                conn.close()
            elif rc._begin is not None:
                self._give_back(conn)  # nothing was sent: no session was opened there
            else:
                try:
                    conn.send([(0, "end_session", ())])
                    self._give_back(conn, unanswered=True)
                except OSError:
                    conn.close()


def _exception(module: str, name: str, message: str) -> BaseException:
    """DuckDB's (or Python's) exception class of the name the service sent, with its message."""
    if module == "duckdb":
        cls = getattr(duckdb, name, None)
        if isinstance(cls, type) and issubclass(cls, duckdb.Error):
            return cls(message)
        return duckdb.Error(message)
    import builtins

    cls = getattr(builtins, name, None)
    if isinstance(cls, type) and issubclass(cls, Exception):
        try:
            return cls(message)
        except TypeError:
            pass
    return StoreError(f"{name}: {message}")


class RemoteConnection:
    """A DuckDB connection (or cursor) living in the store service, used as a ``duckdb.DuckDBPyConnection``.

    Each method is one round trip on the session's socket; results come back as DuckDB returns them
    (rows as tuples, DataFrames, numpy dicts, Arrow tables).
    """

    def __init__(self, client: ServiceClient, conn: Connection, cid: int, *, begin: bool | None = None):
        self._client = client
        self._conn = conn
        self._cid = cid
        self._begin = begin  # the session's write flag until its begin is sent with the first call
        self._broken = False
        self.description: list | None = None

    def _call(self, op: str, *args: Any) -> Any:
        if self._broken:
            if op == "rollback":
                return None  # the transaction died with the service: nothing is left to undo
            raise StoreError("this store session ended when the service stopped answering")
        requests = [(self._cid, op, args)]
        if self._begin is not None:
            requests.insert(0, (0, "begin_session", (self._begin,)))
            self._begin = None
        try:
            self._conn.send(requests)
            reply = self._conn.recv()
        except (OSError, EOFError) as exc:
            self._broken = True
            raise self._client.gone(exc, committing=op == "commit") from exc
        if reply[0] == "ok":
            return reply[1]
        raise _exception(*reply[1:])

    # statements
    def execute(self, query: str, parameters: Any = None) -> RemoteConnection:
        """Run one statement (``parameters``: a list or dict, as DuckDB takes them); returns self."""
        self.description = self._call("execute", query, parameters)
        return self

    def executemany(self, query: str, parameters: Any = None) -> RemoteConnection:
        """Run one statement once per parameter set; returns self."""
        self.description = self._call("executemany", query, parameters)
        return self

    def sql(self, query: str, params: Any = None) -> RemoteRelation:
        """A relation of ``query`` (run when fetched, as DuckDB's are)."""
        return RemoteRelation(self, query, params)

    # results
    def fetchall(self) -> list[tuple]:
        return self._call("fetch", "fetchall", ())

    def fetchone(self) -> tuple | None:
        return self._call("fetch", "fetchone", ())

    def fetchmany(self, size: int = 1) -> list[tuple]:
        return self._call("fetch", "fetchmany", (size,))

    def df(self):
        return self._call("fetch", "df", ())

    fetchdf = df

    def fetchnumpy(self) -> dict:
        return self._call("fetch", "fetchnumpy", ())

    def fetch_arrow_table(self):
        return self._call("fetch", "fetch_arrow_table", ())

    arrow = fetch_arrow_table

    # the rest of the connection
    def register(self, view_name: str, python_object: Any) -> RemoteConnection:
        """Make a DataFrame or Arrow table a view of this connection (copied to the service)."""
        self._call("register", view_name, python_object)
        return self

    def unregister(self, view_name: str) -> RemoteConnection:
        self._call("unregister", view_name)
        return self

    def cursor(self) -> RemoteConnection:
        """Another cursor in the same session (DuckDB's ``con.cursor()``: its own statements, not this
        transaction); close it when done."""
        return RemoteConnection(self._client, self._conn, self._call("cursor"))

    def begin(self) -> RemoteConnection:
        self._call("begin")
        return self

    def commit(self) -> RemoteConnection:
        self._call("commit")
        return self

    def rollback(self) -> RemoteConnection:
        self._call("rollback")
        return self

    def close(self) -> None:
        """Close a cursor made by :meth:`cursor` (the session's own connection ends with the session)."""
        if self._cid and not self._broken:
            self._call("close")


class RemoteRelation:
    """What :meth:`RemoteConnection.sql` returns: fetched with ``to_arrow_table``, ``fetchall``, ``df`` …"""

    def __init__(self, con: RemoteConnection, query: str, params: Any):
        self._con, self._query, self._params = con, query, params

    def _fetch(self, method: str) -> Any:
        return self._con._call("sql", self._query, self._params, method)

    def to_arrow_table(self):
        return self._fetch("to_arrow_table")

    arrow = fetch_arrow_table = to_arrow_table

    def fetchall(self) -> list[tuple]:
        return self._fetch("fetchall")

    def fetchone(self) -> tuple | None:
        return self._fetch("fetchone")

    def df(self):
        return self._fetch("df")

    fetchdf = df

    def fetchnumpy(self) -> dict:
        return self._fetch("fetchnumpy")
