"""A local OParl 1.1 server for the tests: the specification's examples plus papers of a fictitious town.

The examples are read from ../shared/reference/oparl/examples/ at start (never copied into the project),
their URLs rewritten to this server's address. Beside them: Beschlussvorlagen of our own with a .docx
main file made by python-docx, consultations in committees with meetings, departments as organisations,
and the body's paper list paged by `links.next`. And the ways a council information system goes wrong:
a non-OParl JSON answer, an HTML page, a 50 MB main file (streamed without Content-Length, from one
1 MB buffer), a redirect to another host, a redirect within the host, a slow answer.

    with OparlServer() as server:
        server.url                  # http://127.0.0.1:<port>   (the System is at server.url + "/")
        server.requests             # (host header, path) of every request seen
"""

from __future__ import annotations

import io
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support import SHARED

EXAMPLES = SHARED / "reference" / "oparl" / "examples"
SCHEMAS = SHARED / "reference" / "oparl" / "schema"
EXAMPLE_HOST = "https://oparl.example.org"
T = "https://schema.oparl.org/1.1/"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PAGE_SIZE = 3
BIG_BYTES = 50 * 1024 * 1024
SLOW_SECONDS = 3.0
DRIP_SECONDS = 4.0

# Departments and committees of the fictitious town (organisation id -> name, type).
ORGANIZATIONS = {
    "1": ("Rat der Stadt", "Gremium"),
    "41": ("Ausschuss für Umwelt, Klimaschutz und Energie", "Gremium"),
    "42": ("Bau- und Planungsausschuss", "Gremium"),
    "65": ("Amt für Hochbau und Gebäudebewirtschaftung", "Verwaltungsbereich"),
    "66": ("Straßenverkehrs- und Tiefbauamt", "Verwaltungsbereich"),
    "96": ("Ausschuss für Haushalt und Finanzen", "Gremium"),
    "2000": ("Kämmerei", "Verwaltungsbereich"),
}
MEETINGS = {
    "301": ("5. Sitzung des Ausschusses für Umwelt, Klimaschutz und Energie", "2026-12-08T16:00:00+01:00", "41"),
    "302": ("12. Sitzung des Rates der Stadt", "2026-12-17T15:00:00+01:00", "1"),
    "303": ("7. Sitzung des Bau- und Planungsausschusses", "2027-01-14T17:00:00+01:00", "42"),
    "243": ("3. Sitzung des Ausschusses für Haushalt und Finanzen", "2014-05-06T16:00:00+02:00", "96"),
}
# Our papers: id -> (reference, title, date, type, department, [(committee, role, meeting)], main file)
PAPERS: dict[str, tuple] = {
    "0815": (
        "0815/2026",
        "Ersatz der Gasheizung in der Kita Am Park durch eine Luft-Wasser-Wärmepumpe",
        "2026-11-10",
        "Beschlussvorlage",
        "65",
        [("41", "Vorberatung", "301"), ("1", "Beschlussfassung", "302")],
        "0815.docx",
    ),
    "0816": (
        "0816/2026",
        "Markierung von Radfahrstreifen in der Friedrich-Ebert-Straße",
        "2026-11-12",
        "Beschlussvorlage",
        "66",
        [("42", "Vorberatung", "303"), ("1", "Beschlussfassung", "302")],
        "0816.pdf",
    ),
    "0790": (
        "0790/2026",
        "Klimaschutzbericht 2025 der Stadtverwaltung",
        "2026-10-01",
        "Mitteilungsvorlage",
        "65",
        [("41", "Kenntnisnahme", "301")],
        None,
    ),
    "0801": (
        "0801/2026",
        "Haushaltssatzung 2027: Investitionsprogramm Schulbau",
        "2026-10-20",
        "Beschlussvorlage",
        "2000",
        [("96", "Vorberatung", None), ("1", "Beschlussfassung", "302")],
        None,
    ),
    "0820": (
        "0820/2026",
        "Aufstellung des Bebauungsplans Nr. 112 „Am Mühlbach“",
        "2026-11-20",
        "Beschlussvorlage",
        "66",
        [("42", "Beschlussfassung", "303")],
        None,
    ),
    "0821": (
        "0821/2026",
        "Neubau der Feuerwache Nord",
        "2026-11-21",
        "Beschlussvorlage",
        "65",
        [("42", "Vorberatung", "303")],
        "gross.docx",
    ),
    "0822/1": (
        "0822/2026/1",
        "Änderungsantrag zur Parkgebührensatzung",
        "2026-11-22",
        "Antrag",
        None,
        [],
        None,
    ),
}
# Papers whose list page comes before ours: the specification's example.
EXAMPLE_PAPERS = ["749"]


def example(name: str, base: str) -> dict[str, Any]:
    """A specification example with its URLs on this server."""
    text = (EXAMPLES / f"{name}.json").read_text(encoding="utf-8")
    return json.loads(text.replace(EXAMPLE_HOST, base))


