"""Issue 13, uploads: a playlist cannot make FFmpeg open another file (item 2), decoding stays within a
stated memory budget (item 4), and upload errors read like sentences (item 11).

The memory cases run in a subprocess each and report its peak RSS (``VmHWM``), so the figure is
the whole decode: PyAV, the frames, the audio and the Clip, not an estimate.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from sora_widgets.media import DEFAULT_LIMITS, Clip, MediaError, MediaLimits

#: The peak memory the issue allows for the worst upload (bytes).
PEAK_LIMIT_BYTES = 1.5e9


def _ffmpeg(*args: str) -> None:
    subprocess.run(["nice", "ffmpeg", "-loglevel", "error", "-y", "-nostdin", *args], check=True)


@pytest.fixture
def secret_video(tmp_path) -> Path:
    """A video on "the server's disk" that no upload may read: a solid red picture."""
    p = tmp_path / "server" / "private.mp4"
    p.parent.mkdir()
    _ffmpeg("-f", "lavfi", "-i", "color=c=red:s=64x64:r=10:d=1", "-c:v", "libx264", "-pix_fmt", "yuv420p", str(p))
    return p


def _playlist(target: Path) -> bytes:
    data = (f"#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\n{target}\n#EXT-X-ENDLIST\n").encode()
    assert len(data) < 200  # the 150-byte playlist
    return data


# ------------------------------------------------------------------------------------ item 2
@pytest.mark.parametrize("name", ["holiday.m3u8", "holiday.mp4", "holiday.mkv", "upload"])
def test_playlist_naming_a_server_file_is_refused(secret_video, name):
    """Before the fix a .m3u8 upload came back as a Clip of the server file's red frames."""
    with pytest.raises(MediaError) as err:
        Clip.from_bytes(_playlist(secret_video), name=name)
    text = str(err.value)
    assert str(secret_video.parent) not in text and "Errno" not in text
    assert ".mp4" in text and ".webm" in text  # says what to upload instead


def test_playlist_never_opens_the_file_it_names(tmp_path):
    """The named "file" is a FIFO: if FFmpeg opened it, the writer below would get through."""
    fifo = tmp_path / "trap.mp4"
    os.mkfifo(fifo)
    opened = threading.Event()

    def writer() -> None:
        with open(fifo, "wb"):  # blocks until someone opens the FIFO for reading
            opened.set()

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    with pytest.raises(MediaError):
        Clip.from_bytes(_playlist(fifo), name="holiday.m3u8")
    assert not opened.is_set(), "the upload made FFmpeg open another file"
    os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))  # let the writer go
    t.join(5)


@pytest.mark.parametrize("data", [
    b"ffconcat version 1.0\nfile '{target}'\n",
    b"file '{target}'\n",
    b"<smil><body><video src='file://{target}'/></body></smil>",
    b"[playlist]\nFile1={target}\nNumberOfEntries=1\n",
])
def test_other_indirections_are_refused(secret_video, data):
    payload = data.replace(b"{target}", str(secret_video).encode())
    for name in ("list.txt", "list.mp4", "list.ffconcat"):
        with pytest.raises(MediaError):
            Clip.from_bytes(payload, name=name)


def test_mpeg_ts_is_not_an_accepted_container(tmp_path):
    p = tmp_path / "cam.ts"
    _ffmpeg("-f", "lavfi", "-i", "testsrc=s=64x64:r=10:d=1", "-c:v", "libx264", "-pix_fmt", "yuv420p", str(p))
    with pytest.raises(MediaError, match=r"\.mp4"):
        Clip.load(p)


