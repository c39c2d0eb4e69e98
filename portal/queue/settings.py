"""The coordinator's lists: complaint categories with their service levels, reply templates.

Service levels are data: each row of `complaint_categories` carries its own (the defaults
a new portal starts with are in complaints/categories.py). A change applies to new
reports; open cases keep their stored deadlines until something recomputes them.
"""

from dataclasses import dataclass

from sqlalchemy import select

from ..complaints.models import ComplaintCategory
from ..extensions import db
from .models import ResponseTemplate


def categories() -> list[ComplaintCategory]:
    """Every complaint category, in the order citizens see them."""
    return list(
        db.session.scalars(
            select(ComplaintCategory).order_by(ComplaintCategory.position, ComplaintCategory.id)
        )
    )


@dataclass
class ServiceLevel:
    """One category's row on the categories page."""

    code: str
    urgent: bool
    accept_workdays: int
    complete_workdays: int
    active: bool


def apply_service_levels(rows: list[ServiceLevel]) -> bool:
    """Copy each row onto its category; False (nothing changed) if a row names no category
    or repeats one."""
    by_code = {c.code: c for c in categories()}
    codes = [row.code for row in rows]
    if any(code not in by_code for code in codes) or len(set(codes)) != len(codes):
        return False
    for row in rows:
        category = by_code[row.code]
        category.urgent = row.urgent
        category.accept_workdays = row.accept_workdays
        category.complete_workdays = row.complete_workdays
        category.active = row.active
    db.session.flush()
    return True


@dataclass
class TemplateInput:
    category: str | None  # None: offered for every category
    title: str
    body: str


def ordered_templates(in_order: list[ComplaintCategory]) -> list[ResponseTemplate]:
    """Every reply template, by category (those for all categories first), then title."""
    order = {c.code: i for i, c in enumerate(in_order)}
    return sorted(
        db.session.scalars(select(ResponseTemplate)),
        key=lambda t: (t.category_code is not None, order.get(t.category_code, -1), t.title, t.id),
    )


def save_template(template: ResponseTemplate | None, data: TemplateInput) -> ResponseTemplate:
    """Create (template None) or change a reply template."""
    if template is None:
        template = ResponseTemplate()
        db.session.add(template)
    template.category_code = data.category
    template.title = data.title
    template.body = data.body.strip()
    db.session.flush()
    return template


def templates_for(category_code: str) -> list[ResponseTemplate]:
    """The reply templates offered on a case of this category (and those for every one)."""
    return list(
        db.session.scalars(
            select(ResponseTemplate).where(
                (ResponseTemplate.category_code == category_code)
                | ResponseTemplate.category_code.is_(None)
            )
        )
    )
