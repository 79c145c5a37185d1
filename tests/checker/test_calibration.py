"""The calibrated score: estimated precision, monotone with real precision on corpora the fit never saw."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from checker.calibration import (FEATURES, Calibration, CalibrationError, Evidence, default_calibration,
                                 read_calibration)
from checker.candidates import read_expected, text_matches
from checker.corpus import list_files, load_corpus

REPOSITORY = Path(__file__).resolve().parents[2]


def _is_planted(finding: dict, expected: list[dict]) -> bool:
    """The shared scorer's rule, either order of the two files."""
    for want in expected:
        sides = [(want["document"], want["statement"]), (want["source"], want["source_statement"])]
        for (doc, doc_text), (src, src_text) in (sides, sides[::-1]):
            if (finding["document"], finding["source"]) == (doc, src) and text_matches(
                    finding["statement"], doc_text) and text_matches(finding["source_statement"], src_text):
                return True
    return False


@pytest.fixture(scope="module")
def held_out_findings(engine) -> list[tuple[float, bool]]:
    """(score, is a planted conflict) for every finding on the corpora the calibration was not fitted on."""
    scored = []
    for name in default_calibration().provenance["held_out"]:
        corpus = REPOSITORY / "eval" / name
        loaded = load_corpus(engine, list_files(corpus))
        expected = read_expected(corpus)
        for finding in engine.check(loaded.protocols, loaded.documents, min_score=0.0).findings:
            scored.append((finding.score, _is_planted(finding.to_dict(), expected)))
    return scored


def test_the_held_out_corpora_were_not_fitted_on():
    provenance = default_calibration().provenance
    assert provenance["held_out"] and not set(provenance["held_out"]) & set(provenance["fitted_on"])
    assert all((REPOSITORY / "eval" / name / "expected.jsonl").exists() for name in provenance["held_out"])


def test_precision_falls_with_the_score_on_the_held_out_corpora(held_out_findings):
    ranked = [planted for _, planted in sorted(held_out_findings, key=lambda item: -item[0])]
    third = len(ranked) // 3
    top, middle, bottom = ranked[:third], ranked[third:2 * third], ranked[2 * third:]
    precision = [sum(part) / len(part) for part in (top, middle, bottom)]
    assert precision[0] >= precision[1] >= precision[2] and precision[0] > precision[2] + 0.2, precision


def test_findings_above_an_estimate_are_right_more_often_than_those_below(held_out_findings):
    above = [planted for score, planted in held_out_findings if score >= 0.5]
    below = [planted for score, planted in held_out_findings if score < 0.5]
    assert above and below and sum(above) / len(above) > sum(below) / len(below)


def _evidence(**changes) -> Evidence:
    values = dict(kind="numeric", severity="medium", rule_score=0.8, statement_text="Do not eat for 4 hours.",
                  source_text="Do not eat for 6 hours before surgery.", similarity=0.8, rank=0)
    values.update(changes)
    return Evidence(**values)


def test_a_score_is_a_probability_and_rises_with_the_evidence_for_a_clash():
    calibration = default_calibration()
    scores = [calibration.score(_evidence(rule_score=r)) for r in (0.5, 0.7, 0.9)]
    assert all(0.0 < s < 1.0 for s in scores) and scores == sorted(scores)
    assert calibration.score(_evidence(similarity=0.9)) > calibration.score(_evidence(similarity=0.4))
    assert calibration.score(_evidence(rank=0)) > calibration.score(_evidence(rank=3))


def test_min_score_keeps_only_findings_estimated_at_least_that_precise(engine, examples_corpus):
    loaded = load_corpus(engine, list_files(examples_corpus))
    everything = engine.check(loaded.protocols, loaded.documents, min_score=0.0).findings
    surer = engine.check(loaded.protocols, loaded.documents, min_score=0.8).findings
    assert all(f.score >= 0.8 for f in surer) and len(surer) < len(everything)
    assert {f.fingerprint for f in surer} == {f.fingerprint for f in everything if f.score >= 0.8}


def test_a_broken_calibration_file_is_a_loud_error_naming_it(tmp_path):
    broken = tmp_path / "calibration.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(CalibrationError, match="calibration.json"):
        read_calibration(broken)
    stale = tmp_path / "stale.json"
    stale.write_text(json.dumps({"features": ["rule_score"], "weights": [1.0], "intercept": 0.0}), encoding="utf-8")
    with pytest.raises(CalibrationError, match="refit"):
        read_calibration(stale)


def test_a_calibration_survives_its_own_file(tmp_path):
    calibration = Calibration(tuple(0.1 * i for i in range(len(FEATURES))), -0.5, {"fitted_on": ["x"]})
    path = tmp_path / "calibration.json"
    path.write_text(calibration.to_json(), encoding="utf-8")
    assert read_calibration(path) == calibration
