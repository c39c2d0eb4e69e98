"""The /manage/ pages: forms, refusals, the edit conflict, retiring, and an access walk
over every /manage/ rule for every role (a future endpoint without a guard fails it)."""

from datetime import date

import openpyxl
import pytest
from flask import current_app
from sqlalchemy import select

from portal.agencies.models import Role
from portal.core.storage import FileStore
from portal.extensions import db
from portal.imports.jobs import upload_dir
from portal.imports.models import ImportJob
from portal.outfalls.models import LedgerEntry, Outfall, OutfallStatus
from portal.remediation.models import DocumentKind, RemediationDocument, RemediationTarget
from tests import factories as f
from tests.staff import login, staff_member, totp_code

EN = {"Accept-Language": "en"}
WALK_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def world(seed):
    def make():
        region = f.region(code="450702", name="钦南区")
        river = f.water_body()
        mine = f.department()
        other = f.department()
        own = f.outfall(region=region, water_body=river, department=mine)
        foreign = f.outfall(region=region, water_body=river, department=other)
        foreign_approval = f.approval(foreign)
        foreign_sample = f.monitoring(foreign)
        foreign_plan = f.plan(foreign)
        foreign_doc = RemediationDocument(
            plan_id=foreign_plan.id,
            kind=DocumentKind.pdf,
            title="证明材料",
            filename="proof.pdf",
            content_type="application/pdf",
            size=len(WALK_PDF),
            sha256=FileStore(current_app.config["UPLOAD_DIR"]).put(WALK_PDF),
        )
        db.session.add(foreign_doc)
        target = RemediationTarget(
            due_on=date(2025, 12, 31), percent=100, source="钦政办〔2022〕28号"
        )
        db.session.add(target)
        users = {
            "staff": staff_member(Role.staff, username="mine-staff"),
            "other": staff_member(Role.staff, username="other-staff"),
            "officer": staff_member(Role.data_officer, username="officer", totp=True),
            "coordinator": staff_member(Role.coordinator, username="coord", totp=True),
            "admin": staff_member(Role.admin, username="root", totp=True, department=False),
        }
        users["staff"].department_id = mine.id
        users["other"].department_id = other.id
        db.session.flush()
        job = ImportJob(
            staff_id=users["coordinator"].id,  # jobs are their owner's; the walk GETs as him
            filename="台账.xlsx",
            stored_name="walk.xlsx",
            state="done",
            total=0,
        )
        db.session.add(job)
        db.session.flush()
        book = openpyxl.Workbook()
        book.active.append(["排污口编码", "排污口名称"])
        book.save(upload_dir() / "walk.xlsx")
        return {
            "region": region.id,
            "river": river.id,
            "mine": mine.id,
            "own": own.code,
            "foreign": foreign.code,
            "foreign_approval": foreign_approval.id,
            "foreign_sample": foreign_sample.id,
            "job": job.id,
            "foreign_milestone": foreign_plan.milestones[0].id,
            "foreign_doc": foreign_doc.id,
            "target": target.id,
        }

    return seed(make)


def _client(app, username):
    client = app.test_client()
    code = totp_code() if username in ("officer", "coord", "coord-rain", "root") else None
    login(client, username, code=code)
    return client


def _form(world, **kw):
    values = {
        "code": "TW0001-450702-GY-0777",
        "name": "钦州市新厂1#工矿企业排污口",
        "category_l1": "GY",
        "category_l2": "gy_enterprise",
        "water_kind": "river",
        "lat": "21.95",
        "lon": "108.62",
        "address": "钦南区某路1号",
        "region_id": str(world["region"]),
        "water_body_id": str(world["river"]),
        "responsible": "",
        "management": "",
        "supervising_department_id": str(world["mine"]),
        "channel_kind": "pipe",
        "standard_code": "",
        "signboard_installed_on": "",
        "reason": "排查新发现",
    }
    return values | kw


def test_data_officer_creates_an_outfall_and_the_qr_page_shows_it(app, world):
    client = _client(app, "officer")
    form = client.get("/manage/outfalls/new", headers=EN)
    assert form.status_code == 200
    # The bound it states holds for browsers and CDNs too: they may keep a public page
    # for its max-age (tests/browser/test_manage_registry.py sees the rest follow).
    assert "within 30 seconds" in form.get_data(as_text=True)
    assert "for up to 300 seconds more" in form.get_data(as_text=True)
    r = client.post("/manage/outfalls/new", data=_form(world))
    assert r.status_code == 303, r.get_data(as_text=True)
    page = app.test_client().get("/o/TW0001450702GY0777", headers=EN).get_data(as_text=True)
    assert "钦州市新厂1#工矿企业排污口" in page
    assert "钦南区人民政府" in page  # no entity known: the government is responsible
    assert "Last updated" in page


