"""Benchmark: what hostile and very large Word files cost, through the CLI and through the running server.

Builds the files itself (tests/word/hostile.py): the worst ones the limits accept – the largest Word-like
document.xml, the most blocks per byte, the most headings, the largest styles part – and the hostile ones
the check refuses (the issue's 199 MiB document.xml, a ZIP whose directory understates a size and has a
bad CRC, a UTF-32 part without byte-order mark, nesting deeper than the parser allows).

CLI: `impactcheck docx insert` in a fresh process per file; wall time and peak resident memory (ru_maxrss of
that process), next to the same for a short ordinary paper (the fixed base).

Web: `impactcheck serve` (waitress, 8 threads, SQLite in a temporary instance) as a separate process; each
file is posted to "Word-Datei mit Klimacheck" of a submitted check; time, and the server's peak resident
memory during the request (VmHWM, reset before each file through /proc/PID/clear_refs). Meanwhile a second
client keeps saving a wizard step and asking /healthz; the slowest of its answers during each file is shown.
Last, six of the largest accepted files at once: how many were processed, how many asked to come back, the
server's peak memory, and the slowest wizard save meanwhile.

    python bench/bench_hostile_uploads.py [--quick] [--no-web] [--no-cli]
"""

from __future__ import annotations

import argparse
import html
import itertools
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from tests.word import docs, hostile  # noqa: E402
from tests.word.hostile import MB, Entry  # noqa: E402

ANSWERS = ROOT / "impactcheck/rules/examples/kassel-2030/gasheizung-ersatz-kita/schaetzt.yaml"
PASSWORD = "ein-langes-bench-passwort"
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
VERSION = re.compile(r'name="version"[^>]*value="(-?\d+)"|value="(-?\d+)"[^>]*name="version"')
from tests.web.flows import SCREEN_NO  # noqa: E402  (the screening read from the rule set)

# --- the files --------------------------------------------------------------------------------------------


def build_files(quick: bool) -> dict[str, tuple[bytes, str]]:
    """name -> (docx, what it is); built from a short ordinary paper."""
    good = docs.make(docs.beschlussvorlage)
    scale = 0.25 if quick else 1.0
    styles = docs.members(good)["word/styles.xml"]
    many_styles = b"".join(b'<w:style w:type="character" w:styleId="s%d"/>' % i for i in range(int(85_000 * scale)))
    heading = b'<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>Abschnitt %d</w:t></w:r></w:p>'
    text = docs.members(good)["word/document.xml"].decode()
    body = text[text.index("?>") + 2 :]
    big_doc = b"".join(hostile.document_xml(hostile.word_paragraphs(200_000)))
    packed, _, _ = hostile.deflated([big_doc, *(b" " * MB for _ in range(int(3900 * scale)))])
    files = {
        "ordinary paper (base)": (good, "accepted"),
        "Word-like document.xml, 60 MB": (
            hostile.with_document(good, hostile.word_paragraphs(int(60 * MB * scale))),
            "accepted: the largest within 4,000,000 nodes",
        ),
        "empty paragraphs, 3.9 million": (
            hostile.with_document(good, hostile.empty_paragraphs(int(3_900_000 * scale))),
            "accepted: the most blocks per byte",
        ),
        "headings only, 34,000": (
            hostile.with_document(good, [heading % i for i in range(int(34_000 * scale))]),
            "accepted: near the tree limit (300,000 nodes held as a tree)",
        ),
        "styles.xml with 85,000 styles": (
            hostile.raw_zip(
                hostile.replaced(
                    good, s=Entry("word/styles.xml", styles.replace(b"</w:styles>", many_styles + b"</w:styles>"))
                )
            ),
            "accepted: a part read whole, near the tree limit",
        ),
        "199 MiB document.xml in 1.4 MB": (
            hostile.with_document(good, hostile.repeated_paragraphs(199 * MB)),
            "refused (the issue's file)",
        ),
        "directory says 200 KB, inflates 3.9 GB, bad CRC": (
            hostile.raw_zip(
                hostile.replaced(good, x=Entry("word/document.xml", b"", packed=packed, crc=1, size=len(big_doc)))
            ),
            "refused (the issue's ZIP)",
        ),
        "UTF-32 document.xml without BOM": (
            hostile.raw_zip(
                hostile.replaced(
                    good,
                    x=Entry(
                        "word/document.xml", ('<?xml version="1.0" encoding="UTF-32"?>' + body).encode("utf-32-le")
                    ),
                )
            ),
            "refused (used to hang)",
        ),
        "nesting 300 deep": (hostile.with_document(good, [hostile.nested(300)]), "refused"),
    }
    return files


