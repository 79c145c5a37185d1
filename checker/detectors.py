"""One detector per kind of contradiction. Each takes the facts of a document statement and of
its aligned source statement and returns a :class:`Verdict` or None.

A detector's ``confidence`` says how sure the rule itself is; the judge folds in how closely the
two statements were aligned to make the finding's score.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Sequence

from rapidfuzz import fuzz

from checker.facts import GENERIC, NEGATIVE, POSITIVE, Clause, Facts, content, matcher_for_escalation, polarity
from checker.lexicon import content_stems, load, stem, words
from checker.quantities import Hours, Quantity, same_number

_TOLERANCE = 0.006
_ANCHORS = frozenset("surgery procedure operation appointment arrival arriv visit discharge colonoscopy admission "
                     "first second last then scan test".split())
_STRONG_CLASSES = frozenset({"nsaid", "opioid", "butalbital combination", "triptan", "anticoagulant", "antiplatelet",
                             "salicylate", "benzodiazepine", "steroid", "antibiotic", "blood thinner",
                             "reliever inhaler", "preventer inhaler", "stimulant laxative", "stool softener"})


@dataclass(frozen=True)
class Verdict:
    kind: str
    confidence: float
    explanation: str
    doc_spans: tuple[tuple[int, int], ...]
    source_spans: tuple[tuple[int, int], ...]
    facts: tuple[tuple[str, str], ...]
    severity: str = "medium"


@dataclass(frozen=True)
class PairContext:
    similarity: float
    doc_vs_doc: bool


def _subject(facts: Facts, skip: list[tuple[int, int]]) -> frozenset[str]:
    """Informative words outside the given spans: what the statement is about."""
    text = list(facts.text)
    for start, end in skip:
        for index in range(start, end):
            text[index] = " "
    return content("".join(text)) - GENERIC - _ANCHORS


def _shares_subject(a: Facts, b: Facts, minimum: int = 1) -> frozenset[str]:
    skip_a = [(q.start, q.core_end) for q in a.quantities]
    skip_b = [(q.start, q.core_end) for q in b.quantities]
    shared = _subject(a, skip_a) & _subject(b, skip_b)
    return shared if len(shared) >= minimum else frozenset()


# --- numeric -------------------------------------------------------------------------------

def _rate(quantity: Quantity) -> tuple[float, float] | None:
    """Events per hour for "every 6 hours" and "4 times a day"."""
    if quantity.interval and quantity.dimension == "time" and quantity.low > 0:
        return 1.0 / quantity.high, 1.0 / quantity.low
    hours = {"hour": 1.0, "day": 24.0, "week": 168.0, "month": 730.5}.get(quantity.per)
    if quantity.dimension == "count" and quantity.unit == "time" and hours:
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
    """Words of the clause holding a quantity (the whole statement when that clause says little)."""
    for clause in facts.clauses:
        if clause.start <= quantity.start < clause.end:
            stems = content(facts.text[clause.start:clause.end]) - content(quantity.text)
            return stems if len(stems) >= 2 else facts.stems
    return facts.stems


def _interval(quantity: Quantity) -> tuple[float, float]:
    rate = _rate(quantity)
    low, high = rate if rate else (quantity.low, quantity.high)
    if quantity.bound == "min":
        return low, math.inf
    if quantity.bound == "max":
        return -math.inf, high
    return low, high


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=_TOLERANCE, abs_tol=1e-9)


def _within(inner: tuple[float, float], outer: tuple[float, float]) -> bool:
    return (inner[0] >= outer[0] or _close(inner[0], outer[0])) and (inner[1] <= outer[1] or _close(inner[1], outer[1]))


_MAX_RATIO = 20.0


def _far_apart(a: Quantity, b: Quantity) -> bool:
    """Values that differ twenty-fold are two different rules, not one rule misquoted."""
    low = min(abs(a.low), abs(b.low), abs(a.high), abs(b.high))
    high = max(abs(a.low), abs(b.low), abs(a.high), abs(b.high))
    return a.dimension != "temperature" and low > 0 and high / low > _MAX_RATIO


def _clause_stance(facts: Facts, quantity: Quantity) -> str:
    for clause in facts.clauses:
        if clause.start <= quantity.start < clause.end:
            return clause.stance
    return "assert"


def _numbers_conflict(doc: Quantity, src: Quantity, authoritative: bool, trigger: bool) -> bool:
    if src.alternatives or doc.alternatives:
        allowed = src.alternatives or (src.low, src.high)
        values = doc.alternatives or (doc.low, doc.high)
        return not all(any(_close(v, a) for a in allowed) for v in values) and doc.bound == src.bound == "exact"
    d, s = _interval(doc), _interval(src)
    if trigger or not authoritative:
        return not (_close(d[0], s[0]) or d[0] == s[0]) or not (_close(d[1], s[1]) or d[1] == s[1])
    return not _within(d, s)


def _pairs(doc: Facts, src: Facts) -> list[tuple[Quantity, list[Quantity]]]:
    """Each document quantity with the source quantities that measure the same thing."""
    pairs = []
    for dq in doc.quantities:
        comparable = [sq for sq in src.quantities if _comparable(dq, sq) and not _far_apart(dq, sq)
                      and _in_condition(doc, dq) == _in_condition(src, sq)
                      and _clause_stems(doc, dq) & _clause_stems(src, sq)
                      and {_clause_stance(doc, dq), _clause_stance(src, sq)} != {"oblige", "forbid"}]
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


def _quoted(quantity: Quantity, other: Facts) -> bool:
    """The other statement gives this very amount somewhere: the number is quoted, not changed."""
    return any(q.dimension == quantity.dimension and (q.dimension != "count" or q.unit == quantity.unit)
               and _close(q.low, quantity.low) and _close(q.high, quantity.high) for q in other.quantities)


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
        if _quoted(dq, src) or dq.dimension in restated:
            continue  # "your 1 litre is about five 200 ml cups" restates the rule, then explains it
        conflicts = [sq for sq in comparable if _conflicting(doc, src, dq, sq, not ctx.doc_vs_doc)
                     and not _about_the_same_in_months(dq, sq)]
        if len(conflicts) < len(comparable):
            continue
        sq = conflicts[0]
        severity = "high" if dq.dimension in {"mass", "volume"} or _is_threshold(doc, dq) else "medium"
        return Verdict("numeric", 0.9, f"{dq.text} vs {sq.text}", ((dq.start, dq.end),),
                       ((sq.start, sq.end),), (("document", dq.text), ("source", sq.text)), severity)
    return None


_MONTH = re.compile(r"\bmonths?\b", re.IGNORECASE)
_MONTH_TOLERANCE = 0.1


def _about_the_same_in_months(a: Quantity, b: Quantity) -> bool:
    """A month is four weeks in everyday speech: "for a month" and "for 4 weeks", "within 12
    weeks" and "within 3 months" give one rule, however the calendar counts."""
    if a.dimension != "time" or not (_MONTH.search(a.text) or _MONTH.search(b.text)):
        return False
    return all(math.isclose(x, y, rel_tol=_MONTH_TOLERANCE) for x, y in ((a.low, b.low), (a.high, b.high)))


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


