"""Train the prompt classifier and report precision/recall on the held-out split.

    python -m sora_widgets.moderation.train            # retrain, write data/text_classifier.npz, print the report
    python -m sora_widgets.moderation.train --report   # only evaluate the committed model
    python -m sora_widgets.moderation.train --speech   # retrain the soundtrack's classifier (data/speech_classifier.npz)

The labelled set is ``data/prompts_labelled.csv`` (text, category, lang, split);
"benign" is a class of its own. Held-out rows are never seen in training.

The soundtrack's classifier (``--speech``) is fitted on the same train split plus
``data/spoken_tune.csv``: the ``tune`` lines of tests/data/spoken_lines.csv and the tune
prompts read aloud, each as written and as the recogniser heard it (written by
``benchmarks/soundtrack_tune.py export``); ``data/spoken_harmful.csv`` (harmful lines in the team's
own words); and ``data/spoken_quotes.csv`` (benign quotations from Debian's fortunes, written by
``soundtrack_tune.py quotes``). The soundtrack's held-out lines are never in any of them.
"harmful caught" counts a harmful held-out prompt as caught when the decision is
review or block (whatever category); "benign allowed" counts decision allow.
"""

from __future__ import annotations

import argparse
import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .policy import load_policy
from .text import (
    MODEL_PATH,
    NGRAM_BUCKETS,
    SPEECH_MODEL_PATH,
    TextModel,
    assemble,
    check_prompts,
    load_model,
    raw_features,
)
from .verdict import CATEGORIES

__all__ = ["DATA_PATH", "SPOKEN_PATH", "QUOTES_PATH", "HARMFUL_PATH", "load_labelled", "load_spoken",
           "load_speech_lines", "train", "train_speech", "fit_model", "evaluate"]

DATA_PATH = Path(__file__).with_name("data") / "prompts_labelled.csv"
SPOKEN_PATH = Path(__file__).with_name("data") / "spoken_tune.csv"
#: Benign quotations (Debian's fortunes, minus the soundtrack's second held-out set), written by
#: ``benchmarks/soundtrack_tune.py quotes``: what people say that is not a typed prompt.
QUOTES_PATH = Path(__file__).with_name("data") / "spoken_quotes.csv"
#: Harmful spoken lines written by the team in their own words, of the kinds the soundtrack check missed
#: (a bomb in a public place, martyrdom, threats as speech), never copied from a held-out set.
HARMFUL_PATH = Path(__file__).with_name("data") / "spoken_harmful.csv"
#: How much one spoken line weighs in the speech classifier's fit against one typed prompt: the spoken
#: lines are fewer (~400 against ~500) and are the texts it will read. Chosen by cross-validation on
#: the tune split (benchmarks/soundtrack_tune.py cv).
SPOKEN_WEIGHT = 3.0
#: The weight of one benign quotation (:data:`QUOTES_PATH`): there are ~3,700 of them, so each weighs less
#: than a tune line (set by judgement; not yet cross-validated).
QUOTE_WEIGHT = 1.0
# Inverse regularisation strength: chosen on the train split by 5-fold cross-validation (see --search).
C_DEFAULT = 32.0


@dataclass(frozen=True)
class Example:
    text: str
    category: str
    lang: str
    split: str


def load_labelled(path: Path = DATA_PATH) -> list[Example]:
    with open(path, newline="") as fh:
        rows = [Example(r["text"], r["category"], r["lang"], r["split"]) for r in csv.DictReader(fh)]
    unknown = {r.category for r in rows} - set(CATEGORIES) - {"benign"}
    if unknown:
        raise ValueError(f"{path}: unknown categories {sorted(unknown)}")
    return rows


def idf_of(counts) -> np.ndarray:
    """Smoothed inverse document frequency per n-gram bucket (as scikit-learn's TfidfVectorizer)."""
    df = np.bincount(counts.indices, minlength=NGRAM_BUCKETS)
    n = counts.shape[0]
    return (np.log((1 + n) / (1 + df)) + 1.0).astype(np.float32)


