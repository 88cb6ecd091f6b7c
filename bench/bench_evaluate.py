"""Benchmark: evaluate 10,000 generated answer sets with the rule set loaded once.

Prints the time per evaluation – without and with the sensitivity analysis (robustness) – and,
because the machines are shared and noisy, the ratio against a baseline measured in the same run on
the same data: serialising each answer set to JSON (`json.dumps`), a fixed amount of work whose
speed moves with the machine's. Targets for the default catalogue: evaluation < 0.3 ms, evaluation
plus sensitivity < 10 ms per check.

    python bench/bench_evaluate.py [--n 10000] [--rules kassel-2030] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from impactcheck.core.evaluate import evaluate
from impactcheck.core.registry import resolve_ruleset
from impactcheck.core.sampling import RandomChooser, sample_answers


class _NONE:
    fragile = False


def timed(fn, items) -> float:
    start = time.perf_counter()
    for item in items:
        fn(item)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--rules", default="kassel-2030")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    t0 = time.perf_counter()
    ruleset = resolve_ruleset(args.rules)
    load_s = time.perf_counter() - t0
    chooser = RandomChooser(seed=2026)
    answer_sets = [sample_answers(ruleset, chooser) for _ in range(args.n)]
    for answers in answer_sets[:100]:
        evaluate(ruleset, answers)  # warm up

    run = []
    full = []
    base = []
    for _ in range(args.repeat):
        base.append(timed(json.dumps, answer_sets))
        run.append(timed(lambda a: evaluate(ruleset, a, sensitivity=False), answer_sets))
        full.append(timed(lambda a: evaluate(ruleset, a), answer_sets))
    ev = statistics.median(run)
    ev_full = statistics.median(full)
    bl = statistics.median(base)
    fragile = sum(1 for a in answer_sets if (evaluate(ruleset, a).assessment.robustness or _NONE).fragile)
    # Checks that exit in the screening skip the sensitivity; the relevant ones alone are the worst case.
    relevant = [a for a in answer_sets if evaluate(ruleset, a, sensitivity=False).verdict != "not_relevant"]
    rel_full = statistics.median(timed(lambda a: evaluate(ruleset, a), relevant) for _ in range(args.repeat))
    verdicts: dict[str, int] = {}
    for answers in answer_sets:
        v = evaluate(ruleset, answers).verdict
        verdicts[v] = verdicts.get(v, 0) + 1
    print(f"rule set {ruleset.id} {ruleset.version}: loaded and validated in {load_s * 1000:.1f} ms")
    print(f"answer sets: {args.n} (verdicts: {verdicts})")
    print(f"evaluate:               {ev / args.n * 1e6:8.1f} µs per answer set (median of {args.repeat} runs)")
    print(f"evaluate + sensitivity: {ev_full / args.n * 1e6:8.1f} µs per answer set ({fragile} of {args.n} fragile)")
    if relevant:
        print(f"  relevant checks only:  {rel_full / len(relevant) * 1e6:8.1f} µs per answer set ({len(relevant)})")
    print(f"baseline:               {bl / args.n * 1e6:8.1f} µs per answer set (json.dumps of the same answers)")
    print(f"ratio evaluate / baseline: {ev / bl:.1f}; evaluate + sensitivity / baseline: {ev_full / bl:.1f}")


if __name__ == "__main__":
    main()