def test_the_format_comes_from_the_bytes_not_the_name(tmp_path):
    """A real MP4 named .mkv, or .m3u8, or nothing, is read as the MP4 it is."""
    src = tmp_path / "a.mp4"
    _ffmpeg("-f", "lavfi", "-i", "testsrc=s=64x48:r=10:d=1", "-c:v", "libx264", "-pix_fmt", "yuv420p", str(src))
    for name in ("a.mkv", "a.m3u8", "a"):
        clip = Clip.from_bytes(src.read_bytes(), name=name)
        assert (clip.width, clip.height, clip.num_frames) == (64, 48, 10)


# ------------------------------------------------------------------------------------ item 11
def test_upload_error_names_the_file_once_without_paths_or_errno(tmp_path):
    good = tmp_path / "g.mp4"
    _ffmpeg("-f", "lavfi", "-i", "testsrc=s=64x64:r=10:d=2", "-c:v", "libx264", "-pix_fmt", "yuv420p", str(good))
    data = good.read_bytes()
    for bad in (data[: len(data) // 4], b"\x00\x00\x00\x18ftypisom" + os.urandom(4000)):
        with pytest.raises(MediaError) as err:
            Clip.from_bytes(bad, name="My Holiday.mp4")
        text = str(err.value)
        assert text.count("My Holiday.mp4") == 1, text
        assert "/tmp" not in text and "Errno" not in text and "upload.mp4" not in text, text


# ------------------------------------------------------------------------------------ item 4
sys.path.insert(0, str(Path(__file__).parent / "corpus"))
from worst_uploads import decode_in_subprocess, make  # noqa: E402


@pytest.mark.slow
def test_long_720p_upload_decodes_within_the_budget(tmp_path):
    """110 s of 720p30 inside the 120 s / 512 MB limits needed over 11 GB before the fix."""
    out = decode_in_subprocess(make("long720", tmp_path))
    assert out["ok"], out
    t, h, w, _ = out["shape"]
    assert 3290 <= t <= 3310 and out["fps"] == pytest.approx(30)
    assert t * h * w * 3 <= DEFAULT_LIMITS.max_frame_bytes
    assert w / h == pytest.approx(16 / 9, rel=0.05)
    assert any("scaled" in n for n in out["notes"]), out["notes"]
    assert out["peak_bytes"] <= PEAK_LIMIT_BYTES, out


@pytest.mark.slow
def test_hour_of_192khz_audio_behind_2s_of_video_is_refused_before_decoding(tmp_path):
    """5.5 MB .mov: 2 s of video, 1 h of 192 kHz audio; passed the duration check and needed 5.4 GB."""
    out = decode_in_subprocess(make("hour_audio_mov", tmp_path))
    assert not out["ok"] and "sound" in out["error"] and "3600 s" in out["error"], out
    assert out["peak_bytes"] <= PEAK_LIMIT_BYTES, out


@pytest.mark.slow
def test_long_audio_without_a_header_duration_stops_at_the_limit(tmp_path):
    """The same 1 h of audio in a Matroska stream written to a pipe: no trustworthy header, so the
    decoder itself must stop (sound past the picture is trimmed, never all kept)."""
    out = decode_in_subprocess(make("hour_audio_stream", tmp_path))
    if out["ok"]:
        assert out["shape"][0] == 50 and out["audio"][1] <= 2.1 * out["sr"], out
        assert out["sr"] <= 48_000
    else:
        assert "sound" in out["error"] and "limit" in out["error"], out
    assert out["peak_bytes"] <= PEAK_LIMIT_BYTES, out


def test_one_second_of_video_with_100_s_of_audio_is_trimmed_to_the_picture(tmp_path):
    out = decode_in_subprocess(make("short_video_long_audio", tmp_path))
    assert out["ok"] and out["shape"][0] == 10, out
    assert 0.9 * out["sr"] <= out["audio"][1] <= 1.05 * out["sr"], "the sound is cut at the end of the picture"
    assert any("trimmed" in n for n in out["notes"]), out


def test_mpeg_ts_with_restarting_timestamps_is_a_clear_error(tmp_path):
    """Segments concatenated byte-wise: the clock restarts every 2 s (needed 7.1 GB, then "truncated")."""
    out = decode_in_subprocess(make("restarting_ts", tmp_path))
    assert not out["ok"] and ".mp4" in out["error"], out
    assert out["peak_bytes"] <= PEAK_LIMIT_BYTES, out


def test_huge_pictures_are_refused_before_decoding(tmp_path):
    """9000x5000 px pictures (45 MP) would make FFmpeg allocate each whole, at any working size."""
    p = tmp_path / "huge.mkv"
    _ffmpeg("-f", "lavfi", "-i", "color=s=9000x5000:r=2:d=1", "-c:v", "mjpeg", "-q:v", "31", str(p))
    out = decode_in_subprocess(p)
    assert not out["ok"] and "9000x5000" in out["error"], out
    assert out["peak_bytes"] <= 0.5e9, out


def test_frames_are_scaled_while_decoding_to_fit_a_small_budget(tmp_path):
    """The budget is a number anyone can set: 10 frames of 320x240 in 1 MB come back smaller, whole."""
    p = tmp_path / "c.mp4"
    _ffmpeg("-f", "lavfi", "-i", "testsrc=s=320x240:r=10:d=1", "-c:v", "libx264", "-pix_fmt", "yuv420p", str(p))
    limits = MediaLimits(max_frame_bytes=1_000_000)
    clip = Clip.load(p, limits=limits)
    assert clip.num_frames == 10 and clip.frames.nbytes <= 1_000_000
    assert clip.width / clip.height == pytest.approx(4 / 3, rel=0.05)
    assert any("scaled" in n for n in clip.meta["notes"])
    # The picture survives the scaling: testsrc's colour bars are still where they were.
    full = Clip.load(p)
    small_ref = full.frames[0][:: 240 // clip.height + 1, :: 320 // clip.width + 1]
    assert small_ref.mean() == pytest.approx(clip.frames[0].mean(), abs=12)


def test_too_many_frames_for_any_working_size_says_what_was_too_big(tmp_path):
    p = tmp_path / "c.mp4"
    _ffmpeg("-f", "lavfi", "-i", "testsrc=s=320x240:r=30:d=4", "-c:v", "libx264", "-pix_fmt", "yuv420p", str(p))
    with pytest.raises(MediaError, match="frames") as err:
        Clip.load(p, limits=MediaLimits(max_frame_bytes=120 * 48 * 48 * 3 // 2))
    assert "memory" in str(err.value) or "too" in str(err.value)


def test_cameo_upload_checks_its_20_s_rule_before_decoding_everything(tmp_path, store):
    """CameoMaker's upload refuses a 60 s video from the header, with the cameo's own 20 s limit."""
    from sora_widgets.social.accounts import sign_up
    from sora_widgets.widgets.cameo_maker import CameoMaker

    p = tmp_path / "long.mp4"
    _ffmpeg("-f", "lavfi", "-i", "color=c=blue:s=64x64:r=10:d=60", "-c:v", "libx264", "-pix_fmt", "yuv420p", str(p))
    sign_up(store, "alice", birthdate="1990-01-01")
    maker = CameoMaker(store, "alice")
    maker.load_bytes(p.read_bytes(), "beach.mp4")
    assert maker.clip is None
    text = maker.status.value
    assert "20 s" in text and "60 s" in text and text.count("beach.mp4") == 1, text


def test_decoded_frames_match_the_source_at_the_working_size(tmp_path):
    """Scaling in the decoder (swscale) keeps the picture: a solid colour stays that colour."""
    p = tmp_path / "green.webm"
    _ffmpeg("-f", "lavfi", "-i", "color=c=0x20C040:s=1600x900:r=5:d=1", "-c:v", "libvpx-vp9", "-b:v", "200k", str(p))
    clip = Clip.load(p)
    assert max(clip.width, clip.height) == DEFAULT_LIMITS.max_side_px
    assert np.abs(clip.frames.reshape(-1, 3).mean(0) - (0x20, 0xC0, 0x40)).max() < 8


# ------------------------------------------------------------------------------------ the store: items 8, 9, 10
def _saved_clip(store, n: int, colour: int):
    from sora_widgets.social.accounts import sign_up

    if not store.sql("SELECT 1 FROM users WHERE handle = 'alice'").shape[0]:
        sign_up(store, "alice", birthdate="1990-01-01")
    frames = np.full((n, 64, 64, 3), colour, np.uint8)
    clip = Clip(frames, np.zeros((1, 1600 * n // 10), np.float32), 10, 16_000, {"prompt": f"clip {colour}"})
    return store.save_clip(clip, owner="alice")


def test_a_truncated_media_file_is_an_error_not_fewer_frames(store):
    """Item 9: a truncated file silently returned 2 of 8 frames."""
    from sora_widgets.store import StoreError

    cid = _saved_clip(store, 8, 200)
    path = store.media_path(store.clip_info(cid)["media_hash"])
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(StoreError, match="damaged") as err:
        store.get_clip(cid)
    assert "backup" in str(err.value)
    with pytest.raises(StoreError, match="damaged"):
        store.media_bytes(store.clip_info(cid)["media_hash"])


def test_a_swapped_media_file_is_an_error_never_another_clip(store):
    """Item 9: a file swapped for another clip's (same size class) played the other clip."""
    from sora_widgets.store import StoreError

    a, b = _saved_clip(store, 8, 30), _saved_clip(store, 8, 220)
    pa = store.media_path(store.clip_info(a)["media_hash"])
    pb = store.media_path(store.clip_info(b)["media_hash"])
    pa.write_bytes(pb.read_bytes())
    with pytest.raises(StoreError, match="damaged"):
        store.get_clip(a)
    assert store.get_clip(b).frames.mean() > 150  # the intact one still reads


def test_duckdb_never_installs_or_loads_extensions_by_itself(store):
    """Item 10: a SQLite file in place of sora.duckdb made DuckDB try the network for an extension."""
    with store.read() as con:
        settings = dict(con.execute(
            "SELECT name, value FROM duckdb_settings() WHERE name IN "
            "('autoinstall_known_extensions', 'autoload_known_extensions', 'allow_community_extensions')"
        ).fetchall())
    assert settings == {"autoinstall_known_extensions": "false", "autoload_known_extensions": "false",
                        "allow_community_extensions": "false"}


def _sqlite_file(path: Path) -> None:
    import sqlite3

    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE notes (x TEXT)")
        con.execute("INSERT INTO notes VALUES ('hello')")


@pytest.mark.parametrize("kind", ["sqlite", "random", "text", "other duckdb", "truncated store"])
def test_a_file_that_is_not_our_database_says_so(tmp_path, kind):
    import duckdb

    from sora_widgets.store import StoreError, open_store

    home = tmp_path / "home"
    home.mkdir()
    db = home / "sora.duckdb"
    if kind == "sqlite":
        _sqlite_file(db)
    elif kind == "random":
        db.write_bytes(os.urandom(64 * 1024))
    elif kind == "text":
        db.write_text("id,name\n1,alice\n" * 100)
    elif kind == "other duckdb":
        with duckdb.connect(str(db)) as con:
            con.execute("CREATE TABLE invoices (id INTEGER, total DOUBLE)")
    else:
        open_store(home)
        data = db.read_bytes()
        db.write_bytes(data[: len(data) // 3])
    before = db.read_bytes()
    with pytest.raises(StoreError) as err:
        open_store(home)
    text = str(err.value)
    assert "sora.duckdb" in text and ("not a sora-widgets database" in text or "damaged" in text), text
    assert "SORA_WIDGETS_HOME" in text or "backup" in text, text
    for raw in ("IO Error", "Catalog Error", "TransactionContext", "Binder Error", "Serialization"):
        assert raw not in text, text
    if kind == "sqlite":
        assert "SQLite" in text
    assert db.read_bytes() == before, "the file was left as it was"


def _mount_tiny_tmpfs(path: Path, size: str) -> bool:
    path.mkdir()
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    return res.returncode == 0


def test_a_full_disk_says_so_and_what_to_do(tmp_path):
    """Item 8, on a real 6 MB tmpfs: the commit's "No space left on device" was replaced by the rollback's
    "no transaction is active". Needs root to mount (skipped elsewhere, and says so)."""
    from sora_widgets.store import StoreError, open_store

    disk = tmp_path / "tiny"
    if not _mount_tiny_tmpfs(disk, "6m"):
        pytest.skip("cannot mount a tmpfs here (needs root): the full-disk test runs where it can")
    try:
        store = open_store(disk / "home")
        cid = _saved_clip(store, 4, 90)
        with pytest.raises(StoreError) as err:
            for _ in range(100):
                store.audit("alice", "big", detail={"blob": os.urandom(400_000).hex()})
        text = str(err.value)
        assert "No space left on device" in text and "no transaction is active" not in text, text
        assert "free" in text.lower() and "SORA_WIDGETS_HOME" in text, text
        with pytest.raises(StoreError, match="No space left on device"):  # a clip's media file, too
            for colour in range(10, 250, 10):
                _saved_clip(store, 40, colour)
        assert store.get_clip(cid).num_frames == 4, "what was committed before is intact"
        assert not list((disk / "home" / "media").rglob("*.part")), "no half-written file is left"
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


# ------------------------------------------------------------------------------------ fuzzing the decoder
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_MAGIC = [b"", b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2", b"\x00\x00\x00\x08moov", b"\x1a\x45\xdf\xa3",
          b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_MAGIC), st.binary(max_size=3000))
def test_any_bytes_are_a_clip_or_a_media_error(magic, tail):
    """Property: whatever follows an accepted magic number, the answer is a Clip or a MediaError."""
    try:
        clip = Clip.from_bytes(magic + tail, name="fuzz.mp4")
    except MediaError as exc:
        assert "Errno" not in str(exc) and "/tmp" not in str(exc)
        return
    assert clip.num_frames >= 2


@pytest.fixture(scope="module")
def small_mp4(tmp_path_factory) -> bytes:
    p = tmp_path_factory.mktemp("fuzz") / "s.mp4"
    _ffmpeg("-f", "lavfi", "-i", "testsrc=s=32x32:r=10:d=1", "-f", "lavfi", "-i", "sine=r=8000:d=1",
            "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-movflags", "+faststart", str(p))
    return p.read_bytes()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 10**9), st.integers(0, 255)), min_size=1, max_size=40))
def test_a_damaged_real_file_is_a_clip_or_a_media_error(small_mp4, edits):
    """Property: a real MP4 with bytes overwritten (header boxes included) never crashes the decoder."""
    data = bytearray(small_mp4)
    for pos, value in edits:
        data[pos % len(data)] = value
    try:
        clip = Clip.from_bytes(bytes(data), name="damaged.mp4")
    except MediaError:
        return
    assert clip.frames.dtype == np.uint8 and clip.num_frames >= 2


def test_a_sound_track_without_a_codec_is_ignored_not_a_crash(small_mp4):
    """Found by fuzzing: the audio track's sample description damaged ('stsd' box renamed) left a stream
    with no codec, and reading its rate raised AttributeError."""
    i = small_mp4.rfind(b"stsd")
    assert i > small_mp4.find(b"stsd") > 0  # two tracks: the last sample description is the sound's
    data = small_mp4[:i] + b"\x98tsd" + small_mp4[i + 4:]
    clip = Clip.from_bytes(data, name="nocodec.mp4")
    assert clip.num_frames == 10 and clip.audio.shape[1] == 0
