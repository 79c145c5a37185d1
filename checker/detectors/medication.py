"""Medication contradictions: a drug recommended that the other statement forbids, stopped vs kept,
or a different drug for the same purpose."""
from __future__ import annotations

import re

from checker.detectors.base import PairContext, Verdict, _shares_subject, different_conditions, excepts_other_advice
from checker.facts import NEGATIVE, POSITIVE, DrugMention, Facts, content, polarity


# --- medication ----------------------------------------------------------------------------

_STRONG_CLASSES = frozenset({"nsaid", "opioid", "butalbital combination", "triptan", "anticoagulant", "antiplatelet",
                             "salicylate", "benzodiazepine", "steroid", "antibiotic", "blood thinner",
                             "reliever inhaler", "preventer inhaler", "stimulant laxative", "stool softener",
                             "insulin"})


_PURPOSE = re.compile(r"\b(?:for|to (?:lower|reduce|bring down|bring|treat|relieve|ease|control|settle|help with))\s+"
                      r"(?:the |a |an |your |any |mild |bad )?(?P<what>[a-z][a-z-]+(?:\s+(?:or|and)\s+[a-z-]+|"
                      r"\s+(?:down|pain|aches?|[a-z]+ache))?)",
                      re.IGNORECASE)
_NOT_PURPOSE = frozenset({"day", "days", "week", "weeks", "hour", "hours", "month", "months", "year", "years", "life",
                          "long", "now", "example", "instance", "children", "adults", "babies", "anyone", "people",
                          "you", "them", "it", "this", "that", "at", "up", "more", "less", "the", "a", "an", "one",
                          "two", "three", "first", "next", "last", "another", "at least", "both", "all",
                          # how often or how long, not what for ("fine for occasional use")
                          "occasional", "regular", "routine", "everyday", "daily", "short", "short-term", "long-term",
                          "use", "general", "most", "some", "many", "several"})


def _purposes(facts: Facts) -> frozenset[str]:
    """What a statement takes its drugs for ("for pain", "to lower a temperature")."""
    found: set[str] = set()
    for match in _PURPOSE.finditer(facts.text):
        words_of = match.group("what").lower().split()
        if words_of[0] in _NOT_PURPOSE:
            continue
        found |= content(" ".join(w for w in words_of if w not in {"or", "and", "down"}))
        if match.group(0).lower().startswith("to "):
            found |= content(match.group(0).split()[1])
    if _LOW_DOSE.search(facts.text):
        found.add("low-dose")  # low-dose aspirin protects the heart or a pregnancy; it is not a painkiller
    return frozenset(found)


_LOW_DOSE = re.compile(r"\blow[- ]dose\b", re.IGNORECASE)


def _different_purposes(doc: Facts, src: Facts) -> bool:
    """"Paracetamol is fine for pain" and "do not take paracetamol to lower a temperature" are two uses."""
    doc_purposes, src_purposes = _purposes(doc), _purposes(src)
    return bool(doc_purposes) and bool(src_purposes) and not doc_purposes & src_purposes


def medication(doc: Facts, src: Facts, ctx: PairContext) -> Verdict | None:
    if _different_purposes(doc, src) or different_conditions(doc, src):
        return None
    for forbidding, recommending, doc_forbids in ((src, doc, False), (doc, src, True)):
        if excepts_other_advice(forbidding, recommending):
            continue
        for banned in forbidding.drugs:
            if banned.stance != "forbid" or _combination(forbidding, banned):
                continue
            for drug in recommending.drugs:
                if polarity(drug.stance) != POSITIVE or drug.stance == "assert" and not _recommends(recommending, drug):
                    continue
                if any(d.generic == drug.generic and polarity(d.stance) == NEGATIVE for d in recommending.drugs):
                    continue
                if not _same_or_member(drug.generic, drug.classes, banned):
                    continue
                group = banned.generic or next(iter(banned.classes))
                named = drug.name if drug.name == drug.generic or not drug.generic else f"{drug.name} ({drug.generic})"
                doc_drug, src_drug = (banned, drug) if doc_forbids else (drug, banned)
                text = (f"{named} recommended vs {group} forbidden" if not doc_forbids
                        else f"{group} forbidden vs {named} recommended")
                return Verdict("medication", 0.9, text, ((doc_drug.start, doc_drug.end),),
                               ((src_drug.start, src_drug.end),),
                               (("document", doc_drug.name), ("source", src_drug.name)), "high")
    return _stopped_vs_kept(doc, src) or _different_drug(doc, src, ctx)


def _identity(drug: DrugMention) -> str:
    """A drug by its generic name, or a class named on its own ("the antibiotic") by the class."""
    return drug.generic or ("class:" + ",".join(sorted(drug.classes)) if drug.classes else "")


