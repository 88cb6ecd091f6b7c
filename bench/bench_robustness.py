"""The robustness suite under the current and the previous default catalogue.

Each scenario in rules/examples/kassel-2030/ is one council paper read by two or three honest authors;
bench/robustness/kassel-2030-2026.1/ holds the same readings answered with the 2026.1 catalogue.
Prints, per catalogue, how many scenarios' readings agree and how many also match the expected
verdict, and the time per reading (evaluation with sensitivity), against json.dumps of the same
answers as a baseline measured in the same run.

    python bench/bench_robustness.py
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from impactcheck.core.answers import load_submission
from impactcheck.core.examples import check_scenario, readings
from impactcheck.core.loader import load_ruleset

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "impactcheck" / "rules"
SUITES = {
    "2026.2 (current)": (RULES / "kassel-2030.yaml", RULES / "examples" / "kassel-2030"),
    "2026.1 (previous)": (
        RULES / "archive" / "kassel-2030-2026.1" / "kassel-2030.yaml",
        ROOT / "bench" / "robustness" / "kassel-2030-2026.1",
    ),
}


def main() -> None:
    for name, (rules, folder) in SUITES.items():
        ruleset = load_ruleset(rules)
        scenarios = sorted(p for p in folder.iterdir() if p.is_dir())
        start = time.perf_counter()
        outcomes = [check_scenario(ruleset, s) for s in scenarios]
        elapsed = time.perf_counter() - start
        files = [f for s in scenarios for f in readings(s)]
        base_start = time.perf_counter()
        for f in files:
            json.dumps(load_submission(f).answers)
        base = time.perf_counter() - base_start
        agree = sum(1 for o in outcomes if len(set(o.verdicts.values())) == 1)
        right = sum(1 for o in outcomes if o.agree)
        print(f"kassel-2030 {name}: {len(scenarios)} scenarios, {len(files)} readings")
        print(f"  readings agree: {agree} of {len(scenarios)}; agree and match the expected verdict: {right}")
        for o in outcomes:
            if not o.agree:
                found = ", ".join(f"{k.removesuffix('.yaml')} → {v}" for k, v in o.verdicts.items())
                print(f"  – {o.scenario.name}: expected {o.expected}; {found}")
        print(
            f"  {elapsed / len(files) * 1000:.1f} ms per reading (load + evaluate + sensitivity); "
            f"ratio to loading + json.dumps: {elapsed / base:.1f}"
        )


if __name__ == "__main__":
    main()
