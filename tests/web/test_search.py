"""Full-text search of findings (web.search): the same answers on SQLite FTS5 and PostgreSQL, through
the findings page, its exports and the API, with permissions kept and no input that can break it."""
from __future__ import annotations

import csv
import io
import json
import sqlite3
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import delete, inspect, select, text, update

from web.db import downgrade, upgrade
from web.models import Comment, Document, Finding
from web.queries import Filters
from web.search import fts5_expression, parse

HOSTILE = ['"', '""', '*', 'AND(', 'NEAR', 'NEAR(a b)', 'a OR', 'OR', '-', '--', '- -"', '"unclosed phrase',
           "'; DROP TABLE findings; --", "col:value", "statements:food", "^food", "food*", "(food", "food)",
           "a AND b NOT c", "%", "_", "\\", "NOT", "the and or", '"the"', "-the", "é", "日本語", "food" * 60,
           ":*", "food:*", "!food", "food & hours | x", "<->", "food <2> hours", 'OR OR OR', '"-"', "-(x)"]
BASE = datetime(2026, 11, 1, tzinfo=timezone.utc)


def _finding(db, document_id: int, statement: str, source: str, explanation: str, hour: int) -> int:
    finding = Finding(fingerprint="search-" + uuid.uuid4().hex, kind="numeric", severity="high", score=0.9,
                      explanation=explanation, document_id=document_id, statement_text=statement, statement_key="k",
                      statement_start=0, statement_end=1, source_role="protocol", source_path="protocols/fasting.md",
                      source_text=source, source_start=0, source_end=1, status="open",
                      created_at=BASE + timedelta(hours=hour))
    db.add(finding)
    db.commit()
    return finding.id


@pytest.fixture
def corpus(db, seed) -> dict[str, Any]:
    """Four findings: two on a surgery leaflet, two on a cardiology sheet (ids by name)."""
    surgery = Document(department_id=seed["surgery"], title="Day surgery leaflet", filename="day-surgery.md")
    heart = Document(department_id=seed["cardiology"], title="Heart clinic sheet", filename="heart_clinic.txt")
    db.add_all([surgery, heart])
    db.commit()
    ids = {
        # the newest: "fluids" only in its explanation
        "food": _finding(db, surgery.id, "Do not eat any food for 4 hours before your arrival time.",
                         "Do not eat any food for 6 hours before your arrival time.",
                         "4 hours vs 6 hours; clear fluids are not affected", hour=10),
        "paracetamol": _finding(db, surgery.id, "Take paracetamol every 4 hours for pain.",
                                "Take paracetamol every 6 hours.", "dose interval", hour=2),
        "fast": _finding(db, heart.id, "You must fast from midnight.", "Stop eating at 2 am.", "start time", hour=3),
        "fluids": _finding(db, heart.id, "Drink clear fluids until 2 hours before.",
                           "Clear fluids are allowed up to 1 hour before.", "2 hours vs 1 hour", hour=4),
    }
    return {**seed, **ids, "surgery_doc": surgery.id, "heart_doc": heart.id}


def _found(client, q: str, **args: str) -> list[int]:
    """Ids the API answers for a search, in its order."""
    response = client.get("/api/findings", query_string={"q": q, "per_page": "500", **args})
    assert response.status_code == 200, response.get_data(as_text=True)
    return [f["id"] for f in response.get_json()["findings"]]


def _ids(corpus: dict[str, Any], *names: str) -> set[int]:
    return {corpus[name] for name in names}


@pytest.fixture
def officer(client, corpus, login_as):
    return login_as("officer")


def test_words_match_in_any_order_across_statements_explanation_and_document(officer, corpus):
    assert set(_found(officer, "arrival food")) == set(_found(officer, "food arrival")) == _ids(corpus, "food")
    assert set(_found(officer, "paracetamol surgery")) == _ids(corpus, "paracetamol")  # a word of the title
    assert set(_found(officer, "heart clinic")) == _ids(corpus, "fast", "fluids")  # heart_clinic.txt, title
    assert set(_found(officer, "day-surgery.md")) == _ids(corpus, "food", "paracetamol")  # the file name
    assert set(_found(officer, "interval")) == _ids(corpus, "paracetamol")  # the explanation
    assert set(_found(officer, "PARACETAMOL")) == _ids(corpus, "paracetamol")  # case does not matter
    assert _found(officer, "zebra") == [] and _found(officer, "paracetamol midnight") == []


def test_stemming_finds_other_forms_of_a_word(officer, corpus):
    assert corpus["fast"] in _found(officer, "fasting")  # "fasting" finds "fast"
    assert corpus["fast"] in _found(officer, "eats midnight")  # "eats" finds "eating"
    assert set(_found(officer, "hour")) == _ids(corpus, "food", "paracetamol", "fluids")


