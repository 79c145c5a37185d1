"""Load test: many clients upload documents at once through the production server, on PostgreSQL.

    .venv/bin/python -m benchmarks.load_upload                 # 20 clients x 25 uploads
    .venv/bin/python -m benchmarks.load_upload --clients 4 --uploads 5 --json out.json

Loopback only and bounded: it creates (and afterwards drops) the database ``touchpoint_load`` on the
PostgreSQL server of ``TOUCHPOINT_TEST_POSTGRES_URL`` (default ``postgresql://postgres@127.0.0.1:5432/test``),
loads the demo data with ``flask demo``, starts gunicorn with ``deploy/gunicorn.conf.py`` on a free
port and one check worker (``flask --app web worker``, a SQLite queue in a scratch folder) and uploads
distinct small leaflets through ``POST /api/documents`` with an admin token. It waits until the worker
has done every queued check, then reads the database back and counts:

- errors: responses other than 2xx or 4xx, and requests that got no response at all;
- lost: uploads answered 2xx whose document is not stored; duplicated: a file stored twice;
- half-saved: a stored document without a current version or without statements;
- checks that did not run (a run that did not end ``succeeded``);
- the time from the first upload until the worker had done the last check (``drained_s``).

Latencies are reported as ratios to one uncontended upload on the same warm server, because
absolute times on a shared 2-core machine say little.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import sqlalchemy as sa

from web.db import resolve_database_url

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DATABASE = "touchpoint_load"


@dataclass
class Figures:
    clients: int
    uploads_per_client: int
    accepted: int = 0
    refused_4xx: int = 0
    errors: int = 0
    lost: int = 0
    duplicated: int = 0
    half_saved: int = 0
    checks_not_run: int = 0
    single_upload_s: float = 0.0
    median_ratio: float = 0.0
    p95_ratio: float = 0.0
    wall_s: float = 0.0
    drained_s: float = 0.0
    error_samples: list[str] = field(default_factory=list)


def leaflet(number: int, marker: str) -> bytes:
    """A short leaflet of its own: numbers vary so every upload is new content to check."""
    hours = 2 + number % 9
    return (f"# Load test leaflet {marker}\n\n"
            f"- Do not eat any food for {hours} hours before your operation.\n"
            f"- You may drink water until {1 + number % 3} hours before you arrive.\n"
            f"- Call the ward on 555-01{number % 100:02d} if you have questions about leaflet {marker}.\n"
            f"- Bring a list of your usual medicines with you.\n").encode()


def _server_url(base: str) -> str:
    return base.rsplit("/", 1)[0] + f"/{DATABASE}"


def _recreate_database(admin_url: str) -> None:
    engine = sa.create_engine(resolve_database_url(admin_url, ROOT), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
        connection.execute(sa.text(f"CREATE DATABASE {DATABASE}"))
    engine.dispose()


def _drop_database(admin_url: str) -> None:
    engine = sa.create_engine(resolve_database_url(admin_url, ROOT), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
    engine.dispose()


def _flask(env: dict, *args: str) -> str:
    done = subprocess.run([str(BIN / "flask"), "--app", "web", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=900, check=True)
    return done.stdout


def _free_port() -> int:
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(url: str, server: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("gunicorn exited: " + server.stdout.read().decode()[-2000:])
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"gunicorn did not answer {url} in {seconds} s")


def upload(base: str, token: str, department: str, filename: str, data: bytes) -> tuple[int, float, str]:
    """(status, seconds, body or error) of one API upload; status 0 when no response came."""
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"department\"\r\n\r\n{department}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n"
            f"Content-Type: text/markdown\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(f"{base}/api/documents", data=body, method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": f"multipart/form-data; boundary={boundary}"})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            return response.status, time.perf_counter() - started, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, time.perf_counter() - started, error.read().decode()[:300]
    except OSError as error:
        return 0, time.perf_counter() - started, repr(error)


def _wait_for_checks(database_url: str, limit: float = 3600) -> None:
    """Until no check is queued or running (bounded)."""
    engine = sa.create_engine(resolve_database_url(database_url, ROOT))
    deadline = time.monotonic() + limit
    try:
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                if not connection.execute(sa.text(
                        "SELECT count(*) FROM check_runs WHERE status IN ('queued', 'running')")).scalar():
                    return
            time.sleep(0.5)
    finally:
        engine.dispose()
    raise RuntimeError(f"checks still pending after {limit} s")


def _audit(database_url: str, accepted_files: list[str], figures: Figures) -> None:
    engine = sa.create_engine(resolve_database_url(database_url, ROOT))
    with engine.connect() as connection:
        rows = connection.execute(sa.text(
            "SELECT d.filename, (SELECT count(*) FROM document_versions v WHERE v.document_id = d.id), "
            "(SELECT count(*) FROM statements s JOIN document_versions v ON s.document_version_id = v.id "
            " WHERE v.document_id = d.id) FROM documents d WHERE d.filename LIKE 'load-%'")).all()
        not_run = connection.execute(sa.text(
            "SELECT count(*) FROM check_runs WHERE kind = 'upload' AND status <> 'succeeded'")).scalar()
    engine.dispose()
    stored: dict[str, int] = {}
    for filename, versions, statements in rows:
        stored[filename] = stored.get(filename, 0) + 1
        figures.half_saved += int(not versions or not statements)
    figures.lost = sum(1 for name in accepted_files if name not in stored)
    figures.duplicated = sum(count - 1 for count in stored.values() if count > 1)
    figures.checks_not_run = int(not_run or 0)


def run(clients: int, uploads: int, admin_url: str) -> Figures:
    figures = Figures(clients, uploads)
    database_url = _server_url(admin_url)
    _recreate_database(admin_url)
    port = _free_port()
    queue = Path(tempfile.mkdtemp(prefix="touchpoint-load-")) / "queue.sqlite3"
    env = {**os.environ, "TOUCHPOINT_DATABASE_URL": database_url, "TOUCHPOINT_SECRET_KEY": "load-test-" + "k" * 24,
           "TOUCHPOINT_BIND": f"127.0.0.1:{port}", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "TOUCHPOINT_QUEUE_URL": f"sqlite:///{queue}"}
    _flask(env, "demo")
    token = _flask(env, "create-token", "admin").strip().splitlines()[-1].split()[-1]
    department = "day-surgery"
    server = subprocess.Popen([str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "web:create_app()"],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    worker = subprocess.Popen([str(BIN / "flask"), "--app", "web", "worker"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{base}/login", server)
        for warm in range(4):  # the web processes read their first files (the worker loads the model at start)
            upload(base, token, department, f"warm-{warm}.md", leaflet(900 + warm, f"warm {warm}"))
        single = [upload(base, token, department, f"single-{i}.md", leaflet(950 + i, f"single {i}"))[1]
                  for i in range(3)]
        figures.single_upload_s = round(statistics.median(single), 3)
        jobs = [(c, u) for c in range(clients) for u in range(uploads)]

        def one(job: tuple[int, int]) -> tuple[str, int, float, str]:
            client, number = job
            name = f"load-{client:02d}-{number:03d}.md"
            return (name, *upload(base, token, department, name, leaflet(client * uploads + number, name)))

        started = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            results = list(pool.map(one, jobs))
        figures.wall_s = round(time.perf_counter() - started, 1)
        _wait_for_checks(database_url)
        figures.drained_s = round(time.perf_counter() - started, 1)
    finally:
        for process in (server, worker):
            process.terminate()
        for process in (server, worker):
            process.wait(timeout=120)
    accepted = [name for name, status, _, _ in results if 200 <= status < 300]
    figures.accepted = len(accepted)
    figures.refused_4xx = sum(1 for _, status, _, _ in results if 400 <= status < 500)
    failures = [(status, body) for _, status, _, body in results if not (200 <= status < 300 or 400 <= status < 500)]
    figures.errors = len(failures)
    figures.error_samples = [f"{status}: {body[:160]}" for status, body in failures[:5]]
    latencies = sorted(seconds for _, status, seconds, _ in results if 200 <= status < 300)
    if latencies and figures.single_upload_s:
        figures.median_ratio = round(statistics.median(latencies) / figures.single_upload_s, 1)
        figures.p95_ratio = round(latencies[int(0.95 * (len(latencies) - 1))] / figures.single_upload_s, 1)
    _audit(database_url, accepted, figures)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description="Concurrent uploads through gunicorn on PostgreSQL.")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--uploads", type=int, default=25, help="uploads per client")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--keep", action="store_true", help="keep the touchpoint_load database")
    args = parser.parse_args()
    admin_url = os.environ.get("TOUCHPOINT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    try:
        figures = run(args.clients, args.uploads, admin_url)
    finally:
        if not args.keep:
            _drop_database(admin_url)
    print(json.dumps(asdict(figures), indent=2))
    if args.json:
        args.json.write_text(json.dumps(asdict(figures), indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
