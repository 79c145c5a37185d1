#!/usr/bin/env python3
"""Validate corpus 9 (Corrow Vale Health). Standard library only.

Adapted from corpus 7's validate.py. Checks:
  * layout: 4 protocols of 40 to 90 lines each; 10 to 14 documents in 4 or 5
    department folders under documents/;
  * expected.jsonl parses, one JSON object per line, with all required fields;
    every kind is one of numeric, negation, action, timing, contact, medication;
    there are 20 to 24 conflicts and at least 3 of them are document against
    document (source under documents/);
  * every document and source path exists inside the corpus; documents live
    under documents/, sources under protocols/ or documents/;
  * every statement and source_statement occurs exactly once in its file
    (HTML: tags, scripts, styles and comments removed, entities unescaped;
    all files: whitespace normalised);
  * every trap in traps.jsonl occurs in its file, is not (and does not
    contain, nor sit inside) an expected conflict statement of the same file,
    and there are at least as many traps as conflicts;
  * README.md quotes no conflict statement and no trap text.

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
TRAP_FIELDS = ("document", "text", "category", "why")

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


def check_layout(errors):
    pdir = os.path.join(ROOT, "protocols")
    protocols = sorted(f for f in os.listdir(pdir) if f.endswith(".md"))
    if len(protocols) != 4:
        errors.append("expected 4 protocols, found %d" % len(protocols))
    for name in protocols:
        with open(os.path.join(pdir, name), encoding="utf-8") as fh:
            n = len(fh.read().splitlines())
        if not 40 <= n <= 90:
            errors.append("protocols/%s has %d lines (want 40-90)" % (name, n))
    ddir = os.path.join(ROOT, "documents")
    depts = sorted(d for d in os.listdir(ddir) if os.path.isdir(os.path.join(ddir, d)))
    docs = []
    for d in depts:
        for f in sorted(os.listdir(os.path.join(ddir, d))):
            if f.endswith((".md", ".txt", ".html")):
                docs.append("documents/%s/%s" % (d, f))
    if not 4 <= len(depts) <= 5:
        errors.append("expected 4-5 departments, found %d" % len(depts))
    if not 10 <= len(docs) <= 14:
        errors.append("expected 10-14 documents, found %d" % len(docs))
    return len(protocols), len(depts), len(docs)


def check_expected(errors):
    statements = {}
    path = os.path.join(ROOT, "expected.jsonl")
    n = 0
    doc_doc = 0
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
            if obj["source"].startswith("documents/"):
                doc_doc += 1
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
            statements[key] = obj["kind"]
    if not 20 <= n <= 24:
        errors.append("expected 20-24 conflicts, found %d" % n)
    if doc_doc < 3:
        errors.append("expected at least 3 document-vs-document conflicts, found %d" % doc_doc)
    return n, doc_doc, statements


def check_traps(errors, statements, n_conflicts):
    path = os.path.join(ROOT, "traps.jsonl")
    traps = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                errors.append("traps.jsonl:%d: bad JSON (%s)" % (lineno, exc))
                continue
            missing = [f for f in TRAP_FIELDS if not isinstance(obj.get(f), str) or not obj.get(f).strip()]
            if missing:
                errors.append("traps.jsonl:%d: missing fields %s" % (lineno, missing))
                continue
            rel, text = obj["document"], obj["text"]
            if not os.path.isfile(os.path.join(ROOT, rel)):
                errors.append("traps.jsonl:%d: file %s does not exist" % (lineno, rel))
                continue
            if count_in(rel, text) < 1:
                errors.append("traps.jsonl:%d: text not found in %s: %r" % (lineno, rel, text))
            nt = norm(text)
            for (doc, st) in statements:
                if doc == rel and (nt in st or st in nt):
                    errors.append("traps.jsonl:%d: text overlaps an expected conflict: %r" % (lineno, text))
            traps.append(obj)
    if len(traps) < n_conflicts:
        errors.append("fewer traps (%d) than conflicts (%d)" % (len(traps), n_conflicts))
    return traps


def check_readme(errors, statements, traps):
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as fh:
        readme = norm(fh.read())
    for (_doc, st) in statements:
        if st in readme:
            errors.append("README quotes a conflict statement: %r" % st)
    for t in traps:
        if len(norm(t["text"])) > 25 and norm(t["text"]) in readme:
            errors.append("README quotes a trap text: %r" % t["text"])


def main():
    errors = []
    np_, nd, ndocs = check_layout(errors)
    n, doc_doc, statements = check_expected(errors)
    traps = check_traps(errors, statements, n)
    check_readme(errors, statements, traps)
    for e in errors:
        print("FAIL:", e)
    if errors:
        print("%d problem(s)" % len(errors))
        return 1
    print("OK: %d protocols, %d documents in %d departments, %d expected conflicts "
          "(%d document vs document), %d traps checked" % (np_, ndocs, nd, n, doc_doc, len(traps)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
