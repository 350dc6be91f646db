"""The store service (``sora-widgets store-serve``): one process owns a home's DuckDB file, the others talk to it.

Every test runs a real service process (``store.service.spawn``) and real client processes where the test
is about processes; nothing is mocked. Key store, social and visibility cases run on both backends (the file
opened directly, and through the service) and must give the same answers.
"""

from __future__ import annotations

import fcntl
import itertools
import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import threading

import duckdb
import numpy as np
import pytest
from conftest import wait_until
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_visibility import add_clip, add_people

import sora_widgets as sw
from sora_widgets.access import viewer_params, visible_clip_sql
from sora_widgets.social import feed, graph
from sora_widgets.store import NotFound, StoreError, open_store
from sora_widgets.store.remote import OwnedDatabase, RemoteConnection, find_service, lock_path, service_file, turn
from sora_widgets.store.service import running, spawn, stop


@pytest.fixture
def served(tmp_path):
    """A home with a running service; yields (home, process). Stopped (or reaped when a test killed it)."""
    home = tmp_path / "home"
    proc = spawn(home)
    try:
        yield home, proc
    finally:
        stop(proc)


@pytest.fixture(params=["direct", "service"])
def backend_store(request, tmp_path):
    """A Store on a fresh home, used directly or through a running service (the same test, both ways)."""
    home = tmp_path / "home"
    proc = spawn(home) if request.param == "service" else None
    try:
        s = open_store(home)
        with s.read() as con:
            assert isinstance(con, RemoteConnection) == (proc is not None)  # the backend the test claims
        yield s
    finally:
        if proc is not None:
            stop(proc)


def tiny_clip(i: int = 0) -> sw.Clip:
    f = np.full((4, 32, 32, 3), (i * 37) % 256, np.uint8)
    a = (0.1 * np.sin(np.arange(4800) / 7 + i)).astype(np.float32)[None]
    return sw.Clip(f, a, 24, 48_000, {"prompt": f"clip {i}", "engine": "test", "recipe": {"seed": i}})


# ------------------------------------------------------------------------------ same answers both ways


def test_users_clips_and_errors_are_the_same_through_the_service(backend_store):
    s = backend_store
    s.create_user("alice", birthdate="1990-05-01")
    with pytest.raises(StoreError, match="taken"):
        s.create_user("alice", birthdate="1990-05-01")
    with pytest.raises(duckdb.ConstraintException):  # DuckDB's own class, by name, across the socket
        with s.transaction() as con:
            con.execute("INSERT INTO users (handle, birthdate, role) VALUES ('alice', DATE '1990-01-01', 'creator')")
    with pytest.raises(NotFound):
        s.get_user("nobody")
    cid = s.save_clip(tiny_clip(3), owner="alice")
    child = s.save_clip(tiny_clip(4), owner="alice", parent_id=cid)
    back = s.get_clip(child)
    assert back.meta["recipe"] == {"seed": 4} and back.frames.shape == (4, 32, 32, 3)
    df = s.list_clips(owner="alice")
    assert set(df["clip_id"]) == {child, cid}
    assert set(df["parent_id"].dropna()) == {cid}
    s.set_clip_status(cid, "published", actor="alice", reason="ok")
    assert s.clip_info(cid)["status"] == "published"
    with s.read() as con:
        cur = con.execute("SELECT handle, birthdate FROM users")
        assert [d[0] for d in cur.description] == ["handle", "birthdate"]
        assert cur.fetchall() == [("alice", sw.store.parse_date("1990-05-01"))]
        numpy = con.execute("SELECT count(*) AS n FROM audit_log WHERE actor = 'alice'").fetchnumpy()
        assert int(numpy["n"][0]) >= 3  # user.create, two clip.save, clip.published
        src = con.cursor()
        arrow = src.sql("SELECT clip_id FROM clips ORDER BY clip_id").to_arrow_table()
        src.close()
    assert arrow.column(0).to_pylist() == sorted([cid, child])


