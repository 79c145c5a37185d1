"""Numeric contradictions: the same amount, limit or rate given as different numbers, and the
checks the judge uses to tell a restatement or two cases of one rule from a clash."""
from __future__ import annotations

import math
import re
from functools import lru_cache

from checker.actions import different_actions, same_moment
from checker.detectors.base import PairContext, Verdict, _clause_words, _close, _generics, _shares_subject, measured
from checker.facts import Clause, Facts, content
from checker.lexicon import load
from checker.measures import is_age
from checker.quantities import Quantity


# --- numeric -------------------------------------------------------------------------------

def _rate(quantity: Quantity) -> tuple[float, float] | None:
    """Events per hour for "every 6 hours" and "4 times a day"."""
    if quantity.interval and quantity.dimension == "time" and quantity.low > 0:
        return 1.0 / quantity.high, 1.0 / quantity.low
    hours = {"hour": 1.0, "day": 24.0, "week": 168.0, "fortnight": 336.0, "month": 730.5}.get(quantity.per)
    if quantity.dimension == "count" and quantity.unit in {"time", "dose"} and hours:  # "4 doses in 24 hours"
        return quantity.low / hours, quantity.high / hours
    return None


_ROLE_GROUPS = {"duration": "span", "after": "span", "before": "before", "deadline": "deadline", "interval": "interval",
                "measure": "measure", "stated_limit": "stated_limit"}


def _comparable(a: Quantity, b: Quantity) -> bool:
    if (_rate(a) is None) != (_rate(b) is None):
        return False
    if _rate(a) is not None:
        return True
    if a.key != b.key:
        return False
    return not a.role or not b.role or _ROLE_GROUPS[a.role] == _ROLE_GROUPS[b.role]


def _clause_stems(facts: Facts, quantity: Quantity) -> frozenset[str]:
    """Words of the clause holding a quantity, the quantity's own words left out, and the generic
    names of the clause's drugs, so that a brand ("Macrobid ... for 5 days") and its generic
    ("nitrofurantoin ... for 3 days") are one subject."""
    clause = _clause_of(facts, quantity)
    levels = measured(facts, clause.start, clause.end) if clause else measured(facts)
    return _clause_words(facts, quantity.start, content(quantity.text)) | _clause_drugs(facts, quantity) | levels


def _clause_drugs(facts: Facts, quantity: Quantity) -> frozenset[str]:
    clause = _clause_of(facts, quantity)
    return _generics(facts, clause.start, clause.end) if clause else _generics(facts)


def _clause_of(facts: Facts, quantity: Quantity) -> Clause | None:
    """The clause holding a quantity (None in a statement the clause reader left without one there)."""
    return next((c for c in facts.clauses if c.start <= quantity.start < c.end), None)


def _other_drugs(doc: Facts, dq: Quantity, src: Facts, sq: Quantity) -> bool:
    """"Macrobid 100 mg" and "trimethoprim 200 mg" are doses of two drugs, whatever else both name."""
    a, b = _clause_drugs(doc, dq), _clause_drugs(src, sq)
    return bool(a) and bool(b) and not a & b


def _interval(quantity: Quantity) -> tuple[float, float]:
    rate = _rate(quantity)
    low, high = rate if rate else (quantity.low, quantity.high)
    bound = quantity.bound
    if rate and quantity.interval:  # "at least every 4 hours" is at most 4 hours apart: at least that often
        bound = {"min": "max", "max": "min"}.get(bound, bound)
    if bound == "min":
        return low, math.inf
    if bound == "max":
        return -math.inf, high
    return low, high


def _within(inner: tuple[float, float], outer: tuple[float, float]) -> bool:
    return (inner[0] >= outer[0] or _close(inner[0], outer[0])) and (inner[1] <= outer[1] or _close(inner[1], outer[1]))


_MAX_RATIO = 20.0


def _far_apart(a: Quantity, b: Quantity) -> bool:
    """Values that differ twenty-fold are two different rules, not one rule misquoted. Rates
    ("once a fortnight", "every 7 days") are compared as rates, not as their raw numbers."""
    a_values, b_values = _rate(a) or (a.low, a.high), _rate(b) or (b.low, b.high)
    low = min(abs(value) for value in a_values + b_values)
    high = max(abs(value) for value in a_values + b_values)
    return a.dimension != "temperature" and low > 0 and high / low > _MAX_RATIO


def _clause_stance(facts: Facts, quantity: Quantity) -> str:
    clause = _clause_of(facts, quantity)
    return clause.stance if clause else "assert"


