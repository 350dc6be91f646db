""""Upload yourself" verification: say a random phrase to the camera.

``new_challenge(store, user)`` issues a phrase of four words (a colour, an
animal, a thing, a place) from a small vocabulary, stored with an expiry.
``verify(clip, challenge)`` passes only if

- the sound track holds speech (not silence),
- the recogniser (:mod:`sora_widgets.speech`, Whisper base, offline) finds the
  challenge phrase clearly likelier than every phrase that differs from it in
  one word, and not much less likely than what it hears with no phrase in mind
  (its free decoding: the "anything else" alternative), and
- for a person, a face is in at least half of the frames and its mouth moves in
  time with the speech (:mod:`.liveness`).

Why score the claimed phrase against its neighbours rather than read a
transcript: a free transcript of accented or fast speech is often wrong in a
word or two ("yellow kangaroo" -> "yellow cum and"), but the claimed word still
beats the other words of its slot by a wide margin when it was said, and loses
by a wide margin when another word was. Thresholds were calibrated on a corpus
of espeak-ng voices (docs/cameos.md has the figures and the command).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field

import numpy as np

from ..media import Clip
from ..store import NotFound, Store, new_id, normalise_handle
from .asset import CameoError
from .voice import speech_seconds

__all__ = ["Challenge", "Verification", "new_challenge", "get_challenge", "verify", "VOCABULARY", "CHALLENGE_TTL_S"]

#: The slots of a phrase and the words each may take (4 x 8 x 7 x 7 = 1,568 phrases). Chosen by
#: measurement: multi-syllable words Whisper separates across accents; "zebra" (heard as "rabbit",
#: and "giraffe" as "zebra") and "piano" (as "window", "candle") were the words said phrases lost on,
#: so they were dropped; digits, "red", "crimson", "silver", "elephant" went earlier.
VOCABULARY: dict[str, tuple[str, ...]] = {
    "colour": ("purple", "orange", "yellow", "golden"),
    "animal": ("dolphin", "tiger", "rabbit", "penguin", "turtle", "monkey", "kangaroo", "giraffe"),
    "thing": ("umbrella", "rocket", "window", "basket", "candle", "guitar", "pencil"),
    "place": ("mountain", "river", "forest", "island", "garden", "desert", "ocean"),
}
#: A challenge must be answered within this many seconds.
CHALLENGE_TTL_S = 10 * 60
#: Less speech than this (seconds above -40 dBFS) counts as silence.
MIN_SPEECH_S = 0.5
#: A person must show a face in at least this fraction of sampled frames.
MIN_FACE_FRACTION = 0.5
#: A claimed word may trail the best other word of its slot by at most this many nats of log
#: probability (a negative margin: the model's word prior - "mountain" is commoner than "island" -
#: can tip a said word slightly). Calibrated on 126 espeak-ng recordings (7 accents x 3 speeds, noise,
#: music, AAC; seeds 1 and 11): with the vocabulary below, said words trailed by at most 0.3 nats, a
#: claimed word that was not said by >= 4.9. A first held-out run at -1.5 let one claim through at
#: -1.32 (a slow British voice in a reverberant room saying "golden", heard nearly as "yellow").
MIN_WORD_MARGIN = -1.0
#: The claimed phrase may score at most this many nats below the model's own free hearing of the audio
#: (the "anything else" alternative: speech that is not a phrase of the vocabulary at all). Measured:
#: said phrases <= 14.3 below it, other sentences ("hello my name is alice") >= 25.4.
MAX_FREE_DEFICIT = 20.0

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
def _variants(phrase: str) -> list[str]:
    """``phrase`` then every phrase that differs from it in exactly one slot's word."""
    words = phrase.split()
    out = [phrase]
    if len(words) != len(VOCABULARY):
        return out
    for i, slot_words in enumerate(VOCABULARY.values()):
        out += [" ".join([*words[:i], w, *words[i + 1:]]) for w in slot_words if w != words[i]]
    return out


def _slot_margins(by_phrase: dict[str, float], phrase: str) -> tuple[list[str], dict[str, float], list[str]]:
    """Per slot of ``phrase`` (a phrase of the vocabulary): the word heard, the claimed word's lead over
    the best other word of its slot (nats, unrounded), and the claimed words that trail by more than
    ``MIN_WORD_MARGIN``. ``by_phrase`` maps ``phrase`` and its one-word variants to log probabilities."""
    words = phrase.split()
    own = by_phrase[phrase]
    heard, margins, missing = [], {}, []
    for i, slot_words in enumerate(VOCABULARY.values()):
        rivals = {w: by_phrase[" ".join([*words[:i], w, *words[i + 1:]])] for w in slot_words if w != words[i]}
        best = max(rivals, key=rivals.get)
        lead = own - rivals[best]
        margins[words[i]] = lead
        heard.append(words[i] if lead > 0 else best)
        if lead < MIN_WORD_MARGIN:
            missing.append(words[i])
    return heard, margins, missing


def needs_free(phrases, phrase: str) -> bool:
    """Whether :func:`judge` needs the free decoding to decide ``phrase`` (or to word its failure).

    ``phrases``: the candidates' :class:`sora_widgets.speech.PhraseScore` s (``phrase`` and its
    one-word variants). The free decoding's log probability is at most 0, so a phrase scoring at least
    ``-MAX_FREE_DEFICIT`` is within the deficit whatever it is; a phrase that already lost a word fails
    whatever it is. It is needed only when every word holds but the phrase scores below
    ``-MAX_FREE_DEFICIT``, or when no claimed word was heard at all (the reason then shows what was).
    Skipping it leaves :func:`judge`'s ``passed`` and ``missing_words`` exactly as they would be.
    """
    by_phrase = {s.phrase: s.logprob for s in phrases}
    words = phrase.split()
    if len(words) != len(VOCABULARY):
        return True
    _, _, missing = _slot_margins(by_phrase, phrase)
    return len(missing) == len(words) or (not missing and by_phrase[phrase] < -MAX_FREE_DEFICIT)


