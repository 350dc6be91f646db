"""The Store: one DuckDB file plus content-addressed media beside it.

Many processes, one file
------------------------
DuckDB lets one process open a file for writing at a time; Voila runs a kernel
per visitor. Rather than a long-lived connection, every operation opens the
database under an OS file lock (``fcntl.flock`` on ``sora.duckdb.lock``) and
closes it before releasing the lock: writers take the lock exclusively and open
read-write, readers share it and open read-only. So any number of kernels can
use one home without "could not set lock" errors, a write is never lost (it is
committed and checkpointed before the next process gets the file), and readers
never see half a transaction. The lock dies with its process, so a killed
writer cannot wedge the others. Within a process, nested use on the same
thread re-uses the connection already held.

The Store holds no policy: who may see, remix or decide is checked in the
service modules, which call these methods.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import importlib.resources
import json
import os
import re
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from ..media import Clip, EncodedMP4, MediaError, MediaLimits, atomic_write_bytes
from .errors import NotFound, StoreError
from .lineage_index import index_missing
from .remote import db_file_lock, turn  # noqa: F401  (db_file_lock: re-exported)

__all__ = ["Store", "open_store", "default_home", "StoreError", "NotFound", "ROLES", "CLIP_STATUSES", "parse_date"]

ROLES = ("creator", "reviewer", "admin", "guardian")
CLIP_STATUSES = ("draft", "published", "held", "removed", "hidden")
_HANDLE_RE = re.compile(r"^[a-z0-9_][a-z0-9_.]{1,29}$")
# Stored clips were made or accepted by us already: no upload limits on reading them back.
_NO_LIMITS = MediaLimits(max_bytes=1 << 62, max_duration_s=1e9, max_side_px=1 << 20, min_frames=1,
                         max_frame_bytes=1 << 62, max_source_pixels=1 << 62, max_sample_rate=192_000)


#: Every DuckDB connection of the product: DuckDB never installs or loads an extension by itself (a file
#: that is not ours made it try the network for one), and no community extension can be loaded.
DUCKDB_CONFIG = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
}

_SQLITE_MAGIC = b"SQLite format 3\x00"
_DUCKDB_MAGIC = b"DUCK"  # bytes 8-11 of every DuckDB database file


def connect_db(db_path: str | os.PathLike, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    """Open the DuckDB file ``db_path`` with :data:`DUCKDB_CONFIG`; a file that is not a DuckDB database
    (or is damaged) raises :class:`StoreError` saying so in words, and is left as it is.

    Args:
        db_path (`str | os.PathLike`): the database file (``<home>/sora.duckdb``); created if missing and
            ``read_only`` is False.
        read_only (`bool`): open for reading only (shared with other readers).
    """
    path = Path(db_path)
    _check_file_kind(path)
    try:
        return duckdb.connect(str(path), read_only=read_only, config=dict(DUCKDB_CONFIG))
    except duckdb.Error as exc:
        raise StoreError(
            f"{path} cannot be opened: it is damaged or not a sora-widgets database. Restore it from a backup, "
            "or move it away to start an empty store (or point SORA_WIDGETS_HOME at the right folder)."
        ) from exc


def _check_file_kind(path: Path) -> None:
    """Refuse a file that is plainly not a DuckDB database (SQLite, text, random bytes) before DuckDB reads it."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except FileNotFoundError:
        return
    if not head:
        return  # an empty file: DuckDB makes a database of it
    if head.startswith(_SQLITE_MAGIC):
        what = "a SQLite database"
    elif head[8:12] != _DUCKDB_MAGIC:
        what = "not a database file at all"
    else:
        return
    raise StoreError(
        f"{path} is not a sora-widgets database: it is {what}. Move it away (a new store is created in its "
        "place), or point SORA_WIDGETS_HOME at the folder of your store.")


def _disk_full(exc: BaseException) -> bool:
    return (isinstance(exc, OSError) and exc.errno == errno.ENOSPC) or "No space left on device" in str(exc)


def disk_full_error(home: str | os.PathLike, exc: BaseException) -> StoreError:
    """The error for a write that failed because the disk is full: the real cause and what to do."""
    return StoreError(
        f"the store could not save: No space left on device (the disk holding {home} is full). Nothing of this "
        "change was saved. Free some space on that disk, or move the store to a larger one (set "
        "SORA_WIDGETS_HOME), and try again.")


