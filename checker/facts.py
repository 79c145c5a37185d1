"""What a statement says, as structured facts: its stance towards things (allowed, forbidden,
keep doing, stop doing), quantities, clock times, phone numbers, drugs, where to get help,
whom it is about, and when (before/after, morning/evening).

Clauses and their stance come from :mod:`checker.clauses`. :func:`facts_of` is pure and cached
by text, so each statement is analysed once however many pairs it appears in.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

# the clause vocabulary is re-exported: detectors read stances and words through checker.facts
from checker.clauses import (GENERIC, NEGATIVE, NEUTRAL_STANCES, POSITIVE, Clause, analyse_clauses, content,
                             polarity)
from checker.lexicon import PhraseMatcher, load, stem, words
from checker.doses import daily_totals
from checker.measures import in_molar_units, measures, pressures
from checker.quantities import ClockTime, Hours, Phone, Quantity, clock_times, opening_hours, phones, quantities

@dataclass(frozen=True)
class DrugMention:
    name: str
    generic: str
    classes: frozenset[str]
    start: int
    end: int
    stance: str


@dataclass(frozen=True)
class Escalation:
    level: int
    label: str
    role: str
    start: int
    end: int


@dataclass(frozen=True)
class Facts:
    text: str
    stems: frozenset[str]
    clauses: tuple[Clause, ...]
    quantities: tuple[Quantity, ...]
    clocks: tuple[ClockTime, ...]
    hours: tuple[Hours, ...]
    phones: tuple[Phone, ...]
    drugs: tuple[DrugMention, ...]
    escalations: tuple[Escalation, ...]
    populations: frozenset[str]
    qualifiers: dict[str, frozenset[str]] = field(hash=False)
    relations: tuple[tuple[str, int, int], ...] = ()
    day_parts: tuple[tuple[str, int, int], ...] = ()
    meal: tuple[tuple[str, int, int], ...] = ()
    condition: frozenset[str] = frozenset()
    is_conditional: bool = False
    necessity_negated: bool = False

    def stance_of(self, stem_word: str) -> str | None:
        """The stance of the clause naming ``stem_word``; None when the statement never names it."""
        for clause in self.clauses:
            if stem_word in clause.stems:
                return clause.stance
        return None


_DEFERRED = re.compile(r"\bsee (?:below|overleaf|page \d+|the next section|further down) (?:for|about)\s+(?:\w+\s+){0,3}$",
                       re.IGNORECASE)
_EXCEPTED = re.compile(r"\b(?:apart from|except(?: for)?|other than|but not|with the exception of)\s+(?:\w+\s+){0,3}$",
                       re.IGNORECASE)


@lru_cache(maxsize=1)
def _drug_matcher() -> tuple[PhraseMatcher, dict[str, tuple[str, frozenset[str]]]]:
    lexicon = load("drugs")
    table: dict[str, tuple[str, frozenset[str]]] = {}
    for generic, classes in lexicon["generics"].items():
        table[generic] = (generic, frozenset(classes))
    for alias, generic in lexicon["aliases"].items():
        table[alias] = (generic, frozenset(lexicon["generics"][generic]))
    for alias, drug_class in lexicon["class_aliases"].items():
        table.setdefault(alias, ("", frozenset({drug_class})))
    return PhraseMatcher(table), table


def _drugs(text: str, clauses: tuple[Clause, ...]) -> tuple[DrugMention, ...]:
    matcher, table = _drug_matcher()
    found = []
    for match in matcher.find(text):
        generic, classes = table[match.phrase]
        clause = next((c for c in clauses if c.start <= match.start < c.end), None)
        stance = clause.stance if clause else "assert"
        if clause and _DEFERRED.search(text[clause.start:match.start]):
            stance = "condition"  # "(see below for metformin)": its rule is given elsewhere
        elif clause and match.end <= clause.cue_start and "," in text[match.end:clause.cue_start] \
                and stance in {"forbid", "cease", "oblige", "continue"}:
            stance = "assert"  # "for a CT with contrast, do not eat": the drug sets the scene
        elif clause and stance == "condition":
            stance = _referred_stance(text, clauses, clause) or stance
        elif clause and stance == "forbid" and _handled(text[clause.cue_end:match.start]):
            stance = "assert"  # "never freeze insulin" bans freezing it, not taking it
        elif clause and _EXCEPTED.search(text[clause.start:match.start]):
            # "take your usual medicines, apart from metformin": the drug is the one left out
            stance = {"oblige": "forbid", "permit": "forbid", "continue": "cease", "forbid": "permit"}.get(stance, stance)
        found.append(DrugMention(match.phrase, generic, classes, match.start, match.end, stance))
    return tuple(found)


@lru_cache(maxsize=1)
def _handling_verbs() -> frozenset[str]:
    return frozenset(stem(verb) for verb in load("drugs")["handling_verbs"])


def _handled(between: str) -> bool:
    """The words between a ban's cue and a drug name a way of handling it ("freeze", "crush")."""
    return any(stem(word) in _handling_verbs() for word in words(between)[:3])


