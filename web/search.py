"""Full-text search of findings: one query function over PostgreSQL full-text search and SQLite FTS5.

``matches(q)`` is a condition for a ``select`` of findings and ``relevance(q)`` an ordering key; both
are compiled for the database the statement runs on, so the findings list, its exports, the API and
a finding's previous / next all search through the same ``web.queries`` path.

The index (migration b011) holds per finding: both statements, the document's title and file name,
the explanation, the reviewer's reason, the source's path and the comments; triggers keep it up to
date. A query is read once, here, into what both databases understand (websearch-like syntax):

- words, in any order, each of which a finding must contain (``fasting hours``); English stemming on
  both, so ``fasting`` finds "fast" and ``hours`` finds "hour";
- ``"a phrase"``: its words next to each other, in that order;
- ``OR`` between two terms: either (``paracetamol OR ibuprofen``);
- ``-word`` or ``-"a phrase"``: findings without it;
- the last word, when nothing follows it, also matches as the start of a word (``paraceta`` finds
  "paracetamol");
- words are split at punctuation (``leaflet-1.md`` is the phrase "leaflet 1 md"); case and (on SQLite)
  accents do not matter; very common English words (the, and, not, ...) are ignored, as PostgreSQL does.

Anything else (``*``, ``AND(``, ``NEAR``, a lone quote) is only text: nothing the user types reaches
the database as query syntax, so no input can make a search fail. A query with nothing left to look
for matches nothing.

Remaining differences: on PostgreSQL a phrase's common words only keep their place ("food for 6 hours"
also matches "food in 6 hours"), and accents count ("cafe" does not find "café").
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Boolean, Float, and_, bindparam, cast, column, false, func, literal, literal_column, select, table
from sqlalchemy.exc import CompileError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement

from web.models import Finding

SEARCH_TABLE = "finding_search"
MAX_TERMS = 16
MIN_PREFIX = 3  # a last word shorter than this is matched whole, not as a prefix

# PostgreSQL's English stop words (tsearch_data/english.stop): ignored on both databases
STOP_WORDS = frozenset("""
i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers
herself it its itself they them their theirs themselves what which who whom this that these those am is are
was were be been being have has had having do does did doing a an the and but if or because as until while of
at by for with about against between into through during before after above below to from up down in out on
off over under again further then once here there when where why how all any both each few more most other
some such no nor not only own same so than too very s t can will just don should now""".split())

_WORD = re.compile(r"[^\W_]+")
_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')


@dataclass(frozen=True)
class Term:
    """A word or phrase to look for: ``words`` (lower case, split at punctuation)."""

    words: tuple[str, ...]
    prefix: bool = False  # the last word may be the start of a longer one

    @property
    def text(self) -> str:
        return " ".join(self.words)


@dataclass(frozen=True)
class Query:
    """A parsed search: every group must match (a group is terms joined by OR), no excluded term may."""

    groups: tuple[tuple[Term, ...], ...] = ()
    excluded: tuple[Term, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.groups and not self.excluded


def parse(text: str | None) -> Query:
    """Read a user's search (never fails: what is not a word, phrase, ``OR`` or ``-`` is ignored)."""
    items: list[Any] = []  # Term, ("not", Term) or "or"
    for match in _TOKEN.finditer(text or ""):
        negated, phrase, bare = match.group(1), match.group(2), match.group(3)
        if bare is not None and bare.upper() == "OR":
            items.append("or")
            continue
        if bare is not None and bare.startswith("-") and len(bare) > 1:
            negated, bare = "-", bare[1:]
        words = tuple(w.lower() for w in _WORD.findall(phrase if phrase is not None else bare))
        if not words or all(w in STOP_WORDS for w in words):
            continue
        items.append(("not", Term(words)) if negated else Term(words))
    _mark_prefix(items, text or "")
    groups: list[list[Term]] = []
    excluded: list[Term] = []
    joining = False
    for item in items:
        if item == "or":
            joining = bool(groups)
        elif isinstance(item, tuple):
            excluded.append(item[1])
            joining = False
        else:
            if joining:
                groups[-1].append(item)
            else:
                groups.append([item])
            joining = False
    kept, count = [], 0
    for group in groups:
        if count + len(group) > MAX_TERMS:
            break
        kept.append(tuple(group))
        count += len(group)
    return Query(tuple(kept), tuple(excluded[:max(0, MAX_TERMS - count)]))


def _mark_prefix(items: list[Any], text: str) -> None:
    """The last item, a single bare word typed last (no quote or ``-`` around it), is also a prefix."""
    if not items or not isinstance(items[-1], Term):
        return
    tail = text.split()[-1]
    term = items[-1]
    if len(term.words) == 1 and tail.lower() == term.words[0] and len(tail) >= MIN_PREFIX:
        items[-1] = Term(term.words, prefix=True)


