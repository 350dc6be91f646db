"""Accounts that log in (issue 12), below the browser: passwords, throttling, sessions, roles, the kernel's identity.

Browser and server tests are in test_auth_browser.py.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

import pytest
from argon2 import PasswordHasher
from conftest import TEST_PASSWORD, make_account, served_copy, template_home
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sora_widgets import auth, session
from sora_widgets.auth import kernel_token, keys, sessions, throttle
from sora_widgets.auth.login import LOGIN_FAILED_MESSAGE, LoginFailed, verify_login
from sora_widgets.store import open_store

NO_THROTTLE = (throttle.BackoffPolicy(free_failures=10**6), throttle.BackoffPolicy(free_failures=10**6))


def audit(store, action: str):
    return store.sql("SELECT actor, target_id, detail FROM audit_log WHERE action = ? ORDER BY seq", [action])


# ------------------------------------------------------------------ passwords
def test_passwords_are_argon2id_with_rfc9106_parameters_and_never_stored_or_logged(store):
    make_account(store, "alice", password="a secret phrase 1")
    digest = store.sql("SELECT password_hash FROM auth_accounts WHERE handle = 'alice'").iloc[0, 0]
    assert digest.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert not PasswordHasher().check_needs_rehash(digest)
    with pytest.raises(LoginFailed):
        verify_login(store, "alice", "a secret phrase 2", client="10.0.0.1")
    assert verify_login(store, "@Alice", "a secret phrase 1", client="10.0.0.1") == "alice"
    dump = store.sql("SELECT * FROM audit_log").to_csv() + store.sql("SELECT * FROM users").to_csv()
    assert "secret phrase" not in dump
    assert "secret phrase" not in (store.db_path.read_bytes().decode("latin-1"))


def test_short_passwords_are_refused_before_any_account_is_made(store):
    with pytest.raises(ValueError, match="at least 8"):
        auth.create_account(store, "shorty", password="1234567", birthdate="1990-01-01")
    assert store.sql("SELECT count(*) FROM users WHERE handle = 'shorty'").iloc[0, 0] == 0


# ------------------------------------------------------------------ sign-up, age, first admin
def test_first_account_is_admin_then_creators_and_teens_are_marked(store):
    first = auth.create_account(store, "founder", password=TEST_PASSWORD, birthdate="1980-05-05")
    second = auth.create_account(store, "second", password=TEST_PASSWORD, birthdate="1985-05-05")
    teen_birth = f"{time.gmtime().tm_year - 15}-01-01"
    teen = auth.create_account(store, "teen15", password=TEST_PASSWORD, birthdate=teen_birth)
    assert (first["role"], second["role"], teen["role"]) == ("admin", "creator", "creator")
    assert teen["band"] == "teen" and first["band"] == "adult"
    with pytest.raises(PermissionError, match="13 and older"):
        auth.create_account(store, "kid", password=TEST_PASSWORD, birthdate=f"{time.gmtime().tm_year - 10}-01-01")
    assert audit(store, "auth.role_set")["target_id"].tolist() == ["founder"]


def test_a_teen_first_account_is_not_made_admin(store):
    teen_birth = f"{time.gmtime().tm_year - 15}-01-01"
    assert auth.create_account(store, "teen15", password=TEST_PASSWORD, birthdate=teen_birth)["role"] == "creator"
    assert auth.create_account(store, "grown", password=TEST_PASSWORD, birthdate="1990-01-01")["role"] == "admin"


def test_a_demo_admin_without_a_password_does_not_stop_the_first_sign_up_becoming_admin(store):
    from sora_widgets.social.accounts import sign_up

    sign_up(store, "adam", birthdate="1980-01-01", role="admin")  # as the demo seed does: no password
    assert auth.create_account(store, "owner", password=TEST_PASSWORD, birthdate="1985-01-01")["role"] == "admin"
    assert auth.create_account(store, "later", password=TEST_PASSWORD, birthdate="1985-01-01")["role"] == "creator"


# ------------------------------------------------------------------ roles
def test_roles_are_granted_only_by_admins_and_audited(store):
    make_account(store, "boss", role="admin")
    make_account(store, "bob")
    make_account(store, "eve")
    teen = make_account(store, "teen15", birthdate=f"{time.gmtime().tm_year - 15}-01-01")
    with pytest.raises(PermissionError, match="not an admin"):
        auth.set_role(store, "eve", "admin", by="eve")
    assert auth.set_role(store, "bob", "reviewer", by="boss") == "creator"
    with pytest.raises(PermissionError, match="adult"):
        auth.set_role(store, teen, "reviewer", by="boss")
    with pytest.raises(PermissionError, match="last admin"):
        auth.set_role(store, "boss", "creator", by=auth.LOCAL_OWNER)
    changes = audit(store, "auth.role_set")
    # the CLI's grant (the local owner) and boss's grant; the refused changes left no trace
    assert list(zip(changes["actor"], changes["target_id"], strict=True)) == [("local-owner", "boss"), ("boss", "bob")]
    assert store.get_user("bob")["role"] == "reviewer" and store.get_user("eve")["role"] == "creator"


def test_disabling_ends_sessions_and_blocks_logins(store):
    make_account(store, "boss", role="admin")
    make_account(store, "bob")
    sid = sessions.create_session(store, "bob", client="10.0.0.2")
    assert sessions.session_user(store, sid) == "bob"
    assert auth.disable(store, "bob", by="boss", reason="spam") == 1
    assert sessions.session_user(store, sid) is None
    with pytest.raises(LoginFailed):
        verify_login(store, "bob", TEST_PASSWORD, client="10.0.0.2")
    auth.enable(store, "bob", by="boss")
    assert verify_login(store, "bob", TEST_PASSWORD, client="10.0.0.2") == "bob"
    assert sessions.session_user(store, sid) is None  # an ended session stays ended


def test_logout_expiry_and_password_reset_end_sessions(store):
    make_account(store, "bob")
    a, b = sessions.create_session(store, "bob"), sessions.create_session(store, "bob")
    short = sessions.create_session(store, "bob", ttl_s=60, now=time.time() - 61)
    assert sessions.session_user(store, short) is None
    assert sessions.end_session(store, a) == "bob"
    assert sessions.session_user(store, a) is None and sessions.session_user(store, b) == "bob"
    auth.reset_password(store, "bob", "another password", by=auth.LOCAL_OWNER)
    assert sessions.session_user(store, b) is None
    assert sessions.session_user(store, "forged-session-id") is None
    # only the hash is stored: the cookie's id is nowhere in the database
    assert b not in store.db_path.read_bytes().decode("latin-1")


# ------------------------------------------------------------------ login abuse
def test_unknown_wrong_disabled_and_throttled_all_get_one_message_and_are_audited(store):
    make_account(store, "boss", role="admin")
    make_account(store, "bob")
    make_account(store, "gone")
    auth.disable(store, "gone", by="boss")
    messages = set()
    for handle, pw in (("nobody", "whatever1"), ("bob", "wrong pass"), ("gone", TEST_PASSWORD), ("!!bad", "x")):
        with pytest.raises(LoginFailed) as exc:
            verify_login(store, handle, pw, client="10.0.0.3")
        messages.add(str(exc.value))
    assert messages == {LOGIN_FAILED_MESSAGE}
    why = [d for d in audit(store, "auth.login_failed")["detail"]]
    assert len(why) == 4 and all("10.0.0.3" in d for d in why)


def test_fifty_wrong_passwords_are_throttled_and_the_right_one_works_after_the_back_off(store):
    """50 wrong passwords in a row at one account, on a simulated clock that advances 0.1 s per try."""
    make_account(store, "bob")
    t0 = time.time()
    checked = 0
    for i in range(50):
        now = t0 + 0.1 * i
        waited = throttle.locked_for(store, account="bob", client="10.9.9.9", now=now)
        with pytest.raises(LoginFailed):
            verify_login(store, "bob", f"guess {i}", client="10.9.9.9", now=now)
        checked += waited <= 0
    assert checked <= throttle.ACCOUNT_POLICY.free_failures + 3, checked
    locked = audit(store, "auth.login_throttled")
    assert len(locked) == 50 - checked
    assert len(audit(store, "auth.lockout")) >= 1
    # Locked: even the right password is refused, with the same message...
    now = t0 + 5.0
    with pytest.raises(LoginFailed):
        verify_login(store, "bob", TEST_PASSWORD, client="10.9.9.9", now=now)
    # ...and once the lock has run out it works (the lock is capped: no one is locked out for good).
    wait = throttle.locked_for(store, account="bob", client="10.9.9.9", now=now)
    assert 0 < wait <= throttle.ACCOUNT_POLICY.max_delay_s
    assert verify_login(store, "bob", TEST_PASSWORD, client="10.9.9.9", now=now + wait + 0.01) == "bob"


def attempts_allowed(policy: throttle.BackoffPolicy, seconds: float) -> int:
    """Password checks a guesser who retries the moment each lock ends gets in ``seconds``."""
    t, n = 0.0, 0
    while True:
        n += 1
        t += policy.delay_after(n)
        if t > seconds:
            return n


def test_attempts_per_minute_under_throttling():
    per_minute = attempts_allowed(throttle.ACCOUNT_POLICY, 60)
    per_hour = attempts_allowed(throttle.ACCOUNT_POLICY, 3600)
    print(f"throttled guesser, one account: {per_minute} tries in the first minute, {per_hour} in the first hour")
    assert per_minute <= 12 and per_hour <= 20


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(gaps=st.lists(st.floats(min_value=0.0, max_value=40.0), min_size=1, max_size=14))
def test_throttle_never_lets_a_check_through_early_and_always_ends(gaps):
    """Whatever the rhythm of failures, no password is checked while locked, locks follow the policy,
    and after ``max_delay_s`` of quiet the account is open again. Each example: a copy of a migrated home
    served in this process (conftest.served_copy)."""
    with served_copy(template_home("migrated", lambda store: None)) as store:
        _throttle_holds(store, gaps)


def _throttle_holds(store, gaps) -> None:
    policy = throttle.BackoffPolicy(free_failures=3, base_delay_s=1.0, max_delay_s=30.0)
    t, failures, lock_end = 1000.0, 0, 0.0
    for gap in gaps:
        t += gap
        wait = throttle.locked_for(store, account="x", client="c", now=t)
        assert (wait > 0) == (t < lock_end)
        if wait > 0:
            continue
        failures += 1
        lock = throttle.record_failure(store, account="x", client="c", now=t, policies=(policy, policy))
        assert lock == policy.delay_after(failures) and lock <= policy.max_delay_s
        lock_end = t + lock
    assert throttle.locked_for(store, account="x", client="c", now=t + policy.max_delay_s + 0.001) <= 0


def test_no_such_user_and_wrong_password_take_the_same_time(store):
    """50 tries each, interleaved in pairs: medians and the median pair ratio within 10% (Argon2 dominates both)."""
    make_account(store, "bob")
    unknown, wrong = [], []
    for i in range(50):
        pair = (("nobody_here", unknown), ("bob", wrong))
        for handle, out in (pair if i % 2 else pair[::-1]):  # neither always goes first
            t = time.perf_counter()
            with pytest.raises(LoginFailed):
                verify_login(store, handle, f"wrong {i}", client=f"10.1.{i}.1", policies=NO_THROTTLE)
            out.append(time.perf_counter() - t)
    mu, mw = statistics.median(unknown), statistics.median(wrong)
    # Each pair ran back to back, so the machine's load (five sessions share two cores) hits both alike:
    # the median of the per-pair ratios is what a timing attacker could hope to see.
    ratio = statistics.median(u / w for u, w in zip(unknown, wrong, strict=True))
    print(f"median no-such-user {mu * 1000:.1f} ms, wrong-password {mw * 1000:.1f} ms, median ratio {ratio:.3f}")
    assert abs(ratio - 1) < 0.10, (mu, mw, ratio)


# ------------------------------------------------------------------ secrets and the kernel token
def test_secrets_are_created_once_with_mode_0600_and_loose_ones_are_refused(tmp_path):
    a = keys.cookie_secret(tmp_path)
    assert a == keys.cookie_secret(tmp_path) and len(a) == 32
    assert keys.kernel_key(tmp_path) != a
    path = tmp_path / "auth" / keys.COOKIE_SECRET_FILE
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert oct((tmp_path / "auth").stat().st_mode & 0o777) == "0o700"
    os.chmod(path, 0o644)
    with pytest.raises(PermissionError, match="chmod 600"):
        keys.cookie_secret(tmp_path)


def test_kernel_tokens_refuse_forgery_tampering_other_keys_and_expiry():
    key, other = b"k" * 32, b"o" * 32
    tok = kernel_token.issue_token(key, "alice", session_hash="abc")
    assert kernel_token.read_token(key, tok)["u"] == "alice"
    body, sig = tok.split(".")
    forged_body = kernel_token._b64(b'{"u": "admin", "s": null, "iat": 0, "exp": 9e99}')
    for bad in (kernel_token.issue_token(other, "admin"), f"{forged_body}.{sig}", tok[:-2] + "AA", "admin", ""):
        with pytest.raises(kernel_token.BadToken):
            kernel_token.read_token(key, bad)
    old = kernel_token.issue_token(key, "alice", now=time.time() - kernel_token.TOKEN_TTL_S - 1)
    with pytest.raises(kernel_token.BadToken, match="expired"):
        kernel_token.read_token(key, old)


# ------------------------------------------------------------------ session.current_user in a served kernel
@pytest.fixture
def served_kernel(monkeypatch, tmp_home):
    """This process as a Voila kernel would be: VOILA_* set, with a tempting user in the environment and URL."""
    monkeypatch.setenv("VOILA_BASE_URL", "/")
    monkeypatch.setenv("SORA_WIDGETS_USER", "admin")
    monkeypatch.setenv("QUERY_STRING", "user=admin")
    monkeypatch.setenv("HTTP_X_SORA_USER", "admin")
    monkeypatch.setattr(session, "_verified", None)
    monkeypatch.setattr(session, "_override", None)
    monkeypatch.setattr(session, "SESSION_RECHECK_S", 0.0)
    return tmp_home


def test_a_served_kernel_has_no_identity_from_env_url_or_header(served_kernel, store):
    make_account(store, "admin", role="admin")
    with pytest.raises(session.NotLoggedIn):
        session.current_user(store)
    with pytest.raises(session.NotLoggedIn):
        session.set_current_user("admin")
    with pytest.raises(session.NotLoggedIn):
        session.login("admin", store=store)
    forged = kernel_token.issue_token(b"x" * 32, "admin")
    with pytest.raises(kernel_token.BadToken):
        session.accept_server_token(forged)
    with pytest.raises(session.NotLoggedIn):
        session.current_user(store)


def test_a_served_kernel_takes_the_servers_token_and_loses_it_at_logout(served_kernel, store):
    make_account(store, "alice")
    sid = sessions.create_session(store, "alice")
    tok = kernel_token.issue_token(keys.kernel_key(served_kernel), "alice", session_hash=sessions.session_hash(sid))
    assert session.accept_server_token(tok) == "alice"
    assert session.current_user(store) == "alice"
    with pytest.raises(session.NotLoggedIn, match="another user"):
        session.accept_server_token(kernel_token.issue_token(keys.kernel_key(served_kernel), "admin"))
    sessions.end_session(store, sid)
    with pytest.raises(session.NotLoggedIn, match="ended"):
        session.current_user(store)


def test_every_dashboard_refuses_to_act_in_a_kernel_without_a_verified_login(tmp_home, store):
    """Each dashboard's code, run in a process set up like a served kernel but given no token: no user, so nothing acts."""
    import nbformat

    from sora_widgets.serve import dashboards_dir

    make_account(store, "admin", role="admin")
    env = {**os.environ, "VOILA_BASE_URL": "/", "SORA_WIDGETS_SERVED": "1", "SORA_WIDGETS_USER": "admin",
           "QUERY_STRING": "user=admin", "SORA_WIDGETS_HOME": str(tmp_home)}
    refused = {}
    for path in sorted(dashboards_dir().glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
        probe = ("import traceback\ntry:\n" + "\n".join("    " + line for line in code.splitlines()) +
                 "\n    from sora_widgets.session import current_user\n    current_user()\n"
                 "    print('ACTED')\nexcept Exception as exc:\n    print('REFUSED', type(exc).__name__)\n")
        out = subprocess.run([sys.executable, "-c", probe], env=env, cwd=path.parent, capture_output=True,
                             text=True, timeout=240)
        refused[path.name] = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else out.stderr[-300:]
    assert all(v == "REFUSED NotLoggedIn" for v in refused.values()), refused


# ------------------------------------------------------------------ role rules, stateful
@pytest.fixture(scope="module")
def role_home_template(tmp_path_factory):
    """Accounts made once (Argon2 is slow); each example starts from a copy."""
    home = tmp_path_factory.mktemp("roles-template")
    store = open_store(home)
    make_account(store, "root", role="admin")
    for h in ("ann", "ben"):
        make_account(store, h)
    make_account(store, "tia", birthdate=f"{time.gmtime().tm_year - 15}-06-01")
    return home


ROLE_HANDLES = ("root", "ann", "ben", "tia")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.sampled_from(("set_role", "disable", "enable")), st.sampled_from(ROLE_HANDLES),
                                st.sampled_from(ROLE_HANDLES + (auth.LOCAL_OWNER,)),
                                st.sampled_from(("creator", "reviewer", "admin", "guardian"))),
                      min_size=1, max_size=12))
