"""Bare numbers that measure something (checker.measures), and the judge using them."""
from __future__ import annotations

import pytest

from checker.facts import facts_of
from checker.measures import is_age


def read(text: str) -> list[tuple[str, float, float, str, str]]:
    return [(q.dimension, q.low, q.high, q.unit, q.bound) for q in facts_of(text).quantities]


@pytest.mark.parametrize("text, expected", [
    ("Aim for a TSH between 0.5 and 4.", [("count", 0.5, 4.0, "tsh", "exact")]),
    ("Your HbA1c target is 48 to 53.", [("count", 48.0, 53.0, "hba1c", "exact")]),
    ("If your potassium is above 6, call the ward.", [("count", 6.0, 6.0, "potassium", "min")]),
    ("Ketones of 1.5 or more mean you need help.", [("count", 1.5, 1.5, "ketones", "min")]),
    ("If your PSA is below 4, no biopsy is needed.", [("count", 4.0, 4.0, "psa", "max")]),
])
def test_a_bare_number_after_a_measure_is_read_with_its_measure_and_bound(text, expected):
    assert read(text) == expected


def test_a_bare_number_after_a_people_noun_is_an_age_in_years():
    ((dimension, low, _, _, bound),) = read("Ibuprofen gel is licensed for teenagers over 14.")
    assert (dimension, bound) == ("time", "min") and low == 14 * 8766.0


@pytest.mark.parametrize("text", ["Take 2 tablets twice a day.", "Call 555-0100 before 9 am.",
                                  "Ward 12 is on the left.", "Bring 1,000 photos if you like."])
def test_numbers_with_a_unit_a_noun_or_no_measure_are_left_to_the_amount_reader(text):
    assert all(q.unit not in {"ward", "photos"} for q in facts_of(text).quantities)
    assert not any(q.dimension == "count" and q.unit.isupper() for q in facts_of(text).quantities)


def test_an_age_is_not_a_limit_on_a_dose():
    facts = facts_of("Never give ibuprofen to a baby under 3 months.")
    assert any(is_age(facts.text, q) for q in facts.quantities)
    assert facts.clauses[0].stance == "forbid"


def verdict(engine, doc: str, src: str, similarity: float = 0.8):
    return engine.judge.verdict(doc, src, similarity)


def test_ranges_of_one_measure_that_differ_clash(engine):
    result = verdict(engine, "We aim to keep your TSH between 1 and 2.", "The usual TSH target is 0.5 to 4.")
    assert result and result[0].kind == "numeric"


def test_the_same_range_of_one_measure_is_no_finding(engine):
    assert verdict(engine, "We aim to keep your TSH between 0.5 and 4.", "The usual TSH target is 0.5 to 4.") is None


def test_a_permission_from_a_lower_age_clashes_with_a_ban_below_a_higher_one(engine):
    result = verdict(engine, "Ibuprofen gel can be used for teenagers over 12.",
                     "Do not use ibuprofen gel for anyone younger than 16 years.")
    assert result and result[0].kind in {"numeric", "medication"}


def test_conditions_on_one_measure_that_cannot_both_hold_are_two_cases_not_a_clash(engine):
    assert verdict(engine, "If your potassium is above 6, stop the spironolactone.",
                   "If your potassium is 6 or below, keep taking spironolactone.") is None


@pytest.mark.parametrize("doc, src", [
    ("Please avoid contact sports for a month.", "Do not play contact sports for 4 weeks."),
    ("We need a blood test from the last 3 months.", "You need a blood test taken within 12 weeks."),
])
def test_a_month_and_four_weeks_give_one_rule(engine, doc, src):
    assert verdict(engine, doc, src) is None


def test_no_need_to_stop_means_carry_on(engine):
    assert verdict(engine, "You do not need to stop swimming after the injection.",
                   "Swimming is fine after the injection.") is None


def test_a_blood_pressure_reading_gives_its_top_and_bottom_number_with_the_bound():
    from checker.measures import pressures

    top, bottom = pressures("Call us if your blood pressure is 140/90 mmHg or higher.")
    assert (top.unit, top.low, top.bound) == ("systolic", 140.0, "min")
    assert (bottom.unit, bottom.low, bottom.bound) == ("diastolic", 90.0, "min")
    assert pressures("Your appointment is on 12/05.") == []
    assert pressures("Take 1/2 a tablet.") == []


def test_a_higher_normal_blood_pressure_clashes_with_the_threshold_for_assessment(engine):
    result = engine.judge.verdict("Readings up to 160/105 are fine, so there is no need to call.",
                                  "A blood pressure of 140/90 mmHg or higher needs a same-day check.", 0.8)
    assert result is not None and result[0].kind == "numeric"
