"""Phone numbers with the service they belong to, clock times and opening hours."""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class ClockTime:
    minutes: int
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Hours:
    """Opening hours for a set of weekdays (0 = Monday); minutes since midnight."""

    days: frozenset[int]
    opens: int
    closes: int
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Phone:
    digits: str
    service: str
    start: int
    end: int
    text: str


_PHONE = re.compile(r"(?<![\w-])(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])?\d{3}[\s.-]\d{4}(?![\w-])")
_CLOCK = re.compile(
    r"(?<![\w:.])(?P<h>\d{1,2})(?:[:.](?P<m>[0-5]\d))?\s*(?P<ap>a\.\s?m\.?|p\.\s?m\.?|am\b|pm\b|noon\b|midnight\b)"
    r"|(?<![\w:])(?P<h24>[01]?\d|2[0-3])[:h](?P<m24>[0-5]\d)(?![\w:])"
    r"|(?<![\w-])(?P<word>noon|midday|midnight)(?![\w-])", re.IGNORECASE)
_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_DAY = re.compile(r"\b(mon(?:day)?s?|tue(?:s(?:day)?)?s?|wed(?:nesday)?s?|thu(?:r(?:s(?:day)?)?)?s?|fri(?:day)?s?|"
                  r"sat(?:urday)?s?|sun(?:day)?s?|weekdays?|weekends?)\b", re.IGNORECASE)
_CLOSED = re.compile(r"\bclosed\s+(?:on\s+|at\s+|over\s+|during\s+|all\s+day\s+)?(?:(?:mon|tue|wed|thu|fri|sat|sun)\w*|weekends?)"
                     r"(?:\s*(?:,|and|or|&)\s*(?:(?:mon|tue|wed|thu|fri|sat|sun)\w*|weekends?))*", re.IGNORECASE)
_RANGE_JOIN = r"\s*(?:-|–|—|to|until|till|through)\s*"


def phones(text: str) -> list[Phone]:
    """Phone numbers with the service named before them ("call the Outpatient Pharmacy at ..."):
    North American forms (and the fictional 555-01xx lines), and numbers in other national or
    international forms as the ``phonenumbers`` library finds them ("01632 960285", "+44 20 7946 0018")."""
    found = [Phone(digits, _service_before(text, start), start, end, text[start:end])
             for start, end, digits in _other_numbers(text)]
    for match in _PHONE.finditer(text):
        if any(p.start < match.end() and match.start() < p.end for p in found):
            continue  # "123 4567" inside "0300 123 4567"
        digits = re.sub(r"\D", "", match.group(0))
        digits = digits[1:] if len(digits) == 11 and digits.startswith("1") else digits
        found.append(Phone(digits, _service_before(text, match.start()), match.start(), match.end(), match.group(0)))
    return sorted(found, key=lambda phone: phone.start)


_NATIONAL_START = re.compile(r"(?<![\w.,/])(?:\+|0)\d")  # "+44 ...", "01632 ...", not the 0 inside "100"


def _other_numbers(text: str) -> list[tuple[int, int, str]]:
    """Numbers written the British way or with a country code: (start, end, digits in national form)."""
    if not _NATIONAL_START.search(text):
        return []
    import phonenumbers

    found = []
    for match in phonenumbers.PhoneNumberMatcher(text, "GB", leniency=phonenumbers.Leniency.POSSIBLE):
        if not _NATIONAL_START.match(match.raw_string) or match.number.country_code == 1:
            continue  # North American forms are read by the pattern
        number = match.number
        national = ("0" if number.country_code == 44 else f"+{number.country_code}") + str(number.national_number)
        found.append((match.start, match.end, national))
    return found


_SERVICE_VERB = re.compile(
    r"(?:call|phone|ring|contact|reach|dial|text|page|try)\s+(?:the\s+|our\s+|your\s+|us\s+at\s+)?"
    r"(?P<svc>[A-Za-z][\w'’&/ -]{1,60}?)\s*(?:at|on|:|via|number|,)?\s*$", re.IGNORECASE)


