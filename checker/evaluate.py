"""``touchpoint eval``: score the engine on a labelled corpus and on public pair sets.

Runs the shared scorer (``score.py``) exactly as a reviewer would, on

- a corpus with ``expected.jsonl`` (default: every one in ``../shared/eval`` and in ``eval/``), and
- every ``*/pairs.jsonl`` under the external folder (default ``../shared/eval/external``),

then writes a Markdown report (default ``docs/evaluation.md``) with precision, recall, F1 and
AUROC per set, the date and the commit. The external sets are used for evaluation only.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from checker.candidates import candidate_outcomes, candidate_recall, pairs_per_statement, read_expected
from checker.corpus import list_files, load_corpus
from checker.engine import Engine
from checker.pairs import predict, read_pairs, similarities

_FIGURES = re.compile(r"precision (?P<p>[\d.]+) recall (?P<r>[\d.]+) f1 (?P<f>[\d.]+)")
_AUROC = re.compile(r"auroc (?P<a>[\d.]+)")
_KIND = re.compile(r"recall (?P<kind>\w+)\s+(?P<hit>\d+)/(?P<all>\d+)")
_PARAPHRASE_TYPES = ("Paraphrase", "Numerical_paraphrase")


@dataclass
class SetResult:
    name: str
    size: int
    precision: float
    recall: float
    f1: float
    auroc: float | None = None
    notes: list[str] = field(default_factory=list)


def _shared_dir() -> Path:
    return Path.cwd().parent / "shared" / "eval"


def _score(scorer: Path, *args: str) -> str:
    completed = subprocess.run([sys.executable, str(scorer), *args], capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"score.py {' '.join(args)} failed: {completed.stderr.strip() or completed.stdout.strip()}")
    return completed.stdout


def _parse(name: str, size: int, output: str) -> SetResult:
    figures = _FIGURES.search(output)
    if not figures:
        raise RuntimeError(f"unexpected scorer output for {name}: {output[-300:]}")
    area = _AUROC.search(output)
    return SetResult(name, size, float(figures["p"]), float(figures["r"]), float(figures["f"]),
                     float(area["a"]) if area else None)


_SWEEP = (0.0, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def _score_findings(scorer: Path, corpus: Path, findings: list) -> str:
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as handle:
        for finding in findings:
            handle.write(json.dumps(finding.to_dict()) + "\n")
    return _score(scorer, "corpus", str(corpus), handle.name)


def min_score_sweep(engine: Engine, corpus: Path, scorer: Path) -> list[tuple[float, SetResult]]:
    """Precision and recall on a corpus as ``--min-score`` rises."""
    loaded = load_corpus(engine, list_files(corpus))
    everything = engine.check(loaded.protocols, loaded.documents, min_score=0.0).findings
    rows = []
    for threshold in _SWEEP:
        kept = [f for f in everything if f.score >= threshold]
        rows.append((threshold, _parse(corpus.name, len(kept), _score_findings(scorer, corpus, kept))))
    return rows


def evaluate_corpus(engine: Engine, corpus: Path, scorer: Path) -> SetResult:
    """Scan a labelled corpus as a user would and score it; the notes give recall per kind, the
    candidate recall (planted pairs the judge was shown), pairs judged per statement, and the
    scan's time against embedding its statements alone."""
    engine.store.model.encode(["warm up"])  # the model loads once per process; a scan does not pay for it
    with tempfile.TemporaryDirectory(prefix="touchpoint-cold-") as cache:
        cold = Engine(dataclasses.replace(engine.settings, cache_dir=cache))  # the same loaded model
        started = time.perf_counter()
        loaded = load_corpus(cold, list_files(corpus))
        result_of_check = cold.check(loaded.protocols, loaded.documents)
        scan_seconds = time.perf_counter() - started
    findings = result_of_check.findings
    output = _score_findings(scorer, corpus, findings)
    result = _parse(corpus.name, len(findings), output)
    result.notes = [f"{m['kind']} {m['hit']}/{m['all']}" for m in _KIND.finditer(output)]
    outcomes = candidate_outcomes(read_expected(corpus), result_of_check.alignments)
    result.notes.append(f"candidate recall {candidate_recall(outcomes):.2f} "
                        f"({sum(o.found for o in outcomes)}/{len(outcomes)}; contact conflicts are found by "
                        f"the service directory, not by alignment)")
    result.notes.append(f"{pairs_per_statement(result_of_check.alignments):.2f} pairs judged per statement")
    result.notes.append(f"cold scan {scan_seconds:.1f} s = {scan_seconds / _raw_embedding_seconds(engine, loaded):.1f}x "
                        f"raw embedding of its statements")
    return result


