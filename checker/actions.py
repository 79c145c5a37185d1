"""What a clause is about doing: families of actions (eating, bathing, driving, lifting, ...).

Two rules that share an object word but name actions of different families, such as "shower
with the leg bag in place" and "do not disconnect the leg bag", are about different things, and
one cannot forbid what the other allows. ``lexicons/actions.json`` holds the vocabulary.
"""
from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from checker.lexicon import PhraseMatcher, load, stem, words

if TYPE_CHECKING:  # checker.facts imports this module
    from checker.facts import Facts


@lru_cache(maxsize=None)
def _tables(section: str) -> tuple[dict[str, str], PhraseMatcher, dict[str, str]]:
    """For one section of the lexicon (``families`` or ``events``): single words by stem, and a
    matcher over the phrases, each mapped to its group."""
    single: dict[str, str] = {}
    phrases: dict[str, str] = {}
    for group, entries in load("actions")[section].items():
        for entry in entries:
            if " " in entry:
                phrases[entry.lower()] = group
            else:
                single[stem(entry)] = group
    return single, PhraseMatcher(phrases), phrases


def _groups(section: str, text: str) -> frozenset[str]:
    single, matcher, phrases = _tables(section)
    found = {phrases[match.phrase] for match in matcher.find(text)}
    found.update(single[stem(word)] for word in words(text) if stem(word) in single)
    return frozenset(found)


def action_families(text: str) -> frozenset[str]:
    """The families of the actions ``text`` names (empty when it names none we know)."""
    return _groups("families", text)


def different_actions(first: str, second: str) -> bool:
    """Both texts name actions we know, and none of one's families is among the other's."""
    a, b = action_families(first), action_families(second)
    return bool(a) and bool(b) and not a & b


def events_named(text: str) -> frozenset[str]:
    """The moments of care ``text`` names ("surgery" and "your operation" both name ``care_visit``),
    so that two ways of naming one moment share a word."""
    return _groups("events", text)


def event_anchor(facts: "Facts", position: int, leave_out: frozenset[str] = frozenset()) -> frozenset[str]:
    """What a before/after/until at ``position`` points to: the informative words after it in its
    clause, plus the moment of care they name ("after *your operation*" names ``care_visit``)."""
    from checker.facts import GENERIC, content

    clause = next((c for c in facts.clauses if c.start <= position < c.end), None)
    end = clause.end if clause is not None else len(facts.text)
    anchor = facts.text[position:end].split(",")[0]  # "after that, drive": the anchor ends at the comma
    return (content(anchor) - GENERIC - leave_out) | events_named(anchor)


def same_moment(doc: "Facts", doc_position: int, src: "Facts", src_position: int,
                leave_out: frozenset[str] = frozenset()) -> bool:
    """Do two before/after cues point to one moment? Yes when their anchors share a word (or a
    moment of care), or when either names none to compare."""
    doc_anchor = event_anchor(doc, doc_position, leave_out)
    src_anchor = event_anchor(src, src_position, leave_out)
    return not doc_anchor or not src_anchor or bool(doc_anchor & src_anchor)