# --- negation ------------------------------------------------------------------------------

def _negative_clauses(facts: Facts) -> list[Clause]:
    return [c for c in facts.clauses if polarity(c.stance) == NEGATIVE and c.objects]


def _drug_stems(facts: Facts) -> set[str]:
    stems: set[str] = set()
    for drug in facts.drugs:
        stems |= content(drug.name)
    return stems


def _covered(item: frozenset[str], stems: frozenset[str]) -> bool:
    """Most of one forbidden item ("hot tub", "water down formula") is named by the other statement."""
    return bool(item) and len(item & stems) / len(item) >= 0.5 and len(item & stems) >= min(2, len(item))


def _exception_for_subgroup(clause: Clause, negative: Facts, positive: Facts) -> bool:
    """"Controlled medicines can't be refilled online" restricts a subgroup the other statement never names."""
    subject_drugs = [d for d in negative.drugs if clause.start <= d.start < clause.cue_start]
    positive_drugs = {d.generic for d in positive.drugs} | set().union(*(d.classes for d in positive.drugs))
    return any(not ({d.generic} | d.classes) & positive_drugs for d in subject_drugs)


def _time_bounded(clause: Clause, facts: Facts) -> bool:
    return any(clause.start <= q.start < clause.end and q.dimension == "time" for q in facts.quantities)


_APPLICABILITY = re.compile(r"\b(?:does|do|doesn't|don't|will) not apply\b|\bdoes ?n[o']t apply\b", re.IGNORECASE)
_RESTRICTIVE = re.compile(r"\b(?:who|whose|that|which)\b", re.IGNORECASE)


def _different_conditions(doc: Facts, src: Facts) -> bool:
    """Both rules hold only under a condition, and the conditions share no word: two cases
    ("if you still have problems, tell ..." vs "if you have made a full recovery, no need to")."""
    return doc.is_conditional and src.is_conditional and bool(doc.condition) and bool(src.condition) and not (
        doc.condition & src.condition)