# --- CLI ----------------------------------------------------------------------------------------------------


def cli_table(files: dict[str, tuple[bytes, str]]) -> None:
    print("\n== CLI: impactcheck docx insert, one fresh process per file ==")
    print(f"{'file':<48} {'docx':>7} {'time':>7} {'peak':>8}  exit  result")
    with tempfile.TemporaryDirectory() as tmp:
        for name, (data, _what) in files.items():
            seconds, peak, code, line = run_cli(data, Path(tmp))
            print(f"{name:<48} {len(data) / MB:6.1f}M {seconds:6.1f}s {peak:6.0f}MB  {code:>4}  {_short(line)}")


def run_cli(data: bytes, folder: Path) -> tuple[float, float, int, str]:
    """(seconds, peak MB, exit status, last line of output) of one `docx insert`, in a wrapper process of its
    own so that the peak (RUSAGE_CHILDREN) is that of this one run."""
    source, output = folder / "in.docx", folder / "out.docx"
    source.write_bytes(data)
    output.unlink(missing_ok=True)
    wrapper = (
        "import resource, subprocess, sys, time\n"
        "t = time.monotonic()\n"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "line = (p.stderr or p.stdout).strip().splitlines()[-1:] or ['']\n"
        "print(time.monotonic() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, p.returncode)\n"
        "print(line[0])\n"
    )
    command = [sys.executable, "-m", "impactcheck", "docx", "insert", "--rules", "kassel-2030", "--answers",
               str(ANSWERS), str(source), "-o", str(output)]  # fmt: skip
    proc = subprocess.run([sys.executable, "-c", wrapper, *command], capture_output=True, text=True, cwd=ROOT)
    first, line = [*proc.stdout.splitlines(), "", ""][:2]
    seconds, peak, code = first.split()
    return float(seconds), float(peak), int(code), line


def _short(line: str) -> str:
    line = re.sub(r"^(impactcheck: )?\S+: ", "", line)
    line = re.sub(r"^\S+out\.docx: ", "", line)
    return line[:90]


# --- web ------------------------------------------------------------------------------------------------------


class Client:
    def __init__(self, base: str):
        self.base, self.http, self.html = base, requests.Session(), ""

    def get(self, path: str) -> requests.Response:
        r = self.http.get(self.base + path, allow_redirects=False, timeout=300)
        if r.status_code == 200:
            self.html = r.text
        return r

    def post(self, path: str, data: dict, files: dict | None = None) -> requests.Response:
        m = TOKEN.search(self.html)
        payload = {"csrf_token": m.group(1) or m.group(2), **data}
        return self.http.post(self.base + path, data=payload, files=files, allow_redirects=False, timeout=300)

    def login(self, user: str) -> Client:
        self.get("/login")
        assert self.post("/login", {"username": user, "password": PASSWORD}).status_code == 302
        return self

    def start(self) -> str:
        self.get("/klimachecks/neu")
        # A reference of its own: a second author starting the same paper is asked first whether to go on.
        paper = {"reference": f"101.26.{next(_REFERENCES):04d}", "title": "Benchmark", "department": "Amt",
                 "committee": "Ausschuss", "meeting_date": "2026-12-08", "ruleset": "kassel-2030"}  # fmt: skip
        r = self.post("/klimachecks/neu", paper)
        assert r.status_code == 302, r.text[:500]
        return r.headers["Location"].replace(self.base, "")

    def submitted_check(self) -> int:
        step = self.start()
        check_id = int(re.search(r"/klimachecks/(\d+)/", step).group(1))
        for name, data in (
            ("vorpruefung", SCREEN_NO),
            ("exit", {"exit_reason": "information", "exit_explanation": "Nur ein Bericht."}),
        ):
            self.get(f"/klimachecks/{check_id}/schritt/{name}")
            r = self.post(f"/klimachecks/{check_id}/schritt/{name}", {**data, "version": _version(self.html)})
            assert r.status_code == 302, r.text[:500]
        self.get(f"/klimachecks/{check_id}/pruefen")
        r = self.post(f"/klimachecks/{check_id}/einreichen", {"version": _version(self.html)})
        assert r.status_code == 302, r.text[:500]
        return check_id


