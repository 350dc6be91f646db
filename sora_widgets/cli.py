"""`sora-widgets` command line: info, generate, studio/serve, seed-demo, users, check, bench."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import platform
import signal
import subprocess
import sys
from pathlib import Path


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("sora-widgets", "numpy", "duckdb", "av", "torch", "diffusers", "transformers", "librosa",
                 "pymunk", "voila", "jupyterlab", "anywidget", "ipywidgets", "ipyvolume"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def _device() -> str:
    try:
        import torch

        if torch.cuda.is_available():
            return f"cuda ({torch.cuda.get_device_name(0)})"
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return "mps"
    except ImportError:
        pass
    return f"cpu ({os.cpu_count()} cores)"


def cmd_info(args: argparse.Namespace) -> int:
    from . import available, open_store

    store = open_store(args.home)
    info = {
        "python": platform.python_version(),
        "versions": _versions(),
        "device": _device(),
        "store": str(store.db_path),
        "schema_version": store.schema_version(),
        "engines": [
            {"name": e.name, "available": e.available, **({"why_not": e.reason} if not e.available else {})}
            for e in available()
        ],
        "service": _service_info(),
    }
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    print(f"sora-widgets {info['versions']['sora-widgets']} on Python {info['python']}, device: {info['device']}")
    print(f"store: {info['store']} (schema v{info['schema_version']})")
    print("engines:")
    for e in info["engines"]:
        print(f"  {e['name']:<16} {'available' if e['available'] else 'unavailable: ' + e['why_not']}")
    _print_service(info["service"])
    print("versions: " + ", ".join(f"{k} {v}" for k, v in info["versions"].items()))
    return 0


def _service_info() -> dict:
    """The generation service's mode and workers (``SORA_WIDGETS_RAY``; docs/deploy.md); never starts one."""
    from .service import describe

    try:
        return describe()
    except Exception as exc:  # a cluster that cannot be reached is reported, info still prints
        return {"mode": "unreachable", "error": f"{type(exc).__name__}: {exc}"}


def _print_service(svc: dict) -> None:
    if svc["mode"] == "in-process":
        print("generation: in-process (set SORA_WIDGETS_RAY=local or a Ray address for the shared service)")
        return
    if svc["mode"] == "unreachable":
        print(f"generation service: unreachable ({svc['error']})")
        return
    print(f"generation service: {svc['mode']} at {svc['address']}"
          + ("" if svc.get("running") else f" ({svc.get('note', 'not running')})"))
    for w in svc.get("workers", []):
        where = f"node {str(w.get('node', '?'))[:12]}, pid {w.get('pid', '?')}, {w.get('num_gpus', 0):g} GPU"
        holds = ", ".join(w.get("holds") or []) or "nothing yet"
        state = f"running {w['busy']}" if w.get("busy") else w.get("error", "idle")
        print(f"  worker {w['worker_id']:<4} {where}; holds {holds}; {w.get('loads', 0)} loads, "
              f"{w.get('jobs', 0)} jobs; {state}")
    if svc.get("running"):
        print(f"  queued {svc['queued']}, running {svc['running_jobs']}, per-user limit {svc['per_user_limit']}")


