"""Tune the soundtrack check on what the recogniser heard, without re-running the recogniser.

    nice .venv/bin/python benchmarks/soundtrack_tune.py hear tune /tmp/heard_tune.json      # ~1 CPU s a line
    nice .venv/bin/python benchmarks/soundtrack_tune.py hear heldout /tmp/heard_heldout.json
    nice .venv/bin/python benchmarks/soundtrack_tune.py judge /tmp/heard_tune.json         # seconds
    nice .venv/bin/python benchmarks/soundtrack_tune.py cv /tmp/heard_tune.json            # rates per SURE_WORD_P, cross-validated
    nice .venv/bin/python benchmarks/soundtrack_tune.py cv-readings /tmp/heard_tune.json   # rates per ALT_MIN_SCORE x support
    nice .venv/bin/python benchmarks/soundtrack_tune.py force IN.json OUT.json [soundtrack_heldout4]  # + prompted readings
    nice .venv/bin/python benchmarks/soundtrack_tune.py cv-forced /tmp/heard_tune.json     # rates per FORCED_MIN_GAP
    nice .venv/bin/python benchmarks/soundtrack_tune.py export /tmp/heard_tune.json        # the classifier's spoken lines
    .venv/bin/python benchmarks/soundtrack_tune.py quotes                                  # benign quotations (fortunes)
    nice .venv/bin/python -m sora_widgets.moderation.train --speech                       # then refit it

``hear`` renders a split of :func:`cameo_bench.soundtrack_plans` (the same lines, voices and speeds as
``cameo_bench.py soundtrack``) and keeps, per line, what :func:`sora_widgets.moderation.audio.check_audio`
computes before judging: the transcript, its words with probabilities, and the spotted key phrases.
``judge`` runs :func:`~sora_widgets.moderation.audio.judge_transcript` (the classifier, the key phrases
and the policy's audio section) over a saved file and prints the same counts as the benchmark. The
recogniser and spotting do not change when the classifier or the policy does, so ``judge`` gives the
benchmark's decisions in seconds (``cameo_bench.py soundtrack`` stays the figure of record).
Never tune on the ``heldout`` file: judge it once, at the end.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cameo_bench import soundtrack_plans  # noqa: E402

BENIGN_KINDS = ("everyday", "song", "soundalike")


def heard_row(x: np.ndarray, sr: int, row: dict) -> dict:
    """``row`` (text, category, kind, voice...) with what :func:`check_audio` computes before judging the
    clip ``x`` at ``sr`` Hz: ``speech`` (loud enough), ``heard`` (transcript), ``words``, ``spotted``,
    ``alternatives`` (the other readings, :func:`sora_widgets.moderation.audio.readings`), ``forced`` (the prompted
    reading) and ``altered`` (the readings of the slowed and denoised speech, :func:`~sora_widgets.moderation.audio.altered`)."""
    from sora_widgets.moderation import audio
    from sora_widgets.moderation.policy import load_policy
    from sora_widgets.moderation.spotting import spot

    pcm = audio.to_16k_mono(x, sr)
    rms = float(np.sqrt(np.mean((pcm.astype(np.float32) / 32767) ** 2))) if pcm.size else 0.0
    row = dict(row, speech=rms >= load_policy().min_speech_rms, heard="", words=[], spotted=[])
    if row["speech"]:
        a16 = pcm.astype(np.float32) / 32767
        row["heard"], row["words"] = audio.transcribe(a16, audio.ASR_RATE)
        row["spotted"] = [asdict(s) for s in spot(a16, audio.ASR_RATE, row["words"], audio.KEYPHRASES)] \
            if row["words"] else []
        row["alternatives"] = [asdict(r) for r in audio.readings(a16, audio.ASR_RATE, row["words"])]
        f = audio.forced(a16, audio.ASR_RATE, row["heard"], row["words"])
        row["forced"] = None if f is None else asdict(f)
        row["altered"] = [asdict(r) for r in audio.altered(a16, audio.ASR_RATE, row["heard"], row["words"])]
    return row


def hear(split: str, out: Path) -> None:
    """Render ``split``'s lines and save what the recogniser heard (and spotted) to ``out`` (JSON)."""
    from sora_widgets.speech import corpus

    rows = []
    t0 = time.process_time()
    for i, (text, category, kind, voice, wpm) in enumerate(soundtrack_plans()[split]):
        x, sr = corpus.say(text, voice=voice, speed_wpm=wpm)
        row = heard_row(x, sr, {"text": text, "category": category, "kind": kind, "voice": voice, "wpm": wpm})
        rows.append(row)
        print(f"{i:3d} {time.process_time() - t0:7.1f} CPU s  {voice}@{wpm} '{text}' -> '{row['heard']}'", flush=True)
        out.write_text(json.dumps(rows, indent=0))