def _restricted_subject(clause: Clause, negative: Facts, positive: Facts) -> bool:
    """"Babies who have more than 500 ml of formula do not need ...": the rule is for a subgroup
    the other statement never names."""
    subject = negative.text[clause.start:clause.cue_start]
    match = _RESTRICTIVE.search(subject)
    if not match:
        return False
    restriction = content(subject[match.end():]) - GENERIC
    return bool(restriction) and not restriction & positive.stems


_DAYTIME = re.compile(r"\b(?:during the day|in the daytime|daytime|by day)\b", re.IGNORECASE)
_NIGHTTIME = re.compile(r"\b(?:at night|overnight|nights?|in bed|while you sleep|bedtime)\b", re.IGNORECASE)


def _day_or_night(text: str) -> set[str]:
    return ({"day"} if _DAYTIME.search(text) else set()) | ({"night"} if _NIGHTTIME.search(text) else set())


def negation(doc: Facts, src: Facts, ctx: PairContext) -> Verdict | None:
    if _APPLICABILITY.search(doc.text) or _APPLICABILITY.search(src.text) or _different_conditions(doc, src):
        return None  # "it does not apply to ..." says whom a rule is for, not what to do
    for negative, positive, negative_is_doc in ((src, doc, False), (doc, src, True)):
        for clause in _negative_clauses(negative):
            objects = clause.objects - _drug_stems(negative)
            if not objects:
                continue
            verdict = _opposed(clause, objects, negative, positive, negative_is_doc, ctx)
            if verdict:
                return verdict
    return None


_STANCE_ORDER = ("permit", "continue", "oblige", "assert")
_UNTIL = re.compile(r"\b(?:until|till|not before|no sooner than)\b", re.IGNORECASE)
_WEEKDAY = re.compile(r"\b(?:mon|tues|wednes|thurs|fri|satur|sun)days?\b|\bweekends?\b", 2)


_THIRD_PARTY = re.compile(
    r"\b(?:an? (?:adult|grown-up|friend|relative|family member|carer|caregiver|driver|nurse|doctor|pharmacist)|"
    r"someone|somebody|another person|your (?:driver|escort|carer|caregiver)|the (?:nurse|doctor|pharmacist|staff))\b",
    2)


def _third_party(facts: Facts, clause: Clause) -> bool:
    """"An adult must drive you home" obliges someone else, not the patient."""
    return bool(clause.cue and _THIRD_PARTY.search(facts.text[clause.start:clause.cue_start]))


def _surface(facts: Facts, stems: frozenset[str]) -> str:
    """The words of the statement behind some stems, as written."""
    seen = []
    for word in words(facts.text):
        if stem(word) in stems and word not in seen:
            seen.append(word)
    return ", ".join(seen) or ", ".join(sorted(stems))


def _positive_stance(facts: Facts) -> str | None:
    stances = {c.stance for c in facts.clauses if polarity(c.stance) == POSITIVE}
    return next((s for s in _STANCE_ORDER if s in stances), None)


def _opposed(clause: Clause, objects: frozenset[str], negative: Facts, positive: Facts, negative_is_doc: bool,
             ctx: PairContext) -> Verdict | None:
    stance = _positive_stance(positive)
    if stance is None:
        return None
    blocked = set().union(*(c.stems for c in positive.clauses if polarity(c.stance) != POSITIVE))
    free = [c for c in positive.clauses if polarity(c.stance) == POSITIVE and not _third_party(positive, c)]
    positive_stems = frozenset().union(*(c.stems for c in free)) - blocked
    hits = objects & positive_stems
    drugs = _drug_stems(negative)
    if not hits or not any(_covered(item - drugs - _ANCHORS, positive_stems) for item in clause.items):
        return None
    if stance == "assert" and ctx.similarity < 0.5:
        return None
    other = next(c for c in free if hits & c.stems)
    if _time_bounded(clause, negative) and any(_time_bounded(c, positive) for c in free):
        return None  # "not for 6 weeks" vs "after 3 weeks" is a numeric question
    if clause.stance == "cease" and stance == "oblige":
        return None  # "stop X" vs "take X" are sequential steps more often than a clash
    if _exception_for_subgroup(clause, negative, positive) or _restricted_subject(clause, negative, positive):
        return None
    if _day_or_night(negative.text[clause.start:clause.end]) ^ _day_or_night(positive.text) == {"day", "night"}:
        return None  # "wear it at night" and "no need to wear it during the day" split the day between them
    if _UNTIL.search(negative.text) and any(group == "after" for group, _, _ in positive.relations):
        return None  # "not until the stitches are out" is "once the stitches are out"
    if _WEEKDAY.search(negative.text[clause.start:clause.end]) and positive.hours:
        return None  # "closed on Sundays" beside opening hours is the schedule, not a clash
    neg_span, pos_span = (clause.cue_start, clause.end), (other.start, other.end)
    said = {"forbid": "forbidden", "cease": "stopped", "no_need": "not needed", "deny": "denied"}[clause.stance]
    allowed = {"permit": "allowed", "continue": "continued", "oblige": "required", "assert": "stated"}[stance]
    topic = _surface(negative, hits)
    doc_side, src_side = ((said, allowed) if negative_is_doc else (allowed, said))
    spans = (neg_span, pos_span) if negative_is_doc else (pos_span, neg_span)
    confidence = 0.85 if stance in {"permit", "continue"} else 0.75
    return Verdict("negation", confidence, f"{topic}: {doc_side} vs {src_side}", (spans[0],), (spans[1],),
                   (("document", doc_side), ("source", src_side), ("topic", topic)))


