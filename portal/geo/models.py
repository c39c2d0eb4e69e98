"""Administrative regions and water bodies."""

import enum
from typing import Optional

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..dbtypes import str_enum
from ..extensions import db


class RegionLevel(enum.StrEnum):
    province = "province"
    city = "city"
    county = "county"
    township = "township"


class Region(db.Model):
    """An administrative division identified by its GB/T 2260 code."""

    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(120), default="")
    level: Mapped[RegionLevel] = mapped_column(str_enum(RegionLevel))
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("regions.id"), index=True)

    parent: Mapped[Optional["Region"]] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"<Region {self.code} {self.name}>"


class WaterBodyKind(enum.StrEnum):
    river = "river"
    lake = "lake"
    reservoir = "reservoir"
    canal = "canal"
    sea = "sea"


class WaterBody(db.Model):
    """A receiving water: river, lake, reservoir, canal or sea area."""

    __tablename__ = "water_bodies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[Optional[str]] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80), index=True)
    name_en: Mapped[str] = mapped_column(String(120), default="")
    kind: Mapped[WaterBodyKind] = mapped_column(str_enum(WaterBodyKind))
    # Water-quality target: GB 3838 class (I–V) for inland water, GB 3097 class for sea.
    target_class: Mapped[Optional[str]] = mapped_column(String(8))
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("water_bodies.id"), index=True)

    parent: Mapped[Optional["WaterBody"]] = relationship(remote_side=[id])

    @property
    def is_sea(self) -> bool:
        return self.kind is WaterBodyKind.sea

    def __repr__(self) -> str:
        return f"<WaterBody {self.name}>"