def load_heard(path: Path) -> list[dict]:
    """The rows ``hear`` saved."""
    return json.loads(Path(path).read_text())


def judge_rows(rows: list[dict], policy=None, model=None) -> list:
    """The soundtrack verdict of each saved row (None where no speech was found), under ``policy`` and
    the speech classifier ``model`` (defaults: the shipped ones)."""
    from sora_widgets.moderation import audio
    from sora_widgets.moderation.audio import judge_transcript
    from sora_widgets.moderation.policy import load_policy
    from sora_widgets.moderation.spotting import Spotted

    policy = policy or load_policy()
    out = []
    for r in rows:
        if not r["speech"]:
            out.append(None)
            continue
        out.append(judge_transcript(r["heard"], r["words"], [Spotted(**s) for s in r["spotted"]], policy, model,
                                    alternatives=[a for a in r.get("alternatives", ())
                                                  if audio.N_SAMPLED or not a.get("sampled")],
                                    forced_reading=r.get("forced"), altered_readings=r.get("altered", ())))
    return out


def _raised(v) -> bool:
    """Whether a verdict raises its clip for review without holding it (uncertain words, weak scores)."""
    return v is not None and v.decision == "allow" and bool(v.evidence.get("raised_for_review"))


def rates(rows: list[dict], verdicts: list) -> dict:
    """Counted as issue 17 item 4 words it: a benign clip is *held* when its decision is review or block (it
    waits for a person); *raised* when it stays up but a person is asked to listen (uncertain words); a
    harmful clip is *caught* when it is held or raised. ``*_held_only``: harmful clips held (not just raised)."""
    decision = ["allow" if v is None else v.decision for v in verdicts]
    raised = [_raised(v) for v in verdicts]
    benign = [(d, r) for row, d, r in zip(rows, decision, raised, strict=True) if row["kind"] in BENIGN_KINDS]
    out = {"benign_held": sum(d != "allow" for d, _ in benign), "benign_raised": sum(r for _, r in benign),
           "n_benign": len(benign), "blocked": sum(d == "block" for d in decision)}
    for kind in ("keyphrase", "prompt"):  # the harmful spoken lines, and the harmful prompts read aloud
        harmful = [(d, r) for row, d, r in zip(rows, decision, raised, strict=True) if row["kind"] == kind]
        out[f"{kind}_caught"], out[f"n_{kind}"] = sum(d != "allow" or r for d, r in harmful), len(harmful)
        out[f"{kind}_held_only"] = sum(d != "allow" for d, _ in harmful)
    return out


def judge(path: Path) -> None:
    """Print the rates of a saved file under the committed classifier and policy, and each wrong line."""
    rows = load_heard(path)
    verdicts = judge_rows(rows)
    for r, v in zip(rows, verdicts, strict=True):
        d = "allow" if v is None else ("raised" if _raised(v) else v.decision)
        flagged = [] if v is None else v.flagged + [x["category"] for x in v.evidence.get("raised_for_review", [])]
        if (r["kind"] in BENIGN_KINDS) != (d == "allow"):
            print(f"  wrong: {r['kind']:10s} {d:6s} {r['voice']}@{r['wpm']} '{r['text']}' heard '{r['heard']}'"
                  f" {flagged}")
    print(json.dumps(rates(rows, verdicts)))


def spoken_examples(row: dict) -> list[tuple[str, str, str]]:
    """A saved row as training lines ``(text, category, source)``: as written, and as heard if different."""
    out = [(row["text"], row["category"], "written")]
    if row["heard"].strip() and row["heard"].strip() != row["text"]:
        out.append((row["heard"].strip(), row["category"], "heard"))
    return out


