"""Sound made from the simulation: impacts, rolling/sliding, ambience beds and speech, stereo 48 kHz.

- Impacts: each contact event becomes a modal sound (damped sinusoids of the material, see
  ``vocab.MATERIALS[...]["modes"]``, plus a short noise click) starting at the contact sample, with
  amplitude from the impulse (kg·m/s) and constant-power panning by the contact's x position.
- Rolling/sliding: low-passed noise whose level follows each body's speed while it touches the ground.
- Ambience: rain, wind, crowd, birds, traffic or a quiet room tone, from seeded noise.
- Speech: espeak-ng lines (:mod:`.speech`) placed one after another, panned to the speaker.
- Loudness: normalised to ``target_lufs`` (pyloudnorm, ITU-R BS.1770), then scaled down if the peak
  would pass ``PEAK_LIMIT`` — the mix is never clipped.
"""

from __future__ import annotations

import math
import threading
from functools import lru_cache

import numpy as np

from . import effects, things, vocab
from .physics import Body, SimResult, World

__all__ = ["SAMPLE_RATE", "synthesize", "normalize_loudness", "PEAK_LIMIT"]

SAMPLE_RATE = 48_000
PEAK_LIMIT = 0.97  # linear peak after normalisation (about -0.26 dBFS)
_IMPULSE_REF = 1.5  # kg·m/s for which an impact is at ~63 % of full level


def _pan(x_frac: float) -> tuple[float, float]:
    p = min(max(x_frac, 0.0), 1.0) * math.pi / 2
    return math.cos(p), math.sin(p)


def _onepole(cutoff_hz: float, rate_hz: float = SAMPLE_RATE) -> tuple[list[float], list[float]]:
    """The (b, a) coefficients, for ``scipy.signal.lfilter``, of a one-pole low-pass at ``cutoff_hz`` for a signal
    sampled at ``rate_hz``."""
    a = math.exp(-2 * math.pi * cutoff_hz / rate_hz)
    return [1 - a], [1, -a]


def _onepole_lowpass(x: np.ndarray, cutoff_hz: float, rate_hz: float = SAMPLE_RATE) -> np.ndarray:
    """``x`` (sampled at ``rate_hz``) through a one-pole low-pass at ``cutoff_hz`` (:func:`_onepole`), as float32."""
    from scipy.signal import lfilter

    return lfilter(*_onepole(cutoff_hz, rate_hz), x).astype(np.float32)


class _Ringing:
    """What the impacts of every mix in a process share, computed once: each mode's ringing sin(2 pi f t) e^(-t/d)
    and its cosine twin (float32, read-only, t = 0, 1/SR, ...; a clip's hundreds of impacts, and a kernel's later
    clips, ring with a few materials and sizes), so an impact at any phase costs no sine. Bounded: past
    ``MAX_BYTES`` an array is computed and not kept. Safe to share between threads (a lock guards the keeping)."""

    LONGEST = int(1.2 * SAMPLE_RATE)  # samples: an impact rings at most this long
    MAX_BYTES = 32 << 20

    def __init__(self) -> None:
        self.t = np.arange(self.LONGEST, dtype=np.float32) / SAMPLE_RATE
        self.kept: dict[tuple[str, float], np.ndarray] = {}
        self.bytes = 0
        self._lock = threading.Lock()

    def _keep(self, key: tuple[str, float], make) -> np.ndarray:
        a = self.kept.get(key)
        if a is None:
            a = make()
            a.flags.writeable = False
            with self._lock:
                if key not in self.kept and self.bytes + a.nbytes <= self.MAX_BYTES:
                    self.kept[key] = a
                    self.bytes += a.nbytes
        return a

    def decay(self, d: float) -> np.ndarray:
        return self._keep(("d", d), lambda: np.exp(-self.t / d))

    def ring(self, f: float, d: float) -> tuple[np.ndarray, np.ndarray]:
        """sin(2 pi f t) e^(-t/d) and cos(2 pi f t) e^(-t/d) over :data:`LONGEST` samples (float32)."""
        return (self._keep(("s", f, d), lambda: np.sin(2 * np.pi * f * self.t) * self.decay(d)),
                self._keep(("c", f, d), lambda: np.cos(2 * np.pi * f * self.t) * self.decay(d)))


