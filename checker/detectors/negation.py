"""Negation contradictions: one statement forbids, stops or denies what the other allows or requires."""
from __future__ import annotations

import re
from functools import lru_cache

from checker.actions import action_families
from checker.clauses import kind_stems
from checker.detectors.base import (PairContext, Verdict, _ANCHORS, _UNTIL, _drug_stems, _surface,
                                    different_conditions, excepts_other_advice)
from checker.facts import GENERIC, NEGATIVE, POSITIVE, Clause, Facts, content, polarity
from checker.lexicon import load, stem, words


# --- negation ------------------------------------------------------------------------------

def _negative_clauses(facts: Facts) -> list[Clause]:
    return [c for c in facts.clauses if polarity(c.stance) == NEGATIVE and c.objects and not _circumstance(c, facts)]


# "pass without any treatment", "medicine won't stop a fit", "nor": a circumstance or a consequence, not what is so
_CIRCUMSTANTIAL_DENIALS = frozenset({"without", "nor", "neither", "not"})
_FUTURE_DENIALS = frozenset({"will not", "won't"})
_PROGRESSIVE = re.compile(r"\s+\w+ing\b", re.IGNORECASE)
_AGENT = re.compile(r"\b(?:we|they|you|the (?:hospital|clinic|unit|ward|team|practice|pharmacy|service)|staff)\s*$",
                    re.IGNORECASE)


def _circumstance(clause: Clause, facts: Facts) -> bool:
    """A denial that describes a circumstance or a symptom ("the ankle isn't getting better") rather
    than saying a thing is not so ("the hospital does not offer Wi-Fi")."""
    if clause.stance != "deny":
        return False
    cue = clause.cue.lower()
    if cue in _FUTURE_DENIALS:  # "we will not send another" is a policy; "medicine won't stop a fit" a consequence
        return not _AGENT.search(facts.text[clause.start:clause.cue_start])
    # "(see your GP if) the ankle isn't getting better" is a symptom; "a man is not playing" says what is so
    return cue in _CIRCUMSTANTIAL_DENIALS or (cue in {"is not", "isn't", "are not", "aren't"} and facts.is_conditional
                                             and bool(_PROGRESSIVE.match(facts.text, clause.cue_end)))


def _covered(item: frozenset[str], stems: frozenset[str]) -> bool:
    """Most of one forbidden item ("hot tub", "water down formula") is named by the other statement;
    a kind ("drink alcohol") is named by any member ("a pint of lager")."""
    shared = item & stems
    return bool(item) and len(shared) / len(item) >= 0.5 and (len(shared) >= min(2, len(item))
                                                               or bool(shared & kind_stems()))


def _exception_for_subgroup(clause: Clause, negative: Facts, positive: Facts) -> bool:
    """"Controlled medicines can't be refilled online" restricts a subgroup the other statement never names."""
    subject_drugs = [d for d in negative.drugs if clause.start <= d.start < clause.cue_start]
    positive_drugs = {d.generic for d in positive.drugs} | set().union(*(d.classes for d in positive.drugs))
    return any(not ({d.generic} | d.classes) & positive_drugs for d in subject_drugs)


def _time_bounded(clause: Clause, facts: Facts) -> bool:
    return any(clause.start <= q.start < clause.end and q.dimension == "time" for q in facts.quantities)


_APPLICABILITY = re.compile(r"\b(?:does|do|doesn't|don't|will) not apply\b|\bdoes ?n[o']t apply\b", re.IGNORECASE)
_RESTRICTIVE = re.compile(r"\b(?:who|whose|that|which)\b", re.IGNORECASE)


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
    if _APPLICABILITY.search(doc.text) or _APPLICABILITY.search(src.text) or different_conditions(doc, src):
        return None  # "it does not apply to ..." says whom a rule is for, not what to do
    for negative, positive, negative_is_doc in ((src, doc, False), (doc, src, True)):
        if excepts_other_advice(negative, positive):
            continue
        for clause in _negative_clauses(negative):
            objects = clause.objects - _drug_stems(negative)
            if not objects:
                continue
            verdict = _opposed(clause, objects, negative, positive, negative_is_doc, ctx)
            if verdict:
                return verdict
    return None


_STANCE_ORDER = ("permit", "continue", "oblige", "assert")


_WEEKDAY = re.compile(r"\b(?:mon|tues|wednes|thurs|fri|satur|sun)days?\b|\bweekends?\b", 2)


_THIRD_PARTY = re.compile(
    r"\b(?:an? (?:adult|grown-up|friend|relative|family member|carer|caregiver|driver|nurse|doctor|pharmacist)|"
    r"someone|somebody|another person|your (?:driver|escort|carer|caregiver)|the (?:nurse|doctor|pharmacist|staff))\b",
    2)


def _third_party(facts: Facts, clause: Clause) -> bool:
    """"An adult must drive you home" obliges someone else, not the patient."""
    return bool(clause.cue and _THIRD_PARTY.search(facts.text[clause.start:clause.cue_start]))


def _same_action(negative_clause: Clause, negative: Facts, positive_clause: Clause, positive: Facts,
                 stance: str) -> bool:
    """Could the two clauses be about one action? Not when they name actions of different
    families ("shower with the bag on" vs "do not disconnect the bag"). A bare statement
    ("there is a bubble in the syringe") opposes a ban only when it names the banned action."""
    banned = action_families(negative.text[negative_clause.start:negative_clause.end])
    done = action_families(positive.text[positive_clause.start:positive_clause.end])
    if stance == "assert" and negative_clause.stance in {"forbid", "cease"}:
        return bool(banned & done)
    return not (banned and done) or bool(banned & done)


