"""Routing rules for the demo: Atushi's division of labour (DOMAIN §7) on Qinzhou's departments."""

from sqlalchemy import select

from ..agencies.models import Department
from ..queue.models import ResponseTemplate, RoutingRule

# (category or None, outfall type or None, lead slug, assisting slugs, note)
RULES = (
    ("fish_kill", None, "eco-env", ("water", "agriculture"), "死鱼等生态异常由生态环境局牵头"),
    ("unregistered", None, "eco-env", (), "未登记排污口由生态环境局核查"),
    ("illegal_discharge", "GY", "eco-env", ("industry",), "工业偷排由生态环境局执法"),
    ("dry_weather", "YH", "urban-mgmt", ("housing",), "雨洪排口晴天排水：城管执法牵头"),
    (None, "GY", "industry", ("eco-env",), "工矿企业排口"),
    (None, "SH", "housing", ("eco-env",), "城镇污水处理厂排口"),
    (None, "NY", "agriculture", (), "农业排口（养殖、灌区）"),
    (None, "YH", "urban-mgmt", ("housing",), "城镇雨洪排口"),
    (None, "QT", "eco-env", (), "其他排口"),
)

TEMPLATES = (
    (None, "已受理", "您好，您反映的问题已受理，我们将在规定期限内核查处理并答复。"),
    (
        "dry_weather",
        "晴天排水已核查",
        "经现场核查，该雨洪排口晴天排水系上游管网混接所致，已责令整改，整改完成后将复查。",
    ),
    ("signboard", "标识牌已更新", "经核查，该排污口标识牌信息有误，已于近日更换，感谢您的监督。"),
)


def load_demo_rules(session) -> None:
    """Add the demo routing rules and reply templates (called once by load_demo)."""
    departments = {d.slug: d for d in session.scalars(select(Department))}
    for category, outfall_type, lead, assisting, note in RULES:
        session.add(
            RoutingRule(
                category_code=category,
                outfall_type=outfall_type,
                lead_department=departments[lead],
                assisting=[departments[s] for s in assisting],
                note=note,
            )
        )
    for category, title, body in TEMPLATES:
        session.add(ResponseTemplate(category_code=category, title=title, body=body))
    session.flush()
