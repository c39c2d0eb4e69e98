"""/staff/api-keys: the admins issue and revoke the integrators' Open311 API keys.

Admins only (deny by default, for every view of the blueprint); pages are never cached. A
new key is shown once, on the page that answers its creation, and never again.
"""

from flask import Blueprint, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from ..agencies.auth import no_store, roles_guard
from ..agencies.models import Role
from ..core.clock import utcnow
from ..core.errors import UserError
from ..extensions import db
from ..formflow import done, show_error
from ..forms import PostForm
from . import keys
from .models import ApiKey

bp = Blueprint("open311_admin", __name__, url_prefix="/staff/api-keys")
bp.before_request(roles_guard(Role.admin))
bp.after_request(no_store)


class ApiKeyForm(PostForm):
    name = StringField(
        _l("Integrator (organisation and system)"),
        validators=[
            DataRequired(message=_l("Name the integrator this key is for.")),
            Length(max=keys.MAX_NAME),
        ],
    )


class RevokeForm(PostForm):
    pass


def _page(form: ApiKeyForm, new_key: str | None = None, status: int = 200):
    return render_template(
        "open311_admin/keys.html",
        form=form,
        revoke_form=RevokeForm(),
        api_keys=keys.all_keys(),
        new_key=new_key,
    ), status


@bp.get("/")
def list_keys():
    """Every key (live and revoked) and the form for a new one."""
    return _page(ApiKeyForm())


@bp.post("/")
def create_key():
    """Make a key and show it this once."""
    form = ApiKeyForm()
    if not form.validate():
        return _page(form, status=400)
    try:
        _row, key = keys.create_key(form.name.data, utcnow())
    except UserError as error:
        db.session.rollback()
        show_error(form, error)
        return _page(form, status=400)
    db.session.commit()
    return _page(ApiKeyForm(formdata=None), new_key=key)


@bp.post("/<int:key_id>/revoke")
def revoke_key(key_id: int):
    """Revoke a key for good: its next POST is refused (403)."""
    row = db.get_or_404(ApiKey, key_id)
    form = RevokeForm()
    if not form.validate():
        return _page(ApiKeyForm(formdata=None), status=400)
    keys.revoke(row, utcnow())
    return done(_("Key for %(name)s revoked.", name=row.name), "/staff/api-keys/")
