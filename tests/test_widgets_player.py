"""ClipPlayer's data (MP4 with sound, audio pictures, markers, frame-accurate seeking) and audio_features."""

from __future__ import annotations

import numpy as np
import pytest

from sora_widgets import audio_features as af
from sora_widgets.media import Clip
from sora_widgets.widgets import ClipPlayer
from sora_widgets.widgets.clip_player import WAVEFORM_BINS, clip_events

PNG = b"\x89PNG\r\n\x1a\n"


def test_player_sends_a_real_mp4_with_sound(square_clip):
    p = ClipPlayer(square_clip)
    back = Clip.from_bytes(p.video)
    assert back.num_frames == square_clip.num_frames
    assert back.fps == pytest.approx(square_clip.fps)
    assert back.audio.shape[1] > 0 and np.abs(back.audio).max() > 0.1  # the tone survived AAC
    assert p.has_audio and p.duration == pytest.approx(1.0)
    assert (p.video_width, p.video_height) == (64, 48)
    assert p.spectrogram_png.startswith(PNG)
    assert len(p.waveform_max) == WAVEFORM_BINS
    assert max(p.waveform_max) == pytest.approx(0.3, abs=0.01)
    assert p.events == [{"kind": "contact", "impulse": 1.0, "t": 0.5}]
    assert p.title == "" and p.audio_duration == pytest.approx(1.0)


def test_frame_accurate_seeking(square_clip):
    p = ClipPlayer(square_clip)
    for i in (0, 1, 5, square_clip.num_frames - 1):
        p.seek_frame(i)
        assert p.current_time == pytest.approx((i + 0.5) / square_clip.fps)
        assert p.current_frame == i
        # the frame the clip shows at that time is the one we asked for
        assert np.array_equal(square_clip.frame_at(p.current_time), square_clip.frames[i])
    p.seek_frame(10_000)
    assert p.current_frame == square_clip.num_frames - 1


def test_silent_upload_plays_without_audio_pictures_failing():
    frames = np.random.default_rng(0).integers(0, 255, (5, 32, 32, 3), dtype=np.uint8)
    clip = Clip(frames, np.zeros((1, 0), np.float32), 10, 48_000, {"title": "upload"})
    p = ClipPlayer(clip)
    assert not p.has_audio and p.title == "upload"
    assert p.spectrogram_png.startswith(PNG)
    assert set(p.waveform_max) == {0.0}
    assert Clip.from_bytes(p.video).num_frames == 5


def test_front_end_files_ship_next_to_the_class():
    import sora_widgets.widgets.clip_player as mod

    esm = (mod._HERE / "clip_player.js").read_text()
    assert "export default" in esm and "current_time" in esm
    assert (mod._HERE / "clip_player.css").exists()


def test_rejects_what_is_not_a_clip():
    with pytest.raises(TypeError, match="Clip.load"):
        ClipPlayer(np.zeros((3, 8, 8, 3), np.uint8))


def test_event_markers_are_cleaned(square_clip):
    clip = square_clip.with_meta(events=[
        {"t": 0.9, "kind": "contact", "bodies": ["a", "b"]},
        {"t": 0.1, "kind": "speech", "text": "hi"},
        {"t": "soon"}, "junk", {"t": 99.0, "kind": "late"}, {"kind": "no time"},
    ])
    evs = clip_events(clip)
    assert [e["t"] for e in evs] == [0.1, 0.9]
    assert evs[0] == {"t": 0.1, "kind": "speech", "text": "hi"}
    assert "bodies" not in evs[1]  # lists are not synced as marker data


# ------------------------------------------------------------------ audio_features
def tone(freq_hz, sr=16_000, seconds=1.0, amp=0.5):
    t = np.arange(int(sr * seconds)) / sr
    return (amp * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32)[None]


def test_waveform_envelope_follows_the_loudness():
    y = tone(200)
    y[:, : y.shape[1] // 2] *= 0.1  # quiet first half
    lo, hi = af.waveform_envelope(y, 10)
    assert hi[:5].max() == pytest.approx(0.05, abs=0.005)
    assert hi[5:].min() == pytest.approx(0.5, abs=0.01)
    assert np.allclose(lo, -hi, atol=0.01)


def test_waveform_of_empty_audio_is_flat():
    lo, hi = af.waveform_envelope(np.zeros((2, 0), np.float32), 7)
    assert lo.shape == hi.shape == (7,) and not hi.any()
    with pytest.raises(ValueError):
        af.waveform_envelope(tone(100), 0)


def test_mel_spectrogram_puts_a_high_tone_in_a_higher_band():
    low = af.mel_spectrogram_db(tone(300), 16_000)
    high = af.mel_spectrogram_db(tone(4000), 16_000)
    assert low.shape[0] == 64 and low.max() == pytest.approx(0.0) and low.min() >= -80.0
    assert np.argmax(high.mean(axis=1)) > np.argmax(low.mean(axis=1)) + 10


def test_spectrogram_picture_has_low_bands_at_the_bottom():
    db = af.mel_spectrogram_db(tone(300), 16_000)
    rgb = af.spectrogram_rgb(db, height_px=64)
    assert rgb.shape == (64, db.shape[1], 3) and rgb.dtype == np.uint8
    brightness = rgb.astype(int).sum(axis=(1, 2))
    assert np.argmax(brightness) > 32  # the 300 Hz band is in the lower half of the image
    assert af.spectrogram_png(np.zeros((1, 0), np.float32), 16_000).startswith(PNG)
