"""Benchmark: insert the Klimacheck section into a ~1,000-page paper with ~18 MB of images.

Compares, in the same run and on the same file, python-docx's own open+save (the baseline) with
`impactcheck.word.insert_section` (section with chart, negative example with an alternative, inserted after
"Finanzielle Auswirkungen"). Prints the median times and their ratio (target ≤ 1.15), measured twice:
warm (in this process, imports done, repeated) and cold (a fresh process per run, as the CLI pays it), and
the peak memory (VmHWM, peak resident set) of each variant in its own process.

The paper is generated once (random-noise PNGs, so the images do not compress away) and cached in
artifacts/bench/.

    python bench/bench_docx_insert.py [--pages 1000] [--image-mb 18] [--repeat 5] [--count-pages]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "artifacts" / "bench"
ANSWERS = ROOT / "impactcheck" / "rules" / "examples" / "kassel-2030" / "gasheizung-kita.yaml"
WORDS_PER_PAGE = (
    336  # LibreOffice lays out 1,000 pages of this generator's A4 Letter pages (checked with --count-pages)
)
TEXT = (
    "Der Magistrat wird beauftragt die Maßnahme im Rahmen der verfügbaren Haushaltsmittel umzusetzen und dem "
    "Ausschuss über den Fortschritt zu berichten Die Planung berücksichtigt die Vorgaben des Klimaschutzkonzepts "
    "der Stadt sowie die Stellungnahmen der Ortsbeiräte und der Fachämter zur Barrierefreiheit"
)
WORDS = TEXT.split(" ")


def generate(path: Path, pages: int, image_mb: float) -> None:
    import random

    import docx
    import numpy as np
    from docx.shared import Cm
    from PIL import Image

    rng = np.random.default_rng(2026)
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
            noise = rng.integers(0, 256, size=(side, side, 3), dtype=np.uint8)
            buf = io.BytesIO()
            Image.fromarray(noise).save(buf, format="PNG", compress_level=1)
            buf.seek(0)
            d.add_picture(buf, width=Cm(8))
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
            capture_output=True, text=True, check=True, cwd=ROOT,
        )  # fmt: skip
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return statistics.median(r["seconds"] for r in runs), max(r["max_rss_mb"] for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--image-mb", type=float, default=18)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--count-pages", action="store_true", help="render once with LibreOffice to count pages")
    args = parser.parse_args()

    path = CACHE / f"paper-{args.pages}p-{args.image_mb:g}mb.docx"
    if not path.exists():
        t = time.perf_counter()
        generate(path, args.pages, args.image_mb)
        print(f"generated {path.name} in {time.perf_counter() - t:.1f} s")
    data = path.read_bytes()
    import zipfile

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
