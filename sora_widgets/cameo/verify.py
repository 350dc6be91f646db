""""Upload yourself" verification: say a random phrase to the camera.

``new_challenge(store, user)`` issues a phrase of four words (a colour, an
animal, a thing, a place) from a small vocabulary, stored with an expiry.
``verify(clip, challenge)`` passes only if

- the sound track holds speech (not silence),
- pocketsphinx, searching a JSGF grammar of *only* the challenge vocabulary
  (open-vocabulary recognition is too weak - see NOTES.md), hears exactly the
  phrase, and
- for a person, a face is in at least half of the frames.

The grammar holds the challenge phrase as one alternative and every other
phrase the vocabulary can make as the other, so the recogniser answers "which
of the ~2,000 possible phrases was said": a wrong phrase loses to the phrase
actually said (or to its nearest in-vocabulary neighbour). The vocabulary was
chosen by measurement: multi-syllable words that the en-US model separates well
in espeak-ng's voices (short words - digits, "red" - and "crimson", "silver", "elephant"
were often confused).
"""

from __future__ import annotations

import datetime as dt
import functools
import secrets
import threading
from dataclasses import dataclass, field

import numpy as np

from ..media import Clip
from ..store import NotFound, Store, new_id, normalise_handle
from .asset import CameoError
from .voice import speech_seconds

__all__ = ["Challenge", "Verification", "new_challenge", "get_challenge", "verify", "VOCABULARY", "CHALLENGE_TTL_S"]

#: The slots of a phrase and the words each may take.
VOCABULARY: dict[str, tuple[str, ...]] = {
    "colour": ("purple", "orange", "yellow", "golden"),
    "animal": ("dolphin", "tiger", "rabbit", "penguin", "turtle", "monkey", "zebra", "kangaroo", "giraffe"),
    "thing": ("umbrella", "piano", "rocket", "window", "basket", "candle", "guitar", "pencil"),
    "place": ("mountain", "river", "forest", "island", "garden", "desert", "ocean"),
}
#: A challenge must be answered within this many seconds.
CHALLENGE_TTL_S = 10 * 60
#: Recognition runs at this sample rate (the en-US model's).
ASR_SR = 16_000
#: Less speech than this (seconds above -40 dBFS) counts as silence.
MIN_SPEECH_S = 0.5
#: A person must show a face in at least this fraction of sampled frames.
MIN_FACE_FRACTION = 0.5
#: See ``_near_miss_accepted``: alignment-score ratio above which a one-word mishearing is forgiven.
NEAR_MISS_RATIO = 0.975
#: Frames sampled for the face check.
FACE_SAMPLES = 12

_decoder_lock = threading.Lock()


@dataclass(frozen=True)
class Challenge:
    """A phrase issued to ``user``; ``expires_at`` is UTC."""

    challenge_id: str
    user: str
    phrase: str
    expires_at: dt.datetime

    @property
    def words(self) -> list[str]:
        return self.phrase.split()

    def expired(self, now: dt.datetime | None = None) -> bool:
        return (now or _utcnow()) >= self.expires_at


@dataclass(frozen=True)
class Verification:
    """The outcome: ``passed``, the ``reasons`` it failed (empty if passed), what was heard."""

    passed: bool
    reasons: tuple[str, ...] = ()
    transcript: str = ""
    face_fraction: float | None = None
    speech_s: float = 0.0
    details: dict = field(default_factory=dict)

    def __bool__(self) -> bool:
        return self.passed


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def random_phrase(rng: secrets.SystemRandom | None = None) -> str:
    """A random phrase, one word per slot (cryptographic randomness by default)."""
    r = rng or secrets.SystemRandom()
    return " ".join(r.choice(words) for words in VOCABULARY.values())


