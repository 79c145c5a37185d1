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
from checker.quantities import Phone, same_number
from checker.records import ROLE_PROTOCOL, Finding, Statement

_SAME_SERVICE = 90.0
_CONFIDENCE = 0.88
_MIN_SERVICE_WORDS = 2


def _entries(statements: Iterable[Statement]) -> list[tuple[Statement, Phone]]:
    return [(statement, phone) for statement in statements for phone in facts_of(statement.text).phones
            if phone.service and len(phone.service.split()) >= _MIN_SERVICE_WORDS]


def _same_service(a: str, b: str) -> bool:
    return fuzz.ratio(a, b) >= _SAME_SERVICE


def _finding(statement: Statement, phone: Phone, source: Statement, other: Phone) -> Finding:
    return Finding(kind="contact", severity="medium", score=_CONFIDENCE,
                   explanation=f"{phone.service}: {phone.text} vs {other.text}", statement=statement, source=source,
                   statement_spans=((phone.start, phone.end),), source_spans=((other.start, other.end),),
                   facts=(("document", phone.text), ("source", other.text), ("service", phone.service)))


def directory_findings(protocols: Sequence[Statement], documents: Sequence[Statement],
                       targets: set[str] | None = None) -> list[Finding]:
    """Contact findings for services whose number differs between statements."""
    protocol_entries = _entries(protocols)
    document_entries = _entries(documents)
    by_service: dict[str, list[tuple[Statement, Phone]]] = defaultdict(list)
    for statement, phone in document_entries:
        by_service[phone.service].append((statement, phone))
    findings: list[Finding] = []
    for statement, phone in document_entries:
        if targets is not None and statement.path not in targets:
            continue
        official = [(s, p) for s, p in protocol_entries if _same_service(p.service, phone.service)]
        if official:
            if not any(same_number(p.digits, phone.digits) for _, p in official):
                findings.append(_finding(statement, phone, *official[0]))
            continue
        peers = [(s, p) for service, items in by_service.items() if _same_service(service, phone.service)
                 for s, p in items if s.department != statement.department and s.path != statement.path]
        clashing = [(s, p) for s, p in peers if not same_number(p.digits, phone.digits)]
        if clashing and not any(same_number(p.digits, phone.digits) for _, p in peers):
            findings.append(_finding(statement, phone, *clashing[0]))
    return findings




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
    return [(s, service_names(s.text)) for s in statements if facts_of(s.text).hours]


def hours_findings(protocols: Sequence[Statement], documents: Sequence[Statement],
                   targets: set[str] | None = None) -> list[Finding]:
    """Opening hours given for the same named service that differ on some day."""
    official = _hours_entries(protocols)
    others = _hours_entries(documents)
    findings: list[Finding] = []
    for statement, names in others:
        if not names or (targets is not None and statement.path not in targets):
            continue
        same = [s for s, n in official if names & n] or [s for s, n in others if names & n and s.path != statement.path]
        for source in same:
            verdict = contact(facts_of(statement.text), facts_of(source.text), PairContext(0.6, source.role != ROLE_PROTOCOL))
            if verdict is not None:
                findings.append(Finding(kind="contact", severity="medium", score=0.8, explanation=verdict.explanation,
                                        statement=statement, source=source, statement_spans=verdict.doc_spans,
                                        source_spans=verdict.source_spans, facts=verdict.facts))
                break
    return findings


__all__ = ["directory_findings", "hours_findings", "service_names"]
