"""Measure the nightly batch on synthetic corpora and write ``docs/performance.md``.

For each size (document statements; default 3k, 30k and 100k, against ~1,000 protocol
statements) this script, in one run:

1. writes a synthetic corpus (``benchmarks/synth.py``, fixed seed);
2. **raw**: encodes every statement the batch will embed (documents and protocols) with the
   configured encoder directly (``checker.model.shared_model``: ONNX Runtime or torch, same
   model, batch size, threads and normalisation), no cache: the ceiling the batch can approach;
3. **ingest** (not part of the batch, reported for information): stores the corpus in a fresh
   SQLite database the way uploads do (``web.library.add_*_version``);
4. **cold**: the real nightly batch (``web.batch.run_nightly``) on that database with an empty
   embedding cache;
5. **unchanged**: the batch again, nothing changed;
6. **1 % changed**: 1 % of the documents get a new version (a few statements reworded), then
   the batch;
7. **protocol edited** (for information): one protocol gets a new version, then the batch.

Every step runs in its own subprocess, so peak memory (``ru_maxrss``) is per step and per size.

    python -m benchmarks.run_benchmark                       # all sizes, writes docs/performance.md
    python -m benchmarks.run_benchmark --sizes 3k --out /tmp/perf.md
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SIZES = ("3k", "30k", "100k")


def parse_size(text: str) -> int:
    text = text.strip().lower().replace(",", "").replace("_", "")
    if text.endswith("k"):
        return int(float(text[:-1]) * 1000)
    return int(text)


def label(size: int) -> str:
    return f"{size // 1000}k" if size % 1000 == 0 else str(size)


# --- workers (each runs in its own process) ----------------------------------------------------

def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def _cpu_seconds() -> float:
    """CPU time (user + system) of this process and its finished children: unlike wall time,
    it hardly changes when other processes compete for the cores."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _children_peak_rss_mb() -> float:
    """The largest of this process's finished children (the batch's judging workers)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0


def _corpus_files(corpus: Path) -> tuple[list[tuple[str, Path]], list[tuple[str, str, Path]]]:
    protocols = [(path.name, path) for path in sorted((corpus / "protocols").glob("*.md"))]
    documents = [(path.parent.name, path.name, path) for path in sorted((corpus / "documents").rglob("*.md"))]
    return protocols, documents


def worker_raw(args: argparse.Namespace) -> dict[str, Any]:
    """Encode every statement straight through the configured encoder, no cache (the model's limit)."""
    from checker.engine import Engine
    from checker.settings import load_settings

    settings = load_settings()
    engine = Engine(settings)
    texts: list[str] = []
    protocols, documents = _corpus_files(Path(args.corpus))
    for name, path in protocols:
        texts += [s.text for s in engine.read(f"protocols/{name}", path.read_bytes(), "protocol")]
    document_statements = 0
    for department, name, path in documents:
        statements = engine.read(f"documents/{department}/{name}", path.read_bytes(), "document", department)
        document_statements += len(statements)
        texts += [s.text for s in statements]
    from checker.model import shared_model

    model = shared_model(settings)  # the configured encoder (settings.encoder), as the batch uses it
    model.encode(texts[:64])  # warm-up, not timed
    cpu = _cpu_seconds()
    started = time.perf_counter()
    model.encode(texts)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "cpu_seconds": _cpu_seconds() - cpu, "sentences": len(texts), "distinct": len(set(texts)),
            "document_statements": document_statements, "rate": len(texts) / seconds,
            "peak_rss_mb": _peak_rss_mb()}


