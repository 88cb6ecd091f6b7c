"""CI: the wheel works without the checkout.

Builds the wheel, installs it into a fresh venv in a temporary folder (dependencies from PyPI), and
from there – not from the checkout – runs `rules check`, `assess` on a shipped example, `docx insert`,
then `impactcheck serve` on its default instance folder (inside the venv): /healthz, the style sheet,
and one full check through HTTP (log-in, paper, screening, quick-exit reason, submit, result, Word
section). Exit 0 when all of it works; otherwise the failing step and its output.

    python .ci/wheel_smoke.py
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]
PASSWORD = "wheel-passwort-lang"
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
VERSION = re.compile(r'name="version"[^>]*value="(-?\d+)"|value="(-?\d+)"[^>]*name="version"')

# Runs inside the venv: what the installed package ships, found through the package, not the checkout.
SHIPPED = """
import json, sys
from impactcheck.core.registry import resolve_ruleset, rules_dir
step = resolve_ruleset("kassel-2030").steps[0]
topics = [q.id for q in step.questions if q.type == "yes_no" and q.id.startswith("betrifft_")]
print(json.dumps({"rules": str(rules_dir()), "topics": topics}))
"""


def step(what: str, args: list[str], **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run(args, capture_output=True, text=True, check=False, **kw)
    if proc.returncode != 0:
        sys.exit(f"wheel smoke: {what} failed ({proc.returncode})\n{proc.stdout}\n{proc.stderr}")
    print(f"ok  {what}")
    return proc


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def token(html: str) -> str:
    m = TOKEN.search(html)
    return m.group(1) or m.group(2)


def version(html: str) -> str:
    m = VERSION.search(html)
    return m.group(1) or m.group(2)


def full_check(base: str, topics: list[str]) -> None:
    import requests

    http = requests.Session()

    def post(path: str, page: str, data: dict, expect: int = 302) -> requests.Response:
        r = http.post(base + path, data={"csrf_token": token(page), **data}, allow_redirects=False, timeout=30)
        if r.status_code != expect:
            sys.exit(f"wheel smoke: POST {path}: {r.status_code}\n{r.text[:2000]}")
        return r

    def get(path: str) -> requests.Response:
        r = http.get(base + path, timeout=30)
        if r.status_code != 200:
            sys.exit(f"wheel smoke: GET {path}: {r.status_code}\n{r.text[:2000]}")
        return r

    if get("/healthz").text.strip() == "":
        sys.exit("wheel smoke: /healthz answered nothing")
    css = get("/login").text
    style = re.search(r'href="(/static/[^"]*style[^"]*\.css[^"]*)"', css)
    if not style or "body" not in get(style.group(1)).text:
        sys.exit("wheel smoke: the page's style sheet is not served")
    post("/login", css, {"username": "autorin", "password": PASSWORD})
    form = get("/klimachecks/neu").text
    paper = {
        "reference": "WHL-2026-001",
        "title": "Bericht des Amtes für Statistik zur Kenntnisnahme",
        "department": "Amt für Statistik",
        "committee": "Haupt- und Finanzausschuss",
        "ruleset": "kassel-2030",
    }
    location = post("/klimachecks/neu", form, paper).headers["Location"]
    check_id = int(re.search(r"/klimachecks/(\d+)/", location).group(1))
    screening = f"/klimachecks/{check_id}/schritt/vorpruefung"
    page = get(screening).text
    answers = {"entscheidung_art": "massnahme", **dict.fromkeys(topics, "nein")}
    location = post(screening, page, {**answers, "version": version(page), "action": "next"}).headers["Location"]
    page = get(location.removeprefix(base)).text
    reason = {"exit_reason": "information", "exit_explanation": "Die Vorlage berichtet nur."}
    post(location.removeprefix(base), page, {**reason, "version": version(page), "action": "next"})
    review = get(f"/klimachecks/{check_id}/pruefen").text
    post(f"/klimachecks/{check_id}/einreichen", review, {"version": version(review)})
    if "eingereicht" not in get(f"/klimachecks/{check_id}").text:
        sys.exit("wheel smoke: the result page does not say the check is submitted")
    section = get(f"/klimachecks/{check_id}/klimacheck.docx").content
    if not section.startswith(b"PK"):
        sys.exit("wheel smoke: the Word section is not a .docx")
    print(f"    Klimacheck {check_id} submitted, Word section {len(section)} bytes")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="impactcheck-wheel.") as tmp:
        work = Path(tmp)
        shutil.rmtree(CHECKOUT / "build", ignore_errors=True)  # setuptools' leftovers could ship deleted files
        step(
            "build the wheel", [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(work), str(CHECKOUT)]
        )
        wheel = next(work.glob("impactcheck-*.whl"))
        venv = work / "venv"
        step("create a fresh venv", [sys.executable, "-m", "venv", str(venv)])
        bin_ = venv / "bin"
        step("install the wheel", [str(bin_ / "pip"), "install", "-q", str(wheel)])
        env = {k: v for k, v in os.environ.items() if not k.startswith("IMPACTCHECK_") and k != "PYTHONPATH"}
        run = {"cwd": work, "env": env}  # outside the checkout, nothing of it on the path
        import json

        shipped = json.loads(step("find the shipped rules", [str(bin_ / "python"), "-c", SHIPPED], **run).stdout)
        if str(CHECKOUT) in shipped["rules"] or not shipped["rules"].startswith(str(venv)):
            sys.exit(f"wheel smoke: rules found at {shipped['rules']}, not in the venv")
        cli = str(bin_ / "impactcheck")
        checked = step("impactcheck rules check", [cli, "rules", "check"], **run)
        if str(venv) not in checked.stdout:
            sys.exit(f"wheel smoke: rules check did not check the installed rules\n{checked.stdout}")
        example = Path(shipped["rules"]) / "examples" / "kassel-2030" / "parkhaus-neubau" / "schaetzt.yaml"
        step("impactcheck assess", [cli, "assess", "--rules", "kassel-2030", str(example)], **run)
        paper = work / "vorlage.docx"
        step("write a Word file", [str(bin_ / "python"), "-c", f"import docx; docx.Document().save({str(paper)!r})"])
        step(
            "impactcheck docx insert",
            [
                cli,
                "docx",
                "insert",
                str(paper),
                "--rules",
                "kassel-2030",
                "--answers",
                str(example),
                "-o",
                str(work / "mit-klimacheck.docx"),
            ],
            **run,
        )
        step("impactcheck db upgrade", [cli, "db", "upgrade"], **run)
        step(
            "impactcheck users add", [cli, "users", "add", "autorin", "--role", "author"], input=PASSWORD + "\n", **run
        )
        port = free_port()
        server = subprocess.Popen(
            [cli, "serve", "--port", str(port)], cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(200):
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1):
                        break
                except OSError:
                    if server.poll() is not None:
                        sys.exit(f"wheel smoke: serve ended\n{server.stdout.read().decode()}")
                    time.sleep(0.1)
            print("ok  impactcheck serve")
            # The HTTP client runs on the venv's python: requests is one of the package's dependencies.
            checked = step(
                "one full check through HTTP",
                [str(bin_ / "python"), __file__, "--http", base, json.dumps(shipped["topics"])],
                **run,
            )
            print(checked.stdout, end="")
        finally:
            server.terminate()
            server.wait(timeout=30)
        instance = venv / "var" / "impactcheck-instance"
        if not (instance / "impactcheck.sqlite3").is_file():
            sys.exit(f"wheel smoke: the default instance folder {instance} holds no database")
        print(f"ok  instance folder {instance}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--http"]:
        import json

        full_check(sys.argv[2], json.loads(sys.argv[3]))
    else:
        main()