def test_a_quoted_phrase_needs_its_words_together_and_in_order(officer, corpus):
    assert set(_found(officer, '"clear fluids"')) == _ids(corpus, "food", "fluids")
    assert _found(officer, '"fluids clear"') == []
    assert set(_found(officer, '"arrival time" "4 hours"')) == _ids(corpus, "food")
    assert _found(officer, '"paracetamol every 4 hours for food"') == []


def test_minus_leaves_out_and_or_takes_either(officer, corpus):
    assert set(_found(officer, "hours -paracetamol")) == _ids(corpus, "food", "fluids")
    assert set(_found(officer, '-"clear fluids"')) == _ids(corpus, "paracetamol", "fast")
    assert set(_found(officer, "-paracetamol")) == _ids(corpus, "food", "fast", "fluids")
    assert set(_found(officer, "paracetamol OR midnight")) == _ids(corpus, "paracetamol", "fast")
    assert set(_found(officer, "hours paracetamol OR food")) == _ids(corpus, "food", "paracetamol")


def test_the_last_word_may_be_the_start_of_a_longer_one(officer, corpus):
    assert set(_found(officer, "paraceta")) == _ids(corpus, "paracetamol")
    assert set(_found(officer, "take paracet")) == _ids(corpus, "paracetamol")
    assert _found(officer, "paraceta take") == []  # only the last word
    assert _found(officer, '"paraceta"') == []  # a quoted word is a whole word


def test_relevance_puts_matches_in_the_statements_first(officer, corpus):
    assert _found(officer, "fluids") == [corpus["food"], corpus["fluids"]]  # by date, newest first
    assert _found(officer, "fluids", sort="relevance") == [corpus["fluids"], corpus["food"]]
    assert _found(officer, "fluids", sort="relevance", order="asc") == [corpus["food"], corpus["fluids"]]
    assert Filters.from_args({"sort": "relevance"}).sort == "date"  # no search: nothing to rank by
    page = officer.get("/findings?q=fluids").get_data(as_text=True)
    assert '<option value="relevance"' in page
    assert '<option value="relevance"' not in officer.get("/findings").get_data(as_text=True)


def test_a_lead_still_sees_only_their_departments_findings(client, corpus, login_as):
    login_as("lead")
    assert set(_found(client, "hours")) == _ids(corpus, "food", "paracetamol")
    assert _found(client, "heart clinic") == [] and _found(client, "heart OR midnight") == []
    assert set(_found(client, "-paracetamol")) == _ids(corpus, "food")
    assert corpus["fluids"] not in _csv_ids(client.get("/findings/export.csv?q=fluids"))
    login_as("cardio")
    assert _found(client, "paracetamol") == []
    assert set(_found(client, "hours")) == _ids(corpus, "fluids")


def _csv_ids(response) -> set[int]:
    assert response.status_code == 200
    return {int(row["id"]) for row in csv.DictReader(io.StringIO(response.get_data(as_text=True)))}


def test_the_page_the_exports_and_the_api_honour_the_search(officer, corpus):
    page = officer.get("/findings?q=paraceta").get_data(as_text=True)
    assert page.count('name="ids"') == 1 and f'value="{corpus["paracetamol"]}"' in page
    assert _csv_ids(officer.get("/findings/export.csv?q=paraceta")) == _ids(corpus, "paracetamol")
    data = json.loads(officer.get("/findings/export.json?q=hours+-paracetamol").get_data(as_text=True))
    assert {f["id"] for f in data["findings"]} == _ids(corpus, "food", "fluids") and data["count"] == 2
    api = officer.get("/api/findings?q=%22clear+fluids%22&department=cardiology").get_json()
    assert [f["id"] for f in api["findings"]] == [corpus["fluids"]] and api["total"] == 1
    around = officer.get(f"/findings/{corpus['fluids']}?q=hours").get_data(as_text=True)
    assert "of 3" in around  # previous / next walk the searched list


def test_hostile_queries_answer_200_with_an_empty_or_sane_result(officer, corpus):
    for query in HOSTILE:
        for url in ("/findings", "/findings/export.csv", "/findings/export.json", "/api/findings"):
            for sort in ("date", "relevance"):
                response = officer.get(url, query_string={"q": query, "sort": sort})
                assert response.status_code == 200, (query, url, response.get_data(as_text=True)[:300])
    assert officer.get("/findings?q=food%00").status_code == 400  # NUL: refused by the app's input guard
    assert _found(officer, '"') == [] and _found(officer, "*") == [] and _found(officer, "the and or") == []
    assert set(_found(officer, "food*")) == set(_found(officer, "(food")) == _ids(corpus, "food")
    assert set(_found(officer, "statements:food")) == set()  # the phrase "statements food", no column filter
    assert "no words to look for" in officer.get("/findings?q=%22").get_data(as_text=True)
    assert "no words to look for" not in officer.get("/findings?q=zebra").get_data(as_text=True)