def cmd_generate(args: argparse.Namespace) -> int:
    from . import generate

    clip = generate(args.prompt, engine=args.engine, seed=args.seed, duration=args.duration, fps=args.fps,
                    width=args.width, height=args.height)
    out = Path(args.out)
    clip.save(out)
    print(f"wrote {out} ({clip!r})")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Was FILE made here? Exit 0 when it (or a copy of it) was, 1 when not, 2 when it cannot be read."""
    from .provenance import check
    from .store import open_store

    report = check(args.file, store=open_store())
    if args.json:
        print(json.dumps({"verdict": report.verdict, "summary": report.summary, "clip_id": report.clip_id,
                          "creator": report.creator, "created_at": report.created_at, "lineage": report.lineage,
                          "changes": report.changes, "evidence": report.evidence,
                          "manifest_state": report.manifest_state}, indent=2))
    else:
        print(report.to_text())
    return 0 if report.made_here else 1


def _serve(target: Path, port: int, open_path: str) -> int:
    from .numba_cache import warm
    from .serve import start_voila
    from .store import default_home, open_store

    warm()  # before Voila starts kernels: they must only read librosa's numba cache, never fill it at once
    home = default_home().absolute()
    # Kernels run in the dashboards folder: pin the store to the caller's home, not ./data there.
    env = {"SORA_WIDGETS_HOME": str(home)}
    print(f"sora-widgets: serving {target} with Voila (store: {home}); logins on", flush=True)
    # SIGTERM (systemd, docker stop, a test's terminate()) must stop Voila and its kernels too: by default
    # it ends this process at once and leaves the server running, so it becomes an exit that runs `finally`.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    # A store service owns the home's database while we serve (one long-lived DuckDB for the server and
    # every kernel: no file open per request); it stops after Voila.
    with start_voila(target, env=env, port=port, to_terminal=True, timeout_s=120, store_service=True) as server:
        url = server.base_url + open_path
        users = _auth().list_users(open_store(home))
        if not any(u["has_password"] for u in users):
            print("  no accounts yet: the first account becomes the admin. Create it now with\n"
                  f"    sora-widgets --home {home} users create YOUR_HANDLE --role admin --birthdate YYYY-MM-DD\n"
                  f"  or sign up in the browser at {server.base_url}signup", flush=True)
            if users:
                print(f"  ({len(users)} demo users have no password; give one a password with "
                      f"`sora-widgets --home {home} users reset-password {users[0]['handle']}`)", flush=True)
        print(f"  open {url}", flush=True)
        try:
            return server.process.wait()
        except KeyboardInterrupt:
            return 0


def _exit_on_sigterm(signum: int, _frame) -> None:
    raise SystemExit(128 + signum)


def _auth():
    from . import auth

    return auth


def cmd_studio(args: argparse.Namespace) -> int:
    from .serve import dashboards_dir

    return _serve(dashboards_dir(), args.port, "voila/render/studio.ipynb")


def cmd_serve(args: argparse.Namespace) -> int:
    from .serve import dashboards_dir

    target = Path(args.path) if args.path else dashboards_dir()
    return _serve(target, args.port, "" if target.is_file() else "voila/tree")


def cmd_seed_demo(args: argparse.Namespace) -> int:
    from .demo import seed_demo

    summary = seed_demo(args.home, n_clips=args.clips, n_rendered=args.rendered, seed=args.seed)
    if args.json:
        print(json.dumps(summary, indent=2, default=str))
    else:  # one line a person reads while `make studio` starts (the JSON is for scripts: --json)
        print(f"demo community in {summary['home']}: {summary['users']} people, {summary['clips']} clips "
              f"({summary['rendered']} with video) in {summary['seconds']:.0f} s")
    return 0


def cmd_store_serve(args: argparse.Namespace) -> int:
    from .store import default_home
    from .store.service import serve_forever

    return serve_forever(default_home(), announce=lambda line: print(f"sora-widgets: {line}", flush=True),
                         parent_pid=args.parent_pid)


def cmd_bench(args: argparse.Namespace) -> int:
    bench_dir = Path(__file__).resolve().parent.parent / "benchmarks"
    names = args.names or sorted(p.stem for p in bench_dir.glob("*_bench.py"))
    rc = 0
    for name in names:
        script = bench_dir / (name if name.endswith(".py") else f"{name}.py")
        print(f"== {script.name}", flush=True)
        rc |= subprocess.call([sys.executable, str(script)])
    return rc


# ------------------------------------------------------------------ users
# The command line acts as the local machine owner (auth.LOCAL_OWNER): whoever can run it
# can read and write the store files anyway, so it needs no login. Every change is audited.

def _read_password(args: argparse.Namespace) -> str:
    """From stdin with --password-stdin (scripts, tests), else asked twice without echo; never an argument."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("password again: ") != first:
        raise ValueError("the two passwords differ")
    return first


def cmd_users_list(args: argparse.Namespace) -> int:
    from .store import open_store

    users = _auth().list_users(open_store())
    if args.json:
        print(json.dumps(users, indent=2, default=str))
        return 0
    print(f"{'handle':<24} {'role':<9} {'band':<6} {'status':<9} name")
    for u in users:
        status = "disabled" if u["disabled"] else ("active" if u["has_password"] else "no login")
        print(f"{u['handle']:<24} {u['role']:<9} {u['band']:<6} {status:<9} {u['display_name'] or ''}")
    return 0


def cmd_users_create(args: argparse.Namespace) -> int:
    from .store import open_store

    auth = _auth()
    info = auth.create_account(open_store(), args.handle, password=_read_password(args), birthdate=args.birthdate,
                               display_name=args.display_name, role=args.role, by=auth.LOCAL_OWNER)
    print(f"created @{info['handle']} ({info['role']}, {info['band']} account)")
    return 0


def cmd_users_set_role(args: argparse.Namespace) -> int:
    from .store import open_store

    auth = _auth()
    old = auth.set_role(open_store(), args.handle, args.role, by=auth.LOCAL_OWNER)
    print(f"@{args.handle.lstrip('@').lower()}: {old} -> {args.role}")
    return 0


def cmd_users_disable(args: argparse.Namespace) -> int:
    from .store import open_store

    auth = _auth()
    ended = auth.disable(open_store(), args.handle, by=auth.LOCAL_OWNER, reason=args.reason)
    print(f"disabled @{args.handle.lstrip('@').lower()} ({ended} open session(s) ended)")
    return 0