# --- medication ----------------------------------------------------------------------------

_PURPOSE = re.compile(r"\b(?:for|to (?:lower|reduce|bring down|bring|treat|relieve|ease|control|settle|help with))\s+"
                      r"(?:the |a |an |your |any |mild |bad )?(?P<what>[a-z][a-z-]+(?:\s+(?:or|and)\s+[a-z-]+|"
                      r"\s+(?:down|pain|aches?|[a-z]+ache))?)",
                      re.IGNORECASE)
_NOT_PURPOSE = frozenset({"day", "days", "week", "weeks", "hour", "hours", "month", "months", "year", "years", "life",
                          "long", "now", "example", "instance", "children", "adults", "babies", "anyone", "people",
                          "you", "them", "it", "this", "that", "at", "up", "more", "less", "the", "a", "an", "one",
                          "two", "three", "first", "next", "last", "another", "at least", "both", "all"})


def _purposes(facts: Facts) -> frozenset[str]:
    """What a statement takes its drugs for ("for pain", "to lower a temperature")."""
    found: set[str] = set()
    for match in _PURPOSE.finditer(facts.text):
        words_of = match.group("what").lower().split()
        if words_of[0] in _NOT_PURPOSE:
            continue
        found |= content(" ".join(w for w in words_of if w not in {"or", "and", "down"}))
        if match.group(0).lower().startswith("to "):
            found |= content(match.group(0).split()[1])
    return frozenset(found)


def _different_purposes(doc: Facts, src: Facts) -> bool:
    """"Paracetamol is fine for pain" and "do not take paracetamol to lower a temperature" are two uses."""
    doc_purposes, src_purposes = _purposes(doc), _purposes(src)
    return bool(doc_purposes) and bool(src_purposes) and not doc_purposes & src_purposes


def medication(doc: Facts, src: Facts, ctx: PairContext) -> Verdict | None:
    if _different_purposes(doc, src):
        return None
    for forbidding, recommending, doc_forbids in ((src, doc, False), (doc, src, True)):
        for banned in forbidding.drugs:
            if banned.stance != "forbid" or _combination(forbidding, banned):
                continue
            for drug in recommending.drugs:
                if polarity(drug.stance) != POSITIVE or drug.stance == "assert" and not _recommends(recommending, drug):
                    continue
                if any(d.generic == drug.generic and polarity(d.stance) == NEGATIVE for d in recommending.drugs):
                    continue
                if not _same_or_member(drug.generic, drug.classes, banned):
                    continue
                group = banned.generic or next(iter(banned.classes))
                named = drug.name if drug.name == drug.generic or not drug.generic else f"{drug.name} ({drug.generic})"
                doc_drug, src_drug = (banned, drug) if doc_forbids else (drug, banned)
                text = (f"{named} recommended vs {group} forbidden" if not doc_forbids
                        else f"{group} forbidden vs {named} recommended")
                return Verdict("medication", 0.9, text, ((doc_drug.start, doc_drug.end),),
                               ((src_drug.start, src_drug.end),),
                               (("document", doc_drug.name), ("source", src_drug.name)), "high")
    return _stopped_vs_kept(doc, src) or _different_drug(doc, src, ctx)


