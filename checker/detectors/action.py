"""Action contradictions: the same situation sent to help of a different urgency (escalation, whom to contact)."""
from __future__ import annotations

from checker.detectors.base import PairContext, Verdict, _surface
from checker.facts import GENERIC, Facts, matcher_for_escalation
from checker.lexicon import load


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


def _offered(facts: Facts) -> frozenset[float]:
    """The levels of help a statement offers; a routine visit it defers to ("show the nurse at your
    next visit") is no urgent help."""
    deferred = bool(matcher_for_escalation("deferral").search(facts.text))
    return frozenset(0.5 if deferred and e.level < 4 else float(e.level) for e in facts.escalations)


def action(doc: Facts, src: Facts, ctx: PairContext) -> Verdict | None:
    if not doc.escalations or not src.escalations:
        return None
    situation_doc, situation_src = _situation(doc), _situation(src)
    shared = situation_doc & situation_src
    smaller = min(len(situation_doc), len(situation_src)) or 1
    if len(shared) / smaller < 0.5 and not (shared and ctx.similarity >= 0.8):
        return None
    if _offered(doc) & _offered(src):
        return None  # "tell your pharmacist or dentist" names help the other names too, among others
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