#: The ringing every mix shares (bounded by ``_Ringing.MAX_BYTES``): a kernel's or a worker's later clips ring
#: with the same materials, so their impacts cost no sine at all.
_RINGING = _Ringing()


def _impact(event: dict, bodies_by_name: dict[str, Body], rng: np.random.Generator) -> np.ndarray:
    """Mono impact sound (float32), starting with its sharpest sample at index 0."""
    mats = [m for m in event["materials"]]
    amp = 1.0 - math.exp(-event["impulse"] / _IMPULSE_REF)
    amp = max(amp, 0.03)
    # the moving body's size tunes its modes: small things ring higher
    size = 0.3
    for n in event["bodies"]:
        b = bodies_by_name.get(n)
        if b is not None:
            size = max(b.half)
            break
    tune = float(np.clip((0.3 / max(size, 0.05)) ** 0.5, 0.6, 2.2))
    longest = 0.0
    modes = []
    for k, m in enumerate(mats):
        spec = vocab.MATERIALS.get(m, vocab.MATERIALS["wood"])
        weight = 1.0 if k == 0 else 0.5
        for f, d in spec["modes"]:
            modes.append((f * (tune if k == 0 else 1.0), d, weight))
            longest = max(longest, d)
    noise_share = float(np.mean([vocab.MATERIALS.get(m, vocab.MATERIALS["wood"])["noise"] for m in mats]))
    n = int(min(1.2, 5 * longest + 0.02) * SAMPLE_RATE)
    out = np.zeros(n, np.float32)
    for f, d, w in modes:
        if f >= SAMPLE_RATE / 2:
            continue
        phase = rng.uniform(0, 0.3)
        sin_part, cos_part = _RINGING.ring(f, d)
        out += (w * math.cos(phase)) * sin_part[:n]
        out += (w * math.sin(phase)) * cos_part[:n]
    out /= max(len(modes), 1) ** 0.5
    click_n = min(n, int(0.006 * SAMPLE_RATE))
    click = rng.standard_normal(click_n).astype(np.float32)
    click_hz = vocab.MATERIALS.get(mats[0], vocab.MATERIALS["wood"]).get("click_hz", 4000.0)
    click = _onepole_lowpass(click, click_hz) * np.exp(-np.arange(click_n) / (0.0012 * SAMPLE_RATE))
    click /= float(np.abs(click).max()) or 1.0
    out[:click_n] += 0.8 * noise_share * click
    # a 1 ms linear attack avoids a digital click while keeping the onset sharp
    att = min(n, 48)
    out[:att] *= np.linspace(0.3, 1.0, att, dtype=np.float32)
    peak = float(np.abs(out).max()) or 1.0
    return out * (amp / peak)


def _wheeled(b: Body) -> bool:
    """A catalogue vehicle: it rolls on wheels (a rumble while it moves on the ground, no footsteps)."""
    return b.thing is not None and things.get(b.thing).vehicle


def scene_ground(scene: dict) -> str:
    return vocab.SETTINGS.get(scene.get("setting", "floor"), vocab.SETTINGS["floor"]).get("ground_material", "wood")


#: Samples in the shared noise tables (about 10.9 s at 48 kHz): longer than most clips, so a clip's beds are
#: slices of one table at seeded offsets, and a longer clip wraps around (the tables are circular).
_NOISE_TABLE_N = 1 << 19
#: Cut-offs (Hz) of the low-passed tables the beds use, made by :func:`warm_noise` before a first clip needs them.
NOISE_CUTOFFS_HZ = (180.0, 350.0, 400.0, 600.0, 700.0, 1500.0, 1800.0)


