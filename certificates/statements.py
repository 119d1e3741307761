"""The redemption statement of a claim (SPEC §13): a PDF the claimer hands to whoever asks
what its claim stands on — the certificate, the volume, the beneficiary and period, the
claim's signed ledger entry, and the public verification page (a link and a QR code), where
anyone can check it without an account. Both doors serve it (``statement_download``) for the
claims ``selectors.claim_get`` lets them read.

The text is in DejaVu Sans (certificates/fonts/, embedded as a subset): the PDF core fonts are
Latin-1 only, while a beneficiary or a location may be written in any script."""

import unicodedata
from datetime import UTC
from pathlib import Path

import segno
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from fpdf import FPDF, XPos, YPos
from fpdf.fonts import TTFFont

from certificates.models import Claim, LedgerEntry
from certificates.templatetags.certificate_text import claim_period, devices, period
from drec.formats import iso, people_energy, people_moment
from drec.http import attachment

FONTS = Path(__file__).resolve().parent / "fonts"
FAMILY = "DejaVu"
REPLACEMENT = "\ufffd"  # for a character the font has no glyph of
BREAKS = {"Cc", "Zl", "Zp"}  # control characters (tabs, line feeds...) and line separators: a space
INVISIBLE = "Cf"  # format characters (bidi overrides, zero-width joiners): dropped

MARGIN = 20  # mm
LABEL_WIDTH = 48  # mm
LINE = 6  # mm
QR_SIZE = 42  # mm, quiet zone included
QR_BORDER = 4  # modules of quiet zone, as the QR standard asks


def statement_filename(claim: Claim) -> str:
    return f"redemption-statement-certificate-{claim.certificate_id}-claim-{claim.pk}.pdf"


def statement_download(request: HttpRequest, claim: Claim) -> HttpResponse:
    """The statement of a claim the caller may read, as a download; the verification URL on
    the host the caller used (behind a proxy: the one Django trusts, as for every link)."""
    verify_url = request.build_absolute_uri(reverse("certificate-verify", args=[claim.certificate_id]))
    return attachment(statement_pdf(claim, verify_url), statement_filename(claim), "application/pdf")


def _ledger_entry(claim: Claim) -> LedgerEntry | None:
    try:
        return claim.ledger_entry
    except LedgerEntry.DoesNotExist:  # every claim has one (claim_create); a statement still says so
        return None


def _energy(wh: int) -> str:
    """Exact Wh, and in people's unit when it is not Wh: "4,500 Wh (4.5 kWh)"."""
    human = people_energy(wh)
    return f"{wh:,} Wh" if human.endswith(" Wh") else f"{wh:,} Wh ({human})"


def _countries(claim: Claim) -> str:
    """The countries of the devices the certificate was issued for."""
    certificate = claim.certificate
    names = {contribution.device.country.name for contribution in certificate.contributions.all()}
    return ", ".join(sorted(names)) or certificate.country.name


