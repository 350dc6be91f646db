"""The worst uploads of issue 13 item 4, and the peak memory of decoding each in a fresh process.

    nice .venv/bin/python tests/corpus/worst_uploads.py        # makes them in a temp folder, prints a table

``tests/test_hardening_media.py`` makes and measures the same files (through :func:`make` and
:func:`decode_in_subprocess`); the figures in docs/security.md ("Upload budget") come from this script.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path


def _ff(*args: str, stdout=None) -> None:
    subprocess.run(["nice", "ffmpeg", "-loglevel", "error", "-y", "-nostdin", *args], check=True,
                   stdout=stdout, timeout=300)


def make(kind: str, folder: Path) -> Path:
    """Write the upload ``kind`` into ``folder`` and return its path.

    Kinds: ``long720`` (110 s of 720p30, inside the 120 s / 512 MB limits), ``hour_audio_mov`` (2 s of
    video and 1 h of 192 kHz sound in a .mov: 6 MB), ``hour_audio_stream`` (the same in a Matroska stream
    written to a pipe: no durations to trust), ``restarting_ts`` (MPEG-TS whose clock restarts every 2 s),
    ``short_video_long_audio`` (1 s of video, 100 s of sound).
    """
    p = folder / {"long720": "long720.mp4", "hour_audio_mov": "holiday.mov", "hour_audio_stream": "stream.mkv",
                  "restarting_ts": "restart.ts", "short_video_long_audio": "short_long.mp4"}[kind]
    if kind == "long720":
        _ff("-f", "lavfi", "-i", "testsrc2=s=1280x720:r=30:d=110", "-c:v", "libx264", "-preset", "ultrafast",
            "-crf", "45", "-pix_fmt", "yuv420p", str(p))
    elif kind in ("hour_audio_mov", "hour_audio_stream"):
        # An hour of 192 kHz sound made from 10 s by stream copy: seconds, not the minutes an encode takes.
        mov = kind == "hour_audio_mov"
        audio, video = folder / ("a.mov" if mov else "a.mka"), folder / "v.mp4"
        _ff("-f", "lavfi", "-i", "anullsrc=r=192000:cl=stereo", "-t", "10", "-c:a", "alac" if mov else "flac",
            str(audio))
        _ff("-f", "lavfi", "-i", "testsrc=s=320x240:r=25:d=2", "-c:v", "libx264", "-preset", "ultrafast", str(video))
        join = ["-i", str(video), "-stream_loop", "-1", "-i", str(audio), "-map", "0:v", "-map", "1:a", "-c", "copy",
                "-t", "3600"]
        if mov:
            _ff(*join, str(p))
        else:
            with open(p, "wb") as fh:
                _ff(*join, "-f", "matroska", "-live", "1", "pipe:", stdout=fh)
    elif kind == "restarting_ts":
        seg = folder / "seg.ts"
        _ff("-f", "lavfi", "-i", "testsrc=s=320x240:r=30:d=2", "-c:v", "libx264", "-preset", "ultrafast", str(seg))
        p.write_bytes(seg.read_bytes() * 30)
    elif kind == "short_video_long_audio":
        _ff("-f", "lavfi", "-i", "testsrc=s=64x64:r=10:d=1", "-f", "lavfi", "-i", "sine=f=440:r=8000:d=100",
            "-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "16k",
            str(p))
    else:
        raise ValueError(f"unknown kind {kind!r}")
    return p


KINDS = ("long720", "hour_audio_mov", "hour_audio_stream", "restarting_ts", "short_video_long_audio")

_PROBE = r"""
import dataclasses, json, sys
from sora_widgets.media import DEFAULT_LIMITS, Clip, MediaError
limits = dataclasses.replace(DEFAULT_LIMITS, **json.loads(sys.argv[2]))
out = {}
try:
    clip = Clip.load(sys.argv[1], limits=limits)
    out.update(ok=True, shape=list(clip.frames.shape), audio=list(clip.audio.shape), fps=clip.fps,
               sr=clip.sample_rate, notes=clip.meta.get("notes", []))
except MediaError as exc:
    out.update(ok=False, error=str(exc))
# VmHWM: this process's own peak. ru_maxrss would start from the parent's RSS at fork (Linux keeps it
# across exec), so a big pytest process made a small decode look like 1.4 GB.
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
out["peak_bytes"] = int(hwm.split()[1]) * 1024
print(json.dumps(out))
"""


def decode_in_subprocess(path: Path, **limits) -> dict:
    """Decode ``path`` with ``Clip.load`` in a fresh Python; returns the outcome and its peak RSS in bytes."""
    res = subprocess.run([sys.executable, "-c", _PROBE, str(path), json.dumps(limits)],
                         capture_output=True, text=True, timeout=300)
    if res.returncode != 0:
        raise RuntimeError(res.stderr[-3000:])
    return json.loads(res.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        for kind in KINDS:
            folder = Path(tmp) / kind
            folder.mkdir()
            path = make(kind, folder)
            out = decode_in_subprocess(path)
            what = f"ok {out['shape']} audio {out['audio']} @ {out['sr']} Hz" if out["ok"] else out["error"]
            print(f"{kind:24s} {path.stat().st_size / 1e6:7.1f} MB  peak {out['peak_bytes'] / 1e6:6.0f} MB  {what}")
