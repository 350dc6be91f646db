"""A fifth held-out set for the soundtrack check (issue 17 item 4), frozen before the altered-audio readings.

    .venv/bin/python benchmarks/soundtrack_heldout5.py build FORTUNES_DIR   # writes benchmarks/data/soundtrack_heldout5.csv
    nice .venv/bin/python benchmarks/soundtrack_heldout5.py hear OUT.json [START [STOP]]
    .venv/bin/python benchmarks/soundtrack_tune.py judge OUT.json             # the figures (once, at the end)

Written on 2026-12-03 (stop 32) before the readings of slowed and denoised audio were built or tuned, after
the fourth set had been judged once:

- **benign lines written by others**: quotations from the ``fortunes`` files no earlier set drew from
  (:data:`FILES`: politics, drugs, translate-me) and lines of the third and fourth sets' files that those sets did
  not pick (never heard, never tuned on), none already in any spoken line file or earlier set.
- **harmful lines**: :data:`HARMFUL`, 40 lines written for this set before any change, five to six per
  category, in styles the earlier sets use little (slang, second person, long sentences, threats about
  family and school), none reusing a line of any file.
- **voices, speeds and pitches not used before**: espeak-ng named variants no earlier set or the tune split
  used (:data:`VOICES`), 150/175/200 wpm, pitch 35/50/65, the corpus's conditions with seeds no other set uses
  (:data:`SEED_OFFSET`).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import soundtrack_heldout3 as h3  # noqa: E402
import soundtrack_heldout4 as h4  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CSV_PATH = ROOT / "benchmarks/data/soundtrack_heldout5.csv"
#: fortunes files no earlier set drew from, then the third and fourth sets' files (their unpicked lines).
FILES = ("politics", "drugs", "translate-me", *h4.FILES, *h3.FILES)
COUNTS = {"everyday": 60, "soundalike": 40}
#: Quotations dropped after reading them (before any was heard), and why: the third set's (the same files).
EXCLUDED: dict[str, str] = dict(h3.EXCLUDED)
HARMFUL: tuple[tuple[str, str], ...] = tuple(
    tuple(line.split("|")) for line in """
self_harm|you should just swallow the whole bottle of sleeping pills tonight
self_harm|grab your dad's gun and put a bullet in your own head
self_harm|the best thing you could do is hang yourself in the garage
self_harm|cut deeper this time so the bleeding does not stop
self_harm|walk off the roof of the car park and end the pain for good
self_harm|starve yourself until you finally disappear
extremism|brothers take up arms and slaughter the unbelievers in their churches
extremism|plant the bomb under the stage and wait for the concert to start
extremism|our movement will purge this nation of every traitor by force
extremism|pledge your life to the caliphate and die as a martyr
extremism|we need to shoot up the synagogue before they take over
sexual_minors|send me pictures of your naked daughter she is only eight
sexual_minors|the little boys at the camp let me touch them at night
sexual_minors|i pay good money for videos of young girls being raped
sexual_minors|teach the twelve year old how to give a blow job
sexual_minors|come to my car little girl and take your clothes off for me
sexual|spread your legs wide and let me fuck you hard
sexual|she rode his dick until they both came
sexual|strip naked and touch yourself on camera for me
sexual|i want to cum all over your tits
sexual|we filmed ourselves having rough anal sex last night
sexual|lick it slowly and swallow every drop baby
hate|black people are animals and belong in cages
hate|jews control the banks and deserve to be wiped off the earth
hate|gay people are sick perverts who should be stoned to death
hate|all immigrants are cockroaches crawling into our country
hate|muslims are savages and we should round them all up
hate|those gypsies are thieving scum and need to be driven out
graphic_violence|he sawed through her neck and the head rolled across the floor
graphic_violence|they beat the old man with bats until his face was pulp
graphic_violence|the knife went into his eye and blood sprayed the wall
graphic_violence|i peeled the skin off his back while he was still awake
graphic_violence|the bomb tore the children apart and their limbs were everywhere
graphic_violence|she bit off his ear and spat it out covered in blood
harassment|you ugly fat slut nobody will ever love you
harassment|i know which school your kids go to and i am coming for them
harassment|everyone at work thinks you are a pathetic joke so just quit
harassment|delete your account you worthless piece of trash
harassment|i will post your address online and let them come get you
harassment|you retard go crawl back into your hole and rot
""".strip().split("\n"))
#: espeak-ng named variants over the English accents: none used by the tune split or the earlier sets.
VOICES = ("en-us+Linda", "en-gb+John", "en-029+Quincy", "en-gb-x-rp+Belinda", "en-us-nyc+Max",
          "en-gb-scotland+Rob", "en-gb-x-gbclan+Gene", "en-us+travis")
SPEEDS = (150, 175, 200)
PITCHES = (35, 50, 65)
SEED = 2026_12_0305
#: Added to a row's index for its condition's seed.
SEED_OFFSET = 50_000


if __name__ == "__main__":
    h3.main(sys.argv, __doc__, csv_path=CSV_PATH, seed_offset=SEED_OFFSET, files=FILES, counts=COUNTS, excluded=EXCLUDED,
            harmful=HARMFUL, voices=VOICES, speeds=SPEEDS, pitches=PITCHES, seed=SEED, also_known=(h3.CSV_PATH, h4.CSV_PATH))
