"""Benchmark: insert the Klimacheck section (with its native Word chart) against python-docx's open+save.

Two papers, each compared in the same run and on the same file with python-docx's own open+save (the
baseline); target for every ratio ≤ 1.15:

1. the command line as a whole process (issue 12), against `python -c "import docx; docx.Document(p).save(o)"`
   – imports, reading, the work, writing, exit; a 2-page paper (where imports dominate; a plotting library's
   import cost 1.96 × here) and the large one. The insertion: `impactcheck docx insert --result` (the JSON
   `assess` wrote) with and without the chart, and a process that inserts a stored Result as the web app
   does. Beside them `docx insert --rules --answers`, which assesses too: it loads, validates and evaluates
   the rule set (the pydantic model), a cost of its own that the goal does not cover;
2. `impactcheck.word.insert_section` on a ~1,000-page paper with ~18 MB of images (section with chart,
   negative example with an alternative, inserted after "Finanzielle Auswirkungen"), measured warm (in
   this process, imports done, repeated) and cold (a fresh process per run, as the CLI pays it), with the
   peak memory (VmHWM, peak resident set) of each variant in its own process.

Medians of --repeat runs. The large paper is generated once (random-noise PNGs written with zlib, so the
images do not compress away) and cached in artifacts/bench/. Every timed process reads its bytecode from
one cache, artifacts/bench/pycache/ (written in the warm-up round), as an installed package has it: with
PYTHONDONTWRITEBYTECODE=1 (set in some shells here) impactcheck's own modules, a source checkout, would be
compiled in every process while python-docx's come compiled from site-packages. --no-pycache keeps the
environment's setting as it is.

    python bench/bench_docx_insert.py [--pages 1000] [--image-mb 18] [--repeat 5] [--small-only] [--count-pages]
                                      [--no-pycache]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import resource
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CACHE = ROOT / "artifacts" / "bench"
ANSWERS = ROOT / "impactcheck" / "rules" / "examples" / "kassel-2030" / "gasheizung-ersatz-kita" / "schaetzt.yaml"
WORDS_PER_PAGE = (
    336  # LibreOffice lays out 1,000 pages of this generator's A4 Letter pages (checked with --count-pages)
)
TEXT = (
    "Der Magistrat wird beauftragt die Maßnahme im Rahmen der verfügbaren Haushaltsmittel umzusetzen und dem "
    "Ausschuss über den Fortschritt zu berichten Die Planung berücksichtigt die Vorgaben des Klimaschutzkonzepts "
    "der Stadt sowie die Stellungnahmen der Ortsbeiräte und der Fachämter zur Barrierefreiheit"
)
WORDS = TEXT.split(" ")
PYCACHE = CACHE / "pycache"
USE_PYCACHE = True  # --no-pycache turns it off


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a timed process: this one's, with the shared bytecode cache (see the docstring)."""
    env = dict(os.environ)
    if USE_PYCACHE:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return {**env, **extra}


def noise_png(side: int, rng: random.Random) -> bytes:
    """An RGB PNG of random noise (incompressible), written with zlib."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + rng.randbytes(side * 3) for _ in range(side))
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 1)) + chunk(b"IEND", b"")


def generate(path: Path, pages: int, image_mb: float) -> None:
    import docx
    from docx.shared import Cm

    rng = random.Random(2025)
    words = random.Random(2026)
    d = docx.Document()
    image_bytes = int(image_mb * 1024 * 1024)
    side = 512
    per_image = side * side * 3  # raw noise PNG is about this big
    n_images = max(1, round(image_bytes / per_image))
    image_every = max(1, pages // n_images)
    paragraphs_per_page = 5
    for page in range(pages):
        if page % 4 == 0:
            d.add_heading(f"{page // 4 + 1}. Abschnitt {page // 4 + 1}", level=1)
        for _ in range(paragraphs_per_page):
            d.add_paragraph(" ".join(words.choice(WORDS) for _ in range(WORDS_PER_PAGE // paragraphs_per_page)))
        if page % 25 == 10:
            table = d.add_table(rows=4, cols=3, style="Table Grid")
            for i, cell in enumerate(table._cells):
                cell.text = f"Wert {i}"
        if page % image_every == 0 and n_images > 0:
            d.add_picture(io.BytesIO(noise_png(side, rng)), width=Cm(8))
            n_images -= 1
        if page == pages - 3:
            d.add_heading("Finanzielle Auswirkungen", level=1)
            d.add_paragraph("Die Kosten betragen 180.000 Euro.")
    d.add_heading("Anlagen", level=1)
    d.add_paragraph("Lageplan")
    path.parent.mkdir(parents=True, exist_ok=True)
    d.save(str(path))


def count_pages(path: Path) -> int:
    out = path.parent / "pdf"
    profile = (path.parent / ".lo-profile").as_uri()
    subprocess.run(
        ["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf", "--outdir", str(out),
         str(path)],
        capture_output=True, check=True, timeout=3600,
    )  # fmt: skip
    info = subprocess.run(["pdfinfo", str(out / f"{path.stem}.pdf")], capture_output=True, text=True, check=True)
    return int(next(line.split()[-1] for line in info.stdout.splitlines() if line.startswith("Pages:")))


def load_result():
    from impactcheck.core.answers import evaluate_submission, load_submission
    from impactcheck.core.registry import resolve_ruleset

    return evaluate_submission(resolve_ruleset("kassel-2030"), load_submission(ANSWERS))


def baseline(data: bytes) -> bytes:
    import docx

    out = io.BytesIO()
    docx.Document(io.BytesIO(data)).save(out)
    return out.getvalue()


def timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


# One fresh process per run: imports, reading the file, the work, writing the result; then its peak RSS.
PROCESS = """
import io, json, sys, time
start = time.perf_counter()
data = open(sys.argv[2], "rb").read()
if sys.argv[1] == "python-docx":
    import docx
    out = io.BytesIO()
    docx.Document(io.BytesIO(data)).save(out)
    result = out.getvalue()
