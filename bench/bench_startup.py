"""Benchmark: how fast the command line starts (issue 10, point 5).

Measures, in one run and each in a fresh process (median of --repeat runs, wall time):
- `python -c pass`, the floor every command pays;
- `impactcheck --help` (goal: at most 3 × `python -c pass`);
- python-docx's open + save of a 2-page paper (the baseline for Word work);
- `impactcheck docx insert` of a negative example into that same paper, with and without the chart
  (the chart is a native Word chart written as XML; no plotting library is imported).

    python bench/bench_startup.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ANSWERS = ROOT / "impactcheck" / "rules" / "examples" / "kassel-2030" / "parkhaus-neubau" / "schaetzt.yaml"


def two_pages(path: Path) -> None:
    import docx

    d = docx.Document()
    d.add_heading("Beschlussvorlage 101.26.0815: Neubau eines Parkhauses", 1)
    for _ in range(14):  # about two A4 pages
        d.add_paragraph(
            "Der Magistrat wird beauftragt, die Maßnahme im Rahmen der verfügbaren Haushaltsmittel umzusetzen "
            "und dem Ausschuss über den Fortschritt zu berichten. " * 3
        )
    d.add_heading("Finanzielle Auswirkungen", 2)
    d.add_paragraph("Die Kosten betragen 4,2 Mio. € und sind im Haushalt 2027 veranschlagt.")
    d.save(path)


def timed(cmd: list[str], repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    py = sys.executable
    script = shutil.which("impactcheck", path=str(Path(py).parent)) or shutil.which("impactcheck")
    cli = [script] if script else [py, "-m", "impactcheck"]
    with tempfile.TemporaryDirectory() as tmp:
        paper = Path(tmp) / "vorlage.docx"
        two_pages(paper)
        out = str(Path(tmp) / "out.docx")
        insert = [*cli, "docx", "insert", "--rules", "kassel-2030", "--answers", str(ANSWERS), str(paper), "-o", out]
        # Warm the file system cache and the bytecode once, as an installed program has them.
        for cmd in ([py, "-c", "pass"], [*cli, "--help"], insert):
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
        floor = timed([py, "-c", "pass"], args.repeat)
        helped = timed([*cli, "--help"], args.repeat)
        docx_baseline = timed(
            [py, "-c", f"import docx; docx.Document({str(paper)!r}).save({out!r})"],
            args.repeat,
        )
        no_chart = timed([*insert, "--no-chart"], args.repeat)
        chart = timed(insert, args.repeat)
    print(f"command: {' '.join(cli)}; median of {args.repeat} runs each, fresh process per run")
    print(f"{'python -c pass':<42} {floor * 1000:7.0f} ms")
    print(f"{'impactcheck --help':<42} {helped * 1000:7.0f} ms   {helped / floor:4.1f} × python -c pass (goal ≤ 3)")
    print(f"{'python-docx open + save (2 pages)':<42} {docx_baseline * 1000:7.0f} ms")
    print(
        f"{'docx insert --no-chart (2 pages)':<42} {no_chart * 1000:7.0f} ms   "
        f"{no_chart / docx_baseline:4.1f} × python-docx, {no_chart / floor:4.1f} × python -c pass"
    )
    print(
        f"{'docx insert with chart (2 pages)':<42} {chart * 1000:7.0f} ms   "
        f"{chart / docx_baseline:4.1f} × python-docx, {chart / floor:4.1f} × python -c pass"
    )


if __name__ == "__main__":
    main()
