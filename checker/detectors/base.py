"""What every detector shares: the :class:`Verdict` a detector returns, the :class:`PairContext` it is
given, and helpers several detectors use (what a statement is about, how its words read back)."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from checker.facts import GENERIC, NEGATIVE, Facts, content, polarity
from checker.lexicon import stem, words


_TOLERANCE = 0.006
_ANCHORS = frozenset("surgery procedure operation appointment arrival arriv visit discharge colonoscopy admission "
                     "first second last then scan test".split())


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


def _generics(facts: Facts, start: int = 0, end: int | None = None) -> frozenset[str]:
    """The drugs named between ``start`` and ``end`` (the whole statement by default) by generic
    name: "drug:nitrofurantoin" for Macrobid too."""
    return frozenset(f"drug:{d.generic}" for d in facts.drugs
                     if d.generic and start <= d.start < (len(facts.text) if end is None else end))


def _class_links(a: Facts, b: Facts) -> frozenset[str]:
    """Drug classes one statement names ("your reliever") that a drug or class in the other belongs
    to ("albuterol"): one subject, named once by class and once by drug."""
    named_a = {c for d in a.drugs if not d.generic for c in d.classes}
    named_b = {c for d in b.drugs if not d.generic for c in d.classes}
    held_a = {c for d in a.drugs for c in d.classes}
    held_b = {c for d in b.drugs for c in d.classes}
    return frozenset(f"class:{c}" for c in (named_a & held_b) | (named_b & held_a))


def _shares_subject(a: Facts, b: Facts, minimum: int = 1) -> frozenset[str]:
    """Informative words both statements use outside their numbers; one drug named by brand in
    one and by generic name in the other, or one measure given a level in both, counts as a shared word."""
    skip_a = [(q.start, q.core_end) for q in a.quantities]
    skip_b = [(q.start, q.core_end) for q in b.quantities]
    shared = ((_subject(a, skip_a) & _subject(b, skip_b)) | (_generics(a) & _generics(b)) | _class_links(a, b)
              | (measured(a) & measured(b)))
    return shared if len(shared) >= minimum else frozenset()


def measured(facts: Facts, start: int = 0, end: int | None = None) -> frozenset[str]:
    """The measures a statement gives levels of ("measure:systolic" for "140/90"), between
    ``start`` and ``end``: a level names its measure even where no word does."""
    stop = len(facts.text) if end is None else end
    return frozenset(f"measure:{q.unit}" for q in facts.quantities if q.role == "measure" and start <= q.start < stop)


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=_TOLERANCE, abs_tol=1e-9)


def _drug_stems(facts: Facts) -> set[str]:
    stems: set[str] = set()
    for drug in facts.drugs:
        stems |= content(drug.name)
    return stems


_UNTIL = re.compile(r"\b(?:until|till|not before|no sooner than)\b", re.IGNORECASE)


def _surface(facts: Facts, stems: frozenset[str]) -> str:
    """The words of the statement behind some stems, as written."""
    seen = []
    for word in words(facts.text):
        if stem(word) in stems and word not in seen:
            seen.append(word)
    return ", ".join(seen) or ", ".join(sorted(stems))


def _clause_words(facts: Facts, position: int, leave_out: frozenset[str] = frozenset()) -> frozenset[str]:
    """Words of the clause holding ``position``, less ``leave_out``; the whole statement's words
    when that clause says little ("..., once a day in the evening")."""
    for clause in facts.clauses:
        if clause.start <= position < clause.end:
            stems = clause.stems - leave_out
            return stems if len(stems) >= 2 else facts.stems
    return facts.stems


def different_conditions(doc: Facts, src: Facts) -> bool:
    """Both rules hold only under a condition, and the conditions share no word: two cases
    ("if you still have problems, tell ..." vs "if you have made a full recovery, no need to")."""
    return doc.is_conditional and src.is_conditional and bool(doc.condition) and bool(src.condition) and not (
        doc.condition & src.condition)


_DEFERS = re.compile(r"\b(?:unless|except)\b[^.;]*?\b(?:advice|rules?|instructions?|guidance|leaflet|plan|section|"
                     r"sheet|card|above|below|overleaf)\b", re.IGNORECASE)


def excepts_other_advice(rule: Facts, other: Facts) -> bool:
    """"Do not stop lithium unless you are following the sick-day rules or the advice above": the
    rule makes way for written advice given elsewhere, and a conditional instruction ("if you
    notice any of these, stop your lithium") may be that very advice."""
    return other.is_conditional and bool(_DEFERS.search(rule.text))


_UNTIL_EVENT = re.compile(r"\buntil\b(?P<event>[^,.;:]{3,60})", re.IGNORECASE)
_ONCE_EVENT = re.compile(r"\b(?:once|after|as soon as|when)\b(?P<event>[^,.;:]{3,60})", re.IGNORECASE)


def different_phases(doc: Facts, src: Facts) -> bool:
    """One rule holds until something happens and the other once it has ("every 2 weeks until your
    dose has been stable" vs "once your dose is stable, every 6 months"): two phases, not one rule."""
    for first, second in ((doc, src), (src, doc)):
        if _held_off_until(first):
            continue  # "stay off work until 48 hours after" and "back to work once 24 hours" name one moment
        until = [_event_words(m) for m in _UNTIL_EVENT.finditer(first.text)]
        once = [_event_words(m) for m in _ONCE_EVENT.finditer(second.text)]
        if any(a & b for a in until for b in once) and not _UNTIL_EVENT.search(second.text):
            return True
    return False


def _held_off_until(facts: Facts) -> bool:
    """Its "until" ends a ban ("stay off work until ..."): the moment the other statement's "once"
    allows the thing again, not a phase of its own."""
    return any(clause.start <= match.start() < clause.end and polarity(clause.stance) == NEGATIVE
               for match in _UNTIL_EVENT.finditer(facts.text) for clause in facts.clauses)


def _event_words(match: re.Match[str]) -> frozenset[str]:
    return content(match.group("event")) - GENERIC - _ANCHORS