"""Clip validation, MP4 round trips with sound, and bad uploads."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sora_widgets import Clip, MediaError
from sora_widgets.media import MediaLimits


def synthetic_clip(t=96, h=256, w=256, fps=24, sr=48_000, channels=2, seed=0) -> Clip:
    """A moving gradient + square with a chirp: detail a codec must keep."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    frames = np.empty((t, h, w, 3), np.uint8)
    for i in range(t):
        frames[i, ..., 0] = (xx * 255 // max(w - 1, 1) + i * 3) % 256
        frames[i, ..., 1] = yy * 255 // max(h - 1, 1)
        frames[i, ..., 2] = 80
        x0 = (i * 4) % max(w - 32, 1)
        frames[i, h // 3 : h // 3 + 24, x0 : x0 + 24] = (250, 250, 30)
    n = int(round(t / fps * sr))
    tt = np.arange(n) / sr
    base = 0.4 * np.sin(2 * np.pi * (300 + 200 * tt) * tt) + 0.05 * rng.standard_normal(n)
    audio = np.stack([base * (1 - 0.3 * c) for c in range(channels)]).astype(np.float32)
    return Clip(frames, np.clip(audio, -1, 1), fps, sr, {"prompt": "synthetic", "clip_id": "c1"})


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def luma(rgb: np.ndarray) -> np.ndarray:
    return rgb.astype(np.float64) @ np.array([0.299, 0.587, 0.114])


def aligned_correlation(ref: np.ndarray, got: np.ndarray, max_lag: int = 4096) -> float:
    """Best Pearson correlation over lags in [0, max_lag] (AAC adds a priming delay)."""
    best = -1.0
    n = min(len(ref), len(got) - max_lag) - 1
    for lag in range(0, max_lag + 1):
        seg = got[lag : lag + n]
        r = np.corrcoef(ref[:n], seg)[0, 1]
        best = max(best, r)
        if best > 0.999:
            break
    return best


def test_round_trip_quality(tmp_path):
    clip = synthetic_clip()
    path = clip.save(tmp_path / "out.mp4")
    back = Clip.load(path)
    assert back.frames.shape == clip.frames.shape
    assert abs(back.duration - clip.duration) <= 1 / clip.fps
    assert psnr(back.frames, clip.frames) >= 35.0
    assert back.sample_rate == clip.sample_rate and back.channels == 2
    assert aligned_correlation(clip.audio[0], back.audio[0]) >= 0.99


def test_mp4_is_h264_aac_faststart_with_metadata(tmp_path):
    import av

    clip = synthetic_clip(t=24).with_meta(prompt="a red ball bounces", clip_id="cabc")
    path = clip.save(tmp_path / "m.mp4")
    with av.open(str(path)) as c:
        assert c.streams.video[0].codec_context.name == "h264"
        assert c.streams.video[0].codec_context.pix_fmt == "yuv420p"
        assert c.streams.audio[0].codec_context.name == "aac"
        assert c.metadata.get("title") == "a red ball bounces"
        # No clip id in the file: the store gives it after the player showed these bytes (encode once).
        assert "cabc" not in c.metadata.get("comment", "")
    data = path.read_bytes()
    assert data.find(b"moov") < data.find(b"mdat"), "faststart puts the index before the media data"


def test_thumbnail_frame_at_duration():
    clip = synthetic_clip(t=48, fps=24)
    assert clip.duration == pytest.approx(2.0)
    assert clip.thumbnail(64).shape[:2] == (64, 64)
    np.testing.assert_array_equal(clip.frame_at(1.0), clip.frames[24])
    np.testing.assert_array_equal(clip.frame_at(99), clip.frames[-1])
    assert clip.thumbnail_png()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"frames": np.zeros((0, 8, 8, 3), np.uint8)}, "at least one frame"),
        ({"frames": np.zeros((2, 8, 8), np.uint8)}, "(T, H, W, 3)"),
        ({"frames": np.zeros((2, 8, 8, 3), np.float32)}, "uint8"),
        ({"audio": np.ones((3, 10), np.float32)}, "1 or 2 channels"),
        ({"audio": np.full((1, 10), 2.0, np.float32)}, "[-1, 1]"),
        ({"audio": np.full((1, 10), np.nan, np.float32)}, "NaN"),
        ({"fps": 0}, "fps"),
        ({"sample_rate": 10}, "sample_rate"),
    ],
)
def test_validation_says_what_is_wrong(kwargs, words):
    base = dict(frames=np.zeros((2, 16, 16, 3), np.uint8), audio=np.zeros((1, 10), np.float32), fps=24, sample_rate=48000)
    with pytest.raises(MediaError, match=None) as ei:
        Clip(**{**base, **kwargs})
    assert words in str(ei.value)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    w=st.integers(16, 96),
    h=st.integers(16, 96),
    fps=st.sampled_from([8, 12, 24, 25, 30]),
    channels=st.sampled_from([1, 2]),
    seconds=st.floats(0.3, 1.5),
    sr=st.sampled_from([16_000, 44_100, 48_000]),
)
def test_round_trip_property(tmp_path_factory, w, h, fps, channels, seconds, sr):
    t = max(1, int(seconds * fps))
    clip = synthetic_clip(t=t, h=h, w=w, fps=fps, sr=sr, channels=channels)
    path = clip.save(tmp_path_factory.mktemp("rt") / "p.mp4")
    back = Clip.load(path)
    assert back.num_frames == t
    assert back.fps == pytest.approx(fps, rel=1e-3)
    assert abs(back.duration - clip.duration) <= 1 / fps + 1e-9
    # Odd sizes are padded (edge repeated) on write: yuv420p needs even sizes.
    assert back.height == h + h % 2 and back.width == w + w % 2
    assert back.channels == channels and back.sample_rate == sr
    # Luma: yuv420p halves colour resolution by design, which dominates at 16 px.
    assert psnr(luma(back.frames[:, :h, :w]), luma(clip.frames)) >= 35.0
    assert back.audio.dtype == np.float32 and np.abs(back.audio).max() <= 1.0


