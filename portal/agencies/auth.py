"""Staff sign-in plumbing: Flask-Login, the deny-by-default guard, roles, idle timeout."""

import sys
from collections.abc import Callable
from functools import wraps

import click
from flask import Flask, abort, current_app, flash, redirect, request, session, url_for
from flask.cli import with_appcontext
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user, logout_user

from ..core.clock import utcnow
from ..core.errors import UserError
from ..extensions import db
from .models import Role, StaffMember

login_manager = LoginManager()
login_manager.login_view = "agencies.login"
login_manager.login_message = _l("Please sign in to see this page.")
login_manager.login_message_category = "info"
# Flash the lazy message as a plain string in the request's language (sessions hold JSON).
login_manager.localize_callback = str

# Session key holding the time (UTC epoch seconds) of the signed-in user's last request.
SEEN_KEY = "staff_seen"


@login_manager.user_loader
def load_user(user_id: str) -> StaffMember | None:
    """The signed-in account, unless it was deactivated or its sessions were ended."""
    row_id, _sep, version = str(user_id).partition(":")
    if not row_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(StaffMember, int(row_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def init_app(app: Flask) -> None:
    """Bind Flask-Login; staff never get a remember-me cookie."""
    # login_user() is never called with remember=True; these only harden a cookie that
    # should not exist (and the idle timeout rejects a session restored from one).
    app.config["REMEMBER_COOKIE_DURATION"] = 0
    app.config["REMEMBER_COOKIE_HTTPONLY"] = True
    app.config["REMEMBER_COOKIE_SAMESITE"] = "Strict"
    app.config["REMEMBER_COOKIE_SECURE"] = app.config.get("SESSION_COOKIE_SECURE", False)
    app.config["REMEMBER_COOKIE_REFRESH_EACH_REQUEST"] = False
    login_manager.init_app(app)


def mark_seen() -> None:
    """Record activity now, restarting the idle timeout."""
    session[SEEN_KEY] = utcnow().timestamp()


def _idle_expired() -> bool:
    seen = session.get(SEEN_KEY)
    limit = current_app.config.get("STAFF_IDLE_MINUTES", 30) * 60
    # No timestamp means the session was not made by our login flow: treat it as expired.
    return not isinstance(seen, (int, float)) or utcnow().timestamp() - seen > limit


def staff_required():
    """`before_request` guard for staff blueprints: signed in and not idle, else to login."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if _idle_expired():
        logout_user()
        session.clear()
        flash(
            _(
                "You were signed out after %(minutes)s minutes without activity.",
                minutes=current_app.config.get("STAFF_IDLE_MINUTES", 30),
            ),
            "info",
        )
        return redirect(url_for(login_manager.login_view, next=_current_path()))
    mark_seen()
    return None


def role_required(*roles: Role) -> Callable:
    """View decorator: only these roles may continue; anyone else gets 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def roles_guard(*roles: Role) -> Callable[[], object]:
    """A `before_request` guard for a whole blueprint: signed in, not idle, one of `roles`.

    Deny by default: a blueprint that installs this answers 403 to every other role, so a
    new view cannot forget its check. Queries inside still scope by department.
    """
    allowed = frozenset(roles)

    def guard():
        refused = staff_required()
        if refused is not None:
            return refused
        if current_user.role not in allowed:
            abort(403)
        return None

    return guard


def no_store(response):
    """`after_request` for staff pages: out of shared caches, history and referrers."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _current_path() -> str:
    return request.full_path if request.query_string else request.path


# --- Commands -------------------------------------------------------------------------


def _click_error(exc: Exception) -> click.ClickException:
    # No request, so no browser language: commands speak English (the msgids).
    with force_locale("en"):
        return click.ClickException(str(exc))


@click.command("create-admin")
@click.option("--username", prompt=True, help="Sign-in name (lower case).")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input, not a prompt."
)
@click.option("--name", "display_name", default="", help="Display name.")
@click.option("--email", default="", help="Email address.")
@with_appcontext
def create_admin_command(username: str, password_stdin: bool, display_name: str, email: str):
    """Create an administrator (no department); two-step sign-in is set up at first login."""
    from . import services

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = services.create_staff(
            db.session, username, password, Role.admin, None, display_name or username, email
        )
    except UserError as exc:
        db.session.rollback()
        raise _click_error(exc) from exc
    db.session.commit()
    click.echo(f"Created administrator {user.username}.")


@click.command("demo-accounts")
@with_appcontext
def demo_accounts_command():
    """Create the demo staff accounts (only with DEMO_MODE) and print how to sign in."""
    from . import services

    try:
        services.create_demo_accounts(db.session, allow=current_app.config.get("DEMO_MODE", False))
    except UserError as exc:
        db.session.rollback()
        raise _click_error(exc) from exc
    db.session.commit()
    click.echo("Demo staff accounts (sign in at /staff/login):")
    for account in services.demo_accounts():
        click.echo(
            f"  {account.role:<12} {account.department or '-':<12} "
            f"{account.username:<16} {account.password}"
        )
    click.echo(
        f"  coordinator, data officer and admin also need a TOTP code; authenticator key: "
        f"{services.DEMO_TOTP_SECRET}"
    )
