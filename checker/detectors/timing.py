"""Timing contradictions: clock times, before vs after, with or without food, morning vs evening."""
from __future__ import annotations

import re
from functools import lru_cache

from checker.actions import event_anchor, same_moment
from checker.detectors.base import PairContext, Verdict, _UNTIL, _clause_words, _close, _drug_stems, _shares_subject, _surface
from checker.facts import GENERIC, NEGATIVE, Facts, polarity
from checker.lexicon import content_stems, load, stem
from checker.quantities import Quantity


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


def _timed_words(facts: Facts, position: int) -> frozenset[str]:
    """Informative words of the clause around ``position``, day-part words left out."""
    leave_out = GENERIC | _DAY_PART_STEMS
    return _clause_words(facts, position, leave_out) - leave_out


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
    common = _timed_words(doc, ds[0]) & _timed_words(src, ss[0])
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
                    and _close(dq.low, sq.low) and shared - _roles() and _one_moment(doc, dq, src, sq)):
                return Verdict("timing", 0.8, f"{dq.text} vs {sq.text}", ((dq.start, dq.end),), ((sq.start, sq.end),),
                               (("document", dq.relation), ("source", sq.relation)))
    return None


def _one_moment(doc: Facts, dq: Quantity, src: Facts, sq: Quantity) -> bool:
    """"An hour before your first drink" and "1 hour after the spray" count from two moments."""
    return same_moment(doc, dq.end, src, sq.end, _DAY_PART_STEMS)


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
    if _UNTIL.fullmatch(doc.text[dr[1]:dr[2]]) and _UNTIL.fullmatch(src.text[sr[1]:sr[2]]):
        # "keep to soft food until the numbness wears off" and "avoid hot food until then" point to one
        # moment; whether one allows what the other forbids is the negation detector's question
        return None
    topic = _relation_context(doc, dr[1]) & _relation_context(src, sr[1]) - _roles()
    if not topic or not _same_event(doc, dr, src, sr):
        return None
    d_word, s_word = doc.text[dr[1]:dr[2]], src.text[sr[1]:sr[2]]
    return Verdict("timing", 0.75, f"{dr[0]} ({d_word}) vs {sr[0]} ({s_word}) for {_surface(src, topic)}",
                   ((dr[1], dr[2]),), ((sr[1], sr[2]),), (("document", dr[0]), ("source", sr[0])))


def _same_event(doc: Facts, dr: tuple[str, int, int], src: Facts, sr: tuple[str, int, int]) -> bool:
    """"Stop X before the scan" vs "stop X after the scan" clash; "three days after starting
    treatment" and "until the flare has settled" point to different events, and "skip alcohol
    until the flare is over" times another act than "take 500 mg until the flare settles". A cue
    with nothing after it ("after that", "afterwards") points to an earlier sentence: it matches
    only another such cue, never a named event."""
    doc_anchor = event_anchor(doc, dr[2], _DAY_PART_STEMS)
    src_anchor = event_anchor(src, sr[2], _DAY_PART_STEMS)
    if bool(doc_anchor) != bool(src_anchor) or (doc_anchor and not doc_anchor & src_anchor):
        return False
    doc_act = _relation_context(doc, dr[1]) - doc_anchor - _DAY_PART_STEMS
    src_act = _relation_context(src, sr[1]) - src_anchor - _DAY_PART_STEMS
    return not doc_act or not src_act or bool(doc_act & src_act)


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