def load_spoken(path: Path = SPOKEN_PATH) -> list[Example]:
    """Spoken training lines (a CSV of text, category, source) as ``train``-split English examples: by default
    the tune lines (:data:`SPOKEN_PATH`); :func:`load_speech_lines` gives every file the speech classifier reads."""
    with open(path, newline="") as fh:
        rows = [Example(r["text"], r["category"], "en", "train") for r in csv.DictReader(fh)]
    unknown = {r.category for r in rows} - set(CATEGORIES) - {"benign"}
    if unknown:
        raise ValueError(f"{path}: unknown categories {sorted(unknown)}")
    return rows


def load_speech_lines() -> list[tuple[Example, float]]:
    """Every spoken line the speech classifier is fitted on, each with its weight: the tune lines and the
    team's own harmful lines (:data:`SPOKEN_WEIGHT`), and the benign quotations (:data:`QUOTE_WEIGHT`)."""
    return ([(e, SPOKEN_WEIGHT) for e in load_spoken(SPOKEN_PATH) + load_spoken(HARMFUL_PATH)]
            + [(e, QUOTE_WEIGHT) for e in load_spoken(QUOTES_PATH)])


def _fit(dense: np.ndarray, counts, y: list[str], c: float, sample_weight: np.ndarray | None = None):
    from sklearn.linear_model import LogisticRegression

    idf = idf_of(counts)
    # No class weights: the benign class is the largest on purpose, and weighting it down raised false alarms in CV.
    clf = LogisticRegression(C=c, max_iter=5000)
    clf.fit(assemble(dense, counts, idf), y, sample_weight=sample_weight)
    return clf, idf


def fit_model(dense: np.ndarray, counts, y: list[str], *, c: float = C_DEFAULT,
              sample_weight: np.ndarray | None = None) -> TextModel:
    """A classifier fitted on precomputed features (:func:`.text.raw_features`).

    Args:
        dense: (n, 392) embedding + lexicon features.
        counts: (n, NGRAM_BUCKETS) character n-gram counts.
        y: n class names ("benign" or a category).
        c: inverse regularisation strength.
        sample_weight: n weights (default: all 1).
    """
    clf, idf = _fit(dense, counts, y, c, sample_weight)
    return TextModel(clf.coef_, clf.intercept_, [str(k) for k in clf.classes_], idf)


def train_speech(examples: list[Example] | None = None, spoken: list[tuple[Example, float]] | None = None, *,
                 c: float = C_DEFAULT, path: Path = SPEECH_MODEL_PATH) -> TextModel:
    """Fit the soundtrack's classifier on the prompts' train split plus the spoken lines; write it to ``path``.

    Args:
        examples: labelled prompts (default :func:`load_labelled`); only the ``train`` split is used.
        spoken: spoken lines, each with its weight against a prompt's 1 (default :func:`load_speech_lines`).
        c: inverse regularisation strength.
        path: where to write the weights.
    """
    examples = examples if examples is not None else load_labelled()
    spoken = spoken if spoken is not None else load_speech_lines()
    tr = [e for e in examples if e.split == "train"] + [e for e, _ in spoken]
    dense, counts, _ = raw_features([e.text for e in tr])
    w = np.array([1.0] * (len(tr) - len(spoken)) + [x for _, x in spoken])
    model = fit_model(dense, counts, [e.category for e in tr], c=c, sample_weight=w)
    model.save(path)
    load_model.cache_clear()
    return model


def train(examples: list[Example] | None = None, *, c: float = C_DEFAULT, path: Path = MODEL_PATH) -> TextModel:
    """Fit on the train split and write the weights to ``path``."""
    examples = examples if examples is not None else load_labelled()
    tr = [e for e in examples if e.split == "train"]
    dense, counts, _ = raw_features([e.text for e in tr])
    clf, idf = _fit(dense, counts, [e.category for e in tr], c)
    model = TextModel(clf.coef_, clf.intercept_, [str(k) for k in clf.classes_], idf)
    model.save(path)
    load_model.cache_clear()
    return model


