"""Warm kernels waiting for the next page: a dashboard's first Generate does not pay for imports and models.

Voila's own ``preheat_kernel`` runs the whole notebook before anyone asks for it,
so it refuses to work with a ``prelaunch_hook``: a preheated page could not know
whom it serves. We need less than that. A *pooled* kernel is started with the
server's environment and runs only :data:`WARM_CODE` (``widgets._warm_up.warm_up_kernel``),
which starts one thread: the Studio's imports, the shared text encoder, the sim
engine's first clip, the MP4 encoder and the provenance marks (the *first stage*),
then at low priority the engine list and the output check's detectors — and nothing
that depends on a user: no store access, no token, no widget. When Voila then asks
for a kernel for a page, it is handed the pooled one as soon as that kernel answers,
warm or still warming (``pool_take_warming``; its main thread is free, so the page's
cells run at once beside the warm-up, which a fresh kernel would have to do anyway), and the page's
notebook (with the identity cell the prelaunch hook put first) runs in it exactly
as in a fresh kernel; the page's own warm-up finds the work done (``_warm_up``).

The pool is refilled once the page that took the kernel has connected to it
(plus ``pool_refill_after_connect_s``, so the page's first Generate has the
cores), or after ``pool_refill_delay_s`` if it never connects. A page that comes
while the refill waits or its process starts gets a fresh kernel.

Why this is safe: a pooled kernel has no owner, so ``kernels.KernelOwnerAuthorizer``
lets no one at it; it is given to exactly one page and leaves the pool for good;
its identity still comes only from the server-signed token of the first cell.

Measured on the 2-core machine (``benchmarks/studio_bench.py``,
``benchmarks/studio_page_timeline.py``, ``benchmarks/studio_cells_profile.py``): see the README's
performance table. Memory: one warm kernel holds about as much as a page's
kernel after its first take (``benchmarks/kernel_rss.py``); ``pool_size`` (default
1, ``SORA_WIDGETS_KERNEL_POOL`` in the server's environment) trades it for speed.
"""

from __future__ import annotations

import asyncio
import os

from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from jupyter_server.utils import ensure_async
from traitlets import Bool, Float, Integer, List, Unicode, default

__all__ = ["FIRST_STAGE_DONE", "POOL_PAGES", "PooledKernelManager", "POOL_ENV", "STILL_WARMING", "WARM_CODE",
           "pool_serves"]

#: The server environment variable that sets the pool size (0 turns the pool off).
POOL_ENV = "SORA_WIDGETS_KERNEL_POOL"

#: What a pooled kernel runs while it waits: user-independent imports and models only, on a thread of
#: their own (``_sw_warm_up``), so this returns at once and the kernel stays free for a page.
WARM_CODE = """\
from sora_widgets.widgets._warm_up import warm_up_kernel as _sw_warm_up_kernel
_sw_warm_up = _sw_warm_up_kernel()
del _sw_warm_up_kernel
"""
#: Asked (as user expressions, silent requests of a few microseconds) while the kernel waits in the pool:
#: has the first stage (what a first Generate needs) finished, and is the rest (engine list, detectors) still
#: loading? The log says "warm kernel <id> ready", then "fully warm".
FIRST_STAGE_DONE = "_sw_warm_up.first_stage.is_set()"
STILL_WARMING = "_sw_warm_up.is_alive()"
#: Seconds between two such questions.
POLL_S = 0.5
#: The dashboards a pooled kernel is handed to: those that generate (a take, a remix) and play clips, which
#: is what it preloads. Any other page (admin, moderation, my_cameo, ...) gets a fresh kernel that loads only
#: what that page uses: a pooled kernel holds ~420 MiB of private memory, an admin page's own kernel ~90 MiB.
POOL_PAGES = ("studio.ipynb", "feed.ipynb", "lineage.ipynb")


def pool_serves(script_name: str | None, pages=POOL_PAGES) -> bool:
    """Whether a page request may take a pooled kernel.

    Args:
        script_name (`str | None`): the request's path as Voila puts it in the kernel's environment
            (``SCRIPT_NAME``, e.g. ``/voila/render/studio.ipynb``); None or empty: not a page of ours.
        pages (`Iterable[str]`, *optional*, defaults to :data:`POOL_PAGES`): notebook file names served.
    """
    if not script_name:
        return False
    return script_name.rstrip("/").rsplit("/", 1)[-1] in set(pages)


def _fail_unless_ready(task: asyncio.Task, ready: asyncio.Future) -> None:
    """A warm-up that ended (failed, cancelled) before its kernel answered fails whoever waits for it."""
    if ready.done():
        return
    error = None if task.cancelled() else task.exception()
    ready.set_exception(error or RuntimeError("the pooled kernel stopped before it was ready"))