class Statement(FPDF):
    """An A4 page of labelled rows, every text cleaned for the embedded font."""

    def __init__(self) -> None:
        super().__init__(format="A4")
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(auto=True, margin=MARGIN)
        self.add_font(FAMILY, "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font(FAMILY, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        self.set_font(FAMILY, size=10)

    def clean(self, text: object) -> str:
        """Text the font can draw on one line: control characters become spaces, invisible
        format characters go (a bidi override would reorder what is read), and a character the
        font has no glyph for becomes U+FFFD (never silently dropped: a reader sees something is
        missing)."""
        font = self.current_font
        cmap = font.cmap if isinstance(font, TTFFont) else None
        chars = []
        for char in str(text):
            category = unicodedata.category(char)
            if category in BREAKS:
                chars.append(" ")
            elif category == INVISIBLE:
                continue
            elif cmap is not None and char != " " and ord(char) not in cmap:
                chars.append(REPLACEMENT)
            else:
                chars.append(char)
        return " ".join("".join(chars).split())

    def heading(self, text: str, size: float = 12) -> None:
        self.set_font(FAMILY, "B", size)
        self.multi_cell(0, size * 0.55, self.clean(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1.5)
        self.set_font(FAMILY, "", 10)

    def paragraph(self, text: str, size: float = 10) -> None:
        self.set_font(FAMILY, "", size)
        self.multi_cell(0, size * 0.5, self.clean(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FAMILY, "", 10)

    def row(self, label: str, value: object, *, size: float = 10) -> None:
        """A label and its value beside it (the value wraps within its column)."""
        self.set_font(FAMILY, "B", 10)
        self.multi_cell(LABEL_WIDTH, LINE, self.clean(label), align="L", new_x=XPos.RIGHT, new_y=YPos.TOP)
        self.set_font(FAMILY, "", size)
        self.multi_cell(0, LINE, self.clean(value), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FAMILY, "", 10)

    def section(self, title: str) -> None:
        self.ln(3)
        self.heading(title, 12)
        self.set_draw_color(180, 180, 180)
        self.line(MARGIN, self.get_y() - 1, self.w - MARGIN, self.get_y() - 1)
        self.ln(1)

    def qr(self, url: str, x: float, y: float, size: float = QR_SIZE) -> None:
        """``url`` as a QR code, drawn as vector squares (one per run of dark modules of a row):
        sharp at any zoom and on paper."""
        code = segno.make_qr(url, error="m")
        width, _height = code.symbol_size(border=QR_BORDER)
        module = size / width
        self.set_fill_color(0, 0, 0)
        for row_number, row in enumerate(code.matrix_iter(border=QR_BORDER)):
            start = None
            for column, dark in enumerate([*row, False]):
                if dark and start is None:
                    start = column
                elif not dark and start is not None:
                    self.rect(x + start * module, y + row_number * module, (column - start) * module, module, "F")
                    start = None


def statement_pdf(claim: Claim, verify_url: str) -> bytes:
    """The redemption statement of ``claim`` as PDF bytes; ``verify_url`` is the absolute URL
    of its certificate's public verification page (written out and as a QR code)."""
    issuer = settings.DREC_ISSUER_NAME
    certificate = claim.certificate
    entry = _ledger_entry(claim)
    pdf = Statement()
    pdf.set_title(f"Redemption statement: claim {claim.pk} on certificate {certificate.pk}")
    pdf.set_subject("Redemption (claim) of a renewable energy certificate")
    pdf.set_author(issuer)
    pdf.set_creator(issuer)
    pdf.set_lang("en")
    pdf.add_page()

    pdf.heading(issuer, 16)
    pdf.heading("Redemption statement", 14)
    recorded = f" and recorded as entry #{entry.index} of its signed ledger" if entry else ""
    pdf.paragraph(
        f"{issuer} states that {_energy(claim.amount_wh)} of certificate {certificate.pk} were claimed "
        f"(retired) on {people_moment(claim.created_at, UTC)}"
        f" for the beneficiary below{recorded}. Claimed energy cannot be claimed, transferred or sold again."
    )

    pdf.section("Claim")
    pdf.row("Claim", claim.pk)
    pdf.row("Claimed volume", _energy(claim.amount_wh))
    pdf.row("Beneficiary", claim.beneficiary)
    pdf.row("Location", claim.location)
    pdf.row("Country", f"{claim.country.name} ({claim.country_id})")
    pdf.row("Period", f"{claim_period(claim)} ({iso(claim.period_start)} to {iso(claim.period_end)})")
    pdf.row("Purpose", claim.purpose)
    pdf.row("Claimed by", claim.organization.name)

    pdf.section("Certificate")
    pdf.row("Certificate", certificate.pk)
    pdf.row("Transaction UID", certificate.uid, size=9)
    pdf.row("Issued volume", _energy(certificate.energy_wh))
    pdf.row("Devices", devices(certificate))
    pdf.row("Devices' country", _countries(claim))
    generation = f"{iso(certificate.generation_start)} to {iso(certificate.generation_end)}"
    pdf.row("Generation period", f"{period(certificate)} ({generation})")

    pdf.section("Ledger entry of the claim")
    if entry is None:
        pdf.paragraph("This claim has no ledger entry.")
    else:
        pdf.row("Entry", f"#{entry.index} ({entry.kind}), {people_moment(entry.created_at, UTC)}")
        pdf.row("Hash (SHA-256)", entry.hash, size=8)
        pdf.row("Signature (Ed25519)", entry.signature, size=8)
        pdf.row("Issuer key", entry.key_id, size=8)

    pdf.section("Verify")
    if pdf.will_page_break(QR_SIZE + 2 * LINE):
        pdf.add_page()
    top = pdf.get_y()
    pdf.qr(verify_url, pdf.w - MARGIN - QR_SIZE, top)
    pdf.set_right_margin(MARGIN + QR_SIZE + 4)
    pdf.paragraph(
        "Anyone can check this certificate, its claims and their ledger entries against the "
        f"{issuer}'s signed ledger, without an account, at:"
    )
    pdf.ln(1)
    pdf.set_font(FAMILY, "", 9)
    pdf.multi_cell(0, LINE, pdf.clean(verify_url), align="L", link=verify_url, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)
    pdf.paragraph("or by scanning the QR code. The ledger's public key and entries are public too.", 9)
    pdf.set_right_margin(MARGIN)
    pdf.set_y(max(pdf.get_y(), top + QR_SIZE) + 4)
    pdf.paragraph(f"Generated on {people_moment(timezone.now(), UTC)} by {issuer}.", 8)
    return bytes(pdf.output())
