"""The phone directory check: one service, one number.

Every "call the Radiology front desk at 555-0247" names a service and a number. A document that
gives a service a number the protocols never give it (while they do give it another) is a
``contact`` finding against the protocol; where no protocol names the service, two documents
that disagree are a finding between them. This needs no alignment: the service name is the key.
"""
from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Sequence

from rapidfuzz import fuzz

from checker.detectors import hours_clash
from checker.quantities import Phone, opening_hours, phones, same_number
from checker.records import Finding, Statement

_SAME_SERVICE = 90.0
_CONFIDENCE = 0.88
_MIN_SERVICE_WORDS = 2


def _entries(statements: Iterable[Statement]) -> list[tuple[Statement, Phone]]:
    # phones() alone, not facts_of(): the index reads every statement of the corpus on each
    # check, and the full fact extraction costs ten times more
    entries = [(statement, _with_row_service(statement, phone)) for statement in statements for phone in phones(statement.text)]
    return [(statement, phone) for statement, phone in entries
            if phone.service and len(phone.service.split()) >= _MIN_SERVICE_WORDS]


_ONLY_NUMBER = re.compile(r"^[\W\d]*$")


def _with_row_service(statement: Statement, phone: Phone) -> Phone:
    """A number standing alone ("555-0712" in a contacts table's row, or under a heading) belongs to
    the service its row or heading names."""
    if phone.service or not statement.context or not _ONLY_NUMBER.match(statement.text.replace(phone.text, "")):
        return phone
    return dataclasses.replace(phone, service=statement.context[-1].strip(" :").lower())


_SPELLINGS = ((re.compile(r"centre\b"), "center"), (re.compile(r"\btheatre\b"), "theater"),
              (re.compile(r"\bpaediatric"), "pediatric"), (re.compile(r"\bgynaecolog"), "gynecolog"),
              (re.compile(r"\borthopaedic"), "orthopedic"), (re.compile(r"\bhaematolog"), "hematolog"),
              (re.compile(r"\boesophag"), "esophag"), (re.compile(r"\banaesthe"), "anesthe"))


@lru_cache(maxsize=65_536)
def canonical_name(name: str) -> str:
    """A service or place name with British and US spellings made one ("Centre" = "Center")."""
    name = name.lower()
    for pattern, replacement in _SPELLINGS:
        name = pattern.sub(replacement, name)
    return name


def same_service(a: str, b: str) -> bool:
    """Whether two service names (as phone numbers give them) name one service."""
    return fuzz.ratio(canonical_name(a), canonical_name(b)) >= _SAME_SERVICE


def _finding(statement: Statement, phone: Phone, source: Statement, other: Phone) -> Finding:
    return Finding(kind="contact", severity="medium", score=_CONFIDENCE,
                   explanation=f"{phone.service}: {phone.text} vs {other.text}", statement=statement, source=source,
                   statement_spans=((phone.start, phone.end),), source_spans=((other.start, other.end),),
                   facts=(("document", phone.text), ("source", other.text), ("service", phone.service)))