def same_number(a: str, b: str) -> bool:
    """Equal phone numbers, allowing one to carry an area code the other leaves out."""
    if a == b:
        return True
    shorter, longer = sorted((a, b), key=len)
    return len(shorter) == 7 and len(longer) == 10 and longer.endswith(shorter)
_SERVICE_LABEL = re.compile(r"(?P<svc>[A-Za-z][\w'’&/ -]{1,50}?)(?:\s*(?::|-|–)|\s+(?:at|on|is))\s*$", re.IGNORECASE)
_SERVICE_TRIM = re.compile(r"^(?:the|our|your|a|an|us)\s+|\s+(?:at|on|is|are|line number|number|phone)$", re.IGNORECASE)


# A proper name just before the number ("... go to the Patient Billing Office on 555-0710"): the
# capitalised words are the service, whatever sentence leads up to them.
_CAPITALISED_NAME = re.compile(r"(?<![\w'’&-])(?P<svc>(?:[A-Z][\w'’&-]*\s+(?:(?:and|of|for|&)\s+)?){1,5}[A-Z][\w'’&-]*)"
                               r"\s*(?::|-|–|at|on|is|via|,)?\s*$")
_BARE_VERB = re.compile(r"(?:,\s*)?(?:please\s+)?(?:call|phone|ring|dial|text)(?:\s+us)?(?:\s+(?:at|on))?\s*$",
                        re.IGNORECASE)


def _service_before(text: str, position: int) -> str:
    window = text[max(0, position - 80):position].rstrip(" (")
    # a parenthesis inside a name qualifies it ("Renal Unit (dialysis): ...", "... Service (PALS) on")
    window = re.sub(r"\s*\([^()]{0,40}\)", "", window)
    window = re.split(r"[.;?!()\[\]]", window)[-1]
    window = _BARE_VERB.sub("", window) if _BARE_VERB.search(window) else window
    named = _CAPITALISED_NAME.search(window)
    if named and len(named.group("svc").split()) >= 2:
        return _SERVICE_TRIM.sub("", named.group("svc")).strip().lower()
    for pattern in (_SERVICE_VERB, _SERVICE_LABEL):
        match = pattern.search(window)
        if match:
            service = match.group("svc").strip(" ,-")
            service = re.split(r",|\bor\b|\band\b", service)[-1].strip()
            previous = None
            while previous != service:
                previous, service = service, _SERVICE_TRIM.sub("", service).strip()
            if service.lower() in {"us", "we", "them", "it", "the", "number"}:
                return ""
            return service.lower()
    return ""


_HOUR_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
               "ten": 10, "eleven": 11, "twelve": 12}
_WORD_CLOCK = re.compile(r"(?<![\w:.])(?P<h>one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\d{1,2})"
                         r"(?:\s+o'clock)?\s+(?P<part>in the morning|in the afternoon|in the evening|at night)\b",
                         re.IGNORECASE)


def _word_clock_times(text: str) -> list[ClockTime]:
    """"eight in the morning", "6 in the evening", "ten at night"."""
    found = []
    for match in _WORD_CLOCK.finditer(text):
        word = match.group("h").lower()
        hour = _HOUR_WORDS.get(word) or int(word)
        if not 1 <= hour <= 12:
            continue
        part = match.group("part").lower()
        later = part != "in the morning" and not (part == "at night" and hour == 12)
        minutes = ((hour % 12) + (12 if later and hour != 12 else 0)) * 60
        if part == "in the morning" and hour == 12:
            minutes = 0
        found.append(ClockTime(minutes, match.start(), match.end(), match.group(0)))
    return found


def clock_times(text: str) -> list[ClockTime]:
    """Clock times: "8 a.m.", "18:00", "noon", "eight in the morning", in reading order."""
    numeric = _numeric_clock_times(text)
    taken = [(c.start, c.end) for c in numeric]
    words = [c for c in _word_clock_times(text) if not any(s < c.end and c.start < e for s, e in taken)]
    return sorted(numeric + words, key=lambda c: c.start)


