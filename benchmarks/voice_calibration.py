"""Measure how espeak-ng's settings sound, to calibrate ``sora_widgets.cameo.voice``.

Prints (1) the median f0 (Hz, pyin) of each English variant at pitch 0, 11, ..., 99, the table
``ESPEAK_F0_HZ`` holds; (2) a least-squares fit of words per minute against the syllable rate
``syllable_rate`` measures, the ``SPEED_*`` constants; (3) the round trip with the shipped constants:
speak with settings, measure, map back, and how far the result lands (pitch in Hz, speed in wpm).

    .venv/bin/python benchmarks/voice_calibration.py

Re-run after an espeak-ng upgrade (Debian's 1.51 gave the shipped tables).
"""

from __future__ import annotations

import numpy as np

from sora_widgets.cameo import voice as v
from sora_widgets.engines.sim.speech import speak

SR = 48_000
SENTENCES = (
    "I will jump over the fence and then we can all go home together before the rain starts",
    "The quick brown fox jumps over the lazy dog while the children watch from the window",
    "Please pass me the red ball so I can throw it across the garden to my little sister",
)


def main() -> None:
    print("median f0 (Hz) by espeak pitch", v.ESPEAK_PITCH_STEPS)
    for name in v.ESPEAK_F0_HZ:
        row = [v.voice_profile(speak(SENTENCES[0], name, p, 160)[None], SR)["f0_hz"] for p in v.ESPEAK_PITCH_STEPS]
        print(f"  {name}: {tuple(row)}")

    rates, wpms = [], []
    for name, pitch in (("en-us+m3", 40), ("en-us+f3", 60)):
        for wpm in (80, 120, 160, 200, 240):
            for text in SENTENCES:
                rates.append(v.voice_profile(speak(text, name, pitch, wpm)[None], SR)["syllables_per_s"])
                wpms.append(wpm)
    k, c = np.polyfit(rates, wpms, 1)
    pred = k * np.array(rates) + c
    err = np.abs(pred - wpms) / np.array(wpms)
    print(f"speed fit: wpm = {k:.1f} * syllables_per_s + {c:.1f}  (median error {np.median(err):.1%}, "
          f"max {err.max():.1%})")

    print("round trip with the shipped constants (speak -> measure -> settings -> speak -> measure):")
    for name, pitch, wpm in (("en-us+m3", 20, 130), ("en-us+m3", 70, 200), ("en-us+f3", 30, 150),
                             ("en-us+f3", 80, 180)):
        first = v.voice_profile(speak(SENTENCES[1], name, pitch, wpm)[None], SR)
        again = v.voice_profile(speak(SENTENCES[1], first["espeak_voice"], first["pitch"],
                                      first["speed_wpm"])[None], SR)
        print(f"  {name} p{pitch} {wpm} wpm -> {first['espeak_voice']} p{first['pitch']} {first['speed_wpm']} wpm; "
              f"f0 {first['f0_hz']} -> {again['f0_hz']} Hz ({again['f0_hz'] / first['f0_hz'] - 1:+.1%})")


if __name__ == "__main__":
    main()
