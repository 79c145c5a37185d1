"""Helpers for the task-queue tests: apps on a real (SQLite or Redis) queue, worker subprocesses,
bounded polling, and the findings of a database in a comparable form."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Callable

import pytest
from flask import Flask
from sqlalchemy import select

from checker.settings import Settings
from web.db import session_factory
from web.models import CheckRun, Finding
from web.queue import get_queue
from web.queue_settings import QueueSettings, load_queue_settings
from web_support import build_app

REPOSITORY = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TOUCHPOINT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
QUEUE_KINDS = ["sqlite", "redis"]


def redis_unreachable() -> str | None:
    """Why Redis cannot be used (None when it can)."""
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=2).ping()
        return None
    except Exception as error:  # noqa: BLE001 - any failure means "skip, and say why"
        return f"Redis at {REDIS_URL} is unreachable: {type(error).__name__}: {error}"


def queue_settings(kind: str, folder: Path, **overrides: Any) -> QueueSettings:
    """A queue of its own for one test: a SQLite file in ``folder``, or a fresh name on Redis."""
    if kind == "redis":
        reason = redis_unreachable()
        if reason:
            pytest.skip(reason)
        url = REDIS_URL
    else:
        url = f"sqlite:///{folder / 'queue.sqlite3'}"
    return load_queue_settings(environ={}, queue_url=url, queue_name=f"test-{uuid.uuid4().hex[:12]}", **overrides)


def queued_app(database_url: str, engine: Any, settings: Settings, queue: QueueSettings) -> Flask:
    """A test app whose uploads really queue (nothing runs a check until a worker takes it)."""
    return build_app(database_url, engine, settings, TOUCHPOINT_QUEUE_SETTINGS=queue)


def drop_queue(app: Flask) -> None:
    """Forget what the test left on its queue (its Redis keys) and close the database."""
    try:
        get_queue(app).storage.flush_all()
    finally:
        app.extensions["touchpoint_db"].dispose()


def worker_environment(database_url: str, settings: Settings, queue: QueueSettings, **extra: str) -> dict[str, str]:
    """The environment of a worker subprocess: the test's database, queue and engine settings only."""
    environ = {key: value for key, value in os.environ.items() if not key.startswith("TOUCHPOINT_")}
    environ.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOUCHPOINT_DATABASE_URL=database_url,
                   TOUCHPOINT_CACHE_DIR=str(settings.cache_dir), TOUCHPOINT_SECRET_KEY="test-secret",
                   TOUCHPOINT_CHECK_LOCK_WAIT_SECONDS=str(settings.check_lock_wait_seconds),
                   TOUCHPOINT_QUEUE_URL=queue.queue_url, TOUCHPOINT_QUEUE_NAME=queue.queue_name,
                   TOUCHPOINT_QUEUE_SWEEP_SECONDS="1", PYTHONUNBUFFERED="1", **extra)
    return environ


class Worker:
    """``flask --app web worker`` as a subprocess, its output in a log file."""

    def __init__(self, environ: dict[str, str], log: Path) -> None:
        self.log = log
        self._handle = open(log, "ab")
        self.process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "web", "worker"], cwd=REPOSITORY,
                                        env=environ, stdout=self._handle, stderr=subprocess.STDOUT)

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def kill(self) -> None:
        """SIGKILL, and reap it (so its pid reads as dead)."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self._handle.close()


def wait_until(condition: Callable[[], Any], what: str, worker: Worker | None = None, limit: float = 300.0,
               step: float = 0.25) -> Any:
    """Poll ``condition`` until it returns something true (bounded: fails after ``limit`` seconds,
    or at once when the worker died), and return it."""
    deadline = time.monotonic() + limit
    while True:
        value = condition()
        if value:
            return value
        if worker is not None and worker.process.poll() is not None:
            pytest.fail(f"the worker exited ({worker.process.returncode}) before {what}:\n{worker.output()}")
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}" + (f"; worker output:\n{worker.output()}" if worker else ""))
        time.sleep(step)


def run_row(app: Flask, run_id: int) -> CheckRun:
    with session_factory(app)() as session:
        return session.get(CheckRun, run_id)


def finished(app: Flask, run_id: int) -> CheckRun | None:
    run = run_row(app, run_id)
    return run if run is not None and not run.pending else None


def latest_run(app: Flask) -> CheckRun:
    with session_factory(app)() as session:
        return session.scalars(select(CheckRun).order_by(CheckRun.id.desc())).first()


def findings_of(app: Flask) -> list[tuple]:
    """Every finding as (fingerprint, kind, status, document statement, source statement), sorted."""
    with session_factory(app)() as session:
        return sorted((f.fingerprint, f.kind, f.status, f.statement_text, f.source_text)
                      for f in session.scalars(select(Finding)))
