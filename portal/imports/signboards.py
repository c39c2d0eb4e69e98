"""Signboards in batch: the outfalls of a list filter (plus "signboard not installed") as
one multi-page PDF or a ZIP of SVGs, and marking their signboards installed afterwards."""

import zipfile
from collections.abc import Iterable, Iterator
from datetime import date

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..outfalls import ledger, signboard
from ..outfalls.models import Outfall, OutfallResponsibility
from ..outfalls.services import OutfallFilters, filtered, signboard_content
from ..urls import public_url

BATCH = 200


def _query(filters: OutfallFilters, not_installed: bool):
    query = filtered(select(Outfall), filters)
    if not_installed:
        query = query.where(Outfall.signboard_installed_on.is_(None))
    return query


def outfalls(filters: OutfallFilters, not_installed: bool) -> Iterator[Outfall]:
    """The outfalls to print, by code, in keyset batches."""
    after = ""
    while True:
        batch = db.session.scalars(
            _query(filters, not_installed)
            .where(Outfall.code > after)
            .options(
                joinedload(Outfall.water_body),
                joinedload(Outfall.supervising_department),
                selectinload(Outfall.responsible_links).joinedload(OutfallResponsibility.entity),
            )
            .order_by(Outfall.code)
            .limit(BATCH)
        ).all()
        if not batch:
            return
        yield from batch
        after = batch[-1].code
        db.session.expunge_all()


def contents(filters: OutfallFilters, not_installed: bool) -> Iterator[signboard.SignboardContent]:
    """Each signboard's content, in Chinese as every signboard is."""
    hotline = current_app.config["HOTLINE"]
    for outfall in outfalls(filters, not_installed):
        with force_locale("zh"):
            yield signboard_content(
                outfall, public_url("outfalls.landing", code=outfall.code), hotline
            )


def write_pdf(filters: OutfallFilters, not_installed: bool, out) -> int:
    """One PDF, one signboard per page at real size (480 × 300 mm), each page written to
    `out` as it is drawn; returns the pages."""
    return signboard.signboards_pdf(contents(filters, not_installed), out, "标识牌")


def write_svg_zip(filters: OutfallFilters, not_installed: bool, out) -> int:
    """A ZIP holding one SVG per signboard, written as it goes; returns the count."""
    return write_svg_zip_of(contents(filters, not_installed), out)


def write_svg_zip_of(signboards: Iterable[signboard.SignboardContent], out) -> int:
    """A ZIP of these signboards' SVGs, each compressed into `out` as it comes."""
    count = 0
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for content in signboards:
            archive.writestr(f"signboard-{content.code}.svg", signboard.signboard_svg(content))
            count += 1
    return count


def mark_installed(
    filters: OutfallFilters, on: date, *, actor, reason: str, only_missing: bool = True
) -> int:
    """Set the signboard date of every matching outfall through the ledger (history)."""
    ids = db.session.scalars(_query(filters, only_missing).with_only_columns(Outfall.id)).all()
    done = 0
    for outfall_id in ids:
        outfall = db.session.get(Outfall, outfall_id)
        data = ledger.OutfallData.from_outfall(outfall)
        data.signboard_installed_on = on
        if ledger.update(
            outfall,
            data,
            actor=actor,
            reason=reason,
            expected_version=outfall.version,
            source="import",
            confirm_boundary=True,
        ):
            done += 1
    return done
