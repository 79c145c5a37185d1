"""finding_search: a full-text index of every finding (PostgreSQL tsvector + GIN, SQLite FTS5)

Revision ID: b011
Revises: b010
Create Date: 2026-12-06 09:00:00

The findings list's search (``web.search``) looks in one text index per finding: both statements
(weight A), the document's title and file name (B), the explanation, the reviewer's reason, the
source's path and the comments (C). The database keeps it in step with triggers, so every write
(ORM or bulk ``UPDATE``) is seen: a finding inserted, its texts or document changed, deleted; a
document renamed; a comment added, changed or removed. Existing findings are indexed here.

- PostgreSQL: table ``finding_search(finding_id, vector tsvector)`` with a GIN index, the vector
  from ``to_tsvector('english', ...)`` (stemming, English stop words); functions
  ``finding_search_vector(id)`` and ``finding_search_refresh()`` (the trigger function).
- SQLite: an FTS5 table ``finding_search(statements, document, notes)`` (rowid = finding id) with
  ``tokenize='porter unicode61 remove_diacritics 2'`` (the same Porter stemming), and triggers.

Both split words at punctuation the same way (``leaflet-1.md`` -> leaflet, 1, md). None of it is in
``web.models``: ``web.search.include_name`` keeps it out of the schema comparison.

Note for later SQLite migrations: a ``batch_alter_table`` on findings, documents or comments
re-creates the table and loses its triggers; re-create them (``_sqlite_triggers``) after one.
"""
from __future__ import annotations

from alembic import op

revision = 'b011'
down_revision = 'b010'
branch_labels = None
depends_on = None

FINDING_TEXTS = "statement_text, source_text, explanation, status_reason, source_path, document_id"

# --- PostgreSQL ---------------------------------------------------------------------------------

# ASCII punctuation and spaces (locale-independent) become word breaks, as in FTS5's unicode61
_SPLIT = r"regexp_replace(coalesce({0}, ''), '[[:space:]!-/:-@\[-`{{-~]+', ' ', 'g')"
_PG_VECTOR = f"""
CREATE FUNCTION finding_search_vector(fid integer) RETURNS tsvector LANGUAGE sql STABLE AS $$
  SELECT setweight(to_tsvector('english', {_SPLIT.format('f.statement_text')} || ' '
                                          || {_SPLIT.format('f.source_text')}), 'A')
      || setweight(to_tsvector('english', {_SPLIT.format('d.title')} || ' ' || {_SPLIT.format('d.filename')}), 'B')
      || setweight(to_tsvector('english', {_SPLIT.format('f.explanation')} || ' '
                   || {_SPLIT.format('f.status_reason')} || ' ' || {_SPLIT.format('f.source_path')} || ' '
                   || {_SPLIT.format("(SELECT string_agg(c.body, ' ') FROM comments c WHERE c.finding_id = f.id)")}),
                   'C')
  FROM findings f JOIN documents d ON d.id = f.document_id WHERE f.id = fid
$$"""
_PG_REFRESH = """
CREATE FUNCTION finding_search_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'findings' THEN
    INSERT INTO finding_search (finding_id, vector) VALUES (NEW.id, finding_search_vector(NEW.id))
      ON CONFLICT (finding_id) DO UPDATE SET vector = EXCLUDED.vector;
  ELSIF TG_TABLE_NAME = 'documents' THEN
    UPDATE finding_search s SET vector = finding_search_vector(s.finding_id)
      FROM findings f WHERE f.id = s.finding_id AND f.document_id = NEW.id;
  ELSE
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
      UPDATE finding_search SET vector = finding_search_vector(finding_id) WHERE finding_id = OLD.finding_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
      UPDATE finding_search SET vector = finding_search_vector(finding_id) WHERE finding_id = NEW.finding_id;
    END IF;
  END IF;
  RETURN NULL;
END
$$"""
POSTGRES_UP = (
    "CREATE TABLE finding_search (finding_id integer PRIMARY KEY REFERENCES findings (id) ON DELETE CASCADE,"
    " vector tsvector NOT NULL)",
    "CREATE INDEX ix_finding_search_vector ON finding_search USING gin (vector)",
    _PG_VECTOR,
    _PG_REFRESH,
    f"CREATE TRIGGER finding_search_findings AFTER INSERT OR UPDATE OF {FINDING_TEXTS} ON findings"
    " FOR EACH ROW EXECUTE FUNCTION finding_search_refresh()",
    "CREATE TRIGGER finding_search_documents AFTER UPDATE OF title, filename ON documents"
    " FOR EACH ROW EXECUTE FUNCTION finding_search_refresh()",
    "CREATE TRIGGER finding_search_comments AFTER INSERT OR UPDATE OR DELETE ON comments"
    " FOR EACH ROW EXECUTE FUNCTION finding_search_refresh()",
    "INSERT INTO finding_search (finding_id, vector) SELECT id, finding_search_vector(id) FROM findings",
)
POSTGRES_DOWN = (
    "DROP TRIGGER IF EXISTS finding_search_comments ON comments",
    "DROP TRIGGER IF EXISTS finding_search_documents ON documents",
    "DROP TRIGGER IF EXISTS finding_search_findings ON findings",
    "DROP TABLE IF EXISTS finding_search",
    "DROP FUNCTION IF EXISTS finding_search_refresh()",
    "DROP FUNCTION IF EXISTS finding_search_vector(integer)",
)

