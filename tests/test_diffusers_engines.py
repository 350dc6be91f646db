"""The diffusers engines driven end to end on CPU with tiny, randomly initialised real pipelines.

Each model is built in code (sora_widgets.testing.tiny_pipelines), written with save_pretrained to a
temporary folder and loaded back through the engine, exactly as a downloaded model would be.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

pytest.importorskip("diffusers")

import sora_widgets as sw  # noqa: E402
from sora_widgets.engines import Cancelled, EngineUnavailable, get_engine  # noqa: E402
from sora_widgets.testing.tiny_pipelines import save_tiny_model  # noqa: E402

SMALL = {"width": 64, "height": 64, "fps": 24, "duration": 0.375, "steps": 2}  # 9 frames


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny-models")
    folders = {name: save_tiny_model(name, root / name)
               for name in ("ltx2-two-stage", "ltx-video", "stable-audio")}
    # No SORA_WIDGETS_*_MODEL defaults: every call names its model, as a user would.
    names = ("SORA_WIDGETS_LTX2_MODEL", "SORA_WIDGETS_LTX_VIDEO_MODEL", "SORA_WIDGETS_AUDIO_MODEL")
    saved = {k: os.environ.pop(k) for k in names if k in os.environ}
    yield folders
    os.environ.update(saved)


def ltx2(models, prompt="a red ball bounces", **kw):
    return sw.generate(prompt, engine="ltx2", model=str(models["ltx2-two-stage"]), **{**SMALL, **kw})


def silent(models, prompt="a red ball bounces", **kw):
    return sw.generate(prompt, engine="ltx-video+audio", model=str(models["ltx-video"]),
                       audio_model=str(models["stable-audio"]), **{**SMALL, **kw})


# --------------------------------------------------------------------------- cheap checks
def test_registering_imports_neither_torch_nor_diffusers():
    # Registration reads the entry points and makes the engines (cheap objects): still no torch.
    code = ("import sys; from sora_widgets.engines import get_engine, engine_options; "
            "from sora_widgets.engines.diffusers import ENGINE_NAMES; "
            "assert [get_engine(n).name for n in ENGINE_NAMES] == list(ENGINE_NAMES); "
            "assert all('model' in engine_options(n) for n in ENGINE_NAMES); "
            "print(sorted(k for k in ('torch', 'diffusers') if k in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_missing_repo_id_is_a_fast_clear_error_without_network(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.delenv("SORA_WIDGETS_LTX2_MODEL", raising=False)
    eng = get_engine("ltx2")
    t0 = time.perf_counter()
    ok, reason = eng.availability(model="nobody-here/no-such-model")
    assert not ok
    assert "hf download nobody-here/no-such-model" in reason and "SORA_WIDGETS_LTX2_MODEL" in reason
    with pytest.raises(EngineUnavailable, match="Lightricks/LTX-2"):
        sw.generate("a ball", engine="ltx2", **SMALL)
    assert time.perf_counter() - t0 < 10


def test_missing_folder_and_non_pipeline_folder_say_what_to_do(tmp_path):
    eng = get_engine("ltx2")
    ok, reason = eng.availability(model=str(tmp_path / "nope"))
    assert not ok and "does not exist" in reason
    ok, reason = eng.availability(model=str(tmp_path))
    assert not ok and "model_index.json" in reason


def test_unknown_option_names_the_known_ones(models):
    with pytest.raises(TypeError, match="cpu_offload"):
        ltx2(models, lora="x")


# --------------------------------------------------------------------------- LTX-2
def test_ltx2_text_to_video_clip_progress_and_meta(models):
    calls = []
    clip = ltx2(models, seed=5, on_progress=lambda step, total, preview: calls.append((step, total, preview)))
    assert clip.frames.shape == (9, 64, 64, 3) and clip.frames.dtype == np.uint8
    assert clip.sample_rate == 16_000  # the tiny vocoder's output_sampling_rate
    assert clip.audio.dtype == np.float32 and clip.audio.shape == (2, 6000)  # 0.375 s at 16 kHz, stereo
    assert np.abs(clip.audio).max() <= 1.0 and np.abs(clip.audio).max() > 0
    assert clip.fps == 24 and clip.duration == pytest.approx(0.375)
    assert [(s, t) for s, t, _ in calls] == [(1, 2), (2, 2)]  # once per step
    preview = calls[-1][2]
    assert preview is not None and preview.dtype == np.uint8 and preview.shape[2] == 3
    assert clip.meta["pipeline"] == "LTX2Pipeline" and clip.meta["route"] == "text-to-video"
    assert clip.meta["model"] == str(models["ltx2-two-stage"]) and clip.meta["device"] == "cpu"
    assert {"load_s", "generate_s", "total_s"} <= set(clip.meta["timings"])
    assert clip.frames.std() > 0  # not a blank picture


def test_ltx2_same_seed_same_clip_other_seed_differs(models):
    a, b, c = ltx2(models, seed=11), ltx2(models, seed=11), ltx2(models, seed=12)
    assert np.array_equal(a.frames, b.frames) and np.array_equal(a.audio, b.audio)
    assert not np.array_equal(a.frames, c.frames)


def test_ltx2_cancel_between_steps_raises_cancelled(models):
    cancel = threading.Event()
    steps_seen = []

    def on_progress(step, total, preview):
        steps_seen.append(step)
        cancel.set()  # ask to stop after the first step

    with pytest.raises(Cancelled):
        ltx2(models, steps=4, on_progress=on_progress, cancel=cancel)
    assert steps_seen == [1]
    # the cached pipeline is left usable
    assert ltx2(models, seed=1).frames.shape == (9, 64, 64, 3)


@pytest.mark.slow
def test_ltx2_image_to_video_starts_from_the_image(models):
    image = np.zeros((48, 80, 3), np.uint8)
    image[:, :40] = (255, 0, 0)
    clip = ltx2(models, image=image, seed=2)
    assert clip.meta["pipeline"] == "LTX2ImageToVideoPipeline" and clip.meta["route"] == "image-to-video"
    assert clip.frames.shape == (9, 64, 64, 3) and clip.audio.shape == (2, 6000)
    other = ltx2(models, image=255 - image, seed=2)
    assert not np.array_equal(clip.frames, other.frames)  # the image conditions the result


def test_ltx2_cameo_enters_as_a_composited_first_frame(models):
    """A cameo asset without a ready-made image is placed in the scene by the sim layout."""
    from types import SimpleNamespace

    cut = np.zeros((6, 24, 16, 4), np.uint8)
    cut[..., :3] = (250, 20, 200)  # a magenta figure nothing else in a scene has
    cut[:, 2:22, 2:14, 3] = 255
    asset = SimpleNamespace(cameo_id=None, name="zed", kind="person", cutouts=cut, still=cut[0], voice=None)
    from sora_widgets.engines.base import GenerationRequest
    from sora_widgets.engines.diffusers.common import composited_first_frame

    frame = composited_first_frame(GenerationRequest("@zed waves on the beach", width=64, height=64, cameos=(asset,)))
    assert frame.shape == (64, 64, 3) and frame.dtype == np.uint8
    magenta = (frame[..., 0] > 180) & (frame[..., 1] < 90) & (frame[..., 2] > 140)
    assert magenta.sum() > 4, "the cameo's cut-out is in the first frame"
    clip = ltx2(models, prompt="@zed waves on the beach", cameos=[asset], seed=2)
    assert clip.meta["route"] == "image-to-video" and clip.meta["pipeline"] == "LTX2ImageToVideoPipeline"


@pytest.mark.slow
def test_ltx2_remix_video_to_video_uses_the_parent(models):
    parent = ltx2(models, seed=3)
    calls = []
    remix = ltx2(models, parent=parent, strength=0.3, seed=4, on_progress=lambda s, t, p: calls.append(s))
    assert remix.meta["pipeline"] == "LTX2ConditionPipeline" and remix.meta["route"] == "video-to-video"
    assert remix.frames.shape == parent.frames.shape and remix.audio.shape == (2, 6000)
    assert calls == [1, 2]
    free = ltx2(models, parent=parent, strength=1.0, seed=4)
    assert not np.array_equal(remix.frames, free.frames)  # strength changes how much of the parent is kept


@pytest.mark.slow
def test_ltx2_two_stage_upsamples_and_refines(models):
    calls = []
    clip = ltx2(models, two_stage=True, on_progress=lambda s, t, p: calls.append((s, t)))
    assert clip.frames.shape == (9, 64, 64, 3) and clip.meta["two_stage"] is True
    assert calls == [(i, 5) for i in range(1, 6)]  # 2 stage-1 steps + 3 refine steps


def test_two_stage_without_upsampler_is_a_clear_error(tmp_path):
    folder = save_tiny_model("ltx2", tmp_path / "ltx2")
    with pytest.raises(EngineUnavailable, match="latent_upsampler"):
        get_engine("ltx2").generate(sw.GenerationRequest("a ball", **SMALL, options={
            "model": str(folder), "two_stage": True}))


# --------------------------------------------------------------------------- silent video + audio
@pytest.mark.slow
def test_ltx_video_plus_stable_audio_text_to_video(models):
    calls = []
    clip = silent(models, seed=5, on_progress=lambda s, t, p: calls.append((s, t, p)))
    assert clip.frames.shape == (9, 64, 64, 3) and clip.frames.dtype == np.uint8
    assert clip.sample_rate == 16_000 and clip.audio.shape == (2, 6000)
    assert np.abs(clip.audio).max() <= 1.0
    assert [(s, t) for s, t, _ in calls] == [(1, 4), (2, 4), (3, 4), (4, 4)]  # 2 video + 2 audio steps
    assert calls[1][2] is not None  # a preview at the end of the video stage
    assert clip.meta["pipeline"] == "LTXPipeline" and clip.meta["audio_pipeline"] == "StableAudioPipeline"
    again = silent(models, seed=5)
    assert np.array_equal(clip.frames, again.frames) and np.array_equal(clip.audio, again.audio)


@pytest.mark.slow
def test_ltx_video_plus_audio_image_and_remix_routes(models):
    first = silent(models, seed=1)
    i2v = silent(models, image=first.frames[0], seed=2)
    assert i2v.meta["pipeline"] == "LTXImageToVideoPipeline" and i2v.frames.shape == (9, 64, 64, 3)
    v2v = silent(models, parent=first, strength=0.4, seed=2)
    assert v2v.meta["pipeline"] == "LTXConditionPipeline" and v2v.frames.shape == (9, 64, 64, 3)
    assert v2v.audio.shape == (2, 6000)


@pytest.mark.slow
def test_cancel_during_the_audio_stage(models):
    cancel = threading.Event()

    def on_progress(step, total, preview):
        if step == 3:  # first audio step
            cancel.set()

    with pytest.raises(Cancelled):
        silent(models, on_progress=on_progress, cancel=cancel)


@pytest.mark.slow
@pytest.mark.parametrize("family", ["wan", "cogvideox"])
def test_wan_and_cogvideox_plus_audio(models, family, tmp_path, monkeypatch):
    folder = save_tiny_model(family, tmp_path / family)
    monkeypatch.setenv(f"SORA_WIDGETS_{family.upper()}_MODEL", str(folder))
    kw = {**SMALL, "engine": f"{family}+audio", "model": str(folder), "audio_model": str(models["stable-audio"])}
    clip = sw.generate("a dog runs on the beach", seed=1, **kw)
    assert clip.frames.shape == (9, 64, 64, 3) and clip.audio.shape == (2, 6000) and clip.sample_rate == 16_000
    assert np.array_equal(clip.frames, sw.generate("a dog runs on the beach", seed=1, **kw).frames)
    with pytest.raises(ValueError, match="image-to-video"):
        sw.generate("a dog", image=clip.frames[0], **kw)
    if family == "wan":
        pytest.importorskip("ftfy", reason="diffusers' WanVideoToVideoPipeline needs ftfy")
    remix = sw.generate("a dog runs on the beach", parent=clip, strength=0.5, seed=2, **kw)
    assert remix.meta["route"] == "video-to-video" and remix.frames.shape == (9, 64, 64, 3)
