"""The package writer: changed members new, every other member copied byte for byte."""

from __future__ import annotations

import io
import zipfile

import pytest
from lxml import etree

from impactcheck.word import check_docx, insert_section
from tests.word import docs


def infos(data: bytes) -> dict[str, zipfile.ZipInfo]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {i.filename: i for i in zf.infolist()}


def raw(data: bytes, info: zipfile.ZipInfo) -> bytes:
    start = info.header_offset
    name_len, extra_len = (
        int.from_bytes(data[start + 26 : start + 28], "little"),
        int.from_bytes(data[start + 28 : start + 30], "little"),
    )
    begin = start + 30 + name_len + extra_len
    return data[begin : begin + info.compress_size]


def test_output_is_a_valid_zip_and_untouched_members_keep_their_compressed_bytes(negative):
    paper = docs.make(docs.beschlussvorlage)
    out = insert_section(paper, negative).docx
    with zipfile.ZipFile(io.BytesIO(out)) as zf:
        assert zf.testzip() is None
    before, after = infos(paper), infos(out)
    assert list(after)[: len(before)] == list(before), "order of members kept"
    for name in ("word/styles.xml", "word/numbering.xml", "docProps/thumbnail.jpeg", "word/theme/theme1.xml"):
        assert raw(out, after[name]) == raw(paper, before[name]), name
        assert after[name].date_time == before[name].date_time


def test_parts_no_relationship_reaches_and_archive_comments_stay(negative):
    """python-docx's own save would drop an unreferenced part; copying the archive keeps it."""
    paper = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docs.make(docs.beschlussvorlage))) as src, zipfile.ZipFile(paper, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename), compress_type=zipfile.ZIP_DEFLATED)
        dst.writestr("customXml/vorlagen-metadaten.xml", "<meta><ris>ALLRIS</ris></meta>")
        dst.comment = b"Archiv der Stadt"
    out = insert_section(paper.getvalue(), negative).docx
    docs.assert_kept(paper.getvalue(), out)
    with zipfile.ZipFile(io.BytesIO(out)) as zf:
        assert zf.read("customXml/vorlagen-metadaten.xml") == b"<meta><ris>ALLRIS</ris></meta>"
        assert zf.comment == b"Archiv der Stadt"


def test_stored_members_and_non_ascii_names_survive(negative):
    paper = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docs.make(docs.beschlussvorlage))) as src, zipfile.ZipFile(paper, "w") as dst:
        for item in src.infolist():
            dst.writestr(item.filename, src.read(item.filename), compress_type=zipfile.ZIP_STORED)
        dst.writestr("customXml/Übersicht.xml", "<ü/>")
    out = insert_section(paper.getvalue(), negative).docx
    docs.assert_kept(paper.getvalue(), out)
    assert infos(out)["word/styles.xml"].compress_type == zipfile.ZIP_STORED
    assert "customXml/Übersicht.xml" in infos(out)


# --- relationships that would fetch something when the document opens ------------------------------------

R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"
RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
V_O = 'xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office"'
A_PIC = (
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture" '
    'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"'
)


def rel(rid: str, kind: str, target: str, external: bool = True) -> str:
    mode = ' TargetMode="External"' if external else ""
    return f'<Relationship Id="{rid}" Type="{R}/{kind}" Target="{target}"{mode}/>'


def picture(blip: str, docpr: int) -> str:
    return (
        f'<w:r><w:drawing><wp:inline {A_PIC}><wp:extent cx="914400" cy="914400"/><wp:docPr id="{docpr}" name="Bild"/>'
        '<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:pic>'
        f'<pic:nvPicPr><pic:cNvPr id="{docpr}" name="Bild"/><pic:cNvPicPr/></pic:nvPicPr>'
        f"<pic:blipFill>{blip}<a:stretch><a:fillRect/></a:stretch></pic:blipFill>"
        '<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="914400" cy="914400"/></a:xfrm>'
        '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr></pic:pic></a:graphicData></a:graphic>'
        "</wp:inline></w:drawing></w:r>"
    )