def test_a_failed_transaction_leaves_nothing_both_ways(backend_store):
    s = backend_store
    s.create_user("alice", birthdate="1990-05-01")
    with pytest.raises(RuntimeError, match="boom"):
        with s.transaction() as con:
            con.execute("INSERT INTO follows (follower, followee) VALUES ('alice', 'alice')")
            raise RuntimeError("boom")
    assert s.sql("SELECT count(*) AS n FROM follows")["n"][0] == 0
    with pytest.raises(StoreError, match="read-only"):
        with s.read(), s.transaction():
            pass
    with pytest.raises(duckdb.Error):  # analysts' SQL cannot write, either way
        s.sql("DELETE FROM users")
    assert s.sql("SELECT count(*) AS n FROM users")["n"][0] == 1


def test_social_rules_and_the_feed_are_the_same_through_the_service(backend_store):
    s = backend_store
    add_people(s)
    add_clip(s, "a1", "ada")
    add_clip(s, "b1", "ben")
    add_clip(s, "bd", "ben", "draft")
    assert graph.follow(s, "ben", "ada") is True
    assert graph.like(s, "ben", "a1") is True
    assert graph.block(s, "ada", "ben") is True
    with pytest.raises(PermissionError):
        graph.comment(s, "ben", "a1", "hello")  # blocked people cannot reach each other
    served = [it.clip_id for it in feed.page(s, "ben", mode="popular").items]
    assert "a1" not in served and "bd" not in served  # the block and the draft are both hidden


# ------------------------------------------------------------------------------------- the service


def test_service_files_are_owner_only_and_the_lock_is_held(served):
    home, proc = served
    db = home / "sora.duckdb"
    info = json.loads(service_file(db).read_text())
    assert info["pid"] == proc.pid and info["home"] == str(home.absolute())
    for path in (service_file(db), info["socket"]):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(lock_path(db), "a+b") as fh, pytest.raises(BlockingIOError):  # nobody opens the file beside it
        fcntl.flock(fh, fcntl.LOCK_SH | fcntl.LOCK_NB)


def test_a_strangers_socket_is_refused(tmp_path, served):
    other_home, _proc = served  # a service of another home
    mine = tmp_path / "mine"
    s = open_store(mine)
    s.create_user("alice", birthdate="1990-05-01")
    info = json.loads(service_file(other_home / "sora.duckdb").read_text())
    # This home's service file names the other home's socket, with a key the other service does not know.
    fake = {**info, "home": str(mine), "key": os.urandom(32).hex()}
    service_file(s.db_path).write_text(json.dumps(fake))
    with pytest.raises(StoreError, match="refused"):
        s.get_user("alice")
    # Right key, wrong home: refused too (the service says which home it serves).
    service_file(s.db_path).write_text(json.dumps({**info, "home": str(mine)}))
    with pytest.raises(StoreError, match="refused"):
        s.get_user("alice")
    service_file(s.db_path).unlink()
    assert s.get_user("alice")["handle"] == "alice"


def test_a_stopped_service_hands_the_file_back(served):
    home, proc = served
    s = open_store(home)
    s.create_user("alice", birthdate="1990-05-01")
    assert stop(proc) == 0
    assert not service_file(s.db_path).exists() and find_service(s.db_path) is None
    assert s.get_user("alice")["handle"] == "alice"  # directly now, everything committed is there
    with s.read() as con:
        assert isinstance(con, duckdb.DuckDBPyConnection)


def test_a_second_service_for_the_same_home_is_refused(served):
    home, proc = served
    with pytest.raises(StoreError, match="already serves"):
        spawn(home, timeout_s=60)
    assert proc.poll() is None and find_service(home / "sora.duckdb").pid == proc.pid


def test_a_direct_opener_waiting_on_the_lock_finds_the_service(served):
    home, proc = served
    db = home / "sora.duckdb"
    hidden = db.with_name("hidden.service")
    service_file(db).rename(hidden)  # the service holds the lock, but is not announced yet
    got = {}

    def opener():
        with turn(db, write=True) as backend:
            got["backend"] = backend

    t = threading.Thread(target=opener)
    t.start()
    hidden.rename(service_file(db))  # announced: the waiting opener must find it, not wait forever
    t.join(60)
    assert not t.is_alive() and got["backend"] is not None and got["backend"].pid == proc.pid


