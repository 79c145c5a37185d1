"""A finding's score: the estimated chance that it is a real contradiction (its precision).

The detectors say *whether* and *how* two statements clash, each with a confidence of its own;
how often a finding of that sort turns out real also depends on how it was found: how similar
the two statements are, whether the source was the statement's closest candidate or a later
one, whether the source is a protocol or another department's document, how many words the two
share. One small logistic model weighs that evidence into one number, so ``--min-score 0.8``
means "findings estimated to be right at least 8 times in 10" whatever their kind.

The weights are data (``calibration.json`` beside this module), fitted by
``training/fit_calibration.py`` on labelled corpora and checked on one held out of the fit;
its provenance records which. Only plain arithmetic runs here.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from checker.lexicon import STOPWORDS
from checker.records import FINDING_KINDS

KINDS = FINDING_KINDS
FEATURES = ("rule_score", "similarity", "not_closest", "log_rank", "document_source", "high_severity",
            "directory", "shared_words") + tuple(f"kind_{kind}" for kind in KINDS)
DEFAULT_PATH = Path(__file__).with_name("calibration.json")
_WORD = re.compile(r"[a-z]{3,}")


class CalibrationError(ValueError):
    """The calibration file is missing, unreadable or does not match the features computed here."""


@dataclass(frozen=True)
class Evidence:
    """What is known about one finding when it is scored. ``similarity`` and ``rank`` are None for
    findings of the service directory, which compares numbers and hours, not aligned pairs."""

    kind: str
    severity: str
    rule_score: float
    statement_text: str
    source_text: str
    similarity: float | None = None
    rank: int | None = None
    document_source: bool = False


def _content_words(text: str) -> set[str]:
    return {word for word in _WORD.findall(text.lower()) if word not in STOPWORDS}


def shared_words(first: str, second: str) -> float:
    """Share of the shorter statement's informative words the other one uses too."""
    a, b = _content_words(first), _content_words(second)
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


def features(evidence: Evidence) -> tuple[float, ...]:
    """The model's inputs, in the order of :data:`FEATURES`."""
    directory = evidence.similarity is None
    rank = evidence.rank or 0
    values = (evidence.rule_score, 0.0 if directory else evidence.similarity, float(rank > 0), math.log1p(rank),
              float(evidence.document_source), float(evidence.severity == "high"), float(directory),
              shared_words(evidence.statement_text, evidence.source_text))
    return values + tuple(float(evidence.kind == kind) for kind in KINDS)


@dataclass(frozen=True)
class Calibration:
    """Logistic weights over :data:`FEATURES`; ``provenance`` says what they were fitted on."""

    weights: tuple[float, ...]
    intercept: float
    provenance: dict

    def score(self, evidence: Evidence) -> float:
        """Estimated precision of a finding with this evidence, in (0, 1), rounded to 4 places."""
        logit = self.intercept + sum(w * x for w, x in zip(self.weights, features(evidence)))
        return round(1.0 / (1.0 + math.exp(-logit)), 4)

    def to_json(self) -> str:
        return json.dumps({"features": list(FEATURES), "weights": list(self.weights), "intercept": self.intercept,
                           "provenance": self.provenance}, indent=2) + "\n"


def read_calibration(path: str | Path) -> Calibration:
    """Load a calibration file; raises :class:`CalibrationError` naming the file on any mismatch."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        names, weights, intercept = data["features"], data["weights"], float(data["intercept"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise CalibrationError(f"{path}: not a calibration file ({error})") from error
    if tuple(names) != FEATURES or len(weights) != len(FEATURES):
        raise CalibrationError(f"{path}: fitted on features {names}, but the engine computes {list(FEATURES)}; "
                               "refit with training/fit_calibration.py")
    return Calibration(tuple(float(w) for w in weights), intercept, dict(data.get("provenance", {})))


@lru_cache(maxsize=1)
def default_calibration() -> Calibration:
    return read_calibration(DEFAULT_PATH)
