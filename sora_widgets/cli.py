"""`sora-widgets` command line: info, generate, studio/serve, seed-demo, bench."""

from __future__ import annotations

import argparse
import json
import os
import platform
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
    }
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    print(f"sora-widgets {info['versions']['sora-widgets']} on Python {info['python']}, device: {info['device']}")
    print(f"store: {info['store']} (schema v{info['schema_version']})")
    print("engines:")
    for e in info["engines"]:
        print(f"  {e['name']:<16} {'available' if e['available'] else 'unavailable: ' + e['why_not']}")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in info["versions"].items()))
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    from . import generate

    clip = generate(args.prompt, engine=args.engine, seed=args.seed, duration=args.duration, fps=args.fps,
                    width=args.width, height=args.height)
    out = Path(args.out)
    clip.save(out)
    print(f"wrote {out} ({clip!r})")
    return 0


def _serve(target: Path, port: int, open_path: str) -> int:
    from .serve import voila_argv
    from .store import default_home

    url = f"http://127.0.0.1:{port}/{open_path}"
    # Kernels run in the dashboards folder: pin the store to the caller's home, not ./data there.
    env = {**os.environ, "SORA_WIDGETS_HOME": str(default_home().absolute())}
    print(f"sora-widgets: serving {target} with Voila (store: {env['SORA_WIDGETS_HOME']})", flush=True)
    print(f"  open {url}", flush=True)
    return subprocess.call(voila_argv(target, port=port, preheat=False), cwd=target if target.is_dir() else target.parent,
                           env=env)


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
    print(json.dumps(summary, indent=2, default=str))
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    bench_dir = Path(__file__).resolve().parent.parent / "benchmarks"
    names = args.names or sorted(p.stem for p in bench_dir.glob("*_bench.py"))
    rc = 0
    for name in names:
        script = bench_dir / (name if name.endswith(".py") else f"{name}.py")
        print(f"== {script.name}", flush=True)
        rc |= subprocess.call([sys.executable, str(script)])
    return rc


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
    s.set_defaults(func=cmd_seed_demo)

    s = sub.add_parser("bench", help="run benchmarks (all, or the ones named)")
    s.add_argument("names", nargs="*")
    s.set_defaults(func=cmd_bench)

    args = p.parse_args(argv)
    if args.home:
        os.environ["SORA_WIDGETS_HOME"] = args.home
    try:
        return int(args.func(args) or 0)
    except (ValueError, PermissionError, RuntimeError) as exc:
        print(f"sora-widgets: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