else:
    from impactcheck.core.answers import evaluate_submission, load_submission
    from impactcheck.core.registry import resolve_ruleset
    from impactcheck.word import Limits, insert_section
    r = evaluate_submission(resolve_ruleset("kassel-2030"), load_submission(sys.argv[3]))
    result = insert_section(data, r, chart=sys.argv[1] == "impactcheck", limits=Limits(max_bytes=64 << 20)).docx
open(sys.argv[4], "wb").write(result)
seconds = time.perf_counter() - start
# VmHWM, the peak resident size of this process image (ru_maxrss would include the parent's, kept over exec)
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"seconds": seconds, "max_rss_mb": hwm / 1024}))
"""


def cold(variant: str, path: Path, repeat: int) -> tuple[float, float]:
    runs = []
    for _ in range(repeat):
        proc = subprocess.run(
            [sys.executable, "-c", PROCESS, variant, str(path), str(ANSWERS), str(CACHE / f"out-{variant}.docx")],
            capture_output=True, text=True, check=True, cwd=ROOT, env=child_env(),
        )  # fmt: skip
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return statistics.median(r["seconds"] for r in runs), max(r["max_rss_mb"] for r in runs)


def two_pages(path: Path) -> None:
    """A short paper: what a council paper usually is, and where import costs dominate."""
    import docx

    d = docx.Document()
    d.add_heading("Beschlussvorlage 101.26.0601: Ersatz der Heizungsanlage in der Kita Wolfsanger", 1)
    for _ in range(14):
        d.add_paragraph(TEXT + ". " + TEXT + ".")
    d.add_heading("Finanzielle Auswirkungen", 2)
    d.add_paragraph("Die Kosten betragen 180.000 Euro.")
    d.add_heading("Anlagen", 2)
    d.add_paragraph("Lageplan")
    d.save(path)


def processes(paper: Path, label: str, repeat: int) -> None:
    """`impactcheck docx insert` (--result, and --rules with --answers; with and without chart) and the insertion
    of a stored Result against python-docx open+save, each a whole process, interleaved run by run so that a busy
    machine slows all alike."""
    py = sys.executable
    script = shutil.which("impactcheck", path=str(Path(py).parent)) or shutil.which("impactcheck")
    works = (
        script and subprocess.run([script, "--help"], capture_output=True, cwd=ROOT, env=child_env()).returncode == 0
    )
    cli = [script] if works else [py, "-m", "impactcheck"]  # the installed command, else the package here
    env = {"IMPACTCHECK_UPLOAD_MAX_BYTES": str(64 << 20)}  # the large paper is above the upload default
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "out.docx")
        stored = Path(tmp) / "result.json"
        stored.write_text(json.dumps(load_result().to_dict(), ensure_ascii=False), encoding="utf-8")
        variants = {
            "python-docx": [py, "-c", f"import docx; docx.Document({str(paper)!r}).save({out!r})"],
            "result": [*cli, "docx", "insert", "--result", str(stored), str(paper), "-o", out],
            "result-no-chart": [*cli, "docx", "insert", "--result", str(stored), str(paper), "-o", out, "--no-chart"],
            "stored": [py, "-c", STORED, str(stored), str(paper), out],
            "chart": [*cli, "docx", "insert", "--rules", "kassel-2030", "--answers", str(ANSWERS), str(paper),
                      "-o", out],
            "no-chart": [*cli, "docx", "insert", "--rules", "kassel-2030", "--answers", str(ANSWERS), str(paper),
                         "-o", out, "--no-chart"],
        }  # fmt: skip
        runs: dict[str, list[float]] = {k: [] for k in variants}
        cpu: dict[str, list[float]] = {k: [] for k in variants}
        for i in range(repeat + 1):  # the first round warms the file cache and the bytecode
            for name, cmd in variants.items():
                start, before = time.perf_counter(), _children_cpu()
                subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=ROOT, env=child_env(**env))
                if i:
                    runs[name].append(time.perf_counter() - start)
                    cpu[name].append(_children_cpu() - before)
        with zipfile.ZipFile(out) as zf:
            assert not any("klimacheck-diagramm" in n for n in zf.namelist())  # the last run: --no-chart
    wall = {k: statistics.median(v) for k, v in runs.items()}
    used = {k: statistics.median(v) for k, v in cpu.items()}
    command = " ".join(Path(c).name for c in cli)
    print(f"whole process ({command}), {label}, median of {repeat}; python-docx open+save {wall['python-docx']:.3f} s "
          f"(CPU {used['python-docx']:.3f} s) = 1.00")  # fmt: skip

    def row(key: str, what: str) -> None:
        print(f"    {what:<58} {wall[key]:.3f} s  ratio {wall[key] / wall['python-docx']:.2f}  "
              f"(CPU ratio {used[key] / used['python-docx']:.2f})")  # fmt: skip

    print("  the insertion (goal ≤ 1.15):")
    row("result", "docx insert --result (the JSON of `assess`), with chart")
    row("result-no-chart", "docx insert --result, without chart")
    row("stored", "a stored Result, with chart (the web app's Word path)")
    print("  assessment and insertion in one command (loads, validates and evaluates the rule set):")
    row("chart", "docx insert --rules --answers, with chart")
    row("no-chart", "docx insert --rules --answers, without chart")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# The Word path alone, as the web app and `--check` take it: a stored Result, the section with its chart.
STORED = """
import json, sys
from impactcheck.core.result import result_from_dict
from impactcheck.word import Limits, insert_section
result = result_from_dict(json.load(open(sys.argv[1], encoding="utf-8")))
data = open(sys.argv[2], "rb").read()
open(sys.argv[3], "wb").write(insert_section(data, result, limits=Limits(max_bytes=64 << 20)).docx)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--image-mb", type=float, default=18)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--small-only", action="store_true", help="only the 2-page paper, as whole processes")
    parser.add_argument("--count-pages", action="store_true", help="render once with LibreOffice to count pages")
    parser.add_argument("--no-pycache", action="store_true", help="no shared bytecode cache (see the docstring)")
    args = parser.parse_args()
    global USE_PYCACHE
    USE_PYCACHE = not args.no_pycache
    if USE_PYCACHE:
        print(f"bytecode: every process reads it from {PYCACHE.relative_to(ROOT)}/ (written in the warm-up round)")
    else:
        print(
            f"bytecode: as the environment says (PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE')})"
        )

    small = CACHE / "paper-2p.docx"
    small.parent.mkdir(parents=True, exist_ok=True)
    two_pages(small)
    processes(small, "2-page paper", args.repeat)
    if args.small_only:
        return

    path = CACHE / f"paper-{args.pages}p-{args.image_mb:g}mb.docx"
    if not path.exists():
        t = time.perf_counter()
        generate(path, args.pages, args.image_mb)
        print(f"generated {path.name} in {time.perf_counter() - t:.1f} s")
    data = path.read_bytes()
    processes(path, f"{args.pages}-page paper", args.repeat)

    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        media = sum(i.file_size for i in zf.infolist() if i.filename.startswith("word/media/"))
        xml = zf.getinfo("word/document.xml").file_size
    print(f"paper: {len(data) / 2**20:.1f} MB file, {media / 2**20:.1f} MB images, document.xml {xml / 2**20:.1f} MB")
    if args.count_pages:
        print(f"pages (LibreOffice): {count_pages(path)}")

    from impactcheck.word import Limits, insert_section

    result = load_result()
    limits = Limits(max_bytes=64 << 20)

    def ours() -> bytes:
        return insert_section(data, result, limits=limits).docx

    def ours_no_chart() -> bytes:
        return insert_section(data, result, limits=limits, chart=False).docx

    baseline(data), ours(), ours_no_chart()  # warm-up: imports, caches
    base, mine, bare = [], [], []
    for _ in range(args.repeat):
        base.append(timed(baseline, data))
        mine.append(timed(ours))
        bare.append(timed(ours_no_chart))
    b, m, n = statistics.median(base), statistics.median(mine), statistics.median(bare)
    print(f"warm, median of {args.repeat}: python-docx open+save {b:.3f} s · insert_section {m:.3f} s "
          f"(without chart {n:.3f} s) · ratio {m / b:.2f} (without chart {n / b:.2f})")  # fmt: skip

    cb, rb = cold("python-docx", path, args.repeat)
    cm, rm = cold("impactcheck", path, args.repeat)
    cn, rn = cold("impactcheck-no-chart", path, args.repeat)
    print(f"cold, one process per run, median of {args.repeat}: python-docx {cb:.3f} s · insert_section {cm:.3f} s "
          f"(without chart {cn:.3f} s) · ratio {cm / cb:.2f} (without chart {cn / cb:.2f})")  # fmt: skip
    print(f"peak memory (VmHWM): python-docx {rb:.0f} MB · insert_section {rm:.0f} MB (without chart {rn:.0f} MB)")


if __name__ == "__main__":
    main()
