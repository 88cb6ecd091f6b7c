"""A checked .docx as the ZIP members it is made of: read a few parts, change a few, keep the rest.

Writing copies every member we did not change byte for byte, still compressed, from the original archive
into the new one: images, headers, footers, comments, numbering, custom XML and parts no relationship
points to all stay exactly as they were, and nothing is decompressed or compressed again. Only changed or
new members (the main document, its relationships, [Content_Types].xml, the chart image, and parts whose
fetch-on-open relationships are dropped) are deflated; a changed member may be given as pieces (the main
document from its skeleton), which are deflated as they come, so the whole text is never held at once.

Reading goes through the checked archive's `Reader`: every member inflates within the limits.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from lxml import etree

from impactcheck.word import externals, ooxml, xmlread
from impactcheck.word.safety import CheckedDocx, content_type_of, rels_member, resolve_target
from impactcheck.word.zipwrite import Writer


class Package:
    def __init__(self, checked: CheckedDocx):
        self.name = checked.name
        self.main_part = checked.main_part
        self._zip = checked.zip
        self._reader = checked.reader
        self._limits = checked.limits
        self._infos = checked.zip.infolist()
        self._by_name = {i.filename: i for i in self._infos}
        self._lower = {i.filename.lower(): i.filename for i in self._infos}
        self._content_types = checked.content_types
        self._content_types_changed = False
        self._changed: dict[str, bytes | Iterable[bytes]] = {}
        self._removed: set[str] = set()

    # --- reading ------------------------------------------------------------------------------

    def member(self, name: str) -> str | None:
        """The existing member called `name` (ZIP names in OPC are case-insensitive), or None."""
        if name in self._changed:
            return name
        actual = self._lower.get(name.lower())
        return None if actual is None or actual in self._removed else actual

    def read(self, name: str) -> bytes:
        if name in self._changed:
            changed = self._changed[name]
            if not isinstance(changed, bytes):
                raise ValueError(f"{name} is written in pieces and cannot be read back")
            return changed
        return self._reader.read(self._by_name[name], limit=self._limits.max_xml_part)

    def chunks(self, name: str) -> Iterator[bytes]:
        """An original member's content in pieces, as it inflates."""
        return self._reader.chunks(self._by_name[name], limit=self._limits.max_xml_part)

    def xml(self, name: str) -> etree._Element:
        return xmlread.parse(self.read(name), name, self.name)

    def related(self, source: str, rel_type: str) -> str | None:
        """The member that `source`'s first relationship of `rel_type` points to, if any."""
        rels = self.member(rels_member(source))
        if rels is None:
            return None
        for rel in self.xml(rels).iter(ooxml.qn("pr:Relationship")):
            if rel.get("Type") == rel_type and rel.get("TargetMode") != "External":
                return self.member(resolve_target(source, rel.get("Target") or ""))
        return None

    # --- changing -----------------------------------------------------------------------------

    def put(self, name: str, data: bytes | Iterable[bytes], content_type: str | None = None) -> None:
        """Replace or add a member (bytes, or pieces written as they come); a new one is registered in
        [Content_Types].xml if its type is unknown."""
        existing = self.member(name)
        name = existing or name
        self._changed[name] = data
        self._removed.discard(name)
        if content_type and content_type_of(self._content_types, name) != content_type:
            override = etree.SubElement(self._content_types, ooxml.qn("ct:Override"))
            override.set("PartName", "/" + name)
            override.set("ContentType", content_type)
            self._content_types_changed = True

    def remove(self, name: str) -> None:
        existing = self.member(name)
        if existing is None:
            return
        self._changed.pop(existing, None)
        self._removed.add(existing)
        partname = "/" + existing.lower()
        for node in list(self._content_types.iter(ooxml.qn("ct:Override"))):
            if (node.get("PartName") or "").lower() == partname:
                self._content_types.remove(node)
                self._content_types_changed = True

    def drop_fetching(self, found: list[externals.External], main_root: etree._Element) -> None:
        """Drop the relationships Word would follow on opening, and their uses (in `main_root` for the main
        part, whose tree the caller holds)."""
        by_rels: dict[str, list[externals.External]] = {}
        for ext in found:
            by_rels.setdefault(ext.rels, []).append(ext)
        for rels_name, items in by_rels.items():
            ids = {e.rel_id for e in items}
            rels = self.xml(rels_name)
            externals.drop_relationships(rels, ids)
            self.put(rels_name, ooxml.serialize(rels))
            source = self.member(items[0].source) if items[0].source else None
            if source == self.main_part:
                externals.drop_references(main_root, ids)
            elif source is not None:
                root = self.xml(source)
                externals.drop_references(root, ids)
                self.put(source, ooxml.serialize(root))

    # --- writing ------------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        if self._content_types_changed:
            self._changed["[Content_Types].xml"] = ooxml.serialize(self._content_types)
        writer = Writer()
        written = set()
        for info in self._infos:
            name = info.filename
            if name in self._removed:
                continue
            if name in self._changed:
                writer.add(name, self._changed[name], info)
            else:
                writer.copy(self._reader, info)
            written.add(name)
        for name, blob in self._changed.items():
            if name not in written:
                writer.add(name, blob)
        return writer.finish(self._zip.comment)