_PRONOUN = re.compile(r"\b(?:it|them|this medicine|these medicines|this drug|these tablets|this tablet)\b", re.IGNORECASE)


def _referred_stance(text: str, clauses: tuple[Clause, ...], condition: Clause) -> str | None:
    """"If you take allopurinol, keep taking it": a drug named in a condition takes the stance of
    the main clause that refers back to it."""
    following = [c for c in clauses if c.start >= condition.end]
    if not following or following[0].stance in {"condition", "assert", "neutral"}:
        return None
    main = following[0]
    return main.stance if _PRONOUN.search(text[main.start:main.end]) else None


@lru_cache(maxsize=1)
def _escalation_tables() -> tuple[PhraseMatcher, dict[str, tuple[int, str]], PhraseMatcher, dict[str, str]]:
    lexicon = load("escalation")
    levels: dict[str, tuple[int, str]] = {}
    for entry in lexicon["levels"]:
        for phrase in entry["phrases"]:
            levels.setdefault(phrase.lower(), (entry["level"], entry["label"]))
    roles: dict[str, str] = {}
    for role, phrases in lexicon["contact_roles"].items():
        if role.startswith("_"):
            continue
        for phrase in phrases:
            roles.setdefault(phrase.lower(), role)
    return PhraseMatcher(levels), levels, PhraseMatcher(roles), roles


@lru_cache(maxsize=1)
def _contact_verbs() -> PhraseMatcher:
    return PhraseMatcher(load("escalation")["contact_verbs"])


_VERB_WINDOW = 60


_DETERMINER_BEFORE = re.compile(r"\b(?:your|the|a|an|this|that|his|her|their|our|my|last|recent|previous)\s+$",
                                re.IGNORECASE)


_NO_NEED_FOR = re.compile(r"\b(?:no need (?:for|to call|to go to|to ring|to phone)|(?:do not|don't|doesn't|does not) need "
                          r"(?:an?|to call|to go to|to ring)|not necessary to (?:call|go to))\s+(?:an?\s+|the\s+)?$",
                          re.IGNORECASE)


def _escalations(text: str) -> tuple[Escalation, ...]:
    """Where the statement sends the reader. Ambiguous destinations (clinic, nurse, pharmacy) count
    only when a contact verb governs them; 911, urgent care and self-care phrases stand alone."""
    level_matcher, levels, role_matcher, roles = _escalation_tables()
    # "your visit to A&E" names a past visit: a verb used as a noun after a determiner sends nobody
    verbs = [m.end for m in _contact_verbs().find(text) if not _DETERMINER_BEFORE.search(text, 0, m.start)]
    found = []
    role_hits = role_matcher.find(text)
    for match in level_matcher.find(text):
        level, label = levels[match.phrase]
        if _NO_NEED_FOR.search(text[max(0, match.start - 40):match.start]):
            continue  # "there is no need for an ambulance": the place is ruled out, not named
        governed = any(0 <= match.start - v <= _VERB_WINDOW for v in verbs)
        if level in (1, 2, 4) and not governed:
            continue
        role = next((roles[r.phrase] for r in role_hits if r.start <= match.start < r.end or
                     match.start <= r.start < match.end), "")
        found.append(Escalation(level, label, role, match.start, match.end))
    return tuple(found)


@lru_cache(maxsize=250_000)
def populations_of(text: str) -> frozenset[str]:
    """The patient groups a text names (lexicon ``scope.populations``)."""
    lexicon = load("scope")["populations"]
    found = set()
    for name, phrases in lexicon.items():
        if _cached_matcher(("populations", name)).search(text):
            found.add(name)
    return frozenset(found)