def _raw_embedding_seconds(engine: Engine, loaded) -> float:
    """Encoding every statement of a corpus with the model, no cache: the floor a scan pays."""
    texts = [s.judged_text for s in loaded.protocols + loaded.documents]
    started = time.perf_counter()
    engine.store.model.encode(texts)
    return max(time.perf_counter() - started, 1e-6)


def predict_pairs(engine: Engine, items: list[dict]) -> tuple[list[dict], float]:
    """Predictions and the judging rate (pairs per second, embedding excluded)."""
    scores = similarities(engine, items)
    started = time.perf_counter()
    predictions = [predict(engine, item, similarity) for item, similarity in zip(items, scores)]
    elapsed = time.perf_counter() - started
    return predictions, len(items) / elapsed if elapsed else float("inf")


def evaluate_pairs(engine: Engine, pairs_file: Path, scorer: Path, limit: int | None) -> tuple[SetResult, float]:
    with open(pairs_file, encoding="utf-8") as handle:
        items = read_pairs(handle)
    if limit:
        items = items[:limit]
        subset = Path(tempfile.mkstemp(suffix=".jsonl")[1])
        subset.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
        pairs_file = subset
    predictions, rate = predict_pairs(engine, items)
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as handle:
        handle.writelines(json.dumps(p) + "\n" for p in predictions)
    result = _parse(pairs_file.parent.name if not limit else Path(pairs_file).stem, len(items),
                    _score(scorer, "pairs", str(pairs_file), handle.name))
    result.notes = _paraphrase_notes(items, predictions)
    return result, rate


def _paraphrase_notes(items: list[dict], predictions: list[dict]) -> list[str]:
    """For perturbation sets: how many meaning-preserving paraphrases of a consistent pair got flagged."""
    notes = []
    for kind in _PARAPHRASE_TYPES:
        chosen = [(i, p) for i, p in zip(items, predictions)
                  if f":{kind}:" in i["id"] and i.get("label") == "entailment"]
        if chosen:
            wrong = sum(1 for _, p in chosen if p["label"] == "contradiction")
            notes.append(f"{kind} (consistent) wrongly flagged: {wrong}/{len(chosen)}")
    return notes


def _commit() -> str:
    completed = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False)
    return completed.stdout.strip() or "unknown"


