"""The style sheet reads each style as Word does: the first w:name, w:basedOn and w:pPr count, later ones not."""

from __future__ import annotations

from lxml import etree

from impactcheck.word.styles import StyleSheet

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def sheet(styles: str) -> StyleSheet:
    return StyleSheet(etree.fromstring(f'<w:styles xmlns:w="{W}">{styles}</w:styles>'))


def test_headings_by_outline_level_name_and_inheritance():
    s = sheet(
        '<w:style w:type="paragraph" w:styleId="berschrift1"><w:name w:val="heading 1"/></w:style>'
        '<w:style w:type="paragraph" w:styleId="Eigene"><w:name w:val="Titel  Eigen"/>'
        '<w:pPr><w:outlineLvl w:val="2"/></w:pPr></w:style>'
        '<w:style w:type="paragraph" w:styleId="Abgeleitet"><w:basedOn w:val="Eigene"/></w:style>'
        '<w:style w:type="paragraph" w:styleId="Text"><w:pPr><w:outlineLvl w:val="9"/></w:pPr></w:style>'
        '<w:style w:type="table" w:styleId="Gitter"><w:name w:val="Table Grid"/></w:style>'
    )
    assert s.heading_styles() == {"berschrift1": 0, "Eigene": 2, "Abgeleitet": 2}
    assert s.heading_style(1) == "berschrift1" and s.table_grid() == "Gitter"


def test_only_the_first_of_each_child_counts():
    later_name = sheet('<w:style w:type="paragraph" w:styleId="A"><w:name/><w:name w:val="heading 2"/></w:style>')
    assert later_name.heading_styles() == {}
    later_base = sheet(
        '<w:style w:type="paragraph" w:styleId="H"><w:name w:val="heading 3"/></w:style>'
        '<w:style w:type="paragraph" w:styleId="B"><w:basedOn/><w:basedOn w:val="H"/></w:style>'
    )
    assert later_base.heading_styles() == {"H": 2}
    later_ppr = sheet(
        '<w:style w:type="paragraph" w:styleId="C"><w:pPr/><w:pPr><w:outlineLvl w:val="1"/></w:pPr></w:style>'
    )
    assert later_ppr.heading_styles() == {}
