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


def judge_pairs(engine: Engine, items: list[dict]) -> Iterator[dict]:
    """One prediction per pair, in input order."""
    for offset in range(0, len(items), _BATCH):
        batch = items[offset:offset + _BATCH]
        premises = [Statement("premise", ROLE_PROTOCOL, item["premise"], 0, len(item["premise"])) for item in batch]
        hypotheses = [Statement("hypothesis", ROLE_DOCUMENT, item["hypothesis"], 0, len(item["hypothesis"]))
                      for item in batch]
        similarities = np.einsum("ij,ij->i", engine.embed(premises), engine.embed(hypotheses))
        for item, premise, hypothesis, similarity in zip(batch, premises, hypotheses, similarities.tolist()):
            result = (engine.judge.verdict(hypothesis.text, premise.text, float(similarity))
                      if compatible(hypothesis, premise) else None)
            score = result[1] if result else 0.0
            flagged = result is not None and score >= engine.settings.min_score
            yield {"id": item["id"], "label": "contradiction" if flagged else "consistent", "score": score,
                   **({"kind": result[0].kind} if result else {})}
