"""/progress and /progress/overdue on SQLite and PostgreSQL: the matrix's numbers equal the
list filter's counts, targets are judged at their dates, the home page is honest."""

import re
from datetime import date

from portal.outfalls.models import RemediationCategory, RemediationStatus
from portal.remediation.models import RemediationTarget
from tests import factories as f


def _world():
    region = f.region(code="450702", name="钦南区")
    water = f.water_body()
    for status, signed in (
        (RemediationStatus.closed, date(2023, 6, 1)),
        (RemediationStatus.closed, date(2024, 6, 1)),
        (RemediationStatus.retained, None),
        (RemediationStatus.remediating, None),
    ):
        o = f.outfall(region=region, water_body=water)
        category = (
            RemediationCategory.retain
            if status is RemediationStatus.retained
            else RemediationCategory.regularise
        )
        f.plan(
            o,
            status=status,
            category=category,
            signed_off_on=signed,
            identified_on=date(2023, 1, 1),
            deadline=date(2024, 1, 31),
        )
    f.outfall(region=region, water_body=water)  # no plan yet
    f._add(RemediationTarget(due_on=date(2023, 12, 31), percent=30, source="钦政办〔2022〕28号"))
    f._add(RemediationTarget(due_on=date(2024, 12, 31), percent=70, source="钦政办〔2022〕28号"))


def test_matrix_counts_equal_the_list_filter(client, seed):
    seed(_world)
    page = client.get("/progress").get_data(as_text=True)
    links = re.findall(r'href="(/outfalls/\?[^"]+)" data-count="(\d+)"', page)
    assert links
    for href, count in links:
        listed = client.get(href.replace("&amp;", "&")).get_data(as_text=True)
        total = re.search(r'<p class="muted">(\d+)', listed)
        assert total is not None and total.group(1) == count, href
    assert "钦政办〔2022〕28号" in page


def test_targets_and_overdue(client, seed):
    seed(_world)
    page = client.get("/progress").get_data(as_text=True)
    # Four identified on 2023-01-01 (the fifth, without a plan, on its creation day: today).
    # End-2023: 1 signed off, 30 % of 4 needs 2: short by 1. End-2024: 2, 70 % needs 3: 1.
    assert re.findall(r'data-shortfall="(\d+)"', page) == ["1", "1"]
    overdue = client.get("/progress/overdue")
    assert overdue.status_code == 200
    home = client.get("/").get_data(as_text=True)
    assert "/progress/overdue" in home
