"""Relationships that make Word fetch something from outside the file as soon as it is opened.

An attached template on a server (the classic way to smuggle macros into a clean .docx), a linked picture
on a file share (which hands the reader's Windows login to whoever runs the share), a linked OLE object,
sub-documents, external HTML chunks, frames and mail-merge data sources: Word loads each of them when it
opens the document. The section we insert must not arrive in a document that does that, so such
relationships are dropped from the output, the elements that used them are removed (or lose only the
reference, e.g. a picture keeps its embedded copy), and the user gets a note saying what was removed.
Hyperlinks stay: Word follows them only when someone clicks.
"""

from __future__ import annotations

from typing import NamedTuple

from lxml import etree

from impactcheck.core.i18n import N_, Message
from impactcheck.word import ooxml
from impactcheck.word.ooxml import NS, qn

_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
SAFE_EXTERNAL = {_REL + "hyperlink", "http://purl.oclc.org/ooxml/officeDocument/relationships/hyperlink"}
_O = "urn:schemas-microsoft-com:office:office"
# Elements that exist only to point at the relationship: they go, or (value) an ancestor of theirs goes.
_ELEMENT_GOES = {
    qn("w:attachedTemplate"): None,
    f"{{{_O}}}OLEObject": None,
    qn("w:subDoc"): None,
    qn("w:altChunk"): None,
    qn("w:dataSource"): qn("w:mailMerge"),
    qn("w:headerSource"): qn("w:mailMerge"),
    qn("w:sourceFileName"): qn("w:frame"),
}
_KIND_NOTE = {
    "attachedTemplate": N_(
        "Hinweis: die Verknüpfung mit der Dokumentvorlage {targets} entfernt – Word würde sie beim Öffnen von "
        "außerhalb der Datei laden"
    ),
    "image": N_(
        "Hinweis: {count} verknüpfte(s) Bild(er) {targets} entfernt – Word würde sie beim Öffnen von außerhalb "
        "der Datei laden"
    ),
    "oleObject": N_(
        "Hinweis: {count} verknüpfte(s) Objekt(e) {targets} (ihr zuletzt angezeigtes Bild bleibt) entfernt – Word "
        "würde sie beim Öffnen von außerhalb der Datei laden"
    ),
}
_OTHER_NOTE = N_(
    "Hinweis: {count} externe(r) Verweis(e) vom Typ „{kind}“ {targets} entfernt – Word würde sie beim Öffnen von "
    "außerhalb der Datei laden"
)


class External(NamedTuple):
    source: str  # the part whose relationship it is ("" for the package)
    rels: str  # the relationship part
    rel_id: str
    kind: str  # last segment of the relationship type, e.g. "attachedTemplate"
    target: str


def fetching(rels: etree._Element, source: str, rels_member: str) -> list[External]:
    """The relationships in one relationship part that Word would follow when opening the document."""
    found = []
    for rel in rels.iter(ooxml.qn("pr:Relationship")):
        kind = rel.get("Type") or ""
        if rel.get("TargetMode") == "External" and kind not in SAFE_EXTERNAL:
            short_kind = kind.rsplit("/", 1)[-1]
            found.append(External(source, rels_member, rel.get("Id") or "", short_kind, rel.get("Target", "")))
    return found


def drop_relationships(rels: etree._Element, ids: set[str]) -> None:
    for rel in list(rels.iter(ooxml.qn("pr:Relationship"))):
        if rel.get("Id") in ids and rel.get("TargetMode") == "External":
            rels.remove(rel)


def drop_references(root: etree._Element, ids: set[str]) -> None:
    """Remove from a part's tree every use of the relationships `ids`."""
    if not ids:
        return
    # Changing a subtree that an earlier step removed is harmless, so no need to ask which are still there.
    for attr in root.xpath("//@r:*", namespaces=NS):
        if str(attr) not in ids:
            continue
        owner = attr.getparent()
        if owner.tag in _ELEMENT_GOES:
            gone = owner
            wanted = _ELEMENT_GOES[owner.tag]
            if wanted is not None:
                gone = next(owner.iterancestors(wanted), owner)
            if gone.getparent() is not None:
                gone.getparent().remove(gone)
        else:
            del owner.attrib[attr.attrname]


def notes(found: list[External]) -> list[Message]:
    """One sentence per kind of thing removed (a German Message, translated where it is shown)."""
    by_kind: dict[str, list[External]] = {}
    for ext in found:
        by_kind.setdefault(ext.kind, []).append(ext)
    out = []
    for kind, items in by_kind.items():
        shown = sorted({_short(e.target) for e in items})
        if len(shown) == 1:
            targets = Message(N_("„{first}“"), first=shown[0])
        elif len(shown) == 2:
            targets = Message(N_("„{first}“, „{second}“"), first=shown[0], second=shown[1])
        else:
            targets = Message(N_("„{first}“, „{second}“ …"), first=shown[0], second=shown[1])
        if kind in _KIND_NOTE:
            out.append(Message(_KIND_NOTE[kind], count=len(items), targets=targets))
        else:
            out.append(Message(_OTHER_NOTE, count=len(items), kind=kind, targets=targets))
    return out


def _short(target: str) -> str:
    text = "".join(c if c.isprintable() else "?" for c in target)
    return text if len(text) <= 70 else text[:33] + "…" + text[-33:]
