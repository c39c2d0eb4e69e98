"""`flask portal …` commands: demo data, synthetic data."""

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from .agencies.auth import create_admin_command, demo_accounts_command
from .alerts.cli import alerts_group
from .core.clock import local_today
from .core.storage import FileStore
from .extensions import db
from .imports.cli import (
    export_inventory_command,
    import_inventory_command,
    signboards_command,
)
from .notify.cli import deliver_command
from .open311.cli import api_key_group
from .search.cli import reindex_command


@click.group("portal", cls=AppGroup)
def portal_group():
    """Outfall portal administration."""


def _analyze() -> None:
    """Refresh the planner's statistics after a bulk load (SQLite and PostgreSQL alike)."""
    from sqlalchemy import text

    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))


@portal_group.command("demo")
def demo_command():
    """Load the Qinzhou demo data once (does nothing if it is already there)."""
    from .demo import load_demo

    store = FileStore(current_app.config["UPLOAD_DIR"])
    loaded = load_demo(db.session, store, local_today())
    if loaded:
        from .demo.complaints import load_demo_complaints

        # Reports need URLs and a locale: give them the request context they expect.
        with current_app.test_request_context(
            base_url=current_app.config.get("PUBLIC_BASE_URL") or "http://127.0.0.1:5000"
        ):
            load_demo_complaints(db.session)
    db.session.commit()
    _analyze()
    click.echo("Demo data loaded." if loaded else "Demo data already present; nothing to do.")


@portal_group.command("synth")
@click.argument("count", type=click.IntRange(1, 5_000_000))
@click.option("--seed", default=42, show_default=True, help="Random seed.")
def synth_command(count: int, seed: int):
    """Generate COUNT synthetic outfalls (with plans and monitoring) for benchmarks."""
    from .demo import generate_synthetic

    made = generate_synthetic(db.session, count, seed=seed)
    db.session.commit()
    _analyze()
    click.echo(f"Generated {made} synthetic outfalls.")


portal_group.add_command(deliver_command, "deliver")
portal_group.add_command(alerts_group, "alerts")
portal_group.add_command(api_key_group, "api-key")
portal_group.add_command(reindex_command, "reindex")
portal_group.add_command(create_admin_command, "create-admin")
portal_group.add_command(demo_accounts_command, "demo-accounts")
portal_group.add_command(import_inventory_command, "import-inventory")
portal_group.add_command(export_inventory_command, "export-inventory")
portal_group.add_command(signboards_command, "signboards")


@portal_group.command("cleanup-files")
@click.option(
    "--older-than", default=3600, show_default=True, help="Seconds; younger files may be in flight."
)
def cleanup_files_command(older_than: int):
    """Remove expired staged uploads; publish files of committed rows left staged by a crash
    (at once); delete files no row refers to once older than --older-than."""
    from . import files
    from .complaints import staging
    from .core.clock import utcnow

    # Expired photo uploads no report claimed: their rows go first, so their files are no
    # longer referenced below (and are deleted once older than the margin).
    expired = staging.expire(utcnow(), grace_seconds=older_than)
    db.session.commit()
    result = files.cleanup(older_than=older_than)
    click.echo(
        f"Staged uploads: {expired} expired. "
        f"Files: {result['published']} published, {result['deleted']} deleted."
    )


@portal_group.command("build-static")
def build_static_command():
    """Build static/ into hashed, compressed files (the app also does it when static/ changed)."""
    from pathlib import Path

    from . import staticfiles

    root = current_app.config.get("STATIC_BUILD_DIR") or Path(current_app.instance_path) / (
        "static-build"
    )
    folder, names = staticfiles.ensure_built(Path(current_app.static_folder), Path(root))
    click.echo(f"Static files: {len(names)} in {folder}.")


def init_app(app: Flask) -> None:
    app.cli.add_command(portal_group)


@portal_group.group("translate")
def translate_group():
    """Message catalogues: extract, update, compile."""


