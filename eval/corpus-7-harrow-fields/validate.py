#!/usr/bin/env python3
"""Validate corpus 7 (Harrow Fields Hospital). Standard library only.

Checks:
  * expected.jsonl parses, one JSON object per line, with all required fields;
  * every kind is one of numeric, negation, action, timing, contact, medication;
  * every document and source path exists inside the corpus; documents live
    under documents/, sources under protocols/ or documents/;
  * every statement and source_statement occurs exactly once in its file
    (HTML: tags removed, entities unescaped; all files: whitespace normalised);
  * every trap text listed in the README "Traps" table occurs in its file and
    is not also an expected conflict statement.

Usage: python3 validate.py   (exit status 0 when everything passes)
"""

import html
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.abspath(__file__))
KINDS = {"numeric", "negation", "action", "timing", "contact", "medication"}
FIELDS = ("document", "statement", "source", "source_statement", "kind", "note")

_cache = {}


def norm(text):
    return re.sub(r"\s+", " ", text).strip()


def file_text(rel):
    if rel in _cache:
        return _cache[rel]
    path = os.path.join(ROOT, rel)
    with open(path, encoding="utf-8") as fh:
        raw = fh.read()
    if rel.endswith((".html", ".htm")):
        raw = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", raw)
        raw = re.sub(r"(?s)<!--.*?-->", " ", raw)
        raw = re.sub(r"<[^>]+>", " ", raw)
        raw = html.unescape(raw)
    text = norm(raw)
    _cache[rel] = text
    return text


def count_in(rel, snippet):
    return file_text(rel).count(norm(snippet))


def check_expected(errors):
    statements = set()
    path = os.path.join(ROOT, "expected.jsonl")
    n = 0
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            n += 1
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                errors.append("expected.jsonl:%d: bad JSON (%s)" % (lineno, exc))
                continue
            if not isinstance(obj, dict):
                errors.append("expected.jsonl:%d: not an object" % lineno)
                continue
            missing = [f for f in FIELDS if not isinstance(obj.get(f), str) or not obj.get(f).strip()]
            if missing:
                errors.append("expected.jsonl:%d: missing fields %s" % (lineno, missing))
                continue
            if obj["kind"] not in KINDS:
                errors.append("expected.jsonl:%d: bad kind %r" % (lineno, obj["kind"]))
            if not obj["document"].startswith("documents/"):
                errors.append("expected.jsonl:%d: document not under documents/" % lineno)
            if not obj["source"].startswith(("protocols/", "documents/")):
                errors.append("expected.jsonl:%d: source not under protocols/ or documents/" % lineno)
            if obj["document"] == obj["source"]:
                errors.append("expected.jsonl:%d: document and source are the same file" % lineno)
            for pf, sf in (("document", "statement"), ("source", "source_statement")):
                rel = obj[pf]
                if not os.path.isfile(os.path.join(ROOT, rel)):
                    errors.append("expected.jsonl:%d: %s %s does not exist" % (lineno, pf, rel))
                    continue
                c = count_in(rel, obj[sf])
                if c != 1:
                    errors.append("expected.jsonl:%d: %s occurs %d times in %s: %r"
                                  % (lineno, sf, c, rel, obj[sf]))
            key = (obj["document"], norm(obj["statement"]))
            if key in statements:
                errors.append("expected.jsonl:%d: duplicate statement" % lineno)
            statements.add(key)
    return n, statements


def readme_traps():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    traps = []
    in_traps = False
    for line in lines:
        if line.startswith("## "):
            in_traps = line.lower().startswith("## traps")
            continue
        if not in_traps or not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 4 or not cells[0].isdigit():
            continue
        traps.append((int(cells[0]), cells[1], cells[2]))
    return traps


def check_traps(errors, statements):
    traps = readme_traps()
    for num, rel, text in traps:
        if not os.path.isfile(os.path.join(ROOT, rel)):
            errors.append("README trap %d: file %s does not exist" % (num, rel))
            continue
        if count_in(rel, text) < 1:
            errors.append("README trap %d: text not found in %s: %r" % (num, rel, text))
        if (rel, norm(text)) in statements:
            errors.append("README trap %d: text is also an expected conflict" % num)
    nums = [t[0] for t in traps]
    if nums != list(range(1, len(nums) + 1)):
        errors.append("README traps are not numbered 1..%d in order" % len(nums))
    return len(traps)


def main():
    errors = []
    n, statements = check_expected(errors)
    t = check_traps(errors, statements)
    for e in errors:
        print("FAIL:", e)
    if errors:
        print("%d problem(s)" % len(errors))
        return 1
    print("OK: %d expected conflicts, %d traps checked" % (n, t))
    return 0


if __name__ == "__main__":
    sys.exit(main())
