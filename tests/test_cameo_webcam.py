"""CameoMaker's webcam section in the kernel: the camera is asked for only when the section opens, ipywebrtc's
camera is built only once the browser has one, and every other answer is a sentence that offers the upload
(issue 14 item 7: "no raw device errors"). The browser's side runs in tests/test_webcam_browser.py."""

from __future__ import annotations

import sys

import pytest

from sora_widgets.widgets.cameo_maker import WEBCAM_MESSAGES, CameoMaker

pytest.importorskip("ipywebrtc")


def _tree(widget):
    """Every widget under ``widget`` (children of boxes and accordions)."""
    yield widget
    for child in getattr(widget, "children", ()) or ():
        yield from _tree(child)


def _camera_streams(maker) -> list:
    import ipywebrtc

    return [x for x in _tree(maker) if isinstance(x, ipywebrtc.CameraStream | ipywebrtc.VideoRecorder)]


@pytest.fixture
def maker(store):
    store.create_user("ana", birthdate="1990-01-01")
    return CameoMaker(store, "ana")


def test_nothing_asks_for_the_camera_until_the_section_is_opened(maker):
    assert maker.camera_check.request == 0 and not _camera_streams(maker)
    maker.webcam_box.selected_index = 0
    assert maker.camera_check.request == 1 and "asking the browser" in maker.webcam_note.value


@pytest.mark.parametrize("answer", ["NotFoundError", "NotAllowedError", "NotReadableError", "insecure",
                                    "no_microphone", "OverconstrainedError"])
def test_a_browser_without_a_usable_camera_gets_a_sentence_and_the_upload(maker, answer):
    maker.webcam_box.selected_index = 0
    maker.camera_check.answer = answer  # what the browser's getUserMedia said
    note = maker.webcam_note.value
    assert WEBCAM_MESSAGES[answer].split(".")[0] in note and "upload" in note.lower()
    assert "Error creating view" not in note and not _camera_streams(maker)
    assert maker.upload.layout.display != "none"  # the way that still works


def test_an_unknown_error_is_named_in_a_sentence(maker):
    maker.webcam_box.selected_index = 0
    maker.camera_check.answer = "AbortError"
    assert "could not start (AbortError)" in maker.webcam_note.value and not _camera_streams(maker)


def test_a_camera_given_builds_the_recorder_once_and_a_reopen_does_not_ask_again(maker):
    maker.webcam_box.selected_index = 0
    maker.camera_check.answer = "ok"
    assert len(_camera_streams(maker)) == 2 and maker.webcam_note.value == ""
    maker.webcam_box.selected_index = None
    maker.webcam_box.selected_index = 0
    assert maker.camera_check.request == 1 and len(_camera_streams(maker)) == 2


def test_after_a_refusal_reopening_the_section_asks_again(maker):
    maker.webcam_box.selected_index = 0
    maker.camera_check.answer = "NotAllowedError"
    maker.webcam_box.selected_index = None
    maker.webcam_box.selected_index = 0
    assert maker.camera_check.request == 2 and maker.camera_check.answer == ""
    maker.camera_check.answer = "ok"
    assert len(_camera_streams(maker)) == 2


def test_without_ipywebrtc_the_maker_says_so_and_keeps_the_upload(store, monkeypatch):
    store.create_user("ana", birthdate="1990-01-01")
    monkeypatch.setitem(sys.modules, "ipywebrtc", None)  # as if the package were not installed
    maker = CameoMaker(store, "ana")
    notes = [x for x in _tree(maker) if "sw-cameo-webcam-missing" in getattr(x, "_dom_classes", ())]
    assert len(notes) == 1 and "ipywebrtc" in notes[0].value and "Upload a video" in notes[0].value
    assert maker.upload in list(_tree(maker))
