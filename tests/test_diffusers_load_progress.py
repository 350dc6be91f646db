"""The first load of a diffusers model reports its parts through the engine's progress callback.

Issue 14 ("waits with nothing to watch"): a Studio user saw a bare "starting…" while a model loaded.
The engine now says "loading model: 3 of 8 parts (transformer), about 2 s left" through
``on_progress(0, 0, None, label=...)``. Real tiny pipelines written to disk, loaded back; nothing downloaded.
"""

from __future__ import annotations

import json
import os
import re
import threading

import numpy as np
import pytest

pytest.importorskip("diffusers")

import sora_widgets as sw  # noqa: E402
from sora_widgets.engines import Cancelled  # noqa: E402
from sora_widgets.engines.diffusers import loading  # noqa: E402
from sora_widgets.testing.tiny_pipelines import save_tiny_model  # noqa: E402
from sora_widgets.widgets._worker import BackgroundJob  # noqa: E402

SMALL = {"width": 64, "height": 64, "fps": 24, "duration": 0.375, "steps": 2, "seed": 3}
PART = re.compile(r"^loading model: (\d+) of (\d+) parts(?: \((\w+)\))?(?:, about ([\d.]+ s|\d+ min \d\d s) left)?$")


@pytest.fixture(scope="module")
def ltx2_folder(tmp_path_factory):
    saved = os.environ.pop("SORA_WIDGETS_LTX2_MODEL", None)
    yield save_tiny_model("ltx2", tmp_path_factory.mktemp("tiny") / "ltx2")
    if saved is not None:
        os.environ["SORA_WIDGETS_LTX2_MODEL"] = saved


def generate(folder, on_progress=None, cancel=None):
    return sw.generate("a red ball bounces", engine="ltx2", model=str(folder), on_progress=on_progress,
                       cancel=cancel, **SMALL)


def parts_named(folder) -> list[str]:
    index = json.loads((folder / "model_index.json").read_text())
    return [k for k, v in index.items() if not k.startswith("_") and isinstance(v, list) and v[0]]


def test_first_load_says_each_part_then_steps_follow_and_a_cached_model_says_nothing(ltx2_folder):
    loading.clear_cache()
    calls = []
    generate(ltx2_folder, lambda step, total, preview, label="": calls.append((step, total, label)))
    loads = [c for c in calls if c[2]]
    steps = [c[:2] for c in calls if not c[2]]
    assert all(c[:2] == (0, 0) for c in loads)  # a load is never counted as denoising steps
    assert steps == [(1, 2), (2, 2)]
    assert calls.index(loads[-1]) < calls.index((1, 2, ""))  # loading is said before the first step
    assert loads[-1][2] == "loading model: placing it on cpu"
    matches = [PART.match(label) for _, _, label in loads[:-1]]
    assert all(matches), [label for _, _, label in loads]
    names = parts_named(ltx2_folder)
    assert [int(m[1]) for m in matches] == list(range(len(names) + 1))  # 0 of 8, 1 of 8, ... 8 of 8
    assert {int(m[2]) for m in matches} == {len(names)}
    assert [m[3] for m in matches[1:]] == names  # each part by its own name, in model_index order
    assert any(m[4] for m in matches)  # an estimate once some weights are read
    assert matches[-1][4] is None  # nothing is left at the end
    again = []
    generate(ltx2_folder, lambda step, total, preview, label="": again.append(label))
    assert not any(again)  # a model already loaded in this process has nothing to wait for


@pytest.mark.slow  # two cold loads and two generations
def test_parts_loaded_one_by_one_make_the_same_clip_as_diffusers_own_load(ltx2_folder):
    loading.clear_cache()
    ours = generate(ltx2_folder, lambda step, total, preview, label="": None)
    loading.clear_cache()
    theirs = generate(ltx2_folder, lambda step, total, preview: None)  # no label: diffusers loads it all
    assert np.array_equal(ours.frames, theirs.frames) and np.array_equal(ours.audio, theirs.audio)


def test_cancel_while_loading_stops_before_the_next_part_and_caches_nothing(ltx2_folder):
    loading.clear_cache()
    cancel = threading.Event()
    said = []

    def on_progress(step, total, preview, label=""):
        said.append(label)
        if label.startswith("loading model: 2 of"):
            cancel.set()

    with pytest.raises(Cancelled):
        generate(ltx2_folder, on_progress, cancel)
    assert said[-1].startswith("loading model: 2 of")
    again = []
    generate(ltx2_folder, lambda step, total, preview, label="": again.append(label))
    assert again[0].startswith("loading model: 0 of")  # loaded afresh, not a half-built pipeline


def test_the_studio_job_shows_the_load_and_its_first_step_eta_ignores_it(ltx2_folder):
    """BackgroundJob (what the Studio's progress line reads): the labels arrive as they are (total 0, shown
    as is by the Studio), and the ETA of the steps is measured from the first step, not from the load."""
    loading.clear_cache()
    seen = []
    job = BackgroundJob(lambda on_progress, cancel: generate(ltx2_folder, on_progress, cancel),
                        on_progress=seen.append, progress_interval_s=0.0)  # every report, to see them all
    job.start()
    assert job.join(120) and job.state == "done", job.error
    labels = [p.label for p in seen if p.total == 0]
    assert labels[0].startswith("loading model: 0 of") and labels[-1] == "loading model: placing it on cpu"
    steps = [p for p in seen if p.total > 0]
    assert steps[0].step == 1 and steps[0].eta_s is None  # one step does not show a pace yet
    assert steps[-1].eta_s == 0.0
