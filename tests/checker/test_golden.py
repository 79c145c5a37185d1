"""The golden premise/hypothesis pairs (tests/golden/pairs.jsonl), judged as the CLI's `pairs` does.

Each case must come out as labelled, except the known misses below: they are strict xfails, so
when the engine starts catching one the suite fails until its id is taken off the list.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from checker.pairs import judge_pairs

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "pairs.jsonl"

KNOWN_MISSES = {
    "negation-shower-01": "biopsy site never wet vs may shower (water over the site) after 24 hours",
    "negation-cast-01": "fine to get the cast wet vs keep it completely dry",
    "timing-nicotinepatch-01": "patch on at bedtime vs on when you get up",
    "timing-prophylaxis-01": "'home from the dentist' and 'before your dental treatment' name one visit in words "
                             "the event lexicon does not link",
}


def load_cases() -> list[dict]:
    with open(GOLDEN, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


CASES = load_cases()


def case_param(case: dict):
    marks = ([pytest.mark.xfail(strict=True, reason=f"known miss: {KNOWN_MISSES[case['id']]}")]
             if case["id"] in KNOWN_MISSES else [])
    return pytest.param(case, id=case["id"], marks=marks)


@pytest.fixture(scope="module")
def predictions(engine) -> dict[str, dict]:
    return {prediction["id"]: prediction for prediction in judge_pairs(engine, CASES)}


def test_the_golden_set_is_well_formed():
    ids = [case["id"] for case in CASES]
    assert len(ids) == len(set(ids)) and len(CASES) >= 90
    assert {case["expected"] for case in CASES} == {"contradiction", "consistent"}
    assert set(KNOWN_MISSES) <= set(ids)
    assert all(case["expected"] == "contradiction" for case in CASES if case["id"] in KNOWN_MISSES)


@pytest.mark.parametrize("case", [case_param(case) for case in CASES])
def test_each_golden_pair_is_judged_as_labelled(predictions, case):
    prediction = predictions[case["id"]]
    assert (prediction["label"] == "contradiction") == (case["expected"] == "contradiction"), prediction


def test_most_caught_contradictions_are_reported_as_their_labelled_kind(predictions):
    caught = [case for case in CASES
              if case["expected"] == "contradiction" and predictions[case["id"]]["label"] == "contradiction"]
    same_kind = [case for case in caught if predictions[case["id"]].get("kind") == case["kind"]]
    assert len(same_kind) / len(caught) >= 0.9, [(c["id"], predictions[c["id"]].get("kind")) for c in caught
                                                 if c not in same_kind]


def test_the_judge_never_flags_a_consistent_golden_pair_and_catches_most_contradictions(predictions):
    flagged = {case_id for case_id, p in predictions.items() if p["label"] == "contradiction"}
    wanted = {case["id"] for case in CASES if case["expected"] == "contradiction"}
    precision = len(flagged & wanted) / len(flagged)
    recall = len(flagged & wanted) / len(wanted)
    assert precision == 1.0, sorted(flagged - wanted)
    assert recall >= 0.85, sorted(wanted - flagged)