@lru_cache(maxsize=16)
def _noise_table(cutoff_hz: float | None) -> np.ndarray:
    """The shared noise table (read-only float32, :data:`_NOISE_TABLE_N` samples, unit-variance white noise from a
    fixed seed), low-passed at ``cutoff_hz`` when given. Filtered circularly (the filter's state primed on the
    table's last 8,192 samples, far past the one-pole's settling) so a slice wrapping past the end is seamless."""
    from scipy.signal import lfilter

    if cutoff_hz is None:
        table = np.random.default_rng(0x50A4).standard_normal(_NOISE_TABLE_N, dtype=np.float32)
    else:
        white = _noise_table(None)
        b, a = _onepole(cutoff_hz)
        _, state = lfilter(b, a, white[-8192:], zi=[0.0])
        table = lfilter(b, a, white, zi=state)[0].astype(np.float32)
    table.flags.writeable = False
    return table


def warm_noise() -> None:
    """Make the shared noise tables now (about 10 ms each), so that a first clip does not."""
    for c in NOISE_CUTOFFS_HZ:
        _noise_table(c)


def _noise(rng: np.random.Generator, n: int, cutoff_hz: float | None = None, *, high: bool = False) -> np.ndarray:
    """``n`` samples of noise (float32), white, or low-passed at ``cutoff_hz`` Hz (a one-pole filter, as
    :func:`_onepole_lowpass`), or with ``high`` the white noise less that low-passed part (a high-pass): a slice of
    the shared tables from an offset drawn from ``rng``, so a clip's beds cost a copy, not a Gaussian draw and a
    filter pass per sample each time. Read-only unless ``high``."""
    start = int(rng.integers(0, _NOISE_TABLE_N))

    def piece(table: np.ndarray) -> np.ndarray:
        if start + n <= _NOISE_TABLE_N:
            return table[start:start + n]
        return np.resize(np.roll(table, -start), n)

    low = piece(_noise_table(cutoff_hz))
    return piece(_noise_table(None)) - low if high else low


