"""One-page demo PDFs (approval decisions, filing receipts) made with fpdf2."""

import io
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from fpdf import FPDF

from ..config import ROOT

FONT_DIR = ROOT / "static" / "fonts"
DEMO_FOOTER = "本文件为演示数据，不是真实的行政决定。"
DEMO_FOOTER_EN = "Demo data - not a real administrative decision."


@dataclass(frozen=True)
class DocumentText:
    """What one PDF says: a heading, a title, body lines and, in English, a fallback."""

    heading: str
    title: str
    lines: tuple[str, ...]
    english: tuple[str, ...]


def find_cjk_font(font_dir: Path = FONT_DIR) -> Path | None:
    """The first TrueType/OpenType font shipped under static/fonts, if any."""
    if not font_dir.is_dir():
        return None
    fonts = sorted(p for p in font_dir.iterdir() if p.suffix.lower() in (".ttf", ".otf"))
    return fonts[0] if fonts else None


def _subset_font(font_path: Path, text: str, target: Path) -> None:
    """Write a copy of the font holding only the glyphs the documents use (fast to embed)."""
    from fontTools import subset, ttLib

    font = ttLib.TTFont(str(font_path), lazy=True)
    options = subset.Options()
    options.layout_features = []
    options.name_IDs = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text)
    subsetter.subset(font)
    buf = io.BytesIO()
    font.save(buf)
    font.close()
    target.write_bytes(buf.getvalue())


def _new_pdf(created: datetime) -> FPDF:
    pdf = FPDF(format="A4")
    pdf.set_creation_date(created)
    pdf.set_producer("portal demo data")
    pdf.set_margins(22, 20, 22)
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_page()
    return pdf


def _render_cjk(doc: DocumentText, font_file: Path, created: datetime) -> bytes:
    pdf = _new_pdf(created)
    pdf.add_font("cjk", "", str(font_file))
    pdf.set_font("cjk", size=11)
    pdf.set_text_color(180, 0, 0)
    pdf.cell(0, 7, "演示数据 DEMO DATA", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font_size(16)
    pdf.multi_cell(0, 10, doc.heading, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font_size(13)
    pdf.multi_cell(0, 8, doc.title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font_size(11)
    for line in doc.lines:
        pdf.multi_cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
    pdf.ln(6)
    pdf.set_text_color(180, 0, 0)
    pdf.multi_cell(0, 6, f"{DEMO_FOOTER}\n{DEMO_FOOTER_EN}", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _render_ascii(doc: DocumentText, created: datetime) -> bytes:
    pdf = _new_pdf(created)
    pdf.set_font("Helvetica", "B", 11)
    pdf.set_text_color(180, 0, 0)
    pdf.cell(0, 7, "DEMO DATA", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("Helvetica", "", 11)
    for line in doc.english:
        pdf.multi_cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.multi_cell(0, 6, DEMO_FOOTER_EN, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


# Rendered PDFs by content: the same demo documents are often made again in one process.
_cache: dict[DocumentText, bytes] = {}


def render_documents(docs: list[DocumentText], created: datetime | None = None) -> list[bytes]:
    """Render each document as a one-page PDF; Chinese when a CJK font is available."""
    created = created or datetime(2026, 1, 1, tzinfo=UTC)
    todo = [doc for doc in dict.fromkeys(docs) if doc not in _cache]
    if todo:
        if len(_cache) > 200:
            _cache.clear()
        font = find_cjk_font()
        if font is None:
            _cache.update((doc, _render_ascii(doc, created)) for doc in todo)
        else:
            chars = "演示数据 DEMO DATA" + DEMO_FOOTER + DEMO_FOOTER_EN
            chars += "".join(doc.heading + doc.title + "".join(doc.lines) for doc in todo)
            with tempfile.TemporaryDirectory() as tmp:
                subset = Path(tmp) / "subset.ttf"
                _subset_font(font, "".join(sorted(set(chars))), subset)
                _cache.update((doc, _render_cjk(doc, subset, created)) for doc in todo)
    return [_cache[doc] for doc in docs]
