"""The `touchpoint` command line: output formats, exit codes, and the pairs command."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.cli import main

JSONL_FIELDS = {"document", "statement", "source", "source_statement", "kind", "severity", "score", "explanation"}
FASTING = "# Fasting\n\nDo not eat any food for 6 hours before your surgery.\n\nBring a list of your medicines.\n"
CLASHING = "# Before your operation\n\nStop eating 4 hours before your surgery.\n"
AGREEING = "# Before your operation\n\nDo not eat any food for 6 hours before your surgery.\n"


def write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def small_corpus(root: Path, leaflet: str) -> Path:
    write(root, "protocols/fasting.md", FASTING)
    write(root, "documents/surgery/leaflet.md", leaflet)
    return root


def jsonl(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def touchpoint(settings):
    """Run the CLI in-process with the session's embedding cache; returns the click Result."""
    runner = CliRunner(env={"TOUCHPOINT_CACHE_DIR": settings.cache_dir})

    def run(*args: str):
        return runner.invoke(main, [str(arg) for arg in args], catch_exceptions=False)

    return run


@pytest.fixture(scope="module")
def examples_scan(touchpoint, examples_corpus):
    return touchpoint("scan", examples_corpus, "--format", "jsonl")


def test_scan_jsonl_prints_one_finding_per_line_with_the_contract_fields(examples_scan):
    rows = jsonl(examples_scan.stdout)
    assert rows and all(JSONL_FIELDS <= set(row) for row in rows)


def test_scan_paths_are_relative_to_the_corpus_folder(examples_scan):
    rows = jsonl(examples_scan.stdout)
    assert all(row["document"].startswith("documents/") and not Path(row["document"]).is_absolute() for row in rows)
    assert all(row["source"].startswith(("protocols/", "documents/")) for row in rows)


def test_scan_exits_1_when_there_are_findings(examples_scan):
    assert examples_scan.exit_code == 1


def test_scan_reports_its_counts_on_stderr(examples_scan):
    assert f"{len(jsonl(examples_scan.stdout))} findings in 18 files (0 unreadable)" in examples_scan.stderr


def test_scan_json_is_the_same_findings_as_one_array(touchpoint, examples_corpus, examples_scan):
    result = touchpoint("scan", examples_corpus, "--format", "json")
    assert [row["fingerprint"] for row in json.loads(result.stdout)] == [
        row["fingerprint"] for row in jsonl(examples_scan.stdout)]


def test_scan_csv_has_a_header_and_one_row_per_finding(touchpoint, examples_corpus, examples_scan):
    rows = list(csv.DictReader(io.StringIO(touchpoint("scan", examples_corpus, "--format", "csv").stdout)))
    assert len(rows) == len(jsonl(examples_scan.stdout))
    assert {"kind", "severity", "score", "document", "statement", "source", "source_statement"} <= set(rows[0])
    assert all(0.0 <= float(row["score"]) <= 1.0 for row in rows)


def test_scan_table_shows_each_finding_with_both_locations(touchpoint, examples_corpus, examples_scan):
    table = touchpoint("scan", examples_corpus).stdout
    blocks = [block for block in table.split("\n\n") if block.strip()]
    assert len(blocks) == len(jsonl(examples_scan.stdout))
    assert all(len(block.strip().splitlines()) == 3 for block in blocks)
    assert "documents/day-surgery/pre-op-reminder-call-script.txt:" in table


def test_scan_with_no_fail_exits_0_despite_findings(touchpoint, examples_corpus):
    result = touchpoint("scan", examples_corpus, "--format", "jsonl", "--no-fail")
    assert result.exit_code == 0 and jsonl(result.stdout)


def test_scan_of_agreeing_documents_exits_0_with_no_findings(touchpoint, tmp_path):
    result = touchpoint("scan", small_corpus(tmp_path, AGREEING), "--format", "jsonl")
    assert (result.exit_code, result.stdout) == (0, "")


def test_scan_of_a_clashing_document_reports_it(touchpoint, tmp_path):
    result = touchpoint("scan", small_corpus(tmp_path, CLASHING), "--format", "jsonl")
    (row,) = jsonl(result.stdout)
    assert result.exit_code == 1
    assert (row["document"], row["source"], row["kind"]) == ("documents/surgery/leaflet.md",
                                                              "protocols/fasting.md", "numeric")


def test_scan_of_a_missing_folder_exits_2(touchpoint, tmp_path):
    result = touchpoint("scan", tmp_path / "nowhere")
    assert result.exit_code == 2 and "nowhere" in result.stderr


def test_scan_of_a_folder_without_protocols_or_documents_exits_2(touchpoint, tmp_path):
    assert touchpoint("scan", tmp_path).exit_code == 2