def test_refusals_land_next_to_their_fields_and_store_nothing(app, world):
    client = _client(app, "officer")
    r = client.post(
        "/manage/outfalls/new",
        data=_form(
            world, code=world["own"], category_l2="sh_wwtp", lat="51.5", lon="-0.1", reason=""
        ),
        headers=EN,
    )
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert page.count('class="field-error"') >= 4  # code, subtype, coordinates, reason
    r = client.post("/manage/outfalls/new", data=_form(world, code=world["own"]), headers=EN)
    assert "Another outfall already has this code." in r.get_data(as_text=True)
    r = client.post(
        "/manage/outfalls/new", data=_form(world, responsible="没有这家公司"), headers=EN
    )
    assert "No entity 没有这家公司: create it first." in r.get_data(as_text=True)
    with app.app_context():
        assert (
            db.session.scalar(select(Outfall).where(Outfall.code == "TW0001450702GY0777")) is None
        )


def test_a_second_concurrent_save_is_refused_with_the_changes_meanwhile_and_keeps_its_input(
    app, world
):
    first, second = _client(app, "officer"), _client(app, "coord")
    url = f"/manage/outfalls/{world['own']}/edit"
    assert first.get(url).status_code == 200 and second.get(url).status_code == 200
    with app.app_context():
        outfall = db.session.scalar(select(Outfall).where(Outfall.code == world["own"]))
        base = {
            "code": outfall.code,
            "name": outfall.name,
            "category_l1": "GY",
            "category_l2": "gy_enterprise",
            "water_kind": "river",
            "lat": "21.95",
            "lon": "108.62",
            "address": outfall.address,
            "region_id": str(outfall.region_id),
            "water_body_id": str(outfall.water_body_id),
            "responsible": "\n".join(
                f"{link.entity.credit_code} {link.entity.name}"
                for link in outfall.responsible_links
            ),
            "management": "",
            "supervising_department_id": str(outfall.supervising_department_id),
            "channel_kind": "",
            "standard_code": "",
            "signboard_installed_on": "",
            "version": str(outfall.version),
        }
    r = first.post(url, data=base | {"address": "第一个人的地址", "reason": "核实"})
    assert r.status_code == 303
    r = second.post(url, data=base | {"name": "第二个人的名字", "reason": "更名"}, headers=EN)
    assert r.status_code == 409
    page = r.get_data(as_text=True)
    assert "Changed meanwhile by someone else" in page and "第一个人的地址" in page
    assert 'value="第二个人的名字"' in page  # their input is kept
    with app.app_context():
        assert (
            db.session.scalar(select(Outfall.name).where(Outfall.code == world["own"]))
            != "第二个人的名字"
        )
    # Saving again (the form now carries the current version) succeeds.
    version = page.split('name="version" type="hidden" value="')[1].split('"')[0]
    r = second.post(
        url, data=base | {"name": "第二个人的名字", "reason": "更名", "version": version}
    )
    assert r.status_code == 303


def test_department_staff_edit_only_their_outfalls_and_cannot_retire(app, world):
    client = _client(app, "mine-staff")
    assert client.get(f"/manage/outfalls/{world['own']}/edit").status_code == 200
    assert client.get(f"/manage/outfalls/{world['foreign']}/edit").status_code == 404
    assert client.get(f"/manage/outfalls/{world['own']}/retire").status_code == 403
    index = client.get("/manage/").get_data(as_text=True)
    assert world["own"] in index and world["foreign"] not in index


def test_the_coordinator_bans_an_outfall_and_its_signboard_url_says_so(app, world):
    client = _client(app, "coord")
    url = f"/manage/outfalls/{world['own']}/retire"
    r = client.post(
        url, data={"action": "ban", "ban-on": "2026-03-01", "ban-reason": "x"}, headers=EN
    )
    assert r.status_code == 400  # no decision number
    r = client.post(
        url,
        data={
            "action": "ban",
            "ban-decision_no": "钦环〔2026〕1号",
            "ban-on": "2026-03-01",
            "ban-reason": "取缔",
        },
    )
    assert r.status_code == 303
    with app.app_context():
        outfall = db.session.scalar(select(Outfall).where(Outfall.code == world["own"]))
        assert outfall.status is OutfallStatus.banned
        assert (
            db.session.scalar(
                select(LedgerEntry.action).where(LedgerEntry.outfall_id == outfall.id)
            )
            == "banned"
        )
    assert "was banned on" in app.test_client().get(f"/o/{world['own']}", headers=EN).get_data(
        as_text=True
    )


