"""A handful of demo reports, filed through the real intake so they are routed and dated."""

from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from ..complaints import intake, uploads
from ..core.clock import utcnow
from ..outfalls.models import CategoryL1, Outfall, OutfallStatus

# (category, first-level type of the outfall it is about, description)
REPORTS = (
    ("illegal_discharge", CategoryL1.GY, "演示数据：夜间排口排放黑色污水，气味刺鼻。"),
    ("abnormal_water", CategoryL1.SH, "演示数据：排口下游水面有大片白色泡沫。"),
    ("dry_weather", CategoryL1.YH, "演示数据：连续一周没有下雨，雨水排口一直在排灰色的水。"),
    ("signboard", CategoryL1.NY, "演示数据：养殖场排口的标识牌被撞倒，看不清编码。"),
    ("fish_kill", CategoryL1.QT, "演示数据：排口附近出现大量死鱼。"),
    ("remediation", CategoryL1.GY, "演示数据：公示已整治的排口仍在排放。"),
    ("other", None, "演示数据：河边有不明管道伸入水中。"),
)


def load_demo_complaints(session) -> int:
    """File the demo reports (anonymous) over the last days; returns how many."""
    stores = uploads.configured_stores()
    now = utcnow()
    made = 0
    for i, (category, l1, description) in enumerate(REPORTS):
        outfall = None
        if l1 is not None:
            outfall = session.scalars(
                select(Outfall)
                .where(Outfall.category_l1 == l1, Outfall.status == OutfallStatus.in_service)
                .order_by(Outfall.code)
                .offset(i)
            ).first()
        data = intake.ComplaintInput(
            category_code=category,
            description=description,
            outfall_code=outfall.code if outfall else None,
            lat=None if outfall else 21.9502,
            lon=None if outfall else 108.6181,
        )
        receipt = intake.file_complaint(
            data,
            [],
            now - timedelta(hours=6 * (len(REPORTS) - i)),
            stores,
            current_app.config["SECRET_KEY"],
            lambda token: "",
        )
        uploads.publish(receipt.staged)
        made += 1
    return made