@contextlib.contextmanager
def committed(con: duckdb.DuckDBPyConnection, home: str | os.PathLike | None = None,
              ) -> Iterator[duckdb.DuckDBPyConnection]:
    """One transaction on ``con``: committed if the block ends normally, rolled back on any exception.
    ``home``: the store's folder, named in the full-disk message.

    When the commit itself fails (a full disk), DuckDB has already ended the transaction: the rollback
    would raise "no transaction is active" and hide the real cause, so its error is dropped and the
    commit's is raised (as :class:`StoreError` for a full disk).
    """
    con.begin()
    try:
        yield con
        con.commit()
    except BaseException as exc:
        with contextlib.suppress(duckdb.Error):
            con.rollback()
        if _disk_full(exc):
            raise disk_full_error(home or "the store", exc) from exc
        raise


def default_home() -> Path:
    """``$SORA_WIDGETS_HOME`` if set, else ``./data``."""
    return Path(os.environ.get("SORA_WIDGETS_HOME") or "data")


def open_store(home: str | os.PathLike | None = None) -> Store:
    """Open (creating and migrating if needed) the store in ``home``."""
    return Store(Path(home) if home is not None else default_home())


def _json_default(o: Any) -> Any:
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist() if o.size <= 64 else f"<array {o.shape} {o.dtype}>"
    if isinstance(o, (dt.date, dt.datetime)):
        return o.isoformat()
    if isinstance(o, (set, frozenset, tuple)):
        return list(o)
    if isinstance(o, Path):
        return str(o)
    return repr(o)


def to_json(obj: Any) -> str:
    """JSON text for the store, tolerant of numpy values and dates."""
    return json.dumps(obj, default=_json_default)


def new_id(prefix: str = "") -> str:
    return prefix + uuid.uuid4().hex[:16]


