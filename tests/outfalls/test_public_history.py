"""The public history page, "last updated", and /o/<code> for every state an edit leaves."""

from datetime import date

from portal.agencies.models import Role
from portal.extensions import db
from portal.outfalls import ledger
from portal.outfalls.models import Outfall
from tests import factories as f
from tests.staff import staff_member

EN = {"Accept-Language": "en"}


def _edited(seed):
    def make():
        outfall = f.outfall()
        officer = staff_member(Role.data_officer, display_name="张三丰")
        data = ledger.OutfallData.from_outfall(outfall)
        data.address = "钦南区改后路8号"
        ledger.update(
            outfall, data, actor=officer, reason="现场核实地址", expected_version=outfall.version
        )
        entity = outfall.primary_entity
        ledger.update_entity(
            entity,
            ledger.EntityData(
                name=entity.name, credit_code=entity.credit_code, phone="0777-2888888"
            ),
            actor=officer,
            reason="电话",
        )
        return outfall.code, officer.department.name_en

    return seed(make)


def test_history_shows_public_fields_department_and_reason_but_no_staff(client, seed):
    code, department = _edited(seed)
    r = client.get(f"/outfalls/{code}/history", headers=EN)
    assert r.status_code == 200
    assert r.headers["Cache-Control"].startswith("public")
    page = r.get_data(as_text=True)
    for expected in ("钦南区改后路8号", "钦南区测试路1号", "现场核实地址", department, "Address"):
        assert expected in page, expected
    assert "张三丰" not in page and "data_officer" not in page
    assert "0777-2888888" not in page and "version" not in page.lower().split("<body")[1]


def test_a_renamed_outfall_reads_as_its_name_changed_in_chinese(client, seed):
    def make():
        outfall = f.outfall()
        data = ledger.OutfallData.from_outfall(outfall)
        data.name = "钦南区更名后排污口"
        ledger.update(
            outfall,
            data,
            actor=staff_member(Role.data_officer),
            reason="更名",
            expected_version=outfall.version,
        )
        return outfall.code

    code = seed(make)
    page = client.get(f"/outfalls/{code}/history", headers={"Accept-Language": "zh"})
    text = page.get_data(as_text=True)
    assert ">排污口名称</th>" in text and "修改后" in text and "钦南区更名后排污口" in text
    assert "姓名" not in text  # a person's name: the label the shared "Name" had


def test_outfall_page_and_qr_page_say_when_the_record_last_changed(client, seed):
    code, _ = _edited(seed)
    for url in (f"/outfalls/{code}", f"/o/{code}"):
        page = client.get(url, headers=EN).get_data(as_text=True)
        assert "Last updated" in page, url
    assert f"/outfalls/{code}/history" in client.get(f"/outfalls/{code}").get_data(as_text=True)


def test_a_corrected_code_still_resolves_on_the_signboard(client, seed):
    def make():
        outfall = f.outfall()
        old = outfall.code
        data = ledger.OutfallData.from_outfall(outfall)
        data.code = old[:-4] + "9999"
        ledger.update(
            outfall,
            data,
            actor=staff_member(Role.coordinator),
            reason="编码更正",
            expected_version=1,
        )
        return old, outfall.code

    old, new = seed(make)
    r = client.get(f"/o/{old}")
    assert r.status_code == 301 and r.headers["Location"].endswith(f"/o/{new}")
    assert client.get(f"/o/{new}").status_code == 200


def test_o_code_resolves_for_merged_banned_and_closed_outfalls(client, seed):
    def make():
        coordinator = staff_member(Role.coordinator)
        a, b, c, d = (f.outfall() for _ in range(4))
        ledger.merge(a, b, actor=coordinator, reason="合并", on=date(2026, 3, 1))
        ledger.ban(
            c, on=date(2026, 3, 2), decision_no="钦环〔2026〕9号", actor=coordinator, reason="取缔"
        )
        ledger.close(d, on=date(2026, 3, 3), actor=coordinator, reason="停用")
        return a.code, b.code, c.code, d.code

    merged, target, banned, closed = seed(make)
    r = client.get(f"/o/{merged}")
    assert r.status_code in (302, 303) and f"/o/{target}?from={merged}" in r.headers["Location"]
    assert "was merged into this outfall" in client.get(r.headers["Location"], headers=EN).get_data(
        as_text=True
    )
    assert "was banned on" in client.get(f"/o/{banned}", headers=EN).get_data(as_text=True)
    assert "was closed on" in client.get(f"/o/{closed}", headers=EN).get_data(as_text=True)
    history = client.get(f"/outfalls/{banned}/history", headers=EN).get_data(as_text=True)
    assert "钦环〔2026〕9号" in history and "Banned" in history


def test_history_of_an_unknown_code_is_404(client, app):
    assert client.get("/outfalls/NOSUCH0000/history").status_code == 404
    with app.app_context():
        assert db.session.query(Outfall).count() == 0
