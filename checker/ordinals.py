"""Numbered steps: "the first dose" and "Dose 2", "day 3" and "the second day".

Two statements that each set a rule for a numbered step of one sequence, and name no step in
common, are about two steps (the evening dose and the morning dose of a split preparation), not
one step given two ways.
"""
from __future__ import annotations

import re
from functools import lru_cache

_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
             "fifth": 5, "5th": 5}
_CARDINALS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
# nouns that number the parts of one course of treatment or preparation
_STEP_NOUNS = ("dose", "sachet", "step", "part", "stage", "phase", "day", "week", "bottle", "injection",
               "cycle", "visit", "session", "round", "infusion", "vial", "pack")


_AMOUNT = (r"(?:%|(?:hours?|hrs?|h|minutes?|mins?|days?|weeks?|months?|years?|mg|mcg|ml|g|litres?|liters?|"
           r"times?|tablets?|capsules?|puffs?|sachets?|doses?|units?)\b)")


@lru_cache(maxsize=1)
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    nouns = "|".join(_STEP_NOUNS)
    ordinals = "|".join(_ORDINALS)
    before = re.compile(rf"\b(?P<ord>{ordinals})\s+(?P<noun>{nouns})s?\b", re.IGNORECASE)
    # "Dose 2:", "day 3 of", but not "dose 2 hours before" (a number of hours)
    after = re.compile(rf"\b(?P<noun>{nouns})\s+(?P<num>[1-5]|{'|'.join(_CARDINALS)})\b(?![.,]\d)(?!\s*{_AMOUNT})",
                       re.IGNORECASE)
    return before, after


def numbered_steps(text: str) -> dict[str, frozenset[int]]:
    """Each step noun with the step numbers the text names for it."""
    before, after = _patterns()
    steps: dict[str, set[int]] = {}
    for match in before.finditer(text):
        steps.setdefault(match.group("noun").lower(), set()).add(_ORDINALS[match.group("ord").lower()])
    for match in after.finditer(text):
        number = match.group("num").lower()
        steps.setdefault(match.group("noun").lower(), set()).add(int(number) if number.isdigit() else _CARDINALS[number])
    return {noun: frozenset(numbers) for noun, numbers in steps.items()}


def different_steps(a: str, b: str) -> bool:
    """Both name numbered steps of one sequence and no step in common."""
    steps_a, steps_b = numbered_steps(a), numbered_steps(b)
    shared = steps_a.keys() & steps_b.keys()
    return bool(shared) and all(not steps_a[noun] & steps_b[noun] for noun in shared)
