"""Compare the embedding encoders: sentence-transformers on torch vs ONNX Runtime (``checker.model``).

The texts are the statements the nightly batch embeds for the 3k synthetic corpus
(``benchmarks/synth.py``, seed 7: documents and protocols, read with their list lead-ins), or the
first ``--statements`` of them. Each measurement is a fresh process that encodes them through
``checker.model.shared_model`` with ``TOUCHPOINT_ENCODER`` and ``TOUCHPOINT_ENCODE_THREADS`` set:

- **start**: from the process's first import of the model module to the first vector (library
  imports and model load; what a CLI scan, a worker or a small nightly run pays once);
- **rate**: statements per second of wall time over all the texts, after a warm-up batch;
- **per CPU second**: statements per CPU second of the process (user + system), which other
  load on the machine changes less than wall time.

Configurations: torch and onnx with 1 and 2 intra-op threads in one process, and two
processes of one thread each at once (each encodes half the texts; the rate is all texts over
the slower one's time). Every configuration runs ``--rounds`` times, round-robin so that the
machine's other load falls on all alike; the median is reported. The ONNX vectors are compared
with the torch vectors of the same texts (cosine). Ratios come from this one run; no test
asserts a threshold on them.

    python -m benchmarks.encoders                         # prints a markdown table
    python -m benchmarks.encoders --json benchmarks/results/encoders.json --statements 2000
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = (("torch", 1, 1), ("torch", 2, 1), ("onnx", 1, 1), ("onnx", 2, 1), ("torch", 1, 2), ("onnx", 1, 2))


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def texts_of_synthetic_corpus(size: int, seed: int = 7) -> list[str]:
    """What the batch embeds for the synthetic corpus of ``size`` document statements."""
    from benchmarks import synth
    from benchmarks.run_benchmark import _corpus_files
    from checker.engine import Engine
    from checker.settings import load_settings

    engine = Engine(load_settings(environ={}))
    with tempfile.TemporaryDirectory() as folder:
        corpus = Path(folder)
        synth.write(synth.generate(size, seed=seed), corpus, seed=seed)
        protocols, documents = _corpus_files(corpus)
        texts = [s.judged_text for name, path in protocols
                 for s in engine.read(f"protocols/{name}", path.read_bytes(), "protocol")]
        texts += [s.judged_text for department, name, path in documents
                  for s in engine.read(f"documents/{department}/{name}", path.read_bytes(), "document", department)]
    return texts


def worker(texts_file: Path, vectors_file: str) -> dict[str, Any]:
    """One measurement in this process (the environment chose the encoder and threads)."""
    import numpy as np

    texts = json.loads(texts_file.read_text(encoding="utf-8"))
    started = time.perf_counter()
    from checker.model import shared_model
    from checker.settings import load_settings

    settings = load_settings()
    model = shared_model(settings)
    model.encode(["warm up"])
    start_seconds = time.perf_counter() - started
    model.encode(texts[:settings.encode_batch_size])  # warm-up, not timed
    cpu, wall = _cpu_seconds(), time.perf_counter()
    vectors = model.encode(texts)
    seconds, cpu_seconds = time.perf_counter() - wall, _cpu_seconds() - cpu
    if vectors_file:
        np.save(vectors_file, vectors)
    return {"encoder": type(model).__name__, "name": model.name, "start": start_seconds, "seconds": seconds,
            "cpu_seconds": cpu_seconds, "statements": len(texts)}


def measure(encoder: str, threads: int, processes: int, texts: list[str], work: Path, save: bool) -> dict[str, Any]:
    env = dict(os.environ, TOUCHPOINT_ENCODER=encoder, TOUCHPOINT_ENCODE_THREADS=str(threads),
               TOKENIZERS_PARALLELISM="false", HF_HUB_OFFLINE="1", PYTHONPATH=str(ROOT))
    parts = [texts[index::processes] for index in range(processes)]
    running = []
    for index, part in enumerate(parts):
        texts_file = work / f"texts-{index}.json"
        texts_file.write_text(json.dumps(part), encoding="utf-8")
        vectors = str(work / f"{encoder}.npy") if save and processes == 1 else ""
        command = [sys.executable, "-m", "benchmarks.encoders", "--worker", str(texts_file), "--vectors", vectors]
        running.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True))
    results = []
    for process in running:
        output, _ = process.communicate()
        if process.returncode != 0:
            raise SystemExit(f"{encoder} x{threads} failed (exit {process.returncode})")
        results.append(json.loads(output.strip().splitlines()[-1]))
    expected = "OnnxModel" if encoder == "onnx" else "SentenceTransformerModel"
    if any(result["encoder"] != expected for result in results):
        raise SystemExit(f"asked for {encoder}, got {results[0]['encoder']} (is the ONNX file built? make install)")
    seconds = max(result["seconds"] for result in results)
    return {"rate": len(texts) / seconds, "per_cpu": len(texts) / sum(r["cpu_seconds"] for r in results),
            "start": statistics.mean(r["start"] for r in results)}


def cosine_figures(work: Path) -> dict[str, float]:
    import numpy as np

    onnx, torch = np.load(work / "onnx.npy"), np.load(work / "torch.npy")
    cosines = np.sum(onnx * torch, axis=1)
    return {"min_cosine": float(cosines.min()), "mean_cosine": float(cosines.mean()),
            "max_abs_diff": float(np.abs(onnx - torch).max())}


def label(encoder: str, threads: int, processes: int) -> str:
    return f"{encoder}, {processes} processes x 1 thread" if processes > 1 else \
        f"{encoder}, {threads} thread{'s' if threads > 1 else ''}"


def render(figures: dict[str, Any]) -> str:
    rows = {tuple(row["config"]): row for row in figures["rows"]}
    lines = ["| configuration | start, s | statements/s | statements per CPU-s | onnx / torch (rate, per CPU-s) |",
             "|---|---|---|---|---|"]
    for config in CONFIGS:
        row = rows[config]
        ratio = ""
        if config[0] == "onnx":
            base = rows[("torch", *config[1:])]
            ratio = f"{row['rate'] / base['rate']:.2f}x, {row['per_cpu'] / base['per_cpu']:.2f}x"
        lines.append(f"| {label(*config)} | {row['start']:.1f} | {row['rate']:.0f} | {row['per_cpu']:.0f} | {ratio} |")
    cos = figures["cosine"]
    lines += ["", f"{figures['statements']:,} statements, batches of {figures.get('encode_batch_size', '?')}, "
              f"{figures['rounds']} rounds (medians), "
              f"{figures['machine']}; load average {figures['load'][0]:.1f} before, {figures['load'][1]:.1f} after. "
              f"ONNX vs torch vectors: min cosine {cos['min_cosine']:.7f}, largest difference "
              f"{cos['max_abs_diff']:.1e}."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--statements", type=int, default=0, help="use the first N texts (default: all ~4,000)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--vectors", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.vectors)), flush=True)
        return 0
    from checker.settings import load_settings

    texts = texts_of_synthetic_corpus(3000)
    texts = texts[:args.statements] if args.statements else texts
    load_before = os.getloadavg()[0]
    samples: dict[tuple, list[dict]] = {config: [] for config in CONFIGS}
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        for round_ in range(args.rounds):
            for config in CONFIGS:
                sample = measure(*config, texts, work, save=round_ == 0)
                samples[config].append(sample)
                print(f"round {round_ + 1}: {label(*config)}: {sample['rate']:.0f}/s, "
                      f"{sample['per_cpu']:.0f}/CPU-s, start {sample['start']:.1f} s", file=sys.stderr, flush=True)
        cosine = cosine_figures(work)
    rows = [{"config": list(config), **{key: statistics.median(s[key] for s in runs) for key in runs[0]}}
            for config, runs in samples.items()]
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    figures = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "commit": commit.strip(),
               "machine": f"{cpu}, {os.cpu_count()} cores", "statements": len(texts), "rounds": args.rounds,
               "encode_batch_size": load_settings().encode_batch_size,
               "load": [load_before, os.getloadavg()[0]], "rows": rows, "cosine": cosine}
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(render(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