def test_reads_do_not_wait_for_a_writer_and_writers_take_turns(served):
    home, _proc = served
    s = open_store(home)
    s.create_user("alice", birthdate="1990-05-01")
    inside, release = threading.Event(), threading.Event()

    def writer():
        with s.transaction() as con:
            con.execute("UPDATE users SET display_name = 'new' WHERE handle = 'alice'")
            inside.set()
            release.wait(60)

    t = threading.Thread(target=writer)
    t.start()
    assert inside.wait(60)
    assert s.get_user("alice")["display_name"] is None  # a snapshot before the open transaction, not a wait
    release.set()
    t.join(60)
    assert s.get_user("alice")["display_name"] == "new"

    # Read-then-write from many threads at once: no lost update and no conflict error (writers take turns,
    # as they did under the file lock, so a rule that counts before it writes stays exact).
    s.sql("SELECT 1")
    with s.transaction() as con:
        con.execute("CREATE TABLE counter (n INTEGER)")
        con.execute("INSERT INTO counter VALUES (0)")
    errors = []

    def bump():
        try:
            for _ in range(5):
                with s.transaction() as con:
                    n = con.execute("SELECT n FROM counter").fetchone()[0]
                    con.execute("UPDATE counter SET n = ?", [n + 1])
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    assert errors == [] and s.sql("SELECT n FROM counter")["n"][0] == 20


_WRITER = textwrap.dedent("""
    import sys
    from sora_widgets.store import open_store
    from sora_widgets.store.remote import RemoteConnection
    s = open_store(sys.argv[1])
    with s.read() as con:
        assert isinstance(con, RemoteConnection)
    for i in range(int(sys.argv[3])):
        s.create_user(f"{sys.argv[2]}{i}", birthdate="1990-01-01")
""")


def test_two_processes_write_at_once(served):
    home, _proc = served
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, str(home), who, "15"]) for who in ("p", "q")]
    assert [p.wait(300) for p in procs] == [0, 0]
    s = open_store(home)
    handles = set(s.sql("SELECT handle FROM users")["handle"])
    assert handles == {f"{w}{i}" for w in "pq" for i in range(15)}
    assert s.sql("SELECT count(*) AS n FROM audit_log WHERE action = 'user.create'")["n"][0] == 30


_HOLDER = textwrap.dedent("""
    import sys, time
    from sora_widgets.store import open_store
    s = open_store(sys.argv[1])
    with s.transaction() as con:
        con.execute("INSERT INTO users (handle, birthdate, role) VALUES ('ghost', DATE '1990-01-01', 'creator')")
        print("inside", flush=True)
        time.sleep(600)
""")


def test_a_killed_client_mid_transaction_rolls_back(served):
    home, _proc = served
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(home)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "inside"  # it holds the write turn, a row written
    holder.send_signal(signal.SIGKILL)
    holder.wait(60)
    holder.stdout.close()
    s = open_store(home)
    s.create_user("alice", birthdate="1990-05-01")  # the write turn came back
    with pytest.raises(NotFound):
        s.get_user("ghost")


def test_a_killed_service_gives_a_clear_error_and_nothing_half_written(served):
    home, proc = served
    s = open_store(home)
    s.create_user("alice", birthdate="1990-05-01")
    with pytest.raises(StoreError, match="stopped answering"):
        with s.transaction() as con:
            con.execute("INSERT INTO users (handle, birthdate, role) VALUES ('ghost', DATE '1990-01-01', 'creator')")
            proc.send_signal(signal.SIGKILL)
            proc.wait(60)
            con.execute("UPDATE users SET display_name = 'x' WHERE handle = 'alice'")
    # The next operation opens the file directly (the lock died with the service; DuckDB replays its WAL).
    assert s.get_user("alice")["display_name"] is None
    with pytest.raises(NotFound):
        s.get_user("ghost")
    assert not service_file(s.db_path).exists()  # the dead service's file is cleared by the next opener
    again = spawn(home)  # and a new service can take over
    try:
        s.create_user("bob", birthdate="1990-05-01")
        assert {"alice", "bob"} <= set(s.sql("SELECT handle FROM users")["handle"])
    finally:
        stop(again)


_PARENT = textwrap.dedent("""
    import sys, time
    from sora_widgets.store.service import spawn
    proc = spawn(sys.argv[1])
    print(proc.pid, flush=True)
    time.sleep(600)
""")