def cmd_users_enable(args: argparse.Namespace) -> int:
    from .store import open_store

    auth = _auth()
    auth.enable(open_store(), args.handle, by=auth.LOCAL_OWNER)
    print(f"enabled @{args.handle.lstrip('@').lower()}")
    return 0


def cmd_users_reset_password(args: argparse.Namespace) -> int:
    from .store import open_store

    auth = _auth()
    auth.reset_password(open_store(), args.handle, _read_password(args), by=auth.LOCAL_OWNER)
    print(f"new password set for @{args.handle.lstrip('@').lower()}; their open sessions ended")
    return 0


def _add_users_parser(sub) -> None:
    from .store.store import ROLES

    users = sub.add_parser("users", help="accounts: list, create, set-role, disable, enable, reset-password "
                                         "(acts as the local machine owner)")
    usub = users.add_subparsers(dest="users_command", required=True)
    s = usub.add_parser("list", help="every account with its role, age band and status")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_users_list)
    s = usub.add_parser("create", help="create an account that can log in (asks for its password)")
    s.add_argument("handle")
    s.add_argument("--birthdate", required=True, help="YYYY-MM-DD (under 13 is refused)")
    s.add_argument("--display-name", default=None)
    s.add_argument("--role", default=None, choices=ROLES, help="default: creator (admin if it is the first account)")
    s.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    s.set_defaults(func=cmd_users_create)
    s = usub.add_parser("set-role", help="grant or change a role (audited)")
    s.add_argument("handle")
    s.add_argument("role", choices=ROLES)
    s.set_defaults(func=cmd_users_set_role)
    s = usub.add_parser("disable", help="no more logins; open sessions end now")
    s.add_argument("handle")
    s.add_argument("--reason", default="")
    s.set_defaults(func=cmd_users_disable)
    s = usub.add_parser("enable", help="let a disabled account log in again")
    s.add_argument("handle")
    s.set_defaults(func=cmd_users_enable)
    s = usub.add_parser("reset-password", help="set a new password (asks for it); open sessions end")
    s.add_argument("handle")
    s.add_argument("--password-stdin", action="store_true")
    s.set_defaults(func=cmd_users_reset_password)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="sora-widgets", description=__doc__)
    p.add_argument("--home", default=None, help="store folder (default: $SORA_WIDGETS_HOME or ./data)")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("info", help="versions, device, store path, engines")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_info)

    s = sub.add_parser("generate", help="generate one clip to an MP4 file")
    s.add_argument("prompt")
    s.add_argument("-o", "--out", default="clip.mp4")
    s.add_argument("--engine", default="sim")
    s.add_argument("--seed", type=int, default=None)
    s.add_argument("--duration", type=float, default=4.0)
    s.add_argument("--fps", type=int, default=24)
    s.add_argument("--width", type=int, default=256)
    s.add_argument("--height", type=int, default=256)
    s.set_defaults(func=cmd_generate)

    s = sub.add_parser("check", help="was this video made here? (C2PA manifest, invisible marks, fingerprints)")
    s.add_argument("file", help="a video file (mp4, mov, webm, mkv)")
    s.add_argument("--json", action="store_true", help="print the report as JSON")
    s.set_defaults(func=cmd_check)

    s = sub.add_parser("studio", help="serve the dashboards with Voila and print the Studio URL")
    s.add_argument("--port", type=int, default=8866)
    s.set_defaults(func=cmd_studio)

    s = sub.add_parser("serve", help="serve a dashboard (or the dashboards folder) with Voila")
    s.add_argument("path", nargs="?")
    s.add_argument("--port", type=int, default=8866)
    s.set_defaults(func=cmd_serve)

    s = sub.add_parser("seed-demo", help="fill the store with demo users and a remix forest")
    s.add_argument("--clips", type=int, default=400, help="clip records in the forest")
    s.add_argument("--rendered", type=int, default=24, help="how many of them get real sim media")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--json", action="store_true", help="print the full summary as JSON")
    s.set_defaults(func=cmd_seed_demo)

    _add_users_parser(sub)

    s = sub.add_parser("store-serve", help="own the store's database in this process and serve the others on a "
                       "Unix socket in the home (one long-lived DuckDB: no open/close per operation)")
    s.add_argument("--parent-pid", type=int, default=None, help="also stop when this process dies")
    s.set_defaults(func=cmd_store_serve)

    s = sub.add_parser("bench", help="run benchmarks (all, or the ones named)")
    s.add_argument("names", nargs="*")
    s.set_defaults(func=cmd_bench)

    args = p.parse_args(argv)
    if args.home:
        os.environ["SORA_WIDGETS_HOME"] = args.home
    try:
        return int(args.func(args) or 0)
    except (ValueError, PermissionError, RuntimeError, KeyError) as exc:
        print(f"sora-widgets: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
