"""Bare numbers that measure something: "an INR between 2.5 and 3.5", "if your eGFR is below 30",
"aspirin for children over 12".

:func:`checker.quantities.quantities` reads amounts with a unit or a counted noun ("2 tablets");
a number with neither is skipped there. Here such a number is read when the words just before it
say what it measures: an acronym (INR, eGFR, HbA1c), a measurement noun from the ``measures``
lexicon (blood sugar, ketones, score), or, for ages, a people noun or "aged" (then it is an age
in years, comparable with "younger than 18 years"). Ranges ("2.0 to 3.0", "between 2 and 3") and
bounds ("below 30", "30 or above") are read as for amounts.
"""
from __future__ import annotations

import dataclasses
import re
from functools import lru_cache

from checker.lexicon import load, words
from checker.quantities import Quantity

_NUMBER = r"\d+(?:\.\d+)?"
_VALUE = re.compile(rf"(?<![\w.,:/-])(?P<low>{_NUMBER})(?:\s*(?:-|–|to|and)\s*(?P<high>{_NUMBER}))?(?![\w/-]|[.,:]\d)")
_LOWER = re.compile(r"(?:at least|no less than|not less than|over|above|more than|greater than|higher than|from|"
                    r"older than|over the age of|or more)\s*$", re.IGNORECASE)
_UPPER = re.compile(r"(?:at most|no more than|not more than|up to|under|below|less than|lower than|younger than|"
                    r"under the age of|within)\s*$", re.IGNORECASE)
_AFTER_LOWER = re.compile(r"\s*(?:or (?:more|above|higher|over|greater|older)|\+|and (?:over|above|older))\b",
                          re.IGNORECASE)
_AFTER_UPPER = re.compile(r"\s*(?:or (?:less|below|lower|under|younger|fewer))\b", re.IGNORECASE)
_BETWEEN = re.compile(r"between\s*$", re.IGNORECASE)
_CLAUSE_EDGE = re.compile(r"[.;:!?,()]")
_HOURS_PER_YEAR = 8766.0
_WINDOW_WORDS = 7


@lru_cache(maxsize=1)
def _lexicon() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    data = load("measures")

    def alternation(phrases: list[str]) -> str:
        return "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))

    measure = re.compile(rf"\b(?P<name>{alternation(data['measures'])})\b", re.IGNORECASE)
    people = re.compile(rf"\b(?:{alternation(data['people'])})\b", re.IGNORECASE)
    age = re.compile(rf"\b(?:{alternation(data['age_words'])})\b", re.IGNORECASE)
    return measure, people, age


_ACRONYM = re.compile(r"\b(?=[A-Za-z0-9]*[A-Z][A-Za-z0-9]*[A-Z])[A-Za-z][A-Za-z0-9]{1,6}\b")


def _window(text: str, start: int) -> str:
    """The few words before a number, inside its clause."""
    before = text[max(0, start - 80):start]
    edges = list(_CLAUSE_EDGE.finditer(before))
    if edges:
        before = before[edges[-1].end():]
    return " ".join(before.split()[-_WINDOW_WORDS:])


def _what(window: str) -> tuple[str, str] | None:
    """("count", measure name) or ("time", "hour") for an age, from the words before a number."""
    measure, people, age = _lexicon()
    acronyms = [m.group(0).lower() for m in _ACRONYM.finditer(window) if m.group(0).upper() != "I"]
    if age.search(window) or (people.search(window) and re.search(r"(?:over|under|above|below)\s*$", window)):
        return "time", "hour"
    if acronyms:
        return "count", acronyms[-1]
    names = [m.group("name").lower() for m in measure.finditer(window)]
    generic = {"level", "levels", "reading", "readings", "result", "count", "target", "target range", "range", "value"}
    specific = [n for n in names if n not in generic]
    if specific:
        return "count", specific[-1]
    return None


def is_age(text: str, quantity: Quantity) -> bool:
    """Whether an amount of time is somebody's age ("children under 16", "anyone younger than 18
    years"): a bound on who, not a limit on how much."""
    if quantity.dimension != "time":
        return False
    first = quantity.text.split()[0] if quantity.text.split() else ""
    leading = first if first.isalpha() else ""
    return _what(f"{_window(text, quantity.start)} {leading}".strip()) == ("time", "hour") or bool(
        re.search(r"younger than|older than|under the age|over the age|-year-old|years? old", quantity.text
                  + text[quantity.end:quantity.end + 12], re.IGNORECASE))


