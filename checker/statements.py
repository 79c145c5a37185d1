"""Cutting extracted text into statements: sentences and bullet items, with their context."""
from __future__ import annotations

import re
from collections import Counter
from typing import Iterator

from checker.records import Block, Extracted, Piece
from checker.schedule import phones

# A period after these never ends a sentence ("Dr. Raman", "e.g. ice", "approx. 5 mg").
NEVER_FINAL: frozenset[str] = frozenset({
    "dr.", "mr.", "mrs.", "ms.", "mx.", "prof.", "st.", "sr.", "jr.", "e.g.", "i.e.", "eg.", "ie.",
    "vs.", "v.", "approx.", "appt.", "apt.", "dept.", "ext.", "tel.", "fig.", "cf.", "ca.", "incl.",
    "u.s.", "u.k.", "mt.", "ave.", "rd.", "bldg.", "rm.", "fl.", "tab.", "tabs.", "cap.", "caps.",
})
# These may end a sentence; they do when the next word is capitalised and not a day or month.
MAYBE_FINAL: frozenset[str] = frozenset({
    "etc.", "a.m.", "p.m.", "am.", "pm.", "min.", "mins.", "hr.", "hrs.", "max.", "wk.", "wks.",
    "mo.", "mos.", "yr.", "yrs.", "sec.", "oz.", "lb.", "lbs.", "in.", "ft.", "inc.", "co.", "ltd.",
})
# "No. 3", "no. 12": an abbreviation only before a number.
BEFORE_NUMBER: frozenset[str] = frozenset({"no.", "nos.", "vol.", "p.", "pp.", "ch.", "sec.", "art."})
CALENDAR_WORDS: frozenset[str] = frozenset({
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "mon", "tue", "tues", "wed", "thu", "thurs", "fri", "sat", "sun", "weekdays", "weekends",
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec", "et", "est", "pt", "pst", "ct", "cst", "mt", "mst", "gmt", "utc",
})
# Labels that carry meaning even when repeated; never stripped as speakers.
KEPT_LABELS: frozenset[str] = frozenset({
    "note", "notes", "date", "time", "warning", "caution", "important", "tip", "remember",
    "example", "reminder", "exception", "dose", "question", "answer", "q", "a", "location",
    "phone", "tel", "fax", "email", "address", "hours", "step",
})
# In a script (some label repeats), these roles are speakers even when they speak once.
SPEAKER_ROLES: frozenset[str] = frozenset({
    "agent", "caller", "patient", "parent", "nurse", "doctor", "pharmacist", "receptionist",
    "scheduler", "staff", "technician", "operator", "clinician", "provider", "representative",
    "rep", "you", "me", "customer", "family", "carer", "caregiver",
})

# The people a service talks to: in a script their lines are questions and situations ("I usually
# take ibuprofen for my back"), not the service's advice, so they are not statements to check.
ASKING_ROLES: frozenset[str] = frozenset({
    "caller", "patient", "parent", "customer", "family", "carer", "caregiver", "client", "mum", "mom", "dad",
    "mother", "father", "relative", "visitor", "member", "husband", "wife", "partner", "son", "daughter", "me",
})

_BOUNDARY = re.compile(r"(?:\.{2,}|…|[.!?])+[\"'”’»)\]]*(?=\s)")
_NEXT_WORD = re.compile(r"\s+[\"'“‘«(\[]*(\S*)")
_TOKEN_START = re.compile(r"[^\s\"'“‘«(\[]*$")
_LABEL = r"([A-Z][A-Za-z]*(?: [A-Za-z]+)?):[ \t]+(?=\S)"
_SPEAKER = re.compile(r"^[ \t]*(?:[-*•+][ \t]+)?" + _LABEL, re.M)
_LABEL_HERE = re.compile(_LABEL)
_UNDERSCORES = re.compile(r"_{2,}")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_LETTER = re.compile(r"[^\W\d_]")
_MIN_CELL_WORDS = 3
_MIN_LENGTH = 3
_FORM_WORDS = 4


def split_statements(extracted: Extracted) -> list[Piece]:
    """Statements of a document in reading order: every sentence of every non-heading block.

    Each piece's ``context`` is its block's heading path, and for a list item after a lead-in
    sentence ending in a colon ("Come back if you have:"), that sentence; speaker labels of scripts
    ("Agent: ") and surrounding whitespace are left out of the span.
    """
    speakers = speaker_labels(extracted.text)
    pieces: list[Piece] = []
    lead_in = ""
    for block in extracted.blocks:
        if block.kind == "heading":
            lead_in = ""
            continue
        if block.kind == "table_cell" and len(_WORD.findall(block.text)) < _MIN_CELL_WORDS and not phones(block.text):
            continue  # a short cell says nothing alone, unless it is a row's phone number
        found = list(_block_pieces(extracted.text, block, speakers))
        if block.kind == "list_item" and lead_in:
            found = [Piece(p.text, p.start, p.end, p.context + (lead_in,), p.block_kind) for p in found]
        elif block.kind != "list_item":
            # a sentence ending in a colon introduces the list items after it
            lead_in = found[-1].text if found and found[-1].text.rstrip().endswith(":") else ""
        pieces.extend(found)
    return pieces


