"""Clauses and their stance: what a statement forbids, permits, obliges, stops, keeps or denies.

A statement is cut into clauses at conjunctions, semicolons and leading conditions; each clause
gets the stance of its strongest cue (``lexicons/cues.json``), the objects the cue acts on, and
the items of a list it names. :func:`analyse_clauses` is the entry point; ``checker.facts``
builds the rest of a statement's facts around it.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from functools import lru_cache

from checker.actions import action_families
from checker.lexicon import PhraseMatcher, STOPWORDS, load, stem, words
from checker.measures import is_age
from checker.quantities import Quantity

NEGATIVE = "negative"
POSITIVE = "positive"

_PEOPLE = frozenset(stem(w) for w in "patient person people visitor parent family carer caregiver staff adult someone "
                                      "anyone".split())
# Verbs and nouns too general to name what a rule is about.
_GENERIC_WORDS = (
    "take taking use using give giving have having get make go do doing thing anything something everything nothing "
    "medicine medicines medication medications pain dose doses doctor patient person people day days hour hours "
    "week weeks time times baby child adult first second next well fine ok okay good able again sure also "
    "instruction instructions advice help need keep continue stop start offer provide").split()
GENERIC = frozenset(_GENERIC_WORDS) | frozenset(stem(word) for word in _GENERIC_WORDS)
_STOP_EXTRA = frozenset("anything something everything nothing including include includes such example like "
                        "least most hospital".split())
# "once the wound heals" leads a condition; "once a day", "once every 2 weeks" say how often
_ONCE = r"once(?!\s+(?:a|an|every|each|per|or|more|again|daily|weekly|monthly|in a while)\b)"
_CLAUSE_BREAK = re.compile(
    r"[;:]|—|–|,?\s+\b(?:but|so|unless|because|although|though|while|whereas|except|then)\b|"
    r",\s+(?:and|or)\s+(?=(?:you|we|they|it|he|she|the patient|your)\b)|\.\s|"
    r",?\s+and\s+(?=(?:stop|keep|carry on|continue|start|restart|resume|never|do not|don't|leave|avoid|use|wear)\b)|"
    r",\s+and\s+(?=(?:hold|put|place|wrap|raise|sit|lie|cover|clean|dry|change|wash|check|tell|try|ask|call|ring)\b)|"
    r",\s+(?=(?:if|when|" + _ONCE + r"|as long as)\b)|"
    r",?\s+(?=(?:rather than|instead of)\b)|"  # "keep it moving rather than holding it still": two stances
    r"\b(?:if|when|whenever|" + _ONCE + r"|as long as|as soon as)\b", re.IGNORECASE)
_OBJECT_STOP = re.compile(r"\b(?:for|after|before|until|while|during|when|if|unless|because|even|since|within|"
                          r"from|once|as long as|as soon as|except|without|in the first|to treat|to prevent)\b",
                          re.IGNORECASE)


@dataclass(frozen=True)
class Clause:
    start: int
    end: int
    stance: str
    cue: str
    cue_start: int
    cue_end: int
    objects: frozenset[str]
    stems: frozenset[str]
    items: tuple[frozenset[str], ...] = ()


@lru_cache(maxsize=1)
def _stance_matcher() -> tuple[PhraseMatcher, dict[str, str]]:
    cues = load("cues")
    label: dict[str, str] = {}
    for group, stance in (("oblige", "oblige"), ("permit", "permit"), ("deny", "deny"), ("forbid", "forbid"),
                          ("cease", "cease"), ("continue", "continue"), ("necessity_negated", "no_need"),
                          ("neutral", "neutral")):
        for phrase in cues[group]:
            label[phrase.lower()] = stance
    return PhraseMatcher(label), label


_STANCE_RANK = {"no_need": 7, "forbid": 6, "deny": 5.5, "continue": 5, "cease": 4, "permit": 2, "oblige": 1, "neutral": 0}
_LIMIT_WORD = re.compile(r"^\W*(?:limit|restrict|cut down|cut back)\b", re.IGNORECASE)
_ITEM_SPLIT = re.compile(r",|\bor\b|\band\b|/|\bnor\b", re.IGNORECASE)
_CONDITION_START = re.compile(r"^\W*(?:if|when|whenever|" + _ONCE + r"|as long as|as soon as|in case|unless|because|since|"
                              r"although|though|while)\b", re.IGNORECASE)
NEUTRAL_STANCES = frozenset({"condition", "limit", "neutral"})


def polarity(stance: str) -> str:
    """negative (forbidden, stopped, denied, not needed), positive, or neutral (conditions, limits)."""
    if stance in NEUTRAL_STANCES:
        return "neutral"
    return NEGATIVE if stance in {"forbid", "cease", "no_need", "deny"} else POSITIVE


_OR_AND_GAP = re.compile(r"^,\s*(?:or|and)\s*$", re.IGNORECASE)


def _clauses(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for match in _CLAUSE_BREAK.finditer(text):
        if match.start() > start:
            spans.append((start, match.start()))
        start = match.end() if match.group(0).strip(" ,").lower() not in {"if", "when", "whenever", "once",
                                                                           "as long as", "as soon as"} else match.start()
    if start < len(text):
        spans.append((start, len(text)))
    parts = [part for s, e in spans if text[s:e].strip()
             for part in (_split_condition(text, s, e) if _leads(text[:s]) else [(s, e)])]
    return _split_alternative_conditions(text, parts)


def _split_alternative_conditions(text: str, parts: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """"If X, or Y, do Z": the alternative situation Y ends at its comma, like the first one."""
    result: list[tuple[int, int]] = []
    for s, e in parts:
        previous = result[-1] if result else None
        if (previous and _CONDITION_START.search(text[previous[0]:previous[1]]) and "," in text[s:e]
                and _OR_AND_GAP.match(text[previous[1]:s])):
            comma = s + text[s:e].index(",")
            result.extend([(s, comma), (comma + 1, e)])
            continue
        result.append((s, e))
    return result


def _leads(before: str) -> bool:
    """A condition leads its sentence ("If X, do Y"; "At home, if X, do Y") unless it trails a
    main clause ("You need a test if you are 65 or over, have diabetes, or take metformin")."""
    before = before.rstrip()
    return not before or before.endswith(",")


_UNMARKED_MAIN = re.compile(r"(?<=\w)\s+(?=(?:we|we'll|we will|we can|we may)\s+\w)", re.IGNORECASE)


def _split_condition(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """"if X, do Y": the condition ends at its first comma and the main clause follows."""
    piece = text[start:end]
    if not _CONDITION_START.search(piece):
        return [(start, end)]
    if "," not in piece:
        # "if you miss an appointment we send you a new one": the main clause starts at "we"
        main = _UNMARKED_MAIN.search(piece)
        return [(start, start + main.start()), (start + main.start(), end)] if main else [(start, end)]
    comma = start + piece.index(",")
    return [(start, comma), (comma + 1, end)] if text[comma + 1:end].strip() else [(start, end)]


def content(text: str) -> frozenset[str]:
    """Stems of the informative words of a text, the unit every overlap test counts in; a
    hyphenated word counts as its last part too ("mini-stroke" is also "stroke")."""
    stems = set()
    for word in words(text):
        if word in STOPWORDS or word in _STOP_EXTRA or word[0].isdigit() or len(word) <= 1:
            continue
        stems.add(stem(word))
        if "-" in word and len(word.rsplit("-", 1)[1]) > 2:
            stems.add(stem(word.rsplit("-", 1)[1]))
        kind = _kinds().get(word)
        if kind:
            stems.add(kind)  # "a glass of wine" is about alcohol too
    return frozenset(stems)


@lru_cache(maxsize=1)
def kind_stems() -> frozenset[str]:
    """Stems of the kinds in ``kinds.json`` ("alcohol", "stool"): one of them names a whole subject."""
    return frozenset(_kinds().values())


@lru_cache(maxsize=1)
def _kinds() -> dict[str, str]:
    """Member word -> stem of its kind (``checker/lexicons/kinds.json``)."""
    return {member: stem(kind) for kind, members in load("kinds")["kinds"].items() for member in members}


_PASSIVE_BAN = re.compile(r"allowed|permitted|prohibited|forbidden|off.limits|not safe|unsafe|banned", re.IGNORECASE)
_CEASE_NEXT = re.compile(r"\s*(?:stop|stopping|avoid|give up|cut out|pause|miss|skip|interrupt|discard)\b",
                         re.IGNORECASE)


def _continues_condition(text: str, before: list[Clause], start: int, end: int) -> bool:
    """"If you feel worse, or you do not feel better, call 999": the second situation is a condition too."""
    if not before or before[-1].stance != "condition" or not _OR_AND_GAP.match(text[before[-1].end:start]):
        return False
    return text[end:end + 1] == "," and not _imperative(text[start:end])


def analyse_clauses(text: str, amounts: tuple[Quantity, ...]) -> tuple[Clause, ...]:
    matcher, label = _stance_matcher()
    limits = [(q.start, q.end) for q in amounts if q.bound == "max" and not is_age(text, q)]
    result = []
    for start, end in _clauses(text):
        piece = text[start:end]
        cues = [m for m in matcher.find(piece) if label[m.phrase] != "neutral"]
        stance, cue, cue_start, cue_end = "assert", "", start, start
        if cues:
            best = _strongest(cues, label)
            stance, cue = label[best.phrase], best.phrase
            cue_start, cue_end = start + best.start, start + best.end
        if not cues and _imperative(piece):
            stance, cue = "oblige", piece.split()[0]
            cue_start = start + piece.index(cue)
            cue_end = cue_start + len(cue)
        kept_away = _KEPT_AWAY.search(piece) or _PUT_OFF.search(piece)
        if kept_away and stance in {"continue", "oblige", "assert"}:
            # "keep your child off school", "leave swimming for a fortnight": what is kept away or put off is forbidden
            stance, cue = "forbid", kept_away.group(0)
            cue_start, cue_end = start + kept_away.start(), start + kept_away.end()
        if stance == "forbid" and cue.lower() == "no" and (_NO_THING_IS.match(text, cue_end)
                                                          or _HAS_NO.search(text, max(0, cue_start - 12), cue_end)):
            stance = "deny"  # "no onion is being cut" says what is not so; "no swimming" forbids
        if stance == "forbid" and _THING_DOES_NOT.match(cue) and _names_a_thing(text[start:cue_start]):
            stance = "deny"  # "ice cubes don't count as fluid" says what is so; "don't count calories" forbids
        if stance == "deny" and _CHECK_THAT.search(text[start:cue_start]):
            stance = "assert"  # "check that the tube is not kinked" says what to look for, not what is so
        if stance == "cease" and cue.lower() in {"stops", "stopped"}:
            stance = "assert"  # "covering it stops your clothes rubbing" says what something does; no one is told to stop
        if stance in {"cease", "continue", "oblige"} and _gerund_subject(text, start, cue_start, cue_end, end):
            stance = "assert"  # "stopping lithium suddenly can bring a relapse" says what happens, not what to do
        if stance == "permit" and _possibility(text, start, cue_start, cue):
            stance = "assert"  # "constipation can stop the catheter draining" says what may happen
        if _CONDITION_START.search(piece) or _continues_condition(text, result, start, end):
            stance = "condition"
        elif (stance == "forbid" and any(cue_end <= s < end for s, _ in limits)) or (
                stance in {"permit", "assert", "oblige"} and _LIMIT_WORD.search(piece)
                and any(start <= s < end for s, _ in limits)):
            stance = "limit"  # "do not take more than 200 mg" limits a dose, it does not forbid the drug
        if stance == "no_need" and _CEASE_NEXT.match(text, cue_end):
            stance = "continue"  # "you do not need to stop breastfeeding": carry on
        tail = text[cue_end:end] if cues else piece
        stop = _OBJECT_STOP.search(tail)
        objects = content(tail[:stop.start()] if stop else tail) - GENERIC - _PEOPLE
        passive_ban = bool(cues) and stance == "forbid" and bool(_PASSIVE_BAN.search(cue))  # "flowers are not allowed"
        if (stance in {"permit", "assert", "deny"} and cues) or passive_ban:
            objects = objects | (content(text[start:cue_start]) - GENERIC)
        object_text = tail[:stop.start()] if stop else tail
        items = tuple(item for item in (content(part) - GENERIC - _PEOPLE for part in _ITEM_SPLIT.split(object_text))
                      if item)
        subject = content(text[start:cue_start]) - GENERIC - _PEOPLE if passive_ban else frozenset()
        items = items + ((subject,) if subject else ())
        result.append(Clause(start, end, stance, cue, cue_start, cue_end, objects, content(piece), items))
    return _carry_dangling_cues(text, result)


_KEPT_AWAY = re.compile(r"\b(?:keep|stay)\s+(?:(?:your|the|a|an|it|him|her|them|yourself|himself|herself|themselves|"
                        r"child|baby|son|daughter|little one|[\w-]+'s)\s+){1,3}(?:off|away from|out of)\b", re.IGNORECASE)


_PUT_OFF = re.compile(r"^\W*(?:leave|delay|postpone|put off)\b(?=\s+\w+ing\b)", re.IGNORECASE)


@lru_cache(maxsize=1)
def _imperative_verbs() -> frozenset[str]:
    return frozenset(load("cues")["imperative_start"])


def _imperative(piece: str) -> bool:
    """"Hold the ice pack against your skin": a clause opened by a bare verb instructs."""
    first = words(piece[:40])
    return bool(first) and first[0] in _imperative_verbs()


_NO_THING_IS = re.compile(r"\s+(?:[\w-]+\s+){1,5}(?:is|are|was|were|has|have|can be|will be)\b"
                          r"(?!\s+(?:allowed|permitted|advised|recommended|needed|necessary|safe|given|taken|to\b))",
                          re.IGNORECASE)
_HAS_NO = re.compile(r"\b(?:has|have|had|with|got)\s+no$", re.IGNORECASE)
_CHECK_THAT = re.compile(r"\b(?:check|make sure|ensure|see|confirm|look)\b[^.;:]*?\b(?:that|whether|if)\b", re.IGNORECASE)
_MODALS = frozenset({"can", "may", "could"})
_READER = re.compile(r"\b(?:you|your|yourself|we|they|he|she|i|child|children|baby|babies|patients?|visitors?|"
                     r"people|anyone|everyone|someone|adults?|mothers?|parents?|carers?|partners?|family)\b", re.IGNORECASE)
_PASSIVE_AFTER = re.compile(r"\s+(?:also\s+)?be\s+\w+(?:ed|en|n|t)\b", re.IGNORECASE)


_THING_DOES_NOT = re.compile(r"^(?:do|does|did)(?: not|n't|n’t)$", re.IGNORECASE)


def _names_a_thing(subject: str) -> bool:
    """A subject before "does not" that is a thing, not a person the rule is for ("ice cubes", "the bag")."""
    return (bool(content(subject) - GENERIC) and not _READER.search(subject) and not _CONDITION_START.search(subject)
            and not _LEADING_PHRASE.match(subject) and "," not in subject)


# "For 24 hours after sedation, do not:" leads with when, not with a thing
_LEADING_PHRASE = re.compile(r"^\W*(?:for|after|before|until|during|in|on|at|while|within|from|over|once|then|and|or|"
                             r"so|but|please)\b", re.IGNORECASE)


_CONSEQUENCE = re.compile(r"\b(?:can|may|could|might|will|would|makes?|causes?|leads?|brings?|raises?|lowers?|"
                         r"increases?|reduces?)\b", re.IGNORECASE)


def _gerund_subject(text: str, start: int, cue_start: int, cue_end: int, end: int) -> bool:
    """A cue in -ing form that opens its clause and is followed by a modal or a verb of cause ("Stopping
    lithium suddenly can make you ill") is the subject of a statement about what happens."""
    cue = text[cue_start:cue_end].lower()
    if not cue.split()[-1].endswith("ing") or text[start:cue_start].strip(" \t\n*-•(\"'"):
        return False
    return bool(_CONSEQUENCE.search(text, cue_end, end))


def _possibility(text: str, start: int, cue_start: int, cue: str) -> bool:
    """A bare modal permits a reader ("you can shower", "your child may eat"), an activity
    ("swimming can start") or a passive ("can be taken"); after anything else it says what may
    happen ("constipation can stop the catheter draining")."""
    if cue.lower() not in _MODALS or _PASSIVE_AFTER.match(text, cue_start + len(cue)):
        return False
    subject = text[start:cue_start]
    return bool(content(subject)) and not _READER.search(subject) and not action_families(subject)


def _carry_dangling_cues(text: str, clauses: list[Clause]) -> tuple[Clause, ...]:
    """"For 24 hours, do not: drive" (a list item read with its lead-in): a cue with nothing after
    it but a colon governs the clause that follows, so that clause forbids, permits or states a
    condition instead of merely stating."""
    carried = list(clauses)
    for index in range(len(carried) - 1):
        lead, item = carried[index], carried[index + 1]
        dangling = lead.stance not in {"assert", "neutral"} and not lead.objects and (lead.cue or lead.stance == "condition")
        # "do not: take sleeping tablets": an item's own imperative ("take") is governed by the lead-in
        if dangling and item.stance in {"assert", "oblige"} and text[lead.end:item.start].strip().startswith(":"):
            carried[index + 1] = dataclasses.replace(item, stance=lead.stance, cue=lead.cue, cue_start=item.start,
                                                     cue_end=item.start)
    return tuple(carried)


def _strongest(cues, label):
    """The cue that sets a clause's stance: a leading imperative, else the strongest negation or permission."""
    first = min(cues, key=lambda m: m.start)
    if label[first.phrase] == "oblige" and not any(label[m.phrase] != "oblige" for m in cues):
        return first
    return max(cues, key=lambda m: (_STANCE_RANK[label[m.phrase]], -m.start))
