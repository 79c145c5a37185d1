"""Contact contradictions: a different phone number for the same service, or different opening hours."""
from __future__ import annotations

import re
from typing import Sequence

from rapidfuzz import fuzz

from checker.detectors.base import PairContext, Verdict, _shares_subject
from checker.facts import GENERIC, Facts
from checker.lexicon import stem
from checker.schedule import Hours, same_number


# --- contact -------------------------------------------------------------------------------

def contact(doc: Facts, src: Facts, ctx: PairContext) -> Verdict | None:
    return _phone(doc, src, ctx) or _hours(doc, src, ctx)


def _unnamed_phone(doc: Facts, src: Facts, ctx: PairContext) -> Verdict | None:
    """"Call 555-0173 to book physiotherapy" names no service before the number: near-identical
    statements with one number each that differs are about the same line. Between two documents
    an unnamed number is each department's own line ("ring us on ..."), so only a protocol's counts."""
    if len(doc.phones) != 1 or len(src.phones) != 1 or ctx.similarity < 0.75 or ctx.doc_vs_doc:
        return None
    dp, sp = doc.phones[0], src.phones[0]
    if same_number(dp.digits, sp.digits) or (dp.service and sp.service) or not _shares_subject(doc, src, 2):
        return None
    return Verdict("contact", 0.8, f"{dp.text} vs {sp.text}", ((dp.start, dp.end),), ((sp.start, sp.end),),
                   (("document", dp.text), ("source", sp.text)))


def _phone(doc: Facts, src: Facts, ctx: PairContext) -> Verdict | None:
    unnamed = _unnamed_phone(doc, src, ctx)
    if unnamed:
        return unnamed
    for dp in doc.phones:
        if not dp.service:
            continue
        same_service = [sp for sp in src.phones if sp.service and _one_service(dp.service, sp.service)]
        if not same_service or any(same_number(sp.digits, dp.digits) for sp in same_service):
            continue
        sp = same_service[0]
        return Verdict("contact", 0.9, f"{dp.service}: {dp.text} vs {sp.text}", ((dp.start, dp.end),),
                       ((sp.start, sp.end),), (("document", dp.text), ("source", sp.text), ("service", dp.service)))
    return None


_DAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


_SCHEDULE_WORDS = frozenset(stem(word) for word in (
    "monday tuesday wednesday thursday friday saturday sunday weekday weekdays weekend weekends day days daily "
    "week am pm noon midday midnight open opening hours line lines closed every except bank holidays holiday "
    "morning afternoon evening night").split())


_WRITER = re.compile(r"\b(?:we|we're|we are|our|us)\b", re.IGNORECASE)


def _hours_alone(facts: Facts) -> bool:
    """Hours and nothing else ("Monday to Friday, 9am to 5pm", a table cell): no place named, not
    even the writer's own ("we're open ...")."""
    return not (facts.stems - _SCHEDULE_WORDS - GENERIC) and not _WRITER.search(facts.text)


def _hours(doc: Facts, src: Facts, ctx: PairContext) -> Verdict | None:
    """Other opening hours for one place: hours alone ("Monday to Friday, 9am to 5pm" in two
    tables) say nothing of whose they are, which the service directory reads from rows and headings."""
    if not doc.hours or not src.hours or ctx.similarity < 0.55 or not _shares_subject(doc, src):
        return None
    if _hours_alone(doc) or _hours_alone(src):
        return None
    if _other_services(doc, src):
        return None
    return hours_clash(doc.hours, src.hours)


def _other_services(doc: Facts, src: Facts) -> bool:
    """Both give numbers, and none is the same number or the same named service: the hours are of two places."""
    if doc.phones and src.phones and not any(same_number(a.digits, b.digits) for a in doc.phones for b in src.phones):
        return True
    named_doc = [p.service for p in doc.phones if p.service]
    named_src = [p.service for p in src.phones if p.service]
    return bool(named_doc) and bool(named_src) and not any(_one_service(a, b) for a in named_doc for b in named_src)


def _one_service(a: str, b: str) -> bool:
    """Two service names a phone number is given for name one service ("the Pharmacy", "Pharmacy Help Desk")."""
    return fuzz.token_set_ratio(a, b) >= 90


def hours_clash(doc_hours: Sequence[Hours], src_hours: Sequence[Hours]) -> Verdict | None:
    """Opening hours of one place that differ on a day both give."""
    for dh in doc_hours:
        for sh in src_hours:
            days = dh.days & sh.days
            if days and (dh.opens, dh.closes) != (sh.opens, sh.closes):
                names = _DAY_NAMES[min(days)] if len(days) == 1 else f"{_DAY_NAMES[min(days)]}-{_DAY_NAMES[max(days)]}"
                shown = lambda h: "closed" if h.opens == h.closes == 0 else h.text
                return Verdict("contact", 0.85, f"{names}: {shown(dh)} vs {shown(sh)}", ((dh.start, dh.end),),
                               ((sh.start, sh.end),), (("document", dh.text), ("source", sh.text)))
    return None


def hours_agree(doc: Facts, src: Facts) -> bool:
    """Both give opening hours for a day in common, the same on every such day: the document
    statement restates this source's hours (so a clash with other hours is about another place)."""
    shared_days = [(dh, sh) for dh in doc.hours for sh in src.hours if dh.days & sh.days]
    return bool(shared_days) and all((dh.opens, dh.closes) == (sh.opens, sh.closes) for dh, sh in shared_days)
