"""Numbers with units, read out of a statement.

Quantities are normalised with pint to one unit per dimension (hours, milligrams, millilitres,
degrees Celsius), so "2 days" and "48 hours", or "38 °C" and "100.4 °F", compare equal.

Phone numbers, clock times and opening hours are read by :mod:`checker.schedule`; they are
imported here too, so that ``from checker.quantities import phones`` and the like keep working.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from checker.doses import units_of_dose
from checker.periods import PER, per_before, per_label
from checker.lexicon import load
from checker.schedule import ClockTime, Hours, Phone, clock_times, opening_hours, phones, same_number


_NUMERIC = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+"


@dataclass(frozen=True)
class Quantity:
    """An amount in canonical units. ``low``/``high`` bound the value; ``bound`` says how to read
    it: ``exact`` (also ranges and alternatives), ``min`` (at least), ``max`` (no more than)."""

    low: float
    high: float
    dimension: str
    unit: str
    bound: str
    start: int
    end: int
    text: str
    per: str = ""
    relation: str = ""
    role: str = ""
    interval: bool = False
    core_end: int = -1
    alternatives: tuple[float, ...] = ()

    @property
    def key(self) -> tuple[str, str, str, bool]:
        return (self.dimension, self.unit if self.dimension == "count" else "", self.per, self.interval)


@dataclass
class _Units:
    surface: dict[str, tuple[str, str]] = field(default_factory=dict)
    pattern: re.Pattern[str] | None = None


@lru_cache(maxsize=1)
def _units() -> _Units:
    table = load("units")["units"]
    surface = {key.lower(): (value[0], value[1]) for key, value in table.items() if not key.startswith("_")}
    forms = sorted(surface, key=len, reverse=True)
    body = "|".join(re.escape(form) for form in forms)
    pattern = re.compile(rf"\s?(?:{body})(?![\w°])", re.IGNORECASE)
    return _Units(surface, pattern)


@lru_cache(maxsize=1)
def _number_words() -> tuple[dict[str, float], re.Pattern[str]]:
    lexicon = load("numbers")
    table = {**{k: float(v) for k, v in lexicon["words"].items()}, **{k: float(v) for k, v in lexicon["times"].items()}}
    body = "|".join(re.escape(word) for word in sorted(table, key=len, reverse=True))
    return table, re.compile(rf"(?<![\w-])(?:{body})(?![\w-])", re.IGNORECASE)


@lru_cache(maxsize=None)
def _factor(unit: str, dimension: str) -> float:
    canonical = load("units")["canonical"].get(dimension)
    if not canonical or canonical == unit:
        return 1.0
    return float(_registry().Quantity(1.0, unit).to(canonical).magnitude)


@lru_cache(maxsize=1)
def _registry():
    import pint

    return pint.UnitRegistry()


@lru_cache(maxsize=4096)
def _to_canonical(value: float, unit: str, dimension: str) -> tuple[float, str]:
    canonical = load("units")["canonical"].get(dimension, unit)
    if dimension == "temperature":
        registry = _registry()
        return float(registry.Quantity(value, getattr(registry, unit)).to(registry.degC).magnitude), canonical
    return value * _factor(unit, dimension), canonical


_EMERGENCY_NUMBER = re.compile(r"(?<![\w-])(?:911|999|112)(?![\w-])")

_LOWER_BOUND_BEFORE = re.compile(
    r"(?<![\w-])(?:at least|no less than|not less than|a minimum of|minimum of|minimum|min\.?|more than|over|greater than|"
    r"above|longer than|upwards of|not before|no sooner than|no earlier than|from|aged|older than|starting at)\s*$", re.IGNORECASE)
_UPPER_BOUND_BEFORE = re.compile(
    r"(?<![\w-])(?:at most|no more than|not more than|up to|a maximum of|maximum of|maximum|max\.?|fewer than|less than|"
    r"under|below|younger than|aged under|heavier than|lighter than|within|not exceeding|allows?|allowed|a limit of|limit of|limited to|limit|no longer than|shorter than|not to exceed|no later than|by)\s*$",
    re.IGNORECASE)
_STRICT_BEFORE = re.compile(r"(?<![\w-])(?:more than|over|greater than|above|longer than|fewer than|less than|under|below|"
                            r"shorter than)\s*$", re.IGNORECASE)
_NO_MORE = re.compile(r"\b(?:no|not)\s+(?:more|fewer|less|longer|shorter|later|sooner|earlier)\s+than\s*$", re.I)
_ROLE_BEFORE = re.compile(r"(?<![\w-])(?P<role>for|during|over|within|in|by|every|each|after)\s+(?:(?:the|a|an|at least|at most|"
                          r"up to|no more than|no less than|not more than|more than|less than|about|around|"
                          r"approximately|only|another|first|next|last|full)\s+)*$", re.IGNORECASE)
_NEGATED_MORE = re.compile(r"(?:not|n't|never|no)\s+(?:\w+\s+){0,3}(?:more than|over|exceed(?:ing)?|longer than|"
                           r"heavier than|larger than|bigger than|above|higher than)\s*$",
                           re.IGNORECASE)
# "don't take more than 1 g in one dose or more than four doses a day": the second bound is negated too
_NEGATED_MORE_LISTED = re.compile(r"(?:not|n't|never|no)\s+(?:\w+\s+){0,3}(?:more than|over|exceed(?:ing)?)\s+"
                                  r"[^.;:!?]{1,80}?\s(?:or|nor)\s+(?:more than|over)\s*$", re.IGNORECASE)
_AFTER_BOUND = re.compile(r"\s*(?P<b>or more|or higher|or above|or greater|or over|or longer|\+|and over|and older|"
                          r"and above|and up|or less|or fewer|or lower|or below|or under|or younger|or shorter|"
                          r"or sooner|at most|at the most|maximum|max|minimum|at least)\b", re.IGNORECASE)
_RELATION = re.compile(r"\s*(?:of\s+\w+\s+)?(?P<rel>before|prior to|ahead of|in advance|after|following|from|since|"
                       r"later|earlier|ago|afterward|afterwards|beforehand)\b", re.IGNORECASE)
_ALWAYS_OPEN = re.compile(r"\(?open 24 hours\)?|\(24 hours\)|24 hours a day|24/7|around the clock|24 hours, 7 days", re.IGNORECASE)
_EVERY_BEFORE = re.compile(r"(?:every|each|once every)\s*$", re.IGNORECASE)
_SKIP_WORDS = {"wet", "full", "whole", "more", "or", "extra", "small", "smaller", "large", "larger", "separate",
               "different", "new", "additional", "other", "dirty", "soiled", "loose", "watery", "of", "the", "short"}
_NOT_COUNT = {"and", "to", "at", "on", "in", "a", "an", "is", "are", "was", "with", "for", "by", "if", "per", "each",
              "below", "above", "under", "over", "higher", "lower", "mean", "means", "then", "but", "so",
              "st", "nd", "rd", "th", "percent", "of", "from", "until", "after", "before", "or", "more", "less"}
_AND_A_HALF = re.compile(r"\s+and\s+a\s+half\b", re.IGNORECASE)
_FILLER = re.compile(r"\s+(?:full|whole|entire|complete|more|additional|extra|straight|consecutive)(?=\s)", re.IGNORECASE)
_ONCE_CONTEXT = re.compile(r"(?:more than|at least|at most|no more than|only|just|than|exactly)\s*$", re.IGNORECASE)
_MONTHS = re.compile(r"(?:january|february|march|april|may|june|july|august|september|october|november|december|"
                     r"jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\.?\s*$", re.IGNORECASE)


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        for index in range(start, end):
            chars[index] = " "
    return "".join(chars)


def _number_at(text: str, position: int) -> tuple[float, int] | None:
    numeric = re.compile(_NUMERIC)
    match = numeric.match(text, position)
    if match:
        return float(match.group(0).replace(",", "")), match.end()
    table, pattern = _number_words()
    match = pattern.match(text, position)
    if match:
        return table[match.group(0).lower()], match.end()
    return None


@lru_cache(maxsize=1)
def _number_start() -> re.Pattern[str]:
    table, _ = _number_words()
    words = "|".join(re.escape(word) for word in sorted(table, key=len, reverse=True))
    articles = "|".join(re.escape(a) for a in sorted(load("numbers")["article_units"], key=len, reverse=True))
    return re.compile(rf"(?<![\w.,:/-])(?:(?P<num>{_NUMERIC})|(?P<word>{words})|(?P<art>{articles}))(?![\w])",
                      re.IGNORECASE)


def _unit_at(text: str, position: int) -> tuple[str, str, int] | None:
    units = _units()
    match = units.pattern.match(text, position)
    if not match:
        return None
    surface = match.group(0).strip().lower()
    unit, dimension = units.surface[surface]
    if surface in {"c", "f", "m", "l", "h"} and match.group(0).startswith(" "):
        return None  # "2 c" is rarely Celsius; only "38C"/"38 °C" count
    return unit, dimension, match.end()


def _count_noun(text: str, position: int) -> tuple[str, int] | None:
    cursor = position
    for _ in range(3):
        match = re.compile(r"\s*([A-Za-z][A-Za-z-]*)").match(text, cursor)
        if not match:
            return None
        word = match.group(1)
        lower = word.lower()
        if lower in _SKIP_WORDS:
            cursor = match.end()
            continue
        if lower in _NOT_COUNT or word[0].isupper():
            return None
        noun = lower[:-1] if lower.endswith("s") and not lower.endswith("ss") else lower
        return noun, match.end()
    return None


_ASIDE = re.compile(r"\s*\([^()]{1,40}\)")
_OR_TWO = re.compile(r"\s+or\s+(?:two|2|so)\b", re.IGNORECASE)
_JOINER = re.compile(r"\s*(?:(?P<range>-|–|to)|(?P<alt>or))\s*", re.IGNORECASE)
_BETWEEN_JOINER = re.compile(r"\s*(?:(?P<range>-|–|to|and)|(?P<alt>or))\s*", re.IGNORECASE)
_BETWEEN_BEFORE = re.compile(r"\bbetween\s+$", re.IGNORECASE)


def quantities(text: str) -> list[Quantity]:
    """Every amount in ``text``: value (or range or alternatives), unit, bound, per-period,
    and whether it is a delay "before"/"after" something. Phone numbers and clock times are skipped."""
    masked = _mask(text, [(p.start, p.end) for p in phones(text)] + [(c.start, c.end) for c in clock_times(text)])
    masked = _EMERGENCY_NUMBER.sub(lambda m: " " * len(m.group(0)), masked)
    masked = _ALWAYS_OPEN.sub(lambda m: " " * len(m.group(0)), masked)
    found: list[Quantity] = []
    position = 0
    pattern = _number_start()
    while True:
        match = pattern.search(masked, position)
        if not match:
            break
        quantity = _read_quantity(text, masked, match)
        if quantity is None:
            position = match.end()
            continue
        while found and found[-1].end > quantity.start:
            found.pop()  # "2 x" read alone, then as the count of "2 x 200 mg capsules"
        found.append(quantity)
        position = max(quantity.end, match.end())
    return found


def _read_quantity(text: str, masked: str, match: re.Match[str]) -> Quantity | None:
    start = match.start()
    if match.group("art"):
        values, cursor = [1.0], match.end()
    else:
        first = _number_at(masked, start)
        if first is None:
            return None
        values, cursor = [first[0]], first[1]
    if _MONTHS.search(masked[max(0, start - 12):start]):
        return None
    half = _AND_A_HALF.match(masked, cursor)
    if half and not match.group("art"):
        values[-1] += 0.5
        cursor = half.end()
    bound_hint = ""
    alternatives = False
    filler = _FILLER.match(masked, cursor)
    if filler and _unit_at(masked, filler.end()):
        cursor = filler.end()
    # "between 1.2 and 1.5 mmol/L" is a range like "1.2-1.5 mmol/L"
    joiner = _BETWEEN_JOINER if _BETWEEN_BEFORE.search(masked, max(0, start - 12), start) else _JOINER
    unit_first = _unit_at(masked, cursor)
    join = joiner.match(masked, unit_first[2] if unit_first else cursor)
    if join:
        second = _number_at(masked, join.end())
        if second is not None:
            second_unit = _unit_at(masked, second[1])
            if unit_first is None or (second_unit and second_unit[1] == unit_first[1]):
                values.append(second[0])
                cursor = second[1]
                alternatives = bool(join.group("alt"))
        elif join.group("alt"):
            more = re.compile(r"\s*or\s+(?:more|higher|above|greater|over)\b", re.IGNORECASE).match(masked, cursor)
            less = re.compile(r"\s*or\s+(?:less|lower|below|under|fewer)\b", re.IGNORECASE).match(masked, cursor)
            if more:
                bound_hint, cursor = "min", more.end()
            elif less:
                bound_hint, cursor = "max", less.end()
    unit = _unit_at(masked, cursor)
    interval = bool(_EVERY_BEFORE.search(masked[max(0, start - 14):start]))
    if unit is not None:
        unit_name, dimension, cursor = unit
        or_two = _OR_TWO.match(masked, cursor) if match.group("art") and len(values) == 1 else None
        if or_two:  # "a week or two", "an hour or so": one to two of the unit
            values, cursor = [1.0, 2.0], or_two.end()
        trailing_half = _AND_A_HALF.match(masked, cursor)
        if trailing_half and len(values) == 1 and not half:
            values[0] += 0.5
            cursor = trailing_half.end()
        units_of = units_of_dose(masked, start, cursor) if dimension == "mass" and len(values) == 1 else None
        if units_of:  # "two 500 mg tablets" is a 1 g dose
            values, start, cursor = [values[0] * units_of[0]], units_of[1], units_of[2]
        low, canonical = _to_canonical(min(values), unit_name, dimension)
        high, _ = _to_canonical(max(values), unit_name, dimension)
        converted = tuple(_to_canonical(v, unit_name, dimension)[0] for v in values) if alternatives else ()
    else:
        spelled = masked[start:cursor].strip().lower()
        table = load("numbers")["times"]
        if spelled in table:
            if spelled == "once" and not (_ONCE_CONTEXT.search(masked[max(0, start - 20):start])
                                          or PER.match(masked, cursor)):
                return None
            dimension, canonical = "count", "time"
        else:
            noun = _count_noun(masked, cursor)
            if noun is None or match.group("art"):
                return None
            canonical, cursor = noun
            dimension = "count"
            if canonical == "time" and re.search(r"\bat\s*$", masked[max(0, start - 4):start]):
                return None
        low, high = min(values), max(values)
        converted = tuple(values) if alternatives else ()
    if match.group("art") and (dimension != "time" or canonical == "second" or
                               masked[start:cursor].lower().rstrip().endswith("second")):
        return None
    window_start = max(0, start - 40)
    before = masked[window_start:start]
    bound = "exact"
    strict = False
    span_start = start
    negated = _NEGATED_MORE.search(before) or _NEGATED_MORE_LISTED.search(masked[max(0, start - 120):start])
    upper = negated or _UPPER_BOUND_BEFORE.search(before)
    lower = None if upper else _LOWER_BOUND_BEFORE.search(before)
    if upper:
        bound = "max"
        strict = (bool(_STRICT_BEFORE.search(before)) and not negated
                  and not _NO_MORE.search(before))
        span_start = window_start + _UPPER_BOUND_BEFORE.search(before).start() if _UPPER_BOUND_BEFORE.search(before) else start
    elif lower:
        bound = "min"
        strict = bool(_STRICT_BEFORE.search(before)) and not _NO_MORE.search(before)
        span_start = window_start + lower.start()
    after = _AFTER_BOUND.match(masked, cursor)
    if after:
        word = after.group("b").lower()
        bound = "min" if word in {"or more", "or higher", "or above", "or greater", "or over", "or longer", "+",
                                  "and over", "and older", "and above", "and up", "minimum", "at least"} else "max"
        cursor = after.end()
    elif bound_hint:
        bound = bound_hint
    if alternatives:
        bound = "exact"
    core_end = cursor
    per = ""
    aside = _ASIDE.match(masked, cursor)  # "2 litres (roughly 64 ounces) of fluid every day"
    per_match = PER.match(masked, cursor) or (PER.match(masked, aside.end()) if aside else None)
    if per_match and not interval:
        per = per_label(per_match)
        cursor = per_match.end() if per_match.start() == cursor else cursor
        late = _AFTER_BOUND.match(masked, cursor)  # "one drink a day at most"
        if late and not after and late.group("b").lower() in {"at most", "at the most", "maximum", "max",
                                                               "at least", "minimum"}:
            bound = "min" if late.group("b").lower() in {"at least", "minimum"} else "max"
            cursor = late.end()
    wide = masked[max(0, start - 100):start]
    stated_limit = bound == "exact" and bool(_THE_MOST.search(wide))
    if stated_limit:
        bound = "max"  # "the most you should take in one day is 3 g"
    if not per:
        per = per_before(wide)
    relation_match = _RELATION.match(masked, cursor)
    relation = ""
    if relation_match:
        word = relation_match.group("rel").lower()
        relation = "before" if word in {"before", "prior to", "ahead of", "earlier", "beforehand", "in advance"} else "after"
    role = relation or _role(before) or ("stated_limit" if stated_limit else "")
    if role == "interval" and _AT_LEAST_EVERY.search(before):
        bound = "max"  # "at least every 12 weeks": as often as that or more, so never longer apart
    if strict and (dimension == "count" or canonical == "hour" and per and _is_whole_days(text, start, cursor)):
        low, high = _strict_to_whole(bound, low, high, dimension)
    return Quantity(low=low, high=high, dimension=dimension, unit=canonical, bound=bound, start=span_start,
                    end=cursor, text=text[span_start:cursor], per=per, relation=relation, role=role,
                    interval=interval, core_end=core_end,
                    alternatives=converted)


_AT_LEAST_EVERY = re.compile(r"\b(?:at least|no less often than)\s+(?:once\s+)?(?:every|each)\s+(?:\w+\s+)?$", re.IGNORECASE)
_THE_MOST = re.compile(r"\bthe (?:most|maximum)\b[^.;:]{0,80}\b(?:is|are)\s*$", re.IGNORECASE)
def _role(before: str) -> str:
    """What a time is: how long something lasts ("for 2 days") or a deadline ("within 2 days")."""
    match = _ROLE_BEFORE.search(before)
    if not match:
        return ""
    word = match.group("role").lower()
    return {"for": "duration", "during": "duration", "over": "duration", "within": "deadline", "in": "deadline",
            "by": "deadline", "every": "interval", "each": "interval", "after": "after"}[word]


def _is_whole_days(text: str, start: int, end: int) -> bool:
    return bool(re.search(r"\bdays?\b", text[start:end], re.IGNORECASE))


def _strict_to_whole(bound: str, low: float, high: float, dimension: str) -> tuple[float, float]:
    """Whole things are counted whole: "fewer than 10 days" is at most 9, "more than once" at least 2."""
    step = 24.0 if dimension == "time" else 1.0
    if bound == "max":
        return low - step, high - step
    return low + step, high + step
