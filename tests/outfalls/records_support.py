"""What the approval and monitoring tests share: a signed-in department desk and PDFs."""

from dataclasses import dataclass
from io import BytesIO

from fpdf import FPDF
from pypdf import PdfReader, PdfWriter

from portal.agencies.models import Department, Role
from portal.extensions import db
from portal.i18n import LANG_COOKIE
from tests import factories as f
from tests.staff import login, staff_member, totp_code


@dataclass
class Desk:
    """A signed-in staff member, an outfall of their department and one of another's."""

    username: str
    department_id: int
    code: str
    outfall_id: int
    other_code: str
    other_outfall_id: int


def make_desk(client, seed, role: Role = Role.staff, **outfall) -> Desk:
    def build():
        user = staff_member(role, totp=role in (Role.coordinator, Role.data_officer, Role.admin))
        dept = db.session.get(Department, user.department_id)
        mine = f.outfall(department=dept, **outfall)
        theirs = f.outfall()
        return Desk(user.username, dept.id, mine.code, mine.id, theirs.code, theirs.id)

    desk = seed(build)
    client.set_cookie(LANG_COOKIE, "en")
    login(client, desk.username, code=totp_code())
    return desk


def plain_pdf(text: str = "Decision") -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text=text)
    return bytes(pdf.output())


def with_attachment() -> bytes:
    writer = PdfWriter(clone_from=PdfReader(BytesIO(plain_pdf())))
    writer.add_attachment("hidden.exe", b"MZ")
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def approval_form(**kw) -> dict:
    data = {
        "kind": "approval",
        "decision_no": "钦环审〔2026〕7号",
        "authority": "钦州市生态环境局",
        "decided_on": "2026-03-01",
        "valid_until": "2031-02-28",
        "volume": "800",
        "limit_cod": "40",
        "limit_nh3n": "5",
        "ph_min": "6",
        "ph_max": "9",
        "note": "同意设置",
    }
    data.update(kw)
    return {k: v for k, v in data.items() if v is not None}


def sample_form(**kw) -> dict:
    data = {
        "sampled_at": "2026-10-01T09:30",
        "sampler_kind": "supervisory",
        "organisation": "钦州市生态环境监测站",
        "lab": "钦州生态环境监测中心",
        "weather": "dry",
        "ph": "7.2",
        "cod": "35",
        "nh3n": "2.5",
        "tn": "9",
        "tp": "0.3",
        "flow_m3s": "0.05",
    }
    data.update(kw)
    return {k: v for k, v in data.items() if v is not None}
