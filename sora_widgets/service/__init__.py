"""The generation service: one model in memory for every visitor, a pool of workers on Ray.

With ``SORA_WIDGETS_RAY`` unset (the default) nothing here runs and Ray is never
imported: :func:`sora_widgets.generate` works in-process as it always has. Set it
and every ``generate()`` call (Studio, remix, cameo, notebooks) is queued on a
shared scheduler and run by a worker that keeps its pipeline warm:

- ``SORA_WIDGETS_RAY=local``: a Ray cluster on this machine, started on first use
  and shared by every kernel (a named, detached scheduler actor).
- ``SORA_WIDGETS_RAY=ray://host:10001`` or ``host:6379``: join an existing cluster.

Modules (Ray is imported only by the last four):

- :mod:`.config`: the environment variables, their defaults and the mode.
- :mod:`.fairness`: ``FairQueue``, the per-user fairness and concurrency rule (pure Python).
- :mod:`.placement`: where a model goes on a GPU (fits, or accelerate's offload).
- :mod:`.jobs_log`: job states and timings in the Store (``generation_jobs``).
- :mod:`.worker`, :mod:`.scheduler`: the Ray actors.
- :mod:`.cluster`: joining or starting the cluster, finding the scheduler.
- :mod:`.client`: what a kernel runs: submit, wait in line, stream progress, cancel, retry.

See docs/deploy.md for a multi-machine deployment.
"""

from __future__ import annotations

from .config import RAY_ENV, service_mode

__all__ = ["RAY_ENV", "describe", "service_mode"]


def describe(*, start: bool = False) -> dict:
    """The service's mode, workers and what they hold (``sora-widgets info``).

    Args:
        start (`bool`, *optional*, defaults to `False`): in ``local`` mode, start the cluster if none runs
            (otherwise a cluster that is not running yet is reported as such, and nothing starts).

    Returns:
        `dict`: ``{"mode": "in-process"}`` when ``SORA_WIDGETS_RAY`` is unset; else ``mode``, ``address``,
        ``running`` (bool), and when running ``workers`` (one dict per worker: ``worker_id``, ``node``,
        ``pid``, ``num_gpus``, ``holds`` (models loaded), ``loads``, ``jobs``, ``busy``), ``queued`` and
        ``running_jobs``.
    """
    mode = service_mode()
    if not mode:
        return {"mode": "in-process"}
    from .cluster import status

    return status(start=start)
