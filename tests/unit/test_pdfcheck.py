"""Approval documents: real PDFs pass; non-PDFs, encrypted ones, scripts, automatic actions,
embedded files and oversized files are refused (PDFs generated with fpdf2 and pypdf)."""

from io import BytesIO

import pytest
from fpdf import FPDF
from pypdf import PdfReader, PdfWriter
from pypdf.actions import JavaScript
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    TextStringObject,
)

from portal.outfalls.pdfcheck import PdfRefused, check_pdf

LIMIT = 5 * 1024 * 1024


def plain_pdf(pages: int = 1) -> bytes:
    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    for n in range(pages):
        pdf.add_page()
        pdf.cell(text=f"Decision page {n + 1}")
    return bytes(pdf.output())


def rewritten(change) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(BytesIO(plain_pdf())))
    change(writer)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _name(text):
    return NameObject(text)


def _js_names_tree(writer):
    action = DictionaryObject(
        {_name("/S"): _name("/JavaScript"), _name("/JS"): TextStringObject("app.alert(1)")}
    )
    tree = DictionaryObject({_name("/Names"): ArrayObject([TextStringObject("x"), action])})
    writer._root_object[_name("/Names")] = DictionaryObject({_name("/JavaScript"): tree})


def _page_additional_action(writer):
    writer.pages[0][_name("/AA")] = DictionaryObject(
        {_name("/O"): DictionaryObject({_name("/S"): _name("/Launch")})}
    )


def _file_attachment_annotation(writer):
    annotation = DictionaryObject(
        {
            _name("/Type"): _name("/Annot"),
            _name("/Subtype"): _name("/FileAttachment"),
            _name("/Rect"): ArrayObject([FloatObject(0), FloatObject(0)] * 2),
        }
    )
    writer.pages[0][_name("/Annots")] = ArrayObject([writer._add_object(annotation)])


def _launch_open_action(writer):
    writer._root_object[_name("/OpenAction")] = DictionaryObject(
        {_name("/S"): _name("/Launch"), _name("/F"): TextStringObject("cmd.exe")}
    )


REFUSED = {
    "names-tree javascript": (lambda: rewritten(_js_names_tree), "javascript"),
    "open action javascript": (
        lambda: rewritten(lambda w: w.add_open_action(JavaScript("app.alert(1)"))),
        "javascript",
    ),
    "open action launch": (lambda: rewritten(_launch_open_action), "javascript"),
    "page additional action": (lambda: rewritten(_page_additional_action), "javascript"),
    "embedded file": (
        lambda: rewritten(lambda w: w.add_attachment("data.txt", b"secret")),
        "embedded",
    ),
    "file attachment annotation": (lambda: rewritten(_file_attachment_annotation), "embedded"),
    "encrypted": (lambda: rewritten(lambda w: w.encrypt("secret")), "encrypted"),
    # A name written with #xx escapes is the same name to a reader: /J#61vaScript.
    "escaped name": (
        lambda: plain_pdf().replace(
            b"/Type /Catalog", b"/Type /Catalog /Names << /J#61vaScript << >> >>"
        ),
        "javascript",
    ),
    "not a pdf": (lambda: b"<html><body>not a decision</body></html>", "not_pdf"),
    "png renamed": (lambda: b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "not_pdf"),
    "truncated": (lambda: plain_pdf()[:200], "damaged"),
    "empty": (lambda: b"", "empty"),
}


def test_a_plain_pdf_passes_with_its_page_count():
    assert check_pdf(plain_pdf(3), LIMIT) == 3


def test_an_open_action_that_only_shows_a_page_passes():
    def go_to_first_page(writer):
        page = writer.pages[0].indirect_reference
        writer._root_object[_name("/OpenAction")] = ArrayObject([page, _name("/Fit")])

    assert check_pdf(rewritten(go_to_first_page), LIMIT) == 1


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refused(case):
    make, reason = REFUSED[case]
    with pytest.raises(PdfRefused) as refused:
        check_pdf(make(), LIMIT, field="documents")
    assert refused.value.reason == reason
    assert refused.value.field == "documents"


def test_too_large_is_refused_before_parsing():
    data = plain_pdf()
    with pytest.raises(PdfRefused) as refused:
        check_pdf(data, len(data) - 1)
    assert refused.value.reason == "too_large"
    assert check_pdf(data, len(data)) == 1