def _numbers_conflict(doc: Quantity, src: Quantity, authoritative: bool, trigger: bool) -> bool:
    if src.alternatives or doc.alternatives:
        allowed = src.alternatives or (src.low, src.high)
        values = doc.alternatives or (doc.low, doc.high)
        return not all(any(_close(v, a) for a in allowed) for v in values) and doc.bound == src.bound == "exact"
    d, s = _interval(doc), _interval(src)
    if trigger or not authoritative:
        return not (_close(d[0], s[0]) or d[0] == s[0]) or not (_close(d[1], s[1]) or d[1] == s[1])
    return not _within(d, s)


def _other_acts(doc: Facts, dq: Quantity, src: Facts, sq: Quantity) -> bool:
    """"Avoid eye make-up for a month" and "wear the eye shield for 1 week" time different acts."""
    return different_actions(_clause_text(doc, dq), _clause_text(src, sq))


def _clause_text(facts: Facts, quantity: Quantity) -> str:
    clause = _clause_of(facts, quantity)
    return facts.text[clause.start:clause.end] if clause else facts.text


@lru_cache(maxsize=1)
def _relation_words() -> frozenset[str]:
    """"before", "beforehand", "after": the cue itself is not the moment it points to."""
    cues = load("cues")
    return frozenset(content(" ".join(cues["before"] + cues["after"])))


def _same_anchor(doc: Facts, dq: Quantity, src: Facts, sq: Quantity) -> bool:
    """"An hour before your first drink" and "2 hours before your appointment" count from two
    different moments: both offsets must point to one event to be compared."""
    return not dq.relation or not sq.relation or same_moment(doc, dq.end, src, sq.end, _relation_words())


def _someones_age(facts: Facts, quantity: Quantity) -> bool:
    """"Mrs T., aged 66": one exact age describes a person; rules about ages give a bound or a range."""
    return quantity.bound == "exact" and quantity.low == quantity.high and is_age(facts.text, quantity)


def _pairs(doc: Facts, src: Facts) -> list[tuple[Quantity, list[Quantity]]]:
    """Each document quantity with the source quantities that measure the same thing."""
    pairs = []
    for dq in doc.quantities:
        comparable = [sq for sq in src.quantities if _comparable(dq, sq) and not _far_apart(dq, sq)
                      and _in_condition(doc, dq) == _in_condition(src, sq)
                      and _clause_stems(doc, dq) & _clause_stems(src, sq)
                      and {_clause_stance(doc, dq), _clause_stance(src, sq)} != {"oblige", "forbid"}
                      and not (_someones_age(doc, dq) and _someones_age(src, sq))
                      and _same_anchor(doc, dq, src, sq) and not _other_acts(doc, dq, src, sq)
                      and not _other_drugs(doc, dq, src, sq)]
        if comparable:
            pairs.append((dq, comparable))
    return pairs


def _conflicting(doc: Facts, src: Facts, dq: Quantity, sq: Quantity, authoritative: bool) -> bool:
    trigger = (doc.is_conditional or bool(doc.escalations)) and (src.is_conditional or bool(src.escalations))
    threshold = trigger and _is_threshold(doc, dq) and _is_threshold(src, sq)
    # a measured value or target range ("TSH 1 to 2" vs "0.5 to 4") is one value, not a limit to stay inside
    exact = (threshold or (dq.role == sq.role == "measure" and dq.bound == sq.bound == "exact")
             # "the most you should take is 3 g" states what the limit is: another limit contradicts it,
             # while "take no more than 3 g" is advice that may stay inside a 4 g limit
             or ("stated_limit" in (dq.role, sq.role) and dq.bound == sq.bound == "max"))
    return _numbers_conflict(dq, sq, authoritative, exact)


def _count_unit(quantity: Quantity) -> str:
    """"Four doses a day" and "four times a day" count the same thing."""
    return "time" if quantity.unit == "dose" else quantity.unit


def _quoted(quantity: Quantity, other: Facts) -> bool:
    """The other statement gives this very amount somewhere: the number is quoted, not changed."""
    return any(q.dimension == quantity.dimension and (q.dimension != "count" or _count_unit(q) == _count_unit(quantity))
               and _close(q.low, quantity.low) and _close(q.high, quantity.high) and q.per == quantity.per
               for q in other.quantities)  # "once daily" does not quote "once a week"


def agrees(doc: Facts, src: Facts) -> bool:
    """True when the two statements give the same number for the same thing: a restatement."""
    if not _shares_subject(doc, src):
        return False
    verdicts = [_conflicting(doc, src, dq, sq, True) for dq, comparable in _pairs(doc, src) for sq in comparable]
    return bool(verdicts) and not any(verdicts)


