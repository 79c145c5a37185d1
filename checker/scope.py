"""Scope: whom and what a statement is about, so rules for different patients or procedures
are never compared as the same rule.

A protocol's scope line ("Applies to: adults after knee or hip replacement") and a document's
own audience line ("These answers are for babies under 12 months") set the default population;
a statement that names its own population or procedure ("For children over 1 year", "After a
hip replacement") overrides it.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Sequence

from checker.facts import GENERIC, facts_of, populations_of, qualifiers_of
from checker.lexicon import load, stem
from checker.records import Piece, Statement

_SCOPE_LINE = re.compile(
    r"^\s*(?:applies to|scope|audience|who this is for|this (?:protocol|leaflet|guide|sheet|page) (?:applies to|is for)|"
    r"these (?:instructions|answers|rules|notes) are (?:for|meant for))\b", re.IGNORECASE)
_SCOPE_SEARCH_LIMIT = 6


def scope_line(pieces: Sequence[Piece]) -> str:
    """The statement that states a file's audience, if one of its first statements does."""
    for piece in list(pieces)[:_SCOPE_SEARCH_LIMIT]:
        if _SCOPE_LINE.search(piece.text) or re.search(r"\b(?:these|this) \w+ (?:are|is) for\b", piece.text, re.I):
            return piece.text
    return ""


def populations(statement: Statement, use_scope: bool = True) -> frozenset[str]:
    """The populations a statement is about: its own words first, then its headings, then the file's scope."""
    # populations_of, not facts_of: alignment asks this of many statements it never judges
    found = populations_of(statement.text)
    if found:
        return _narrow(found, statement.text)
    for heading in reversed(statement.context):  # the nearest heading (or list lead-in) first
        found = populations_of(heading)
        if found:
            return _narrow(found, heading)
        if _READER.search(heading):
            return frozenset()  # "Looking after yourself" under "Going home with your baby": the reader
    found = populations_of(statement.scope) if use_scope and statement.scope else frozenset()
    return _narrow(found, statement.scope) if found else frozenset()


_READER = re.compile(r"\b(?:yourself|you|your own)\b", re.IGNORECASE)


def _narrow(found: frozenset[str], text: str) -> frozenset[str]:
    # "babies under 12 months old" names months, which also marks the child list ("months old");
    # an explicit infant word wins over the generic age pattern.
    if "infant" in found and "child" in found and not re.search(r"\bchild(?:ren)?\b|\bkids?\b", text, re.I):
        return frozenset({"infant"})
    return found


def _qualifiers(statement: Statement) -> dict[str, frozenset[str]]:
    return qualifiers_of(statement.text)


def compatible(a: Statement, b: Statement) -> bool:
    """False when the two statements are plainly about different patients or procedures.

    Between two documents the files' audience lines are not used: a topic no protocol covers
    (visiting, parking, payment) is hospital-wide whatever leaflet mentions it."""
    use_scope = not (a.role == b.role == "document")
    pop_a, pop_b = populations(a, use_scope), populations(b, use_scope)
    if pop_a and pop_b and not (pop_a & pop_b) and not _any_child(pop_a, a, pop_b, b):
        return False
    qual_a, qual_b = _qualifiers(a), _qualifiers(b)
    for name in qual_a.keys() & qual_b.keys():
        if not (qual_a[name] & qual_b[name]):
            return False
    return not (_excludes(a, b) or _excludes(b, a))


_AGED = re.compile(r"\b(?:over|under|aged|older|younger|teen\w*|school|adolescent\w*)\b|\d", re.IGNORECASE)


def _any_child(pop_a: frozenset[str], a: Statement, pop_b: frozenset[str], b: Statement) -> bool:
    """"Your child" with no age also means a baby: a rule for children of any age covers infants."""
    if {pop_a, pop_b} != {frozenset({"infant"}), frozenset({"child"})}:
        return False
    child_side = a if pop_a == frozenset({"child"}) else b
    return not _AGED.search(child_side.text)


_EXCEPTION = re.compile(r"\b(?:unless|except(?:\s+if)?|apart from|but not if)\b(?P<rest>[^.;]*)", re.IGNORECASE)


def _excludes(statement: Statement, other: Statement) -> bool:
    """"Ibuprofen is fine, unless you take a blood thinner" leaves out the very patients a
    warfarin protocol is written for: the statement's exception names a drug its audience takes."""
    if not other.scope and not other.context:
        return False
    exceptions = " ".join(m.group("rest") for m in _EXCEPTION.finditer(statement.text))
    if not exceptions:
        return False
    excluded = facts_of(exceptions).drugs
    audience = facts_of(" ".join((other.scope, *other.context[:1]))).drugs
    return any(d.generic == a.generic if d.generic and a.generic else bool(d.classes & a.classes)
               for d in excluded for a in audience)


@lru_cache(maxsize=4096)
def scope_terms(text: str) -> frozenset[str]:
    """Informative words of a title or scope line (whom and what a file covers)."""
    generic = set(load("scope")["generic_people"]) | {"applie", "appli", "applies", "northgate", "hospital", "home",
                                                      "going", "standard", "instruction", "rule", "general"}
    stems = facts_of(text).stems - _TIME_WORDS - GENERIC
    return frozenset(s for s in stems if s not in generic and len(s) > 2)


# "in the last 6 weeks" says when, not what: a statement that merely names a week is not about it
_TIME_WORDS = frozenset(stem(w) for w in ("second", "minute", "hour", "day", "week", "fortnight", "month", "year",
                                          "last", "first", "next", "past", "time", "today", "tomorrow"))


def statement_names_scope(statement: Statement, source: Statement) -> bool:
    """True when the statement itself names what the source's file is about: a word of its title,
    two words of its scope line, or the patients the scope line is for ("for a baby with a fever"
    vs "Applies to: babies under one year")."""
    stems = facts_of(statement.text).stems
    title = scope_terms(source.context[0]) if source.context else frozenset()
    if title & stems:
        return True
    if len(scope_terms(source.scope) & stems) >= 2 if source.scope else False:
        return True
    return bool(source.scope) and bool(populations_of(statement.text) & populations_of(source.scope))


__all__ = ["scope_line", "populations", "compatible", "scope_terms", "statement_names_scope", "qualifiers_of"]
