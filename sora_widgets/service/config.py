"""The service's settings: environment variables, their defaults, the mode. Never imports Ray."""

from __future__ import annotations

import os

__all__ = [
    "CHUNKS_IN_FLIGHT",
    "FRAME_CHUNK_BYTES",
    "HEARTBEAT_S",
    "NAMESPACE",
    "OWNER_TIMEOUT_S",
    "PROGRESS_INTERVAL_S",
    "RAY_ENV",
    "SCHEDULER_NAME",
    "Settings",
    "service_mode",
    "settings_from_env",
]

#: ``""``/unset: in-process; ``"local"``: a cluster on this machine; else a Ray address to join.
RAY_ENV = "SORA_WIDGETS_RAY"
#: The Ray namespace and name of the one scheduler every kernel finds (a detached actor).
NAMESPACE = "sora_widgets"
SCHEDULER_NAME = "sora-widgets-scheduler"
#: A caller tells the scheduler it is alive this often (s) while it has jobs.
HEARTBEAT_S = 1.0
#: A caller silent this long (s) is gone (kernel shut down or killed): its jobs are cancelled.
OWNER_TIMEOUT_S = float(os.environ.get("SORA_WIDGETS_RAY_OWNER_TIMEOUT_S", "8"))
#: A worker streams progress to its caller at most this often (s); the last step always.
PROGRESS_INTERVAL_S = 0.1
#: A clip's frames travel from worker to caller in pieces of at most this many bytes (default 16 MiB,
#: ``SORA_WIDGETS_RAY_CHUNK_MB`` in the workers' environment), a few in
#: flight at a time (``CHUNKS_IN_FLIGHT``): a 20 s 512 px clip (377 MB) then never needs that much of the
#: object store at once (a whole-clip object larger than the store spills to disk: 5x slower), and the
#: caller's clip owns its memory instead of pinning the store for as long as a kernel keeps it.
FRAME_CHUNK_BYTES = int(float(os.environ.get("SORA_WIDGETS_RAY_CHUNK_MB", "16")) * 2**20)
#: Pieces a worker may have sent that its caller has not read yet (Ray's generator backpressure).
CHUNKS_IN_FLIGHT = int(os.environ.get("SORA_WIDGETS_RAY_CHUNKS_IN_FLIGHT", "4"))


def service_mode() -> str:
    """``SORA_WIDGETS_RAY`` stripped: ``""`` (in-process), ``"local"`` or a cluster address."""
    return os.environ.get(RAY_ENV, "").strip()


class Settings(dict):
    """The scheduler's settings (a plain dict so it crosses to Ray unchanged).

    Keys: ``workers`` (int, generation workers to keep), ``cpus_per_worker`` (float),
    ``gpus_per_worker`` (float; 1 = one worker per GPU, so two pipelines never share one),
    ``per_user_limit`` (int, jobs one user may have running at once), ``max_attempts`` (int, tries of a
    job whose worker died: 2 = retried once).
    """


def settings_from_env(gpus_in_cluster: float = 0.0) -> Settings:
    """Settings from ``SORA_WIDGETS_RAY_WORKERS`` (default: one per GPU, else 1),
    ``SORA_WIDGETS_RAY_GPUS_PER_WORKER`` (default 1 when the cluster has GPUs, else 0),
    ``SORA_WIDGETS_RAY_CPUS_PER_WORKER`` (default 1) and ``SORA_WIDGETS_RAY_PER_USER`` (default 1).

    Args:
        gpus_in_cluster (`float`): GPUs Ray reports for the whole cluster (``ray.cluster_resources()``).
    """
    env = os.environ
    gpus_per = float(env.get("SORA_WIDGETS_RAY_GPUS_PER_WORKER", "1" if gpus_in_cluster else "0"))
    default_workers = int(gpus_in_cluster // gpus_per) if gpus_per else 1
    return Settings(
        workers=max(1, int(env.get("SORA_WIDGETS_RAY_WORKERS", default_workers or 1))),
        cpus_per_worker=float(env.get("SORA_WIDGETS_RAY_CPUS_PER_WORKER", "1")),
        gpus_per_worker=gpus_per,
        per_user_limit=max(1, int(env.get("SORA_WIDGETS_RAY_PER_USER", "1"))),
        max_attempts=2,
    )