# ----------------------------------------------------------------- bad uploads
def test_truncated_mp4(tmp_path):
    data = synthetic_clip(t=48).to_mp4_bytes()
    p = tmp_path / "trunc.mp4"
    p.write_bytes(data[: len(data) // 3])
    with pytest.raises(MediaError, match="corrupt|truncated|not a video"):
        Clip.load(p)


def test_png_renamed_mp4(tmp_path):
    p = tmp_path / "photo.mp4"
    p.write_bytes(synthetic_clip(t=1).thumbnail_png())
    with pytest.raises(MediaError, match="still image|not a video"):
        Clip.load(p)


def test_zero_length_file(tmp_path):
    p = tmp_path / "empty.mp4"
    p.write_bytes(b"")
    with pytest.raises(MediaError, match="empty"):
        Clip.load(p)


def test_not_media_at_all(tmp_path):
    p = tmp_path / "notes.mp4"
    p.write_bytes(b"hello, this is text and not a video" * 100)
    with pytest.raises(MediaError, match="not a video"):
        Clip.load(p)


def test_audio_only_file(tmp_path):
    p = tmp_path / "sound.m4a"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=1", str(p)], check=True)
    with pytest.raises(MediaError, match="audio-only"):
        Clip.load(p)


def test_zero_frame_video(tmp_path):
    import av

    p = tmp_path / "noframes.mp4"
    with av.open(str(p), "w") as out:
        s = out.add_stream("libx264", rate=24)
        s.width = s.height = 64
        s.pix_fmt = "yuv420p"
    with pytest.raises(MediaError):
        Clip.load(p)


def test_size_and_duration_limits(tmp_path):
    p = synthetic_clip(t=48).save(tmp_path / "c.mp4")
    with pytest.raises(MediaError, match="limit"):
        Clip.load(p, limits=MediaLimits(max_bytes=1000))
    with pytest.raises(MediaError, match="limit"):
        Clip.load(p, limits=MediaLimits(max_duration_s=1.0))


def test_missing_file(tmp_path):
    with pytest.raises(MediaError, match="no such file"):
        Clip.load(tmp_path / "nope.mp4")


# ------------------------------------------------------------ real-world uploads
def _ffmpeg(*args):
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", *args], check=True)


@pytest.mark.parametrize("ext, vcodec, acodec", [(".mov", "libx264", "aac"), (".webm", "libvpx-vp9", "libopus"), (".mkv", "libx264", "libvorbis")])
def test_other_containers(tmp_path, ext, vcodec, acodec):
    p = tmp_path / f"in{ext}"
    _ffmpeg("-f", "lavfi", "-i", "testsrc=size=98x66:rate=25:duration=1", "-f", "lavfi", "-i", "sine=frequency=300:duration=1",
            "-c:v", vcodec, "-c:a", acodec, "-shortest", str(p))
    clip = Clip.load(p)
    assert clip.width == 98 and clip.height == 66
    assert clip.fps == pytest.approx(25)
    assert 0.9 <= clip.duration <= 1.1
    assert clip.audio.shape[1] > 0


def test_no_audio_track(tmp_path):
    p = tmp_path / "silent.mp4"
    _ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x64:rate=24:duration=1", "-c:v", "libx264", "-pix_fmt", "yuv420p", str(p))
    clip = Clip.load(p)
    assert clip.audio.shape[1] == 0 and clip.num_frames == 24
    # Saving a silent clip still writes a (silent) sound track so players behave the same.
    back = Clip.load(clip.save(tmp_path / "again.mp4"))
    assert back.audio.shape[1] > 0 and np.abs(back.audio).max() < 1e-3


def test_odd_size_is_cropped_even(tmp_path):
    p = tmp_path / "odd.mp4"
    _ffmpeg("-f", "lavfi", "-i", "testsrc=size=97x63:rate=24:duration=0.5", "-c:v", "libx264", "-pix_fmt", "yuv444p", str(p))
    clip = Clip.load(p)
    assert (clip.width, clip.height) == (96, 62)


def test_phone_rotation_applied(tmp_path):
    src = tmp_path / "land.mp4"
    _ffmpeg("-f", "lavfi", "-i", "testsrc=size=128x64:rate=24:duration=0.5", "-c:v", "libx264", "-pix_fmt", "yuv420p", str(src))
    rotated = tmp_path / "portrait.mp4"
    _ffmpeg("-i", str(src), "-metadata:s:v:0", "rotate=90", "-c", "copy", str(rotated))
    clip = Clip.load(rotated)
    assert (clip.width, clip.height) == (64, 128), "a phone's portrait video is shown upright"
    # Same orientation as FFmpeg's own autorotation.
    upright = tmp_path / "upright.mp4"
    _ffmpeg("-i", str(rotated), "-c:v", "libx264", "-crf", "10", "-pix_fmt", "yuv444p", str(upright))
    ref = Clip.load(upright)
    assert np.abs(ref.frames[0].astype(int) - clip.frames[0]).mean() < 10


def test_variable_frame_rate_becomes_constant(tmp_path):
    p = tmp_path / "vfr.mkv"
    # Frames at irregular times: setpts jitters timestamps, fps_mode passthrough keeps them.
    _ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x64:rate=30:duration=1",
            "-vf", "setpts='PTS+if(eq(mod(N,3),0),0.01/TB,0)'", "-fps_mode", "passthrough",
            "-c:v", "libx264", "-pix_fmt", "yuv420p", str(p))
    clip = Clip.load(p)
    assert 0.9 <= clip.duration <= 1.15
    assert clip.fps > 0
