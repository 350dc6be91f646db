"""Output checks on real pixels and real sound: nudenet on sample photos, espeak-ng speech through the Whisper recogniser (sora_widgets.speech)."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
import soundfile as sf

from sora_widgets.media import Clip
from sora_widgets.moderation import check_clip, load_policy
from sora_widgets.moderation.audio import check_audio, to_16k_mono
from sora_widgets.moderation.visual import check_frames, sample_indices, score_detections

SAMPLE_IMAGES = ("astronaut", "coffee", "chelsea", "rocket", "cat", "immunohistochemistry", "logo", "colorwheel")


def _image(name: str) -> np.ndarray:
    import skimage.data

    im = getattr(skimage.data, name)()
    if im.ndim == 2:
        im = np.dstack([im] * 3)
    return np.ascontiguousarray(im[..., :3]).astype(np.uint8)


@pytest.mark.parametrize("name", SAMPLE_IMAGES)
def test_no_nudity_detected_on_benign_sample_images(name):
    frame = _image(name)
    v = check_frames(frame[None], fps=1.0)
    assert v.decision == "allow", (name, v.reasons, v.evidence)
    assert v.evidence["frames"] == []
    assert v.scores["sexual"] == 0.0


def test_the_astronauts_face_is_seen_but_is_not_nudity():
    from sora_widgets.moderation.visual import detect

    labels = [d["class"] for d in detect([_image("astronaut")])[0]]
    assert any(lab.startswith("FACE_") for lab in labels), labels  # the detector really runs and sees her face
    assert check_frames(_image("astronaut")[None], fps=1.0).decision == "allow"


def test_policy_maps_exposed_labels_to_sexual_and_ignores_faces_and_non_skin():
    policy = load_policy()
    skin = np.zeros((100, 100, 3), np.uint8)
    skin[:] = (224, 172, 150)  # a light skin tone (inside the YCrCb skin box)
    blue = np.zeros((100, 100, 3), np.uint8)
    blue[:] = (20, 40, 200)
    dets = [
        [{"class": "FACE_FEMALE", "score": 0.95, "box": [0, 0, 50, 50]},
         {"class": "FEMALE_BREAST_EXPOSED", "score": 0.81, "box": [10, 10, 60, 60]}],
        [{"class": "BUTTOCKS_EXPOSED", "score": 0.9, "box": [0, 0, 100, 100]}],  # a blue gradient, not skin
        [{"class": "MALE_GENITALIA_EXPOSED", "score": 0.3, "box": [0, 0, 100, 100]}],  # below the detector threshold
    ]
    scores, frames = score_detections([skin, blue, skin], [0, 12, 24], dets, 12.0, policy)
    assert scores["sexual"] == pytest.approx(0.81)
    assert [f["index"] for f in frames] == [0]
    assert [b["label"] for b in frames[0]["boxes"]] == ["FEMALE_BREAST_EXPOSED"]
    assert frames[0]["boxes"][0]["box"] == [10, 10, 60, 60]
    assert policy.decide(scores)[0] in ("review", "block")


def test_frames_are_sampled_evenly_with_first_and_last():
    assert sample_indices(96, 24.0, per_second=1.0, max_frames=12) == [0, 24, 48, 71, 95]
    assert len(sample_indices(10_000, 24.0, per_second=1.0, max_frames=12)) == 12
    assert sample_indices(1, 24.0, per_second=1.0, max_frames=12) == [0]


def test_audio_is_resampled_to_16k_mono():
    sr = 48_000
    t = np.arange(sr) / sr
    stereo = np.stack([np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 440 * t)]).astype(np.float32) * 0.5
    pcm = to_16k_mono(stereo, sr)
    assert pcm.dtype == np.int16 and pcm.shape == (16_000,)
    spectrum = np.abs(np.fft.rfft(pcm.astype(np.float64)))
    assert np.argmax(spectrum) == pytest.approx(440, abs=2)  # 1 s at 16 kHz: bin index = Hz


def test_silence_is_allowed_without_running_speech_recognition():
    v = check_audio(np.zeros((1, 48_000), np.float32), 48_000)
    assert v.decision == "allow" and v.evidence["speech"] is False


# ------------------------------------------------------------ speech: espeak-ng -> clip -> check_clip
def _speech_clip(tmp_path, sentence: str, prompt: str = "a calm beach at sunset") -> Clip:
    if not shutil.which("espeak-ng"):
        pytest.skip("espeak-ng is not installed")
    wav = tmp_path / "speech.wav"
    # US voice (the tests were written for pocketsphinx's en-US model; Whisper hears other accents too)
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(wav), sentence], check=True)
    audio, sr = sf.read(wav, dtype="float32")
    audio = np.concatenate([np.zeros(sr // 4, np.float32), audio, np.zeros(sr // 4, np.float32)])
    fps = 12
    n = int(np.ceil(len(audio) / sr * fps))
    frames = np.zeros((n, 64, 64, 3), np.uint8)
    frames[..., 2] = np.linspace(80, 200, 64, dtype=np.uint8)[None, :, None]  # a sky gradient
    return Clip(frames, np.clip(audio, -1, 1)[None], fps, sr, {"prompt": prompt})


@pytest.mark.slow
@pytest.mark.parametrize(
    "sentence, category",
    [
        ("you should kill yourself tonight, nobody will miss you", "self_harm"),
        ("join the jihad and kill the infidels", "extremism"),
    ],
)
def test_clip_with_harmful_speech_is_held(tmp_path, sentence, category):
    clip = _speech_clip(tmp_path, sentence)
    v = check_clip(clip)
    assert v.decision in ("review", "block"), (v.evidence.get("transcript"), v.evidence.get("transcript_keywords"))
    assert category in v.flagged
    assert v.evidence["speech"] is True
    spans = [s for s in v.spans if s["source"] == "transcript"]
    assert spans, "the verdict should point at what was said"
    for s in spans:
        said = v.evidence["transcript_keywords" if s["transcript"] == "keywords" else "transcript"]
        assert said[s["start"] : s["end"]] == s["text"]


@pytest.mark.slow
@pytest.mark.parametrize(
    "sentence",
    [
        "what a lovely sunny day at the beach with my dog",
        "the red ball bounces off the backboard",
        "my grandmother makes the best apple pie in the world",
        "we scored three goals in the second half",
    ],
)
def test_same_clip_with_harmless_speech_passes(tmp_path, sentence):
    v = check_clip(_speech_clip(tmp_path, sentence))
    assert v.decision == "allow", (v.reasons, v.evidence.get("transcript"), v.evidence.get("transcript_keywords"))


@pytest.mark.slow
def test_clean_prompt_in_meta_does_not_clear_harmful_speech(tmp_path):
    clip = _speech_clip(tmp_path, "you should kill yourself tonight, nobody will miss you", prompt="a kitten")
    assert check_clip(clip).decision != "allow"


@pytest.mark.slow
def test_harmful_prompt_in_meta_adds_to_a_clean_clip(tmp_path):
    clip = _speech_clip(tmp_path, "what a lovely sunny day", prompt="a porn video")
    v = check_clip(clip)
    assert v.decision == "block" and "sexual" in v.flagged
