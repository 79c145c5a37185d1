"""Runs orphaned by a crash are marked interrupted; live runs are left alone."""
from __future__ import annotations

import socket
import subprocess
import sys
from datetime import timedelta

from web.models import CheckRun, utcnow
from web.orphans import sweep_orphaned_runs
from web_support import login


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _running(db, **owner) -> CheckRun:
    run = CheckRun(kind="upload", status="running", started_at=owner.pop("started_at", utcnow()), errors={}, **owner)
    db.add(run)
    db.commit()
    return run


def test_a_run_whose_process_died_is_marked_interrupted_and_a_live_one_is_not(db, seed):
    import os

    host = socket.gethostname()
    dead = _running(db, owner_pid=_dead_pid(), owner_host=host)
    alive = _running(db, owner_pid=os.getpid(), owner_host=host)
    swept = sweep_orphaned_runs(db, 3600)
    db.commit()
    assert swept == [dead.id]
    assert db.get(CheckRun, dead.id).status == "interrupted"
    assert "no longer running" in db.get(CheckRun, dead.id).error
    assert db.get(CheckRun, alive.id).status == "running"


def test_a_run_on_another_host_is_orphaned_only_once_it_is_stale(db, seed):
    old = _running(db, owner_pid=1, owner_host="elsewhere", started_at=utcnow() - timedelta(hours=7))
    recent = _running(db, owner_pid=1, owner_host="elsewhere")
    assert sweep_orphaned_runs(db, 6 * 3600) == [old.id]
    db.commit()
    assert db.get(CheckRun, recent.id).status == "running"


def test_the_runs_page_and_the_next_check_sweep_orphans(client, seed, db):
    orphan = _running(db, owner_pid=_dead_pid(), owner_host=socket.gethostname())
    login(client, "officer")
    assert client.get("/runs").status_code == 200
    db.expire_all()
    assert db.get(CheckRun, orphan.id).status == "interrupted"
    second = _running(db, owner_pid=_dead_pid(), owner_host=socket.gethostname())
    response = client.post("/runs")
    assert response.status_code == 302
    db.expire_all()
    assert db.get(CheckRun, second.id).status == "interrupted"
    newest = db.query(CheckRun).order_by(CheckRun.id.desc()).first()
    assert newest.owner_pid is not None and newest.status == "succeeded"