# --- SQLite -------------------------------------------------------------------------------------

_SQLITE_ROWS = """INSERT INTO finding_search (rowid, statements, document, notes)
  SELECT f.id, coalesce(f.statement_text, '') || ' ' || coalesce(f.source_text, ''),
         coalesce(d.title, '') || ' ' || coalesce(d.filename, ''),
         coalesce(f.explanation, '') || ' ' || coalesce(f.status_reason, '') || ' ' || coalesce(f.source_path, '')
           || ' ' || coalesce((SELECT group_concat(c.body, ' ') FROM comments c WHERE c.finding_id = f.id), '')
  FROM findings f JOIN documents d ON d.id = f.document_id WHERE {where}"""


def _sqlite_refresh(where: str) -> str:
    """Statements that index again the findings ``where`` selects (``f`` is the finding)."""
    return (f"DELETE FROM finding_search WHERE rowid IN (SELECT f.id FROM findings f WHERE {where}); "
            + _SQLITE_ROWS.format(where=where) + ";")


def _sqlite_triggers() -> tuple[str, ...]:
    return (
        "CREATE TRIGGER finding_search_finding_insert AFTER INSERT ON findings BEGIN "
        + _SQLITE_ROWS.format(where="f.id = NEW.id") + "; END",
        f"CREATE TRIGGER finding_search_finding_update AFTER UPDATE OF {FINDING_TEXTS} ON findings BEGIN "
        "DELETE FROM finding_search WHERE rowid = OLD.id; " + _SQLITE_ROWS.format(where="f.id = NEW.id") + "; END",
        "CREATE TRIGGER finding_search_finding_delete AFTER DELETE ON findings BEGIN "
        "DELETE FROM finding_search WHERE rowid = OLD.id; END",
        "CREATE TRIGGER finding_search_document_update AFTER UPDATE OF title, filename ON documents BEGIN "
        + _sqlite_refresh("f.document_id = NEW.id") + " END",
        "CREATE TRIGGER finding_search_comment_insert AFTER INSERT ON comments BEGIN "
        + _sqlite_refresh("f.id = NEW.finding_id") + " END",
        "CREATE TRIGGER finding_search_comment_update AFTER UPDATE ON comments BEGIN "
        + _sqlite_refresh("f.id IN (OLD.finding_id, NEW.finding_id)") + " END",
        "CREATE TRIGGER finding_search_comment_delete AFTER DELETE ON comments BEGIN "
        + _sqlite_refresh("f.id = OLD.finding_id") + " END",
    )


SQLITE_TRIGGER_NAMES = ("finding_search_finding_insert", "finding_search_finding_update",
                        "finding_search_finding_delete", "finding_search_document_update",
                        "finding_search_comment_insert", "finding_search_comment_update",
                        "finding_search_comment_delete")


def _sqlite_up() -> tuple[str, ...]:
    return ("CREATE VIRTUAL TABLE finding_search USING fts5(statements, document, notes,"
            " tokenize='porter unicode61 remove_diacritics 2')",
            *_sqlite_triggers(),
            _SQLITE_ROWS.format(where="1 = 1"))


def upgrade() -> None:
    name = op.get_bind().dialect.name
    for statement in POSTGRES_UP if name == "postgresql" else _sqlite_up() if name == "sqlite" else ():
        _run(statement)


def downgrade() -> None:
    name = op.get_bind().dialect.name
    if name == "postgresql":
        statements: tuple[str, ...] = POSTGRES_DOWN
    elif name == "sqlite":
        statements = (*(f"DROP TRIGGER IF EXISTS {t}" for t in SQLITE_TRIGGER_NAMES),
                      "DROP TABLE IF EXISTS finding_search")
    else:
        statements = ()
    for statement in statements:
        _run(statement)


def _run(statement: str) -> None:
    # as the driver takes it: the SQL has colons (``[[:space:]]``) that ``text()`` would read as parameters
    op.get_bind().exec_driver_sql(statement)
