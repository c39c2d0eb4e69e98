"""/alerts: subscribe (double opt-in), confirm, one-click unsubscribe (RFC 8058), forget.

Links arrive by mail, built from PUBLIC_BASE_URL. The unsubscribe and forget endpoints take
POSTs without a CSRF token: a mail client's one-click POST carries none, and the signed
token in the URL is the authority (a bad token changes nothing)."""

from flask import Blueprint, abort, current_app, render_template, request

from ..agencies.auth import no_store
from ..core.clock import utcnow
from ..extensions import csrf, db, limiter
from ..formflow import run_form
from . import services
from .forms import SubscribeForm

bp = Blueprint("alerts", __name__, url_prefix="/alerts")
bp.after_request(no_store)


@bp.route("/subscribe", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["ALERTS_SUBSCRIBE_RATE_LIMIT"], methods=["POST"])
def subscribe():
    """Ask for alerts about one target; a confirmation link is mailed (nothing else is)."""
    form = SubscribeForm(request.form if request.method == "POST" else None)
    if request.method == "GET":
        form.kind.data, form.target.data = request.args.get("kind"), request.args.get("target")
    target = services.find_target(form.kind.data or "", form.target.data or "")
    if target is None:
        abort(404)
    if request.method == "POST" and run_form(
        form, lambda: services.subscribe(form.email.data, target, utcnow()), "email"
    ):
        db.session.commit()
        return render_template("alerts/check_mail.html", target=target)
    return render_template("alerts/subscribe.html", form=form, target=target)


def _subscriber(purpose: str, token: str):
    found = services.read_token(purpose, token)
    if found is None:
        abort(404)
    return found


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str):
    """GET shows a button (mail scanners follow links); POST confirms."""
    subscriber, subscription_id = _subscriber("confirm", token)
    if request.method == "GET":
        return render_template("alerts/confirm.html", done=False, target=None)
    target = services.confirm(subscriber, subscription_id, utcnow())
    if target is None:
        abort(404)
    db.session.commit()
    return render_template("alerts/confirm.html", done=True, target=target)


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(token: str):
    """The List-Unsubscribe URL: GET asks, POST (one click, no CSRF token) stops it all."""
    subscriber, _subscription = _subscriber("unsubscribe", token)
    if request.method == "GET":
        return render_template("alerts/unsubscribe.html", done=False)
    services.unsubscribe(subscriber)
    db.session.commit()
    return render_template("alerts/unsubscribe.html", done=True)


@bp.route("/forget/<token>", methods=["GET", "POST"])
@csrf.exempt
def forget(token: str):
    """Delete the address and everything kept about it (its alert mail included)."""
    subscriber, _subscription = _subscriber("forget", token)
    if request.method == "GET":
        return render_template("alerts/forget.html", done=False)
    services.forget(subscriber)
    db.session.commit()
    return render_template("alerts/forget.html", done=True)