def _bound(text: str, start: int, end: int, window: str) -> tuple[str, int]:
    after_lower, after_upper = _AFTER_LOWER.match(text, end), _AFTER_UPPER.match(text, end)
    if after_lower:
        return "min", after_lower.end()
    if after_upper:
        return "max", after_upper.end()
    if _LOWER.search(window):
        return "min", end
    if _UPPER.search(window):
        return "max", end
    return "exact", end


def measures(text: str, taken: list[tuple[int, int]]) -> list[Quantity]:
    """Bare measured numbers of ``text`` outside the ``taken`` spans (amounts already read)."""
    found = []
    for match in _VALUE.finditer(text):
        if any(s <= match.start() < e or match.start() <= s < match.end() for s, e in taken):
            continue
        window = _window(text, match.start())
        what = _what(window)
        if what is None:
            continue
        dimension, unit = what
        low = float(match.group("low"))
        high = float(match.group("high") or low)
        if match.group("high") is None and _BETWEEN.search(window):
            continue
        bound, end = _bound(text, match.start(), match.end(), window)
        if dimension == "time":
            low, high = low * _HOURS_PER_YEAR, high * _HOURS_PER_YEAR
        bound = "exact" if high != low else bound
        found.append(Quantity(low=min(low, high), high=max(low, high), dimension=dimension, unit=unit,
                              bound=bound, start=match.start(), end=end, text=text[match.start():end].strip(),
                              core_end=match.end(), role="measure" if dimension == "count" else ""))
    return found


_PRESSURE = re.compile(r"(?<![\w./-])(?P<sys>\d{2,3})\s*/\s*(?P<dia>\d{2,3})(?P<unit>\s*mm\s?Hg)?(?![\w/-]|[.,]\d)",
                       re.IGNORECASE)
_PRESSURE_WORDS = re.compile(r"\b(?:blood pressure|bp|reading|readings|systolic|diastolic)\b", re.IGNORECASE)


def pressures(text: str) -> list[Quantity]:
    """Blood pressure readings ("140/90 mmHg or higher", "a reading of up to 150/100"): the top and
    the bottom number, each a measure of its own, with the reading's bound."""
    found = []
    for match in _PRESSURE.finditer(text):
        top, bottom = int(match.group("sys")), int(match.group("dia"))
        said = match.group("unit") or _PRESSURE_WORDS.search(_window(text, match.start()))
        if not said or not (70 <= top <= 260 and 40 <= bottom <= 160 and bottom < top):
            continue
        bound, end = _bound(text, match.start(), match.end(), _window(text, match.start()))
        for value, unit in ((top, "systolic"), (bottom, "diastolic")):
            found.append(Quantity(low=float(value), high=float(value), dimension="pressure", unit=unit, bound=bound,
                                  start=match.start(), end=end, text=text[match.start():end].strip(),
                                  core_end=match.end(), role="measure"))
    return found


__all__ = ["measures", "is_age", "pressures"]


def in_molar_units(text: str, amounts: list[Quantity]) -> list[Quantity]:
    """Levels in mg/dL of an analyte the text names, given in mmol/L ("below 72 mg/dL" of blood
    sugar is "below 4.0 mmol/L"), so that both units of one level compare; other amounts unchanged."""
    if not any(q.unit == "mg/dl" for q in amounts):
        return amounts
    kinds = load("kinds")
    said = set(words(text))
    named = [factor for analyte, factor in kinds["conversions"].items()
             if said & ({analyte} | set(kinds["kinds"].get(analyte, ())))]  # "blood sugar" names glucose
    if len(named) != 1:
        return amounts  # no analyte, or two: the unit cannot be converted safely
    factor = named[0]
    return [dataclasses.replace(q, low=q.low / factor, high=q.high / factor, unit="mmol/l",
                                alternatives=tuple(v / factor for v in q.alternatives)) if q.unit == "mg/dl" else q
            for q in amounts]

