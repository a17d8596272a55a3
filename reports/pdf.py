"""The report as a PDF, drawn by WeasyPrint from the same dict and the same SVG charts as the page.

WeasyPrint is imported when a PDF is asked for, not when Django starts: it needs Pango's system
libraries (Debian: libpango-1.0-0 libpangoft2-1.0-0), and a machine without them must still run
the app, with the report page saying why the PDF cannot be made (``pdf_unavailable_reason``).
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from . import downloads
from .selectors import template_titles

STYLESHEET = "css/report-print.css"


class PdfUnavailable(Exception):
    """WeasyPrint cannot run on this machine (its system libraries are missing)."""


def _weasyprint():
    try:
        import weasyprint
    except (OSError, ImportError) as error:  # OSError: Pango missing; ImportError: package missing
        raise PdfUnavailable(str(error)) from error
    return weasyprint


def pdf_unavailable_reason() -> str:
    """Empty when PDFs can be made; otherwise what the report page tells the user."""
    try:
        _weasyprint()
    except PdfUnavailable:
        return _(
            "The PDF cannot be made on this server: the system libraries WeasyPrint needs (Pango: on Debian, "
            "libpango-1.0-0 and libpangoft2-1.0-0) are not installed. Ask the provider's administrator to "
            "install them; the page and the spreadsheet work meanwhile."
        )
    return ""


def report_html(data: dict) -> str:
    return render_to_string(
        "reports/report_pdf.html",
        {"data": data, "titles": template_titles(), "pdf": True},
    )


# PDF/UA-1: a tagged PDF (headings, paragraphs, tables and lists in a structure tree, in the order of
# the HTML), with its language and title, so screen readers read it as they read the page.
PDF_VARIANT = "pdf/ua-1"


def report_pdf(data: dict, *, stamp=None) -> bytes:
    """The PDF's bytes; raises PdfUnavailable when WeasyPrint cannot run here.

    WeasyPrint draws the HTML only when no PDF of that very HTML, with this stylesheet and WeasyPrint
    version, is in the cache; with the report's ``stamp`` the HTML is rendered only then
    (``reports.downloads``)."""
    weasyprint = _weasyprint()
    stylesheet = finders.find(STYLESHEET)

    def sources() -> list:
        return [weasyprint.__version__, PDF_VARIANT, Path(stylesheet).read_bytes(), report_html(data)]

    def draw(sources: list) -> bytes:
        css = weasyprint.CSS(filename=stylesheet)
        return weasyprint.HTML(string=sources[-1]).write_pdf(stylesheets=[css], pdf_variant=PDF_VARIANT)

    return downloads.file_cached("pdf", sources, draw, stamp=stamp)