def _stopped_vs_kept(doc: Facts, src: Facts) -> Verdict | None:
    """One statement stops (or lets the patient leave out) a drug the other says to keep taking:
    "you can leave out your insulin" vs "never stop taking your insulin"."""
    for stopping, keeping, doc_stops in ((doc, src, True), (src, doc, False)):
        for stopped in stopping.drugs:
            if stopped.stance != "cease" or not stopped.generic:
                continue
            kept = next((d for d in keeping.drugs if d.generic == stopped.generic and d.stance == "continue"), None)
            if kept is None or any(d.generic == stopped.generic and d.stance == "cease" for d in keeping.drugs):
                continue
            doc_drug, src_drug = (stopped, kept) if doc_stops else (kept, stopped)
            text = (f"{stopped.name} stopped vs {kept.name} continued" if doc_stops
                    else f"{kept.name} continued vs {stopped.name} stopped")
            return Verdict("medication", 0.85, text, ((doc_drug.start, doc_drug.end),),
                           ((src_drug.start, src_drug.end),),
                           (("document", doc_drug.name), ("source", src_drug.name)), "high")
    return None


_COMBINATION = re.compile(r"\b(?:at the same time|together|in combination|combined|with each other|"
                                        r"on the same day|at once)\b", 2)


def _combination(facts: Facts, banned) -> bool:
    """"Do not give acetaminophen and ibuprofen at the same time" bans a combination, not each drug."""
    clause = next((c for c in facts.clauses if c.start <= banned.start < c.end), None)
    return clause is not None and bool(_COMBINATION.search(facts.text[clause.start:clause.end]))


_INSTEAD = re.compile(r"\binstead\b|\brather\b|\bchoose\b|\bswitch to\b", re.IGNORECASE)


def _recommends(facts: Facts, drug) -> bool:
    """A drug named in a plain statement is recommended when the statement recommends something,
    unless it recommends something else in its place ("X can make you drowsy, so take Y instead")."""
    recommending = [c for c in facts.clauses if c.stance in {"permit", "oblige", "continue"}]
    if not recommending:
        return False
    own = any(c.start <= drug.start < c.end for c in recommending)
    return own or not any(_INSTEAD.search(facts.text[c.start:c.end]) for c in recommending)


def _same_or_member(generic: str, classes: frozenset[str], banned) -> bool:
    if banned.generic:
        return generic == banned.generic
    return bool(classes & banned.classes)


def _different_drug(doc: Facts, src: Facts, ctx: PairContext) -> Verdict | None:
    """Same purpose, different drug: "use Qvar in an attack" vs "use your reliever (albuterol)"."""
    if ctx.similarity < 0.55:
        return None
    doc_drugs = [d for d in doc.drugs if d.generic and d.stance in {"oblige", "permit", "continue"}]
    src_drugs = [d for d in src.drugs if d.generic and d.stance in {"oblige", "permit", "continue"}]
    if not doc_drugs or not src_drugs or any(d.stance in {"forbid", "cease"} for d in doc.drugs + src.drugs):
        return None
    doc_generics = {d.generic for d in doc.drugs}
    src_generics = {d.generic for d in src.drugs}
    named_doc, named_src = doc_generics - {""}, src_generics - {""}
    if doc_generics & src_generics or len(named_doc) > 1 or len(named_src) > 1:
        return None  # a list of drugs ("X and Y are safe") gives options, not one rival choice
    doc_classes = set().union(*(d.classes for d in doc_drugs)) & _STRONG_CLASSES
    src_classes = set().union(*(d.classes for d in src_drugs)) & _STRONG_CLASSES
    if doc_classes & src_classes or not (doc_classes or src_classes):
        return None
    if not _shares_subject(doc, src) - {d.name for d in doc.drugs}:
        return None
    d, s = doc_drugs[0], src_drugs[0]
    return Verdict("medication", 0.7, f"{d.name} vs {s.name} for the same purpose", ((d.start, d.end),),
                   ((s.start, s.end),), (("document", d.name), ("source", s.name)), "high")


# --- action (escalation / whom to contact) ---------------------------------------------------

def _situation(facts: Facts) -> frozenset[str]:
    people = {w.rstrip("s") for w in load("scope")["generic_people"]}
    base = facts.condition if facts.condition else facts.stems
    return frozenset(s for s in base if s not in GENERIC and s not in people and s.rstrip("s") not in people
                     and s not in _NOT_SITUATION)


# "another mini-stroke" and "any new stroke symptoms" describe one situation
_NOT_SITUATION = frozenset({"another", "new", "any", "other", "again", "further", "more"})


def _level(facts: Facts) -> tuple[float, object]:
    """How urgently a statement sends the reader for help: its most urgent destination, capped when
    it defers to a routine visit, raised a little when it says "immediately"."""
    top = max(facts.escalations, key=lambda e: e.level)
    level = float(top.level)
    if matcher_for_escalation("deferral").search(facts.text) and level < 4:
        level = min(level, 0.5)
    elif matcher_for_escalation("urgency").search(facts.text) and 0 < level < 4:
        level += 0.5
    return level, top


