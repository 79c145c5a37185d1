"""``touchpoint``: the command line.

Exit status, like a linter: 0 no findings, 1 findings (``--no-fail`` makes it 0), 2 usage or
input errors (a missing corpus, an unreadable file, a malformed pairs line).
"""
from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import IO, Iterable

import click

from checker.corpus import CorpusError, list_files, load_corpus
from checker.engine import Engine
from checker.records import Finding
from checker.sarif import sarif_log
from checker.settings import SettingsError, load_settings

EXIT_CLEAN, EXIT_FINDINGS, EXIT_INPUT_ERROR = 0, 1, 2
FORMATS = ("jsonl", "json", "table", "csv", "sarif")
CSV_FIELDS = ("kind", "severity", "score", "document", "department", "statement", "source", "source_statement",
              "explanation", "fingerprint")


def _engine(min_score: float | None = None) -> Engine:
    try:
        settings = load_settings()
    except SettingsError as error:
        raise click.UsageError(str(error)) from None
    if min_score is not None:
        settings = settings.replace(min_score=min_score)
    return Engine(settings)


def _interactive() -> bool:
    return sys.stderr.isatty()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="touchpoint")
def main() -> None:
    """Touchpoint finds contradictions between patient documents and the hospital's protocols."""


@main.command()
@click.argument("corpus_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--protocols", "protocols_dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Protocols folder (default CORPUS_DIR/protocols).")
@click.option("--documents", "documents_dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Department documents folder, one sub-folder per department (default CORPUS_DIR/documents).")
@click.option("--format", "output_format", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--min-score", type=click.FloatRange(0.0, 1.0), default=None,
              help="Report findings whose estimated precision is at least this (default from settings, 0.5). "
                   "Higher: fewer, surer findings.")
@click.option("--output", "-o", type=click.File("w", encoding="utf-8"), default="-", help="Write findings here.")
@click.option("--no-fail", is_flag=True, help="Exit 0 even when there are findings.")
def scan(corpus_dir: Path, protocols_dir: Path | None, documents_dir: Path | None, output_format: str,
         min_score: float | None, output: IO[str], no_fail: bool) -> None:
    """Scan CORPUS_DIR (protocols/ and documents/<department>/) and report contradictions."""
    engine = _engine(min_score)
    try:
        files = list_files(corpus_dir, protocols_dir, documents_dir)
    except CorpusError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(EXIT_INPUT_ERROR)
    corpus = _read_with_progress(engine, files)
    for error in corpus.errors:
        click.echo(f"error: {error}", err=True)
    result = _check_with_progress(engine, corpus)
    write_findings(result.findings, output_format, output, corpus_dir)
    click.echo(f"{len(result.findings)} findings in {corpus.files - len(corpus.errors)} files "
               f"({len(corpus.errors)} unreadable); embeddings computed {result.embeddings_computed}, "
               f"reused {result.embeddings_reused}; pairs judged {result.judgements_computed}, "
               f"reused {result.judgements_reused}", err=True)
    if corpus.errors:
        sys.exit(EXIT_INPUT_ERROR)
    sys.exit(EXIT_FINDINGS if result.findings and not no_fail else EXIT_CLEAN)


def _check_with_progress(engine: Engine, corpus):
    if not _interactive():
        return engine.check(corpus.protocols, corpus.documents)
    click.echo(f"checking {len(corpus.documents)} document statements against "
               f"{len(corpus.protocols)} protocol statements", err=True)
    with click.progressbar(length=1, label="embedding", file=sys.stderr) as bar:
        def advance(done: int, total: int) -> None:
            bar.length = total
            bar.update(done - bar.pos)
        return engine.check(corpus.protocols, corpus.documents, progress=advance)


def _read_with_progress(engine: Engine, files):
    if not _interactive():
        return load_corpus(engine, files)
    with click.progressbar(length=len(files), label="reading", file=sys.stderr) as bar:
        return load_corpus(engine, files, progress=lambda _: bar.update(1))


def write_findings(findings: list[Finding], output_format: str, output: IO[str], root: Path | None = None) -> None:
    """Findings in one of :data:`FORMATS`; ``root`` (the scanned folder) gives SARIF its line numbers."""
    rows = [finding.to_dict() for finding in findings]
    if output_format == "sarif":
        json.dump(sarif_log(findings, root), output, ensure_ascii=False, indent=2)
        output.write("\n")
    elif output_format == "jsonl":
        for row in rows:
            output.write(json.dumps(row, ensure_ascii=False) + "\n")
    elif output_format == "json":
        json.dump(rows, output, ensure_ascii=False, indent=2)
        output.write("\n")
    elif output_format == "csv":
        writer = csv.DictWriter(output, fieldnames=CSV_FIELDS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    else:
        output.write(render_table(findings))


def render_table(findings: Iterable[Finding]) -> str:
    buffer = io.StringIO()
    for finding in findings:
        buffer.write(f"{finding.severity.upper():<6} {finding.kind:<10} {finding.score:.2f}  {finding.explanation}\n")
        buffer.write(f"    {finding.statement.path}:{finding.statement.start}  {finding.statement.text}\n")
        buffer.write(f"    {finding.source.path}:{finding.source.start}  {finding.source.text}\n\n")
    return buffer.getvalue()


@main.command()
@click.argument("pairs_file", type=click.File("r", encoding="utf-8"))
@click.option("--output", "-o", type=click.File("w", encoding="utf-8"), default="-")
@click.option("--min-score", type=click.FloatRange(0.0, 1.0), default=None)
def pairs(pairs_file: IO[str], output: IO[str], min_score: float | None) -> None:
    """Judge premise/hypothesis pairs ({"id","premise","hypothesis"} lines) as aligned pairs."""
    from checker.pairs import judge_pairs, read_pairs, PairsError

    engine = _engine(min_score)
    try:
        items = read_pairs(pairs_file)
    except PairsError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(EXIT_INPUT_ERROR)
    for prediction in judge_pairs(engine, items):
        output.write(json.dumps(prediction) + "\n")


@main.command(name="eval")
@click.option("--corpus", "corpus_dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
              default=None, help="Corpus with expected.jsonl (default: every ../shared/eval/*/ and eval/*/ one).")
@click.option("--external", "external_dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
              default=None, help="Folder of pair sets (default ../shared/eval/external).")
@click.option("--output", "output_path", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("docs/evaluation.md"), show_default=True)
@click.option("--limit", type=int, default=None, help="Judge at most this many pairs per external set.")
def evaluate_command(corpus_dir: Path | None, external_dir: Path | None, output_path: Path,
                     limit: int | None) -> None:
    """Score the engine on a labelled corpus and the external pair sets; write docs/evaluation.md."""
    from checker.evaluate import run_evaluation

    report = run_evaluation(_engine(), corpus_dir, external_dir, output_path, limit)
    click.echo(report)


PLUGIN_GROUP = "touchpoint.commands"


def add_plugin_commands(group: click.Group) -> None:
    """Commands other installed packages add to ``touchpoint`` (the web app's ``nightly``), found
    through the ``touchpoint.commands`` entry points, so the engine never imports them itself."""
    from importlib.metadata import entry_points

    for entry in entry_points(group=PLUGIN_GROUP):
        if entry.name not in group.commands:
            group.add_command(entry.load(), entry.name)


add_plugin_commands(main)


if __name__ == "__main__":
    main()