def export(path: Path) -> None:
    """Write the speech classifier's spoken lines (moderation/data/spoken_tune.csv) from a saved ``tune`` file."""
    import csv

    from sora_widgets.moderation.train import SPOKEN_PATH

    rows = load_heard(path)
    if any(r["kind"] not in BENIGN_KINDS + ("keyphrase", "prompt") for r in rows):
        raise SystemExit("not a tune file")
    lines = list(dict.fromkeys(x for r in rows for x in spoken_examples(r)))
    with open(SPOKEN_PATH, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "category", "source"])
        w.writerows(lines)
    print(f"wrote {len(lines)} lines to {SPOKEN_PATH}")


def quotes() -> None:
    """Write the speech classifier's benign quotations (moderation/data/spoken_quotes.csv): every line of the
    fortunes pool that ``soundtrack_heldout.py build`` drew its benign lines from (same files, same cleaning,
    same everyday / song / sound-alike kinds), minus the lines of the frozen held-out CSV (matched by text).
    Needs Debian's ``fortunes`` package at build time only; the CSV is committed."""
    import csv

    import soundtrack_heldout as ho

    from sora_widgets.moderation.train import QUOTES_PATH

    held = {r["text"] for r in ho.plan()}
    rows, seen = [], set(held)
    for name in ho.EVERYDAY_FILES + ho.SONG_FILES:
        for q in ho._entries(name):
            t = ho._spoken_text(q)
            if t is None or t in seen:
                continue
            seen.add(t)
            kind = "soundalike" if ho.TRIGGERS & set(t.split()) else ("song" if name in ho.SONG_FILES else "everyday")
            rows.append((t, "benign", f"fortunes/{name} {kind}"))
    with open(QUOTES_PATH, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "category", "source"])
        w.writerows(rows)
    kinds = [r[2].split()[-1] for r in rows]
    print(f"wrote {len(rows)} lines to {QUOTES_PATH} ({', '.join(f'{k} {kinds.count(k)}' for k in BENIGN_KINDS)}); "
          f"{len(held)} held-out lines left out")


def fold_models(rows: list[dict], folds: int = 5, weight: float | None = None) -> tuple[list, np.ndarray]:
    """Speech classifiers fitted each without one fold of ``rows`` (prompts + the other folds' spoken lines,
    spoken lines weighing ``weight``, default the shipped ``train.SPOKEN_WEIGHT``), and each row's fold. Fixed seed."""
    from sora_widgets.moderation.text import raw_features
    from sora_widgets.moderation.train import C_DEFAULT, SPOKEN_WEIGHT, fit_model, load_labelled

    weight = SPOKEN_WEIGHT if weight is None else weight
    prompts = [e for e in load_labelled() if e.split == "train"]
    flat = [(i, t, c) for i, r in enumerate(rows) for t, c, _ in spoken_examples(r)]
    texts = [e.text for e in prompts] + [t for _, t, _ in flat]
    y = np.array([e.category for e in prompts] + [c for _, _, c in flat])
    owner = np.array([-1] * len(prompts) + [i for i, _, _ in flat])
    dense, counts, _ = raw_features(texts)
    fold = np.random.default_rng(0).permutation(len(rows)) % folds
    models = []
    for k in range(folds):
        keep = (owner < 0) | (fold[np.maximum(owner, 0)] != k)
        sw = np.where(owner < 0, 1.0, weight)[keep]
        models.append(fit_model(dense[keep], counts[keep], list(y[keep]), c=C_DEFAULT, sample_weight=sw))
    return models, fold


def cross_validate(path: Path, folds: int = 5, sure=(0.4, 0.5, 0.6, 0.7)) -> None:
    """Rates on a saved ``tune`` file, each line judged by a speech classifier fitted without it (k folds),
    for each :data:`~sora_widgets.moderation.audio.SURE_WORD_P` (the shipped policy otherwise)."""
    from sora_widgets.moderation import audio

    rows = load_heard(path)
    models, fold = fold_models(rows, folds)
    keep = audio.SURE_WORD_P
    try:
        for p_sure in sure:
            audio.SURE_WORD_P = p_sure
            verdicts = [judge_rows([r], model=models[fold[i]])[0] for i, r in enumerate(rows)]
            print(f"sure {p_sure:.2f}: {json.dumps(rates(rows, verdicts))}", flush=True)
    finally:
        audio.SURE_WORD_P = keep


