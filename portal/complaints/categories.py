"""The complaint categories a new portal starts with (DOMAIN §9); the coordinator edits rows."""

# The default service levels, in working days (DOMAIN §9): accept within 2 and complete
# within 15; urgent categories 1 and 5. Defined here only: the seed rows, the column
# defaults of ComplaintCategory and queue.deadlines.Sla read them; once seeded, each
# category's row is the truth (the coordinator edits it at /queue/categories).
ACCEPT_WORKDAYS, COMPLETE_WORKDAYS = 2, 15
URGENT_ACCEPT_WORKDAYS, URGENT_COMPLETE_WORKDAYS = 1, 5

# (code, 中文, English, urgent)
DEFAULT_CATEGORIES = (
    (
        "dry_weather",
        "雨洪排口晴天/旱天排水",
        "Dry-weather discharge from a stormwater outfall",
        False,
    ),
    (
        "abnormal_water",
        "水体颜色、气味、泡沫异常",
        "Abnormal colour, odour or foam in the water",
        False,
    ),
    (
        "illegal_discharge",
        "疑似偷排、私设暗管、借道排污",
        "Suspected illegal or hidden discharge",
        False,
    ),
    ("unregistered", "发现未登记排污口", "Unregistered outfall", False),
    ("signboard", "标识牌缺失、损坏或信息有误", "Signboard missing, damaged or wrong", False),
    (
        "remediation",
        "整治未落实、已取缔仍排放",
        "Remediation not done, or a banned outfall still discharging",
        False,
    ),
    ("fish_kill", "死鱼等生态异常", "Fish kill or other ecological anomaly", True),
    ("other", "其他", "Other", False),
)


def category_rows() -> list[dict]:
    """The defaults as rows for a bulk insert."""
    return [
        {
            "code": code,
            "name": zh,
            "name_en": en,
            "urgent": urgent,
            "accept_workdays": URGENT_ACCEPT_WORKDAYS if urgent else ACCEPT_WORKDAYS,
            "complete_workdays": URGENT_COMPLETE_WORKDAYS if urgent else COMPLETE_WORKDAYS,
            "position": i,
            "active": True,
        }
        for i, (code, zh, en, urgent) in enumerate(DEFAULT_CATEGORIES)
    ]