def evaluate(examples: list[Example] | None = None) -> dict:
    """Per-category precision/recall (on decision review|block with that category flagged) on held-out."""
    examples = examples if examples is not None else load_labelled()
    ho = [e for e in examples if e.split == "heldout"]
    verdicts = check_prompts([e.text for e in ho], policy=load_policy())
    per_cat = {}
    for c in CATEGORIES:
        tp = sum(1 for e, v in zip(ho, verdicts, strict=True) if e.category == c and c in v.flagged)
        fp = sum(1 for e, v in zip(ho, verdicts, strict=True) if e.category != c and c in v.flagged)
        fn = sum(1 for e, v in zip(ho, verdicts, strict=True) if e.category == c and c not in v.flagged)
        per_cat[c] = {
            "precision": tp / (tp + fp) if tp + fp else 1.0,
            "recall": tp / (tp + fn) if tp + fn else 1.0,
            "support": tp + fn,
        }
    harmful = [(e, v) for e, v in zip(ho, verdicts, strict=True) if e.category != "benign"]
    benign = [(e, v) for e, v in zip(ho, verdicts, strict=True) if e.category == "benign"]
    return {
        "per_category": per_cat,
        "harmful_caught": sum(v.decision != "allow" for _, v in harmful) / max(1, len(harmful)),
        "benign_allowed": sum(v.decision == "allow" for _, v in benign) / max(1, len(benign)),
        "n_harmful": len(harmful),
        "n_benign": len(benign),
        "misses": [(e.category, e.text, v.decision, v.flagged) for e, v in harmful if v.decision == "allow"],
        "false_alarms": [(e.text, v.decision, v.flagged) for e, v in benign if v.decision != "allow"],
    }


def cross_validated(examples: list[Example], c: float = C_DEFAULT, folds: int = 5) -> tuple[np.ndarray, list[str]]:
    """Out-of-fold class probabilities on the train split (for choosing C and the policy's thresholds)."""
    from sklearn.model_selection import StratifiedKFold

    tr = [e for e in examples if e.split == "train"]
    dense, counts, _ = raw_features([e.text for e in tr])
    y = np.array([e.category for e in tr])
    classes = sorted(set(y))
    probs = np.zeros((len(tr), len(classes)))
    for a, b in StratifiedKFold(folds, shuffle=True, random_state=0).split(dense, y):
        clf, idf = _fit(dense[a], counts[a], list(y[a]), c)
        probs[b] = clf.predict_proba(assemble(dense[b], counts[b], idf))
    return probs, classes


def _search(examples: list[Example]) -> None:
    y = np.array([e.category for e in examples if e.split == "train"])
    harmful = y != "benign"
    for c in (2, 4, 8, 16, 32, 64):
        probs, classes = cross_validated(examples, c)
        harm = 1 - probs[:, classes.index("benign")]
        t = np.quantile(harm[harmful], 0.05)
        print(f"C={c:<4} any-harm threshold catching 95% of harmful (CV on train) {t:.2f}; "
              f"benign allowed there {(harm[~harmful] < t).mean():.3f}")


def format_report(rep: dict) -> str:
    lines = [f"{'category':<24}{'precision':>10}{'recall':>8}{'n':>5}"]
    for c, m in rep["per_category"].items():
        lines.append(f"{c:<24}{m['precision']:>10.2f}{m['recall']:>8.2f}{m['support']:>5}")
    lines.append(f"harmful caught (review or block): {rep['harmful_caught']:.1%} of {rep['n_harmful']}")
    lines.append(f"benign allowed: {rep['benign_allowed']:.1%} of {rep['n_benign']}")
    for m in rep["misses"]:
        lines.append(f"  missed  [{m[0]}] {m[1]!r} -> {m[2]} {m[3]}")
    for f in rep["false_alarms"]:
        lines.append(f"  false alarm {f[0]!r} -> {f[1]} {f[2]}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--report", action="store_true", help="evaluate the committed model without retraining")
    ap.add_argument("--search", action="store_true", help="cross-validate C on the train split, then stop")
    ap.add_argument("--speech", action="store_true", help="retrain the soundtrack's classifier (see the module doc)")
    ap.add_argument("-C", type=float, default=C_DEFAULT, help=f"inverse regularisation (default {C_DEFAULT})")
    args = ap.parse_args(argv)
    examples = load_labelled()
    if args.search:
        _search(examples)
        return
    if args.speech:
        train_speech(examples, c=args.C)
        print(f"wrote {SPEECH_MODEL_PATH}; measure it with benchmarks/soundtrack_tune.py judge")
        return
    if not args.report:
        train(examples, c=args.C)
        print(f"wrote {MODEL_PATH}")
    print(format_report(evaluate(examples)))


if __name__ == "__main__":
    main()