def _ambience(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """(2, n) float32 bed."""
    t = np.arange(n, dtype=np.float32) / SAMPLE_RATE
    out = np.zeros((2, n), np.float32)
    if kind == "rain":
        for c in range(2):
            out[c] = 0.05 * _noise(rng, n, 1500.0, high=True)  # high-passed: the hiss of many small drops
        drops = rng.integers(0, n, int(n / SAMPLE_RATE * 90))
        for k, i in enumerate(drops):
            m = min(n - i, 240)
            env = np.exp(-np.arange(m) / 30.0).astype(np.float32)
            out[k % 2, i : i + m] += 0.025 * rng.uniform(0.3, 1.0) * env * np.sin(
                2 * np.pi * rng.uniform(2000, 5000) * np.arange(m) / SAMPLE_RATE).astype(np.float32)
    elif kind == "wind":
        for c in range(2):
            w = _noise(rng, n, 400.0)
            gust = 0.6 + 0.4 * np.sin(2 * np.pi * (0.17 + 0.05 * c) * t + rng.uniform(0, 6))
            out[c] = 0.35 * w * gust
    elif kind == "crowd":
        for c in range(2):
            babble = _noise(rng, n, 1800.0)
            babble = babble - _onepole_lowpass(babble, 250.0)
            mod = 0.7 + 0.3 * np.sin(2 * np.pi * 3.1 * t + c) * np.sin(2 * np.pi * 0.4 * t)
            out[c] = 0.25 * babble * mod
    elif kind == "birds":
        out += 0.004 * _noise(rng, 2 * n).reshape(2, n)
        n_chirps = int(n / SAMPLE_RATE * 2.5)
        for _ in range(n_chirps):
            i = int(rng.integers(0, max(1, n - 6000)))
            m = int(rng.uniform(0.05, 0.12) * SAMPLE_RATE)
            m = min(m, n - i)
            tt = np.arange(m, dtype=np.float32) / SAMPLE_RATE
            f0, f1 = rng.uniform(2500, 4500), rng.uniform(3000, 6000)
            phase = 2 * np.pi * (f0 * tt + (f1 - f0) * tt**2 / (2 * max(tt[-1], 1e-3)))
            env = np.sin(np.pi * tt / max(tt[-1], 1e-3)) ** 2
            gl, gr = _pan(float(rng.uniform(0.1, 0.9)))
            s = (0.05 * env * np.sin(phase)).astype(np.float32)
            out[0, i : i + m] += gl * s
            out[1, i : i + m] += gr * s
    elif kind == "traffic":
        for c in range(2):
            rumble = _onepole_lowpass(_noise(rng, n, 180.0), 180.0)
            out[c] = 1.2 * rumble
        for _ in range(max(1, int(n / SAMPLE_RATE / 2))):
            centre = rng.uniform(0, n / SAMPLE_RATE)
            width = rng.uniform(0.8, 1.6)
            swell = np.exp(-((t - centre) / width) ** 2)
            car = _noise(rng, n, 700.0)
            pan = np.clip((t - centre) / (2 * width) + 0.5, 0, 1)
            out[0] += 0.5 * car * swell * np.cos(pan * np.pi / 2)
            out[1] += 0.5 * car * swell * np.sin(pan * np.pi / 2)
    else:  # quiet: a faint room tone keeps the track from being digital silence
        for c in range(2):
            out[c] = 0.0015 * _noise(rng, n, 600.0)
    return out


def synthesize(scene: dict, world: World, bodies: list[Body], sim: SimResult, duration: float, seed: int,
               speech: list[tuple[np.ndarray, float, float]] | None = None, *,
               target_lufs: float = -16.0) -> tuple[np.ndarray, dict]:
    """(2, N) float32 stereo mix at 48 kHz and a report (loudness before/after, gain, peak)."""
    rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, 1])
    n = max(1, int(round(duration * SAMPLE_RATE)))
    mix = np.zeros((2, n), np.float32)
    by_name = {b.name: b for b in bodies}
    # impacts (the loudest ones first if there are very many: stacks can make hundreds of tiny contacts)
    events = sorted(sim.events, key=lambda e: -e["impulse"])[:200]
    for ev in sorted(events, key=lambda e: e["t"]):
        i0 = int(round(ev["t"] * SAMPLE_RATE))
        if i0 >= n:
            continue
        s = _impact(ev, by_name, rng)
        m = min(len(s), n - i0)
        gl, gr = _pan(ev["wx"] / max(world.w, 1e-6))
        mix[0, i0 : i0 + m] += gl * s[:m]
        mix[1, i0 : i0 + m] += gr * s[:m]

    # rolling / sliding: noise following each body's speed on the ground
    if sim.rolling.size and sim.rolling.max() > 0.05:
        t_samples = np.arange(n, dtype=np.float64) / SAMPLE_RATE
        rate = (len(sim.t) - 1) / max(float(sim.t[-1] - sim.t[0]), 1e-9)  # Hz: the physics' sub-steps
        for j, b in enumerate(bodies):
            speed = sim.rolling[:, j]
            if speed.max() <= 0.05:
                continue
            # smooth the on/off so contact flicker does not make clicks (or fake onsets): at the physics' own rate,
            # then drawn out to the samples (a 15 Hz envelope needs no 48 kHz filter pass)
            env = np.interp(t_samples, sim.t, _onepole_lowpass(np.clip(speed / 4.0, 0, 1), 15.0, rate)).astype(
                np.float32)
            rolling = b.shape == "circle" or _wheeled(b)
            bright = 350.0 if rolling else 1800.0
            src = _noise(rng, n, bright)
            level = 0.5 if rolling else 0.12
            x = np.interp(t_samples, sim.t, sim.pos[:, j, 0] / max(world.w, 1e-6)).astype(np.float32)
            p = np.clip(x, 0, 1) * (np.pi / 2)
            mix[0] += level * env * src * np.cos(p)
            mix[1] += level * env * src * np.sin(p)

    # footsteps of walkers and runners, on the same gait clock as their animation
    from .render import GAIT_HZ_PER_MPS

    for j, b in enumerate(bodies):
        pace = abs(b.init.get("drive") or 0.0)
        if not pace or _wheeled(b) or b.figure is not None:  # vehicles rumble; figures' feet make contacts
            continue
        step_s = 2.0 / (GAIT_HZ_PER_MPS * max(pace, 0.5))
        t_step = step_s
        while t_step < duration:
            k = min(int(t_step * (len(sim.t) - 1) / max(sim.t[-1], 1e-9)), len(sim.t) - 1)
            ev = {"impulse": 0.35 * b.half[1], "materials": [b.material, scene_ground(scene)], "bodies": [b.name]}
            s = _impact(ev, by_name, rng)
            i0 = int(round(t_step * SAMPLE_RATE))
            m = min(len(s), n - i0)
            gl, gr = _pan(sim.pos[k, j, 0] / max(world.w, 1e-6))
            mix[0, i0 : i0 + m] += gl * s[:m]
            mix[1, i0 : i0 + m] += gr * s[:m]
            t_step += step_s

    for kind in scene.get("ambience") or ["quiet"]:
        mix += _ambience(kind, n, rng)
    more = effects.sound(scene, world, sim, n, SAMPLE_RATE, seed)  # crashes, splashes, pouring (issue 18 item 4)
    if more is not None:
        mix += more

    for wave, t_start, x_frac in speech or []:
        i0 = int(round(t_start * SAMPLE_RATE))
        if i0 >= n or not wave.size:
            continue
        m = min(len(wave), n - i0)
        gl, gr = _pan(0.25 + 0.5 * x_frac)  # speech stays near the centre: only a hint of position
        mix[0, i0 : i0 + m] += 0.5 * gl * wave[:m]
        mix[1, i0 : i0 + m] += 0.5 * gr * wave[:m]

    mix, report = normalize_loudness(mix, target_lufs)
    return mix, report