def action(doc: Facts, src: Facts, ctx: PairContext) -> Verdict | None:
    if not doc.escalations or not src.escalations:
        return None
    situation_doc, situation_src = _situation(doc), _situation(src)
    shared = situation_doc & situation_src
    smaller = min(len(situation_doc), len(situation_src)) or 1
    if len(shared) / smaller < 0.5 and not (shared and ctx.similarity >= 0.8):
        return None
    level_doc, top_doc = _level(doc)
    level_src, top_src = _level(src)
    if abs(level_doc - level_src) < 0.5:
        return None
    if top_doc.label == top_src.label and abs(level_doc - level_src) <= 0.5:
        return None  # the same kind of help, said with more or less urgency ("call X" vs "call X straight away")
    downgraded = level_doc < level_src
    severity = "high" if downgraded and level_src >= 3 else "medium"
    doc_words = doc.text[top_doc.start:top_doc.end]
    src_words = src.text[top_src.start:top_src.end]
    explanation = (f"{_label(doc_words, top_doc.label)} vs {_label(src_words, top_src.label)} "
                   f"for {_surface(src, shared)}")
    return Verdict("action", 0.85, explanation, ((top_doc.start, top_doc.end),), ((top_src.start, top_src.end),),
                   (("document", top_doc.label), ("source", top_src.label)), severity)


def _label(words: str, label: str) -> str:
    return words if words.lower() in label.lower() else f"{words} ({label.split('/')[0].strip()})"


# --- timing --------------------------------------------------------------------------------

def timing(doc: Facts, src: Facts, ctx: PairContext) -> Verdict | None:
    if doc.hours or src.hours:
        return None
    shared = _shares_subject(doc, src)
    if not shared:
        return None
    return (_clock(doc, src, shared) or _opposite_offsets(doc, src, shared) or _before_after(doc, src, shared)
            or _meals(doc, src, shared) or _day_parts(doc, src, shared))


def _clock(doc: Facts, src: Facts, shared: frozenset[str]) -> Verdict | None:
    if not doc.clocks or not src.clocks:
        return None
    for dc in doc.clocks:
        if any(abs(dc.minutes - sc.minutes) < 30 for sc in src.clocks):
            return None
    dc, sc = doc.clocks[0], src.clocks[0]
    part = lambda minutes: "morning" if minutes < 12 * 60 else ("afternoon" if minutes < 17 * 60 else "evening")
    return Verdict("timing", 0.85, f"{dc.text} ({part(dc.minutes)}) vs {sc.text} ({part(sc.minutes)})",
                   ((dc.start, dc.end),), ((sc.start, sc.end),), (("document", dc.text), ("source", sc.text)))


_ANY_TIME = re.compile(r"\b(?:day|morning)\s+(?:or|and)\s+night\b|\bnight\s+(?:or|and)\s+day\b|"
                       r"\bany\s+time\b|\bday\s+and\s+evening\b", re.IGNORECASE)


def _any_time(facts: Facts, position: int) -> bool:
    """"Day or night", "any time": no part of the day at all."""
    return any(m.start() <= position < m.end() for m in _ANY_TIME.finditer(facts.text))


def _parts(facts: Facts) -> set[str]:
    """Parts of the day a statement sets, leaving out those it only mentions in a negation
    ("in the morning so that it does not keep you up at night" is a morning rule)."""
    parts = {group for group, start, _ in facts.day_parts
             if not _in_negative_clause(facts, start) and not _any_time(facts, start)}
    for clock in facts.clocks:
        parts.add("morning" if 4 * 60 <= clock.minutes < 12 * 60 else ("evening" if clock.minutes >= 17 * 60 else "day"))
    return parts


def _clause_words(facts: Facts, position: int) -> frozenset[str]:
    """Informative words of the clause around ``position``, day-part words left out."""
    clause = next((c for c in facts.clauses if c.start <= position < c.end), None)
    found = (clause.stems if clause else facts.stems) - GENERIC - _DAY_PART_STEMS
    return found if len(found) >= 2 else facts.stems - GENERIC - _DAY_PART_STEMS  # "..., once a day in the evening"


_DAY_PART_STEMS = frozenset(stem(w) for w in ("morning", "evening", "night", "nights", "bedtime", "day", "tonight",
                                               "afternoon", "breakfast", "dinner", "supper", "lunch", "first",
                                               "every", "each", "daily"))