class Store:
    """A sora-widgets home: ``sora.duckdb`` + ``media/``. Safe to use from many processes."""

    DB_NAME = "sora.duckdb"

    def __init__(self, home: Path):
        self.home = Path(home).absolute()
        self.home.mkdir(parents=True, exist_ok=True)
        self.db_path = self.home / self.DB_NAME
        self.media_dir = self.home / "media"
        self.media_dir.mkdir(exist_ok=True)
        self._local = threading.local()
        self.migrate()

    def __repr__(self) -> str:
        return f"Store({str(self.home)!r})"

    # ----------------------------------------------------------- connections
    @contextlib.contextmanager
    def _connection(self, write: bool) -> Iterator[duckdb.DuckDBPyConnection]:
        held = getattr(self._local, "held", None)
        if held is not None:
            con, held_write = held
            if write and not held_write:
                raise StoreError("cannot write inside a read-only block; use store.transaction()")
            yield con
            return
        if not write and not self.db_path.exists():
            write = True  # first use: the file must be created
        # The home's store service when one runs (one long-lived DuckDB; remote.turn), else the file itself.
        with turn(self.db_path, write=write) as backend:
            with (backend.session(write) if backend is not None
                  else contextlib.closing(connect_db(self.db_path, read_only=not write))) as con:
                self._local.held = (con, write)
                try:
                    yield con
                finally:
                    self._local.held = None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection inside one transaction, committed on success.

        Service functions do all their checks and writes in one of these, so a
        rule and the write it guards see the same data.
        """
        held = getattr(self._local, "held", None)
        if held is not None and held[1] and getattr(self._local, "in_tx", False):
            yield held[0]  # nested: join the outer transaction
            return
        with self._connection(write=True) as con:
            self._local.in_tx = True
            try:
                with committed(con, self.home):
                    yield con
            finally:
                self._local.in_tx = False

    @contextlib.contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection (shared with other readers)."""
        with self._connection(write=False) as con:
            yield con

    def sql(self, query: str, params: list | dict | None = None):
        """Run a read-only SQL query and return a pandas DataFrame (for analysts)."""
        with self.read() as con:
            return con.execute(query, params or []).df()

    # ------------------------------------------------------------ migrations
    @staticmethod
    def migrations() -> list[tuple[int, str, str]]:
        """(version, name, sql) of every migration shipped, in order."""
        folder = importlib.resources.files("sora_widgets.store") / "migrations"
        out = []
        for entry in folder.iterdir():
            m = re.match(r"^(\d+)_(.+)\.sql$", entry.name)
            if m:
                out.append((int(m.group(1)), m.group(2), entry.read_text()))
        return sorted(out)

    def schema_version(self) -> int:
        with self.read() as con:
            return int(con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0])

    def migrate(self, upto: int | None = None) -> int:
        """Apply pending migrations (each in its own transaction); returns the schema version.

        A DuckDB file with tables of its own but none of ours is someone else's database: refused
        (:class:`StoreError`), never written to; a damaged one is refused with words, not DuckDB's.
        """
        try:
            return self._migrate(upto)
        except duckdb.Error as exc:
            if _disk_full(exc):
                raise disk_full_error(self.home, exc) from exc
            raise StoreError(
                f"{self.db_path} is damaged and cannot be read. Restore it from a backup, or move it away to "
                "start an empty store (or point SORA_WIDGETS_HOME at the right folder).") from exc

    def _migrate(self, upto: int | None) -> int:
        with self.transaction() as con:
            tables = {r[0] for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
            if tables and "schema_migrations" not in tables:
                raise StoreError(
                    f"{self.db_path} is not a sora-widgets database: it is another DuckDB database (tables "
                    f"{', '.join(sorted(tables)[:5])}). Move it away, or point SORA_WIDGETS_HOME at the folder "
                    "of your store.")
            con.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                "version INTEGER PRIMARY KEY, name TEXT, applied_at TIMESTAMP DEFAULT current_timestamp)"
            )
            done = {r[0] for r in con.execute("SELECT version FROM schema_migrations").fetchall()}
            for version, name, sql in self.migrations():
                if version in done or (upto is not None and version > upto):
                    continue
                con.execute(sql)
                con.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [version, name])
            return int(con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0])

    # ----------------------------------------------------------------- users
    def create_user(
        self,
        handle: str,
        *,
        birthdate: str | dt.date,
        role: str = "creator",
        display_name: str | None = None,
        birthdate_confirmed: bool = True,
    ) -> str:
        """Add a user with the birthdate the caller states; returns the normalised handle.

        Age rules live in the services: product code creates accounts through
        ``sora_widgets.social.accounts.sign_up`` (which refuses under-13s).
        ``birthdate_confirmed``: False records a birthdate nobody confirmed (the
        user then gets teen protections until ``accounts.confirm_birthdate``).
        """
        h = normalise_handle(handle)
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}; got {role!r}")
        bd = parse_date(birthdate)
        with self.transaction() as con:
            if con.execute("SELECT 1 FROM users WHERE handle = ?", [h]).fetchone():
                raise StoreError(f"the handle @{h} is taken; choose another")
            con.execute(
                "INSERT INTO users (handle, birthdate, role, display_name, birthdate_confirmed) VALUES (?, ?, ?, ?, ?)",
                [h, bd, role, display_name, bool(birthdate_confirmed)],
            )
            self.audit(h, "user.create", "user", h, {"role": role}, con=con)
        return h

    _USER_COLUMNS = ("handle", "birthdate", "role", "display_name", "created_at", "birthdate_confirmed")

    def get_user(self, handle: str) -> dict[str, Any]:
        """The user's row: handle, birthdate, role, display_name, created_at, birthdate_confirmed."""
        h = normalise_handle(handle)
        with self.read() as con:
            row = con.execute(f"SELECT {', '.join(self._USER_COLUMNS)} FROM users WHERE handle = ?", [h]).fetchone()
        if row is None:
            raise NotFound(f"no user @{h}")
        return dict(zip(self._USER_COLUMNS, row, strict=True))

    # ----------------------------------------------------------------- media
    def put_media(self, data: bytes, *, mime: str, suffix: str, con: duckdb.DuckDBPyConnection | None = None) -> str:
        """Store bytes content-addressed (atomic write); returns the SHA-256 hex digest.

        The file is written before the row that refers to it, so a crash leaves at
        worst an unreferenced file, never a row pointing at a missing one.
        """
        digest = hashlib.sha256(data).hexdigest()
        rel = Path("media") / digest[:2] / f"{digest}{suffix}"
        path = self.home / rel
        if not path.exists() or path.stat().st_size != len(data):
            self._write_media_file(path, data)
        with contextlib.ExitStack() as stack:
            if con is None:
                con = stack.enter_context(self.transaction())
            con.execute(
                "INSERT INTO media (hash, path, bytes, mime) VALUES (?, ?, ?, ?) ON CONFLICT (hash) DO NOTHING",
                [digest, str(rel), len(data), mime],
            )
        return digest

    def _write_media_file(self, path: Path, data: bytes) -> None:
        """Write a media file atomically; a full disk is a :class:`StoreError` that says so (nothing is left)."""
        try:
            atomic_write_bytes(path, data)
        except OSError as exc:
            if _disk_full(exc):
                raise disk_full_error(self.home, exc) from exc
            raise

    def media_path(self, digest: str) -> Path:
        """Where the file of ``digest`` lives (not checked: read through :meth:`media_bytes` or
        :meth:`verified_media_path`)."""
        return self._media_row(digest)[0]

    def _media_row(self, digest: str) -> tuple[Path, int | None]:
        with self.read() as con:
            row = con.execute("SELECT path, bytes FROM media WHERE hash = ?", [digest]).fetchone()
        if row is None:
            raise NotFound(f"no media {digest}")
        return self.home / row[0], (int(row[1]) if row[1] is not None else None)

    def verified_media_path(self, digest: str) -> Path:
        """The file of ``digest`` after checking that its bytes are still the ones saved (size, then SHA-256,
        which is the digest: content addressing makes the check free of extra bookkeeping).

        Raises:
            NotFound: no such media row.
            StoreError: the file is missing, truncated or replaced (never another clip's bytes).
        """
        path, size = self._media_row(digest)
        try:
            actual = path.stat().st_size
            if size is not None and actual != size:
                raise self._damaged(digest, path, f"{actual:,} of its {size:,} bytes are there")
            h = hashlib.sha256()
            with open(path, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    h.update(block)
        except FileNotFoundError:
            raise StoreError(f"the stored file {path.relative_to(self.home)} is missing: restore the store's "
                             "media folder from a backup.") from None
        if h.hexdigest() != digest:
            raise self._damaged(digest, path, "its bytes are not the ones saved")
        return path

    def _damaged(self, digest: str, path: Path, why: str) -> StoreError:
        return StoreError(f"the stored file {path.relative_to(self.home)} is damaged ({why}); it is not shown. "
                          "Restore it from a backup of the store.")

    def media_bytes(self, digest: str) -> bytes:
        """The bytes stored under ``digest``, checked against it (a damaged file raises StoreError)."""
        path, size = self._media_row(digest)
        return self._checked_bytes(digest, path, size)

    def media_bytes_many(self, digests: list[str]) -> dict[str, bytes]:
        """The bytes of several ``digests`` with one database read (a tree's thumbnails): digest -> bytes,
        each checked as :meth:`media_bytes` does. Digests without a media row, or whose file is missing or
        damaged, are left out (the caller shows no picture rather than failing the whole page)."""
        wanted = sorted({d for d in digests if isinstance(d, str)})
        if not wanted:
            return {}
        with self.read() as con:
            rows = con.execute("SELECT hash, path, bytes FROM media WHERE hash IN (SELECT unnest(?::TEXT[]))",
                               [wanted]).fetchall()
        out = {}
        for digest, rel, size in rows:
            try:
                out[digest] = self._checked_bytes(digest, self.home / rel, int(size) if size is not None else None)
            except StoreError:
                continue
        return out

    def _checked_bytes(self, digest: str, path: Path, size: int | None) -> bytes:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise StoreError(f"the stored file {path.relative_to(self.home)} is missing: restore the store's "
                             "media folder from a backup.") from None
        if size is not None and len(data) != size:
            raise self._damaged(digest, path, f"{len(data):,} of its {size:,} bytes are there")
        if hashlib.sha256(data).hexdigest() != digest:
            raise self._damaged(digest, path, "its bytes are not the ones saved")
        return data

    # ----------------------------------------------------------------- clips
    def save_clip(
        self,
        clip: Clip,
        *,
        owner: str,
        parent_id: str | None = None,
        status: str = "draft",
        clip_id: str | None = None,
        operation: str = "remix",
        edit: dict | None = None,
        reuses_material: bool = True,
        encoded: EncodedMP4 | None = None,
    ) -> str:
        """Save a clip (MP4 + thumbnail + recipe) as ``owner``'s; returns its clip id.

        With ``parent_id`` a remix edge is recorded in the same transaction.
        Encoding happens before the lock is taken, so other processes wait only
        for the database write. ``encoded``: the MP4 to keep when it is not ``clip.encoded()``
        itself (publishing passes the C2PA-signed copy of those bytes: same pictures and sound).
        """
        if status not in CLIP_STATUSES:
            raise ValueError(f"status must be one of {', '.join(CLIP_STATUSES)}; got {status!r}")
        owner = normalise_handle(owner)
        clip_id = clip_id or new_id("c")
        meta = {**clip.meta, "clip_id": clip_id}
        # The bytes a player already showed (Clip.encoded memoises them): never a second encode or hash.
        encoded = encoded if encoded is not None else clip.encoded()
        mp4 = encoded.data
        thumb = clip.thumbnail_png(160)
        media_hash = self.put_media_file_only(mp4, ".mp4", digest=encoded.sha256)
        thumb_hash = self.put_media_file_only(thumb, ".png")
        recipe = meta.get("recipe") or {}
        with self.transaction() as con:
            if not con.execute("SELECT 1 FROM users WHERE handle = ?", [owner]).fetchone():
                raise NotFound(f"no user @{owner}: create it first (store.create_user)")
            if parent_id is not None and not con.execute("SELECT 1 FROM clips WHERE clip_id = ?", [parent_id]).fetchone():
                raise NotFound(f"no clip {parent_id} to remix")
            for digest, data_len, mime, suffix in (
                (media_hash, len(mp4), "video/mp4", ".mp4"),
                (thumb_hash, len(thumb), "image/png", ".png"),
            ):
                con.execute(
                    "INSERT INTO media (hash, path, bytes, mime) VALUES (?, ?, ?, ?) ON CONFLICT (hash) DO NOTHING",
                    [digest, f"media/{digest[:2]}/{digest}{suffix}", data_len, mime],
                )
            con.execute(
                """INSERT INTO clips (clip_id, owner, status, prompt, engine, recipe, meta, media_hash, thumb_hash,
                                      duration_s, fps, width, height, sample_rate, parent_id)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                [
                    clip_id, owner, status, meta.get("prompt"), meta.get("engine"), to_json(recipe),
                    to_json(meta), media_hash, thumb_hash, clip.duration, float(clip.fps),
                    clip.width, clip.height, clip.sample_rate, parent_id,
                ],
            )
            if parent_id is not None:
                con.execute(
                    "INSERT INTO remix_edges (child_id, parent_id, author, operation, edit, reuses_material) VALUES (?, ?, ?, ?, ?, ?)",
                    [clip_id, parent_id, owner, operation, to_json(edit or {}), reuses_material],
                )
            self.audit(owner, "clip.save", "clip", clip_id, {"status": status, "parent_id": parent_id}, con=con)
            # Keep the derived lineage index (root, depth, path) in step, in the same transaction.
            index_missing(con, [clip_id])
        return clip_id

    def put_media_file_only(self, data: bytes, suffix: str, *, digest: str | None = None) -> str:
        """Write a content-addressed file (no row yet); the caller inserts the row in its transaction.

        ``digest``: the SHA-256 hex of ``data`` when the caller already has it (``EncodedMP4.sha256``).
        """
        digest = digest or hashlib.sha256(data).hexdigest()
        path = self.media_dir / digest[:2] / f"{digest}{suffix}"
        if not path.exists() or path.stat().st_size != len(data):
            self._write_media_file(path, data)
        return digest

    def clip_info(self, clip_id: str) -> dict[str, Any]:
        """The clip's row as a dict (recipe and meta parsed), without decoding media."""
        with self.read() as con:
            cur = con.execute("SELECT * FROM clips WHERE clip_id = ?", [clip_id])
            row = cur.fetchone()
            cols = [d[0] for d in cur.description]
        if row is None:
            raise NotFound(f"no clip {clip_id}")
        info = dict(zip(cols, row, strict=True))
        for k in ("recipe", "meta"):
            if isinstance(info.get(k), str):
                info[k] = json.loads(info[k])
        return info

    def get_clip(self, clip_id: str) -> Clip:
        """Decode the stored MP4 into a Clip with its stored meta (recipe included)."""
        info = self.clip_info(clip_id)
        if not info.get("media_hash"):
            raise NotFound(f"clip {clip_id} is a record without media")
        try:
            path = self.verified_media_path(info["media_hash"])
        except StoreError as exc:
            raise StoreError(f"the video of clip {clip_id} cannot be shown: {exc}") from exc
        try:
            clip = Clip.load(path, limits=_NO_LIMITS)
        except MediaError as exc:
            raise StoreError(f"the media of clip {clip_id} cannot be read: {exc}") from exc
        meta = dict(info.get("meta") or {})
        meta.update(clip_id=clip_id, owner=info["owner"], status=info["status"])
        clip.meta = meta
        return clip

    def list_clips(
        self,
        *,
        owner: str | None = None,
        status: str | tuple[str, ...] | None = None,
        parent_id: str | None = None,
        limit: int = 200,
    ):
        """Clips, newest first, as a DataFrame (no media decoded)."""
        where, params = [], []
        if owner is not None:
            where.append("owner = ?")
            params.append(normalise_handle(owner))
        if status is not None:
            statuses = (status,) if isinstance(status, str) else tuple(status)
            where.append(f"status IN ({', '.join('?' * len(statuses))})")
            params.extend(statuses)
        if parent_id is not None:
            where.append("parent_id = ?")
            params.append(parent_id)
        clause = ("WHERE " + " AND ".join(where)) if where else ""
        params.append(int(limit))
        return self.sql(
            f"""SELECT clip_id, owner, status, prompt, engine, duration_s, width, height, parent_id,
                       media_hash, thumb_hash, created_at
                FROM clips {clause} ORDER BY created_at DESC, clip_id LIMIT ?""",
            params,
        )

    def set_clip_status(self, clip_id: str, status: str, *, actor: str, reason: str = "", con=None) -> None:
        """Change a clip's status and log who did it. Callers check that ``actor`` may."""
        if status not in CLIP_STATUSES:
            raise ValueError(f"status must be one of {', '.join(CLIP_STATUSES)}; got {status!r}")
        with contextlib.ExitStack() as stack:
            if con is None:
                con = stack.enter_context(self.transaction())
            n = con.execute(
                "UPDATE clips SET status = ?, updated_at = current_timestamp WHERE clip_id = ? RETURNING clip_id",
                [status, clip_id],
            ).fetchall()
            if not n:
                raise NotFound(f"no clip {clip_id}")
            self.audit(actor, f"clip.{status}", "clip", clip_id, {"reason": reason}, con=con)

    # ------------------------------------------------------------------ audit
    def audit(
        self,
        actor: str,
        action: str,
        target_kind: str | None = None,
        target_id: str | None = None,
        detail: dict | None = None,
        *,
        con: duckdb.DuckDBPyConnection | None = None,
    ) -> None:
        """Append one line to the audit log (there is no way to change or delete one)."""
        with contextlib.ExitStack() as stack:
            if con is None:
                con = stack.enter_context(self.transaction())
            con.execute(
                "INSERT INTO audit_log (actor, action, target_kind, target_id, detail) VALUES (?, ?, ?, ?, ?)",
                [actor, action, target_kind, target_id, to_json(detail or {})],
            )

    def audit_many(
        self,
        actor: str,
        action: str,
        target_kind: str | None,
        details: dict[str, dict],
        *,
        con: duckdb.DuckDBPyConnection | None = None,
    ) -> None:
        """Append one line per target (``{target_id: detail}``, in order) with one statement.

        The same lines as calling :meth:`audit` for each; a take-down of a cascade of
        thousands of clips writes them in milliseconds instead of a statement each.
        """
        if not details:
            return
        with contextlib.ExitStack() as stack:
            if con is None:
                con = stack.enter_context(self.transaction())
            con.execute(
                """INSERT INTO audit_log (actor, action, target_kind, target_id, detail)
                   SELECT ?, ?, ?, t.id, t.detail::JSON
                   FROM (SELECT unnest(?::VARCHAR[]) AS id, unnest(?::VARCHAR[]) AS detail,
                                generate_subscripts(?::VARCHAR[], 1) AS k) t
                   ORDER BY t.k""",
                [actor, action, target_kind, list(details), [to_json(d or {}) for d in details.values()],
                 list(details)],
            )


def normalise_handle(handle: str) -> str:
    """Lower-case, '@'-less handle; raises ValueError if it is not 2-30 of [a-z0-9_.]."""
    if not isinstance(handle, str):
        raise ValueError(f"a handle must be text; got {type(handle).__name__}")
    h = handle.strip().lstrip("@").lower()
    if not _HANDLE_RE.match(h):
        raise ValueError(f"handle {handle!r} must be 2-30 letters, digits, '_' or '.', e.g. 'alice' or 'rex_the_dog'")
    return h


def parse_date(value: str | dt.date) -> dt.date:
    """A ``datetime.date`` from a date, a datetime or ISO text (``2001-04-30``); ValueError otherwise."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"birthdate must be a date like 2001-04-30; got {value!r}") from None