def normalize_loudness(mix: np.ndarray, target_lufs: float = -16.0) -> tuple[np.ndarray, dict]:
    """Scale to ``target_lufs`` integrated loudness, then down to PEAK_LIMIT if needed; never clips."""
    import pyloudnorm

    report: dict = {"target_lufs": target_lufs}
    loud = float("-inf")
    if mix.shape[1] >= int(0.4 * SAMPLE_RATE):  # BS.1770 gating needs at least one 400 ms block
        meter = pyloudnorm.Meter(SAMPLE_RATE)
        loud = float(meter.integrated_loudness(mix.T.astype(np.float64)))
    report["lufs_before"] = loud if math.isfinite(loud) else None
    if math.isfinite(loud):
        gain = 10 ** ((target_lufs - loud) / 20)
    else:  # too short to gate, or silence: aim the RMS at the target instead
        rms = float(np.sqrt(np.mean(mix.astype(np.float64) ** 2))) if mix.size else 0.0
        gain = (10 ** (target_lufs / 20)) / rms if rms > 1e-9 else 1.0
    out = mix * np.float32(gain)
    peak = float(np.abs(out).max()) if out.size else 0.0
    if peak > PEAK_LIMIT:
        out *= np.float32(PEAK_LIMIT / peak)
        gain *= PEAK_LIMIT / peak
        report["peak_limited"] = True
    report["gain_db"] = 20 * math.log10(gain) if gain > 0 else None
    report["peak"] = float(np.abs(out).max()) if out.size else 0.0
    return np.clip(out, -1.0, 1.0).astype(np.float32), report