_REFERENCES = itertools.count(601)


def _version(html: str) -> str:
    m = VERSION.search(html)
    return m.group(1) or m.group(2)


class Server:
    """`impactcheck serve` in its own process, on a fresh SQLite instance."""

    def __init__(self, folder: Path):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "IMPACTCHECK_INSTANCE": str(folder),
            "IMPACTCHECK_DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
        }
        for user in ("autor", "autor2"):
            subprocess.run([sys.executable, "-m", "impactcheck", "users", "add", user, "--role", "author"],
                           input=PASSWORD + "\n", text=True, check=True, env=self.env, cwd=ROOT,
                           capture_output=True)  # fmt: skip
        self.log = (folder / "server.log").open("w")  # open as long as the server runs
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "impactcheck", "serve", "--port", str(self.port)],
            env=self.env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=self.log,
        )  # fmt: skip
        for _ in range(200):
            try:
                if requests.get(self.base + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError("server did not start")

    def reset_peak(self) -> None:
        Path(f"/proc/{self.proc.pid}/clear_refs").write_text("5")

    def memory(self, field: str) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        self.log.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Prober:
    """Another author saving a wizard step, and /healthz, again and again: (time, seconds, status) of each."""

    def __init__(self, base: str):
        self.client = Client(base).login("autor2")
        self.step = self.client.start()
        self.samples: list[tuple[float, float, int]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.is_set():
            begun = time.monotonic()
            page = self.client.get(self.step)
            sent = self.client.post(self.step, {**SCREEN_NO, "version": _version(page.text), "action": "save"})
            health = requests.get(self.client.base + "/healthz", timeout=300)
            status = max(page.status_code, sent.status_code if sent.status_code != 302 else 200, health.status_code)
            self.samples.append((begun, time.monotonic() - begun, status))
            time.sleep(0.05)

    def during(self, start: float, end: float) -> tuple[int, float, int]:
        """(answers, slowest seconds, worst status) of the probes that began in [start, end]."""
        inside = [s for s in self.samples if start <= s[0] <= end]
        if not inside:
            return 0, 0.0, 0
        return len(inside), max(s[1] for s in inside), max(s[2] for s in inside)


def web_table(files: dict[str, tuple[bytes, str]], worst: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp))
        try:
            author = Client(server.base).login("autor")
            check_id = author.submitted_check()
            prober = Prober(server.base)
            time.sleep(1)
            idle = [s[1] for s in prober.samples]
            print(f"\n== Web: impactcheck serve (waitress, 8 threads), pid {server.proc.pid} ==")
            rss = server.memory("VmRSS")
            print(f"idle: resident {rss:.0f} MB; wizard save + /healthz {statistics.median(idle):.2f} s")
            print(
                f"{'file':<48} {'time':>7} {'peak':>8} {'+':>6} {'rss after':>10}  {'saves':>5} {'slowest':>8}  result"
            )
            for name, (data, _what) in files.items():
                author.get(f"/klimachecks/{check_id}")
                rss = server.memory("VmRSS")
                server.reset_peak()
                begun = time.monotonic()
                r = author.post(f"/klimachecks/{check_id}/vorlage.docx", {"annex": "none"},
                                files={"paper": ("vorlage.docx", data, "application/octet-stream")})  # fmt: skip
                seconds = time.monotonic() - begun
                result = _web_result(author, r, check_id)
                count, slowest, worst_status = prober.during(begun, begun + seconds)
                peak = server.memory("VmHWM")
                print(f"{name:<48} {seconds:6.1f}s {peak:6.0f}MB {peak - rss:5.0f}M {server.memory('VmRSS'):8.0f}MB"
                      f"  {count:>5} {slowest:7.2f}s  {result}")  # fmt: skip
                assert worst_status < 500
            _repeated(server, author, check_id, files)
            _parallel(server, prober, check_id, worst)
            prober.stop.set()
            prober.thread.join()  # before the server goes away under it
        finally:
            server.stop()


def _web_result(client: Client, r: requests.Response, check_id: int) -> str:
    if r.status_code == 200:
        return f"inserted ({len(r.content) / MB:.1f} MB docx)"
    if r.status_code == 302:
        page = client.get(f"/klimachecks/{check_id}").text
        m = re.search(r'class="notice notice--error"[^>]*><p>(.*?)</p>', page, re.S)
        return ("refused: " + _short(html.unescape(m.group(1)))) if m else "redirect"
    return f"HTTP {r.status_code}"


def _repeated(server: Server, author: Client, check_id: int, files: dict[str, tuple[bytes, str]]) -> None:
    """The accepted large files again, three rounds: memory is given back, not held (resident after each)."""
    after = []
    for _ in range(3):
        for name, (data, what) in files.items():
            if what.startswith("accepted") and "base" not in name:
                author.get(f"/klimachecks/{check_id}")
                author.post(f"/klimachecks/{check_id}/vorlage.docx", {"annex": "none"},
                            files={"paper": ("vorlage.docx", data, "application/octet-stream")})  # fmt: skip
                after.append(server.memory("VmRSS"))
    print(
        "\nresident after each of 3 rounds of the accepted large files: " + ", ".join(f"{a:.0f}" for a in after) + " MB"
    )


def _parallel(server: Server, prober: Prober, check_id: int, worst: bytes, n: int = 6) -> None:
    clients = [Client(server.base).login("autor") for _ in range(n)]
    for c in clients:
        c.get(f"/klimachecks/{check_id}")
    server.reset_peak()
    begun = time.monotonic()

    def post(c: Client) -> requests.Response:
        return c.post(f"/klimachecks/{check_id}/vorlage.docx", {"annex": "none"},
                      files={"paper": ("vorlage.docx", worst, "application/octet-stream")})  # fmt: skip

    with ThreadPoolExecutor(n) as pool:
        answers = list(pool.map(post, clients))
    seconds = time.monotonic() - begun
    inserted = sum(r.status_code == 200 for r in answers)
    busy = sum(r.status_code == 503 and "Retry-After" in r.headers for r in answers)
    errors = sum(r.status_code >= 500 for r in answers) - busy
    count, slowest, worst_status = prober.during(begun, begun + seconds)
    print(f"\n{n} of the largest accepted files at once: {inserted} inserted, {busy} asked to try again later, "
          f"{errors} errors; {seconds:.1f} s in all; server peak "
          f"{server.memory('VmHWM'):.0f} MB; meanwhile {count} wizard saves, slowest {slowest:.2f} s, "
          f"worst status {worst_status}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a quarter of the sizes")
    parser.add_argument("--no-web", action="store_true")
    parser.add_argument("--no-cli", action="store_true")
    args = parser.parse_args()
    started = time.monotonic()
    files = build_files(args.quick)
    print(f"built {len(files)} files in {time.monotonic() - started:.1f} s:")
    for name, (data, what) in files.items():
        print(f"  {name:<48} {len(data) / MB:6.1f} MB  {what}")
    if not args.no_cli:
        cli_table(files)
    if not args.no_web:
        web_table(files, files["Word-like document.xml, 60 MB"][0])


if __name__ == "__main__":
    main()
