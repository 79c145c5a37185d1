"""The help page: what the kinds, the score, the statuses and the roles mean, and the shortcuts."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template

from checker.records import FINDING_KINDS
from web.auth import login_required
from web.models import FINDING_STATUSES, ROLE_LABELS

bp = Blueprint("help", __name__)


@bp.get("/help")
@login_required
def index():
    settings = current_app.extensions["touchpoint_settings"]
    return render_template("help.html", kinds=FINDING_KINDS, statuses=FINDING_STATUSES, roles=ROLE_LABELS,
                           min_score=settings.min_score)
