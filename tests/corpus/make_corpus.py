"""The attempt corpus of issue 13: uploads an attacker or a careless user might send, generated at test
time (ffmpeg for real encoders, Python for hand-made bytes) so no binary is committed.

Usage::

    python tests/corpus/make_corpus.py OUT_DIR          # writes the files and OUT_DIR/manifest.json
    python tests/corpus/make_corpus.py OUT_DIR --run    # ... then decodes each and prints the outcomes

Every case says what must happen (:class:`MediaCase`.expect): ``"ok"`` (a usable Clip), ``"error"`` (a
``MediaError`` with an actionable message) or ``"either"`` (a damaged file that may yield what decoded
cleanly, or an error); and how long it may take (``budget_s``). ``tests/test_attack_corpus.py`` runs them
all in one process whose peak memory must stay within :data:`PEAK_BUDGET_BYTES`. A case whose encoder
this ffmpeg lacks is reported as unavailable (and skipped), never silently passed.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

#: The whole corpus is decoded in one process whose peak RSS must stay under this (bytes; issue 13 item 4).
PEAK_BUDGET_BYTES = 1_500_000_000

#: Words at least one of which an actionable message contains (it says what to do).
ACTION_WORDS = ("upload", "export", "trim", "convert", "record", "remove", "try", "describe", "split",
                "choose", "must be", "paste", "restore", "keep", "move", "set ", "use ", "create")


@dataclass(frozen=True)
class MediaCase:
    """One upload: ``name`` is both the file's name in the corpus and the name it is uploaded under."""

    name: str
    expect: str  # "ok" | "error" | "either"
    make: Callable[[Path, Path], None]  # make(out_path, corpus_dir)
    why: str
    budget_s: float = 15.0


def _ff(*args: str) -> Callable[[Path, Path], None]:
    """A maker running ``ffmpeg -y <args> out``: lavfi sources, tiny sizes, short durations."""

    def make(out: Path, _: Path) -> None:
        subprocess.run(["nice", "ffmpeg", "-loglevel", "error", "-nostdin", "-y", *args, str(out)],
                       check=True, capture_output=True, timeout=120)

    return make


def _from(base: str, transform: Callable[[bytes], bytes]) -> Callable[[Path, Path], None]:
    """A maker deriving bytes from another corpus file (made earlier)."""

    def make(out: Path, folder: Path) -> None:
        out.write_bytes(transform((folder / base).read_bytes()))

    return make


def _bytes(data: bytes | Callable[[Path], bytes]) -> Callable[[Path, Path], None]:
    def make(out: Path, folder: Path) -> None:
        out.write_bytes(data(folder) if callable(data) else data)

    return make


V = ["-f", "lavfi", "-i", "testsrc=s=64x48:r=10:d=1"]
A = ["-f", "lavfi", "-i", "sine=f=440:r=16000:d=1"]
H264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]


def _playlist(folder: Path) -> bytes:
    return f"#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\n{folder / 'h264_aac.mp4'}\n#EXT-X-ENDLIST\n".encode()


