"""Staff pages (and the new public ones) pass the W3C Nu HTML checker with 0 errors.

The checker is npm's `vnu-jar` (pinned below), run with the machine's Java; it is installed
under .cache/npm on first use (`make setup-dev` does it too). All pages are checked in one
run of the checker: the JVM starts once.
"""

import json
import shutil
import subprocess

from portal.config import ROOT
from tests.staff import PASSWORD, login, totp_code

VNU_VERSION = "26.9.27"
PREFIX = ROOT / ".cache" / "npm"
JAR = PREFIX / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def _checker() -> list[str]:
    """The command that runs the checker, installing it once if needed."""
    java = shutil.which("java")
    assert java, "the Nu checker needs Java: apt-get install default-jre-headless"
    if not JAR.exists():
        subprocess.run(
            [
                "npm",
                "install",
                "--no-save",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(PREFIX),
                f"vnu-jar@{VNU_VERSION}",
            ],
            check=True,
            capture_output=True,
            timeout=600,
        )
    return [java, "-Xss8m", "-jar", str(JAR), "--errors-only", "--format", "json"]


def test_staff_and_record_pages_have_no_html_errors(app, world, report, sign_in, client, tmp_path):
    case_id, number, _ = report(outfall=world.outfall_code, consent=True)
    staff = sign_in("ind-staff")
    staff.post(f"/queue/cases/{case_id}/act", data={"action": "accept"})
    staff.post(f"/queue/cases/{case_id}/reveal")
    staff.post(f"/queue/cases/{case_id}/extension", data={"days": "5", "reason": "检测"})
    coordinator = app.test_client()
    login(coordinator, "coord", PASSWORD, code=totp_code())
    pages = {
        "queue": (staff, "/queue/?sort=received&desc=y"),
        "queue-filtered": (staff, "/queue/?region=450702&overdue=y"),
        "case": (staff, f"/queue/cases/{case_id}"),
        "intake": (staff, "/queue/intake/"),
        "intake-errors": (staff, None),
        "coordinator-queue": (coordinator, "/queue/"),
        "coordinator-case": (coordinator, f"/queue/cases/{case_id}"),
        "overview": (coordinator, "/queue/overview"),
        "record": (client, "/complaints/"),
        "record-errors": (client, "/complaints/?status=lost"),
        "summary": (client, f"/complaints/{number}"),
        "departments": (client, "/departments/"),
        "department": (client, f"/departments/{world.industry}"),
        "landing": (client, f"/o/{world.outfall_code}"),
    }
    for name, (who, url) in pages.items():
        if url is None:
            response = who.post("/queue/intake/", data={"channel": "letter", "description": ""})
        else:
            response = who.get(url)
        assert response.status_code in (200, 400), (name, response.status_code)
        (tmp_path / f"{name}.html").write_bytes(response.data)
    result = subprocess.run(
        [*_checker(), *sorted(str(p) for p in tmp_path.glob("*.html"))],
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    errors = [
        f"{m['url'].rsplit('/', 1)[-1]}:{m.get('lastLine')}: {m['message']}"
        for m in messages
        if m.get("type") == "error"
    ]
    assert errors == [], "\n".join(errors)
