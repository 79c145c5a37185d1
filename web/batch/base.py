"""The batch's constants, exceptions and plain records, and the sequence helpers its modules share."""
from __future__ import annotations

import logging
import os
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Iterator, Optional, Sequence

from checker.records import Statement
from web.checking import RunCounts
from web.locks import CHECK_LOCK

#: One logger for the whole package, named ``web.batch`` as when the batch was a single module.
log = logging.getLogger("web.batch")

LOCK_NAME = CHECK_LOCK
RUN_KIND = "nightly"
#: Environment hooks for tests: stop for a while after N documents have been committed.
PAUSE_AFTER_ENV = "TOUCHPOINT_BATCH_PAUSE_AFTER"
PAUSE_SECONDS_ENV = "TOUCHPOINT_BATCH_PAUSE_SECONDS"

EXIT_OK, EXIT_FAILED, EXIT_DOCUMENT_ERRORS, EXIT_LOCKED = 0, 1, 2, 3
#: Judging processes of the command-line batch (the web button judges in its own thread).
DEFAULT_WORKERS = min(4, os.cpu_count() or 1)

ProgressCallback = Callable[[str, int, int], None]


class BatchRefused(RuntimeError):
    """Another run holds the lock."""


class RunNotQueued(RuntimeError):
    """The queued run a queue job was to adopt is queued no more (done, or another worker has it)."""


class BatchInterrupted(RuntimeError):
    """SIGTERM/SIGINT asked the run to stop; it stopped after a whole chunk."""


@dataclass(kw_only=True)
class BatchOutcome(RunCounts):
    """What a run did (also stored on its ``CheckRun`` row): the check's counters and the batch's own."""

    run_id: int
    status: str
    documents_total: int = 0
    documents_skipped: int = 0
    statements_total: int = 0
    interrupted_runs: list[int] = field(default_factory=list)
    took_over_from: Optional[int] = None
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class DocumentInput:
    """A document's current version as the plan sees it (keys only, no text)."""

    id: int
    path: str
    department: str
    version_id: int
    keys: list[str]
    content_fingerprint: str = ""
    input_fingerprint: str = ""


@dataclass
class Context:
    """Everything a check compares against: statements of all current versions, row ids by path."""

    protocols: list[Statement]
    protocol_ids: dict[str, Any]
    documents: list[Statement]
    document_ids: dict[str, Any]
    counts: dict[str, int]
    aligned: dict[str, list[Any]] = field(default_factory=dict)
    thresholds: dict[tuple[str, int], float] = field(default_factory=dict)
    services: Any = None  # checker.directory.ServiceIndex, built on first use

    def service_index(self) -> Any:
        """Phone numbers and opening hours of every statement, indexed once per run."""
        if self.services is None:
            from checker.directory import ServiceIndex

            self.services = ServiceIndex(self.protocols, self.documents)
        return self.services


@dataclass
class Plan:
    documents: dict[int, DocumentInput]
    protocol_fingerprint: str
    settings_fingerprint: str
    due: list[int]                 # document ids to check, in order
    changed: set[int]              # due because their own input changed
    reasons: dict[str, int]        # why documents are due, counted
    unreadable: dict[int, str] = field(default_factory=dict)
    protocol_versions: list[int] = field(default_factory=list)  # the current protocol set


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _path_groups(statements: Sequence[Statement], size: int) -> Iterator[list[Statement]]:
    """Consecutive statements in groups of about ``size``, never splitting a document."""
    group: list[Statement] = []
    for statement in statements:
        if len(group) >= size and statement.path != group[-1].path:
            yield group
            group = []
        group.append(statement)
    if group:
        yield group