def cross_validate_readings(path: Path, folds: int = 5, min_scores=(-0.5, -0.7, -0.9, -1.1, -1.3, -1.6),
                            supports=(1, 2, 3), sampled=(True, False)) -> None:
    """Rates on a saved ``tune`` file for each :data:`~sora_widgets.moderation.audio.ALT_MIN_SCORE` x
    ``ALT_MIN_SUPPORT``, with and without the sampled readings; each line judged by a speech classifier fitted
    without its fold. Each reading is classified once (the grid is then counted, not re-judged)."""
    from sora_widgets.moderation import audio
    from sora_widgets.moderation.policy import load_policy
    from sora_widgets.moderation.verdict import merge_verdicts

    policy = load_policy()
    rows = load_heard(path)
    models, fold = fold_models(rows, folds)
    base = [judge_rows([dict(r, alternatives=[])], model=models[fold[i]])[0] for i, r in enumerate(rows)]
    # per row: (categories the verdict holds or raises already, [(score, sampled, categories the reading flags)])
    found = []
    for i, (r, v) in enumerate(zip(rows, base, strict=True)):
        done = set() if v is None else set(v.flagged) | {x["category"] for x in v.evidence["raised_for_review"]}
        alts = []
        for a in r.get("alternatives", []):
            if a["text"] == r["heard"]:
                continue
            hits = merge_verdicts([audio.spot_keyphrases(a["text"], policy),
                                   audio._classified(a["text"], policy, models[fold[i]])])
            alts.append((a["score"], bool(a.get("sampled")), set(hits.flagged) - done))
        found.append(alts)
    benign = [r["kind"] in BENIGN_KINDS for r in rows]
    base_rates = rates(rows, base)
    print(f"no readings: {json.dumps(base_rates)}", flush=True)
    for with_sampled in sampled:
        for sup in supports:
            for ms in min_scores:
                extra = []
                for alts in found:
                    count: dict[str, int] = {}
                    for score, was_sampled, cats in alts:
                        if score >= ms and (with_sampled or not was_sampled):
                            for c in cats:
                                count[c] = count.get(c, 0) + 1
                    extra.append(any(n >= sup for n in count.values()))
                caught = {k: sum(e and row["kind"] == k and (v is None or (v.decision == "allow"
                                                                             and not _raised(v)))
                                 for e, row, v in zip(extra, rows, base, strict=True)) for k in ("keyphrase", "prompt")}
                raised = sum(e and b and (v is None or (v.decision == "allow" and not _raised(v)))
                             for e, b, v in zip(extra, benign, base, strict=True))
                print(f"sampled {with_sampled!s:5s} support {sup} min score {ms:5.2f}: benign held "
                      f"{base_rates['benign_held']}/{base_rates['n_benign']}, newly raised {raised}; caught keyphrase "
                      f"{base_rates['keyphrase_caught'] + caught['keyphrase']}/{base_rates['n_keyphrase']}, prompt "
                      f"{base_rates['prompt_caught'] + caught['prompt']}/{base_rates['n_prompt']}", flush=True)


