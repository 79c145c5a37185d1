"""One detector per kind of contradiction. Each takes the facts of a document statement and of
its aligned source statement and returns a :class:`Verdict` or None.

A detector's ``confidence`` says how sure the rule itself is; the judge folds in how closely the
two statements were aligned to make the finding's score.

Each kind has its own module (:mod:`~checker.detectors.numeric`, ``negation``, ``medication``,
``action``, ``timing``, ``contact``); what they share is in :mod:`checker.detectors.base`.
"""
from __future__ import annotations

from typing import Callable

from checker.detectors.base import PairContext, Verdict
from checker.detectors.action import action
from checker.detectors.contact import contact, hours_clash
from checker.detectors.medication import medication
from checker.detectors.negation import negation
from checker.detectors.numeric import agrees, different_cases, numeric
from checker.detectors.timing import timing
from checker.facts import Facts

__all__ = ["DETECTORS", "PairContext", "Verdict", "action", "agrees", "contact", "different_cases", "hours_clash",
           "medication", "negation", "numeric", "timing"]

DETECTORS: tuple[Callable[[Facts, Facts, PairContext], Verdict | None], ...] = (
    medication, contact, action, numeric, timing, negation,
)
