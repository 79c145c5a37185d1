"""`touchpoint scan --format sarif`: a SARIF 2.1.0 log that validates against the OASIS schema."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from checker.cli import main

SCHEMA = Path(__file__).resolve().parents[1] / "fixtures" / "sarif" / "sarif-2.1.0-rtm.5.json"
FASTING = "# Fasting\n\nDo not eat any food for 6 hours before your surgery.\n\nBring a list of your medicines.\n"
CLASHING = "# Before your operation\n\nPlease read this.\n\nStop eating 4 hours before your surgery.\n"


@pytest.fixture(scope="module")
def scanned(settings, tmp_path_factory) -> tuple[dict, Path]:
    root = tmp_path_factory.mktemp("sarif-corpus")
    for relative, text in (("protocols/fasting.md", FASTING), ("documents/surgery/leaflet.md", CLASHING)):
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, encoding="utf-8")
    result = CliRunner(env={"TOUCHPOINT_CACHE_DIR": settings.cache_dir}).invoke(
        main, ["scan", str(root), "--format", "sarif"], catch_exceptions=False)
    assert result.exit_code == 1, result.output
    return json.loads(result.stdout), root


def test_the_log_validates_against_the_sarif_2_1_0_schema(scanned):
    log, _ = scanned
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(log), key=str)
    assert errors == []
    assert log["version"] == "2.1.0" and len(log["runs"]) == 1


def test_a_log_missing_what_the_schema_requires_is_refused():
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    broken = {"version": "2.1.0", "runs": [{"results": [{"message": {"text": "x"}}]}]}  # no tool
    assert list(jsonschema.Draft4Validator(schema).iter_errors(broken))


def test_each_finding_is_a_result_with_its_rule_level_location_and_fingerprint(scanned):
    log, root = scanned
    run = log["runs"][0]
    (result,) = run["results"]
    rule_ids = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert result["ruleId"] == "touchpoint/numeric" and rule_ids[result["ruleIndex"]] == result["ruleId"]
    assert result["level"] in {"error", "warning", "note"}
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "documents/surgery/leaflet.md", "uriBaseId": "CORPUS"}
    assert location["region"]["startLine"] == 5 and location["region"]["startColumn"] == 1
    assert location["region"]["snippet"]["text"] == "Stop eating 4 hours before your surgery."
    related = result["relatedLocations"][0]["physicalLocation"]
    assert related["artifactLocation"]["uri"] == "protocols/fasting.md" and related["region"]["startLine"] == 3
    assert run["originalUriBaseIds"]["CORPUS"]["uri"] == root.resolve().as_uri() + "/"
    assert len(result["partialFingerprints"]["touchpointFinding/v1"]) == 40
