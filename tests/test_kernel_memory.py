"""A smaller idle kernel (issue 13 item 3): model weights shared between kernels, loaded without extra copies.

The MiniLM text encoder's weights are memory-mapped read-only from one file (sora_widgets/_shared_weights.py),
so every kernel on the machine maps the same page-cache pages; Whisper is loaded by CTranslate2 from a
file instead of from Python bytes. Checked here: identical results, the sharing itself (PSS against RSS of
two processes), the cache file's safety (atomic, rebuilt when damaged or stale, memory when unwritable), the
speech model's hash check, and a real Jupyter kernel's private memory after loading both models.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sora_widgets import _shared_weights as sw
from sora_widgets import text_encoder as te

MIB = 2**20
#: The MiniLM weights as the encoder uses them (float32), MiB: what each kernel held in its own heap before.
MINILM_MIB = 86


@pytest.fixture(scope="module")
def weights_cache(tmp_path_factory) -> Path:
    """One cache folder for this module, built once (the encoder's file is ~87 MiB)."""
    return tmp_path_factory.mktemp("weights-cache")


@pytest.fixture
def cache_env(weights_cache, monkeypatch) -> Path:
    monkeypatch.setenv(sw.CACHE_ENV, str(weights_cache))
    return weights_cache


def _mapping_stats(pid: int, path: Path) -> dict[str, int]:
    """Summed smaps fields (bytes) of every mapping of ``path`` in process ``pid``."""
    out: dict[str, int] = {}
    inside = False
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        head = line.split()
        if len(head) >= 5 and "-" in head[0] and not head[0].endswith(":"):
            inside = line.rstrip().endswith(str(path))
        elif inside and head and head[0].endswith(":") and len(head) >= 3 and head[2] == "kB":
            out[head[0][:-1]] = out.get(head[0][:-1], 0) + int(head[1]) * 1024
    return out


def test_mapped_encoder_gives_identical_embeddings(cache_env):
    """Mapped weights: the same bits as the weights loaded into memory, read-only, and from one file."""
    enc = te.MiniLMEncoder()
    [path] = cache_env.glob("minilm-*.safetensors")
    ref = te.MiniLMEncoder.__new__(te.MiniLMEncoder)
    ref.tokenizer, ref.n_layers, ref.n_heads = enc.tokenizer, enc.n_layers, enc.n_heads
    ref.w = te._prepared_weights(te.model_dir() / "model.safetensors")
    assert ref.w.keys() == enc.w.keys()
    texts = ["a red ball bounces off the backboard", "hi", "the cat jumps on the table while it rains " * 8]
    assert np.array_equal(enc.encode(texts), ref.encode(texts))
    assert all(not a.flags.writeable and a.flags.c_contiguous for a in enc.w.values())
    assert str(path) in Path("/proc/self/maps").read_text()
    # A second encoder (another kernel) maps the same file: nothing rebuilt, nothing new written.
    mtime = path.stat().st_mtime_ns
    again = te.MiniLMEncoder()
    assert path.stat().st_mtime_ns == mtime and len(list(cache_env.iterdir())) == 1
    assert np.array_equal(again.encode(texts), ref.encode(texts))


def test_two_kernels_share_the_weights(cache_env):
    """Two processes using the encoder hold its weights once: the file's pages are shared, none private."""
    te.MiniLMEncoder()  # the file exists before the children start
    [path] = cache_env.glob("minilm-*.safetensors")
    child = textwrap.dedent("""
        import sys
        from sora_widgets.text_encoder import MiniLMEncoder
        enc = MiniLMEncoder()
        enc.encode(["a ball bounces"])
        sum(float(a.sum()) for a in enc.w.values())  # every page of the weights touched
        print("ready", flush=True)
        sys.stdin.readline()
    """)
    procs = [subprocess.Popen([sys.executable, "-c", child], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
             for _ in range(2)]
    try:
        for p in procs:
            assert p.stdout.readline().strip() == "ready"
        for p in procs:
            m = _mapping_stats(p.pid, path)
            assert m["Rss"] > 0.9 * path.stat().st_size  # resident, and counted in each one's RSS ...
            assert m["Private_Clean"] + m["Private_Dirty"] == 0  # ... but not one private page
            assert m["Pss"] <= m["Rss"] / 2 + MIB  # each pays half: PSS < RSS by half the weights
    finally:
        for p in procs:
            p.stdin.close()
            p.wait(timeout=60)


_DTYPES = st.sampled_from([np.float32, np.float64, np.float16, np.int64, np.int32, np.int8, np.uint8])


@settings(max_examples=30, deadline=None)
@given(st.dictionaries(st.from_regex(r"[a-z][a-z0-9_.]{0,12}", fullmatch=True),
                       _DTYPES.flatmap(lambda dt: hnp.arrays(dt, hnp.array_shapes(min_dims=1, max_dims=3, min_side=0,
                                                                                  max_side=5))),
                       min_size=1, max_size=5))
def test_mapped_arrays_round_trip(tmp_path_factory, arrays):
    """Whatever a loader builds comes back from the mapped file bit for bit, with its dtype and shape."""
    folder = tmp_path_factory.mktemp("rt")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(sw.CACHE_ENV, str(folder))
        src = folder / "src.bin"
        src.write_bytes(b"x")
        got = sw.mapped_arrays("rt", [src], lambda: arrays)
        again = sw.mapped_arrays("rt", [src], lambda: pytest.fail("built twice"))
    for out in (got, again):
        assert out.keys() == arrays.keys()
        for k, a in arrays.items():
            assert out[k].dtype == a.dtype and out[k].shape == a.shape
            assert np.array_equal(out[k], a, equal_nan=a.dtype.kind == "f")
            assert not out[k].flags.writeable


def test_stale_or_damaged_cache_is_rebuilt(tmp_path, monkeypatch):
    """A changed source builds a new file; a truncated file is never used; values always right."""
    monkeypatch.setenv(sw.CACHE_ENV, str(tmp_path / "cache"))
    src = tmp_path / "model.bin"
    src.write_bytes(b"one")
    calls = []

    def build():
        calls.append(1)
        return {"w": np.arange(1000, dtype=np.float32) * len(src.read_bytes())}

    first = sw.mapped_arrays("m", [src], build)
    assert np.array_equal(first["w"], np.arange(1000, dtype=np.float32) * 3)
    [path] = (tmp_path / "cache").glob("m-*.safetensors")
    # A file cut short (a full disk, a bad copy), put in place by rename as any writer here does: cutting
    # the mapped inode itself would pull pages from under ``first`` (SIGBUS), which no writer of ours does.
    cut = tmp_path / "cut"
    cut.write_bytes(path.read_bytes()[:-100])
    cut.replace(path)
    again = sw.mapped_arrays("m", [src], build)
    assert np.array_equal(again["w"], np.arange(1000, dtype=np.float32) * 3) and len(calls) == 2
    assert np.array_equal(first["w"], again["w"])  # the earlier mapping still reads its own, whole file
    src.write_bytes(b"three")  # the model changed: a new key, new values
    new = sw.mapped_arrays("m", [src], build)
    assert np.array_equal(new["w"], np.arange(1000, dtype=np.float32) * 5) and len(calls) == 3
    assert len(list((tmp_path / "cache").glob("m-*.safetensors"))) == 2
    assert not list((tmp_path / "cache").glob(".*"))  # no temporary file left behind


def test_unwritable_cache_keeps_weights_in_memory(tmp_path, monkeypatch):
    """No writable cache folder: the loader's own arrays, same values (a read-only home still works)."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(sw.CACHE_ENV, str(blocker / "weights"))
    out = sw.mapped_arrays("m", [blocker], lambda: {"w": np.ones((3, 4), np.float32)})
    assert np.array_equal(out["w"], np.ones((3, 4), np.float32))
    assert sw.cached_folder("f", [blocker], lambda d: (d / "x").write_text("x")) is None


def test_speech_model_file_is_hash_checked(tmp_path, monkeypatch):
    """Whisper is loaded from one joined file; a changed byte in it is refused, never loaded."""
    from sora_widgets.speech import model as sm

    monkeypatch.setenv(sw.CACHE_ENV, str(tmp_path))
    folder = sm._model_folder()
    assert folder is not None and folder.parent == tmp_path
    assert {p.name for p in folder.iterdir()} == {"model.bin", "config.json", "tokenizer.json", "vocabulary.txt"}
    assert sm._model_folder() == folder  # built once
    with open(folder / "model.bin", "r+b") as f:
        f.seek(12345)
        byte = f.read(1)
        f.seek(12345)
        f.write(bytes([byte[0] ^ 1]))
    with pytest.raises(RuntimeError, match="refusing to load it"):
        sm._model_folder()


@pytest.mark.slow
def test_real_kernel_holds_models_without_copies(cache_env):
    """A real Jupyter kernel beside another user of the encoder: the encoder's weights add almost no private
    memory (shared with the other process), Whisper about its weights at the width it computes in.

    Before: the encoder's weights sat in each kernel's heap (+~114 MiB private) and Whisper kept its file's
    bytes (+~257 MiB). Figures stated here: encoder < 40 MiB; Whisper < its weights + 110 MiB (int8: 180 MiB;
    float32, on AMD CPUs since stop 26 (speech.model.compute_type): 387 MiB, measured 289); the kernel < 220 MiB
    + that. A kept copy of the file's bytes (139 MiB) breaks either bound.
    """
    from jupyter_client.manager import start_new_kernel

    # Another kernel on the machine (this process) has the encoder loaded and used: on a server, the pooled
    # kernel or an open page. Pages mapped by one process alone count as its private memory (USS).
    other = te.MiniLMEncoder()
    sum(float(a.sum()) for a in other.w.values())
    from sora_widgets.speech import model as sm

    sm._model_folder()
    km, kc = start_new_kernel(kernel_name="python3")
    try:
        pid = km.provisioner.pid

        def uss() -> int:
            r = {ln.split()[0]: int(ln.split()[1]) * 1024 for ln in
                 Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]}
            return r["Private_Clean:"] + r["Private_Dirty:"]

        def run(code: str) -> None:
            reply = kc.execute_interactive(code, timeout=300)
            assert reply["content"]["status"] == "ok", reply["content"]

        run("import sora_widgets.widgets, sora_widgets.text_encoder, sora_widgets.speech.model, faster_whisper, gc")
        # What the encoder's code needs besides its weights (its imports, BLAS's per-thread buffers), so the
        # difference below is the weights.
        run("import numpy as np, scipy.special, tokenizers, safetensors.numpy\n"
            "np.ones((64, 384), np.float32) @ np.ones((384, 1536), np.float32); gc.collect()")
        base = uss()
        run("sora_widgets.text_encoder.get_encoder().encode(['a red ball bounces']); gc.collect()")
        with_encoder = uss()
        run("sora_widgets.speech.model.load(); gc.collect()")
        with_speech = uss()
        assert with_encoder - base < 40 * MIB, (with_encoder - base) / MIB
        # The file holds float16 weights (2 bytes each); in memory they take the compute type's width.
        width = {"int8": 1, "float32": 4}[sm.compute_type()]
        whisper_bound = (sm._model_folder() / "model.bin").stat().st_size * width / 2 + 110 * MIB
        assert with_speech - with_encoder < whisper_bound, ((with_speech - with_encoder) / MIB, whisper_bound / MIB)
        assert with_speech < 220 * MIB + whisper_bound, (with_speech / MIB, whisper_bound / MIB)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    del other


def test_only_pages_that_generate_take_a_pooled_kernel():
    """The pooled kernel preloads the Studio's models: the Studio, feed and lineage pages take it, no other."""
    from sora_widgets.auth.kernel_pool import POOL_PAGES, pool_serves

    for page in POOL_PAGES:
        assert pool_serves(f"/voila/render/{page}")
        assert pool_serves(f"/base/voila/render/{page}/")
    for page in ("admin.ipynb", "moderation.ipynb", "my_cameo.ipynb", "messages.ipynb", "guardian.ipynb",
                 "provenance.ipynb", "studio.ipynb.bak", "xstudio.ipynb"):
        assert not pool_serves(f"/voila/render/{page}")
    assert not pool_serves(None) and not pool_serves("")
    assert pool_serves("/voila/render/admin.ipynb", pages=["admin.ipynb"])


@pytest.mark.slow
@pytest.mark.browser
def test_an_admin_page_leaves_the_warm_kernel_for_the_studio(voila, tmp_home, artifacts_dir):
    """On a real server with a pool: the admin page starts its own (small) kernel; the warm one keeps waiting."""
    from conftest import make_account
    from test_auth_browser import Http
    from test_kernel_pool import login_without_a_page, warm_kernels

    from sora_widgets.serve import dashboards_dir
    from sora_widgets.store import open_store

    make_account(open_store(tmp_home), "boss", role="admin")
    server = voila(dashboards_dir(), env={"SORA_WIDGETS_HOME": str(tmp_home)}, name="kernel-memory-pool")
    log_path = artifacts_dir / "kernel-memory-pool-voila.log"
    [pooled] = warm_kernels(log_path, 1)
    boss = Http(server)
    login_without_a_page(boss, "boss")
    _, status, body = boss.get("voila/render/admin.ipynb")
    assert status == 200 and "(@boss)" in body
    assert pooled not in body and "page served by warm kernel" not in log_path.read_text()
    _, status, body = boss.get("voila/render/studio.ipynb")
    assert status == 200 and pooled in body  # still there for the page that needs it


@pytest.mark.slow  # librosa's own first call (numba) in the comparison
def test_player_spectrogram_matches_librosa_without_loading_it():
    """The player's mel spectrogram is librosa's (to 1e-3 dB), computed without importing librosa/numba (~60 MiB)."""
    import librosa

    from sora_widgets import audio_features as af

    rng = np.random.default_rng(7)
    t = np.arange(24_000) / 48_000
    sounds = [((rng.standard_normal(n) * 0.3).astype(np.float32), sr) for n, sr in [(48_000, 48_000), (5_000, 16_000),
                                                                                   (1_024, 44_100), (3_001, 22_050)]]
    sounds.append(((0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 48_000))
    for y, sr in sounds:
        ref = librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=sr, n_fft=1024, hop_length=256, n_mels=64),
                                  ref=np.max, top_db=80.0)
        got = af.mel_spectrogram_db(y, sr)
        assert got.shape == ref.shape and got.dtype == np.float32
        assert np.abs(got - ref).max() < 1e-3
    code = textwrap.dedent("""
        import sys
        from sora_widgets.engines import generate
        from sora_widgets.widgets.clip_player import ClipPlayer
        clip = generate("a ball bounces", engine="sim", duration=0.5, fps=8, width=64, height=64, seed=0)
        assert ClipPlayer.media_traits(clip)["spectrogram_png"].startswith(b"\\x89PNG")
        print(sorted(m for m in ("numba", "librosa", "llvmlite") if m in sys.modules))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"
