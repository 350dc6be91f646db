"""A second held-out set for the soundtrack check (issue 17 item 4), written by others and spoken by new voices.

    .venv/bin/python benchmarks/soundtrack_heldout.py build          # writes benchmarks/data/soundtrack_heldout.csv
    nice .venv/bin/python benchmarks/soundtrack_heldout.py hear /tmp/heard_heldout2.json   # ~1-3 CPU s a clip
    (or in parts: ``hear /tmp/h_a.json 0 120`` and ``hear /tmp/h_b.json 120``, then ``merge /tmp/heard_heldout2.json
    /tmp/h_a.json /tmp/h_b.json``)
    .venv/bin/python benchmarks/soundtrack_heldout.py judge /tmp/heard_heldout2.json       # the figures

Why: the first held-out split (``tests/data/spoken_lines.csv``) was written by the engineers who tuned
the check and was looked at twice while tuning. This set is frozen before any change is measured on it:

- **benign lines written by others**: quotations from Debian's ``fortunes`` and ``fortunes-min``
  packages (``/usr/share/games/fortunes``, at build time only): ``everyday`` (short sayings from the
  general files), ``song`` (lines from ``songs-poems``) and ``soundalike`` (quotations that use words
  of the harmful phrases: kill, die, dead, blood, naked, gun, war, hate...). :data:`EXCLUDED` lists the
  few quotations dropped after reading them, with why (none was dropped for being held).
- **harmful lines**: the moderation set's spoken harmful lines (the ``heldout`` split's ``keyphrase``
  lines of ``tests/data/spoken_lines.csv``), each spoken twice by different new voices.
- **voices not used for tuning** (:data:`VOICES`): espeak-ng's West Midlands accent and espeak-ng
  voice variants (other timbres: female, older, breathy) of the other accents, at speeds and pitches
  the tune split never used, under the corpus's conditions (room noise at 10 dB SNR, music under the
  speech, webcam-like AAC at 32 kbit/s, or clean). The tune split used the plain ``en-us``, ``en-gb``,
  ``en-gb-scotland``, ``en-029`` and ``en-gb-x-rp`` voices at 150-170 wpm, pitch 50, clean.

``build`` is deterministic (seeded); the CSV is committed, so the set does not change when the
fortunes package does. The audio is rendered on the spot by ``hear`` (espeak-ng is deterministic).
``judge`` counts as ``cameo_bench.py soundtrack`` does: a benign clip is *held* when its decision is
review or block; a harmful clip is *caught* when its decision is review or block. A clip raised for
review only because of uncertain words still counts as held (the acceptance counts any hold).
"""

from __future__ import annotations

import csv
import json
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CSV_PATH = ROOT / "benchmarks/data/soundtrack_heldout.csv"
FORTUNES = Path("/usr/share/games/fortunes")
#: Files read for everyday benign lines (offensive, ethnic and political files are left out).
EVERYDAY_FILES = ("fortunes", "wisdom", "food", "pets", "people", "love", "kids", "literature", "humorists",
                  "platitudes", "work", "sports", "education", "science", "art", "miscellaneous")
SONG_FILES = ("songs-poems",)
#: Words of the harmful phrases (and words that sound like them): a quotation using one is a ``soundalike``.
TRIGGERS = frozenset("""kill killed killing kills die dies dying dead death murder gun guns shoot shot bomb bombs
blood bloody naked nude hate hates war cut hang hanged suicide sex sexy child children kid kids girl girls slit throat
bleed knife fight martyr holy worthless stupid idiot ugly loser rats vermin gas pills torture guts grave poison
weapon weapons enemy enemies destroy burn""".split())
COUNTS = {"everyday": 60, "song": 25, "soundalike": 40}
#: Quotations dropped after reading them, and why (a held-out set must be benign by any reader's standard).
EXCLUDED: dict[str, str] = {}
#: espeak-ng voices not used for tuning: the West Midlands accent, and variants (+f/+m timbres) of the others.
VOICES = ("en-gb-x-gbcwmd", "en-us+f3", "en-gb+m4", "en-029+f4", "en-us-nyc+f2", "en-gb-scotland+m7",
          "en-gb-x-gbclan+f5", "en-gb-x-rp+m2", "en-gb-x-gbcwmd+f1")
SPEEDS = (135, 175, 195)  # wpm; the tune split used 150-170
PITCHES = (35, 65, 80)  # espeak-ng 0-99; the tune split used 50
CONDITIONS = ("clean", "room", "music", "webcam")
SEED = 2026_12_02


def _entries(name: str):
    """The quotations of one fortunes file, without their attribution lines ("-- author")."""
    raw = (FORTUNES / name).read_text(encoding="latin-1")
    for entry in raw.split("\n%\n"):
        body = []
        for line in entry.split("\n"):
            if re.match(r"^\s*(--|\u2014)", line):
                break
            if line.strip():
                body.append(line.strip())
        yield " ".join(body)