def make_docx(reference: str, title: str) -> bytes:
    """A council paper as a department writes it, with the heading the section goes after."""
    import docx

    document = docx.Document()
    document.add_heading(f"Beschlussvorlage {reference}", level=1)
    document.add_paragraph(title)
    document.add_heading("Beschlussvorschlag", level=2)
    document.add_paragraph("Der Rat der Stadt beschließt die Maßnahme wie in der Begründung beschrieben.")
    document.add_heading("Finanzielle Auswirkungen", level=2)
    document.add_paragraph("Die Kosten betragen 480.000 € und sind im Haushalt 2027 veranschlagt.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


class World:
    """Every object of the server, by path."""

    def __init__(self, base: str):
        self.base = base
        self.objects: dict[str, dict[str, Any]] = {}
        self.files: dict[str, tuple[str, bytes]] = {}
        for name in ("Body", "File", "Location", "Meeting", "Organization", "Paper", "Person", "System"):
            obj = example(f"{name}-01", base)
            self.objects[urlsplit(obj["id"]).path] = obj
        system = self.objects["/"]
        self.body = self.objects["/body/0"]
        system["body"] = f"{base}/bodies"
        self.body["paper"] = f"{base}/body/0/papers/"
        for oid, (name, kind) in ORGANIZATIONS.items():
            self.objects[f"/organization/{oid}"] = {
                "id": f"{base}/organization/{oid}",
                "type": T + "Organization",
                "body": self.body["id"],
                "name": name,
                "organizationType": kind,
                "created": "2024-01-01T00:00:00+01:00",
                "modified": "2026-01-01T00:00:00+01:00",
            }
        for mid, (name, start, org) in MEETINGS.items():
            self.objects[f"/meeting/{mid}"] = {
                "id": f"{base}/meeting/{mid}",
                "type": T + "Meeting",
                "name": name,
                "start": start,
                "organization": [f"{base}/organization/{org}"],
            }
        self.paper_ids = [f"{base}/paper/{p}" for p in EXAMPLE_PAPERS]
        for pid, (reference, title, date, kind, department, consultations, main) in PAPERS.items():
            paper: dict[str, Any] = {
                "id": f"{base}/paper/{pid}",
                "type": T + "Paper",
                "body": self.body["id"],
                "name": title,
                "reference": reference,
                "date": date,
                "paperType": kind,
                "consultation": [
                    {
                        "id": f"{base}/consultation/{pid}-{n}",
                        "type": T + "Consultation",
                        "paper": f"{base}/paper/{pid}",
                        **({"meeting": f"{base}/meeting/{meeting}"} if meeting else {}),
                        "organization": [f"{base}/organization/{org}"],
                        "authoritative": role == "Beschlussfassung",
                        "role": role,
                    }
                    for n, (org, role, meeting) in enumerate(consultations, 1)
                ],
                "created": f"{date}T09:00:00+01:00",
                "modified": f"{date}T09:00:00+01:00",
            }
            if department:
                paper["underDirectionOf"] = [f"{base}/organization/{department}"]
            if main:
                paper["mainFile"] = self._file(pid, main, reference, title)
            self.objects[f"/paper/{pid}"] = paper
            self.paper_ids.append(paper["id"])

    def _file(self, pid: str, filename: str, reference: str, title: str) -> dict[str, Any]:
        fid = f"{pid}-main"
        mime = DOCX if filename.endswith(".docx") else "application/pdf"
        obj = {
            "id": f"{self.base}/files/{fid}",
            "type": T + "File",
            "name": f"Vorlage {reference}",
            "fileName": filename,
            "mimeType": mime,
            "accessUrl": f"{self.base}/files/{fid}/{filename}",
            "downloadUrl": f"{self.base}/files/download/{fid}/{filename}",
        }
        if filename != "gross.docx":  # the big one says nothing of its size: only counting finds out
            content = make_docx(reference, title) if mime == DOCX else b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
            self.files[f"/files/download/{fid}/{filename}"] = (mime, content)
            self.files[f"/files/{fid}/{filename}"] = (mime, content)
            obj["size"] = len(content)
        self.objects[f"/files/{fid}"] = obj
        return obj

    def paper_page(self, number: int) -> dict[str, Any]:
        start = (number - 1) * PAGE_SIZE
        ids = self.paper_ids[start : start + PAGE_SIZE]
        pages = -(-len(self.paper_ids) // PAGE_SIZE)
        page: dict[str, Any] = {
            "data": [self.objects[urlsplit(i).path] for i in ids],
            "pagination": {
                "totalElements": len(self.paper_ids),
                "elementsPerPage": PAGE_SIZE,
                "currentPage": number,
                "totalPages": pages,
            },
            "links": {
                "first": f"{self.base}/body/0/papers/?page=1",
                "last": f"{self.base}/body/0/papers/?page={pages}",
            },
        }
        if number < pages:
            page["links"]["next"] = f"{self.base}/body/0/papers/?page={number + 1}"
        return page


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args) -> None:  # quiet
        pass

    def _send(self, status: int, body: bytes, mime: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", mime)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, data: Any, status: int = 200) -> None:
        self._send(status, json.dumps(data, ensure_ascii=False).encode(), "application/json; charset=utf-8")

    def do_GET(self) -> None:
        world = self.server.world
        parts = urlsplit(self.path)
        path = parts.path
        self.server.requests.append((self.headers.get("Host", ""), path))
        if path == "/bodies":
            return self._json({"data": [world.body], "pagination": {"totalElements": 1}, "links": {}})
        if path == "/body/0/papers/":
            number = int(parse_qs(parts.query).get("page", ["1"])[0])
            return self._json(world.paper_page(number))
        if path == "/kaputt/json":
            return self._json({"status": "ok", "papers": 3})
        if path == "/kaputt/html":
            html = "<!doctype html><title>Wartung</title><h1>Das Ratsinformationssystem wird gewartet.</h1>"
            return self._send(200, html.encode(), "text/html; charset=utf-8")
        if path == "/kaputt/umleitung":
            port = self.server.server_address[1]
            return self._send(302, b"", "text/plain", {"Location": f"http://localhost:{port}/paper/0815"})
        if path == "/kaputt/umleitung-intern":
            return self._send(301, b"", "text/plain", {"Location": "/paper/0815"})
        if path == "/kaputt/langsam":
            time.sleep(SLOW_SECONDS)
            return self._json(world.objects["/paper/0815"])
        if path == "/kaputt/tropfen":
            return self._drip(world.objects["/paper/0815"])
        if path.startswith("/files/") and path.endswith("/gross.docx"):
            return self._stream_big()
        if path in world.files:
            mime, content = world.files[path]
            return self._send(200, content, mime)
        if path in world.objects:
            return self._json(world.objects[path])
        return self._json({"error": "not found"}, status=404)

    def _drip(self, data: Any) -> None:
        """A valid answer whose body trickles in a few bytes at a time: each read is quick, the whole is
        slow (DRIP_SECONDS in all), so only a deadline on the whole answer stops waiting for it."""
        body = json.dumps(data, ensure_ascii=False).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        step = max(1, len(body) // 20)
        try:
            for i in range(0, len(body), step):
                time.sleep(DRIP_SECONDS / 20)
                self.wfile.write(body[i : i + step])
                self.wfile.flush()
        except OSError:  # the client gave up: what the test expects
            self.server.drips_finished.append(False)
            return
        self.server.drips_finished.append(True)

    def _stream_big(self) -> None:
        """50 MB of a .docx's first bytes and zeros, without Content-Length (the end is the closed connection)."""
        self.send_response(200)
        self.send_header("Content-Type", DOCX)
        self.send_header("Connection", "close")
        self.end_headers()
        chunk = b"PK\x03\x04" + bytes(1024 * 1024 - 4)
        try:
            for _ in range(BIG_BYTES // len(chunk)):
                self.wfile.write(chunk)
                self.server.big_bytes_sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading at its limit: as it should


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    world: World
    requests: list[tuple[str, str]]
    big_bytes_sent: int
    drips_finished: list[bool]


class OparlServer:
    def __init__(self) -> None:
        self.httpd = _Server(("127.0.0.1", 0), _Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.httpd.world = World(self.url)
        self.httpd.requests = []
        self.httpd.big_bytes_sent = 0
        self.httpd.drips_finished = []  # per dripping answer: True if the client waited for all of it
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def world(self) -> World:
        return self.httpd.world

    @property
    def requests(self) -> list[tuple[str, str]]:
        return self.httpd.requests

    def __enter__(self) -> OparlServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then closed)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def schema_validator(name: str):
    """A jsonschema validator for OParl object `name` with its nested objects (the spec's `"schema":
    "File.json"` made a `$ref`), formats checked where jsonschema knows them."""
    import jsonschema
    from referencing import Registry
    from referencing.jsonschema import DRAFT7

    def load(path: Path) -> dict:
        def fix(node: Any) -> Any:
            if isinstance(node, dict):
                node = {k: fix(v) for k, v in node.items()}
                if isinstance(node.get("schema"), str):
                    return {"$ref": node["schema"]}
                return node
            if isinstance(node, list):
                return [fix(v) for v in node]
            return node

        return fix(json.loads(path.read_text(encoding="utf-8")))

    registry = Registry().with_resources((p.name, DRAFT7.create_resource(load(p))) for p in SCHEMAS.glob("*.json"))
    return jsonschema.Draft7Validator(
        load(SCHEMAS / f"{name}.json"), registry=registry, format_checker=jsonschema.FormatChecker()
    )
