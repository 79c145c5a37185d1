"""The production recipe works: gunicorn with deploy/gunicorn.conf.py serves the app, and behind a
proxy the app reads the client's scheme from X-Forwarded-Proto."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from web_support import build_app

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_gunicorn_serves_the_app_with_the_shipped_config(tmp_path):
    gunicorn = Path(sys.executable).with_name("gunicorn")
    port = _free_port()
    database = f"sqlite:///{tmp_path / 'prod.sqlite3'}"
    env = {**os.environ, "TOUCHPOINT_DATABASE_URL": database, "TOUCHPOINT_SECRET_KEY": "k" * 32,
           "TOUCHPOINT_BIND": f"127.0.0.1:{port}", "TOUCHPOINT_WEB_WORKERS": "1", "HF_HUB_OFFLINE": "1"}
    subprocess.run([Path(sys.executable).with_name("flask"), "--app", "web", "init-db"], cwd=ROOT, env=env,
                   check=True, capture_output=True, timeout=120)
    server = subprocess.Popen([gunicorn, "-c", "deploy/gunicorn.conf.py", "web:create_app()"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as response:
                    assert response.status == 200
                    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("gunicorn did not serve /login: " + (server.stdout.read(4000).decode()
                                                                       if server.poll() is not None else "timeout"))
                time.sleep(0.5)
    finally:
        server.terminate()
        server.wait(timeout=30)


def _scheme_seen(app) -> str:
    from flask import request

    app.add_url_rule("/_scheme", "scheme_probe", lambda: f"{request.scheme} {request.remote_addr}")
    return app.test_client().get("/_scheme", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"},
                                 environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_data(as_text=True)


def test_behind_a_proxy_the_app_trusts_its_forwarded_scheme_and_client_only_when_told(database_url, engine,
                                                                                      engine_settings):
    proxied = build_app(database_url, engine, engine_settings.replace(proxy_hops=1))
    direct = build_app(database_url, engine, engine_settings)
    assert _scheme_seen(proxied) == "https 203.0.113.9"
    assert _scheme_seen(direct) == "http 127.0.0.1"  # without a proxy, forged headers change nothing
    proxied.extensions["touchpoint_db"].dispose()
    direct.extensions["touchpoint_db"].dispose()
