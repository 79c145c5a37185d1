"""Small helpers shared by views and templates: highlighting, paging, dates."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Sequence

from flask import Flask, abort, current_app, request
from markupsafe import Markup, escape
from werkzeug.routing import IntegerConverter
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

SEVERITY_RANK = {"critical": 4, "high": 3, "major": 3, "medium": 2, "moderate": 2, "minor": 1, "low": 1}


def clean_spans(spans: Iterable[Sequence[int]] | None, length: int) -> list[tuple[int, int]]:
    """Spans clipped to ``0..length``, sorted, overlaps merged, empty ones dropped."""
    cleaned: list[tuple[int, int]] = []
    for span in sorted((max(0, int(s[0])), min(length, int(s[1]))) for s in spans or () if len(s) >= 2):
        if span[0] >= span[1]:
            continue
        if cleaned and span[0] <= cleaned[-1][1]:
            cleaned[-1] = (cleaned[-1][0], max(cleaned[-1][1], span[1]))
        else:
            cleaned.append(span)
    return cleaned


def highlight(text: str, spans: Iterable[Sequence[int]] | None, css: str = "fact") -> Markup:
    """``text`` escaped, with each span wrapped in ``<mark class=css>``."""
    parts: list[str] = []
    position = 0
    for start, end in clean_spans(spans, len(text)):
        parts.append(str(escape(text[position:start])))
        parts.append(f'<mark class="{escape(css)}">{escape(text[start:end])}</mark>')
        position = end
    parts.append(str(escape(text[position:])))
    return Markup("".join(parts))


def format_dt(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") + " UTC" if value else "—"


@dataclass
class Page:
    items: list[Any]
    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.size))

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def page_number(raw: str | None) -> int:
    try:
        return max(1, min(int(raw or 1), 10**6))
    except ValueError:
        return 1


def paginate(session: Session, query: Select, number: int, size: int | None = None) -> Page:
    size = size or current_app.config["PAGE_SIZE"]
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    number = min(number, max(1, math.ceil(total / size)))
    items = list(session.scalars(query.limit(size).offset((number - 1) * size)))
    return Page(items=items, number=number, size=size, total=total)


def url_with(**changes: Any) -> str:
    """The current URL with some query arguments changed (``None`` removes one)."""
    from urllib.parse import urlencode

    args = {key: value for key, value in request.args.items()}
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = str(value)
    return request.path + ("?" + urlencode(args) if args else "")


def refuse_nul_characters() -> None:
    """A NUL character in a query or form value is never meaningful (and PostgreSQL refuses it)."""
    values = list(request.args.values()) + (list(request.form.values()) if request.method == "POST" else [])
    if any("\x00" in value for value in values):
        abort(400, description="The request contains a NUL character.")


MAX_ID = 2**31 - 1  # ids are 32-bit integers in the database


class IdConverter(IntegerConverter):
    """``<int:...>`` in our routes: larger numbers cannot be ids, so they do not match (404)."""

    def __init__(self, map, *args, **kwargs) -> None:  # noqa: A002 - werkzeug's signature
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def parse_id(raw: str | None) -> int | None:
    """A form or query value as a database id, or None."""
    text = (raw or "").strip()
    if not text.isdigit() or len(text) > 10 or int(text) > MAX_ID:
        return None
    return int(text)


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = IdConverter
    app.before_request(refuse_nul_characters)
    app.add_template_filter(highlight, "highlight")
    app.add_template_filter(format_dt, "dt")
    app.add_template_global(url_with, "url_with")
