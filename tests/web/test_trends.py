"""The trends page: findings opened and closed per week and the open backlog, as charts, a table, CSV and JSON."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from web.models import Finding
from web_support import LEAFLET_MD, upload


def _weeks_ago(weeks: int) -> datetime:
    return datetime.now(timezone.utc) - timedelta(weeks=weeks)


def test_opened_closed_and_backlog_per_week(client, seed, login_as, db):
    login_as("lead")
    for number in range(3):
        upload(client, seed["surgery"], f"ward-{number}.md", LEAFLET_MD.replace(b"4 hours", f"{2 + number} hours".encode()))
    login_as("cardio")
    upload(client, seed["cardiology"], "cardio.md", LEAFLET_MD)
    db.expire_all()
    findings = sorted(db.scalars(select(Finding)).all(), key=lambda f: f.id)
    assert len(findings) == 4
    for finding, opened in zip(findings, (3, 3, 1, 0)):
        finding.created_at = _weeks_ago(opened)
    findings[0].status, findings[0].status_changed_at = "dismissed", _weeks_ago(1)
    db.commit()
    login_as("officer")
    weeks = client.get("/trends.json").get_json()["weeks"]
    assert len(weeks) == 4 and [w["opened"] for w in weeks] == [2, 0, 1, 1]
    assert [w["closed"] for w in weeks] == [0, 0, 1, 0] and [w["backlog"] for w in weeks] == [2, 2, 2, 3]
    page = client.get("/trends").get_data(as_text=True)
    assert '<canvas id="flow"' in page and "vendor/chart-4.6.1.umd.min.js" in page and page.count("<tr>") == 5
    rows = list(csv.DictReader(io.StringIO(client.get("/trends.csv").get_data(as_text=True))))
    assert [int(r["backlog"]) for r in rows] == [2, 2, 2, 3]
    only_cardio = client.get("/trends.json?department=cardiology").get_json()["weeks"]
    assert sum(w["opened"] for w in only_cardio) == 1
    login_as("cardio")  # a lead's trends count only what they may see
    assert sum(w["opened"] for w in client.get("/trends.json").get_json()["weeks"]) == 1


def test_trends_without_findings_say_so(client, seed, login_as):
    login_as("officer")
    assert "No findings yet" in client.get("/trends").get_data(as_text=True)
    assert client.get("/trends.json").get_json()["weeks"] == []