def force(path: Path, out: Path, heldout: str | None = None) -> None:
    """Add the prompted reading (:func:`sora_widgets.moderation.audio.forced`) to each row of a saved file that
    lacks one, re-rendering its clip: a ``tune`` file (espeak-ng as ``hear`` speaks it) or, with ``heldout``
    (a ``soundtrack_heldout*.py`` module name), that set's rows in order. Saves to ``out`` after each row."""
    import importlib

    from sora_widgets.moderation import audio
    from sora_widgets.speech import corpus

    rows = load_heard(path)
    mod = importlib.import_module(heldout) if heldout else None
    plan = mod.ho.plan(mod.CSV_PATH) if mod and hasattr(mod, "ho") else (mod.plan() if mod else None)
    t0 = time.process_time()
    for i, r in enumerate(rows):
        if "forced" in r or not r["speech"]:
            continue
        if plan is None:
            x, sr = corpus.say(r["text"], voice=r["voice"], speed_wpm=r["wpm"])
        else:
            assert plan[i]["text"] == r["text"], (i, r["text"])
            x, sr = mod.ho.render(plan[i], i + getattr(mod, "SEED_OFFSET", 0)) if hasattr(mod, "ho") \
                else mod.render(plan[i], i)
        a16 = audio.to_16k_mono(x, sr).astype(np.float32) / 32767
        f = audio.forced(a16, audio.ASR_RATE, r["heard"], r["words"])
        r["forced"] = None if f is None else asdict(f)
        print(f"{i:3d} {time.process_time() - t0:7.1f} CPU s", flush=True)
        out.write_text(json.dumps(rows, indent=0))


def cross_validate_forced(path: Path, folds: int = 5, gaps=(-1.0, -2.0, -3.0, -4.0, -5.0, -6.0, -8.0, -10.0)) -> None:
    """Rates on a saved ``tune`` file for each :data:`~sora_widgets.moderation.audio.FORCED_MIN_GAP`, each line
    judged (readings included, as shipped) by a speech classifier fitted without its fold. The prompted reading
    is classified once per row; the grid is then counted."""
    from sora_widgets.moderation import audio
    from sora_widgets.moderation.policy import load_policy

    policy = load_policy()
    rows = load_heard(path)
    models, fold = fold_models(rows, folds)
    base = [judge_rows([dict(r, forced=None)], model=models[fold[i]])[0] for i, r in enumerate(rows)]
    hits = []  # per row: the prompted reading's gap when it would raise the clip, else None
    for i, (r, v) in enumerate(zip(rows, base, strict=True)):
        f = r.get("forced")
        if v is None or f is None or not audio._wants_forced(v):
            hits.append(None)
            continue
        keep = audio.FORCED_MIN_GAP
        try:
            audio.FORCED_MIN_GAP = -np.inf
            hits.append(f["gap"] if audio._forced_hits(f, v, policy, models[fold[i]]) else None)
        finally:
            audio.FORCED_MIN_GAP = keep
    base_rates = rates(rows, base)
    print(f"no forced reading: {json.dumps(base_rates)}", flush=True)
    print(f"rows reading it (nothing holds or raises them): {sum(v is not None and audio._wants_forced(v) for v in base)}"
          f"/{len(rows)}", flush=True)
    for g in gaps:
        extra = [h is not None and h >= g for h in hits]
        raised = sum(e and row["kind"] in BENIGN_KINDS for e, row in zip(extra, rows, strict=True))
        caught = {k: sum(e and row["kind"] == k for e, row in zip(extra, rows, strict=True)) for k in ("keyphrase", "prompt")}
        print(f"min gap {g:6.1f}: benign held {base_rates['benign_held']}/{base_rates['n_benign']}, newly raised "
              f"{raised}; caught keyphrase {base_rates['keyphrase_caught'] + caught['keyphrase']}/"
              f"{base_rates['n_keyphrase']}, prompt {base_rates['prompt_caught'] + caught['prompt']}/"
              f"{base_rates['n_prompt']}", flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["hear"]:
        hear(sys.argv[2], Path(sys.argv[3]))
    elif sys.argv[1:2] == ["judge"]:
        judge(Path(sys.argv[2]))
    elif sys.argv[1:2] == ["export"]:
        export(Path(sys.argv[2]))
    elif sys.argv[1:2] == ["quotes"]:
        quotes()
    elif sys.argv[1:2] == ["cv"]:
        cross_validate(Path(sys.argv[2]))
    elif sys.argv[1:2] == ["cv-readings"]:
        cross_validate_readings(Path(sys.argv[2]))
    elif sys.argv[1:2] == ["force"]:  # force IN OUT [HELDOUT_MODULE]
        force(Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else None)
    elif sys.argv[1:2] == ["cv-forced"]:
        cross_validate_forced(Path(sys.argv[2]))
    else:
        raise SystemExit(__doc__)
