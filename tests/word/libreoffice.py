"""Documents made by LibreOffice: flat ODF sources written here, converted by `soffice --headless`.

Conversions are slow (a few seconds per soffice start), so `convert` takes many files at once, and the
fixtures in conftest.py call it once per session and target format.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
 xmlns:dc="http://purl.org/dc/elements/1.1/" office:version="1.3"
 office:mimetype="application/vnd.oasis.opendocument.text">"""

# German heading styles of a house template, numbered through the outline (1., 1.1).
GERMAN_HEADINGS = """
  <style:style style:name="Überschrift_20_1" style:display-name="Überschrift 1" style:family="paragraph"
   style:parent-style-name="Standard" style:default-outline-level="1">
    <style:paragraph-properties fo:margin-top="0.4cm" fo:margin-bottom="0.2cm"/>
    <style:text-properties fo:font-size="14pt" fo:font-weight="bold"/>
  </style:style>
  <style:style style:name="Überschrift_20_2" style:display-name="Überschrift 2" style:family="paragraph"
   style:parent-style-name="Standard" style:default-outline-level="2">
    <style:text-properties fo:font-size="12pt" fo:font-weight="bold"/>
  </style:style>
  <text:outline-style style:name="Outline">
    <text:outline-level-style text:level="1" style:num-format="1" style:num-suffix="."/>
    <text:outline-level-style text:level="2" style:num-format="1" style:num-suffix="." text:display-levels="2"/>
  </text:outline-style>"""

AUTOMATIC = """
  <style:style style:name="Bold" style:family="text"><style:text-properties fo:font-weight="bold"/></style:style>
  <style:style style:name="Italic" style:family="text"><style:text-properties fo:font-style="italic"/></style:style>
  <style:style style:name="BoldPara" style:family="paragraph" style:parent-style-name="Standard">
    <style:text-properties fo:font-weight="bold"/>
  </style:style>"""


def change(cid: str, kind: str, text: str = "") -> str:
    """A tracked change region: kind 'deletion' (with the deleted text) or 'insertion'."""
    body = f"<text:p>{text}</text:p>" if kind == "deletion" else ""
    return (
        f'<text:changed-region text:id="{cid}"><text:{kind}><office:change-info><dc:creator>Amt 61</dc:creator>'
        f"<dc:date>2026-03-01T10:00:00</dc:date></office:change-info>{body}</text:{kind}></text:changed-region>"
    )


def fodt(body: str, *, styles: str = "", header: str | None = None, footer: str | None = None,
         changes: str = "") -> str:  # fmt: skip
    page = ""
    if header is not None or footer is not None:
        parts = ""
        if header is not None:
            parts += f"<style:header><text:p>{header}</text:p></style:header>"
        if footer is not None:
            parts += f"<style:footer><text:p>{footer}</text:p></style:footer>"
        page = f'<office:master-styles><style:master-page style:name="Standard">{parts}</style:master-page>' \
               "</office:master-styles>"  # fmt: skip
    tracked = f"<text:tracked-changes>{changes}</text:tracked-changes>" if changes else ""
    return (
        f'{HEAD}<office:styles><style:style style:name="Standard" style:family="paragraph"/>{styles}'
        f"</office:styles><office:automatic-styles>{AUTOMATIC}</office:automatic-styles>{page}"
        f"<office:body><office:text>{tracked}{body}</office:text></office:body></office:document>"
    )


def h(text: str, level: int = 1, style: str = "Überschrift_20_{level}") -> str:
    return f'<text:h text:style-name="{style.format(level=level)}" text:outline-level="{level}">{text}</text:h>'


def p(text: str, style: str = "Standard") -> str:
    return f'<text:p text:style-name="{style}">{text}</text:p>'


def convert(sources: dict[str, str | bytes], target: str, workdir: Path, soffice: str) -> dict[str, bytes]:
    """Convert every source (name -> .fodt text, or bytes of a file named `name`) with one soffice run."""
    src = workdir / f"src-{target}"
    out = workdir / f"out-{target}"
    src.mkdir(parents=True, exist_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for name, content in sources.items():
        path = src / (name if isinstance(content, bytes) else f"{name}.fodt")
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        files.append(str(path))
    profile = (workdir / "lo-profile").as_uri()
    proc = subprocess.run(
        [soffice, f"-env:UserInstallation={profile}", "--headless", "--norestore", "--convert-to", target,
         "--outdir", str(out), *files],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    converted = {}
    for name in sources:
        stem = Path(name).stem if isinstance(sources[name], bytes) else name
        path = out / f"{stem}.{target.split(':')[0]}"
        assert path.is_file(), f"LibreOffice did not convert {name}: {proc.stdout} {proc.stderr}"
        converted[name] = path.read_bytes()
    return converted
