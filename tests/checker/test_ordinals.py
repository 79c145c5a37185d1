"""Numbered steps of one course: two steps are two rules, not one rule given two ways."""
from __future__ import annotations

import pytest

from checker.ordinals import different_steps, numbered_steps


@pytest.mark.parametrize("text, steps", [
    ("Take the second sachet at 7 am.", {"sachet": {2}}),
    ("Dose 1: 5 pm the day before.", {"dose": {1}}),
    ("On day three of the course, stop.", {"day": {3}}),
    ("Take the first dose tonight and the second dose tomorrow.", {"dose": {1, 2}}),
])
def test_step_numbers_are_read_before_and_after_their_noun(text, steps):
    assert numbered_steps(text) == steps


@pytest.mark.parametrize("text", ["Take a dose 2 hours before you leave.", "Give dose 1.5 mg.", "Take two doses."])
def test_an_amount_is_not_a_step_number(text):
    assert numbered_steps(text) == {}


def test_two_different_steps_are_different_rules_and_a_shared_step_is_not():
    assert different_steps("Dose 2: 8 am on the day.", "Take the first dose at 8 pm the evening before.")
    assert not different_steps("Take the first dose at 7 pm.", "The first dose is taken at 5 pm.")
    assert not different_steps("Take the first dose at 7 pm.", "Take your preparation at 5 pm.")


def test_the_judge_does_not_compare_the_times_of_two_steps(engine):
    assert engine.judge.verdict("Sachet 2: 6 am on the morning of your test.",
                                "Drink the first sachet at 6 pm on the evening before your test.", 0.8) is None
    assert engine.judge.verdict("Drink the first sachet at 9 pm on the evening before your test.",
                                "Drink the first sachet at 6 pm on the evening before your test.", 0.8) is not None
