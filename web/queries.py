"""Finding filters, visibility and serialisation, shared by pages, exports and the API."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from sqlalchemy import Select, case, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from web import search
from web.models import FINDING_STATUSES, Comment, Department, Document, Finding, Protocol, User
from web.views_support import SEVERITY_RANK, format_dt, parse_id

SORTS = ("score", "severity", "date", "relevance")  # relevance: only with a search


@dataclass(frozen=True)
class Filters:
    """Finding filters from query arguments; unknown or malformed values are ignored."""

    department: str | None = None
    kind: str | None = None
    severity: str | None = None
    status: str | None = None
    protocol: int | None = None
    document: int | None = None
    q: str | None = None
    assignee: str | None = None  # "me" or a user id
    sort: str = "date"
    descending: bool = True

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> "Filters":
        def text(name: str) -> str | None:
            value = (args.get(name) or "").strip()
            return value[:200] or None

        def number(name: str) -> int | None:
            return parse_id(args.get(name))

        status = text("status")
        sort = text("sort") or "date"
        query = text("q")
        if sort == "relevance" and not query:
            sort = "date"
        return cls(department=text("department"), kind=text("kind"), severity=text("severity"),
                   status=status if status in FINDING_STATUSES else None, protocol=number("protocol"),
                   document=number("document"), q=query, assignee=_assignee(args.get("assignee")),
                   sort=sort if sort in SORTS else "date",
                   descending=(args.get("order") or "desc") != "asc")

    @property
    def search_has_no_words(self) -> bool:
        """A search was given, but only punctuation or common words: it matches nothing."""
        return bool(self.q) and search.parse(self.q).empty

    def list_args(self) -> dict[str, Any]:
        """The filters with the sort, as the list's URL carries them (so a finding page knows its list)."""
        args = self.as_args()
        if self.sort != "date" or not self.descending:
            args.update(sort=self.sort, order="desc" if self.descending else "asc")
        return args

    def as_args(self) -> dict[str, Any]:
        values = {"department": self.department, "kind": self.kind, "severity": self.severity,
                  "status": self.status, "protocol": self.protocol, "document": self.document, "q": self.q,
                  "assignee": self.assignee}
        return {key: value for key, value in values.items() if value is not None}


def _assignee(raw: str | None) -> str | None:
    value = (raw or "").strip()
    return "me" if value == "me" else str(parse_id(value)) if parse_id(value) is not None else None


def visible_findings(user: User) -> Select:
    """Findings ``user`` may see: all for admins and quality officers; for leads, those on their
    department's documents or against them (a clash with another department involves both)."""
    query = select(Finding).join(Document, Finding.document_id == Document.id).join(Department)
    if user.role == "department_lead":
        own = select(Document.id).where(Document.department_id == (user.department_id or -1))
        query = query.where(or_(Document.department_id == (user.department_id or -1),
                                Finding.source_document_id.in_(own)))
    return query


def _severity_order():
    return case({name: rank for name, rank in SEVERITY_RANK.items()}, value=Finding.severity, else_=0)


def findings_query(user: User, filters: Filters, with_comments: bool = False) -> Select:
    """The findings ``user`` may see that match ``filters``, in their order, with what a list shows
    loaded alongside; ``with_comments`` also loads the comments (exports and the API carry them)."""
    options = [joinedload(Finding.document).joinedload(Document.department), joinedload(Finding.assignee)]
    if with_comments:
        options.append(selectinload(Finding.comments).joinedload(Comment.user))
    return _filtered(user, filters).options(*options)


def _filtered(user: User, filters: Filters) -> Select:
    query = visible_findings(user)
    if filters.department:
        query = query.where(Department.slug == filters.department)
    for column, value in ((Finding.kind, filters.kind), (Finding.severity, filters.severity),
                          (Finding.status, filters.status), (Finding.source_protocol_id, filters.protocol),
                          (Finding.document_id, filters.document)):
        if value is not None:
            query = query.where(column == value)
    if filters.assignee is not None:
        query = query.where(Finding.assignee_id == (user.id if filters.assignee == "me" else int(filters.assignee)))
    searched = search.matches(filters.q)
    if searched is not None:
        query = query.where(searched)
    key = (search.relevance(filters.q) if filters.sort == "relevance" else
           {"score": Finding.score, "severity": _severity_order(), "date": Finding.created_at}[filters.sort])
    ordered = key.desc() if filters.descending else key.asc()
    return query.order_by(ordered, Finding.score.desc(), Finding.id.desc())