def test_a_stormwater_outfall_offers_no_merge_or_ban_and_a_forged_one_is_refused(app, seed):
    from portal.outfalls.models import CategoryL1

    rain = seed(lambda: f.outfall(category_l1=CategoryL1.YH).code)
    seed(lambda: staff_member(Role.coordinator, username="coord-rain", totp=True))
    client = _client(app, "coord-rain")
    url = f"/manage/outfalls/{rain}/retire"
    page = client.get(url, headers=EN).get_data(as_text=True)
    rule = app.config["REMEDIATION_STORMWATER_RULE"]
    assert 'id="stormwater-rule"' in page and rule in page
    assert 'value="merge"' not in page and 'value="ban"' not in page
    assert 'value="close"' in page  # closing is still the coordinator's to do
    r = client.post(
        url,
        data={
            "action": "ban",
            "ban-decision_no": "钦环〔2026〕1号",
            "ban-on": "2026-03-01",
            "ban-reason": "取缔",
        },
        headers=EN,
    )
    assert r.status_code == 400 and rule in r.get_data(as_text=True)
    with app.app_context():
        outfall = db.session.scalar(select(Outfall).where(Outfall.code == rain))
        assert outfall.status is OutfallStatus.in_service


def _rules(app):
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/manage/"):
            continue
        # An `any(...)` argument takes its first choice; every other argument "1".
        values = {
            arg: sorted(getattr(rule._converters[arg], "items", None) or ["1"])[0]
            for arg in rule.arguments
        }
        yield rule, values


def _walk(app, values_for):
    found = []
    for rule, values in _rules(app):
        values.update({k: v for k, v in values_for.items() if k in rule.arguments})
        url = rule.build(values, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule, method, url))
    return found


def test_access_walk_over_every_manage_rule_and_role(app, world):
    # Every argument that names a record names one of another department's outfall.
    scoped = {
        "code": world["foreign"],
        "approval_id": world["foreign_approval"],
        "record_id": world["foreign_sample"],
        "milestone_id": world["foreign_milestone"],
        "doc_id": world["foreign_doc"],
    }
    urls = _walk(app, {**scoped, "job_id": world["job"], "target_id": world["target"]})
    assert len(urls) >= 7
    anonymous = app.test_client()
    for _rule, method, url in urls:
        r = anonymous.open(url, method=method)
        assert r.status_code in (302, 303) and "/staff/login" in r.headers["Location"], url
    admin = _client(app, "root")
    for rule, method, url in urls:
        assert admin.open(url, method=method).status_code == 403, (rule.endpoint, method)
    other = _client(app, "mine-staff")  # the walk's record is another department's
    for rule, method, url in urls:
        status = other.open(url, method=method).status_code
        if rule.arguments & scoped.keys():
            assert status == 404, (rule.endpoint, method, status)
        else:
            assert status in (200, 303, 400, 403), (rule.endpoint, method, status)
    coordinator = _client(app, "coord")
    for rule, method, url in urls:
        if method == "GET":
            with coordinator.get(url) as r:  # closed: a document is a streamed file
                assert r.status_code == 200, rule.endpoint
                assert r.headers["Cache-Control"] == "no-store"


def test_entities_and_waters_are_kept_by_the_registry_roles_only(app, world):
    officer = _client(app, "officer")
    r = officer.post(
        "/manage/entities/new",
        data={"name": "某公司", "credit_code": "91450702MA00000000", "reason": "新增"},
        headers=EN,
    )
    assert r.status_code == 400 and "Not a valid unified social credit code." in r.get_data(
        as_text=True
    )
    r = officer.post(
        "/manage/entities/new",
        data={
            "name": "某公司",
            "credit_code": f.credit_code(4242),
            "phone": "0777-2123456",
            "reason": "新增",
        },
    )
    assert r.status_code == 303
    entity_url = r.headers["Location"]
    assert officer.get(entity_url).status_code == 200
    r = officer.post(
        "/manage/waters/new",
        data={"name": "新江", "kind": "river", "target_class": "第二类", "reason": "x"},
    )
    assert r.status_code == 400  # a river's class is I to V
    r = officer.post(
        "/manage/waters/new",
        data={"name": "新江", "kind": "river", "target_class": "II", "reason": "新增"},
    )
    assert r.status_code == 303
    staff = _client(app, "mine-staff")
    assert staff.get("/manage/entities/new").status_code == 403
    assert staff.get(entity_url).status_code == 403
    assert (
        staff.post(
            "/manage/waters/new", data={"name": "x", "kind": "river", "reason": "x"}
        ).status_code
        == 403
    )