class PooledKernelManager(AsyncMappingKernelManager):
    """A kernel manager that keeps ``pool_size`` warm kernels and hands them to page requests.

    Only a request whose kernel name and working folder match the pool's is served
    from it; anything else (another kernel spec, a notebook in a subfolder) starts a
    fresh kernel as before.
    """

    pool_size = Integer(help="Warm kernels kept ready for the next page (0: none).").tag(config=True)
    pool_kernel_name = Unicode("python3", help="The kernel spec pooled kernels run.").tag(config=True)
    pool_warm_code = Unicode(WARM_CODE, help="Code a pooled kernel runs before it is handed out.").tag(config=True)
    pool_warm_timeout_s = Float(180.0, help="Seconds a pooled kernel may take to warm up (s).").tag(config=True)
    pool_take_warming = Bool(
        True, help="Hand a page a pooled kernel that answers but is still in its warm-up's first stage (True), "
                   "or only one past it (False: a page coming meanwhile starts a fresh kernel)."
    ).tag(config=True)
    pool_refill_after_connect_s = Float(
        5.0, help="Seconds after the page that took a pooled kernel connected to it before the next one starts "
                  "(s): starting a kernel takes a core for a second or two, and the page's first Generate "
                  "comes right after it connects."
    ).tag(config=True)
    pool_pages = List(
        Unicode(), list(POOL_PAGES),
        help="Notebook file names whose pages may take a pooled kernel (others start a fresh, smaller one).",
    ).tag(config=True)
    pool_refill_delay_s = Float(
        20.0, help="Seconds after a page took a pooled kernel before the next one starts if that page never "
                   "connects (s)."
    ).tag(config=True)

    @default("pool_size")
    def _pool_size_default(self) -> int:
        try:
            return max(0, int(os.environ.get(POOL_ENV, "1")))
        except ValueError:
            return 1

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._pool: list[asyncio.Future] = []  # each resolves to a pooled kernel's id once it answers
        self._pooled_ids: set[str] = set()
        self._connected: dict[str, asyncio.Event] = {}  # a taken kernel's id -> set when its page connects
        if self.pool_size:
            try:
                loop = asyncio.get_event_loop()
            except RuntimeError:  # no loop yet in this thread: the app's loop is made later
                loop = asyncio.new_event_loop()
                asyncio.set_event_loop(loop)
            loop.call_soon(self._refill)

    # ------------------------------------------------------------ the pool
    def _pool_env(self) -> dict[str, str]:
        env = dict(os.environ)
        parent = self.parent
        # What Voila gives its kernels that does not depend on the request (served() reads these).
        env["VOILA_PREHEAT"] = "False"
        env["VOILA_BASE_URL"] = getattr(parent, "base_url", "/") or "/"
        env["VOILA_SERVER_URL"] = getattr(parent, "server_url", "/") or "/"
        env["VOILA_APP_PORT"] = str(getattr(parent, "port", ""))
        return env

    def _refill(self, after_page_of: str | None = None) -> None:
        """Top the pool up; with ``after_page_of`` (a kernel a page just took), once that page has connected."""
        if after_page_of is not None:  # registered now: the page may connect before the task first runs
            self._connected.setdefault(after_page_of, asyncio.Event())
        while len(self._pool) < self.pool_size:
            ready = asyncio.get_event_loop().create_future()  # the kernel's id once it answers
            task = asyncio.ensure_future(self._start_warm_kernel(ready, after_page_of))
            task.add_done_callback(lambda t, r=ready: _fail_unless_ready(t, r))
            self._pool.append(ready)

    async def _wait_for_page(self, kernel_id: str) -> None:
        """Return once the page that took ``kernel_id`` has had the cores for a while (see the traits)."""
        connected = self._connected.setdefault(kernel_id, asyncio.Event())
        try:
            await asyncio.wait_for(connected.wait(), self.pool_refill_delay_s)
            await asyncio.sleep(self.pool_refill_after_connect_s)
        except TimeoutError:  # the page never connected (closed at once, or not a browser)
            pass
        finally:
            self._connected.pop(kernel_id, None)

    async def _ask(self, client, expression: str) -> bool:
        reply = await ensure_async(client.execute_interactive(
            "", silent=True, store_history=False, user_expressions={"x": expression},
            timeout=self.pool_warm_timeout_s, output_hook=lambda msg: None))
        return reply["content"].get("user_expressions", {}).get("x", {}).get("data", {}).get("text/plain") == "True"

    async def _start_warm_kernel(self, ready: asyncio.Future, after_page_of: str | None = None) -> str:
        if after_page_of is not None:
            await self._wait_for_page(after_page_of)
        # Straight to jupyter_server's start: a pooled kernel belongs to no one (no owner recorded,
        # no per-user limit counted) until a page takes it.
        kernel_id = await AsyncMappingKernelManager.start_kernel(
            self, kernel_name=self.pool_kernel_name, path=None, env=self._pool_env())
        self._pooled_ids.add(kernel_id)
        client = self.get_kernel(kernel_id).client()
        client.start_channels()
        try:
            await ensure_async(client.wait_for_ready(timeout=self.pool_warm_timeout_s))
            reply = await ensure_async(client.execute_interactive(
                self.pool_warm_code, silent=True, store_history=False, timeout=self.pool_warm_timeout_s,
                output_hook=lambda msg: None))
            if reply["content"].get("status") != "ok":
                self.log.warning("kernel pool: warm-up code failed in %s: %s", kernel_id,
                                 reply["content"].get("evalue"))
                if not ready.done():
                    ready.set_result(kernel_id)  # a started kernel all the same: no worse than a fresh one
                return kernel_id
            if self.pool_take_warming and not ready.done():
                ready.set_result(kernel_id)  # a page may take it from now on (its main thread is free)
            # Ask now and then how far the warm-up is, until it is done or a page has taken the kernel.
            stage = FIRST_STAGE_DONE
            while kernel_id in self._pooled_ids:
                if stage == FIRST_STAGE_DONE and await self._ask(client, FIRST_STAGE_DONE):
                    self.log.info("kernel pool: warm kernel %s ready", kernel_id)
                    stage = STILL_WARMING
                    if not ready.done():
                        ready.set_result(kernel_id)
                if stage == STILL_WARMING and not await self._ask(client, STILL_WARMING):
                    self.log.info("kernel pool: warm kernel %s fully warm", kernel_id)
                    break
                await asyncio.sleep(POLL_S)
        finally:
            client.stop_channels()
        return kernel_id

    async def _take_pooled(self, kernel_name: str | None, path, env: dict | None = None) -> str | None:
        """A pooled kernel's id for a request like this one, or None (then start a fresh kernel)."""
        if not self._pool or (kernel_name or self.pool_kernel_name) != self.pool_kernel_name:
            return None
        if not pool_serves((env or {}).get("SCRIPT_NAME"), self.pool_pages):
            return None  # a page that neither generates nor plays: its own kernel is a fifth of the size
        if self.cwd_for_path(path or "") != self.cwd_for_path(""):
            return None
        for failed in [f for f in self._pool if f.done() and f.exception() is not None]:
            self.log.warning("kernel pool: a pooled kernel failed to start: %s", failed.exception())
            self._pool.remove(failed)
        # Only a kernel that answers (warm or still warming: ahead of a fresh one either way). One whose
        # refill waits for the previous page, or whose process is starting, would keep this page waiting.
        taken = next((f for f in self._pool if f.done()), None)
        if taken is None:
            self._refill()
            return None
        self._pool.remove(taken)
        kernel_id = taken.result()
        self._pooled_ids.discard(kernel_id)
        self._refill(after_page_of=kernel_id)
        if kernel_id not in self:
            return None  # died while waiting
        from jupyter_server._tz import utcnow

        self.get_kernel(kernel_id).last_activity = utcnow()  # idle time starts now, not when it was pooled
        return kernel_id

    # ------------------------------------------------------------ overrides
    async def start_kernel(self, *, kernel_id: str | None = None, path=None, **kwargs) -> str:
        """A kernel for a page: a warm pooled one when it fits, else a fresh one (jupyter_server's arguments)."""
        if kernel_id is None:
            pooled = await self._take_pooled(kwargs.get("kernel_name"), path, kwargs.get("env"))
            if pooled is not None:
                self.log.info("kernel pool: page served by warm kernel %s", pooled)
                return pooled
        return await super().start_kernel(kernel_id=kernel_id, path=path, **kwargs)

    def notify_connect(self, kernel_id: str):
        """A page connected to its kernel: a refill waiting for that page may start (after a pause)."""
        if kernel_id in self._connected:
            self._connected[kernel_id].set()
        return super().notify_connect(kernel_id)

    async def cull_kernel_if_idle(self, kernel_id: str):
        """Never cull a kernel that is waiting in the pool (it is idle by design)."""
        if kernel_id in self._pooled_ids:
            return None
        return await ensure_async(super().cull_kernel_if_idle(kernel_id))

    def pooled_kernel_ids(self) -> set[str]:
        """Ids of the kernels waiting in the pool (warm or warming)."""
        return set(self._pooled_ids)
