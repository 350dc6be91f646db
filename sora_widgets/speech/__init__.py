"""Speech recognition for the whole app: one offline model, per-word confidence.

Cameo verification (:mod:`sora_widgets.cameo.verify`) asks :func:`score_phrases`
which phrase was said; soundtrack moderation (:mod:`sora_widgets.moderation.audio`)
reads :func:`transcribe`. The model files come from PyPI data packages and load
with no network (:mod:`.model`).
"""

from .recognise import (
    SAMPLE_RATE,
    PhraseScore,
    Reading,
    Scores,
    Transcript,
    Word,
    alternatives,
    score_phrases,
    speech_span,
    to_16k,
    transcribe,
)

__all__ = ["SAMPLE_RATE", "PhraseScore", "Reading", "Scores", "alternatives", "Transcript", "Word", "score_phrases", "speech_span", "to_16k", "transcribe"]
