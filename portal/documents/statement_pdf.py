"""The 对账单 as an A4 PDF. Chinese text uses the standard Adobe CJK font STSong-Light, which
PDF readers (and poppler with Noto CJK) supply, so no font file ships with the portal."""

import io

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))
TITLE = ParagraphStyle("title", fontName=FONT, fontSize=18, leading=24, spaceAfter=6)
BODY = ParagraphStyle("body", fontName=FONT, fontSize=10.5, leading=15)
SMALL = ParagraphStyle("small", fontName=FONT, fontSize=8.5, leading=12,
                       textColor=colors.HexColor("#444444"))


def qr_drawing(url: str, size: float = 32 * mm) -> Drawing:
    widget = QrCodeWidget(url)
    x1, y1, x2, y2 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x2 - x1), 0, 0, size / (y2 - y1), 0, 0])
    drawing.add(widget)
    return drawing


def render(*, title: str, header_rows: list[tuple[str, str]], table_head: list[str],
           table_rows: list[list[str]], summary_rows: list[tuple[str, str]],
           verify_url: str, verify_text: str, footer: str, issuer: str = "",
           seal_png: bytes | None = None) -> bytes:
    """Labels arrive translated; this module only lays them out."""
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm,
                                 topMargin=16 * mm, bottomMargin=16 * mm, title=title)
    story = [Paragraph(title, TITLE)]
    head = Table([[Paragraph(k, BODY), Paragraph(v, BODY)] for k, v in header_rows],
                 colWidths=[40 * mm, 120 * mm])
    head.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [head, Spacer(1, 5 * mm)]
    rows = [[Paragraph(cell, BODY) for cell in table_head]]
    rows += [[Paragraph(cell, BODY) for cell in row] for row in table_rows]
    entries = Table(rows, colWidths=[32 * mm, 58 * mm, 30 * mm, 40 * mm], repeatRows=1)
    entries.setStyle(TableStyle([
        ("LINEBELOW", (0, 0), (-1, 0), 1, colors.black),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#999999")),
        ("ALIGN", (3, 0), (3, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    story += [entries, Spacer(1, 5 * mm)]
    totals = Table([[Paragraph(k, BODY), Paragraph(v, BODY)] for k, v in summary_rows],
                   colWidths=[60 * mm, 100 * mm])
    story += [totals, Spacer(1, 8 * mm)]
    verify = Table([[qr_drawing(verify_url), Paragraph(verify_text, SMALL)]],
                   colWidths=[38 * mm, 122 * mm])
    verify.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    story += [verify, Spacer(1, 4 * mm)]
    if issuer:
        # The issuing agency and its electronic seal, bottom right as on a paper statement.
        stamp = Image(io.BytesIO(seal_png), width=36 * mm, height=36 * mm) if seal_png else ""
        signed = Table([[Paragraph(issuer, BODY), stamp]], colWidths=[120 * mm, 40 * mm])
        signed.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                                    ("ALIGN", (0, 0), (0, 0), "RIGHT")]))
        story += [signed, Spacer(1, 4 * mm)]
    story.append(Paragraph(footer, SMALL))
    document.build(story)
    return buffer.getvalue()