def _with_zeroed_middle(data: bytes) -> bytes:
    n = len(data)
    return data[: n // 4] + bytes(n // 2) + data[n // 4 + n // 2:]


CASES: list[MediaCase] = [
    # ------------------------------------------------------------------ real encoders, accepted containers
    MediaCase("h264_aac.mp4", "ok", _ff(*V, *A, *H264, "-c:a", "aac", "-shortest"), "the common case"),
    MediaCase("h264_silent.mp4", "ok", _ff(*V, *H264), "no sound track"),
    MediaCase("h264_mono8k.mp4", "ok", _ff(*V, "-f", "lavfi", "-i", "sine=r=8000:d=1", *H264, "-c:a", "aac"),
              "8 kHz mono"),
    MediaCase("h264_51.mp4", "ok", _ff(*V, "-f", "lavfi", "-i", "sine=r=48000:d=1", *H264, "-c:a", "aac",
                                       "-ac", "6"), "5.1 sound"),
    MediaCase("h264_yuv444.mp4", "ok", _ff(*V, "-c:v", "libx264", "-pix_fmt", "yuv444p"), "4:4:4 chroma"),
    MediaCase("h264_10bit.mp4", "ok", _ff(*V, "-c:v", "libx264", "-pix_fmt", "yuv420p10le"), "10-bit"),
    MediaCase("h264.mov", "ok", _ff(*V, *A, *H264, "-c:a", "aac"), "QuickTime"),
    MediaCase("h264.m4v", "ok", _ff(*V, *H264, "-f", "mp4"), "m4v"),
    MediaCase("h264.3gp", "ok", _ff(*V, *H264, "-f", "3gp"), "3GP phone file"),
    MediaCase("mpeg4.mp4", "ok", _ff(*V, "-c:v", "mpeg4"), "MPEG-4 part 2 (old cameras)"),
    MediaCase("hevc.mp4", "ok", _ff(*V, "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=0",
                                    "-tag:v", "hvc1"), "HEVC (iPhone)"),
    MediaCase("hevc.mkv", "ok", _ff(*V, "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=0"),
              "HEVC in Matroska"),
    MediaCase("vp9_opus.webm", "ok", _ff(*V, "-f", "lavfi", "-i", "sine=r=48000:d=1", "-c:v", "libvpx-vp9",
                                         "-deadline", "realtime", "-cpu-used", "8", "-c:a", "libopus"), "VP9 webm"),
    MediaCase("vp8_vorbis.webm", "ok", _ff(*V, "-f", "lavfi", "-i", "sine=r=44100:d=1", "-c:v", "libvpx",
                                           "-deadline", "realtime", "-c:a", "libvorbis"), "VP8 webm (webcams)"),
    MediaCase("mjpeg.mov", "ok", _ff(*V, "-c:v", "mjpeg"), "Motion JPEG (cameras)"),
    MediaCase("prores.mov", "ok", _ff(*V, "-c:v", "prores_ks", "-profile:v", "0"), "ProRes (editors)"),
    MediaCase("ffv1.mkv", "ok", _ff(*V, "-c:v", "ffv1"), "lossless FFV1"),
    MediaCase("png_codec.mov", "ok", _ff(*V, "-c:v", "png"), "PNG frames in a mov"),
    MediaCase("pcm_loud.mov", "ok", _ff(*V, "-f", "lavfi", "-i", "sine=r=48000:d=1", "-af", "volume=12",
                                        *H264, "-c:a", "pcm_f32le"), "float sound past full scale (clipped)"),
    MediaCase("odd_97x63.mp4", "ok", _ff("-f", "lavfi", "-i", "testsrc=s=97x63:r=10:d=1", "-c:v", "libx264",
                                         "-pix_fmt", "yuv444p"), "odd size (cropped to even)"),
    MediaCase("tiny_16x16.mp4", "ok", _ff("-f", "lavfi", "-i", "testsrc=s=16x16:r=10:d=1", *H264), "smallest size"),
    MediaCase("wide_2000x100.mp4", "ok", _ff("-f", "lavfi", "-i", "testsrc=s=2000x100:r=5:d=1", *H264),
              "extreme aspect (scaled)"),
    MediaCase("portrait_48x96.mp4", "ok", _ff("-f", "lavfi", "-i", "testsrc=s=48x96:r=10:d=1", *H264), "portrait"),
    MediaCase("rotate90.mp4", "ok", _from("h264_silent.mp4", lambda b: b), "placeholder, remade below"),
    MediaCase("fps60.mp4", "ok", _ff("-f", "lavfi", "-i", "testsrc=s=64x48:r=60:d=1", *H264), "60 fps"),
    MediaCase("fps240.mp4", "ok", _ff("-f", "lavfi", "-i", "testsrc=s=32x32:r=240:d=0.5", *H264), "240 fps"),
    MediaCase("fps1.mp4", "ok", _ff("-f", "lavfi", "-i", "testsrc=s=64x48:r=1:d=3", *H264), "1 fps"),
    MediaCase("vfr.mkv", "ok", _ff("-f", "lavfi", "-i", "testsrc=s=64x48:r=30:d=1", "-vf",
                                   "setpts='PTS+if(eq(mod(N,3),0),0.01/TB,0)'", "-fps_mode", "passthrough", *H264),
              "variable frame rate"),
    MediaCase("audio192k.mp4", "ok", _ff(*V, "-f", "lavfi", "-i", "sine=r=192000:d=1", *H264, "-c:a", "alac"),
              "192 kHz sound (resampled to 48 kHz)"),
    MediaCase("fragmented.mp4", "ok", _ff(*V, *A, *H264, "-c:a", "aac", "-movflags", "frag_keyframe+empty_moov"),
              "fragmented MP4 (streamed recordings)"),
    MediaCase("faststart.mp4", "ok", _ff(*V, *A, *H264, "-c:a", "aac", "-movflags", "+faststart"), "faststart"),
    MediaCase("two_audio.mp4", "ok", _ff(*V, *A, "-f", "lavfi", "-i", "sine=f=880:r=16000:d=1", "-map", "0", "-map",
                                         "1", "-map", "2", *H264, "-c:a", "aac"), "two sound tracks"),
    MediaCase("two_video.mkv", "ok", _ff(*V, "-f", "lavfi", "-i", "color=s=32x32:r=10:d=1", "-map", "0", "-map",
                                         "1", *H264), "two picture tracks"),
    MediaCase("markup_tags.mkv", "ok", _ff(*V, "-f", "lavfi", "-i", "sine=d=1", "-map", "0", "-map", "1", *H264,
                                         "-c:a", "libvorbis", "-metadata:s:a", "title=<script>x</script>"),
              "metadata with markup"),
    MediaCase("live.webm", "ok", _ff(*V, "-c:v", "libvpx", "-deadline", "realtime", "-live", "1", "-f", "webm"),
              "webm without cues or duration (MediaRecorder)"),
    MediaCase("long_audio.mp4", "ok", _ff(*V, "-f", "lavfi", "-i", "sine=r=8000:d=30", "-map", "0", "-map", "1",
                                          *H264, "-c:a", "aac", "-b:a", "16k"),
              "1 s picture, 30 s sound (trimmed to the picture)"),
    MediaCase("hd_720p.mp4", "ok", _ff("-f", "lavfi", "-i", "testsrc2=s=1280x720:r=10:d=1", *H264), "720p"),
    MediaCase("webm_named.mp4", "ok", _from("vp9_opus.webm", lambda b: b), "a webm named .mp4 (sniffed)"),
    MediaCase("mp4_named.m3u8", "ok", _from("h264_aac.mp4", lambda b: b), "an mp4 named .m3u8 (sniffed)"),
    MediaCase("no_extension", "ok", _from("h264_aac.mp4", lambda b: b), "no extension at all"),
    # ------------------------------------------------------------------ not a video we use
    MediaCase("audio_only.m4a", "error", _ff(*A, "-c:a", "aac"), "sound only (ISO)"),
    MediaCase("audio_only.mka", "error", _ff(*A, "-c:a", "flac"), "sound only (Matroska)"),
    MediaCase("sound.mp3", "error", _ff(*A, "-c:a", "libmp3lame"), "mp3"),
    MediaCase("sound.wav", "error", _ff(*A), "wav"),
    MediaCase("still.png", "error", _ff("-f", "lavfi", "-i", "testsrc=s=64x48:d=1", "-frames:v", "1"), "a photo"),
    MediaCase("still.jpg", "error", _ff("-f", "lavfi", "-i", "testsrc=s=64x48:d=1", "-frames:v", "1"), "a JPEG"),
    MediaCase("animated.gif", "error", _ff(*V), "animated GIF (not an accepted container)"),
    MediaCase("one_frame.mp4", "error", _ff(*V, *H264, "-frames:v", "1"), "a single frame"),
    MediaCase("zero_frames.mp4", "error", _from("h264_silent.mp4", lambda b: b[: b.find(b"mdat") + 8]
                                               if b.find(b"mdat") > 0 else b[:64]), "header, no pictures"),
    MediaCase("mpegts.ts", "error", _ff(*V, *H264, "-f", "mpegts"), "MPEG-TS (not accepted)"),
    MediaCase("restarting.ts", "error", _from("mpegts.ts", lambda b: b * 20), "TS with restarting clocks"),
    MediaCase("video.avi", "error", _ff(*V, "-c:v", "mpeg4"), "AVI (not accepted)"),
    MediaCase("video.flv", "error", _ff(*V, "-c:v", "flv"), "FLV (not accepted)"),
    MediaCase("video.mpg", "error", _ff(*V, "-c:v", "mpeg2video", "-f", "mpeg"), "MPEG-PS (not accepted)"),
    MediaCase("ogg_theora.ogv", "error", _ff(*V, "-c:v", "libtheora"), "Ogg (not accepted)"),
    MediaCase("too_long_130s.mp4", "error", _ff("-f", "lavfi", "-i", "color=s=16x16:r=5:d=130", *H264),
              "over the 120 s limit (refused from the header)"),
    MediaCase("huge_9000x5000.mkv", "error", _ff("-f", "lavfi", "-i", "color=s=9000x5000:r=2:d=1", "-c:v", "mjpeg",
                                                 "-q:v", "31"), "45 MP pictures"),
    # ------------------------------------------------------------------ hand-made bytes
    MediaCase("empty.mp4", "error", _bytes(b""), "zero bytes"),
    MediaCase("random.mp4", "error", _bytes(lambda _: os.urandom(20_000)), "random bytes"),
    MediaCase("text.mp4", "error", _bytes(b"hello, this is not a video\n" * 200), "text"),
    MediaCase("ftyp_then_garbage.mp4", "error", _bytes(lambda _: b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"
                                                         + os.urandom(20_000)), "right magic, garbage after"),
    MediaCase("ebml_then_garbage.mkv", "error", _bytes(lambda _: b"\x1a\x45\xdf\xa3" + os.urandom(20_000)),
              "Matroska magic, garbage after"),
    MediaCase("truncated_third.mp4", "error", _from("h264_aac.mp4", lambda b: b[: len(b) // 3]),
              "cut to a third (index at the end lost)"),
    MediaCase("truncated_half.mkv", "either", _from("hevc.mkv", lambda b: b[: len(b) // 2]), "cut in half"),
    MediaCase("truncated_header.mp4", "error", _from("faststart.mp4", lambda b: b[:200]), "only the header start"),
    MediaCase("zeroed_middle.mp4", "either", _from("faststart.mp4", _with_zeroed_middle), "damaged pictures"),
    MediaCase("flipped_bits.webm", "either", _from("vp8_vorbis.webm", lambda b: bytes(
        x ^ 0x55 if 200 < i < len(b) - 100 and i % 97 == 0 else x for i, x in enumerate(b))), "bit rot"),
    MediaCase("playlist.m3u8", "error", _bytes(_playlist), "HLS playlist naming a server file"),
    MediaCase("playlist_named.mp4", "error", _bytes(_playlist), "the same playlist named .mp4"),
    MediaCase("playlist_http.m3u8", "error", _bytes(b"#EXTM3U\n#EXTINF:1,\nhttp://127.0.0.1:1/x.ts\n"),
              "a playlist naming a URL"),
    MediaCase("concat.ffconcat", "error", _bytes(lambda f: f"ffconcat version 1.0\nfile '{f / 'h264_aac.mp4'}'\n"
                                                  .encode()), "concat list"),
    MediaCase("concat_named.mp4", "error", _bytes(lambda f: f"file '{f / 'h264_aac.mp4'}'\n".encode()),
              "concat list named .mp4"),
    MediaCase("stream.sdp", "error", _bytes(b"v=0\no=- 0 0 IN IP4 127.0.0.1\ns=x\nc=IN IP4 127.0.0.1\nt=0 0\n"
                                            b"m=video 5004 RTP/AVP 96\na=rtpmap:96 H264/90000\n"), "SDP (network)"),
    MediaCase("manifest.mpd", "error", _bytes(b'<?xml version="1.0"?><MPD><Period><AdaptationSet>'
                                              b'<Representation><BaseURL>file:///etc/passwd</BaseURL>'
                                              b'</Representation></AdaptationSet></Period></MPD>'), "DASH manifest"),
    MediaCase("smil.mp4", "error", _bytes(b"<smil><body><video src='file:///etc/hostname'/></body></smil>"), "SMIL"),
    MediaCase("pls.mp4", "error", _bytes(b"[playlist]\nFile1=/etc/hostname\nNumberOfEntries=1\n"), "PLS list"),
    MediaCase("nul_name\x01.mp4", "ok", _from("h264_aac.mp4", lambda b: b), "control characters in the name"),
]


def _rotated(out: Path, folder: Path) -> None:
    _ff("-i", str(folder / "h264_silent.mp4"), "-metadata:s:v:0", "rotate=90", "-c", "copy")(out, folder)


CASES = [MediaCase(c.name, c.expect, _rotated, "phone rotation (90°)") if c.name == "rotate90.mp4" else c
         for c in CASES]


def file_name(case: MediaCase) -> str:
    """The case's file name on disk (control characters in upload names are kept out of the file system)."""
    return "".join(ch if ch.isprintable() else "_" for ch in case.name)


def build(folder: Path) -> dict[str, str]:
    """Write every case into ``folder``; returns ``{name: "ready" | "unavailable: <why>"}`` (also in manifest.json)."""
    folder.mkdir(parents=True, exist_ok=True)
    status: dict[str, str] = {}
    for case in CASES:
        out = folder / file_name(case)
        try:
            case.make(out, folder)
            status[case.name] = "ready"
        except (subprocess.CalledProcessError, FileNotFoundError, subprocess.TimeoutExpired) as exc:
            err = getattr(exc, "stderr", b"") or b""
            status[case.name] = f"unavailable: {err.decode(errors='replace').strip()[-160:] or type(exc).__name__}"
    (folder / "manifest.json").write_text(json.dumps(status, indent=1))
    return status


def run(folder: Path, names: list[str] | None = None) -> dict:
    """Upload each ready case (``Clip.from_bytes`` under its own name) in this process.

    Returns:
        `dict`: ``{"cases": {name: {outcome, error_type, message, seconds, shape}}, "peak_bytes": int}``.
    """
    from sora_widgets.media import Clip, MediaError

    status = json.loads((folder / "manifest.json").read_text())
    results = {}
    for case in CASES:
        if (names and case.name not in names) or status.get(case.name) != "ready":
            continue
        data = (folder / file_name(case)).read_bytes()
        t0 = time.perf_counter()
        try:
            clip = Clip.from_bytes(data, name=case.name)
            res = {"outcome": "ok", "shape": list(clip.frames.shape), "audio": list(clip.audio.shape),
                   "sample_rate": clip.sample_rate, "fps": clip.fps}
        except MediaError as exc:
            res = {"outcome": "error", "error_type": "MediaError", "message": str(exc)}
        except Exception as exc:  # noqa: BLE001 - the test reports it as a failure
            res = {"outcome": "crash", "error_type": type(exc).__name__, "message": str(exc)[:500]}
        res["seconds"] = time.perf_counter() - t0
        results[case.name] = res
    return {"cases": results, "peak_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}


if __name__ == "__main__":
    out_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "corpus")
    if "--run-only" not in sys.argv:
        st = build(out_dir)
        print(f"{sum(v == 'ready' for v in st.values())} of {len(st)} cases made in {out_dir}", file=sys.stderr)
    if "--run" in sys.argv or "--run-only" in sys.argv:
        print(json.dumps(run(out_dir)))