@pytest.fixture(scope="module")
def fetching_paper():
    """A paper that makes Word reach out on opening: a template on a server, linked pictures (one also
    embedded) in the body and the header, a linked OLE object, a mail-merge data source – and a hyperlink,
    which only a click follows."""

    def build(d):
        docs.beschlussvorlage(d)
        d.sections[0].header.paragraphs[0].text = "Stadt Kassel"

    members = docs.members(docs.make(build))
    png = members["docProps/thumbnail.jpeg"]  # any image bytes will do for the embedded copy
    body = (
        docs.p_xml(picture(f'<a:blip xmlns:r="{R}" r:link="rIdLinked"/>', 901))
        + docs.p_xml(picture(f'<a:blip xmlns:r="{R}" r:embed="rIdEmbedded" r:link="rIdBoth"/>', 902))
        + docs.p_xml(
            f'<w:r><w:object {V_O}><v:shape id="_x0000_i1025" style="width:60pt;height:40pt">'
            f'<v:imagedata xmlns:r="{R}" r:id="rIdEmbedded" o:title=""/></v:shape>'
            f'<o:OLEObject xmlns:r="{R}" Type="Link" ProgID="Excel.Sheet.12" ShapeID="_x0000_i1025" '
            'DrawAspect="Content" r:id="rIdOle" UpdateMode="Always"><o:LinkType>EnhancedMetaFile</o:LinkType>'
            "</o:OLEObject></w:object></w:r>"
        )
        + docs.p_xml(f'<w:hyperlink xmlns:r="{R}" r:id="rIdLink">{docs.r_xml("Ratsinformationssystem")}</w:hyperlink>')
    )
    document = members["word/document.xml"].replace(b"<w:sectPr", body.encode() + b"<w:sectPr", 1)
    rels = members["word/_rels/document.xml.rels"].replace(
        b"</Relationships>",
        (
            rel("rIdLinked", "image", "file://fileserver/share/logo.png")
            + rel("rIdEmbedded", "image", "media/eingebettet.png", external=False)
            + rel("rIdBoth", "image", "http://bilder.example.org/plan.png")
            + rel("rIdOle", "oleObject", "file:///C:/Daten/Kosten.xlsx!Tabelle1")
            + rel("rIdLink", "hyperlink", "https://ratsinfo.example.org/")
            + "</Relationships>"
        ).encode(),
    )
    settings = members["word/settings.xml"].replace(
        b"<w:defaultTabStop",
        f'<w:attachedTemplate xmlns:r="{R}" r:id="rIdTemplate"/><w:mailMerge><w:mainDocumentType w:val="formLetters"/>'
        '<w:linkToQuery/><w:dataType w:val="native"/><w:query w:val="SELECT * FROM x"/>'
        f'<w:dataSource xmlns:r="{R}" r:id="rIdData"/></w:mailMerge><w:defaultTabStop'.encode(),
        1,
    )
    header = members["word/header1.xml"].replace(
        b"</w:p>", picture(f'<a:blip xmlns:r="{R}" r:link="rIdHeaderPic"/>', 903).encode() + b"</w:p>", 1
    )
    extra = {
        "word/_rels/settings.xml.rels": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{RELS_NS}">'
            + rel("rIdTemplate", "attachedTemplate", "https://vorlagen.example.org/Vorlage.dotm")
            + rel("rIdData", "mailMergeSource", "file:///C:/Daten/Adressen.xlsx")
            + "</Relationships>"
        ).encode(),
        "word/_rels/header1.xml.rels": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{RELS_NS}">'
            + rel("rIdHeaderPic", "image", "file://fileserver/share/wappen.png")
            + "</Relationships>"
        ).encode(),
        "word/media/eingebettet.png": png,
    }
    types = members["[Content_Types].xml"].replace(
        b"</Types>", b'<Default Extension="png" ContentType="image/png"/></Types>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        replaced = {
            "word/document.xml": document,
            "word/_rels/document.xml.rels": rels,
            "word/settings.xml": settings,
            "word/header1.xml": header,
            "[Content_Types].xml": types,
        }
        for name, data in members.items():
            zf.writestr(name, replaced.get(name, data))
        for name, data in extra.items():
            zf.writestr(name, data)
    return out.getvalue()


def relationships(data: bytes, member: str) -> dict[str, etree._Element]:
    return {r.get("Id"): r for r in etree.fromstring(docs.members(data)[member])}


def test_relationships_fetched_on_opening_are_dropped_with_their_uses(fetching_paper, negative):
    out = insert_section(fetching_paper, negative)
    docs.assert_kept(fetching_paper, out.docx)  # also: no such relationship left anywhere
    main = relationships(out.docx, "word/_rels/document.xml.rels")
    assert {"rIdLinked", "rIdBoth", "rIdOle"}.isdisjoint(main)
    assert main["rIdLink"].get("TargetMode") == "External", "a hyperlink is followed only when clicked: it stays"
    assert "rIdEmbedded" in main
    assert relationships(out.docx, "word/_rels/settings.xml.rels") == {}
    assert relationships(out.docx, "word/_rels/header1.xml.rels") == {}

    root = docs.document(out.docx)
    ns = {**docs.NS, "a": A, "o": "urn:schemas-microsoft-com:office:office"}
    blips = root.xpath(f"//a:blip[not({docs.OURS})]", namespaces=ns)  # the author's, not our chart
    assert [b.attrib for b in blips] == [{}, {f"{{{R}}}embed": "rIdEmbedded"}], "links gone, embedded copy kept"
    assert not root.xpath("//o:OLEObject", namespaces=ns)
    assert root.xpath("//w:object//v:imagedata", namespaces={**ns, "v": "urn:schemas-microsoft-com:vml"})
    settings = etree.fromstring(docs.members(out.docx)["word/settings.xml"])
    assert not settings.xpath("//w:attachedTemplate | //w:mailMerge", namespaces=ns)
    assert settings.xpath("//w:defaultTabStop", namespaces=ns), "the rest of the settings stays"
    header = etree.fromstring(docs.members(out.docx)["word/header1.xml"])
    assert [b.attrib for b in header.xpath("//a:blip", namespaces=ns)] == [{}]


def test_the_user_is_told_what_was_dropped(fetching_paper, negative):
    notes = insert_section(fetching_paper, negative).notes
    text = " ".join(notes)
    assert "Dokumentvorlage „https://vorlagen.example.org/Vorlage.dotm“" in text
    assert "3 verknüpfte(s) Bild(er)" in text and "verknüpfte(s) Objekt(e)" in text and "mailMergeSource" in text
    assert all(n.startswith("Hinweis: ") and "beim Öffnen" in n for n in notes)
    assert check_docx(fetching_paper).notes == list(notes), "the upload check says the same, before storing"
