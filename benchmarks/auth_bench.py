"""Login costs: Argon2id hash/verify, a whole verify_login, and what throttling lets a guesser do.

Run: .venv/bin/python benchmarks/auth_bench.py [--n 20] [--realtime 60]
Prints medians in milliseconds. The browser figure (login -> Studio interactive) comes
from tests/test_auth_browser.py::test_login_to_an_interactive_studio_time (-s prints it).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

from sora_widgets import auth
from sora_widgets.auth import throttle
from sora_widgets.auth.login import LoginFailed, verify_login
from sora_widgets.auth.passwords import _HASHER, check_password, hash_password
from sora_widgets.store import open_store


def median_ms(fn, n: int) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times)


def attempts_allowed(policy: throttle.BackoffPolicy, seconds: float) -> int:
    """Password checks a guesser who retries the moment each lock ends gets in ``seconds``."""
    t, n = 0.0, 0
    while True:
        n += 1
        t += policy.delay_after(n)
        if t > seconds:
            return n


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--n", type=int, default=20, help="repetitions per figure")
    p.add_argument("--realtime", type=float, default=0.0, help="also hammer one account for this many seconds")
    args = p.parse_args()
    pw = "correct horse battery staple"
    digest = hash_password(pw)
    print(f"argon2id parameters: t={_HASHER.time_cost}, m={_HASHER.memory_cost // 1024} MiB, p={_HASHER.parallelism}")
    print(f"argon2id hash:   {median_ms(lambda: hash_password(pw), args.n):7.1f} ms (median of {args.n})")
    print(f"argon2id verify: {median_ms(lambda: check_password(digest, pw), args.n):7.1f} ms (median of {args.n})")
    with tempfile.TemporaryDirectory() as home:
        store = open_store(home)
        auth.create_account(store, "bench", password=pw, birthdate="1990-01-01")
        open_policy = (throttle.BackoffPolicy(free_failures=10**6),) * 2
        ok = median_ms(lambda: verify_login(store, "bench", pw, client="127.0.0.1"), args.n)

        def fail(handle):
            try:
                verify_login(store, handle, "wrong password", client="127.0.0.1", policies=open_policy)
            except LoginFailed:
                pass

        print(f"verify_login ok:            {ok:7.1f} ms")
        print(f"verify_login wrong password: {median_ms(lambda: fail('bench'), args.n):7.1f} ms")
        print(f"verify_login no such user:   {median_ms(lambda: fail('nobody'), args.n):7.1f} ms")
        if args.realtime:
            # A guesser hammering a fresh account for real: how many passwords were actually checked?
            auth.create_account(store, "victim", password=pw, birthdate="1990-01-01")
            t_end, tries = time.monotonic() + args.realtime, 0
            before = len(store.sql("SELECT 1 FROM audit_log WHERE action = 'auth.login_failed'"))
            while time.monotonic() < t_end:
                tries += 1
                try:
                    verify_login(store, "victim", f"guess {tries}", client="10.66.0.1")
                except LoginFailed:
                    pass
            checked = len(store.sql("SELECT 1 FROM audit_log WHERE action = 'auth.login_failed'")) - before
            print(f"real time, {args.realtime:g} s of wrong passwords at one account: {tries} tries, "
                  f"{checked} passwords checked ({checked * 60 / args.realtime:.0f} a minute), the rest refused unchecked")
    pol = throttle.ACCOUNT_POLICY
    print(f"throttling (one account, {pol.free_failures} free, {pol.base_delay_s:g} s doubling, cap {pol.max_delay_s:g} s): "
          f"{attempts_allowed(pol, 60)} guesses in the first minute, {attempts_allowed(pol, 3600)} in the first hour, "
          f"then {60 / pol.max_delay_s * 60:.0f} an hour")


if __name__ == "__main__":
    main()