# --- the SQL ------------------------------------------------------------------------------------

class _Search(ColumnElement):
    """A search condition (``what="match"``) or rank (``"rank"``), compiled per database."""

    inherit_cache = False

    def __init__(self, query: Query, what: str) -> None:
        self.query = query
        self.what = what
        self.type = Boolean() if what == "match" else Float()


def matches(text: str | None) -> ColumnElement[bool] | None:
    """The condition that a finding matches the search ``text``; None when there is no search
    (``text`` empty), ``false()`` when the search has nothing to look for (only punctuation or
    common words)."""
    if not (text or "").strip():
        return None
    query = parse(text)
    return false() if query.empty else _Search(query, "match")


def relevance(text: str | None) -> ColumnElement[float]:
    """How well a finding matches the search (higher is better; 0 without one)."""
    query = parse(text)
    # a constant as an expression: PostgreSQL refuses a bare constant in ORDER BY
    return cast(literal(0.0), Float) if not query.groups else _Search(query, "rank")


def include_name(name: str | None, type_: str, _parents: Any = None) -> bool:
    """For Alembic's schema comparison: the search index is no model of ``web.models``."""
    return not (type_ in ("table", "index") and (name or "").startswith(SEARCH_TABLE))


@compiles(_Search)
def _compile(element: _Search, compiler: Any, **kw: Any) -> str:
    build = {"postgresql": _postgres, "sqlite": _sqlite}.get(compiler.dialect.name)
    if build is None:
        raise CompileError(f"full-text search needs PostgreSQL or SQLite, not {compiler.dialect.name}")
    return compiler.process(build(element.query, element.what).self_group(), **kw)


# PostgreSQL: finding_search(finding_id, vector tsvector), GIN-indexed

_pg_index = table(SEARCH_TABLE, column("finding_id"), column("vector"))


def _pg_term(term: Term) -> ColumnElement[Any]:
    if term.prefix:  # one word of letters and digits only: safe inside to_tsquery
        return func.to_tsquery("english", bindparam(None, term.words[0] + ":*"))
    return func.websearch_to_tsquery("english", bindparam(None, f'"{term.text}"'))


def _pg_any(terms: tuple[Term, ...]) -> ColumnElement[Any]:
    combined = _pg_term(terms[0])
    for term in terms[1:]:
        combined = func.tsquery_or(combined, _pg_term(term))
    return combined


def _pg_tsquery(query: Query) -> ColumnElement[Any]:
    parts = [_pg_any(group) for group in query.groups]
    if query.excluded:
        parts.append(func.tsquery_not(_pg_any(query.excluded)))
    combined = parts[0]
    for part in parts[1:]:
        combined = func.tsquery_and(combined, part)
    return combined


def _postgres(query: Query, what: str) -> ColumnElement[Any]:
    tsquery = _pg_tsquery(query)
    if what == "rank":
        return func.coalesce(select(func.ts_rank(_pg_index.c.vector, tsquery))
                             .where(_pg_index.c.finding_id == Finding.id).scalar_subquery(), 0.0)
    return Finding.id.in_(select(_pg_index.c.finding_id).where(_pg_index.c.vector.op("@@")(tsquery)))


# SQLite: the FTS5 table finding_search(statements, document, notes), rowid = finding id

_fts = table(SEARCH_TABLE, column("rowid"))
_FTS_TABLE = literal_column(SEARCH_TABLE)
_FTS_WEIGHTS = "3.0, 2.0, 1.0"  # statements, document, notes


def _fts_term(term: Term) -> str:
    return '"' + term.text.replace('"', '""') + '"' + ("*" if term.prefix else "")


def _fts_any(terms: tuple[Term, ...]) -> str:
    return _fts_term(terms[0]) if len(terms) == 1 else "(" + " OR ".join(_fts_term(t) for t in terms) + ")"


def fts5_expression(query: Query) -> str:
    """The FTS5 MATCH expression of the query's groups (every token quoted: never a syntax error)."""
    return " AND ".join(_fts_any(group) for group in query.groups)


def _fts_ids(expression: str):
    return select(_fts.c.rowid).where(_FTS_TABLE.op("MATCH")(bindparam(None, expression)))


def _sqlite(query: Query, what: str) -> ColumnElement[Any]:
    if what == "rank":
        rank = select(-literal_column(f"bm25({SEARCH_TABLE}, {_FTS_WEIGHTS})")).where(
            _FTS_TABLE.op("MATCH")(bindparam(None, fts5_expression(query))), _fts.c.rowid == Finding.id)
        return func.coalesce(rank.scalar_subquery(), 0.0)
    conditions = []
    if query.groups:
        conditions.append(Finding.id.in_(_fts_ids(fts5_expression(query))))
    if query.excluded:
        conditions.append(Finding.id.not_in(_fts_ids(_fts_any(query.excluded))))
    return and_(*conditions)
