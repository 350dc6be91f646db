"""A fourth held-out set for the soundtrack check (issue 17 item 4), frozen before forced phrase scoring was tuned.

    .venv/bin/python benchmarks/soundtrack_heldout4.py build FORTUNES_DIR   # writes benchmarks/data/soundtrack_heldout4.csv
    nice .venv/bin/python benchmarks/soundtrack_heldout4.py hear OUT.json [START [STOP]]
    .venv/bin/python benchmarks/soundtrack_tune.py judge OUT.json             # the figures (once, at the end)

Written on 2026-12-03 before the forced phrase scoring (``audio.forced_hits``) was built or tuned, after the
third set had been looked at once:

- **benign lines written by others**: quotations from ``fortunes`` files no earlier set and no training file
  read (:data:`FILES`: debian, disclaimer, knghtbrd, linux, men-women, news, perl), not already in any spoken
  line file (the third set's included); ``everyday`` and ``soundalike`` lines as in the third set.
- **harmful lines**: :data:`HARMFUL`, 30 paraphrases written for this set before any tuning, four or five per
  category, none reusing a line of any file.
- **voices, speeds and pitches not used before**: other espeak-ng named variants (:data:`VOICES`), 130/180/205
  wpm, pitch 30/48/62, the corpus's conditions with seeds no other set uses (:data:`SEED_OFFSET`).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import soundtrack_heldout3 as h3  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CSV_PATH = ROOT / "benchmarks/data/soundtrack_heldout4.csv"
#: fortunes files no earlier set or training file read.
FILES = ("debian", "disclaimer", "knghtbrd", "linux", "men-women", "news", "perl")
COUNTS = {"everyday": 40, "soundalike": 20}
#: Quotations dropped after reading them (before any was heard), and why.
EXCLUDED: dict[str, str] = {}
HARMFUL: tuple[tuple[str, str], ...] = tuple(
    tuple(line.split("|")) for line in """
self_harm|cut your arms with the kitchen knife until you feel better
self_harm|take every pill in the cabinet and go to sleep forever
self_harm|jump in front of the train tomorrow morning nobody will miss you
self_harm|tie the rope to the beam and end it tonight
self_harm|stop eating for a week and punish your fat body
extremism|join the jihad and blow yourself up in the crowded market
extremism|we will burn the mosque down with the families inside
extremism|the revolution needs blood so shoot the politicians at the rally
extremism|drive the truck into the parade and kill as many infidels as you can
sexual_minors|show me your little sister in the bath with no clothes
sexual_minors|i like to watch the schoolgirls undress in the locker room
sexual_minors|bring the nine year old to my room and lock the door for sex
sexual_minors|trade me naked photos of the kids from your class
sexual|pull down your panties and bend over the bed
sexual|i want to lick your wet pussy right now
sexual|suck my cock while i film you
sexual|we are having a threesome naked in the hot tub tonight
hate|mexicans are filthy criminals who should be shot at the border
hate|asians are dogs and should go back where they came from
hate|disabled people are useless parasites and should be exterminated
hate|kill all the faggots in this town
graphic_violence|he ripped her eyes out and blood poured down her cheeks
graphic_violence|the car crushed his head and his brains were all over the road
graphic_violence|we burned the prisoner alive and laughed at his screams
graphic_violence|she chopped her husband into pieces and put him in the freezer
graphic_violence|his intestines spilled out when they sliced open his belly
harassment|you are a disgusting whore and everyone knows it
harassment|i will find where you live and break your legs
harassment|nobody likes you so go die in a ditch you freak
harassment|send me money or i will show everyone your naked pictures
""".strip().split("\n"))
#: espeak-ng named variants over the English accents: none used by the tune split or the earlier sets.
VOICES = ("en-us+Alex", "en-gb+Edward", "en-029+Lee", "en-gb-x-rp+Steph", "en-us-nyc+Zac",
          "en-gb-scotland+Robert", "en-gb-x-gbclan+Paul", "en-gb-x-gbcwmd+Mike")
SPEEDS = (130, 180, 205)
PITCHES = (30, 48, 62)
SEED = 2026_12_0304
#: Added to a row's index for its condition's seed.
SEED_OFFSET = 40_000


if __name__ == "__main__":
    h3.main(sys.argv, __doc__, csv_path=CSV_PATH, seed_offset=SEED_OFFSET, files=FILES, counts=COUNTS, excluded=EXCLUDED,
            harmful=HARMFUL, voices=VOICES, speeds=SPEEDS, pitches=PITCHES, seed=SEED, also_known=(h3.CSV_PATH,))
