"""Starting Voila on our dashboards: one place for the flags, used by the CLI, Makefile and tests.

Flags, and why:
- ``file_allowlist``: Voila refuses to serve media files unless allow-listed.
- ``cull_idle_timeout`` / ``cull_interval`` / ``cull_connected=False``: Voila leaks one kernel
  per page view (its shutdown beacon is refused); a closed page's kernel (no websocket) is
  culled within :data:`CULL_IDLE_S` + :data:`CULL_INTERVAL_S` seconds (a minute); an open
  page's kernel never is. With logins, pages per user and in all are limited too
  (``auth.kernels.OwnedKernelManager``).
- ``preheat_kernel``: a warm kernel makes the first page interactive sooner; only without
  logins (Voila refuses it with a prelaunch hook: a kernel started before anyone logged in
  could not know whom it serves).
- ``auth`` (default on): Voila runs through ``sora_widgets.auth.voila_app``, which adds the
  Store-backed login (identity provider, persistent cookie secret) and the prelaunch hook
  that hands each kernel its verified user. Kernels get ``SORA_WIDGETS_SERVED=1`` and no
  ``SORA_WIDGETS_USER``: a served dashboard's user comes only from the login.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["VoilaServer", "dashboards_dir", "free_port", "refuse_served_home", "served_env", "start_voila",
           "voila_argv", "CULL_IDLE_S", "CULL_INTERVAL_S"]

#: A kernel with no page connected is shut down after this many seconds without activity (s) ...
CULL_IDLE_S = 45
#: ... checked this often (s): a closed page's kernel is gone within CULL_IDLE_S + CULL_INTERVAL_S = 60 s.
CULL_INTERVAL_S = 15


def dashboards_dir() -> Path:
    """The Voila dashboards: the checkout's ``dashboards/`` (source or editable install), else the
    copy a wheel installs under ``<prefix>/share/sora-widgets/dashboards``."""
    checkout = Path(__file__).resolve().parent.parent / "dashboards"
    candidates = [checkout] + [Path(prefix) / "share" / "sora-widgets" / "dashboards"
                               for prefix in dict.fromkeys((sys.prefix, sysconfig.get_path("data")))]
    for folder in candidates:
        if (folder / "studio.ipynb").is_file():
            return folder
    raise FileNotFoundError(
        "the sora-widgets dashboards are missing (looked in " + ", ".join(map(str, candidates)) +
        "); reinstall the package (pip install --force-reinstall sora-widgets) or run from a checkout.")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def voila_argv(target: str | os.PathLike, *, port: int, ip: str = "127.0.0.1", preheat: bool = False,
               auth: bool = True) -> list[str]:
    """The command line serving ``target`` (a notebook or a folder of notebooks), with logins unless ``auth=False``."""
    if auth and preheat:
        raise ValueError("preheat_kernel cannot be used with logins (Voila refuses it with a prelaunch hook)")
    argv = [
        sys.executable, "-m", "sora_widgets.auth.voila_app" if auth else "voila", str(target),
        "--no-browser", f"--port={port}", f"--Voila.ip={ip}",
        # One item per flag (traitlets 5 deprecates the bracketed list form and prints a warning).
        "--VoilaConfiguration.file_allowlist=.*\\.(png|jpg|gif|svg|mp4|webm|css|js)",
        f"--MappingKernelManager.cull_idle_timeout={CULL_IDLE_S}",
        f"--MappingKernelManager.cull_interval={CULL_INTERVAL_S}",
        "--MappingKernelManager.cull_connected=False",
        "--VoilaConfiguration.show_tracebacks=False",
    ]
    if preheat:
        argv += ["--preheat_kernel=True", "--pool_size=1"]
    return argv


@dataclass
class VoilaServer:
    process: subprocess.Popen
    base_url: str
    target: Path
    log_path: Path | None = None

    def url(self, notebook: str | None = None, **query: str) -> str:
        """URL of ``notebook`` (relative to the served folder) with an optional query string."""
        from urllib.parse import urlencode

        url = self.base_url if notebook is None else f"{self.base_url}voila/render/{notebook}"
        return url + (("?" + urlencode(query)) if query else "")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def served_env(env: dict[str, str] | None = None, *, auth: bool = True) -> dict[str, str]:
    """The environment of a Voila server (and so of its kernels): the store home pinned to an
    absolute path (kernels run in the dashboards folder), and with ``auth`` no personal identity."""
    from .store import default_home

    full_env = {**os.environ, **(env or {})}
    full_env.setdefault("SORA_WIDGETS_HOME", str(default_home().absolute()))
    if auth:
        # A served dashboard never falls back to the notebook owner's identity.
        full_env.pop("SORA_WIDGETS_USER", None)
        full_env.pop("SORA_WIDGETS_URL_USER", None)
        full_env["SORA_WIDGETS_SERVED"] = "1"
    return full_env


def refuse_served_home(home: str | os.PathLike, served: str | os.PathLike) -> None:
    """Refuse to serve ``served`` when the store ``home`` lies inside it: Voila serves the files of the
    folder it renders (``file_allowlist`` lets .mp4 and .png through), so every draft's media would be
    downloadable by its hash (issue 13 item 11).

    Args:
        home (`str | os.PathLike`): the store's folder (``SORA_WIDGETS_HOME``).
        served (`str | os.PathLike`): the folder Voila serves.

    Raises:
        ValueError: with the two paths and what to do.
    """
    home_p, served_p = Path(home).resolve(), Path(served).resolve()
    if home_p == served_p or served_p in home_p.parents:
        raise ValueError(
            f"the store {home_p} is inside the folder being served ({served_p}): its media (drafts included) "
            "would be downloadable. Keep the store outside it (set SORA_WIDGETS_HOME to another folder).")


@contextlib.contextmanager
def start_voila(
    target: str | os.PathLike | None = None,
    *,
    env: dict[str, str] | None = None,
    port: int | None = None,
    timeout_s: float = 90.0,
    log_path: str | os.PathLike | None = None,
    preheat: bool = False,
    auth: bool = True,
    to_terminal: bool = False,
    store_service: bool | None = None,
) -> Iterator[VoilaServer]:
    """Run Voila on ``target`` (default: the dashboards folder) until the block ends.

    Args:
        target: a notebook or a folder of notebooks.
        env: extra environment for the server and its kernels (``SORA_WIDGETS_HOME`` picks the store).
        port: the port (default: a free one).
        timeout_s: how long to wait for the server to answer.
        log_path: where the server's output goes (default: discarded).
        preheat: keep a warm kernel (only with ``auth=False``).
        auth: logins on (the default): every page needs a logged-in user.
        to_terminal: Voila's output goes to this process's terminal (the CLI) instead of ``log_path``.
        store_service: run a store service for the home first (``sora-widgets store-serve``: one long-lived
            DuckDB that the server and every kernel use, no file open per operation) and stop it after
            Voila. Default: ``SORA_WIDGETS_STORE_SERVICE=1`` in the environment (the CLI's ``studio`` and
            ``serve`` pass True).
    """
    target = Path(target or dashboards_dir()).resolve()
    port = port or free_port()
    full_env = served_env(env, auth=auth)
    refuse_served_home(full_env["SORA_WIDGETS_HOME"], target if target.is_dir() else target.parent)
    argv = voila_argv(target, port=port, preheat=preheat, auth=auth)
    if store_service is None:
        store_service = full_env.get("SORA_WIDGETS_STORE_SERVICE") == "1"
    with contextlib.ExitStack() as service_stack:
        if store_service:  # before Voila, so the server and every kernel find it; stopped after them
            from .store import service as store_service_mod

            if store_service_mod.running(full_env["SORA_WIDGETS_HOME"]) is None:  # else: someone else's to stop
                proc = store_service_mod.spawn(full_env["SORA_WIDGETS_HOME"], env=full_env)
                service_stack.callback(store_service_mod.stop, proc)
        with _run_voila(argv, full_env, target, port, timeout_s, log_path, to_terminal) as server:
            yield server


@contextlib.contextmanager
def _run_voila(argv: list[str], full_env: dict[str, str], target: Path, port: int, timeout_s: float,
               log_path: str | os.PathLike | None, to_terminal: bool) -> Iterator[VoilaServer]:
    log = None if to_terminal else open(log_path, "wb") if log_path else subprocess.DEVNULL
    cwd = target if target.is_dir() else target.parent
    proc = subprocess.Popen(argv, env=full_env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
    server = VoilaServer(proc, f"http://127.0.0.1:{port}/", target, Path(log_path) if log_path else None)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"voila exited with code {proc.returncode}; see {log_path or 'its output'}")
            try:
                # A cheap path: "/" of a notebook would render it (and start a kernel).
                urllib.request.urlopen(server.base_url + "api", timeout=2).read()
                break
            except urllib.error.HTTPError:
                break  # any HTTP answer (Voila answers some paths with 404) means it is listening
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"voila did not answer on {server.base_url} within {timeout_s} s") from None
                time.sleep(0.25)
        yield server
    finally:
        server.stop()
        if log_path and not to_terminal:
            log.close()