def numeric(doc: Facts, src: Facts, ctx: PairContext) -> Verdict | None:
    if not doc.quantities or not src.quantities:
        return None
    shared = _shares_subject(doc, src)
    if not shared or not _same_drugs(doc, src):
        return None
    restated = {dq.dimension for dq, _ in _pairs(doc, src) if _quoted(dq, src)}
    for dq, comparable in _pairs(doc, src):
        if _quoted(dq, src) or (dq.dimension in restated and not _limit_counterpart(dq, comparable)):
            continue  # "your 1 litre is about five 200 ml cups" restates the rule, then explains it
        conflicts = [sq for sq in comparable if _conflicting(doc, src, dq, sq, not ctx.doc_vs_doc)
                     and not _about_the_same_in_months(dq, sq)]
        if len(conflicts) < len(comparable) or any(
                not _conflicting(doc, src, same, sq, not ctx.doc_vs_doc)
                for same in _equivalents(doc, dq) for sq in comparable):
            continue
        sq = min(conflicts, key=lambda q: (q.bound != dq.bound, q.unit != dq.unit))  # the like-for-like limit
        severity = "high" if dq.dimension in {"mass", "volume"} or _is_threshold(doc, dq) else "medium"
        return Verdict("numeric", 0.9, f"{dq.text} vs {sq.text}", ((dq.start, dq.end),),
                       ((sq.start, sq.end),), (("document", dq.text), ("source", sq.text)), severity)
    return None


_IN_BRACKETS = re.compile(r"\s*\(\s*")


def _equivalents(facts: Facts, quantity: Quantity) -> list[Quantity]:
    """The same amount given again in brackets in another unit ("5 to 6 fl oz (150 to 175 mL)"): one
    amount, so a clash needs both forms to clash (the converted one is often rounded)."""
    found = []
    for other in facts.quantities:
        if other is quantity or other.dimension != quantity.dimension:
            continue
        first, second = (quantity, other) if quantity.start < other.start else (other, quantity)
        if _IN_BRACKETS.fullmatch(facts.text[first.end:second.start]):
            found.append(other)
    return found


def _limit_counterpart(dq: Quantity, comparable: list[Quantity]) -> bool:
    """A limit faces a limit of the same kind and unit ("a maximum of 20 puffs" vs "a maximum of 10
    puffs"): it is a second rule, not an explanation of a quoted amount, even where "1 puff" is quoted."""
    return dq.bound != "exact" and any(sq.bound == dq.bound and sq.unit == dq.unit for sq in comparable)


_MONTH = re.compile(r"\bmonths?\b", re.IGNORECASE)
_MONTH_TOLERANCE = 0.1


def _about_the_same_in_months(a: Quantity, b: Quantity) -> bool:
    """A month is four weeks in everyday speech: "for a month" and "for 4 weeks", "within 12
    weeks" and "within 3 months" give one rule, however the calendar counts."""
    if not (_MONTH.search(a.text) or _MONTH.search(b.text)):
        return False
    if _rate(a) and _rate(b):  # "every four weeks" and "once a month"
        pairs = zip(_rate(a), _rate(b))
    elif a.dimension == "time":
        pairs = zip((a.low, a.high), (b.low, b.high))
    else:
        return False
    return all(math.isclose(x, y, rel_tol=_MONTH_TOLERANCE) for x, y in pairs)


def different_cases(doc: Facts, src: Facts) -> bool:
    """Both statements are conditional on one measure and their conditions cannot both hold
    ("if your eGFR is below 30, ..." vs "if your eGFR is 30 or above, ..."): two cases of one
    rule, not a clash."""
    for dq in doc.quantities:
        if not _in_condition(doc, dq):
            continue
        for sq in src.quantities:
            if (_in_condition(src, sq) and _comparable(dq, sq) and _clause_stems(doc, dq) & _clause_stems(src, sq)
                    and _disjoint(_interval(dq), _interval(sq))):
                return True
    return False


def _disjoint(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """Apart, or meeting only at the edge where one is an upper and the other a lower bound."""
    if a[1] < b[0] or b[1] < a[0]:
        return True
    return (_close(a[1], b[0]) and math.isinf(a[0]) and math.isinf(b[1])) or (
        _close(b[1], a[0]) and math.isinf(b[0]) and math.isinf(a[1]))


def _in_condition(facts: Facts, quantity: Quantity) -> bool:
    return any(c.stance == "condition" and c.start <= quantity.start < c.end for c in facts.clauses)


def _is_threshold(facts: Facts, quantity: Quantity) -> bool:
    """A number that decides when to act ("if it is below 70 mg/dL, call"): any change to it matters."""
    return quantity.dimension in {"temperature", "count"} or _in_condition(facts, quantity)


def _same_drugs(a: Facts, b: Facts) -> bool:
    drugs_a = {d.generic for d in a.drugs if d.generic}
    drugs_b = {d.generic for d in b.drugs if d.generic}
    return not drugs_a or not drugs_b or bool(drugs_a & drugs_b)