def _in_negative_clause(facts: Facts, position: int) -> bool:
    return any(c.start <= position < c.end and polarity(c.stance) == NEGATIVE for c in facts.clauses)


def _day_parts(doc: Facts, src: Facts, shared: frozenset[str]) -> Verdict | None:
    """Morning vs evening, when each statement names only one part of the day."""
    doc_parts, src_parts = _parts(doc), _parts(src)
    if len(doc_parts) != 1 or len(src_parts) != 1 or doc_parts == src_parts or "day" in doc_parts | src_parts:
        return None
    spans = lambda f: ([(s, e) for _, s, e in f.day_parts if not _in_negative_clause(f, s) and not _any_time(f, s)]
                       + [(c.start, c.end) for c in f.clocks])
    ds, ss = spans(doc)[0], spans(src)[0]
    common = _clause_words(doc, ds[0]) & _clause_words(src, ss[0])
    if len(common) < 2 and not common & _drug_stems(doc) & _drug_stems(src):
        return None  # "shield at night" and "drops in the morning" set the times of two different things
    (dp,), (sp,) = doc_parts, src_parts
    return Verdict("timing", 0.8, f"{doc.text[ds[0]:ds[1]]} ({dp}) vs {src.text[ss[0]:ss[1]]} ({sp})",
                   (ds,), (ss,), (("document", dp), ("source", sp)))


def _opposite_offsets(doc: Facts, src: Facts, shared: frozenset[str]) -> Verdict | None:
    """"Stop it 48 hours before the scan" vs "do not take it for 48 hours after": before vs after."""
    if len({q.relation for q in doc.quantities if q.relation}) > 1:
        return None  # "for 1 week before and 2 weeks after" describes a sequence
    for dq in doc.quantities:
        for sq in src.quantities:
            if (dq.dimension == sq.dimension == "time" and {dq.relation, sq.relation} == {"before", "after"}
                    and _close(dq.low, sq.low) and shared - _roles()):
                return Verdict("timing", 0.8, f"{dq.text} vs {sq.text}", ((dq.start, dq.end),), ((sq.start, sq.end),),
                               (("document", dq.relation), ("source", sq.relation)))
    return None




def _relation_context(facts: Facts, position: int) -> frozenset[str]:
    """Words of the clause holding a before/after cue, and of the main clause a condition leads into."""
    for index, clause in enumerate(facts.clauses):
        if clause.start <= position < clause.end:
            stems = clause.stems
            if clause.stance == "condition":
                neighbours = facts.clauses[max(0, index - 1):index] + facts.clauses[index + 1:index + 2]
                stems = stems.union(*(c.stems for c in neighbours))
            return stems - GENERIC
    return facts.stems - GENERIC


@lru_cache(maxsize=1)
def _roles() -> frozenset[str]:
    """People one contacts: sharing "optometrist" does not make two timings one rule."""
    roles = load("escalation")["contact_roles"]
    words = " ".join(" ".join(v) for k, v in roles.items() if not k.startswith("_"))
    return frozenset(content_stems(words + " " + " ".join(load("scope")["generic_people"])))


def _effective_relations(facts: Facts) -> set[str]:
    """Before/after cues, reading "do not X until Y" as "X after Y"."""
    return {group for group, _, _ in _read_relations(facts)}


def _read_relations(facts: Facts) -> list[tuple[str, int, int]]:
    """Each before/after cue as what it means: "do not X until Y" and "not before" are "after"."""
    relations = []
    for group, start, end in facts.relations:
        clause = next((c for c in facts.clauses if c.start <= start < c.end), None)
        forbidden_until = (_UNTIL.fullmatch(facts.text[start:end]) and clause is not None
                           and polarity(clause.stance) == NEGATIVE)
        # "not before one", "no need to have one beforehand": the time itself is negated
        negated_time = (_NOT_JUST_BEFORE.search(facts.text[max(0, start - 12):start]) is not None
                        or clause is not None and clause.stance == "no_need")
        if forbidden_until:
            group = "after"
        elif negated_time:
            group = {"before": "after", "after": "before"}[group]
        relations.append((group, start, end))
    return relations


_NOT_JUST_BEFORE = re.compile(r"\b(?:not|never)\s*$", re.IGNORECASE)


