"""``flask --app web worker``: one worker process of the task queue (``web.queue``).

It loads the model once, before it takes its first check, and keeps it: every check after that
finds it warm. Then it hands back to the queue what a dead worker left (``web.queue.recover``), does
so again every ``queue_sweep_seconds``, and runs huey's consumer with ``worker_threads`` threads
sharing the one engine. ``SIGTERM`` (``systemctl stop``) lets the check in hand finish; ``SIGINT``
(Ctrl-C) or ``SIGKILL`` stop at once, and the run goes back on the queue (``web.orphans``).
Run as many as you like, on one machine or several sharing a Redis queue and one database: checks
take turns under the one check lock, so more workers buy availability, not a faster single check.
"""
from __future__ import annotations

import logging
import sys
import threading
import time
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from web.db import upgrade
from web.queue import get_queue, queue_location, recover
from web.queue_settings import IMMEDIATE, queue_scheme

log = logging.getLogger("web.worker")


def warm_up(engine: Any) -> float:
    """Load the engine's model now (by encoding one sentence, cached nowhere); its seconds."""
    started = time.perf_counter()
    model = getattr(getattr(engine, "store", None), "model", None)
    if model is not None and hasattr(model, "encode"):
        model.encode(["The worker loads the model once, at start."])
    return time.perf_counter() - started


class Sweeper(threading.Thread):
    """Every ``seconds``, hand back to the queue the runs dead workers left (``web.queue.recover``)."""

    def __init__(self, app: Flask, seconds: float) -> None:
        super().__init__(name="touchpoint-sweeper", daemon=True)
        self.app, self.seconds, self.stopped = app, seconds, threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.seconds):
            try:
                recover(self.app)
            except Exception:  # noqa: BLE001 - a database hiccup: try again next time
                log.warning("recovering queued runs failed; trying again in %s s", self.seconds, exc_info=True)


def _configure_logging() -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in ("web", "huey"):
        logging.getLogger(name).setLevel(logging.INFO)


@click.command("worker")
@click.option("--threads", type=click.IntRange(1, 64), default=None,
              help="Checks done at once in this process (default: TOUCHPOINT_WORKER_THREADS, 1).")
@with_appcontext
def worker_command(threads: int | None) -> None:
    """Do queued checks (uploads, protocol versions, the runs page's button) with the model kept loaded."""
    from web.library import get_engine

    _configure_logging()
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    settings = app.extensions["touchpoint_queue_settings"]
    if queue_scheme(settings.queue_url) == IMMEDIATE:
        raise click.ClickException(f"TOUCHPOINT_QUEUE_URL={IMMEDIATE} has no queue: checks run where they are "
                                   "asked for, so there is nothing for a worker to do.")
    upgrade(app)
    seconds = warm_up(get_engine(app))
    log.info("worker ready: model loaded in %.1f s; queue %s", seconds, queue_location(app))
    handed = recover(app)
    if handed:
        log.info("handed %d queued run(s) to the queue: %s", len(handed), ", ".join(f"#{i}" for i in handed))
    sweeper = Sweeper(app, settings.queue_sweep_seconds)
    sweeper.start()
    consumer = get_queue(app).create_consumer(
        workers=threads or settings.worker_threads, worker_type="thread", periodic=False,
        graceful_signal="TERM", initial_delay=0.05, max_delay=0.5)
    try:
        consumer.run()
    finally:
        sweeper.stopped.set()
