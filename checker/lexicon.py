"""Loads the lexicons in ``checker/lexicons/*.json`` once and offers phrase matching over them.

Rules and word lists are data: to teach the engine a new brand name, unit or escalation
phrase, edit the JSON, not the code.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

LEXICON_DIR = Path(__file__).with_name("lexicons")

_WORD = re.compile(r"[a-z0-9]+(?:['’-][a-z0-9]+)*")

STOPWORDS = frozenset(
    "a an the and or of to in on at for with by from as is are be been was were it its this that these those "
    "you your yours we our us they them their he she his her i me my if when then than so such not no do does did "
    "will would can could may might must should shall have has had about into over under up down out off per "
    "each every any all some more most less few very also just only there here what which who whom how why "
    "while until before after again once both either neither nor own same other s t get got let make sure "
    "please need needs".split()
)


@lru_cache(maxsize=None)
def load(name: str) -> dict:
    """The parsed JSON lexicon ``checker/lexicons/<name>.json``."""
    with open(LEXICON_DIR / f"{name}.json", encoding="utf-8") as handle:
        return json.load(handle)


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    phrase: str


class PhraseMatcher:
    """Finds whole-word, case-insensitive occurrences of any of a set of phrases, longest first."""

    def __init__(self, phrases: Iterable[str]) -> None:
        unique = sorted({phrase.lower() for phrase in phrases if phrase}, key=len, reverse=True)
        body = "|".join(re.escape(phrase) for phrase in unique) or r"(?!x)x"
        self._pattern = re.compile(rf"(?<![\w-])(?:{body})(?![\w-])", re.IGNORECASE)

    def find(self, text: str) -> list[Match]:
        return [Match(m.start(), m.end(), m.group(0).lower()) for m in self._pattern.finditer(text)]

    def search(self, text: str) -> bool:
        return self._pattern.search(text) is not None


@lru_cache(maxsize=None)
def matcher(lexicon: str, *path: str) -> PhraseMatcher:
    """A matcher over the list found at ``path`` inside a lexicon (cached)."""
    node = load(lexicon)
    for key in path:
        node = node[key]
    return PhraseMatcher(node)


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


@lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    """A light suffix stripper: enough to match swim/swimming, breath/breathless, pill/pills."""
    word = word.lower().replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    for suffix, keep in (("ssness", 2), ("ness", 0), ("ments", 0), ("ment", 0), ("ings", 0), ("ing", 0),
                         ("ies", -1), ("ied", -1), ("ly", 0), ("ed", 0), ("es", 0), ("s", 0)):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                return word
            base = word[: len(word) - len(suffix)]
            if keep == -1:
                return base + "y"
            if keep == 2:
                return base + "ss"
            if len(base) >= 4 and base[-1] == base[-2] and base[-1] not in "lsz":
                base = base[:-1]  # swimm -> swim, stopp -> stop
            return base
    if len(word) >= 4 and word.endswith("e") and word[-2] not in "aeiouy":
        return word[:-1]  # drive -> driv, as in driving and drives
    return word


def content_stems(text: str) -> set[str]:
    """Stems of the informative words of a text (stopwords and numbers dropped)."""
    return {stem(word) for word in words(text) if word not in STOPWORDS and not word[0].isdigit() and len(word) > 1}