def new_challenge(store: Store, user: str, *, ttl_s: float = CHALLENGE_TTL_S) -> Challenge:
    """Issue ``user`` a fresh phrase to say on camera, valid for ``ttl_s`` seconds."""
    user = normalise_handle(user)
    store.get_user(user)  # NotFound with a readable message
    ch = Challenge(new_id("ch"), user, random_phrase(), _utcnow() + dt.timedelta(seconds=ttl_s))
    with store.transaction() as con:
        con.execute(
            "INSERT INTO cameo_challenges (challenge_id, handle, phrase, expires_at) VALUES (?, ?, ?, ?)",
            [ch.challenge_id, ch.user, ch.phrase, ch.expires_at],
        )
        store.audit(user, "cameo.challenge", "challenge", ch.challenge_id, {"expires_at": ch.expires_at}, con=con)
    return ch


def get_challenge(store: Store, challenge_id: str, con=None) -> tuple[Challenge, dt.datetime | None]:
    """The stored challenge and when it was used (None if unused)."""
    q = "SELECT challenge_id, handle, phrase, expires_at, used_at FROM cameo_challenges WHERE challenge_id = ?"
    if con is None:
        with store.read() as c:
            row = c.execute(q, [challenge_id]).fetchone()
    else:
        row = con.execute(q, [challenge_id]).fetchone()
    if row is None:
        raise NotFound(f"no challenge {challenge_id}: ask for a new phrase")
    return Challenge(row[0], row[1], row[2], row[3]), row[4]


# ------------------------------------------------------------------ speech
@functools.lru_cache(maxsize=1)
def _decoder():
    from pocketsphinx import Decoder

    # Wide beams: the grammar is tiny, so search cost is no concern, and narrow
    # default beams sometimes lose every path to the grammar's end (empty result).
    d = Decoder(loglevel="FATAL", bestpath=False, beam=1e-80, wbeam=1e-60, pbeam=1e-80)
    vocab = [w for words in VOCABULARY.values() for w in words]
    missing = [w for w in vocab if d.lookup_word(w) is None]
    if missing:  # never with the shipped dictionary, but a changed model must not break verification silently
        raise RuntimeError(f"pocketsphinx's dictionary lacks {missing}; add them with Decoder.add_word")
    return d


def _grammar(phrase: str) -> str:
    slots = "".join(f"<{slot}> = {' | '.join(words)};\n" for slot, words in VOCABULARY.items())
    any_phrase = " ".join(f"<{slot}>" for slot in VOCABULARY)
    return f"#JSGF V1.0;\ngrammar challenge;\npublic <utt> = ({phrase}) | ({any_phrase});\n{slots}"


def _pcm16k(audio: np.ndarray, sr: int) -> bytes:
    import librosa

    x = np.asarray(audio, np.float32)
    x = x.mean(axis=0) if x.ndim == 2 else x
    if sr != ASR_SR:
        x = librosa.resample(x, orig_sr=sr, target_sr=ASR_SR)
    peak = float(np.abs(x).max(initial=0.0))
    if peak > 0:
        x = x / peak * 0.8  # a quiet recording should not fail for its level alone
    pad = np.zeros(int(0.3 * ASR_SR), np.float32)  # the decoder wants silence at both ends
    x = np.concatenate([pad, x, pad])
    return (np.clip(x, -1, 1) * 32767).astype(np.int16).tobytes()


def _decode(pcm: bytes, *, phrase: str | None = None, align: str | None = None):
    with _decoder_lock:  # one decoder per process; searches are not re-entrant
        d = _decoder()
        if align is not None:
            d.set_align_text(align)
        else:
            d.add_jsgf_string("challenge", _grammar(phrase))
            d.activate_search("challenge")
        d.start_utt()
        d.process_raw(pcm, full_utt=True)
        d.end_utt()
        return d.hyp()


def transcribe(audio: np.ndarray, sr: int, phrase: str) -> str:
    """What pocketsphinx hears in ``audio`` (C, N) at ``sr`` Hz, restricted to the challenge grammar."""
    hyp = _decode(_pcm16k(audio, sr), phrase=phrase)
    return hyp.hypstr.strip() if hyp is not None else ""


