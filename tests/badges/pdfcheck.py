"""Reading badge PDFs back the way a person and a scanner would: pages as images (pypdfium2), every QR code
on them decoded (zxing-cpp), the text (pypdf), and the fonts' dictionaries."""
from __future__ import annotations

import io
from dataclasses import dataclass

import pypdf
import pypdfium2 as pdfium
import zxingcpp

DPI = 200
MM_PER_INCH = 25.4


@dataclass
class Found:
    text: str  # what the QR code holds
    width_mm: float  # the symbol's width on the page (quiet zone not included)
    centre_mm: tuple[float, float]  # from the page's top left


def images(pdf: bytes, dpi: int = DPI) -> list:
    doc = pdfium.PdfDocument(pdf)
    try:
        return [doc[i].render(scale=dpi / 72).to_pil() for i in range(len(doc))]
    finally:
        doc.close()


def qr_codes(image, dpi: int = DPI) -> list[Found]:
    found = []
    for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode):
        p = r.position
        xs = [p.top_left.x, p.top_right.x, p.bottom_right.x, p.bottom_left.x]
        ys = [p.top_left.y, p.top_right.y, p.bottom_right.y, p.bottom_left.y]
        width = ((p.top_right.x - p.top_left.x) + (p.bottom_right.x - p.bottom_left.x)) / 2
        px = MM_PER_INCH / dpi
        found.append(Found(r.text, width * px, (sum(xs) / 4 * px, sum(ys) / 4 * px)))
    return found


def texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def fonts(pdf: bytes) -> list[dict]:
    """Every font of every page: its name, subtype, and whether the font program is embedded (FontFile2
    for TrueType)."""
    out = []
    for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
        for _key, ref in page["/Resources"]["/Font"].items():
            font = ref.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            out.append({"name": str(font.get("/BaseFont")), "subtype": str(font.get("/Subtype")),
                        "embedded": "/FontFile2" in descriptor, "to_unicode": "/ToUnicode" in font})
    return out


def page_sizes_mm(pdf: bytes) -> list[tuple[float, float]]:
    return [(float(p.mediabox.width) * MM_PER_INCH / 72, float(p.mediabox.height) * MM_PER_INCH / 72)
            for p in pypdf.PdfReader(io.BytesIO(pdf)).pages]
