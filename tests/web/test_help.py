"""The help page explains every kind the engine reports and every status a finding can have (docs checked by tests)."""
from __future__ import annotations

import pytest

from checker.records import FINDING_KINDS
from web.models import FINDING_STATUSES


def test_every_kind_and_status_is_explained(client, seed, login_as):
    login_as("lead")
    page = client.get("/help").get_data(as_text=True)
    for kind in FINDING_KINDS:
        assert f'id="kind-{kind}"' in page, kind
    for status in FINDING_STATUSES:
        assert f'id="status-{status}"' in page, status
    assert "estimated chance that it is a real contradiction" in page and "0.50" in page


@pytest.mark.parametrize("role, hint", [("lead", "Upload a document"), ("officer", "open findings"),
                                        ("admin", "Add users")])
def test_the_dashboard_says_what_each_role_does_next(client, seed, login_as, role, hint):
    login_as(role)
    page = client.get("/").get_data(as_text=True)
    assert "What to do next" in page and hint in page and "/help" in page