def neighbours(session: Session, user: User, filters: Filters, finding_id: int) -> dict[str, Any]:
    """Where a finding stands in its filtered list: ``previous`` and ``next`` ids (or None), its
    ``position`` (1-based, None when the filters leave it out) and the list's ``total``."""
    ids = list(session.scalars(_filtered(user, filters).with_only_columns(Finding.id)))
    if finding_id not in ids:
        return {"previous": None, "next": None, "position": None, "total": len(ids)}
    at = ids.index(finding_id)
    return {"previous": ids[at - 1] if at else None, "next": ids[at + 1] if at + 1 < len(ids) else None,
            "position": at + 1, "total": len(ids)}


def filter_options(session: Session, user: User) -> dict[str, list[Any]]:
    """Values to offer in the filter form (only what the user can see)."""
    base = visible_findings(user).subquery()
    departments = select(Department).order_by(Department.name)
    if user.role == "department_lead":
        departments = departments.where(Department.id == (user.department_id or -1))
    return {
        "departments": list(session.scalars(departments)),
        "kinds": sorted(session.scalars(select(base.c.kind).distinct())),
        "severities": sorted(session.scalars(select(base.c.severity).distinct()),
                             key=lambda s: -SEVERITY_RANK.get(s, 0)),
        "statuses": list(FINDING_STATUSES),
        "protocols": list(session.scalars(select(Protocol).order_by(Protocol.title))),
    }


def finding_dict(finding: Finding) -> dict[str, Any]:
    """The JSON shape of a stored finding (the engine's ``to_dict`` keys plus review state)."""
    return {
        "id": finding.id,
        "fingerprint": finding.fingerprint,
        "kind": finding.kind,
        "severity": finding.severity,
        "score": round(finding.score, 4),
        "explanation": finding.explanation,
        "status": finding.status,
        "status_reason": finding.status_reason,
        "assignee": finding.assignee.username if finding.assignee else None,
        "due_on": finding.due_on.isoformat() if finding.due_on else None,
        "comments": [{"by": c.user.display_name if c.user else None, "at": c.created_at.isoformat() if c.created_at
                      else None, "text": c.body} for c in finding.comments],
        "document_id": finding.document_id,
        "document": finding.document.engine_path,
        "document_title": finding.document.title,
        "department": finding.document.department.slug,
        "statement": finding.statement_text,
        "statement_span": [finding.statement_start, finding.statement_end],
        "statement_highlights": finding.statement_highlights,
        "source": finding.source_path,
        "source_role": finding.source_role,
        "source_protocol_id": finding.source_protocol_id,
        "source_document_id": finding.source_document_id,
        "source_statement": finding.source_text,
        "source_span": [finding.source_start, finding.source_end],
        "source_highlights": finding.source_highlights,
        "facts": finding.facts,
        "first_seen_run": finding.first_seen_run_id,
        "last_seen_run": finding.last_seen_run_id,
        "resolved_by_run": finding.resolved_by_run_id,
        "resolved_by_version": finding.resolved_by_version_id,
        "created_at": finding.created_at.isoformat() if finding.created_at else None,
    }


CSV_COLUMNS = ("id", "status", "status_reason", "kind", "severity", "score", "department", "document",
               "statement", "source", "source_statement", "explanation", "first_seen_run", "last_seen_run",
               "created_at", "assignee", "due_on", "comments")


def csv_row(finding: Finding) -> list[str]:
    """One CSV row; cells that a spreadsheet would run as a formula are defused with a quote."""
    data = finding_dict(finding)
    data["created_at"] = format_dt(finding.created_at)
    data["comments"] = "\n".join(f"{c['by'] or 'system'}: {c['text']}" for c in data["comments"]) or None
    cells = ["" if data[column] is None else str(data[column]) for column in CSV_COLUMNS]
    return ["'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell for cell in cells]
