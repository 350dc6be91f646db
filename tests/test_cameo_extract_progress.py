"""Cameo extraction reports progress, can be cancelled, and the person path runs GrabCut on keyframes
(issue 14 item 6: "Find it in the video" took 41 s for 100 frames with nothing to watch)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from sora_widgets import cameo
from sora_widgets.cameo import segment, synthetic
from sora_widgets.social.accounts import sign_up
from sora_widgets.widgets.cameo_maker import CameoMaker


def iou(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a >= 0.5, b >= 0.5
    return float((a & b).sum() / max(1, (a | b).sum()))


def test_extraction_reports_progress_and_stops_when_cancelled():
    clip, _, box, kind = synthetic.moving_cutout_clip("cat", "grass", size=128, seconds=2.0, fps=12)
    seen: list[tuple[int, int]] = []
    asset = cameo.extract(clip, kind=kind, box=box, with_voice=False, on_progress=lambda d, t: seen.append((d, t)))
    assert asset.num_frames == clip.num_frames
    assert seen and seen[-1][0] == seen[-1][1] - 1 and all(t == clip.num_frames for _, t in seen)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)

    stop = threading.Event()

    def cancel_after_three(done, total):
        if done >= 3:
            stop.set()

    from concurrent.futures import CancelledError

    with pytest.raises(CancelledError):
        cameo.extract(clip, kind=kind, box=box, with_voice=False, on_progress=cancel_after_three, cancel=stop)


@pytest.mark.slow
def test_person_keyframes_agree_with_per_frame_grabcut_and_keep_the_face():
    clip, truth_faces = synthetic.astronaut_clip(size=192, seconds=2.0, fps=12, zoom=1.6)
    faces, frac = segment.face_track(clip.frames)
    every = segment.segment_person(clip.frames, faces, keyframe_every=1)
    keyed = segment.segment_person(clip.frames, faces)
    scores = [iou(a, b) for a, b in zip(every, keyed, strict=True)]
    assert np.mean(scores) > 0.85 and min(scores) > 0.6, scores
    # The cost: GrabCut on one frame in PERSON_KEYFRAME_EVERY (plus the last).
    calls = []
    segment.segment_person(clip.frames, faces, on_frame=lambda d, t: calls.append(t))
    assert calls[-1] == len(range(0, clip.num_frames, segment.PERSON_KEYFRAME_EVERY)) + 1


def test_the_maker_shows_progress_and_cancel_and_keeps_nothing_when_cancelled(store, tmp_path):
    sign_up(store, "ana", birthdate="1990-01-01")
    maker = CameoMaker(store, "ana")
    maker.kind.value = "animal"
    clip, _, box, _kind = synthetic.moving_cutout_clip("cat", "grass", size=128, seconds=3.0, fps=12)
    maker.load_bytes(clip.save(tmp_path / "cat.mp4").read_bytes(), "cat.mp4")
    maker.canvas.box = list(box)
    reports = []
    maker.extract_progress.observe(lambda ch: reports.append(ch["new"]), names="value")
    maker.extract_button.click()
    assert maker.extract_row.layout.display == "" and maker.extract_button.disabled
    assert maker.wait_extraction(120) == "done"
    assert maker.asset is not None and "found in" in maker.status.value
    assert len(set(reports)) > 2 and maker.extract_row.layout.display == "none"
    assert not maker.create_button.disabled

    maker.asset = None
    maker.extract_button.click()
    maker.extract_cancel.click()
    assert maker.wait_extraction(120) == "cancelled"
    assert maker.asset is None and "stopped" in maker.status.value and not maker.extract_button.disabled
