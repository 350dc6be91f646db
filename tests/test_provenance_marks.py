"""Provenance marks (issue 16 items 1-2): watermark ids, the visible mark, the invisible picture and
sound marks, and fingerprints — on real sim clips through real ffmpeg transforms.

The full robustness table (>= 50 clips x 9 transforms, >= 200 unmarked videos) is
benchmarks/provenance_bench.py; these tests check each property on a few clips.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import av
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sora_widgets as sw
from sora_widgets.provenance import fingerprint, mark_id, picture_mark, sound_mark, visible_mark

# ---------------------------------------------------------------- helpers


def ffmpeg(src: Path, dst: Path, *args: str) -> Path:
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(src), *args, str(dst)], check=True)
    return dst


def decode(path: Path) -> tuple[np.ndarray, float, np.ndarray, int]:
    """(frames, fps, audio (C, N), sample rate) of a file, as a checker reads it."""
    with av.open(str(path)) as container:
        fps = float(container.streams.video[0].average_rate)
        frames = np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)])
    audio, rate = np.zeros((1, 0), np.float32), 48_000
    with av.open(str(path)) as container:
        if container.streams.audio:
            rate = container.streams.audio[0].rate
            chunks = [f.to_ndarray() for f in container.decode(audio=0)]
            audio = np.concatenate(chunks, axis=1).astype(np.float32)
    return frames, fps, audio, rate


X264 = ["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p"]


@pytest.fixture(scope="module")
def clips() -> dict[str, sw.Clip]:
    """Two sim clips: a scene with sound at 256x256 and a spoken line at 384x384."""
    return {
        "scene": sw.generate("a red ball bounces off the backboard", seed=5, width=256, height=256, duration=3.0),
        "speech": sw.generate('a man says "hello there, how are you today"', seed=6, width=384, height=384,
                              duration=3.0),
    }


@pytest.fixture(scope="module")
def marked(clips, tmp_path_factory) -> dict[str, tuple[Path, int, sw.Clip]]:
    """Each clip burned, marked (picture + sound) and saved as the publish MP4: (path, payload, clip)."""
    folder = tmp_path_factory.mktemp("marked")
    out = {}
    for name, clip in clips.items():
        payload = mark_id.new_mark_id()
        frames = picture_mark.embed(visible_mark.burn(clip.frames, clip.fps, visible_mark.label("alice")), payload)
        audio = sound_mark.embed(clip.audio, clip.sample_rate, payload)
        marked_clip = sw.Clip(frames, audio, clip.fps, clip.sample_rate)
        path = folder / f"{name}.mp4"
        marked_clip.save(path)
        out[name] = (path, payload, marked_clip)
    return out


# ---------------------------------------------------------------- mark ids


def test_mark_id_round_trip_and_check_code():
    payload = mark_id.new_mark_id()
    assert mark_id.is_valid(payload)
    assert 0 < payload < 2**mark_id.PAYLOAD_BITS
    assert mark_id.pack(mark_id.unpack(payload)) == payload
    assert mark_id.from_bits(mark_id.to_bits(payload)) == payload
    assert not mark_id.is_valid(0) and not mark_id.is_valid(-1) and not mark_id.is_valid(2**48)
    assert not mark_id.is_valid(True) and not mark_id.is_valid(None) and not mark_id.is_valid("1")
    with pytest.raises(ValueError):
        mark_id.pack(0)
    with pytest.raises(ValueError):
        mark_id.unpack(payload ^ 1)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 2**32 - 1), st.sets(st.integers(0, 47), min_size=1, max_size=3))
def test_any_error_of_up_to_three_bits_is_caught(registry_id, flips):
    payload = mark_id.pack(registry_id)
    for bit in flips:
        payload ^= 1 << bit
    assert not mark_id.is_valid(payload)


def test_random_words_almost_never_validate():
    rng = np.random.default_rng(1)
    words = rng.integers(0, 2**48, 20_000, dtype=np.int64)
    valid = sum(mark_id.is_valid(int(w)) for w in words)
    assert valid <= 3  # expected 20000 / 65536 = 0.3


def test_channel_code_corrects_noise_and_noise_does_not_decode():
    rng = np.random.default_rng(2)
    payload = mark_id.pack(0x5EED1234)  # fixed, so the noise draws (seeded) make the count deterministic
    coded = mark_id.encode(payload)
    assert coded.shape == (mark_id.CODED_BITS,) and set(np.unique(coded)) == {-1.0, 1.0}
    # Soft values with noise as strong as the signal (SNR 0 dB per channel bit; 1 in 6 bits flipped).
    decoded = [mark_id.decode(coded + rng.normal(0, 1.0, coded.size))[0] for _ in range(50)]
    assert sum(d == payload for d in decoded) >= 20  # 24 of 50 with these draws
    # Bare bits with the same energy per payload bit would be right in all 48 bits about 5 % of the time.
    bare = np.array(mark_id.to_bits(payload)) * 2.0 - 1.0
    hard = [mark_id.from_bits(bare * np.sqrt(mark_id.CODED_BITS / 48) + rng.normal(0, 1.0, 48) > 0) for _ in range(50)]
    assert sum(h == payload for h in hard) < sum(d == payload for d in decoded)
    assert mark_id.decode(coded * 3.0)[0] == payload  # the scale of the soft values does not matter
    noise_valid = sum(mark_id.is_valid(mark_id.decode(rng.normal(0, 1, mark_id.CODED_BITS))[0]) for _ in range(500))
    assert noise_valid <= 1


def test_walsh_rows_are_orthogonal():
    rows = mark_id.walsh_rows(np.arange(16), 16)
    assert np.array_equal(rows @ rows.T, 16 * np.eye(16))


# ---------------------------------------------------------------- visible mark


def _label_box(burned: np.ndarray, plain: np.ndarray) -> tuple[slice, slice] | None:
    diff = np.abs(burned.astype(int) - plain.astype(int)).sum(axis=-1) > 30
    if not diff.any():
        return None
    ys, xs = np.nonzero(diff)
    return slice(ys.min(), ys.max() + 1), slice(xs.min(), xs.max() + 1)


@pytest.mark.parametrize("grey", [0, 40, 128, 215, 255])
def test_visible_mark_is_legible_on_light_and_dark_scenes(grey, tmp_path):
    frames = np.full((48, 256, 256, 3), grey, np.uint8)
    burned = visible_mark.burn(frames, 24, visible_mark.label("alice"))
    # After the publish encode (H.264 crf 18 at this size) the label still has white glyphs and dark outlines.
    path = tmp_path / "v.mp4"
    sw.Clip(burned, np.zeros((1, 0), np.float32), 24, 48_000).save(path)
    decoded, *_ = decode(path)
    box = _label_box(burned[0], frames[0])
    assert box is not None
    luma = decoded[0][box].astype(float).mean(axis=-1)
    assert np.percentile(luma, 98) >= 200  # the glyphs' white fill
    assert np.percentile(luma, 2) <= max(60, grey - 120)  # the dark outline (darker than the scene)
    contrast = np.percentile(luma, 98) - np.percentile(luma, 2)
    assert contrast >= 140
    # Readable size: at least MIN_TEXT_PX tall.
    assert box[0].stop - box[0].start >= visible_mark.MIN_TEXT_PX


def test_visible_mark_moves_between_at_least_four_places_and_survives_any_crop():
    fps, seconds, size = 24, 16, (360, 640)
    frames = np.full((fps * seconds, *size, 3), 100, np.uint8)
    burned = visible_mark.burn(frames, fps, visible_mark.label("@bob"))
    boxes = [_label_box(burned[t], frames[t]) for t in range(0, len(frames), fps // 2)]
    assert all(b is not None for b in boxes)
    places = {(b[0].start // 40, b[1].start // 80) for b in boxes}
    assert len(places) >= 4
    # It stays put for a few seconds at a time (not a jitter).
    assert visible_mark.HOLD_S >= 2
    # Whichever quarter of the picture (left, right, top or bottom) a crop removes, the mark shows in some frames.
    h, w = size
    for keep in [(slice(None), slice(w // 4, None)), (slice(None), slice(None, 3 * w // 4)),
                 (slice(h // 4, None), slice(None)), (slice(None, 3 * h // 4), slice(None))]:
        changed = np.abs(burned[:, keep[0], keep[1]].astype(int) - frames[:, keep[0], keep[1]]).sum(axis=(1, 2, 3))
        assert (changed > 0).mean() >= 0.3
    assert visible_mark.label("@bob") == "sora-widgets · @bob"


def test_visible_mark_fits_a_narrow_frame():
    frames = np.zeros((10, 96, 64, 3), np.uint8)
    burned = visible_mark.burn(frames, 24, visible_mark.label("a_very_long_handle_name"))
    assert burned.shape == frames.shape and burned.any()


# ---------------------------------------------------------------- picture mark


def test_picture_mark_psnr_is_at_least_38_db(clips):
    for clip in clips.values():
        marked_frames = picture_mark.embed(clip.frames, mark_id.new_mark_id())
        assert picture_mark.psnr(clip.frames, marked_frames) >= 38.0
        assert picture_mark.psnr(clip.frames, marked_frames) <= 45.0  # and it is really there


def test_picture_mark_round_trip_through_the_publish_mp4(marked):
    for path, payload, _ in marked.values():
        frames, *_ = decode(path)
        found = picture_mark.detect(frames)
        assert found.payload == payload and found.confidence >= 0.5


@pytest.mark.slow
@pytest.mark.parametrize("name, args", [
    ("crf28", [*X264, "-crf", "28"]),
    ("half", ["-vf", "scale=trunc(iw/4)*2:trunc(ih/4)*2", *X264, "-crf", "23"]),
    ("crop", ["-vf", "crop=trunc(iw*0.45)*2:trunc(ih*0.45)*2:iw*0.07:ih*0.03", *X264, "-crf", "23"]),
    ("crop_half", ["-vf", "crop=trunc(iw*0.45)*2:trunc(ih*0.45)*2,scale=trunc(iw/4)*2:trunc(ih/4)*2",
                   *X264, "-crf", "23"]),
    ("fps48_trim", ["-ss", "1", "-vf", "fps=48", *X264, "-crf", "23"]),
])
def test_picture_mark_survives_ffmpeg_transforms(marked, tmp_path, name, args):
    path, payload, _ = marked["speech"]  # 384x384: crop + half leaves 172x172
    frames, *_ = decode(ffmpeg(path, tmp_path / f"{name}.mp4", *args))
    assert picture_mark.detect(frames).payload == payload


def test_picture_mark_finds_nothing_in_unmarked_clips_and_noise(clips):
    rng = np.random.default_rng(3)
    for clip in clips.values():
        assert picture_mark.detect(clip.frames).payload is None
    for _ in range(5):
        noise = rng.integers(0, 256, (12, 192, 256, 3), dtype=np.uint8)
        assert picture_mark.detect(noise).payload is None
    # A periodic picture (a checkerboard) has a strong period of its own: still nothing.
    board = np.kron((np.indices((16, 16)).sum(0) % 2) * 255, np.ones((16, 16))).astype(np.uint8)
    assert picture_mark.detect(np.repeat(np.stack([board] * 3, -1)[None], 8, 0)).payload is None
    assert picture_mark.detect(np.zeros((4, 16, 16, 3), np.uint8)).payload is None  # too small to hold a mark


def test_picture_mark_refuses_an_invalid_payload(clips):
    with pytest.raises(ValueError):
        picture_mark.embed(clips["scene"].frames, 12345)


# ---------------------------------------------------------------- sound mark


def test_sound_mark_is_30_db_below_the_sound(clips):
    for clip in clips.values():
        marked_audio = sound_mark.embed(clip.audio, clip.sample_rate, mark_id.new_mark_id())
        overall, segmental = sound_mark.mark_to_signal_db(clip.audio, marked_audio, clip.sample_rate)
        assert -40.0 <= overall <= -28.0
        assert segmental <= -28.0


@pytest.mark.slow
@pytest.mark.parametrize("name, args", [
    ("aac64", ["-vn", "-c:a", "aac", "-b:a", "64k"]),
    ("resample44", ["-vn", "-ar", "44100", "-c:a", "aac", "-b:a", "128k"]),
    ("trim", ["-vn", "-ss", "1", "-c:a", "aac", "-b:a", "128k"]),
])
def test_sound_mark_survives_aac_resampling_and_trimming(marked, tmp_path, name, args):
    for key in ("scene", "speech"):
        path, payload, _ = marked[key]
        out = ffmpeg(path, tmp_path / f"{key}_{name}.m4a", *args)
        with av.open(str(out)) as container:
            rate = container.streams.audio[0].rate
            audio = np.concatenate([f.to_ndarray() for f in container.decode(audio=0)], axis=1)
        assert sound_mark.detect(audio, rate).payload == payload, key


def test_sound_mark_finds_nothing_in_unmarked_sound_and_noise(clips):
    rng = np.random.default_rng(4)
    for clip in clips.values():
        assert sound_mark.detect(clip.audio, clip.sample_rate).payload is None
    for _ in range(5):
        assert sound_mark.detect(rng.normal(0, 0.1, (2, 48_000 * 3)).astype(np.float32), 48_000).payload is None


def test_silent_soundtrack_stays_silent_and_carries_no_mark():
    silent = np.zeros((2, 48_000 * 3), np.float32)
    out = sound_mark.embed(silent, 48_000, mark_id.new_mark_id())
    assert not out.any()
    assert sound_mark.detect(out, 48_000).payload is None
    assert sound_mark.embed(np.zeros((1, 0), np.float32), 48_000, mark_id.new_mark_id()).shape == (1, 0)


# ---------------------------------------------------------------- fingerprints


@pytest.mark.slow
def test_fingerprints_match_copies_and_not_unrelated_clips(marked, clips, tmp_path):
    path, _, original = marked["speech"]
    ref = fingerprint.of_clip(original.frames, original.fps, original.audio, original.sample_rate)
    assert ref.seconds == 3 and ref.picture.dtype == np.uint64 and ref.sound_active.all()

    frames, fps, audio, rate = decode(ffmpeg(path, tmp_path / "re.mp4", *X264, "-crf", "28"))
    again = fingerprint.match(fingerprint.of_clip(frames, fps, audio, rate), ref)
    assert again.is_match and again.offset_s == 0 and again.picture_bits <= 4

    frames, fps, audio, rate = decode(ffmpeg(path, tmp_path / "crop.mp4", "-vf", "crop=iw*0.9:ih*0.9", *X264))
    cropped = fingerprint.match(fingerprint.of_clip(frames, fps, audio, rate), ref)
    assert cropped.is_match and cropped.picture_bits <= fingerprint.PICTURE_MATCH_BITS

    frames, fps, audio, rate = decode(ffmpeg(path, tmp_path / "trim.mp4", "-ss", "1", *X264))
    trimmed = fingerprint.match(fingerprint.of_clip(frames, fps, audio, rate), ref)
    assert trimmed.is_match and trimmed.offset_s == 1

    other = clips["scene"]
    unrelated = fingerprint.match(fingerprint.of_clip(other.frames, other.fps, other.audio, other.sample_rate), ref)
    assert not unrelated.is_match and unrelated.picture_bits > fingerprint.PICTURE_MATCH_BITS


def test_hamming_counts_bits():
    a = np.array([0, 0xFF, 2**64 - 1], np.uint64)
    b = np.array([1, 0x0F, 0], np.uint64)
    assert fingerprint.hamming(a, b).tolist() == [1, 4, 64]


def _flip(hashes: np.ndarray, bits: int, rng: np.random.Generator) -> np.ndarray:
    out = hashes.copy()
    for i in range(out.size):
        for b in rng.choice(64, bits, replace=False):
            out[i] ^= np.uint64(1) << np.uint64(int(b))
    return out


def test_fingerprint_match_needs_sound_to_agree_unless_the_picture_is_very_close():
    rng = np.random.default_rng(7)
    pictures = rng.integers(0, 2**63, 5, dtype=np.int64).astype(np.uint64)
    sounds = rng.integers(0, 2**63, 5, dtype=np.int64).astype(np.uint64)
    ref = fingerprint.Fingerprints(pictures, sounds, np.ones(5, bool))
    near = _flip(pictures, 12, rng)  # like a crop: between PICTURE_ALONE_BITS and PICTURE_MATCH_BITS
    assert fingerprint.PICTURE_ALONE_BITS < 12 <= fingerprint.PICTURE_MATCH_BITS
    with_sound = fingerprint.Fingerprints(near, sounds.copy(), np.ones(5, bool))
    without_sound = fingerprint.Fingerprints(near, np.zeros(5, np.uint64), np.zeros(5, bool))
    other_sound = fingerprint.Fingerprints(near, _flip(sounds, 32, rng), np.ones(5, bool))
    assert fingerprint.match(with_sound, ref).is_match
    assert not fingerprint.match(without_sound, ref).is_match  # the picture alone is not close enough
    assert not fingerprint.match(other_sound, ref).is_match
    very_near = fingerprint.Fingerprints(_flip(pictures, 4, rng), np.zeros(5, np.uint64), np.zeros(5, bool))
    found = fingerprint.match(very_near, ref)
    assert found.is_match and found.sound_bits is None and found.picture_bits == 4