def _near_miss_accepted(pcm: bytes, phrase: str, heard: str) -> tuple[bool, float | None]:
    """A second look when one word of four was heard differently.

    Forced alignment scores the audio against the challenge phrase and against
    what was heard, with no grammar in the way. When the speaker really said the
    phrase the two are near-equal (ratio >= 0.997 measured); when they said the
    heard phrase the challenge scores clearly lower (<= 0.954 measured over 20
    one-word-off trials). ``NEAR_MISS_RATIO`` sits between.
    """
    a, b = phrase.split(), heard.split()
    if len(a) != len(b) or sum(x != y for x, y in zip(a, b, strict=True)) != 1:
        return False, None
    said, other = _decode(pcm, align=phrase), _decode(pcm, align=heard)
    if said is None or other is None or other.score <= 0:
        return False, None
    ratio = float(said.score / other.score)
    return ratio >= NEAR_MISS_RATIO, round(ratio, 4)


def face_fraction(clip: Clip, samples: int = FACE_SAMPLES) -> float:
    """Fraction of ``samples`` evenly spaced frames with a detected face."""
    from .segment import detect_face

    idx = np.linspace(0, clip.num_frames - 1, min(samples, clip.num_frames)).round().astype(int)
    return float(np.mean([detect_face(clip.frames[i]) is not None for i in idx]))


NO_SOUND_TRACK = "this video has no sound: record again with the microphone on and say the phrase"
NO_SPEECH = "no speech heard (no sound above a whisper): say the phrase clearly, close to the microphone"


def _has_sound_track(clip: Clip) -> bool:
    return clip.audio.size > 0 and clip.audio.shape[-1] >= int(0.2 * clip.sample_rate)


def sound_problem(clip: Clip) -> str | None:
    """Why ``clip``'s sound cannot prove a phrase, found without running the recogniser; None if it can.

    The same rule and words :func:`verify` uses, so a recorder can say so the moment a take arrives.
    """
    if not _has_sound_track(clip):
        return NO_SOUND_TRACK
    if speech_seconds(clip.audio, clip.sample_rate) < MIN_SPEECH_S:
        return NO_SPEECH
    return None


def verify(clip: Clip, challenge: Challenge | str, *, kind: str = "person") -> Verification:
    """Did the person in ``clip`` say ``challenge``'s phrase (and, for a person, show their face)?

    ``challenge`` may be a :class:`Challenge` or the phrase itself. Raises
    :class:`CameoError` only for a clip with no sound track at all (nothing to
    verify - record with the microphone on); every other failure is a failed
    :class:`Verification` with reasons a user can act on.
    """
    phrase = challenge.phrase if isinstance(challenge, Challenge) else str(challenge).strip().lower()
    if not _has_sound_track(clip):
        raise CameoError(NO_SOUND_TRACK)
    reasons: list[str] = []
    if isinstance(challenge, Challenge) and challenge.expired():
        reasons.append("the phrase expired: ask for a new one and record again")
    speech = speech_seconds(clip.audio, clip.sample_rate)
    transcript = ""
    details: dict = {"phrase": phrase}
    if speech < MIN_SPEECH_S:
        reasons.append(NO_SPEECH)
    else:
        pcm = _pcm16k(clip.audio, clip.sample_rate)
        hyp = _decode(pcm, phrase=phrase)
        transcript = hyp.hypstr.strip() if hyp is not None else ""
        ok = transcript == phrase
        if not ok and transcript:
            ok, details["near_miss_ratio"] = _near_miss_accepted(pcm, phrase, transcript)
        if not ok:
            heard = f'heard "{transcript}"' if transcript else "could not make out the words"
            reasons.append(f'the phrase was not "{phrase}" ({heard}): say exactly the words shown')
    faces = None
    if kind == "person":
        faces = face_fraction(clip)
        if faces < MIN_FACE_FRACTION:
            reasons.append(
                f"a face was visible in only {100 * faces:.0f}% of the video: face the camera in good light"
            )
    return Verification(not reasons, tuple(reasons), transcript, faces, round(speech, 2), details)