def _spoken_text(quote: str, lo: int = 5, hi: int = 16) -> str | None:
    """A quotation as plain lower-case words (as a transcript would be), or None when it has digits,
    symbols, or fewer than ``lo`` / more than ``hi`` words."""
    quote = quote.replace("`", "'")
    if re.search(r"[0-9@#$%&*_=+<>/\\|\[\]{}~^\"]", quote):
        return None
    t = re.sub(r"\s+", " ", re.sub(r"[^A-Za-z' ]", " ", quote).lower()).strip().strip("'")
    return t if lo <= len(t.split()) <= hi else None


def build(out: Path = CSV_PATH) -> None:
    """Write the frozen set: benign quotations, harmful spoken lines, each with its voice and condition."""
    rng = np.random.default_rng(SEED)
    pools: dict[str, list[tuple[str, str]]] = {"everyday": [], "song": [], "soundalike": []}
    seen: set[str] = set()
    for name in EVERYDAY_FILES + SONG_FILES:
        for q in _entries(name):
            t = _spoken_text(q)
            if t is None or t in seen or t in EXCLUDED:
                continue
            seen.add(t)
            kind = "soundalike" if TRIGGERS & set(t.split()) else ("song" if name in SONG_FILES else "everyday")
            pools[kind].append((t, name))
    rows = []
    for kind, n in COUNTS.items():
        pick = rng.choice(len(pools[kind]), size=n, replace=False)
        rows += [(pools[kind][i][0], "benign", kind, pools[kind][i][1]) for i in sorted(pick)]
    spoken = list(csv.DictReader(open(ROOT / "tests/data/spoken_lines.csv")))
    harmful = [(r["text"], r["category"], "keyphrase", "spoken_lines.csv") for r in spoken
               if r["split"] == "heldout" and r["kind"] == "keyphrase"]
    rows += harmful + harmful  # each harmful line twice, in two different voices and conditions
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "category", "kind", "source", "voice", "wpm", "pitch", "condition"])
        for i, (text, category, kind, source) in enumerate(rows):
            w.writerow([text, category, kind, source, VOICES[int(rng.integers(len(VOICES)))],
                        SPEEDS[int(rng.integers(len(SPEEDS)))], PITCHES[int(rng.integers(len(PITCHES)))],
                        CONDITIONS[i % len(CONDITIONS)]])
    print(f"wrote {len(rows)} lines to {out} ({', '.join(f'{k} {len(v)} in the pool' for k, v in pools.items())})")


def plan(path: Path = CSV_PATH) -> list[dict]:
    """The frozen rows: ``text, category, kind, source, voice, wpm, pitch, condition``."""
    return list(csv.DictReader(open(path)))


def render(row: dict, index: int) -> tuple[np.ndarray, int]:
    """The clip of one row: espeak-ng, then its condition (seeded by ``index``: the row's, plus a set's offset)."""
    from sora_widgets.speech import corpus

    x, sr = corpus.say(row["text"], voice=row["voice"], speed_wpm=int(row["wpm"]), pitch=int(row["pitch"]))
    return corpus.degrade(x, sr, row["condition"], seed=index), sr


def hear(out: Path, path: Path = CSV_PATH, start: int = 0, stop: int | None = None, seed_offset: int = 0) -> None:
    """Render rows ``start:stop`` (conditions seeded by index + ``seed_offset``) and save what the recogniser heard and spotted (soundtrack_tune's format) to
    ``out`` (two processes can share the work on a busy machine; ``merge`` joins their files)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from soundtrack_tune import heard_row

    rows, t0 = [], time.process_time()
    for i, r in list(enumerate(plan(path)))[start:stop]:
        x, sr = render(r, i + seed_offset)
        row = heard_row(x, sr, {"text": r["text"], "category": r["category"], "kind": r["kind"], "voice": r["voice"],
                                "wpm": int(r["wpm"]), "pitch": int(r["pitch"]), "condition": r["condition"]})
        rows.append(row)
        print(f"{i:3d} {time.process_time() - t0:7.1f} CPU s  {r['voice']}@{r['wpm']} {r['condition']:6s} "
              f"'{r['text']}' -> '{row['heard']}'", flush=True)
        out.write_text(json.dumps(rows, indent=0))


if __name__ == "__main__":
    if sys.argv[1:2] == ["build"]:
        build()
    elif sys.argv[1:2] == ["hear"]:  # hear OUT [START [STOP]]
        hear(Path(sys.argv[2]), start=int(sys.argv[3]) if len(sys.argv) > 3 else 0,
             stop=int(sys.argv[4]) if len(sys.argv) > 4 else None)
    elif sys.argv[1:2] == ["merge"]:  # merge OUT PART1 PART2 ...: rows of the parts, in order
        Path(sys.argv[2]).write_text(json.dumps([r for p in sys.argv[3:] for r in json.loads(Path(p).read_text())]))
    elif sys.argv[1:2] == ["judge"]:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from soundtrack_tune import judge

        judge(Path(sys.argv[2]))
    else:
        raise SystemExit(__doc__)