@lru_cache(maxsize=None)
def _cached_matcher(path: tuple[str, str]) -> PhraseMatcher:
    node = load("scope")[path[0]][path[1]]
    return PhraseMatcher(node)


@lru_cache(maxsize=250_000)
def qualifiers_of(text: str) -> dict[str, frozenset[str]]:
    """The contrast-set words a text uses (lexicon ``scope.contrast_sets``); shared, do not modify."""
    sets = load("scope")["contrast_sets"]
    found = {}
    for name, phrases in sets.items():
        if name.startswith("_"):
            continue
        hits = frozenset(m.phrase for m in _cached_matcher(("contrast_sets", name)).find(text))
        if hits:
            found[name] = hits
    return found


def _phrase_hits(text: str, group: str) -> list[tuple[str, int, int]]:
    return [(group, m.start, m.end) for m in matcher_for(group).find(text)]


@lru_cache(maxsize=None)
def matcher_for(group: str) -> PhraseMatcher:
    return PhraseMatcher(load("cues")[group])


# "even if you are not eating" says the rule holds anyway: a concession, not a case
_CONDITION = re.compile(r"(?<!\beven )\b(?:if|when|whenever|in case)\b(?P<cond>[^.;]*?)(?:,|[.;:]|$|\bcall\b|\bgo\b|\breturn\b)",
                        re.IGNORECASE)


_ALTERNATIVE_CONDITION = re.compile(r"\s*(?:or|and)\s+(?!(?:call|ring|phone|dial|go|come|return|contact|see|tell)\b)"
                                    r"(?P<cond>[^,.;:]{3,80}),", re.IGNORECASE)


def _condition(text: str) -> tuple[frozenset[str], bool]:
    """Content words of the situation a statement is about ("if you have chest pain" -> chest, pain)."""
    match = _CONDITION.search(text)
    if not match:
        return frozenset(), False
    words = content(match.group("cond"))
    more = _ALTERNATIVE_CONDITION.match(text, match.end()) if match.group(0).endswith(",") else None
    if more:  # "if you feel worse, or you do not feel better after 10 puffs, call 999": either situation
        words |= content(more.group("cond"))
    return words, True


def _amounts(text: str) -> tuple[Quantity, ...]:
    """Amounts with units or counted nouns, then bare numbers that measure something, in order."""
    read = quantities(text)
    taken = ([(q.start, q.end) for q in read] + [(p.start, p.end) for p in phones(text)]
             + [(c.start, c.end) for c in clock_times(text)])
    readings = [q for q in pressures(text) if not any(s <= q.start < e for s, e in taken)]
    amounts = in_molar_units(text, read + measures(text, taken + [(q.start, q.end) for q in readings]) + readings)
    return tuple(sorted(amounts + daily_totals(text, amounts), key=lambda q: q.start))


@lru_cache(maxsize=250_000)
def facts_of(text: str) -> Facts:
    """All facts of one statement text."""
    amounts = _amounts(text)
    clauses = analyse_clauses(text, amounts)
    condition, conditional = _condition(text)
    relations = tuple(_phrase_hits(text, "before") + _phrase_hits(text, "after"))
    day_parts = tuple(_phrase_hits(text, "morning") + _phrase_hits(text, "evening"))
    meal = tuple(_phrase_hits(text, "with_food") + _phrase_hits(text, "empty_stomach"))
    return Facts(
        text=text,
        stems=content(text),
        clauses=clauses,
        quantities=amounts,
        clocks=tuple(clock_times(text)),
        hours=tuple(opening_hours(text)),
        phones=tuple(phones(text)),
        drugs=_drugs(text, clauses),
        escalations=_escalations(text),
        populations=populations_of(text),
        qualifiers=qualifiers_of(text),
        relations=relations,
        day_parts=day_parts,
        meal=meal,
        condition=condition,
        is_conditional=conditional,
        necessity_negated=any(c.stance == "no_need" for c in clauses),
    )


@lru_cache(maxsize=None)
def matcher_for_escalation(group: str) -> PhraseMatcher:
    """Deferral ("at your next visit") or urgency ("immediately") phrases."""
    return PhraseMatcher(load("escalation")[group])


__all__ = ["GENERIC", "NEGATIVE", "NEUTRAL_STANCES", "POSITIVE", "Clause", "DrugMention", "Escalation", "Facts",
           "content", "facts_of", "matcher_for", "matcher_for_escalation", "polarity", "populations_of", "qualifiers_of"]
