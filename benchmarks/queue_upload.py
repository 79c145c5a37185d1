"""Uploads with check workers: how long the first upload after a start waits, and the time to findings.

    .venv/bin/python -m benchmarks.queue_upload                        # the example corpus
    .venv/bin/python -m benchmarks.queue_upload --synthetic 3000       # a synthetic corpus of 3,000 statements
    .venv/bin/python -m benchmarks.queue_upload --uploads 10 --json out.json

Loopback only and bounded. In a scratch folder it loads a corpus with ``flask demo`` (SQLite database,
SQLite queue, a fresh embedding cache), then starts gunicorn (``deploy/gunicorn.conf.py``, one web
process) and one ``flask --app web worker`` at the same moment, as ``make run`` does, and as soon as
the server answers it uploads a leaflet through ``POST /api/documents``: the answer's time is what a
user waits for the first upload after a start (the worker is still loading the model meanwhile), and
polling ``GET /api/runs/<id>`` gives the time until its findings are stored. Then ``--uploads``
distinct leaflets one after the other on the warm worker: answer time and time to findings (median
and largest), and the worker's resident memory. ``--immediate`` measures the same without the queue
(``TOUCHPOINT_QUEUE_URL=immediate``: each upload is checked inside its request, as before the workers,
the first one loading the model in the web process), for comparison.
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
import urllib.request
from pathlib import Path
from typing import Any

from benchmarks.load_upload import _free_port, leaflet, upload

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _flask(env: dict[str, str], *args: str) -> str:
    return subprocess.run([str(BIN / "flask"), "--app", "web", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=1800, check=True).stdout


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _run_state(base: str, token: str, run_id: int) -> dict[str, Any]:
    request = urllib.request.Request(f"{base}/api/runs/{run_id}", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def _upload_and_wait(base: str, token: str, department: str, name: str, data: bytes,
                     limit: float = 600) -> tuple[float, float, dict[str, Any]]:
    """(answer seconds, seconds until the findings are stored, the finished run) of one upload."""
    started = time.perf_counter()
    status, answered, body = upload(base, token, department, name, data)
    if status != 201:
        raise RuntimeError(f"upload {name} answered {status}: {body[:300]}")
    run_id = json.loads(body)["run"]["id"]
    while True:
        state = _run_state(base, token, run_id)
        if not state["pending"]:
            return answered, time.perf_counter() - started, state
        if time.perf_counter() - started > limit:
            raise RuntimeError(f"run #{run_id} still {state['status']} after {limit} s")
        time.sleep(0.05)


def _wait_for(url: str, processes: list[subprocess.Popen], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if any(process.poll() is not None for process in processes):
            raise RuntimeError("a process exited before the server answered")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"no answer from {url} in {seconds} s")


def measure(work: Path, uploads: int, synthetic: int | None, immediate: bool = False) -> dict[str, Any]:
    port = _free_port()
    env = {**os.environ, "TOUCHPOINT_DATABASE_URL": f"sqlite:///{work / 'db.sqlite3'}",
           "TOUCHPOINT_QUEUE_URL": f"sqlite:///{work / 'queue.sqlite3'}", "TOUCHPOINT_CACHE_DIR": str(work / "cache"),
           "TOUCHPOINT_SECRET_KEY": "queue-benchmark-" + "k" * 24, "TOUCHPOINT_BIND": f"127.0.0.1:{port}",
           "TOUCHPOINT_WEB_WORKERS": "1", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    if immediate:
        env["TOUCHPOINT_QUEUE_URL"] = "immediate"
    demo_args: list[str] = []
    if synthetic:
        from benchmarks import synth

        synth.write(synth.generate(synthetic), work / "corpus")
        demo_args = ["--protocols", str(work / "corpus" / "protocols"), "--documents", str(work / "corpus" / "documents")]
    started = time.perf_counter()
    _flask(env, "demo", *demo_args)
    figures: dict[str, Any] = {"corpus": f"synthetic {synthetic}" if synthetic else "examples",
                               "mode": "immediate (checked in the request)" if immediate else "queue + 1 worker",
                               "demo_load_s": round(time.perf_counter() - started, 1)}
    token = _flask(env, "create-token", "admin").strip().splitlines()[-1].split()[-1]
    department = _department(env)
    base = f"http://127.0.0.1:{port}"
    log = open(work / "worker.log", "wb")
    start = time.perf_counter()
    server = subprocess.Popen([str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "web:create_app()"], cwd=ROOT,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker = subprocess.Popen([str(BIN / "flask"), "--app", "web", "worker"] if not immediate else
                              [sys.executable, "-c", "import time; time.sleep(86400)"], cwd=ROOT, env=env, stdout=log,
                              stderr=subprocess.STDOUT)
    try:
        _wait_for(f"{base}/login", [server, worker])
        figures["server_answers_s"] = round(time.perf_counter() - start, 2)
        answered, findings, run = _upload_and_wait(base, token, department, "first.md", leaflet(1, "first"))
        figures.update(first_upload_answer_s=round(answered, 2), first_upload_findings_s=round(findings, 2),
                       first_upload_findings_new=run["findings_new"])
        figures["worker_model_load_s"] = _model_load(work / "worker.log")
        answers, times = [], []
        for number in range(uploads):
            answered, findings, run = _upload_and_wait(base, token, department, f"warm-{number}.md",
                                                       leaflet(100 + number, f"warm {number}"))
            assert run["status"] == "succeeded", run
            answers.append(answered)
            times.append(findings)
        figures.update(warm_uploads=uploads, warm_answer_median_s=round(statistics.median(answers), 3),
                       warm_answer_max_s=round(max(answers), 3),
                       warm_findings_median_s=round(statistics.median(times), 3),
                       warm_findings_max_s=round(max(times), 3),
                       worker_rss_mb=None if immediate else _rss_mb(worker.pid))
    finally:
        for process in (server, worker):
            process.terminate()
        for process in (server, worker):
            process.wait(timeout=120)
        log.close()
    return figures


def _department(env: dict[str, str]) -> str:
    """The slug of the corpus's first department (the demo lead's)."""
    import sqlalchemy as sa

    engine = sa.create_engine(env["TOUCHPOINT_DATABASE_URL"])
    with engine.connect() as connection:
        slug = connection.execute(sa.text("SELECT slug FROM departments ORDER BY name LIMIT 1")).scalar_one()
    engine.dispose()
    return slug


def _model_load(log: Path) -> float | None:
    for line in log.read_text(errors="replace").splitlines():
        if "model loaded in" in line:
            return float(line.split("model loaded in", 1)[1].split()[0])
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description="First upload and time to findings with check workers.")
    parser.add_argument("--uploads", type=int, default=10, help="warm uploads, one after the other")
    parser.add_argument("--synthetic", type=int, help="a synthetic corpus of this many document statements")
    parser.add_argument("--immediate", action="store_true", help="no queue: check inside the request (comparison)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="touchpoint-queue-") as folder:
        figures = measure(Path(folder), args.uploads, args.synthetic, args.immediate)
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
