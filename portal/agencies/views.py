"""Staff sign-in (password, then TOTP where needed), own account, and account administration."""

from datetime import timedelta

import segno
from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from ..core.clock import utcnow
from ..core.errors import UserError
from ..extensions import db, limiter
from ..formflow import done, show_error
from ..urls import safe_next
from . import services
from .auth import mark_seen, role_required, staff_required
from .forms import (
    ROLE_LABELS,
    PasswordChangeForm,
    StaffCreateForm,
    StaffEditForm,
    StaffLoginForm,
    TotpVerifyForm,
)
from .models import Role, StaffMember

bp = Blueprint("agencies", __name__, url_prefix="/staff")

# The only endpoints reachable without a signed-in session: the sign-in steps themselves.
PUBLIC_ENDPOINTS = frozenset(
    {"agencies.login", "agencies.verify_totp", "agencies.setup_totp", "agencies.logout"}
)

# Between a right password and the second factor: who, under which session version, since
# when, and where to go afterwards. Not a sign-in: staff_required ignores it.
PENDING_KEY = "staff_pending"
PENDING_SECONDS = 300

_login_limit = limiter.limit(
    lambda: current_app.config.get("LOGIN_RATE_LIMIT", "10 per minute"), methods=["POST"]
)


@bp.before_request
def _guard():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    return staff_required()


@bp.after_request
def _private(response):
    # Staff pages show personal data and one-time secrets: never cache them anywhere.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.app_context_processor
def _staff_context():
    return {"role_labels": ROLE_LABELS}


def _lockout() -> dict:
    config = current_app.config
    return {
        "max_failures": config.get("STAFF_MAX_FAILED_LOGINS", 5),
        "lockout": timedelta(minutes=config.get("STAFF_LOCKOUT_MINUTES", 15)),
    }


# --- Signing in -----------------------------------------------------------------------


def _start_pending(user: StaffMember, next_url: str | None) -> None:
    session[PENDING_KEY] = {
        "id": user.id,
        "version": user.session_version,
        "at": utcnow().timestamp(),
        "next": next_url,
    }


def _pending_user() -> StaffMember | None:
    """The account whose password was right moments ago, if it may still go on."""
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or utcnow().timestamp() - pending["at"] > PENDING_SECONDS:
        return None
    user = db.session.get(StaffMember, pending["id"])
    if (
        user is None
        or not user.active
        or user.session_version != pending["version"]
        or user.is_locked(utcnow())
    ):
        return None
    return user


def _back_to_login():
    session.pop(PENDING_KEY, None)
    flash(_("Please sign in again."), "info")
    return redirect(url_for(".login"))


def _finish_login(user: StaffMember, next_url: str | None):
    """Sign in for real: a brand-new session (no fixation), then where the user was going."""
    services.complete_login(db.session, user, utcnow())
    db.session.commit()
    session.clear()
    login_user(user)
    mark_seen()
    return redirect(safe_next(next_url) or url_for(".home"))


@bp.route("/login", methods=["GET", "POST"])
@_login_limit
def login():
    """Username and password; then the second factor where the account needs one."""
    if current_user.is_authenticated:
        return redirect(url_for(".home"))
    form = StaffLoginForm()
    next_url = safe_next(request.args.get("next"))
    if form.validate_on_submit():
        user = services.authenticate(
            db.session, form.username.data, form.password.data, utcnow(), **_lockout()
        )
        # Failures and lockouts must be kept although the sign-in fails.
        db.session.commit()
        if user is None:
            # One message for every failure: it never tells whether the username exists.
            flash(
                _(
                    "Sign-in failed. Check your username and password; after repeated "
                    "failures the account is locked for a while."
                ),
                "error",
            )
        elif user.needs_totp():
            _start_pending(user, next_url)
            return redirect(url_for(".verify_totp" if user.totp_confirmed else ".setup_totp"))
        else:
            return _finish_login(user, next_url)
    return render_template("agencies/login.html", form=form, next_url=next_url)


@bp.route("/totp", methods=["GET", "POST"])
@_login_limit
def verify_totp():
    """The second step: the current code from the authenticator app."""
    user = _pending_user()
    if user is None:
        return _back_to_login()
    if not user.totp_confirmed:
        return redirect(url_for(".setup_totp"))
    form = TotpVerifyForm()
    if form.validate_on_submit():
        now = utcnow()
        if services.check_totp(db.session, user, form.code.data, now):
            return _finish_login(user, session[PENDING_KEY]["next"])
        # Wrong codes count towards the lockout like wrong passwords.
        services.register_failure(db.session, user, now, **_lockout())
        db.session.commit()
        form.code.errors = [_("This code is not valid. Wait for the next code and try again.")]
    return render_template("agencies/totp.html", form=form)


def _qr_data_uri(user: StaffMember) -> str:
    issuer = current_app.config.get("STAFF_TOTP_ISSUER", "Outfall portal")
    uri = services.provisioning_uri(user, issuer)
    # An inline SVG data URI: allowed by the CSP's img-src, no extra request, no script.
    return segno.make(uri, error="m").svg_data_uri(scale=4, border=2)


