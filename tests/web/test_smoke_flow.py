"""The main path: a lead uploads a leaflet that contradicts a protocol and sees the finding."""
from __future__ import annotations

import re

from web_support import LEAFLET_MD, upload


def test_a_lead_uploading_a_conflicting_leaflet_sees_the_finding_highlighted(client, seed, login_as):
    login_as("lead")
    response = upload(client, seed["surgery"], "leaflet.md", LEAFLET_MD)
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<mark class="statement">' in html
    assert re.search(r'<mark class="fact">[^<]*4[^<]*</mark>', html), html