def judge(scores, phrase: str) -> dict:
    """The decision from :func:`sora_widgets.speech.score_phrases`'s ``scores`` for a claimed ``phrase``.

    ``scores`` must include ``phrase`` and its one-word variants (:func:`_variants`); it may hold
    more (a benchmark scores two claims at once). ``scores.free`` may be None where
    :func:`needs_free` says it cannot change the answer (a ValueError otherwise). Returns a dict:

    - ``passed``: every slot's word wins by ``MIN_WORD_MARGIN`` and the phrase is within
      ``MAX_FREE_DEFICIT`` of the free decoding;
    - ``heard``: the best-scoring word of each slot, joined (the in-vocabulary phrase heard);
    - ``missing_words``: the claimed words that did not win their slot clearly (what to say again);
    - ``margins``: per claimed word, its lead over the best other word of its slot (nats);
    - ``free``: the free decoding's text, ``free_deficit``: how far the phrase scored below it
      (both None when the free decoding was skipped).
    """
    by_phrase = {s.phrase: s.logprob for s in scores.phrases}
    words = phrase.split()
    own = by_phrase[phrase]
    if scores.free is None and needs_free(scores.phrases, phrase):
        raise ValueError(f"judging {phrase!r} needs the free decoding: score with need_free=verify.needs_free")
    free = None if scores.free is None else scores.free.phrase
    deficit = None if scores.free is None else scores.free.logprob - own
    if len(words) != len(VOCABULARY):  # not a phrase of the vocabulary: nothing to compare it with
        return {"passed": False, "heard": "", "missing_words": words, "margins": {}, "free": free,
                "free_deficit": None if deficit is None else round(deficit, 2)}
    heard, margins, missing = _slot_margins(by_phrase, phrase)
    # Without the free decoding, own >= -MAX_FREE_DEFICIT (needs_free), so any deficit is within bounds.
    passed = not missing and (deficit is None or deficit <= MAX_FREE_DEFICIT)
    return {"passed": passed, "heard": " ".join(heard), "missing_words": missing,
            "margins": {w: round(v, 2) for w, v in margins.items()},  # decided unrounded; rounded for display
            "free": free, "free_deficit": None if deficit is None else round(deficit, 2)}


def hear(audio: np.ndarray, sr: int, phrase: str) -> dict:
    """:func:`judge` of ``audio`` (C, N) or (N,) at ``sr`` Hz against the claimed ``phrase`` (the free
    decoding runs only when it can matter: :func:`needs_free`)."""
    from ..speech import score_phrases

    return judge(score_phrases(audio, sr, _variants(phrase), need_free=lambda s: needs_free(s, phrase)), phrase)


def transcribe(audio: np.ndarray, sr: int, phrase: str) -> str:
    """The phrase of the vocabulary heard in ``audio`` (C, N) at ``sr`` Hz, searched around ``phrase``."""
    return hear(audio, sr, phrase)["heard"]


def face_fraction(clip: Clip) -> float:
    """Fraction of ``clip``'s frames through which one face is followed (``liveness.track_clip``: the
    detector runs ~8 times a second; a short miss between two sightings does not count against it)."""
    from .liveness import track_clip

    return track_clip(clip).fraction



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

    ``details`` (for guidance): ``phrase``; when speech was heard, ``heard`` (the vocabulary phrase
    heard), ``missing_words`` (claimed words not clearly heard: say these again), ``margins``
    (per word, nats), ``free`` (what the recogniser heard unprompted) and ``free_deficit``; for a
    person ``face_fraction`` and, when a face and speech were found, ``liveness``
    (:meth:`liveness.Liveness.as_dict`).
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
        heard = hear(clip.audio, clip.sample_rate, phrase)
        transcript = heard["heard"]
        details.update({k: heard[k] for k in ("heard", "missing_words", "margins", "free", "free_deficit")})
        if not heard["passed"]:
            if heard["missing_words"] and len(heard["missing_words"]) < len(phrase.split()):
                said = ", ".join(f'"{w}"' for w in heard["missing_words"])
                reasons.append(f'we did not clearly hear {said} (the phrase is "{phrase}"): say exactly the words '
                               "shown, clearly and not too fast")
            else:
                reasons.append(f'the phrase was not "{phrase}" (heard "{heard["free"]}"): say exactly the words shown')
    faces = None
    if kind == "person":
        from .faces import NO_FACE
        from .liveness import check_clip, track_clip

        face_track = track_clip(clip)
        faces = face_track.fraction
        details["face_fraction"] = round(faces, 3)
        if faces < MIN_FACE_FRACTION:
            reasons.append(f"{NO_FACE} (seen in {100 * faces:.0f}% of the video)")
        elif speech >= MIN_SPEECH_S:  # the words must come from the face on screen (docs/cameos.md, Liveness)
            live = check_clip(clip, face_track)
            details["liveness"] = live.as_dict()
            if not live.passed:
                reasons.append(live.reason)
    return Verification(not reasons, tuple(reasons), transcript, faces, round(speech, 2), details)