_EXCEPTION = re.compile(r"\b(?:except|unless|other than|apart from|only if|only when)\b(.*)", re.IGNORECASE | re.DOTALL)


def _is_the_exception(negative: Facts, positive: Facts) -> bool:
    """"Do not disconnect the bag, except when you change it" vs "change the bag every week";
    "do not move them unless they are in danger" vs "only move them if they are in danger":
    the other statement does, or names, what the ban itself excepts."""
    match = _EXCEPTION.search(negative.text)
    return bool(match) and bool((content(match.group(1)) - GENERIC) & positive.stems)


_PHRASE_END = re.compile(r"[,;:.()]|\b(?:in|on|at|around|near|next|to|into|with|by|for|after|before|until|while|"
                         r"during|when|if|unless|because|from|without|as|or|and)\b", re.IGNORECASE)


def _banned_phrase(clause: Clause, facts: Facts) -> frozenset[str]:
    """The words a ban governs up to its first preposition: what it is about ("do not *smoke*
    around your child, in your home"; "never *store spare batteries* in a pill box"). Drugs and
    general verbs ("give", "take") leave it empty: those bans are judged on their objects."""
    tail = facts.text[clause.cue_end:clause.end]
    stop = _PHRASE_END.search(tail)
    phrase = content(tail[:stop.start()] if stop else tail) - GENERIC
    return frozenset() if phrase & _drug_stems(facts) else phrase


def _names_the_banned_action(clause: Clause, negative: Facts, free: list[Clause], positive: Facts,
                             positive_stems: frozenset[str]) -> bool:
    """A clash needs the other statement to do what the ban is about, not only to share a place or
    a thing with it ("do not smoke in your home" vs "most children can be cared for at home")."""
    phrase = _banned_phrase(clause, negative)
    if not phrase or phrase & positive_stems:
        return True
    done = frozenset().union(*(action_families(positive.text[c.start:c.end]) for c in free))
    return bool(action_families(" ".join(sorted(phrase))) & done)


@lru_cache(maxsize=1)
def _change_verbs() -> frozenset[str]:
    return frozenset(stem(verb) for verb in load("cues")["change_verbs"])


def _bans_a_change(clause: Clause, facts: Facts) -> bool:
    """The ban is on changing or starting something ("do not suddenly change", "never start"): keeping
    what one does agrees with it."""
    return any(stem(word) in _change_verbs() for word in words(facts.text[clause.cue_end:clause.end])[:2])


_MODAL_CUES = frozenset({"must", "should", "need", "needs", "have", "has", "always", "be", "sure", "make", "remember",
                         "to", "please", "you", "will", "are", "is", "required", "only"})


def _verb_after(text: str) -> str:
    """The first word that is not a modal or a filler: the verb of "you must always wear ..."."""
    return next((word for word in words(text)[:5] if word not in _MODAL_CUES and len(word) > 2), "")


def _same_verb(negative_clause: Clause, negative: Facts, positive_clause: Clause, positive: Facts) -> bool:
    """An instruction clashes with a ban only on the same act: the same verb, verbs of one family,
    or another verb with everything the ban names. An instruction and a ban that share only part of
    it ("rest the cast on the side of the bath" vs "do not put the cast in bath water") are two acts."""
    start = positive_clause.cue_start if positive_clause.cue else positive_clause.start
    done = _verb_after(positive.text[start:positive_clause.end])
    banned = _verb_after(negative.text[negative_clause.cue_end:negative_clause.end])
    if not done or not banned or stem(done) == stem(banned) or action_families(done) & action_families(banned):
        return True
    # another verb does the banned act when it names everything the ban names ("hold the ice pack
    # directly against your skin" vs "never put ice directly on the skin")
    named = content(negative.text[negative_clause.cue_end:negative_clause.end]) - GENERIC - content(banned)
    return bool(named) and named <= positive.stems


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
    if not _names_the_banned_action(clause, negative, free, positive, positive_stems):
        return None
    other = next(c for c in free if hits & c.stems)
    # the clause that names the thing says whether it is merely stated, whatever else the sentence permits
    named_as = other.stance if other.stance in _STANCE_ORDER else stance
    if not _same_action(clause, negative, other, positive, named_as) or _is_the_exception(negative, positive):
        return None
    if _time_bounded(clause, negative) and any(_time_bounded(c, positive) for c in free):
        return None  # "not for 6 weeks" vs "after 3 weeks" is a numeric question
    if any(c.stance == "condition" for c in positive.clauses) and any(
            clause.start <= q.start < clause.end and q.relation == "before" for q in negative.quantities):
        return None  # "nothing to eat for 6 hours before the test" vs "once the numbness goes, eat": two moments
    if clause.stance == "cease" and stance == "oblige":
        return None  # "stop X" vs "take X" are sequential steps more often than a clash
    if named_as == "oblige" and not _same_verb(clause, negative, other, positive):
        return None  # "rest the cast on the side of the bath" vs "do not put the cast in bath water"
    if named_as == "continue" and _bans_a_change(clause, negative):
        return None  # "do not suddenly change the salt in your diet" is "keep it about the same"
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