def test_an_unreadable_file_exits_2_but_the_rest_is_scanned_and_reported(touchpoint, tmp_path):
    root = small_corpus(tmp_path, CLASHING)
    (root / "documents" / "surgery" / "broken.pdf").write_bytes(b"this is not a PDF")
    result = touchpoint("scan", root, "--format", "jsonl")
    assert result.exit_code == 2
    assert "documents/surgery/broken.pdf" in result.stderr
    assert [row["document"] for row in jsonl(result.stdout)] == ["documents/surgery/leaflet.md"]


def test_a_higher_min_score_yields_a_subset_of_the_default_findings(touchpoint, examples_corpus, examples_scan):
    strict = jsonl(touchpoint("scan", examples_corpus, "--format", "jsonl", "--min-score", "0.95").stdout)
    default = {row["fingerprint"] for row in jsonl(examples_scan.stdout)}
    assert {row["fingerprint"] for row in strict} <= default
    assert all(row["score"] >= 0.95 for row in strict)


def test_a_min_score_out_of_range_is_a_usage_error(touchpoint, examples_corpus):
    assert touchpoint("scan", examples_corpus, "--min-score", "1.5").exit_code == 2


def test_scan_can_write_to_an_output_file(touchpoint, tmp_path):
    out = tmp_path / "findings.jsonl"
    touchpoint("scan", small_corpus(tmp_path / "corpus", CLASHING), "--format", "jsonl", "-o", out)
    assert [row["kind"] for row in jsonl(out.read_text(encoding="utf-8"))] == ["numeric"]


def test_a_bad_setting_in_the_environment_is_a_usage_error(settings, examples_corpus):
    runner = CliRunner(env={"TOUCHPOINT_CACHE_DIR": settings.cache_dir, "TOUCHPOINT_TOP_K": "abc"})
    result = runner.invoke(main, ["scan", str(examples_corpus)])
    assert result.exit_code == 2 and "TOUCHPOINT_TOP_K" in result.output


def test_pairs_labels_each_line_in_order(touchpoint, tmp_path):
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text("\n".join(json.dumps(item) for item in [
        {"id": "clash", "premise": "Do not eat for 6 hours before your surgery.",
         "hypothesis": "Do not eat for 8 hours before your surgery."},
        {"id": "same", "premise": "Keep the dressing dry for 48 hours.",
         "hypothesis": "Keep the dressing dry for 2 days.", "label": "entailment"},
    ]) + "\n", encoding="utf-8")
    result = touchpoint("pairs", pairs)
    rows = jsonl(result.stdout)
    assert result.exit_code == 0
    assert [(row["id"], row["label"]) for row in rows] == [("clash", "contradiction"), ("same", "consistent")]
    assert all({"id", "label", "score"} <= set(row) and isinstance(row["score"], float) for row in rows)


@pytest.mark.parametrize("line", ["not json", json.dumps({"id": "x", "premise": "A."}),
                                  json.dumps({"premise": "A.", "hypothesis": "B."}), json.dumps(["a", "b"])],
                         ids=["not-json", "no-hypothesis", "no-id", "not-an-object"])
def test_a_malformed_pairs_line_exits_2_naming_the_line(touchpoint, tmp_path, line):
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(json.dumps({"id": "ok", "premise": "A.", "hypothesis": "B."}) + "\n" + line + "\n")
    result = touchpoint("pairs", pairs)
    assert result.exit_code == 2 and "line 2" in result.stderr


def test_python_dash_m_checker_shows_help():
    result = subprocess.run([sys.executable, "-m", "checker", "--help"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "scan" in result.stdout and "pairs" in result.stdout


def test_a_second_scan_of_an_unchanged_corpus_computes_no_embedding_and_judges_no_pair(tmp_path):
    runner = CliRunner(env={"TOUCHPOINT_CACHE_DIR": str(tmp_path / "cache")})
    corpus = small_corpus(tmp_path / "corpus", CLASHING)
    first = runner.invoke(main, ["scan", str(corpus)])
    second = runner.invoke(main, ["scan", str(corpus)])
    assert "embeddings computed 0," not in first.stderr
    assert "embeddings computed 0," in second.stderr and second.stdout == first.stdout
    assert "pairs judged 0," not in first.stderr and "pairs judged 0," in second.stderr


def test_scan_takes_separate_protocols_and_documents_folders(touchpoint, tmp_path):
    write(tmp_path / "rules", "fasting.md", FASTING)
    write(tmp_path / "leaflets" / "surgery", "leaflet.md", CLASHING)
    result = touchpoint("scan", tmp_path, "--protocols", tmp_path / "rules", "--documents", tmp_path / "leaflets",
                        "--format", "jsonl")
    (row,) = jsonl(result.stdout)
    assert (row["document"], row["source"], row["department"]) == ("leaflets/surgery/leaflet.md", "rules/fasting.md",
                                                                   "surgery")