def _before_after(doc: Facts, src: Facts, shared: frozenset[str]) -> Verdict | None:
    doc_rel, src_rel = _effective_relations(doc), _effective_relations(src)
    if len(doc_rel) != 1 or len(src_rel) != 1 or doc_rel == src_rel:
        return None
    if _has_related_quantities(doc) and _has_related_quantities(src) or doc.clocks or src.clocks:
        return None
    doc_relations = sorted(_read_relations(doc), key=lambda r: r[1])
    src_relations = sorted(_read_relations(src), key=lambda r: r[1])
    dr, sr = doc_relations[0], src_relations[0]
    topic = _relation_context(doc, dr[1]) & _relation_context(src, sr[1]) - _roles()
    if not topic:
        return None
    d_word, s_word = doc.text[dr[1]:dr[2]], src.text[sr[1]:sr[2]]
    return Verdict("timing", 0.75, f"{dr[0]} ({d_word}) vs {sr[0]} ({s_word}) for {_surface(src, topic)}",
                   ((dr[1], dr[2]),), ((sr[1], sr[2]),), (("document", dr[0]), ("source", sr[0])))


def _has_related_quantities(facts: Facts) -> bool:
    return any(q.relation for q in facts.quantities)


def _meals(doc: Facts, src: Facts, shared: frozenset[str]) -> Verdict | None:
    doc_meal = {group for group, _, _ in doc.meal}
    src_meal = {group for group, _, _ in src.meal}
    if len(doc_meal) != 1 or len(src_meal) != 1 or doc_meal == src_meal:
        return None
    dm, sm = doc.meal[0], src.meal[0]
    return Verdict("timing", 0.8, f"{doc.text[dm[1]:dm[2]]} vs {src.text[sm[1]:sm[2]]}", ((dm[1], dm[2]),),
                   ((sm[1], sm[2]),), (("document", dm[0]), ("source", sm[0])))


# --- contact -------------------------------------------------------------------------------

def contact(doc: Facts, src: Facts, ctx: PairContext) -> Verdict | None:
    return _phone(doc, src, ctx) or _hours(doc, src, ctx)


def _unnamed_phone(doc: Facts, src: Facts, ctx: PairContext) -> Verdict | None:
    """"Call 555-0173 to book physiotherapy" names no service before the number: near-identical
    statements with one number each that differs are about the same line."""
    if len(doc.phones) != 1 or len(src.phones) != 1 or ctx.similarity < 0.75:
        return None
    dp, sp = doc.phones[0], src.phones[0]
    if same_number(dp.digits, sp.digits) or (dp.service and sp.service) or not _shares_subject(doc, src, 2):
        return None
    return Verdict("contact", 0.8, f"{dp.text} vs {sp.text}", ((dp.start, dp.end),), ((sp.start, sp.end),),
                   (("document", dp.text), ("source", sp.text)))


def _phone(doc: Facts, src: Facts, ctx: PairContext) -> Verdict | None:
    unnamed = _unnamed_phone(doc, src, ctx)
    if unnamed:
        return unnamed
    for dp in doc.phones:
        if not dp.service:
            continue
        same_service = [sp for sp in src.phones if sp.service and fuzz.token_set_ratio(dp.service, sp.service) >= 90]
        if not same_service or any(same_number(sp.digits, dp.digits) for sp in same_service):
            continue
        sp = same_service[0]
        return Verdict("contact", 0.9, f"{dp.service}: {dp.text} vs {sp.text}", ((dp.start, dp.end),),
                       ((sp.start, sp.end),), (("document", dp.text), ("source", sp.text), ("service", dp.service)))
    return None


_DAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _hours(doc: Facts, src: Facts, ctx: PairContext) -> Verdict | None:
    if not doc.hours or not src.hours or not _shares_subject(doc, src) or ctx.similarity < 0.55:
        return None
    return hours_clash(doc.hours, src.hours)


def hours_clash(doc_hours: Sequence[Hours], src_hours: Sequence[Hours]) -> Verdict | None:
    """Opening hours of one place that differ on a day both give."""
    for dh in doc_hours:
        for sh in src_hours:
            days = dh.days & sh.days
            if days and (dh.opens, dh.closes) != (sh.opens, sh.closes):
                names = _DAY_NAMES[min(days)] if len(days) == 1 else f"{_DAY_NAMES[min(days)]}-{_DAY_NAMES[max(days)]}"
                shown = lambda h: "closed" if h.opens == h.closes == 0 else h.text
                return Verdict("contact", 0.85, f"{names}: {shown(dh)} vs {shown(sh)}", ((dh.start, dh.end),),
                               ((sh.start, sh.end),), (("document", dh.text), ("source", sh.text)))
    return None


DETECTORS: tuple[Callable[[Facts, Facts, PairContext], Verdict | None], ...] = (
    medication, contact, action, numeric, timing, negation,
)
