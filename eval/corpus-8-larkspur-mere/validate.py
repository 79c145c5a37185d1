#!/usr/bin/env python3
"""Validate corpus 8 (Larkspur Mere Hospitals). Standard library only.

Adapted from corpus 7's validate.py. Checks:
  * expected.jsonl parses, one JSON object per line, with all required fields;
  * every kind is one of numeric, negation, action, timing, contact, medication;
  * every document and source path exists inside the corpus; documents live
    under documents/, sources under protocols/ or documents/;
  * every statement and source_statement occurs exactly once in its file
    (HTML: tags removed, entities unescaped; all files: whitespace normalised);
  * every trap in traps.jsonl occurs in its file and is not also an expected
    conflict statement (the README describes traps only by category);
  * the conflict counts per kind in the README table match expected.jsonl,
    and so do the trap counts per category;
  * there are 4 protocols of 40 to 90 lines and 10 to 14 documents.

Usage: python3 validate.py   (exit status 0 when everything passes)
"""

import collections
import html
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.abspath(__file__))
KINDS = {"numeric", "negation", "action", "timing", "contact", "medication"}
FIELDS = ("document", "statement", "source", "source_statement", "kind", "note")
TRAP_FIELDS = ("document", "text", "category", "note")

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


def read_jsonl(name, errors):
    rows = []
    with open(os.path.join(ROOT, name), encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                errors.append("%s:%d: bad JSON (%s)" % (name, lineno, exc))
                continue
            if not isinstance(obj, dict):
                errors.append("%s:%d: not an object" % (name, lineno))
                continue
            rows.append((lineno, obj))
    return rows


def check_expected(errors):
    statements = set()
    kinds = collections.Counter()
    rows = read_jsonl("expected.jsonl", errors)
    for lineno, obj in rows:
        missing = [f for f in FIELDS if not isinstance(obj.get(f), str) or not obj.get(f).strip()]
        if missing:
            errors.append("expected.jsonl:%d: missing fields %s" % (lineno, missing))
            continue
        kinds[obj["kind"]] += 1
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
    return len(rows), statements, kinds


def check_traps(errors, statements):
    cats = collections.Counter()
    rows = read_jsonl("traps.jsonl", errors)
    seen = set()
    for lineno, obj in rows:
        missing = [f for f in TRAP_FIELDS if not isinstance(obj.get(f), str) or not obj.get(f).strip()]
        if missing:
            errors.append("traps.jsonl:%d: missing fields %s" % (lineno, missing))
            continue
        cats[obj["category"]] += 1
        rel = obj["document"]
        if not rel.startswith("documents/") or not os.path.isfile(os.path.join(ROOT, rel)):
            errors.append("traps.jsonl:%d: file %s does not exist under documents/" % (lineno, rel))
            continue
        if count_in(rel, obj["text"]) < 1:
            errors.append("traps.jsonl:%d: text not found in %s: %r" % (lineno, rel, obj["text"]))
        key = (rel, norm(obj["text"]))
        if key in seen:
            errors.append("traps.jsonl:%d: duplicate trap" % lineno)
        seen.add(key)
        for doc, stmt in statements:
            if doc == rel and (norm(obj["text"]) in stmt or stmt in norm(obj["text"])):
                errors.append("traps.jsonl:%d: text overlaps an expected conflict" % lineno)
    return len(rows), cats


def readme_table(heading):
    """Rows (first cell, second cell) of the first table under a '## heading'."""
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    rows, inside = {}, False
    for line in lines:
        if line.startswith("## "):
            inside = line[3:].strip().lower().startswith(heading)
            continue
        if inside and line.startswith("|"):
            cells = [c.strip().strip("*`") for c in line.strip().strip("|").split("|")]
            if len(cells) >= 2 and cells[1].isdigit():
                rows[cells[0]] = int(cells[1])
    return rows


def check_readme(errors, kinds, cats, n, t):
    table = readme_table("conflict kinds")
    for k in KINDS:
        if table.get(k, 0) != kinds.get(k, 0):
            errors.append("README conflict kinds: %s is %s, expected.jsonl has %d"
                          % (k, table.get(k), kinds.get(k, 0)))
    if table.get("total") != n:
        errors.append("README conflict kinds: total is %s, expected.jsonl has %d" % (table.get("total"), n))
    table = readme_table("traps")
    for c, v in cats.items():
        if table.get(c) != v:
            errors.append("README traps: %s is %s, traps.jsonl has %d" % (c, table.get(c), v))
    if table.get("total") != t:
        errors.append("README traps: total is %s, traps.jsonl has %d" % (table.get("total"), t))


def check_layout(errors):
    pdir = os.path.join(ROOT, "protocols")
    protos = sorted(f for f in os.listdir(pdir) if f.endswith(".md"))
    if len(protos) != 4:
        errors.append("expected 4 protocols, found %d" % len(protos))
    for f in protos:
        with open(os.path.join(pdir, f), encoding="utf-8") as fh:
            nlines = len(fh.read().splitlines())
        if not 40 <= nlines <= 90:
            errors.append("protocol %s has %d lines (want 40-90)" % (f, nlines))
    docs = []
    for dirpath, _, files in os.walk(os.path.join(ROOT, "documents")):
        docs += [f for f in files if f.endswith((".md", ".txt", ".html"))]
    if not 10 <= len(docs) <= 14:
        errors.append("expected 10-14 documents, found %d" % len(docs))


def main():
    errors = []
    n, statements, kinds = check_expected(errors)
    t, cats = check_traps(errors, statements)
    check_readme(errors, kinds, cats, n, t)
    check_layout(errors)
    for e in errors:
        print("FAIL:", e)
    if errors:
        print("%d problem(s)" % len(errors))
        return 1
    print("OK: %d expected conflicts, %d traps checked" % (n, t))
    return 0


if __name__ == "__main__":
    sys.exit(main())