def worker_ingest(args: argparse.Namespace) -> dict[str, Any]:
    """Store the corpus (or only ``--only`` files) as new versions, as uploads would."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from checker.engine import Engine
    from checker.settings import load_settings
    from web.batch import migrate_database
    from web.db import make_engine
    from web.library import add_document_version, add_protocol_version, slugify
    from web.models import Department

    settings = load_settings()
    engine = Engine(settings)
    database = make_engine(args.database)
    migrate_database(database)
    only = set(json.loads(Path(args.only).read_text())) if args.only else None
    protocols, documents = _corpus_files(Path(args.corpus))
    started = time.perf_counter()
    stored = 0
    with Session(database, expire_on_commit=False) as session:
        for name, path in protocols:
            if only is None or f"protocols/{name}" in only:
                _, created = add_protocol_version(session, engine, name, path.read_bytes(), None)
                stored += created
        session.commit()
        departments = {d.slug: d for d in session.scalars(select(Department))}
        for count, (slug, name, path) in enumerate(documents, 1):
            if only is not None and f"documents/{slug}/{name}" not in only:
                continue
            department = departments.get(slug)
            if department is None:
                department = departments[slug] = Department(slug=slugify(slug), name=slug.capitalize())
                session.add(department)
                session.flush()
            _, created = add_document_version(session, engine, department, name, path.read_bytes(), None)
            stored += created
            if count % 100 == 0:
                session.commit()
        session.commit()
    return {"seconds": time.perf_counter() - started, "versions": stored, "peak_rss_mb": _peak_rss_mb()}


def worker_batch(args: argparse.Namespace) -> dict[str, Any]:
    """One nightly batch run on the database, timed from call to return (model load included)."""
    import logging

    from checker.settings import load_settings
    from web.batch import DEFAULT_WORKERS, run_nightly

    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s: %(message)s")
    settings = load_settings(database_url=args.database)
    cpu = _cpu_seconds()
    started = time.perf_counter()
    outcome = run_nightly(settings, progress=False, workers=DEFAULT_WORKERS)  # as `touchpoint nightly`
    seconds = time.perf_counter() - started
    result = {"seconds": seconds, "cpu_seconds": _cpu_seconds() - cpu, "peak_rss_mb": _peak_rss_mb(),
              "children_peak_rss_mb": _children_peak_rss_mb()}
    result.update(outcome.as_dict())
    return result


WORKERS = {"raw": worker_raw, "ingest": worker_ingest, "batch": worker_batch}


# --- the driver -----------------------------------------------------------------------------

def run_step(step: str, env: dict[str, str], log_path: Path, **options: str) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.run_benchmark", "--worker", step]
    for name, value in options.items():
        command += [f"--{name.replace('_', '-')}", str(value)]
    print(f"  {step} ...", flush=True, end=" ")
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    with open(log_path, "a", encoding="utf-8") as log:
        log.write(f"\n$ {' '.join(command)}\n")
        log.flush()
        completed = subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=log, text=True)
    if completed.returncode != 0:
        raise SystemExit(f"step {step} failed (exit {completed.returncode}); see {log_path}")
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    result["load"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    print(f"{result.get('seconds', 0):.1f} s (process {time.perf_counter() - started:.1f} s, "
          f"peak {result.get('peak_rss_mb', 0):.0f} MB, load {load_before:.1f} -> {os.getloadavg()[0]:.1f})",
          flush=True)
    return result


def measure_size(size: int, work: Path, seed: int, log_path: Path) -> dict[str, Any]:
    from benchmarks import synth

    base = work / label(size)
    shutil.rmtree(base, ignore_errors=True)
    corpus, cache = base / "corpus", base / "cache"
    database = f"sqlite:///{base / 'touchpoint.sqlite3'}"
    generated = synth.generate(size, seed=seed)
    synth.write(generated, corpus, seed=seed)
    env = dict(os.environ, TOUCHPOINT_CACHE_DIR=str(cache), TOUCHPOINT_DATABASE_URL=database,
               PYTHONPATH=str(ROOT), TOKENIZERS_PARALLELISM="false")
    env.pop("DATABASE_URL", None)
    documents = len(generated.documents)
    print(f"size {label(size)}: {documents} documents, {sum(map(len, generated.documents.values()))} "
          f"document statements, {len(generated.planted)} planted conflicts", flush=True)
    result: dict[str, Any] = {"size": size, "documents": documents, "planted": len(generated.planted)}
    result["raw"] = run_step("raw", env, log_path, corpus=corpus)
    result["ingest"] = run_step("ingest", env, log_path, corpus=corpus, database=database)
    result["cold"] = run_step("batch", env, log_path, database=database)
    result["unchanged"] = run_step("batch", env, log_path, database=database)
    changed = synth.mutate(corpus, 0.01, seed=seed + 1)
    only = base / "changed.json"
    only.write_text(json.dumps(changed))
    result["changed_documents"] = len(changed)
    result["ingest_changed"] = run_step("ingest", env, log_path, corpus=corpus, database=database, only=only)
    result["changed"] = run_step("batch", env, log_path, database=database)
    protocol = next(p for p in sorted((corpus / "protocols").glob("*.md")) if " hours" in p.read_text(encoding="utf-8"))
    protocol.write_text(protocol.read_text(encoding="utf-8").replace(" hours", " hour(s)", 3), encoding="utf-8")
    only.write_text(json.dumps([f"protocols/{protocol.name}"]))
    run_step("ingest", env, log_path, corpus=corpus, database=database, only=only)
    result["protocol"] = run_step("batch", env, log_path, database=database)
    return result


# --- the report -----------------------------------------------------------------------------

def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        ram = f"{pages / 1024 ** 3:.1f} GiB"
    except (ValueError, OSError):
        ram = "unknown"
    try:
        import torch
        torch_version = torch.__version__
        threads = str(torch.get_num_threads())
    except ImportError:  # pragma: no cover
        torch_version, threads = "absent", "?"
    try:
        from importlib.metadata import version
        st_version = version("sentence-transformers")
        ort_version = version("onnxruntime")
    except Exception:  # pragma: no cover
        st_version = ort_version = "?"
    commit = os.environ.get("TOUCHPOINT_BENCH_COMMIT") or subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip() or "unknown"
    dirty = "" if os.environ.get("TOUCHPOINT_BENCH_COMMIT") else subprocess.run(
        ["git", "status", "--porcelain", "--", "checker", "web", "benchmarks"], cwd=ROOT,
        capture_output=True, text=True).stdout.strip()
    return {"cpu": cpu, "cores": str(os.cpu_count()), "ram": ram, "python": platform.python_version(),
            "torch": torch_version, "torch_threads": threads, "sentence_transformers": st_version,
            "onnxruntime": ort_version, "encoder": _encoder(), "platform": platform.platform(), "commit": commit + (" (with uncommitted changes)" if dirty else ""),
            "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def _encoder() -> str:
    from checker.settings import load_settings

    settings = load_settings()
    return f"{settings.encoder} ({settings.encode_threads or 'default'} intra-op threads per process)"


def _ok(flag: bool) -> str:
    return "yes" if flag else "**no**"


def render(results: list[dict[str, Any]], info: dict[str, str], total_seconds: float) -> str:
    from checker.settings import load_settings

    settings = load_settings()
    lines = [
        "# Nightly batch performance",
        "",
        "Measured by `python -m benchmarks.run_benchmark` (see `benchmarks/`), which writes this file.",
        "Each size is a synthetic corpus (`benchmarks/synth.py`, seed 7): document statements of 10-35",
        "words in documents of 30-80 statements across 10 departments, against ~1,000 protocol",
        "statements, about 2 % planted conflicts. The batch measured is the real nightly batch",
        "(`web.batch.run_nightly`) on a SQLite database, each step in its own process.",
        "",
        f"- Machine: {info['cpu']}, {info['cores']} cores, {info['ram']} RAM, {info['platform']}",
        f"- Python {info['python']}, torch {info['torch']} ({info['torch_threads']} threads), "
        f"sentence-transformers {info['sentence_transformers']}, onnxruntime {info.get('onnxruntime', '?')}",
        f"- Model {settings.model_name}, encoder {info.get('encoder', 'torch (default threads)')}, "
        f"encode batch size {settings.encode_batch_size}, device {settings.device}",
        f"- Date {info['date']}, git commit {info['commit']}; the whole benchmark took "
        f"{total_seconds / 60:.1f} minutes",
        "- Raw and cold were measured back to back. The load row is the machine's 1-minute load",
        "  average: the benchmark alone keeps both cores busy (a load near 2); well above 2 means other",
        "  processes competed for the cores and the rates of that step are pessimistic.",
        "",
        "## Results",
        "",
        "| | " + " | ".join(label(r["size"]) for r in results) + " |",
        "|---|" + "---|" * len(results),
    ]

    def row(name: str, cell) -> None:
        lines.append(f"| {name} | " + " | ".join(cell(r) for r in results) + " |")

    row("documents / document statements", lambda r: f"{r['documents']:,} / {r['raw']['document_statements']:,}")
    row("statements embedded (with protocols; distinct)",
        lambda r: f"{r['raw']['sentences']:,} ({r['raw']['distinct']:,})")
    row("raw model encode, sentences/s", lambda r: f"{r['raw']['rate']:.0f}")
    row("cold batch, seconds", lambda r: f"{r['cold']['seconds']:.1f}")
    row("cold batch, statements/s", lambda r: f"{r['raw']['sentences'] / r['cold']['seconds']:.0f}")
    row("cold / raw throughput (target >= 0.70)", lambda r: f"{_cold_ratio(r):.2f} ({_ok(_cold_ratio(r) >= 0.7)})")
    row("cold / raw, by CPU time (less sensitive to other load)",
        lambda r: f"{r['raw']['cpu_seconds'] / r['cold']['cpu_seconds']:.2f}"
        if r['raw'].get('cpu_seconds') and r['cold'].get('cpu_seconds') else "not measured")
    row("re-run, nothing changed: seconds (% of cold; target < 5 %)",
        lambda r: f"{r['unchanged']['seconds']:.1f} ({_pct(r, 'unchanged'):.1f} %, {_ok(_pct(r, 'unchanged') < 5)})")
    row("re-run, 1 % of documents changed: seconds (% of cold; target < 10 %)",
        lambda r: f"{r['changed']['seconds']:.1f} ({_pct(r, 'changed'):.1f} %, {_ok(_pct(r, 'changed') < 10)})")
    row("  documents re-checked after the 1 % change",
        lambda r: f"{r['changed'].get('documents_checked', '?')} of {r['documents']} "
                  f"({r['changed_documents']} changed)")
    row("re-run after one protocol edit: seconds (% of cold)",
        lambda r: f"{r['protocol']['seconds']:.1f} ({_pct(r, 'protocol'):.1f} %)")
    row("  documents re-checked after the protocol edit",
        lambda r: f"{r['protocol'].get('documents_checked', '?')} of {r['documents']}")
    row("peak memory of the cold batch, MB (target < 3,072 at 100k)", lambda r: f"{r['cold']['peak_rss_mb']:,.0f}")
    row("  largest judging worker process, MB (mostly pages shared with the batch)",
        lambda r: f"{r['cold']['children_peak_rss_mb']:,.0f}" if r['cold'].get('children_peak_rss_mb') else "not measured")
    row("peak memory of raw encoding, MB", lambda r: f"{r['raw']['peak_rss_mb']:,.0f}")
    row("findings after cold run (open)", lambda r: f"{r['cold'].get('findings_new', '?'):,}" if isinstance(
        r['cold'].get('findings_new'), int) else "?")
    row("findings new / resolved on the unchanged re-run",
        lambda r: f"{r['unchanged'].get('findings_new', '?')} / {r['unchanged'].get('findings_resolved', '?')}")
    row("ingest (upload path, not part of the batch), seconds", lambda r: f"{r['ingest']['seconds']:.1f}")
    row("machine load (1-min average) before -> after raw / cold",
        lambda r: f"{r['raw']['load'][0]:.1f}->{r['raw']['load'][1]:.1f} / {r['cold']['load'][0]:.1f}->"
                  f"{r['cold']['load'][1]:.1f}")
    lines.append("")
    if len(results) >= 2:
        small, large = results[0], results[-1]
        size_ratio = large["raw"]["sentences"] / small["raw"]["sentences"]
        time_ratio = large["cold"]["seconds"] / small["cold"]["seconds"]
        raw_ratio = large["raw"]["seconds"] / small["raw"]["seconds"]
        lines += [
            "## Growth",
            "",
            f"From {label(small['size'])} to {label(large['size'])} the statements grow "
            f"{size_ratio:.1f}x; cold batch time grows {time_ratio:.1f}x (raw encoding: {raw_ratio:.1f}x). "
            + ("Time grows no faster than linearly (target met)." if time_ratio <= size_ratio * 1.1 else
               "**Time grows faster than linearly (target missed)** - see the notes."),
            "",
        ]
    return "\n".join(lines)


def _cold_ratio(result: dict[str, Any]) -> float:
    return (result["raw"]["sentences"] / result["cold"]["seconds"]) / result["raw"]["rate"]


def _pct(result: dict[str, Any], step: str) -> float:
    return 100.0 * result[step]["seconds"] / result["cold"]["seconds"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(DEFAULT_SIZES),
                        help="comma-separated document statement counts, e.g. 3k,30k,100k")
    parser.add_argument("--work", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "touchpoint-bench")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "performance.md")
    parser.add_argument("--json", type=Path, default=None, help="also write the raw figures here")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--notes", type=Path, default=None, help="markdown appended to the report")
    parser.add_argument("--from-json", type=Path, default=None,
                        help="write the report from figures saved by an earlier --json run (no measuring)")
    # worker mode (internal)
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--corpus", help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    parser.add_argument("--only", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(WORKERS[args.worker](args)), flush=True)
        return 0
    if args.from_json:
        saved = json.loads(args.from_json.read_text())
        report = render(saved["results"], saved["machine"], saved["seconds"])
        if args.notes and args.notes.exists():
            report += "\n" + args.notes.read_text(encoding="utf-8")
        args.out.write_text(report + "\n", encoding="utf-8")
        print(f"wrote {args.out} from {args.from_json}")
        return 0
    sizes = sorted(parse_size(size) for size in args.sizes.split(","))
    args.work.mkdir(parents=True, exist_ok=True)
    log_path = args.work / "benchmark.log"
    log_path.write_text("")
    info = machine()
    print(f"benchmark on {info['cpu']} ({info['cores']} cores); log: {log_path}", flush=True)
    started = time.perf_counter()
    results = [measure_size(size, args.work, args.seed, log_path) for size in sizes]
    total = time.perf_counter() - started
    report = render(results, info, total)
    if args.notes and args.notes.exists():
        report += "\n" + args.notes.read_text(encoding="utf-8")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report + "\n", encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "results": results, "seconds": total}, indent=2))
    print(f"wrote {args.out} ({total / 60:.1f} minutes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