def _one_drug(a: DrugMention, b: DrugMention) -> bool:
    """The same drug, or a drug and a class named on its own that it belongs to ("Clenil", "your preventer")."""
    if _identity(a) == _identity(b):
        return True
    class_only, drug = (a, b) if not a.generic else (b, a)
    return not class_only.generic and bool(drug.generic) and bool(class_only.classes & drug.classes & _STRONG_CLASSES)


def _stopped_vs_kept(doc: Facts, src: Facts) -> Verdict | None:
    """One statement stops (or lets the patient leave out) a drug the other says to keep taking:
    "you can leave out your insulin" vs "never stop taking your insulin"."""
    for stopping, keeping, doc_stops in ((doc, src, True), (src, doc, False)):
        if excepts_other_advice(keeping, stopping):
            continue
        for stopped in stopping.drugs:
            if stopped.stance != "cease" or not _identity(stopped):
                continue
            same = [d for d in keeping.drugs if _one_drug(d, stopped)]
            kept = next((d for d in same if d.stance == "continue"), None)
            if kept is None or any(d.stance == "cease" for d in same):
                continue
            doc_drug, src_drug = (stopped, kept) if doc_stops else (kept, stopped)
            text = (f"{stopped.name} stopped vs {kept.name} continued" if doc_stops
                    else f"{kept.name} continued vs {stopped.name} stopped")
            return Verdict("medication", 0.85, text, ((doc_drug.start, doc_drug.end),),
                           ((src_drug.start, src_drug.end),),
                           (("document", doc_drug.name), ("source", src_drug.name)), "high")
    return None


_COMBINATION = re.compile(r"\b(?:at the same time|together|in combination|combined|with each other|"
                                        r"on the same day|at once)\b", 2)


# "never take methotrexate every day": the ban is on how often, not on the drug
_HOW_OFTEN = re.compile(r"\b(?:every|each)\s+(?:day|night|morning|evening)\b|\bdaily\b|\bmore (?:often|than once)\b|"
                        r"\btwice\b|\bregularly\b|\blong[- ]term\b", re.IGNORECASE)


def _combination(facts: Facts, banned) -> bool:
    """"Do not give acetaminophen and ibuprofen at the same time" bans a combination, not each drug;
    "never take methotrexate every day" bans a frequency, not the drug."""
    clause = next((c for c in facts.clauses if c.start <= banned.start < c.end), None)
    if clause is None:
        return False
    text = facts.text[clause.start:clause.end]
    return bool(_COMBINATION.search(text)) or bool(_HOW_OFTEN.search(facts.text[banned.end:clause.end]))


_INSTEAD = re.compile(r"\binstead\b|\brather\b|\bchoose\b|\bswitch to\b", re.IGNORECASE)


def _recommends(facts: Facts, drug) -> bool:
    """A drug named in a plain statement is recommended when the statement recommends something,
    unless it recommends something else in its place ("X can make you drowsy, so take Y instead")."""
    recommending = [c for c in facts.clauses if c.stance in {"permit", "oblige", "continue"}]
    if not recommending:
        return False
    own = any(c.start <= drug.start < c.end for c in recommending)
    return own or not any(_INSTEAD.search(facts.text[c.start:c.end]) for c in recommending)


def _same_or_member(generic: str, classes: frozenset[str], banned) -> bool:
    if banned.generic:
        return generic == banned.generic
    return bool(classes & banned.classes)


def _different_drug(doc: Facts, src: Facts, ctx: PairContext) -> Verdict | None:
    """Same purpose, different drug: "use Qvar in an attack" vs "use your reliever (albuterol)"."""
    if ctx.similarity < 0.55:
        return None
    doc_drugs = [d for d in doc.drugs if d.generic and d.stance in {"oblige", "permit", "continue"}]
    src_drugs = [d for d in src.drugs if d.generic and d.stance in {"oblige", "permit", "continue"}]
    if not doc_drugs or not src_drugs or any(d.stance in {"forbid", "cease"} for d in doc.drugs + src.drugs):
        return None
    doc_generics = {d.generic for d in doc.drugs}
    src_generics = {d.generic for d in src.drugs}
    named_doc, named_src = doc_generics - {""}, src_generics - {""}
    if doc_generics & src_generics or len(named_doc) > 1 or len(named_src) > 1:
        return None  # a list of drugs ("X and Y are safe") gives options, not one rival choice
    doc_classes = set().union(*(d.classes for d in doc_drugs)) & _STRONG_CLASSES
    src_classes = set().union(*(d.classes for d in src_drugs)) & _STRONG_CLASSES
    if doc_classes & src_classes or not (doc_classes or src_classes):
        return None
    if not _shares_subject(doc, src) - {d.name for d in doc.drugs}:
        return None
    d, s = doc_drugs[0], src_drugs[0]
    return Verdict("medication", 0.7, f"{d.name} vs {s.name} for the same purpose", ((d.start, d.end),),
                   ((s.start, s.end),), (("document", d.name), ("source", s.name)), "high")
