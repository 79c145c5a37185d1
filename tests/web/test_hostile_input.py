"""No user input gives a 500: odd, huge, NUL-laden or foreign values get a page or a 4xx."""
from __future__ import annotations

import pytest

from web_support import LEAFLET_MD, document_id_from, upload

ODD_VALUES = ["", " ", "\x00", "a\x00b", "x" * 20000, "<script>alert(1)</script>", "' OR 1=1 --", "ü∂ƒ漢字🙂", "-1",
              "99999999999999999999", "%00", "../../etc/passwd"]


def test_odd_values_in_forms_and_queries_never_cause_a_server_error(client, seed, login_as):
    login_as("lead")
    document_id = document_id_from(upload(client, seed["surgery"], "leaflet.md", LEAFLET_MD))
    for value in ODD_VALUES:
        _try_everywhere(client, login_as, seed, document_id, value)


def _try_everywhere(client, login_as, seed, document_id: int, value: str) -> None:
    login_as("admin")
    requests = [
        ("GET", f"/findings?department={value}&kind={value}&severity={value}&status={value}&protocol={value}"
                f"&page={value}&sort={value}&order={value}", None),
        ("GET", f"/api/findings?page={value}&per_page={value}&document={value}", None),
        ("GET", f"/findings/export.csv?department={value}", None),
        ("POST", "/login", {"username": value, "password": value}),
        ("POST", "/admin/users", {"username": value, "password": value, "role": value, "department": value,
                                  "display_name": value}),
        ("POST", f"/admin/users/{seed['cardio']}", {"role": value, "department": value, "display_name": value,
                                                   "email": value}),
        ("POST", "/profile/email", {"email": value, "wants_digest": value}),
        ("POST", "/admin/departments", {"name": value, "slug": value}),
        ("POST", "/documents/upload", {"department": value, "title": value}),
        ("POST", f"/documents/{document_id}/versions", {"title": value}),
    ]
    for method, url, data in requests:
        response = client.open(url, method=method, data=data)
        assert response.status_code < 500, (method, url[:80], value[:20], response.status_code)


@pytest.mark.parametrize("url", ["/findings/99999999999", "/documents/2147483648", "/api/findings/99999999999999",
                                 "/protocols/0", "/runs/-1", "/documents/1/versions/99999999999/download"])
def test_ids_too_large_for_the_database_are_simply_not_found(client, seed, login_as, url):
    login_as("admin")
    assert client.get(url).status_code == 404
