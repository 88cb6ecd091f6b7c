"""The OParl client: reads papers from the council information system (ALLRIS, SessionNet, more!rubin, …).

One job: fetch what impactcheck needs from an OParl 1.0/1.1 endpoint (a System or a Body URL, configured
per municipality) and hand it over as plain data — a paper's reference, title, date, type, department
(`underDirectionOf`), committees (`consultation`), its main file — or a search over the body's papers.

Every answer is treated as untrusted:
- only the endpoint's own scheme, host and port are ever asked (a pasted Paper URL of another host is
  refused, so the server cannot be made to fetch from the intranet), and redirects are followed by hand,
  only to that same origin;
- every request has a timeout (connect and each read) and every body a deadline and a size limit,
  counted while it is streamed (a declared Content-Length is only used to refuse early);
- JSON is validated against the shapes read here (pydantic models of the OParl schema's fields we use);
  anything else is "not OParl".
Every failure is an `OparlError` (an InputError) with one German sentence for the author.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, ValidationError

from impactcheck.core.errors import InputError

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TYPE = re.compile(r"^https://schema\.oparl\.org/1\.[01]/(?P<name>[A-Za-z]+)$")
MAX_REDIRECTS = 5
MAX_ORGANIZATIONS = 12  # organisations looked up for one paper (department and committees)
MAX_SEARCH_RESULTS = 25
CHUNK = 64 * 1024
USER_AGENT = "impactcheck (Klimacheck; OParl client)"


class OparlError(InputError):
    """The council information system could not give what was asked, in one German sentence."""


# --- the shapes impactcheck reads (a subset of the OParl 1.1 schema; other properties are ignored) ---


class _Object(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    type: str
    deleted: bool = False

    @property
    def kind(self) -> str | None:
        m = TYPE.match(self.type)
        return m.group("name") if m else None


class File(_Object):
    name: str | None = None
    fileName: str | None = None
    mimeType: str | None = None
    size: int | None = None
    accessUrl: str
    downloadUrl: str | None = None

    @property
    def is_docx(self) -> bool:
        mime = (self.mimeType or "").split(";")[0].strip().lower()
        return mime == DOCX or (self.fileName or "").lower().endswith(".docx")


class Consultation(_Object):
    meeting: str | None = None
    organization: list[str] = []
    role: str | None = None
    authoritative: bool | None = None


class Paper(_Object):
    body: str | None = None
    name: str | None = None
    reference: str | None = None
    date: str | None = None
    paperType: str | None = None
    mainFile: File | None = None
    consultation: list[Consultation] = []
    underDirectionOf: list[str] = []
    web: str | None = None


class Organization(_Object):
    name: str | None = None
    shortName: str | None = None


class Meeting(_Object):
    name: str | None = None
    start: str | None = None


class Body(_Object):
    name: str | None = None
    paper: str | None = None


class System(_Object):
    name: str | None = None
    body: str | None = None


class Links(BaseModel):
    model_config = ConfigDict(extra="ignore")

    next: str | None = None


class ObjectList(BaseModel):
    """A page of an OParl list: `data`, `pagination`, `links.next`."""

    model_config = ConfigDict(extra="ignore")

    data: list[dict]
    links: Links = Links()


# --- what the web app gets ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Committee:
    name: str
    role: str | None
    meeting_date: dt.date | None


@dataclass(frozen=True)
class PaperInfo:
    """A paper as the start form uses it."""

    url: str
    reference: str
    title: str
    date: dt.date | None
    paper_type: str | None
    department: str | None
    committees: list[Committee] = field(default_factory=list)
    main_file: File | None = None

    @property
    def committee(self) -> str | None:
        """The first committee of the consultations (the form's "Gremium": the first to advise)."""
        return self.committees[0].name if self.committees else None

    @property
    def meeting_date(self) -> dt.date | None:
        return self.committees[0].meeting_date if self.committees else None


@dataclass(frozen=True)
class PaperHit:
    url: str
    reference: str
    title: str
    date: dt.date | None
    paper_type: str | None


@dataclass(frozen=True)
class Search:
    hits: list[PaperHit]
    searched: int  # papers looked at
    complete: bool  # the whole list was read (else the page cap stopped it)


def parse_date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an http(s) URL, the port made explicit; None for anything else."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port or (443 if scheme == "https" else 80)


def _host(url: str) -> str:
    found = origin(url)
    return found[1] if found else url[:80]


class Client:
    """Talks to one OParl endpoint. `timeout` in seconds (connect, each read, and a whole answer)."""

    def __init__(
        self,
        endpoint: str,
        *,
        timeout: float = 10,
        max_json_bytes: int = 5 * 1024 * 1024,
        search_pages: int = 20,
        session: requests.Session | None = None,
    ):
        self.endpoint = endpoint.strip()
        found = origin(self.endpoint)
        if found is None:
            raise OparlError(
                _(
                    "Die OParl-Adresse des Ratsinformationssystems „%(url)s“ ist keine http- oder https-Adresse; "
                    "bitte wenden Sie sich an die Administration.",
                    url=endpoint[:200],
                )
            )
        self.origin = found
        self.timeout = float(timeout)
        self.max_json_bytes = int(max_json_bytes)
        self.search_pages = int(search_pages)
        # The environment's HTTPS_PROXY/NO_PROXY apply: a town's servers often reach a hosted system only
        # through the administration's proxy. Which URLs are asked is decided here, not by the proxy.
        self.http = session or requests.Session()

    # -- transport ----------------------------------------------------------------------------------

    def _unreachable(self) -> OparlError:
        return OparlError(
            _(
                "Das Ratsinformationssystem (%(host)s) ist nicht erreichbar. Versuchen Sie es später noch einmal "
                "oder geben Sie die Angaben zur Vorlage selbst ein.",
                host=self.origin[1],
            )
        )

    def _timed_out(self) -> OparlError:
        return OparlError(
            _(
                "Das Ratsinformationssystem (%(host)s) hat nicht innerhalb von %(seconds)s Sekunden geantwortet. "
                "Versuchen Sie es später noch einmal oder geben Sie die Angaben zur Vorlage selbst ein.",
                host=self.origin[1],
                seconds=f"{self.timeout:g}",
            )
        )

    def check_url(self, url: str) -> str:
        """`url` if it is on the endpoint's own scheme, host and port; else refused."""
        url = (url or "").strip()
        found = origin(url)
        if found is None:
            raise OparlError(_("„%(url)s“ ist keine Internetadresse (http oder https).", url=url[:200]))
        if found != self.origin:
            raise OparlError(
                _(
                    "Die Adresse „%(url)s“ gehört nicht zum Ratsinformationssystem Ihrer Kommune (%(host)s). "
                    "Kopieren Sie die Adresse der Vorlage aus diesem System.",
                    url=url[:200],
                    host=self.origin[1],
                )
            )
        return url

    def _open(self, url: str, accept: str) -> requests.Response:
        """A streamed 200 answer for `url`, redirects followed by hand within the origin only."""
        url = self.check_url(url)
        for _hop in range(MAX_REDIRECTS + 1):
            try:
                response = self.http.get(
                    url,
                    stream=True,
                    allow_redirects=False,
                    timeout=(self.timeout, self.timeout),
                    headers={"Accept": accept, "User-Agent": USER_AGENT},
                )
            except requests.Timeout:
                raise self._timed_out() from None
            except requests.RequestException:
                raise self._unreachable() from None
            if response.is_redirect:
                target = urljoin(url, response.headers.get("Location", ""))
                response.close()
                if origin(target) != self.origin:
                    raise OparlError(
                        _(
                            "Das Ratsinformationssystem leitet auf einen anderen Server weiter (%(host)s); "
                            "dorthin fragt impactcheck aus Sicherheitsgründen nicht. Bitte wenden Sie sich an "
                            "die Administration.",
                            host=_host(target),
                        )
                    )
                url = target
                continue
            if response.status_code == 404 or response.status_code == 410:
                response.close()
                raise OparlError(_("Unter dieser Adresse gibt es im Ratsinformationssystem nichts (mehr)."))
            if response.status_code != 200:
                response.close()
                raise OparlError(
                    _(
                        "Das Ratsinformationssystem antwortete mit einem Fehler (HTTP %(status)s). "
                        "Versuchen Sie es später noch einmal oder geben Sie die Angaben selbst ein.",
                        status=response.status_code,
                    )
                )
            return response
        raise OparlError(
            _("Das Ratsinformationssystem leitet zu oft weiter; bitte wenden Sie sich an die Administration.")
        )

    def _read(self, response: requests.Response, limit: int, too_large: str) -> bytes:
        """The whole body, at most `limit` bytes (as decoded), within the deadline."""
        with response:
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > limit and not response.headers.get("Content-Encoding"):
                raise OparlError(too_large)
            deadline = time.monotonic() + self.timeout
            chunks, total = [], 0
            try:
                while True:
                    # read1: what one socket read brings, so a body trickling in a few bytes at a time
                    # meets the deadline too (a full-size read would wait until the chunk is complete).
                    chunk = response.raw.read1(CHUNK, decode_content=True)
                    if not chunk:
                        break
                    total += len(chunk)
                    if total > limit:
                        raise OparlError(too_large)
                    if time.monotonic() > deadline:
                        raise self._timed_out()
                    chunks.append(chunk)
            except (requests.Timeout, urllib3.exceptions.TimeoutError):
                raise self._timed_out() from None
            except (requests.RequestException, urllib3.exceptions.HTTPError, OSError):
                raise self._unreachable() from None  # the connection broke off in the middle
            return b"".join(chunks)

    def get_json(self, url: str) -> dict:
        """One OParl object or list page as JSON (an object with an OParl `type`, or a list page)."""
        response = self._open(url, "application/json")
        limit = self.max_json_bytes
        body = self._read(
            response,
            limit,
            _(
                "Die Antwort des Ratsinformationssystems ist größer als %(mb)s MB; "
                "das ist keine übliche OParl-Antwort.",
                mb=f"{limit / (1024 * 1024):g}",
            ),
        )
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise self._not_oparl() from None
        if not isinstance(data, dict):
            raise self._not_oparl()
        return data

    def _not_oparl(self) -> OparlError:
        return OparlError(
            _(
                "Das Ratsinformationssystem (%(host)s) hat nicht im OParl-Format geantwortet. Prüfen Sie die "
                "Adresse oder geben Sie die Angaben zur Vorlage selbst ein.",
                host=self.origin[1],
            )
        )

    def _object(self, url: str, model: type[_Object]):
        data = self.get_json(url)
        try:
            obj = model.model_validate(data)
        except ValidationError:
            raise self._not_oparl() from None
        if obj.kind is None:
            raise self._not_oparl()
        return obj

    # -- papers -------------------------------------------------------------------------------------

    def paper(self, url: str, *, details: bool = True) -> PaperInfo:
        """The paper at `url` (a Paper's id URL), with its department's and committees' names (without
        `details`: the paper alone, no organisation or meeting asked for)."""
        paper = self._object(url, Paper)
        if paper.kind != "Paper":
            raise OparlError(
                _(
                    "Unter dieser Adresse steht keine Vorlage (OParl „Paper“), sondern „%(kind)s“. Kopieren Sie "
                    "die Adresse der Drucksache selbst.",
                    kind=paper.kind,
                )
            )
        if paper.deleted:
            raise OparlError(_("Diese Vorlage ist im Ratsinformationssystem gelöscht."))
        wanted = [*paper.underDirectionOf[:2], *self._consulted(paper)] if details else []
        names = self._organization_names(wanted)
        department = next((names[u] for u in paper.underDirectionOf if names.get(u)), None)
        committees = []
        meetings: dict[str, dt.date | None] = {}
        for consultation in paper.consultation:
            if consultation.deleted:
                continue
            day = None
            if consultation.meeting and details:
                if consultation.meeting not in meetings:
                    meetings[consultation.meeting] = self._meeting_date(consultation.meeting)
                day = meetings[consultation.meeting]
            for org in consultation.organization:
                if names.get(org):
                    committees.append(Committee(names[org], consultation.role, day))
        canonical = paper.id if origin(paper.id) == self.origin else url
        return PaperInfo(
            url=canonical.strip(),
            reference=(paper.reference or "").strip(),
            title=(paper.name or "").strip(),
            date=parse_date(paper.date),
            paper_type=(paper.paperType or "").strip() or None,
            department=department,
            committees=committees,
            main_file=paper.mainFile if paper.mainFile and not paper.mainFile.deleted else None,
        )

    def _consulted(self, paper: Paper) -> list[str]:
        return [o for c in paper.consultation if not c.deleted for o in c.organization]

    def _organization_names(self, urls: list[str]) -> dict[str, str]:
        """Names of the organisations at `urls` (at most MAX_ORGANIZATIONS, each once); one that cannot be
        read is left out rather than failing the paper (the author types it in)."""
        names: dict[str, str] = {}
        for url in dict.fromkeys(urls):
            if len(names) >= MAX_ORGANIZATIONS:
                break
            try:
                org = self._object(url, Organization)
            except OparlError:
                continue
            name = (org.name or org.shortName or "").strip()
            if org.kind == "Organization" and name:
                names[url] = name
        return names

    def _meeting_date(self, url: str) -> dt.date | None:
        try:
            meeting = self._object(url, Meeting)
        except OparlError:
            return None
        return parse_date(meeting.start) if meeting.kind == "Meeting" else None

    def download(self, file: File, limit: int) -> bytes:
        """The file's content (downloadUrl, else accessUrl), at most `limit` bytes."""
        too_large = _(
            "Die Datei „%(name)s“ im Ratsinformationssystem ist größer als %(mb)s MB, die Grenze für Word-Dateien. "
            "Beginnen Sie ohne die Datei und laden Sie eine verkleinerte Fassung selbst hoch.",
            name=file.fileName or file.name or "",
            mb=f"{limit / (1024 * 1024):g}",
        )
        if file.size is not None and file.size > limit:
            raise OparlError(too_large)
        url = file.downloadUrl or file.accessUrl
        return self._read(self._open(url, "*/*"), limit, too_large)

    # -- the body's papers --------------------------------------------------------------------------

    def _paper_lists(self) -> list[str]:
        """The paper list URL of the endpoint's body, or of each body of the endpoint's system."""
        data = self.get_json(self.endpoint)
        body, system = self._as(Body, data), self._as(System, data)
        if body is not None:
            bodies = [body]
        elif system is not None and system.body:
            bodies = [self._as(Body, item) for item in self._items(system.body, pages=5)]
        else:
            raise self._not_oparl()
        lists = [b.paper for b in bodies if b is not None and b.paper and not b.deleted]
        if not lists:
            raise self._not_oparl()
        return lists

    def _as(self, model: type[_Object], data: dict):
        try:
            obj = model.model_validate(data)
        except ValidationError:
            return None
        return obj if obj.kind == model.__name__ else None

    def _items(self, url: str, pages: int) -> Iterator[dict]:
        seen: set[str] = set()
        for _page in range(pages):
            if url in seen:
                return  # a list whose next page is an earlier one
            seen.add(url)
            try:
                page = ObjectList.model_validate(self.get_json(url))
            except ValidationError:
                raise self._not_oparl() from None
            yield from (item for item in page.data if isinstance(item, dict))
            if not page.links.next:
                return
            url = page.links.next
        self._truncated = True

    def search(self, query: str) -> Search:
        """Papers of the body whose reference or title contains `query` (case ignored), from the first
        `search_pages` pages of the list; at most MAX_SEARCH_RESULTS."""
        needle = query.strip().casefold()
        hits: list[PaperHit] = []
        searched = 0
        self._truncated = False
        for list_url in self._paper_lists():
            for item in self._items(list_url, self.search_pages):
                paper = self._as(Paper, item)
                if paper is None or paper.deleted:
                    continue
                searched += 1
                reference, title = (paper.reference or "").strip(), (paper.name or "").strip()
                if needle in reference.casefold() or needle in title.casefold():
                    hits.append(PaperHit(paper.id, reference, title, parse_date(paper.date), paper.paperType))
                    if len(hits) >= MAX_SEARCH_RESULTS:
                        return Search(hits, searched, complete=False)
        return Search(hits, searched, complete=not self._truncated)


def client_for(municipality, config) -> Client | None:
    """The client for the municipality's council information system (its own endpoint, else the setting
    OPARL_ENDPOINT); None where none is configured."""
    endpoint = (getattr(municipality, "oparl_endpoint", None) or config.get("OPARL_ENDPOINT") or "").strip()
    if not endpoint:
        return None
    return Client(
        endpoint,
        timeout=config.get("OPARL_TIMEOUT") or 10,
        max_json_bytes=config.get("OPARL_MAX_JSON_BYTES") or 5 * 1024 * 1024,
        search_pages=config.get("OPARL_SEARCH_PAGES") or 20,
    )