class ServiceIndex:
    """The phone numbers and opening hours every statement gives, indexed once per check so that
    each document's findings can be asked for on its own (the nightly batch asks per document)."""

    def __init__(self, protocols: Sequence[Statement], documents: Sequence[Statement]) -> None:
        self._official = _entries(protocols)
        self._by_service: dict[str, list[tuple[Statement, Phone]]] = defaultdict(list)
        self._phones_by_path: dict[str, list[tuple[Statement, Phone]]] = defaultdict(list)
        for statement, phone in _entries(documents):
            self._by_service[phone.service].append((statement, phone))
            self._phones_by_path[statement.path].append((statement, phone))
        self._official_hours = _hours_entries(protocols)
        self._hours = _hours_entries(documents)
        self._hours_by_path: dict[str, list[tuple[Statement, set[str]]]] = defaultdict(list)
        for statement, names in self._hours:
            self._hours_by_path[statement.path].append((statement, names))
        self._official_places = _places(protocols)
        self._places = _places(documents)
        self._places_by_path: dict[str, list[Place]] = defaultdict(list)
        for place in self._places:
            self._places_by_path[place.statement.path].append(place)

    def findings(self, targets: set[str] | None = None) -> list[Finding]:
        """Contact findings on the documents in ``targets`` (all documents when None)."""
        paths = (set(self._phones_by_path) | set(self._hours_by_path) | set(self._places_by_path)
                 if targets is None else targets)
        found: list[Finding] = []
        for path in sorted(paths):
            found += [f for s, p in self._phones_by_path.get(path, ()) if (f := self._phone_finding(s, p))]
            found += [f for s, n in self._hours_by_path.get(path, ()) if n and (f := self._hours_finding(s, n))]
            found += [f for p in self._places_by_path.get(path, ()) if (f := self._location_finding(p.statement, p))]
        return found

    def _phone_finding(self, statement: Statement, phone: Phone) -> Finding | None:
        official = [(s, p) for s, p in self._official if same_service(p.service, phone.service)]
        if official:
            if any(same_number(p.digits, phone.digits) for _, p in official):
                return None
            return _finding(statement, phone, *official[0])
        peers = [(s, p) for service, items in self._by_service.items() if same_service(service, phone.service)
                 for s, p in items if s.path != statement.path]
        clashing = [(s, p) for s, p in peers if not same_number(p.digits, phone.digits)]
        if clashing and not any(same_number(p.digits, phone.digits) for _, p in peers):
            return _finding(statement, phone, *clashing[0])
        return None

    def _hours_finding(self, statement: Statement, names: set[str]) -> Finding | None:
        same = ([s for s, n in self._official_hours if names & n]
                or [s for s, n in self._hours if names & n and s.path != statement.path])
        for source in same:
            if _other_lines(statement, source):
                continue
            verdict = hours_clash(opening_hours(statement.text), opening_hours(source.text))
            if verdict is not None:
                return Finding(kind="contact", severity="medium", score=0.8, explanation=verdict.explanation,
                               statement=statement, source=source, statement_spans=verdict.doc_spans,
                               source_spans=verdict.source_spans, facts=verdict.facts)
        return None

    def _location_finding(self, statement: Statement, place: Place) -> Finding | None:
        """A service said to be on another level or floor than the protocols (or, where no protocol
        places it, another document) put it."""
        same = ([p for p in self._official_places if p.names & place.names]
                or [p for p in self._places if p.names & place.names and p.statement.path != statement.path])
        if not same or any(p.level == place.level for p in same):
            return None
        other = same[0]
        return Finding(kind="contact", severity="medium", score=0.8,
                       explanation=f"{sorted(place.names & other.names)[0]}: {place.text} vs {other.text}",
                       statement=statement, source=other.statement, statement_spans=((place.start, place.end),),
                       source_spans=((other.start, other.end),),
                       facts=(("document", place.text), ("source", other.text)))


def _other_lines(statement: Statement, source: Statement) -> bool:
    """Both give a phone number and no number is the same: the hours are of two lines, whatever
    heading they sit under."""
    own, other = phones(statement.text), phones(source.text)
    return bool(own) and bool(other) and not any(same_number(a.digits, b.digits) for a in own for b in other)


def directory_findings(protocols: Sequence[Statement], documents: Sequence[Statement],
                       targets: set[str] | None = None) -> list[Finding]:
    """Contact findings (phone numbers and opening hours) for the documents in ``targets``."""
    return ServiceIndex(protocols, documents).findings(targets)


_NAME = re.compile(r"\b(?:[A-Z][\w'’-]*[a-zé]\s+){0,3}[A-Z][\w'’-]*[a-zé]\b")
_NOT_NAMES = re.compile(r"^(?:the|a|an|our|your|we|we're|it|this|that|if|when|please|call|open|monday|tuesday|"
                        r"wednesday|thursday|friday|saturday|sunday|weekdays?|weekends?|contacts?|opening|hours|"
                        r"useful|numbers?|information|help|how|where|what|who|phone|telephone|getting|"
                        r"questions?|enquiries|details)$", re.IGNORECASE)


def _named(text: str) -> list[tuple[int, str]]:
    """Named places and services with where they start, in order."""
    names = []
    for match in _NAME.finditer(text):
        words = [w for w in match.group(0).split() if not _NOT_NAMES.match(w)]
        if len(words) >= 2 or (words and match.start() > 0 and len(words[0]) > 3):
            names.append((match.start(), " ".join(words).lower()))
    return names


