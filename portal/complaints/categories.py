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


# How the default categories group and what people call them (Open311 `group` and
# `keywords`): (group code, 中文, English) and keywords in both languages. A category the
# coordinator adds later falls in the "other" group with no keywords.
CATEGORY_GROUPS = {
    "discharge": ("排放", "Discharges"),
    "water": ("水体与生态", "Water and ecology"),
    "registry": ("排污口登记与标识", "Outfall register and signboards"),
    "other": ("其他", "Other"),
}
CATEGORY_GROUP = {
    "dry_weather": "discharge",
    "illegal_discharge": "discharge",
    "remediation": "discharge",
    "abnormal_water": "water",
    "fish_kill": "water",
    "unregistered": "registry",
    "signboard": "registry",
    "other": "other",
}
CATEGORY_KEYWORDS = {
    "dry_weather": ("晴天排水", "旱天排水", "雨水口", "dry weather", "stormwater"),
    "abnormal_water": ("黑臭", "颜色", "气味", "泡沫", "colour", "odour", "foam"),
    "illegal_discharge": ("偷排", "暗管", "借道排污", "illegal", "hidden pipe"),
    "unregistered": ("未登记", "新排口", "unregistered", "new outfall"),
    "signboard": ("标识牌", "二维码", "signboard", "QR code"),
    "remediation": ("整治", "取缔", "remediation", "banned"),
    "fish_kill": ("死鱼", "生态", "fish kill", "ecology"),
    "other": ("其他", "other"),
}