def _pybabel(*args: str) -> None:
    import subprocess
    import sys

    from .config import ROOT

    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", *args],
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@translate_group.command("update")
def translate_update():
    """Extract strings, merge them into every catalogue, fill English from the msgids."""
    from babel.messages.pofile import read_po, write_po

    from .config import ROOT

    pot = ROOT / "translations" / "messages.pot"
    _pybabel(
        "extract",
        "-F",
        "babel.cfg",
        "-k",
        "_l",
        "-k",
        "lazy_gettext",
        "--no-location",
        "--sort-output",
        "-o",
        str(pot),
        "portal",
        "templates",
    )
    _pybabel(
        "update",
        "-i",
        str(pot),
        "-d",
        str(ROOT / "translations"),
        "--no-fuzzy-matching",
        "--ignore-obsolete",
    )
    # The msgids are written in English, so the English catalogue is the identity.
    en = ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po"
    with en.open("rb") as fh:
        catalog = read_po(fh, locale="en")
    for message in catalog:
        if message.id:
            message.string = message.id
    with en.open("wb") as fh:
        write_po(fh, catalog, omit_header=False, no_location=True, width=100)
    zh = ROOT / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
    with zh.open("rb") as fh:
        missing = [
            m.id if isinstance(m.id, str) else m.id[0]
            for m in read_po(fh, locale="zh")
            if m.id and not all(m.string if isinstance(m.string, tuple) else (m.string,))
        ]
    for msgid in missing:
        click.echo(f"untranslated (zh): {msgid}")
    click.echo(f"{len(missing)} messages still need a Chinese translation.")


@portal_group.command("tick")
def tick_command():
    """Deadline warnings, escalation (督办) and auto-closing; run from cron, idempotent."""
    from .core.clock import utcnow
    from .queue.tick import tick

    report = tick(utcnow())
    db.session.commit()
    click.echo(
        f"Queue: {report.warned} warned, {report.escalated} escalated, {report.closed} closed; "
        f"{report.refreshed} department-month figures refreshed."
    )
    from .core.clock import local_today
    from .remediation.tick import tick as remediation_tick

    plans = remediation_tick(local_today())
    db.session.commit()
    click.echo(
        f"Remediation: {plans.warned} plans warned, {plans.escalated} escalated; "
        f"{plans.rollup_rows} progress rows rebuilt."
    )


@portal_group.command("remediation-rollup")
def remediation_rollup_command():
    """Rebuild the /progress rollup from the outfalls (after an upgrade or a bulk load)."""
    from .remediation import rollup

    rows = rollup.rebuild()
    db.session.commit()
    click.echo(f"{rows} progress rows written.")


@portal_group.command("rollup")
@click.option(
    "--rebuild", is_flag=True, help="Recompute every month (after an upgrade or bulk load)."
)
def rollup_command(rebuild: bool):
    """The departments' monthly figures: refresh this month and last, or rebuild all."""
    from .core.clock import utcnow
    from .queue import rollup

    rows = rollup.rebuild() if rebuild else rollup.refresh_recent(utcnow())
    db.session.commit()
    click.echo(f"{rows} department-month figures written.")


@portal_group.group("audit")
def audit_group():
    """The tamper-evident case history."""


@audit_group.command("verify")
def audit_verify_command():
    """Check every case's hash chain; report the first broken link (exit status 1)."""
    from .queue.audit import verify_audit

    broken = verify_audit()
    if broken is None:
        click.echo("Audit trail intact.")
        return
    number, seq = broken
    click.echo(f"Audit trail broken at case {number}, event {seq}.")
    raise SystemExit(1)


@portal_group.group("ledger")
def ledger_group():
    """The registry's public, tamper-evident history."""


@ledger_group.command("verify")
def ledger_verify_command():
    """Check every registry history chain; report the first broken link (exit status 1)."""
    from .outfalls.history import verify_ledger

    broken = verify_ledger()
    if broken is None:
        click.echo("Registry history intact.")
        return
    chain, seq = broken
    click.echo(f"Registry history broken at {chain}, entry {seq}.")
    raise SystemExit(1)


@portal_group.command("synth-complaints")
@click.argument("count", type=click.IntRange(1, 5_000_000))
def synth_complaints_command(count: int):
    """Add COUNT synthetic complaints (bulk) for benchmarks of the queue."""
    from .demo.synthetic_complaints import generate_synthetic_complaints
    from .queue import rollup

    made = generate_synthetic_complaints(db.session, count)
    db.session.commit()
    rollup.rebuild()  # the departments' monthly figures, as the queue keeps them
    db.session.commit()
    _analyze()
    click.echo(f"Generated {made} synthetic complaints.")