def test_every_fts5_expression_is_valid_fts5():
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE VIRTUAL TABLE t USING fts5(a, tokenize='porter unicode61 remove_diacritics 2')")
    connection.execute("INSERT INTO t (a) VALUES ('do not eat any food for 4 hours')")
    for query in HOSTILE + ['a "b c" OR d -e f', 'x OR "y z" OR -w v']:
        parsed = parse(query)
        if parsed.groups:
            connection.execute("SELECT rowid FROM t WHERE t MATCH ?", (fts5_expression(parsed),)).fetchall()
        if parsed.excluded:
            connection.execute("SELECT rowid FROM t WHERE t MATCH ?", (" OR ".join(
                '"' + term.text.replace('"', '""') + '"' for term in parsed.excluded),)).fetchall()
    assert fts5_expression(parse('ab "b c" OR d -e fo')) == '"ab" AND ("b c" OR "d") AND "fo"'
    assert fts5_expression(parse("paraceta")) == '"paraceta"*'


def test_the_index_follows_updates_renames_comments_reasons_and_deletes(officer, corpus, db):
    db.execute(update(Finding).where(Finding.id == corpus["fast"]).values(statement_text="Nothing by mouth after 10 pm."))
    db.commit()
    assert _found(officer, "mouth") == [corpus["fast"]]
    assert corpus["fast"] not in _found(officer, "midnight")
    finding = db.get(Finding, corpus["paracetamol"])
    finding.explanation = "ibuprofen interval"
    db.commit()
    assert _found(officer, "ibuprofen") == [corpus["paracetamol"]]
    db.get(Document, corpus["heart_doc"]).title = "Cardiac ward handout"
    db.commit()
    assert set(_found(officer, "cardiac handout")) == _ids(corpus, "fast", "fluids")
    assert _found(officer, "heart sheet") == []
    officer.post(f"/findings/{corpus['food']}/dismiss", data={"reason": "the anaesthetist agreed"})
    officer.post(f"/findings/{corpus['fluids']}/comments", data={"body": "pharmacist checked this"})
    assert _found(officer, "anaesthetist") == [corpus["food"]]
    assert _found(officer, "pharmacist") == [corpus["fluids"]]
    db.execute(delete(Comment).where(Comment.finding_id == corpus["fluids"]))
    db.commit()
    assert _found(officer, "pharmacist") == []
    db.execute(delete(Finding).where(Finding.id == corpus["fluids"]))
    db.commit()
    assert corpus["fluids"] not in _found(officer, "hours")


def _search_objects(db) -> set[str]:
    if db.bind.dialect.name == "sqlite":
        rows = db.execute(text("SELECT name FROM sqlite_master WHERE name LIKE 'finding_search%'"))
    else:
        here = "current_schema()::regnamespace"  # other tests' schemas have their own
        rows = db.execute(text(
            "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE t.tgname LIKE "
            f"'finding_search%' AND c.relnamespace = {here} UNION ALL SELECT proname FROM pg_proc WHERE "
            f"proname LIKE 'finding_search%' AND pronamespace = {here} UNION ALL SELECT relname FROM pg_class "
            f"WHERE relname LIKE '%finding_search%' AND relnamespace = {here}"))
    return set(rows.scalars())


def test_the_migration_indexes_existing_findings_and_goes_down_cleanly(app, officer, corpus, db):
    assert {"finding_search"} <= _search_objects(db)
    db.close()
    downgrade(app, "b010")
    assert "finding_search" not in inspect(app.extensions["touchpoint_db"]).get_table_names()
    assert _search_objects(db) == set()
    db.close()
    _finding(db, corpus["surgery_doc"], "Bring your inhaler on the day.", "Leave inhalers at home.", "inhaler", 5)
    db.close()
    upgrade(app)
    assert _search_objects(db) >= {"finding_search"}
    if db.bind.dialect.name == "postgresql":
        assert {"finding_search_findings", "finding_search_vector", "ix_finding_search_vector"} <= _search_objects(db)
    assert set(_found(officer, "paracetamol OR inhaler")) == {corpus["paracetamol"]} | set(
        db.scalars(select(Finding.id).where(Finding.explanation == "inhaler")))


def test_the_help_page_explains_the_search_syntax(client, seed, login_as):
    login_as("lead")
    page = client.get("/help").get_data(as_text=True)
    assert 'id="search"' in page
    for example in ('"clear fluids"', "paracetamol OR ibuprofen", "hours -paracetamol", "paraceta"):
        assert example in page, example
