"""Command -> Studio usable on a fresh home (issue 14): what a new user does after installing.

Each run starts from an empty ``SORA_WIDGETS_HOME`` and does, timed step by step, what ``make studio``
runs and what the README tells the user to do next:

1. first-run data: ``sora-widgets seed-demo`` (the Makefile's ``first-run-data``: only when the store is missing);
2. ``sora-widgets studio --port P``, until it prints the Studio's URL (``open http://...``);
3. Debian's chromium starts and opens that URL: the server sends the login page; a new user has no account,
   so they follow "Create an account", fill in the sign-up form and land on the Studio;
4. until the Studio's Generate button is enabled (the page is usable);
5. they type a prompt, press Generate, and the first clip plays (its <video> can play and its time advances).

Prints each step's seconds, the total, and the load average before and after. Installing (``make install``:
the virtual environment, pip, the Debian packages) is not part of it: that is a separate, one-time cost.
The ``make`` targets themselves are not run (``install`` would check pip on every call); the benchmark runs
the same two commands they run, with the same environment.

Usage: .venv/bin/python benchmarks/first_run_bench.py [--runs 1] [--port 9150]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _studio_page import NEW_VIDEO_PLAYABLE_JS, check_chromium, launch  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
CLI = Path(sys.executable).parent / "sora-widgets"
PROMPT = "a red ball bounces on a wooden floor"
HANDLE, PASSWORD, BIRTHDATE = "newcomer", "a first password, long enough", "1990-01-01"
STEPS = ("first-run data (seed-demo)", "server prints its URL", "chromium opens it, sign-up done",
         "Generate usable", "first clip plays")

# The first clip plays: the new <video> starts and its time moves on (a stalled start is not playing).
PLAYS_JS = """async () => {
  const v = [...document.querySelectorAll('.sw-main-player video')].find(v => v.readyState >= 3);
  const t0 = v.currentTime;
  await v.play();
  const t = performance.now();
  while (v.currentTime - t0 < 0.2) {
    if (performance.now() - t > 60000) throw new Error('the first clip did not play within 60 s');
    await new Promise(r => setTimeout(r, 20));
  }
  v.pause();
  return v.currentTime - t0;
}"""


class Server:
    """``sora-widgets studio --port P`` as a child process; its output is read on a thread (the URL line)."""

    def __init__(self, home: Path, port: int, log_path: Path):
        env = {**os.environ, "SORA_WIDGETS_HOME": str(home)}
        self.log = log_path.open("w")
        self.process = subprocess.Popen([str(CLI), "studio", "--port", str(port)], cwd=REPO, env=env,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                        start_new_session=True)  # its own group: Voila and kernels stop with it
        self.url: str | None = None
        self.printed = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.log.write(line)
            self.log.flush()
            if line.strip().startswith("open http"):
                self.url = line.strip().split(" ", 1)[1]
                self.printed.set()
        self.printed.set()  # the process ended: wait_for_url sees no URL

    def wait_for_url(self, timeout_s: float) -> str:
        if not self.printed.wait(timeout_s) or self.url is None:
            raise RuntimeError(f"`sora-widgets studio` printed no URL (see {self.log.name})")
        return self.url

    def stop(self) -> None:
        """SIGTERM (the CLI stops Voila, its kernels and the store service on it), then SIGKILL to the group."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.log.close()


def sign_up(page, url: str) -> None:
    """Open the printed URL (the login page comes back), follow "Create an account", fill it in, submit."""
    page.goto(url)
    page.click("#sw-signup-link")
    page.fill("#handle", HANDLE)
    page.fill("#display_name", "New Comer")
    page.fill("#password", PASSWORD)
    page.fill("#password2", PASSWORD)
    page.fill("#birthdate", BIRTHDATE)
    with page.expect_navigation(timeout=180_000):
        page.click("#sw-signup-submit")
    if page.query_selector("#sw-signup-form"):
        raise RuntimeError(f"sign-up refused: {page.inner_text('body')[:300]}")
    # The first account on a fresh home is the admin: a page says so, and "Continue" goes on to the Studio.
    if page.query_selector("#sw-continue"):
        with page.expect_navigation(timeout=180_000):
            page.click("#sw-continue")


