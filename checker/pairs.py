"""Judging labelled premise/hypothesis pairs as if each were an aligned pair.

Input lines: ``{"id", "premise", "hypothesis"}`` (other fields ignored). Output dicts:
``{"id", "label", "score"}`` with label ``contradiction`` or ``consistent``; the premise plays
the protocol, the hypothesis the department document.
"""
from __future__ import annotations

import json
from typing import IO, Iterator

import numpy as np

from checker.engine import Engine
from checker.records import ROLE_DOCUMENT, ROLE_PROTOCOL, Statement
from checker.scope import compatible

_BATCH = 512


class PairsError(ValueError):
    """A pairs file line is not a JSON object with id, premise and hypothesis."""


def read_pairs(handle: IO[str]) -> list[dict]:
    items = []
    for number, line in enumerate(handle, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as error:
            raise PairsError(f"line {number}: not JSON ({error.msg})") from None
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) for k in ("premise", "hypothesis")):
            raise PairsError(f"line {number}: expected an object with string fields premise and hypothesis")
        if "id" not in item:
            raise PairsError(f"line {number}: missing id")
        items.append(item)
    return items


def as_statements(item: dict) -> tuple[Statement, Statement]:
    premise = Statement("premise", ROLE_PROTOCOL, item["premise"], 0, len(item["premise"]))
    hypothesis = Statement("hypothesis", ROLE_DOCUMENT, item["hypothesis"], 0, len(item["hypothesis"]))
    return premise, hypothesis


def similarities(engine: Engine, items: list[dict]) -> list[float]:
    """Cosine similarity of each premise and hypothesis."""
    pairs = [as_statements(item) for item in items]
    premises = engine.embed([p for p, _ in pairs])
    hypotheses = engine.embed([h for _, h in pairs])
    return np.einsum("ij,ij->i", premises, hypotheses).tolist()


def predict(engine: Engine, item: dict, similarity: float) -> dict:
    """One prediction: the judge's verdict on the pair, after the scope check."""
    premise, hypothesis = as_statements(item)
    result = (engine.judge.verdict(hypothesis.text, premise.text, similarity)
              if compatible(hypothesis, premise) else None)
    score = (engine.judge.pair_score(result[0].kind, result[0].severity, result[1], hypothesis.text, premise.text,
                                     similarity) if result else 0.0)
    flagged = result is not None and score >= engine.settings.min_score
    prediction = {"id": item["id"], "label": "contradiction" if flagged else "consistent", "score": score}
    if result:
        prediction["kind"] = result[0].kind
    return prediction


def judge_pairs(engine: Engine, items: list[dict]) -> Iterator[dict]:
    """One prediction per pair, in input order."""
    for offset in range(0, len(items), _BATCH):
        batch = items[offset:offset + _BATCH]
        for item, similarity in zip(batch, similarities(engine, batch)):
            yield predict(engine, item, similarity)