def service_names(text: str) -> set[str]:
    """Named places and services in a statement ("Riverside Café", "Outpatient Pharmacy")."""
    return {name for _, name in _named(text)}


def _service_at(text: str, position: int) -> set[str]:
    """The one service a fact at ``position`` belongs to: the nearest name before it (else the
    first after it), leaving out building, street and floor names."""
    # "Quay Street" and "North Wing" are places; "Hollins Lane Surgery" is a service on one
    named = [(start, canonical_name(name)) for start, name in _named(text)
             if not _PLACE_WORDS.search(name.split()[-1])]
    before = [(start, name) for start, name in named if start < position]
    # "the Fracture Clinic at Corrow Vale Hospital is open ...": a name after "at" or "in" is where
    # the service is, not the service
    while len(before) > 1 and _NAME_AT.fullmatch(text, before[-2][0], before[-1][0]):
        before.pop()
    if before:
        return {before[-1][1]}
    return {named[0][1]} if named else set()


_NAME_AT = re.compile(r"(?:[A-Z][\w'’-]*\s+)+(?:at|in|within|inside|of|on)\s+(?:the\s+)?")


def _subject_names(statement: Statement, position: int) -> set[str]:
    """The service a fact at ``position`` is about: named in the statement (the nearest name, as
    in "Pharmacy 555-0320 | Nurses 555-0312 (weekdays 8.30 am to 5 pm)"), else by its nearest
    heading or table-row label ("8 am to 8 pm" in the row of "Eye Casualty")."""
    names = _service_at(statement.text, position)
    if not names and statement.context:
        names = _service_at(" " + statement.context[-1], 10 ** 6)
    return names


def _hours_entries(statements: Iterable[Statement]) -> list[tuple[Statement, set[str]]]:
    """Statements giving opening hours, with the service they are about."""
    entries = []
    for statement in statements:
        hours = opening_hours(statement.text)
        if hours:
            entries.append((statement, _subject_names(statement, hours[0].start)))
    return entries


_LEVEL = re.compile(r"\b(?:on\s+)?(?:the\s+)?(?:(?P<word>level|floor)\s+(?P<n>\d{1,2}|ground)"
                    r"|(?P<ord>ground|first|second|third|fourth|fifth|sixth|1st|2nd|3rd|[4-9]th)\s+floor)\b",
                    re.IGNORECASE)
_ORDINALS = {"ground": "0", "first": "1", "second": "2", "third": "3", "fourth": "4", "fifth": "5", "sixth": "6",
             "1st": "1", "2nd": "2", "3rd": "3"}
_PLACE_WORDS = re.compile(r"\b(?:wing|building|block|floor|level|entrance|tower|site|campus|street|road|avenue|"
                          r"lane|square|quay|drive|way|place|park)\b")


@dataclass(frozen=True)
class Place:
    """One statement's "<service> is on level N": the service names, the level, the span."""

    statement: Statement
    names: frozenset[str]
    level: str
    start: int
    end: int
    text: str


def _level_of(match: re.Match[str]) -> str:
    if match.group("n"):
        value = match.group("n").lower()
        return "0" if value == "ground" else str(int(value))
    token = match.group("ord").lower()
    return _ORDINALS.get(token, token.rstrip("th"))


def _places(statements: Iterable[Statement]) -> list[Place]:
    """Services placed on one level or floor. Names of buildings and wings ("Maternity Wing")
    are where a service is, not the service, so they do not key the comparison."""
    found = []
    for statement in statements:
        levels = list(_LEVEL.finditer(statement.text))
        if len(levels) != 1:
            continue
        match = levels[0]
        names = _subject_names(statement, match.start())
        if names:
            found.append(Place(statement, frozenset(names), _level_of(match), match.start(), match.end(),
                               match.group(0).strip()))
    return found


def directory_keys(statements: Sequence[Statement]) -> tuple[set[str], set[str]]:
    """The services whose phone numbers, and the places whose opening hours, these statements
    give: what the directory matches statements by."""
    services = {phone.service for _, phone in _entries(statements)}
    places: set[str] = set()
    for _, names in _hours_entries(statements):
        places |= names
    for place in _places(statements):
        places |= place.names
    return services, places


__all__ = ["ServiceIndex", "directory_findings", "directory_keys", "same_service", "service_names"]
