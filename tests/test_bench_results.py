"""Every recorded benchmark result says on what machine, under what load and with which versions."""

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _common():
    spec = importlib.util.spec_from_file_location("bench_common_under_test", ROOT / "bench" / "_common.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_written_result_carries_machine_load_and_versions(tmp_path, monkeypatch):
    common = _common()
    monkeypatch.setattr(common, "RESULTS", tmp_path)
    path = common.write_result("example", {"median_s": 1.5})
    payload = json.loads(path.read_text(encoding="utf-8"))
    assert payload["median_s"] == 1.5
    assert payload["machine"]["cores"] >= 1
    assert len(payload["load"]["at_start"]) == 3 and len(payload["load"]["at_end"]) == 3
    assert payload["versions"]["duckdb"]
