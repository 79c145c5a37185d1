"""What a statement says, as structured facts: its stance towards things (allowed, forbidden,
keep doing, stop doing), quantities, clock times, phone numbers, drugs, where to get help,
whom it is about, and when (before/after, morning/evening).

:func:`facts_of` is pure and cached by text, so each statement is analysed once however many
pairs it appears in.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from functools import lru_cache

from checker.actions import action_families
from checker.lexicon import PhraseMatcher, STOPWORDS, load, stem, words
from checker.measures import is_age, measures
from checker.quantities import ClockTime, Hours, Phone, Quantity, clock_times, opening_hours, phones, quantities

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


def _clauses(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for match in _CLAUSE_BREAK.finditer(text):
        if match.start() > start:
            spans.append((start, match.start()))
        start = match.end() if match.group(0).strip(" ,").lower() not in {"if", "when", "whenever", "once",
                                                                           "as long as", "as soon as"} else match.start()
    if start < len(text):
        spans.append((start, len(text)))
    return [part for s, e in spans if text[s:e].strip()
            for part in (_split_condition(text, s, e) if _leads(text[:s]) else [(s, e)])]


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
    return frozenset(stems)


_DEFERRED = re.compile(r"\bsee (?:below|overleaf|page \d+|the next section|further down) (?:for|about)\s+(?:\w+\s+){0,3}$",
                       re.IGNORECASE)
_EXCEPTED = re.compile(r"\b(?:apart from|except(?: for)?|other than|but not|with the exception of)\s+(?:\w+\s+){0,3}$",
                       re.IGNORECASE)
_PASSIVE_BAN = re.compile(r"allowed|permitted|prohibited|forbidden|off.limits|not safe|unsafe|banned", re.IGNORECASE)
_CEASE_NEXT = re.compile(r"\s*(?:stop|stopping|avoid|give up|cut out|pause|miss|skip|interrupt|discard)\b",
                         re.IGNORECASE)


def _analyse_clauses(text: str, amounts: tuple[Quantity, ...]) -> tuple[Clause, ...]:
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
        if stance == "forbid" and cue.lower() == "no" and (_NO_THING_IS.match(text, cue_end)
                                                          or _HAS_NO.search(text, max(0, cue_start - 12), cue_end)):
            stance = "deny"  # "no onion is being cut" says what is not so; "no swimming" forbids
        if stance == "deny" and _CHECK_THAT.search(text[start:cue_start]):
            stance = "assert"  # "check that the tube is not kinked" says what to look for, not what is so
        if stance == "permit" and _possibility(text, start, cue_start, cue):
            stance = "assert"  # "constipation can stop the catheter draining" says what may happen
        if _CONDITION_START.search(piece):
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
        elif clause and _EXCEPTED.search(text[clause.start:match.start]):
            # "take your usual medicines, apart from metformin": the drug is the one left out
            stance = {"oblige": "forbid", "permit": "forbid", "continue": "cease", "forbid": "permit"}.get(stance, stance)
        found.append(DrugMention(match.phrase, generic, classes, match.start, match.end, stance))
    return tuple(found)


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


_NO_NEED_FOR = re.compile(r"\b(?:no need (?:for|to call|to go to|to ring|to phone)|(?:do not|don't|doesn't|does not) need "
                          r"(?:an?|to call|to go to|to ring)|not necessary to (?:call|go to))\s+(?:an?\s+|the\s+)?$",
                          re.IGNORECASE)


def _escalations(text: str) -> tuple[Escalation, ...]:
    """Where the statement sends the reader. Ambiguous destinations (clinic, nurse, pharmacy) count
    only when a contact verb governs them; 911, urgent care and self-care phrases stand alone."""
    level_matcher, levels, role_matcher, roles = _escalation_tables()
    verbs = [m.end for m in _contact_verbs().find(text)]
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


def _condition(text: str) -> tuple[frozenset[str], bool]:
    """Content words of the situation a statement is about ("if you have chest pain" -> chest, pain)."""
    match = _CONDITION.search(text)
    if match:
        return content(match.group("cond")), True
    return frozenset(), False


def _amounts(text: str) -> tuple[Quantity, ...]:
    """Amounts with units or counted nouns, then bare numbers that measure something, in order."""
    read = quantities(text)
    taken = ([(q.start, q.end) for q in read] + [(p.start, p.end) for p in phones(text)]
             + [(c.start, c.end) for c in clock_times(text)])
    return tuple(sorted(read + measures(text, taken), key=lambda q: q.start))


@lru_cache(maxsize=250_000)
def facts_of(text: str) -> Facts:
    """All facts of one statement text."""
    amounts = _amounts(text)
    clauses = _analyse_clauses(text, amounts)
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