def _render_setup(form, user: StaffMember, action: str):
    secret = user.totp_secret
    return render_template(
        "agencies/totp_setup.html",
        form=form,
        qr=_qr_data_uri(user),
        secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        action=action,
    )


@bp.route("/totp/setup", methods=["GET", "POST"])
@_login_limit
def setup_totp():
    """Enrol an authenticator during sign-in (coordinators and admins must)."""
    user = _pending_user()
    if user is None:
        return _back_to_login()
    if user.totp_confirmed:
        return redirect(url_for(".verify_totp"))
    services.totp_secret_for_setup(db.session, user)
    db.session.commit()
    form = TotpVerifyForm()
    if form.validate_on_submit():
        if services.confirm_totp(db.session, user, form.code.data, utcnow()):
            flash(_("Two-step verification is set up."), "info")
            return _finish_login(user, session[PENDING_KEY]["next"])
        form.code.errors = [_("This code is not valid. Check the clock of your phone.")]
    return _render_setup(form, user, url_for(".setup_totp"))


@bp.post("/logout")
def logout():
    """Sign out (a POST, so a link or image elsewhere cannot sign anyone out).

    The account's session version moves on, so a copy of this session cookie, taken
    before, no longer signs anyone in (it ends the account's other sessions too).
    """
    if current_user.is_authenticated:
        current_user.end_sessions()
        db.session.commit()
    logout_user()
    session.clear()
    flash(_("You have signed out."), "info")
    return redirect(url_for(".login"))


# --- Own account ----------------------------------------------------------------------


@bp.get("/")
def home():
    """The staff start page."""
    return render_template("agencies/home.html")


@bp.route("/account", methods=["GET", "POST"])
def account():
    """Change one's own password; see the state of two-step verification."""
    user = current_user._get_current_object()
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            services.change_own_password(
                db.session, user, form.current_password.data, form.new_password.data, utcnow()
            )
        except UserError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            # Other sessions ended with the new session version; this one continues.
            login_user(user)
            flash(_("Your password was changed. Other sessions were signed out."), "info")
            return redirect(url_for(".account"))
    return render_template("agencies/account.html", form=form, user=user)


@bp.route("/account/totp", methods=["GET", "POST"])
def account_totp():
    """Turn on two-step verification for one's own account."""
    user = current_user._get_current_object()
    if user.totp_confirmed:
        return redirect(url_for(".account"))
    services.totp_secret_for_setup(db.session, user)
    db.session.commit()
    form = TotpVerifyForm()
    if form.validate_on_submit():
        if services.confirm_totp(db.session, user, form.code.data, utcnow()):
            return done(_("Two-step verification is set up."), url_for(".account"))
        form.code.errors = [_("This code is not valid. Check the clock of your phone.")]
    return _render_setup(form, user, url_for(".account_totp"))


# --- Account administration (admins) --------------------------------------------------


@bp.get("/users")
@role_required(Role.admin)
def list_users():
    """Every staff account."""
    return render_template(
        "agencies/users.html", users=services.list_staff(db.session), now=utcnow()
    )


@bp.route("/users/new", methods=["GET", "POST"])
@role_required(Role.admin)
def new_user():
    """Create a staff account."""
    form = StaffCreateForm()
    form.set_departments(services.departments(db.session))
    if form.validate_on_submit():
        try:
            user = services.create_staff(
                db.session,
                form.username.data,
                form.password.data,
                Role(form.role.data),
                form.department_id,
                form.display_name.data or "",
                form.email.data or "",
                now=utcnow(),
            )
        except UserError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            return done(
                _("Account %(username)s created.", username=user.username), url_for(".list_users")
            )
    return render_template("agencies/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@role_required(Role.admin)
def edit_user(user_id: int):
    """Change an account's role, department and status; reset its password or TOTP."""
    user = db.get_or_404(StaffMember, user_id)
    form = StaffEditForm(
        data={
            "display_name": user.display_name,
            "email": user.email,
            "role": user.role.value,
            "department": user.department_id or 0,
            "active": user.active,
        }
    )
    form.set_departments(services.departments(db.session))
    if form.validate_on_submit():
        try:
            services.edit_staff(
                db.session,
                user,
                role=Role(form.role.data),
                department_id=form.department_id,
                active=form.active.data,
                display_name=form.display_name.data or "",
                email=form.email.data or "",
                new_password=form.password.data or None,
                clear_totp=form.reset_totp.data,
                now=utcnow(),
            )
        except UserError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            if user.id == current_user.id and user.active:
                # An admin editing themselves keeps this session; only the others end.
                login_user(user)
            flash(_("Account %(username)s saved.", username=user.username), "info")
            return redirect(url_for(".list_users"))
    return render_template("agencies/user_form.html", form=form, user=user)
