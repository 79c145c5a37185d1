"""Doses counted in dose units and doses added up over a day.

"Two 500 mg tablets" is a 1 g dose; "two 500 mg tablets up to 6 times a day" is up to 6 g a day,
which is what a "no more than 4 g in 24 hours" limit is about. The first is read while an amount
is read (:func:`units_of_dose`, called by :mod:`checker.quantities`); the second is derived from
the amounts of one clause (:func:`daily_totals`).
"""
from __future__ import annotations

import dataclasses
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Sequence

from checker.lexicon import load

if TYPE_CHECKING:
    from checker.quantities import Quantity

_WORD_AFTER = re.compile(r"\s+([A-Za-z-]+)\b")
_COUNT_BEFORE = re.compile(r"(?:(?P<num>\d+)|(?P<word>[A-Za-z]+))\s*(?:x\s*)?$", re.IGNORECASE)
_MOST_UNITS = 20


def units_of_dose(masked: str, start: int, cursor: int) -> tuple[float, int, int] | None:
    """"Two 500 mg tablets", "2 x 200 mg capsules": a count of dose units of one strength, read as
    (count, where the count starts, where the dose form ends); None for a plain strength."""
    form = _dose_form_after(masked, cursor)
    if form is None:
        return None
    window = masked[max(0, start - 16):start]
    count = _COUNT_BEFORE.search(window)
    if not count:
        return None
    value = float(count.group("num")) if count.group("num") else _number_words().get(count.group("word").lower())
    if not value or value > _MOST_UNITS:
        return None
    return value, start - (len(window) - count.start()), form


def _dose_form_after(masked: str, cursor: int) -> int | None:
    """Where the dose form ends in "500 mg tablets" or "500 mg paracetamol tablets" (a name between)."""
    for _ in range(3):
        word = _WORD_AFTER.match(masked, cursor)
        if not word:
            return None
        cursor = word.end()
        if word.group(1).lower() in _dose_forms():
            return cursor
    return None


@lru_cache(maxsize=1)
def _dose_forms() -> frozenset[str]:
    return frozenset(load("numbers")["dose_forms"])


@lru_cache(maxsize=1)
def _number_words() -> dict[str, float]:
    return {word: float(value) for word, value in load("numbers")["words"].items()}


_SAME_CLAUSE_GAP = re.compile(r"^[^.;:!?]{0,60}$")


def daily_totals(text: str, amounts: Sequence[Quantity]) -> list[Quantity]:
    """A dose and how many times a day it is taken, in one clause, as the amount per day: "two 500 mg
    tablets up to 6 times a day" is up to 6 g a day. The total is a bound when either part is one."""
    totals = []
    for dose in amounts:
        # "two 500 mg tablets every 4 hours, up to 6 times a day": the spacing leaves the count per day to the cap
        spaced = dose.per.endswith("hours")
        if dose.dimension != "mass" or (dose.per and not spaced) or dose.bound == "min" or dose.low != dose.high:
            continue
        times = next((q for q in amounts if q.start >= dose.end and q.dimension == "count"
                      and q.unit in {"time", "dose"} and q.per == "day" and q.bound != "min"
                      and _SAME_CLAUSE_GAP.match(text[dose.end:q.start])), None)
        if times is None:
            continue
        bound = "max" if "max" in (dose.bound, times.bound) else "exact"
        totals.append(dataclasses.replace(dose, low=dose.low * times.low, high=dose.high * times.high, bound=bound,
                                          end=times.end, text=text[dose.start:times.end], per="day", role="",
                                          core_end=times.end, alternatives=()))
    return totals