def test_role_rules_hold_whatever_admins_do(role_home_template, steps):
    """Any sequence of grants, disables and enables by anyone: someone can always administer, no teen is staff,
    only admins (or the local owner) change anything, and every change that happened is audited once.
    Each example: a copy of the template served in this process (conftest.served_copy): a cursor per operation."""
    with served_copy(role_home_template) as store:
        _role_rules_hold(store, steps)


def _role_rules_hold(store, steps) -> None:
    from sora_widgets.access import STAFF_ROLES

    def state():
        return {u["handle"]: (u["role"], u["disabled"]) for u in auth.list_users(store)}

    audited = 0
    for action, target, actor, role in steps:
        before = state()
        actor_ok = actor == auth.LOCAL_OWNER or before[actor] == ("admin", False)
        try:
            if action == "set_role":
                auth.set_role(store, target, role, by=actor)
            elif action == "disable":
                auth.disable(store, target, by=actor)
            else:
                auth.enable(store, target, by=actor)
        except PermissionError:
            assert state() == before, "a refused change changed something"
            continue
        assert actor_ok, f"{actor} changed {target} without being an admin"
        audited += 1
        after = state()
        assert any(r == "admin" and not d for r, d in after.values()), "no admin left who can log in"
        assert after["tia"][0] not in STAFF_ROLES, "a teen became staff"
    changes = store.sql("SELECT count(*) FROM audit_log WHERE action IN ('auth.role_set', 'auth.disable', 'auth.enable')"
                        ).iloc[0, 0]
    assert changes == audited + 1  # + the template's grant of admin to root
