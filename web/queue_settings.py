"""Settings of the task queue that checks run on (``web.queue``), of its workers, and of the
heartbeat every running check keeps (``run_heartbeat_seconds``: the workers' checks and the nightly batch).

Each has a default here and is overridden by ``TOUCHPOINT_<NAME IN CAPITALS>``, like every other
Touchpoint setting (``checker/settings.py``); a value that does not parse or is out of range raises
:class:`SettingsError` naming the variable when the app starts.

``queue_url`` says where queued checks wait:

* empty (the default): huey's SQLite storage in ``instance/queue.sqlite3``, so ``make run`` needs
  no service; every process on this machine that uses the same file shares the queue;
* ``sqlite:///path/to/queue.sqlite3`` (a relative path is taken from the project folder);
* ``redis://host:6379/0`` (``rediss://`` for TLS): Redis, for workers on several machines;
* ``immediate``: no queue, a check runs inside the call that queues it (tests, one-off scripts).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Mapping

from checker.settings import SettingsError, check_ranges, environment_values, variable_name

IMMEDIATE = "immediate"
QUEUE_SCHEMES = ("sqlite", "redis", "rediss")


@dataclass(frozen=True)
class QueueSettings:
    """The queue's settings, with their defaults. Build one with :func:`load_queue_settings`."""

    # where queued checks wait: empty = sqlite under instance/, sqlite:///FILE, redis://HOST:PORT/DB, immediate
    queue_url: str = ""
    # the queue's name (a Redis key prefix, a SQLite table's rows): two deployments on one Redis need two names
    queue_name: str = "touchpoint"
    # checks one worker process does at once (threads sharing its one model); every check takes the
    # check lock, so more than 1 helps only while a check waits for it
    worker_threads: int = 1
    # how often a worker looks for runs whose worker died (handed back to the queue) and queued runs
    # that no worker has taken for queue_requeue_seconds (handed to the queue again)
    queue_sweep_seconds: int = 15
    queue_requeue_seconds: int = 300
    # a check that finds the check lock held (the nightly batch, another check) waits this long, then
    # goes back on the queue for as long again
    queue_retry_seconds: int = 10
    # a run whose worker died this many times is marked interrupted instead of being queued again
    queue_max_attempts: int = 3
    # a running check (the nightly batch, a worker's check) refreshes its run's and the check lock's
    # heartbeat this often, in a thread of its own; another host counts it as dead after
    # web.locks.HEARTBEAT_MISSES (4) intervals without one (this host: as soon as its process is gone)
    run_heartbeat_seconds: int = 30


_RANGES: dict[str, tuple[int, int]] = {
    "worker_threads": (1, 64),
    "queue_sweep_seconds": (1, 3600),
    "queue_requeue_seconds": (5, 7 * 24 * 3600),
    "queue_retry_seconds": (1, 3600),
    "queue_max_attempts": (1, 100),
    "run_heartbeat_seconds": (1, 3600),
}


def queue_scheme(url: str) -> str:
    """``sqlite``, ``redis``, ``rediss`` or ``immediate`` (an empty URL is the SQLite default)."""
    if not url:
        return "sqlite"
    if url == IMMEDIATE:
        return IMMEDIATE
    return url.split("://", 1)[0].lower() if "://" in url else ""


def _validate(settings: QueueSettings) -> None:
    check_ranges(settings, _RANGES)
    if queue_scheme(settings.queue_url) not in QUEUE_SCHEMES + (IMMEDIATE,):
        raise SettingsError(f"{variable_name('queue_url')}={settings.queue_url!r}: expected sqlite:///FILE, "
                            "redis://HOST:PORT/DB or immediate (empty: SQLite under instance/)")
    if not settings.queue_name or not settings.queue_name.replace("-", "").replace("_", "").isalnum():
        raise SettingsError(f"{variable_name('queue_name')}={settings.queue_name!r}: letters, digits, - and _ only")


def load_queue_settings(environ: Mapping[str, str] | None = None, **overrides: Any) -> QueueSettings:
    """Defaults, then ``TOUCHPOINT_*`` environment variables, then keyword overrides; validated."""
    values = environment_values(QueueSettings, os.environ if environ is None else environ)
    settings = QueueSettings(**{**values, **overrides})
    _validate(settings)
    return settings
