"""Evaluate the pair judge (``checker/models/judge``) honestly, int8 and fp32.

    OMP_NUM_THREADS=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 .venv/bin/python training/evaluate_judge.py

1. External sets (evaluation only, never trained on): SICK and the NLI4CT sets under
   ``../shared/eval/external``: contradiction AUC and contradiction F1 at the best threshold.
2. The key comparison: every ALIGNED candidate pair of the labelled corpora ``dev-corpus`` and
   ``dev-corpus-2`` (what the engine's alignment hands its judge), labelled 1 when it is a planted
   conflict of ``expected.jsonl`` (matched as :mod:`checker.candidates` does). Scores: the rule
   engine's pair verdict score (0 when the rules do not flag it), the judge's contradiction
   probability, and a logistic regression on both fitted leave-one-corpus-out.
3. Speed: pairs per second on 1 and 2 threads, batch 32.

Writes a JSON report (default ``/tmp/touchpoint-judge-eval.json``) and prints a summary.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))
from train_judge import load_judge, predict  # noqa: E402

SHARED = ROOT.parent / "shared" / "eval"


# ---------------------------------------------------------------------------------- metrics

def auc(scores, labels) -> float | None:
    """Area under the ROC curve (ties count half)."""
    s, y = np.asarray(scores, float), np.asarray(labels, int)
    pos, neg = s[y == 1], s[y == 0]
    if not len(pos) or not len(neg):
        return None
    order = np.argsort(np.concatenate([pos, neg]), kind="mergesort")
    ranks = np.empty(len(order))
    values = np.concatenate([pos, neg])[order]
    i = 0
    while i < len(values):  # average ranks over ties
        j = i
        while j + 1 < len(values) and values[j + 1] == values[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return float((ranks[:len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def best_f1(scores, labels) -> dict:
    """The best F1 over all thresholds ``score >= t`` (t > 0 where scores of 0 mean 'not flagged')."""
    s, y = np.asarray(scores, float), np.asarray(labels, int)
    best = {"f1": 0.0, "threshold": None, "precision": 0.0, "recall": 0.0}
    for t in np.unique(s):
        flagged = s >= t
        tp = int((flagged & (y == 1)).sum())
        if not tp:
            continue
        p, r = tp / int(flagged.sum()), tp / int((y == 1).sum())
        f = 2 * p * r / (p + r)
        if f > best["f1"]:
            best = {"f1": round(f, 4), "threshold": round(float(t), 4), "precision": round(p, 4), "recall": round(r, 4)}
    return best


def summary(scores, labels) -> dict:
    a = auc(scores, labels)
    return {"auc": None if a is None else round(a, 4), "best": best_f1(scores, labels),
            "n": len(labels), "positives": int(np.sum(labels))}


# --------------------------------------------------------------------------------- external

def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def external_sets(limit: int, seed: int) -> dict[str, list[dict]]:
    sets = {}
    for name in ("sick", "nli4ct_2023", "nli4ct_2024_contrast"):
        path = SHARED / "external" / name / "pairs.jsonl"
        if not path.exists():
            continue
        items = read_jsonl(path)
        if limit and len(items) > limit:
            items = random.Random(seed).sample(items, limit)
        sets[name] = items
    return sets


def external_figures(model, tokenizer, items, max_length: int) -> dict:
    probs = predict(model, tokenizer, [(i["premise"], i["hypothesis"]) for i in items], max_length)
    labels = [int(i["label"] == "contradiction") for i in items]
    three = [("contradiction", "entailment", "neutral").index(i["label"]) for i in items]
    result = summary(probs[:, 0], labels)
    result["accuracy_3way_argmax"] = round(float((probs.argmax(1) == np.array(three)).mean()), 4)
    return result


# ---------------------------------------------------------------------------- aligned pairs

def corpus_pairs(corpus: Path) -> list[dict]:
    """Every aligned candidate pair of a labelled corpus, with the rule score and the label."""
    from checker.candidates import _side, read_expected
    from checker.corpus import list_files, load_corpus
    from checker.engine import Engine
    from checker.records import ROLE_DOCUMENT
    from checker.settings import load_settings

    engine = Engine(load_settings())
    loaded = load_corpus(engine, list_files(corpus))
    result = engine.check(loaded.protocols, loaded.documents, min_score=0.0)
    reported = {frozenset((f.statement.uid, f.source.uid)): f.score for f in result.findings}
    default_min = engine.settings.min_score
    expected = read_expected(corpus)
    rows = []
    for alignment in result.alignments:
        statement = alignment.statement
        for candidate in alignment.candidates:
            source = candidate.source
            verdict = engine.judge.verdict(statement.judged_text, source.judged_text, candidate.similarity,
                                           source.role == ROLE_DOCUMENT)
            label = 0
            for conflict in expected:
                sides = ((conflict["document"], conflict["statement"]), (conflict["source"], conflict["source_statement"]))
                for first, second in (sides, sides[::-1]):
                    if _side(*first, statement.path, statement.text) and _side(*second, source.path, source.text):
                        label = 1
            final = reported.get(frozenset((statement.uid, source.uid)), 0.0)
            rows.append({"corpus": corpus.name, "document": statement.path, "statement": statement.judged_text,
                         "source_path": source.path, "source": source.judged_text, "similarity": candidate.similarity,
                         "rule_pair_score": verdict[1] if verdict else 0.0,
                         "rule_final_score": final if final >= default_min else 0.0,
                         "label": label})
    return rows


def loco_combination(rows: list[dict], rule_key: str, judge_key: str) -> tuple[list[float], dict]:
    """Logistic regression on [rule score, flagged?, judge prob], trained on one corpus, applied to the other."""
    from sklearn.linear_model import LogisticRegression
    corpora = sorted({r["corpus"] for r in rows})
    out = [0.0] * len(rows)
    coefficients = {}
    for held in corpora:
        train = [r for r in rows if r["corpus"] != held]
        features = lambda rs: np.array([[r[rule_key], float(r[rule_key] > 0), r[judge_key]] for r in rs])
        model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000)
        model.fit(features(train), [r["label"] for r in train])
        coefficients[held] = [round(float(c), 3) for c in model.coef_[0]] + [round(float(model.intercept_[0]), 3)]
        test_index = [i for i, r in enumerate(rows) if r["corpus"] == held]
        probs = model.predict_proba(features([rows[i] for i in test_index]))[:, 1]
        for i, p in zip(test_index, probs):
            out[i] = float(p)
    return out, coefficients


def aligned_figures(rows: list[dict], judge_keys: list[str]) -> dict:
    report = {}
    for scope in sorted({r["corpus"] for r in rows}) + ["pooled"]:
        part = [r for r in rows if scope in ("pooled", r["corpus"])]
        labels = [r["label"] for r in part]
        entry = {"pairs": len(part), "planted_pairs": int(sum(labels))}
        for key in ["rule_pair_score", "rule_final_score"] + judge_keys:
            entry[key] = summary([r[key] for r in part], labels)
        report[scope] = entry
    for judge_key in judge_keys:
        for rule_key in ("rule_pair_score", "rule_final_score"):
            combined, coefficients = loco_combination(rows, rule_key, judge_key)
            name = f"loco_lr[{rule_key}+{judge_key}]"
            for scope in report:
                index = [i for i, r in enumerate(rows) if scope in ("pooled", r["corpus"])]
                report[scope][name] = summary([combined[i] for i in index], [rows[i]["label"] for i in index])
            report.setdefault("coefficients", {})[name] = coefficients
    return report


# ------------------------------------------------------------------------------------ speed

def speed(model, tokenizer, pairs, threads: int, max_length: int = 64) -> float:
    torch.set_num_threads(threads)
    predict(model, tokenizer, pairs[:32], max_length, 32)
    started = time.perf_counter()
    predict(model, tokenizer, pairs, max_length, 32)
    rate = len(pairs) / (time.perf_counter() - started)
    torch.set_num_threads(1)
    return round(rate, 1)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--judge", type=Path, default=ROOT / "checker" / "models" / "judge")
    parser.add_argument("--fp32", type=Path, default=Path("/tmp/touchpoint-judge-fp32"),
                        help="the unquantized model that train_judge.py leaves (skipped when absent)")
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--external-limit", type=int, default=1500, help="pairs sampled per external set (0: all)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--pairs-cache", type=Path, default=Path("/tmp/touchpoint-aligned-pairs.json"))
    parser.add_argument("--report", type=Path, default=Path("/tmp/touchpoint-judge-eval.json"))
    parser.add_argument("--skip-external", action="store_true")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    from transformers.utils import logging as hf_logging
    hf_logging.set_verbosity_error()

    if args.pairs_cache.exists():
        rows = json.loads(args.pairs_cache.read_text())
    else:
        rows = [r for name in ("dev-corpus", "dev-corpus-2") for r in corpus_pairs(SHARED / name)]
        args.pairs_cache.write_text(json.dumps(rows))
    print(f"aligned pairs: {len(rows)}, planted among them: {sum(r['label'] for r in rows)}", flush=True)

    models = {"int8": load_judge(args.judge)}
    if args.fp32.exists():
        from transformers import AutoModelForSequenceClassification, AutoTokenizer
        models["fp32"] = (AutoModelForSequenceClassification.from_pretrained(args.fp32).eval(),
                          AutoTokenizer.from_pretrained(args.fp32))
    report = {"external": {}, "aligned": None, "speed_pairs_per_s": {}}
    keys = []
    for name, (model, tokenizer) in models.items():
        forward = predict(model, tokenizer, [(r["source"], r["statement"]) for r in rows], args.max_length)
        backward = predict(model, tokenizer, [(r["statement"], r["source"]) for r in rows], args.max_length)
        for r, f, b in zip(rows, forward, backward):
            r[f"judge_{name}"] = float(f[0])  # premise = protocol / source, hypothesis = document statement
            r[f"judge_{name}_sym"] = float(max(f[0], b[0]))  # either order
        keys += [f"judge_{name}", f"judge_{name}_sym"]
        if not args.skip_external:
            for set_name, items in external_sets(args.external_limit, args.seed).items():
                started = time.perf_counter()
                report["external"].setdefault(set_name, {})[name] = external_figures(model, tokenizer, items, args.max_length)
                print(f"{name} {set_name}: {report['external'][set_name][name]} ({time.perf_counter() - started:.0f} s)",
                      flush=True)
    report["aligned"] = aligned_figures(rows, keys)
    sample = [(r["source"], r["statement"]) for r in rows][:320] or [("a", "b")] * 320
    model, tokenizer = models["int8"]
    report["speed_pairs_per_s"] = {"int8_dequantized_1_thread": speed(model, tokenizer, sample, 1),
                                   "int8_dequantized_2_threads": speed(model, tokenizer, sample, 2),
                                   "cpu_count": os.cpu_count(), "sched_affinity": len(os.sched_getaffinity(0))}
    report["top_judge_pairs"] = sorted(
        ({k: r[k] for k in ("corpus", "statement", "source", "rule_pair_score", "judge_int8", "label")} for r in rows),
        key=lambda r: -r["judge_int8"])[:25]
    args.report.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({k: v for k, v in report.items() if k != "top_judge_pairs"}, indent=2))


if __name__ == "__main__":
    main()
