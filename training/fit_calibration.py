"""Fit the score calibration (``checker/calibration.json``) on labelled corpora.

Each corpus is scanned with raw rule scores and no minimum; every finding becomes one example
(its evidence, :func:`checker.calibration.features`) labelled by the shared scorer's matching
rule against the corpus's ``expected.jsonl``. A logistic regression (scikit-learn, L2, fixed
settings, deterministic) is fitted on the fit corpora and reported on the held-out ones, which
the fit never sees. The default ``min_score`` in ``checker/settings.py`` is chosen from the
printed sweep (best F1 over the fit corpora pooled), by hand, on purpose.

    .venv/bin/python training/fit_calibration.py            # writes checker/calibration.json
    .venv/bin/python training/fit_calibration.py --dry-run  # prints the figures only
"""
from __future__ import annotations

import argparse
import datetime as _dt
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from checker.calibration import DEFAULT_PATH, FEATURES, Calibration, Evidence, features
from checker.candidates import read_expected, text_matches
from checker.corpus import list_files, load_corpus
from checker.engine import Engine
from checker.judge import Judge
from checker.records import ROLE_DOCUMENT, Finding

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "eval"
FIT = (SHARED / "dev-corpus", SHARED / "dev-corpus-2", ROOT / "eval" / "corpus-3-ashdown-valley",
       ROOT / "eval" / "corpus-5-kestrel-bay")
HELD_OUT = (ROOT / "eval" / "corpus-4-leaflets", ROOT / "eval" / "corpus-6-fenwick-moor")
REGULARISATION = 0.3
SWEEP = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8)


@dataclass
class Example:
    corpus: str
    evidence: Evidence
    matched: tuple[int, ...]

    @property
    def label(self) -> int:
        return int(bool(self.matched))


def _clean(path: str) -> str:
    return Path(path).as_posix().lstrip("./")


def _matches(finding: dict, conflict: dict) -> bool:
    """The shared scorer's rule: same two files (either order), each statement overlapping its side."""
    pair, want = (_clean(finding["document"]), _clean(finding["source"])), (_clean(conflict["document"]),
                                                                            _clean(conflict["source"]))
    if pair == want:
        return (text_matches(finding["statement"], conflict["statement"])
                and text_matches(finding["source_statement"], conflict["source_statement"]))
    if pair == want[::-1]:
        return (text_matches(finding["statement"], conflict["source_statement"])
                and text_matches(finding["source_statement"], conflict["statement"]))
    return False


def corpus_examples(engine: Engine, corpus: Path) -> tuple[list[Example], int]:
    """Every raw finding of one corpus as an example, and the number of planted conflicts."""
    expected = read_expected(corpus)
    loaded = load_corpus(engine, list_files(corpus))
    result = engine.check(loaded.protocols, loaded.documents, min_score=0.0)
    found_at = {(a.statement.uid, c.source.uid): (c.similarity, rank)
                for a in result.alignments for rank, c in enumerate(a.candidates)}
    examples = []
    for finding in result.findings:
        similarity, rank = found_at.get((finding.statement.uid, finding.source.uid), (None, None))
        examples.append(Example(corpus.name, _evidence(finding, similarity, rank),
                                tuple(i for i, c in enumerate(expected) if _matches(finding.to_dict(), c))))
    return examples, len(expected)


def _evidence(finding: Finding, similarity: float | None, rank: int | None) -> Evidence:
    return Evidence(finding.kind, finding.severity, finding.score, finding.statement.text, finding.source.text,
                    similarity, rank, finding.source.role == ROLE_DOCUMENT)


def figures(scores: list[float], examples: list[Example], planted: int, threshold: float) -> tuple[float, ...]:
    """Precision, recall and F1 of the findings scoring at least ``threshold``, as the scorer counts them."""
    kept = [e for e, s in zip(examples, scores) if s >= threshold]
    precision = sum(e.label for e in kept) / len(kept) if kept else 0.0
    recall = len({(e.corpus, i) for e in kept for i in e.matched}) / planted if planted else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1, len(kept)


def _commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dry-run", action="store_true", help="print the figures, write nothing")
    parser.add_argument("--output", type=Path, default=DEFAULT_PATH)
    args = parser.parse_args()
    engine = Engine(judge=Judge(calibrated=False))
    fit, held = {}, {}
    for corpus in FIT + HELD_OUT:
        (fit if corpus in FIT else held)[corpus.name] = corpus_examples(engine, corpus)
    train = [e for examples, _ in fit.values() for e in examples]
    model = LogisticRegression(C=REGULARISATION, max_iter=2000)
    model.fit(np.array([features(e.evidence) for e in train]), np.array([e.label for e in train]))
    calibration = Calibration(tuple(round(float(w), 6) for w in model.coef_[0]), round(float(model.intercept_[0]), 6),
                              {"fitted_on": sorted(fit), "held_out": sorted(held), "examples": len(train),
                               "regularisation_C": REGULARISATION, "commit": _commit(),
                               "date": _dt.date.today().isoformat(), "script": "training/fit_calibration.py"})
    _report(calibration, fit, held)
    if not args.dry_run:
        args.output.write_text(calibration.to_json(), encoding="utf-8")
        print(f"wrote {args.output}")


def _report(calibration: Calibration, fit: dict, held: dict) -> None:
    print("weights:", ", ".join(f"{n} {w:+.2f}" for n, w in zip(FEATURES, calibration.weights)),
          f"intercept {calibration.intercept:+.2f}")
    pooled = [e for examples, _ in fit.values() for e in examples]
    planted = sum(n for _, n in fit.values())
    print("min_score  fit corpora pooled (P R F1 n)  |  " + "  ".join(held))
    for threshold in SWEEP:
        row = figures([calibration.score(e.evidence) for e in pooled], pooled, planted, threshold)
        line = f"{threshold:<9}  {row[0]:.3f} {row[1]:.3f} {row[2]:.3f} {row[3]:<4}"
        for examples, count in held.values():
            p, r, f, n = figures([calibration.score(e.evidence) for e in examples], examples, count, threshold)
            line += f" |  {p:.3f} {r:.3f} {f:.3f} {n}"
        print(line)


if __name__ == "__main__":
    main()