def say(step: str, times: dict[str, float]) -> None:
    print(f"  {step}: {times[step]:.2f} s (load {load()})", flush=True)


def one_run(playwright, port: int, workdir: Path) -> dict[str, float]:
    """One new user's first run on an empty home under ``workdir``: seconds per step (STEPS)."""
    home = workdir / "home"
    home.mkdir(parents=True)
    env = {**os.environ, "SORA_WIDGETS_HOME": str(home)}
    times: dict[str, float] = {}
    t = time.perf_counter()
    if not (home / "sora.duckdb").exists():  # as the Makefile: `test -f .../sora.duckdb || sora-widgets seed-demo`
        subprocess.run([str(CLI), "seed-demo"], cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL)
    times[STEPS[0]] = time.perf_counter() - t
    say(STEPS[0], times)

    t = time.perf_counter()
    server = Server(home, port, workdir / "studio.log")
    try:
        url = server.wait_for_url(300)
        times[STEPS[1]] = time.perf_counter() - t
        say(STEPS[1], times)

        t = time.perf_counter()
        browser = launch(playwright)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            sign_up(page, url)
            times[STEPS[2]] = time.perf_counter() - t
            say(STEPS[2], times)

            t = time.perf_counter()
            page.wait_for_selector("button.sw-generate:not([disabled])", timeout=300_000)
            times[STEPS[3]] = time.perf_counter() - t
            say(STEPS[3], times)

            t = time.perf_counter()
            page.get_by_label("Prompt", exact=True).fill(PROMPT)
            page.wait_for_timeout(100)  # the prompt reaches the kernel before the click does
            page.locator("button.sw-generate").click()
            page.wait_for_function(NEW_VIDEO_PLAYABLE_JS, timeout=300_000, polling=20)
            page.evaluate(PLAYS_JS)
            times[STEPS[4]] = time.perf_counter() - t
            say(STEPS[4], times)
        finally:
            browser.close()
    finally:
        server.stop()
    return times


def load() -> str:
    return " ".join(f"{v:.1f}" for v in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=1, help="first runs, each on a new empty home (default 1)")
    p.add_argument("--port", type=int, default=9150, help="the studio's port (default 9150)")
    p.add_argument("--keep", action="store_true", help="keep the homes and server logs (printed)")
    args = p.parse_args(argv)
    if not check_chromium() or not CLI.exists():
        print(f"needs {CLI} (make install) and Debian's chromium", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    print(f"load average before: {load()}", flush=True)
    runs = []
    with sync_playwright() as playwright:
        for i in range(args.runs):
            workdir = Path(tempfile.mkdtemp(prefix="sw-first-run-"))
            try:
                times = one_run(playwright, args.port, workdir)
            finally:
                if args.keep:
                    print(f"  kept {workdir}")
                else:
                    shutil.rmtree(workdir, ignore_errors=True)
            runs.append(times)
            steps = "; ".join(f"{k} {v:.2f} s" for k, v in times.items())
            print(f"run {i + 1}: {steps}; total {sum(times.values()):.2f} s (load {load()})", flush=True)
    print("\ncommand -> Studio usable on a fresh home (median of runs; install time not included):")
    for step in STEPS:
        print(f"  {step:34s} {statistics.median(r[step] for r in runs):7.2f} s")
    totals = [sum(r.values()) for r in runs]
    usable = [sum(r[s] for s in STEPS[:4]) for r in runs]
    print(f"  {'command -> Generate usable':34s} {statistics.median(usable):7.2f} s")
    print(f"  {'total (first clip plays)':34s} {statistics.median(totals):7.2f} s")
    print(f"load average after: {load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
