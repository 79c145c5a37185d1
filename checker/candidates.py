"""Candidate recall: does the alignment hand the judge the pair a planted conflict is about?

For each expected conflict of a labelled corpus (``expected.jsonl``), the conflict counts as a
candidate when one of the engine's alignments pairs a statement matching one side with a
candidate matching the other side (either order, as the scorer allows for document-to-document
conflicts). Statements match by the scorer's rule: the same path, and one text contains the other
after normalising, or their word sets overlap enough. The figure separates what alignment loses
from what judging loses.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from checker.align import Alignment

_WORD = re.compile(r"[a-z0-9]+(?:[.,:/-][a-z0-9]+)*")


def _norm(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def text_matches(predicted: str, expected: str) -> bool:
    """The scorer's overlap rule (``score.py``: containment, or word overlap >= 60 % / 40 %)."""
    a, b = _norm(predicted), _norm(expected)
    if not a or not b:
        return False
    if a in b or b in a:
        return True
    wa, wb = set(a.split()), set(b.split())
    shared = len(wa & wb)
    return shared / min(len(wa), len(wb)) >= 0.6 and shared / max(len(wa), len(wb)) >= 0.4


@dataclass(frozen=True)
class CandidateOutcome:
    """One expected conflict: is its pair among the candidates, and at which rank."""

    conflict: dict
    found: bool
    rank: int | None = None


def read_expected(corpus: Path) -> list[dict]:
    with open(Path(corpus) / "expected.jsonl", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _side(path: str, text: str, statement_path: str, statement_text: str) -> bool:
    return Path(path).as_posix().lstrip("./") == statement_path and text_matches(statement_text, text)


def _rank_of(conflict: dict, alignments: Sequence[Alignment]) -> int | None:
    sides = ((conflict["document"], conflict["statement"]), (conflict["source"], conflict["source_statement"]))
    for first, second in (sides, sides[::-1]):
        for alignment in alignments:
            statement = alignment.statement
            if not _side(*first, statement.path, statement.text):
                continue
            for rank, candidate in enumerate(alignment.candidates):
                if _side(*second, candidate.source.path, candidate.source.text):
                    return rank
    return None


def candidate_outcomes(expected: Iterable[dict], alignments: Sequence[Alignment]) -> list[CandidateOutcome]:
    outcomes = []
    for conflict in expected:
        rank = _rank_of(conflict, alignments)
        outcomes.append(CandidateOutcome(conflict, rank is not None, rank))
    return outcomes


def candidate_recall(outcomes: Sequence[CandidateOutcome]) -> float:
    return sum(o.found for o in outcomes) / len(outcomes) if outcomes else 1.0


def pairs_per_statement(alignments: Sequence[Alignment]) -> float:
    """Average number of candidate pairs the judge sees per document statement."""
    return sum(len(a.candidates) for a in alignments) / len(alignments) if alignments else 0.0