def render(results: list[SetResult], rates: list[float], engine: Engine,
           sweep: list[tuple[float, SetResult]] | None = None) -> str:
    today = _dt.date.today().isoformat()
    lines = [
        "# Evaluation",
        "",
        f"Date: {today}. Commit: `{_commit()}`. Model: {engine.settings.model_name}. "
        f"Default settings (min score {engine.settings.min_score}).",
        "",
        "Made by `touchpoint eval`. The corpus row scans the corpus and scores findings with the shared "
        "`score.py corpus`; each pair set is judged with `touchpoint pairs` semantics and scored with "
        "`score.py pairs` (contradiction vs everything else). The public sets are for evaluation only.",
        "",
        "| set | size | precision | recall | F1 | AUROC | notes |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        area = f"{r.auroc:.3f}" if r.auroc is not None else "n/a"
        lines.append(f"| {r.name} | {r.size} | {r.precision:.3f} | {r.recall:.3f} | {r.f1:.3f} | {area} | "
                     f"{'; '.join(r.notes)} |")
    if rates:
        lines += ["", f"Judging speed: {min(rates):,.0f} to {max(rates):,.0f} aligned pairs per second on this "
                      f"machine (facts extraction and all detectors; embedding excluded)."]
    lines += ["", "Size: findings for the corpus rows, pairs for the others.", ""]
    if sweep:
        lines += ["## Trading recall for precision", "",
                  f"`--min-score` on {sweep[0][1].name} (findings kept, precision, recall):", "",
                  "| min score | findings | precision | recall |", "|---|---|---|---|"]
        lines += [f"| {t:.1f} | {r.size} | {r.precision:.3f} | {r.recall:.3f} |" for t, r in sweep]
        lines += [""]
    lines += [
              "## Reading the figures", "",
              "- The corpus rows and the golden pairs are what Touchpoint is built for: patient instructions "
              "and protocols that clash on a number, a permission, an escalation, a time, a contact or a drug.",
              "- The public sets test general or scientific inference (world knowledge, paraphrased findings, "
              "fact-checking verdicts). The engine flags only clashes it can explain with facts it reads "
              "(numbers, negations, drugs, contacts, times), so on those sets it is precise where it speaks "
              "and silent elsewhere: low recall is expected, and false alarms there are the figure to watch. "
              "A licensed NLI cross-encoder plugged in behind `checker.model.TextModel.score_pairs` would be "
              "the way to raise recall on them.",
              "- AUROC uses the finding score; pairs with no finding score 0, so ties pull it toward 0.5.", ""]
    return "\n".join(lines)


def _examples_corpus(root: Path, folder: Path) -> Path | None:
    """The shipped samples (protocols/ + examples/documents/ + examples/expected.jsonl) as one corpus."""
    if not (root / "examples" / "expected.jsonl").is_file():
        return None
    folder.mkdir(parents=True, exist_ok=True)
    for name, target in (("protocols", root / "protocols"), ("documents", root / "examples" / "documents"),
                         ("expected.jsonl", root / "examples" / "expected.jsonl")):
        (folder / name).symlink_to(target.resolve())
    return folder


def _golden_pairs(root: Path, folder: Path) -> Path | None:
    """tests/golden/pairs.jsonl in the scorer's format (consistent counts as entailment)."""
    source = root / "tests" / "golden" / "pairs.jsonl"
    if not source.is_file():
        return None
    target = folder / "golden" / "pairs.jsonl"
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(source, encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    target.write_text("".join(json.dumps({**row, "label": "contradiction" if row["expected"] == "contradiction"
                                                   else "entailment"}) + "\n" for row in rows), encoding="utf-8")
    return target


def run_evaluation(engine: Engine, corpus: Path | None, external: Path | None, output: Path,
                   limit: int | None = None) -> str:
    shared = _shared_dir()
    scorer = shared / "score.py"
    if not scorer.is_file():
        raise FileNotFoundError(f"scorer not found at {scorer} (run from the repository root, beside ../shared)")
    kept = sorted(p.parent for p in (Path.cwd() / "eval").glob("*/expected.jsonl"))  # ours, see eval/README.md
    corpora = [corpus] if corpus else sorted(p.parent for p in shared.glob("*/expected.jsonl")) + kept
    external = external or shared / "external"
    results = [evaluate_corpus(engine, folder, scorer) for folder in corpora]
    rates = []
    scratch = Path(tempfile.mkdtemp(prefix="touchpoint-eval-"))
    examples = _examples_corpus(Path.cwd(), scratch / "examples")
    if examples:
        results.append(evaluate_corpus(engine, examples, scorer))
        results[-1].name = "examples (shipped samples)"
    golden = _golden_pairs(Path.cwd(), scratch)
    if golden:
        result, rate = evaluate_pairs(engine, golden, scorer, None)
        result.name = "golden (tests/golden)"
        results.append(result)
        rates.append(rate)
    for pairs_file in sorted(external.glob("*/pairs.jsonl")):
        result, rate = evaluate_pairs(engine, pairs_file, scorer, limit)
        result.name = pairs_file.parent.name
        results.append(result)
        rates.append(rate)
    sweep = min_score_sweep(engine, examples, scorer) if examples else None
    report = render(results, rates, engine, sweep)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(report, encoding="utf-8")
    return report
