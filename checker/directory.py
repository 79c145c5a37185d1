"""The phone directory check: one service, one number.

Every "call the Radiology front desk at 555-0247" names a service and a number. A document that
gives a service a number the protocols never give it (while they do give it another) is a
``contact`` finding against the protocol; where no protocol names the service, two documents
that disagree are a finding between them. This needs no alignment: the service name is the key.
"""
from __future__ import annotations

import re
from collections import defaultdict
from typing import Iterable, Sequence

from rapidfuzz import fuzz

from checker.detectors import PairContext, contact
from checker.facts import facts_of
from checker.quantities import Phone, opening_hours, phones, same_number
from checker.records import ROLE_PROTOCOL, Finding, Statement

_SAME_SERVICE = 90.0
_CONFIDENCE = 0.88
_MIN_SERVICE_WORDS = 2


def _entries(statements: Iterable[Statement]) -> list[tuple[Statement, Phone]]:
    # phones() alone, not facts_of(): the index reads every statement of the corpus on each
    # check, and the full fact extraction costs ten times more
    return [(statement, phone) for statement in statements for phone in phones(statement.text)
            if phone.service and len(phone.service.split()) >= _MIN_SERVICE_WORDS]


def same_service(a: str, b: str) -> bool:
    """Whether two service names (as phone numbers give them) name one service."""
    return fuzz.ratio(a, b) >= _SAME_SERVICE


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

    def findings(self, targets: set[str] | None = None) -> list[Finding]:
        """Contact findings on the documents in ``targets`` (all documents when None)."""
        paths = set(self._phones_by_path) | set(self._hours_by_path) if targets is None else targets
        found: list[Finding] = []
        for path in sorted(paths):
            found += [f for s, p in self._phones_by_path.get(path, ()) if (f := self._phone_finding(s, p))]
            found += [f for s, n in self._hours_by_path.get(path, ()) if n and (f := self._hours_finding(s, n))]
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
            verdict = contact(facts_of(statement.text), facts_of(source.text),
                              PairContext(0.6, source.role != ROLE_PROTOCOL))
            if verdict is not None:
                return Finding(kind="contact", severity="medium", score=0.8, explanation=verdict.explanation,
                               statement=statement, source=source, statement_spans=verdict.doc_spans,
                               source_spans=verdict.source_spans, facts=verdict.facts)
        return None


def directory_findings(protocols: Sequence[Statement], documents: Sequence[Statement],
                       targets: set[str] | None = None) -> list[Finding]:
    """Contact findings (phone numbers and opening hours) for the documents in ``targets``."""
    return ServiceIndex(protocols, documents).findings(targets)


_NAME = re.compile(r"\b(?:[A-Z][\w'’-]*[a-zé]\s+){0,3}[A-Z][\w'’-]*[a-zé]\b")
_NOT_NAMES = re.compile(r"^(?:the|a|an|our|your|we|we're|it|this|that|if|when|please|call|open|monday|tuesday|"
                        r"wednesday|thursday|friday|saturday|sunday|weekdays?|weekends?)$", re.IGNORECASE)


def service_names(text: str) -> set[str]:
    """Named places and services in a statement ("Riverside Café", "Outpatient Pharmacy")."""
    names = set()
    for match in _NAME.finditer(text):
        words = [w for w in match.group(0).split() if not _NOT_NAMES.match(w)]
        if len(words) >= 2 or (words and match.start() > 0 and len(words[0]) > 3):
            names.add(" ".join(words).lower())
    return names


def _hours_entries(statements: Iterable[Statement]) -> list[tuple[Statement, set[str]]]:
    return [(s, service_names(s.text)) for s in statements if opening_hours(s.text)]


def directory_keys(statements: Sequence[Statement]) -> tuple[set[str], set[str]]:
    """The services whose phone numbers, and the places whose opening hours, these statements
    give: what the directory matches statements by."""
    services = {phone.service for _, phone in _entries(statements)}
    places: set[str] = set()
    for _, names in _hours_entries(statements):
        places |= names
    return services, places


__all__ = ["ServiceIndex", "directory_findings", "directory_keys", "same_service", "service_names"]
