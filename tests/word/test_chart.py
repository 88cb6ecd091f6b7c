"""The sector chart: a PNG for Word and the web page, with German alt text."""

from __future__ import annotations

import subprocess
import sys

from impactcheck.word import chart_alt_text, has_chart, render_chart_png
from impactcheck.word.chart import png_size


def test_png_deterministic_and_sized_for_a_page(negative, positive):
    png = render_chart_png(negative)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert png == render_chart_png(negative)
    width, height = png_size(png)
    assert 1000 <= width <= 1400 and height < width
    assert render_chart_png(positive) != png


def test_more_sectors_or_an_alternative_make_a_taller_chart(negative, positive):
    assert negative.alternative is not None and positive.alternative is None
    assert png_size(render_chart_png(negative))[1] > png_size(render_chart_png(positive))[1]


def test_alt_text_names_every_sector_and_score(negative):
    text = chart_alt_text(negative)
    assert text.startswith("Balkendiagramm der Bewertung je Handlungsfeld auf einer Skala von −2")
    assert "Vorlage: Gebäude −2, Strom und Energie −2; ohne Auswirkung: Mobilität" in text
    assert "Alternative: Gebäude +1, Strom und Energie +2" in text
    for sector in negative.sectors:
        assert sector.label in text
    assert "Mit Stern markierte Handlungsfelder fließen nicht in das Ergebnis ein." in text


def test_no_chart_after_the_quick_exit(not_relevant, negative, positive):
    assert not has_chart(not_relevant)
    assert has_chart(negative) and has_chart(positive)


def test_importing_the_word_package_does_not_load_matplotlib():
    heavy = ("matplotlib", "flask", "sqlalchemy", "docx")
    probe = f"import sys, impactcheck.word; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