def speaker_labels(text: str) -> frozenset[str]:
    """Labels such as "Agent" that start two or more lines: the speakers of a script."""
    counts = Counter(match.group(1) for match in _SPEAKER.finditer(text))
    repeated = {label for label, count in counts.items() if count >= 2 and label.lower() not in KEPT_LABELS}
    if not repeated:
        return frozenset()
    return frozenset(repeated | {label for label in counts if label.lower() in SPEAKER_ROLES})


def _block_pieces(text: str, block: Block, speakers: frozenset[str]) -> Iterator[Piece]:
    for start, end in _turn_spans(block.text, speakers):
        start, end = block.start + start, block.start + end
        start = _after_speaker(text, start, end, speakers)
        start, end = _trim(text, start, end)
        piece_text = text[start:end]
        # a contacts table's number cell is kept: the directory reads it with its row's service
        if _is_statement(piece_text) or (block.kind == "table_cell" and phones(piece_text)):
            yield Piece(text=piece_text, start=start, end=end, context=block.heading_path,
                        block_kind=block.kind)


def _turn_spans(text: str, speakers: frozenset[str]) -> Iterator[tuple[int, int]]:
    """Sentence spans, treating each new speaker's line as a new sentence."""
    cuts = [0]
    if speakers and "\n" in text:
        cuts += [match.start() for match in _SPEAKER.finditer(text)
                 if match.start() and match.group(1) in speakers]
    cuts.append(len(text))
    for begin, finish in zip(cuts, cuts[1:]):
        label = _SPEAKER.match(text, begin) if speakers else None
        if label and label.group(1) in speakers and label.group(1).lower() in ASKING_ROLES:
            continue  # the caller's line: what they ask or say about themselves
        for start, end in sentence_spans(text[begin:finish]):
            yield begin + start, begin + end


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of ``text``; whitespace between sentences is left out."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        if match.end() <= start or not _ends_sentence(text, match):
            continue
        spans.append((start, match.end()))
        start = match.end()
    spans.append((start, len(text)))
    return [span for span in (_trim(text, s, e) for s, e in spans) if span[0] < span[1]]


def _ends_sentence(text: str, match: re.Match[str]) -> bool:
    following = _NEXT_WORD.match(text, match.end())
    word = following.group(1) if following else ""
    if not word or word[0].islower():
        return False
    marks = match.group().rstrip("\"'”’»)]")
    if "?" in marks or "!" in marks:
        return True
    if marks.endswith(("..", "…")):
        return word[0].isupper() or word[0].isdigit()
    return _period_ends(text, match.start(), word)


def _period_ends(text: str, period: int, word: str) -> bool:
    window = text[max(0, period - 40):period + 1]
    token = _TOKEN_START.search(window[:-1])
    lowered = (token.group() if token else "").lower() + "."
    if lowered in NEVER_FINAL:
        return False
    if lowered in BEFORE_NUMBER:
        return not (word[0].isdigit() or word[0] == "#")
    if lowered in MAYBE_FINAL or (lowered.count(".") > 1 and lowered[0].isalpha()):
        return word[0].isupper() and word.strip(".,;:").lower() not in CALENDAR_WORDS
    if token and len(token.group()) == 1 and token.group().isupper():
        return not _after_title(window[:-1])
    return True


def _after_title(before: str) -> bool:
    """An initial ("J." in "Dr. J. Smith") follows a title or another initial."""
    words = before.split()
    if len(words) < 2:
        return False
    previous = words[-2].lower()
    return previous in NEVER_FINAL or (len(previous) == 2 and previous.endswith("."))


def _after_speaker(text: str, start: int, end: int, speakers: frozenset[str]) -> int:
    if not speakers:
        return start
    match = _LABEL_HERE.match(text, start, end)
    if match and match.group(1) in speakers and _at_line_start(text, start):
        return match.end()
    return start


def _at_line_start(text: str, position: int) -> bool:
    line_start = text.rfind("\n", 0, position) + 1
    return not text[line_start:position].strip(" \t-*•+")


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _is_statement(text: str) -> bool:
    if len(text) < _MIN_LENGTH or not _LETTER.search(text):
        return False
    finished = text.rstrip("\"'”’)]").endswith((".", "!", "?"))
    if _UNDERSCORES.search(text):
        # Form lines ("Patient: ______  Date: ____") and blanks to fill in say nothing.
        return finished and len(_WORD.findall(_UNDERSCORES.sub(" ", text))) > _FORM_WORDS
    return True