def _numeric_clock_times(text: str) -> list[ClockTime]:
    found = []
    for match in _CLOCK.finditer(text):
        if match.group("word"):
            minutes = 0 if match.group("word").lower() == "midnight" else 12 * 60
        elif match.group("h24") is not None:
            minutes = int(match.group("h24")) * 60 + int(match.group("m24"))
        else:
            hour = int(match.group("h"))
            if hour > 12:
                continue
            minute = int(match.group("m") or 0)
            suffix = match.group("ap").lower()
            if suffix in {"noon", "midnight"}:
                found.append(ClockTime(12 * 60 if suffix == "noon" else 0, match.start(), match.end(), match.group(0)))
                continue
            pm = suffix.startswith("p")
            minutes = ((hour % 12) + (12 if pm else 0)) * 60 + minute
        found.append(ClockTime(minutes, match.start(), match.end(), match.group(0)))
    return found


def _day_index(token: str) -> list[int]:
    token = token.lower()
    if token.startswith("weekday"):
        return list(range(5))
    if token.startswith("weekend"):
        return [5, 6]
    for index, name in enumerate(_DAYS):
        if token[:3] == name[:3]:
            return [index]
    return []


def _days_after(text: str, events: list, index: int) -> frozenset[int]:
    """Days named right after a time range that had none before it ("8 am to 6 pm, Monday to
    Friday"); every day when none follow."""
    if index >= len(events) or events[index][1] != "day":
        return frozenset(range(7))
    previous_end = events[index - 1][2].end
    start, end, token = events[index][2]
    if not re.fullmatch(r"[\s,]*(?:on\s+|from\s+)?", text[previous_end:start], re.IGNORECASE):
        return frozenset(range(7))
    days = _day_index(token)
    if index + 1 < len(events) and events[index + 1][1] == "day":
        nxt = events[index + 1][2]
        last = _day_index(nxt[2])
        if re.fullmatch(_RANGE_JOIN, text[end:nxt[0]], re.IGNORECASE) and days and last and last[0] >= days[0]:
            days = list(range(days[0], last[0] + 1))
    return frozenset(days) or frozenset(range(7))


def opening_hours(text: str) -> list[Hours]:
    """Opening hours: "Monday to Friday, 8 a.m. to 8 p.m., and Saturday, 9 a.m. to 1 p.m."."""
    times = clock_times(text)
    result: list[Hours] = []
    current: list[int] = []
    day_marks = [(m.start(), m.end(), m.group(0)) for m in _DAY.finditer(text)]
    events = sorted([(s, "day", (s, e, t)) for s, e, t in day_marks] + [(t.start, "time", t) for t in times],
                    key=lambda item: item[0])
    index = 0
    while index < len(events):
        position, kind, payload = events[index]
        if kind == "day":
            start, end, token = payload
            days = _day_index(token)
            if index + 1 < len(events) and events[index + 1][1] == "day":
                nxt = events[index + 1][2]
                between = text[end:nxt[0]]
                if re.fullmatch(_RANGE_JOIN, between, re.IGNORECASE):
                    last = _day_index(nxt[2])
                    if days and last:
                        days = list(range(days[0], last[0] + 1)) if last[0] >= days[0] else days
                    index += 1
            if events[index - 1][1] == "time" or not current:
                current = []
            current = sorted(set(current) | set(days))
        elif index + 1 < len(events) and events[index + 1][1] == "time":
            closing = events[index + 1][2]
            between = text[payload.end:closing.start]
            if re.fullmatch(_RANGE_JOIN, between, re.IGNORECASE):
                days = frozenset(current) if current else _days_after(text, events, index + 2)
                result.append(Hours(days, payload.minutes, closing.minutes, payload.start, closing.end,
                                    text[payload.start:closing.end]))
                index += 1
        index += 1
    for match in _CLOSED.finditer(text):
        days = set()
        for token in _DAY.findall(match.group(0)):
            days |= set(_day_index(token))
        if days:
            result.append(Hours(frozenset(days), 0, 0, match.start(), match.end(), match.group(0)))
    if re.search(r"24 hours a day|24/7|around the clock|24 hours, 7 days", text, re.IGNORECASE):
        match = re.search(r"24 hours a day|24/7|around the clock|24 hours, 7 days", text, re.IGNORECASE)
        result.append(Hours(frozenset(range(7)), 0, 24 * 60, match.start(), match.end(), match.group(0)))
    return result