def test_a_service_stops_when_the_process_that_started_it_dies(tmp_path):
    home = tmp_path / "home"
    parent = subprocess.Popen([sys.executable, "-c", _PARENT, str(home)], stdout=subprocess.PIPE, text=True)
    service_pid = int(parent.stdout.readline())
    assert running(home) == service_pid
    parent.send_signal(signal.SIGKILL)  # no `finally`: the service notices its parent is gone
    parent.wait(60)
    parent.stdout.close()
    assert wait_until(lambda: running(home) is None and not service_file(home / "sora.duckdb").exists(), 60)
    s = open_store(home)  # the lock is free again
    s.create_user("alice", birthdate="1990-05-01")
    with s.read() as con:
        assert isinstance(con, duckdb.DuckDBPyConnection)


def test_the_service_process_uses_its_own_connection(tmp_path):
    """Inside the owning process, the Store runs on cursors of the owned connection (no socket)."""
    db = tmp_path / "home" / "sora.duckdb"
    db.parent.mkdir()
    con = duckdb.connect(str(db))
    owned = OwnedDatabase(db, con)
    owned.register()
    try:
        s = open_store(db.parent)
        s.create_user("alice", birthdate="1990-05-01")
        with s.read() as c:
            assert not isinstance(c, RemoteConnection)
            with pytest.raises(duckdb.TransactionException):  # a read session is a read-only transaction
                c.execute("DELETE FROM users")
        assert s.get_user("alice")["handle"] == "alice"
    finally:
        owned.unregister()
        con.close()


# ------------------------------------------------------------- random action sequences, both backends

_ACTIONS = ("follow", "unfollow", "block", "unblock", "like", "unlike", "view")
_examples = itertools.count()


@pytest.fixture(scope="module")
def two_homes(tmp_path_factory):
    """A home used directly and another served by a running service, shared by the examples (each uses
    people and clips of its own)."""
    direct = open_store(tmp_path_factory.mktemp("direct"))
    served_home = tmp_path_factory.mktemp("served")
    proc = spawn(served_home)
    try:
        yield direct, open_store(served_home)
    finally:
        stop(proc)


def _act(s, people, clips, action, i, j):
    """One social action; its result, or the name of the error it raised (what the test compares)."""
    try:
        if action in ("follow", "unfollow", "block", "unblock"):
            return getattr(graph, action)(s, people[i], people[j])
        if action == "view":
            return graph.view(s, people[i], clips[j], watched_fraction=0.5)
        return getattr(graph, action)(s, people[i], clips[j])
    except Exception as exc:  # noqa: BLE001 - the refusal is the outcome compared
        return type(exc).__name__


@pytest.mark.slow
@settings(max_examples=8, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(_ACTIONS), st.integers(0, 3), st.integers(0, 3)), max_size=8))
def test_any_sequence_of_social_actions_has_the_same_outcome_through_the_service(two_homes, steps):
    """Follows, blocks, likes and views (self-follows, blocked people and a teen included) give the same
    answers and refusals, the same rows and the same visibility (the block rule) on both backends."""
    n = next(_examples)
    people = [f"x{n}_{k}" for k in range(4)]
    clips = [f"c{n}_{k}" for k in range(4)]
    seen = []
    for s in two_homes:
        for k, h in enumerate(people):
            s.create_user(h, birthdate="2011-05-05" if k == 3 else "1990-01-01")  # the last one a teen
            add_clip(s, clips[k], h)
        outcomes = [_act(s, people, clips, *step) for step in steps]
        with s.read() as con:
            rows = {t: sorted(con.execute(f"SELECT {cols} FROM {t} WHERE {cols.split(',')[0]} LIKE ?",
                                          [f"x{n}_%"]).fetchall())
                    for t, cols in (("follows", "follower, followee"), ("blocks", "blocker, blocked"),
                                    ("likes", "handle, clip_id"))}
        visible = {h: _visible(s, h, n) for h in people}
        seen.append((outcomes, rows, visible))
    assert seen[0] == seen[1]


def _visible(s, viewer: str, n: int) -> list[str]:
    """The clips of example ``n`` that ``viewer`` may see in a feed (``access.visible_clip_sql``)."""
    p = viewer_params(s, viewer)
    with s.read() as con:
        rows = con.execute(f"SELECT c.clip_id FROM clips c WHERE c.clip_id LIKE $pattern AND {visible_clip_sql()}",
                           {**p, "pattern": f"c{n}_%"}).fetchall()
    return sorted(r[0] for r in rows)
