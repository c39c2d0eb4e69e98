"""Government departments that supervise outfalls and handle complaints."""

from typing import Optional

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..geo.models import Region


class Department(db.Model):
    """A department (生态环境局, 住建局, 水利局 …) of a local government."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(160), default="")
    region_id: Mapped[Optional[int]] = mapped_column(ForeignKey("regions.id"), index=True)
    # The ecology and environment bureau coordinates and supervises all the others.
    is_coordinator: Mapped[bool] = mapped_column(default=False)
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(120), default="")

    region: Mapped[Optional[Region]] = relationship()

    def __repr__(self) -> str:
        return f"<Department {self.slug}>"
