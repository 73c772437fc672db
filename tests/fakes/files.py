"""Report files built in tests: PDFs with or without a text layer, DOCX (no binary fixtures)."""

from __future__ import annotations

import io

import docx
from PIL import Image
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas


def make_pdf(
    pages: list[list[str]],
    title: str | None = None,
    author: str | None = None,
    encrypt: str | None = None,
) -> bytes:
    """A PDF with a text layer, one list of lines per page (an empty list: a blank page)."""
    out = io.BytesIO()
    c = canvas.Canvas(out, invariant=1, encrypt=encrypt)  # invariant: stable bytes
    if title:
        c.setTitle(title)
    if author:
        c.setAuthor(author)
    for lines in pages:
        for i, line in enumerate(lines):
            c.drawString(72, 720 - 16 * i, line)
        c.showPage()
    c.save()
    return out.getvalue()


def scanned_pdf() -> bytes:
    """A PDF whose only page is an image: no text layer."""
    out = io.BytesIO()
    c = canvas.Canvas(out, invariant=1)
    c.drawImage(ImageReader(Image.new("RGB", (60, 20), "gray")), 72, 600, width=300, height=100)
    c.showPage()
    c.save()
    return out.getvalue()


def make_docx(paragraphs: list[str], **props: object) -> bytes:
    """A DOCX of these paragraphs; ``props`` set core properties (title, author...)."""
    document = docx.Document()
    for p in paragraphs:
        document.add_paragraph(p)
    for key, value in props.items():
        setattr(document.core_properties, key, value)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
