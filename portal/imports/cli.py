"""`flask portal import-inventory FILE [--dry-run] [--crs …]`: the import from a terminal."""

from pathlib import Path

import click
from flask.cli import with_appcontext

from ..core.errors import UserError
from ..extensions import db
from .normalise import CRS_NAMES


@click.command("import-inventory")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check and report; change nothing.")
@click.option(
    "--crs",
    type=click.Choice(CRS_NAMES),
    default="wgs84",
    show_default=True,
    help="Coordinate system of the sheet when it has no 坐标系 column.",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the sheet back with status and message columns (.xlsx).",
)
@click.option("--create-water-bodies", is_flag=True, help="Create receiving waters not yet known.")
@click.option("--confirm-boundary", is_flag=True, help="Accept points just outside their region.")
@with_appcontext
def import_inventory_command(
    file: Path,
    dry_run: bool,
    crs: str,
    report_path: Path | None,
    create_water_bodies: bool,
    confirm_boundary: bool,
):
    """Import an outfall inventory (.xlsx, .xls, .ods, .csv): all rows or none."""
    from .service import run

    with click.progressbar(length=0, label="Rows", show_pos=True) as bar:

        def progress(done: int, total: int | None) -> None:
            if total:
                bar.length = total
            bar.update(done - bar.pos)

        try:
            report = run(
                file,
                file.name,
                apply=not dry_run,
                crs=crs,
                create_waters=create_water_bodies,
                confirm_boundary=confirm_boundary,
                progress=progress,
            )
        except UserError as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from exc
    for outcome in report.outcomes:
        if outcome.status == "refused":
            for cell, message in outcome.messages:
                click.echo(f"{cell}: {message}")
    if report_path is not None:
        from .report import write_report

        write_report(file, file.name, report, report_path)
        click.echo(f"Report: {report_path}")
    counts = {s: report.count(s) for s in ("created", "updated", "unchanged", "refused")}
    click.echo(" ".join(f"{k}={v}" for k, v in counts.items()))
    if dry_run:
        db.session.rollback()
        click.echo("Dry run: nothing changed.")
    elif counts["refused"]:
        db.session.rollback()
        raise click.ClickException("Rows were refused: nothing changed; fix them and run again.")
    else:
        db.session.commit()
        click.echo("Applied.")


@click.command("export-inventory")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--template", is_flag=True, help="Write the empty template instead.")
@with_appcontext
def export_inventory_command(out: Path, template: bool):
    """Export the registry in the import template (.xlsx or .csv by OUT's suffix)."""
    from ..outfalls.services import OutfallFilters
    from .export import csv_chunks, write_xlsx

    if out.suffix.lower() == ".csv" and not template:
        with open(out, "wb") as fh:
            for chunk in csv_chunks(OutfallFilters()):
                fh.write(chunk)
    else:
        write_xlsx(None if template else OutfallFilters(), out)
    click.echo(f"Wrote {out}.")


@click.command("signboards")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--region", help="Region code (and every region below it).")
@click.option("--water", type=int, help="Water body id (and its tributaries).")
@click.option("--type", "type_", help="Type code (GY, SH, NY, YH, QT).")
@click.option("--status", help="Outfall status (in_service, merged, banned, closed).")
@click.option("--not-installed", is_flag=True, help="Only outfalls without a signboard.")
@click.option(
    "--mark-installed",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Instead of printing: record these signboards installed on this date.",
)
@with_appcontext
def signboards_command(out, region, water, type_, status, not_installed, mark_installed):
    """Print signboards in batch: OUT.pdf (one per page) or OUT.zip (SVGs)."""
    from ..outfalls.services import OutfallFilters
    from . import signboards

    filters = OutfallFilters(region=region, water=water, type=type_, status=status)
    if mark_installed is not None:
        done = signboards.mark_installed(
            filters, mark_installed.date(), actor=None, reason=f"{out.name}"
        )
        db.session.commit()
        click.echo(f"Marked {done} signboards installed.")
        return
    with open(out, "wb") as fh:
        if out.suffix.lower() == ".zip":
            count = signboards.write_svg_zip(filters, not_installed, fh)
        else:
            count = signboards.write_pdf(filters, not_installed, fh)
    click.echo(f"Wrote {count} signboards to {out}.")
