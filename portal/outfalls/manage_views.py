"""The registry's management pages (/manage/): list, create, edit and retire outfalls.

Deny by default: the blueprint's guard lets in only MANAGE_ROLES; every outfall is looked
up through access.outfall_for_edit (404 for one the actor may not edit); retiring is the
coordinator's (403 for others). The logic is in outfalls.ledger; views parse and commit.
"""

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from wtforms.fields.choices import SelectChoice

from ..agencies.auth import no_store, roles_guard
from ..agencies.models import Department
from ..core.codes import normalise_code
from ..core.errors import UserError
from ..extensions import db
from ..formflow import done, show_error
from ..geo.models import Region, WaterBody
from ..i18n import localname
from . import ledger
from .access import (
    MANAGE_ROLES,
    editable_outfalls,
    keeps_whole_registry,
    may_retire,
    outfall_for_edit,
)
from .manage_forms import (
    BanForm,
    CloseForm,
    EntityForm,
    ManageFilterForm,
    MergeForm,
    OutfallForm,
    WaterForm,
)
from .models import Entity, Outfall

bp = Blueprint("outfalls_manage", __name__, url_prefix="/manage")
bp.before_request(roles_guard(*MANAGE_ROLES))
bp.after_request(no_store)


@bp.get("/")
def index():
    """The outfalls I may edit: by code or name, status; keyset pages by code."""
    form = ManageFilterForm(request.args)
    if not form.validate():
        abort(400)
    query = select(Outfall).where(editable_outfalls(current_user))
    if form.q.data:
        code = normalise_code(form.q.data)
        query = query.where(or_(Outfall.code.startswith(code), Outfall.name.contains(form.q.data)))
    if form.status.data:
        query = query.where(Outfall.status == form.status.data)
    if form.after.data:
        query = query.where(Outfall.code > form.after.data)
    size = current_app.config["MANAGE_PAGE_SIZE"]
    rows = db.session.scalars(query.order_by(Outfall.code).limit(size + 1)).all()
    more = len(rows) > size
    return render_template(
        "outfalls/manage/index.html",
        form=form,
        outfalls=rows[:size],
        next_after=rows[size - 1].code if more else None,
    )


def _choices(form: OutfallForm) -> None:
    regions = db.session.scalars(select(Region).order_by(Region.code)).all()
    waters = db.session.scalars(select(WaterBody).order_by(WaterBody.kind, WaterBody.name)).all()
    form.region_id.choices = [SelectChoice(r.id, f"{r.code} {localname(r)}") for r in regions]
    form.water_body_id.choices = [SelectChoice(w.id, localname(w)) for w in waters]
    if keeps_whole_registry(current_user):
        departments = db.session.scalars(select(Department).order_by(Department.name)).all()
        form.supervising_department_id.choices = [("", "—")] + [
            (d.id, localname(d)) for d in departments
        ]
    else:
        own = current_user.department
        form.supervising_department_id.choices = [SelectChoice(own.id, localname(own))]


def _data(form: OutfallForm) -> ledger.OutfallData:
    management = ledger.entity_ids_from_lines(form.management.data or "", "management")
    supervising = form.supervising_department_id.data
    if not keeps_whole_registry(current_user):
        supervising = current_user.department_id  # fixed to the staff member's own
    return ledger.OutfallData(
        code=form.code.data,
        name=form.name.data,
        category_l1=form.category_l1.data,
        category_l2=form.category_l2.data or None,
        water_kind=form.water_kind.data,
        lat=form.lat.data,
        lon=form.lon.data,
        address=form.address.data or "",
        region_id=form.region_id.data,
        water_body_id=form.water_body_id.data,
        responsible_entity_ids=ledger.entity_ids_from_lines(
            form.responsible.data or "", "responsible"
        ),
        management_entity_id=management[0] if management else None,
        supervising_department_id=supervising,
        channel_kind=form.channel_kind.data or None,
        signboard_installed_on=form.signboard_installed_on.data,
        local_code=form.local_code.data or None,
        standard_code=form.standard_code.data or None,
    )


# Service field names → form field names.
_FIELD = {
    "responsible_entity_ids": "responsible",
    "management_entity_id": "management",
}


def _show(form, error: UserError) -> None:
    error.field = _FIELD.get(error.field, error.field)
    show_error(form, error)


def _checked(form, outfall) -> ledger.OutfallData | None:
    """The form's data if neither the form nor the registry's checks find a problem; else
    None, with every problem next to its field (all at once, not one per attempt)."""
    valid = form.validate_on_submit()
    try:
        data = _data(form)
    except UserError as error:
        _show(form, error)
        return None
    for problem in ledger.check(data, outfall=outfall, confirm_boundary=form.confirm_boundary.data):
        _show(form, problem)
    return data if valid and not form.errors else None


def _form_page(form, outfall, meanwhile=None, status=200):
    departments = {d.id: d for d in db.session.scalars(select(Department))} if meanwhile else {}
    return render_template(
        "outfalls/manage/outfall_form.html",
        form=form,
        outfall=outfall,
        meanwhile=meanwhile,
        departments=departments,
        catchup=current_app.config["REGISTRY_CATCHUP_SECONDS"],
        # Public pages and map data say this max-age to browsers and CDNs (caching.py,
        # api/views.py): a copy already fetched is not asked again before it runs out.
        http_cache=max(
            current_app.config["PUBLIC_CACHE_SECONDS"],
            current_app.config.get("MAP_API_CACHE_SECONDS", 60),
        ),
    ), status


@bp.route("/outfalls/new", methods=["GET", "POST"])
def new_outfall():
    """Enter an outfall in the registry."""
    form = OutfallForm()
    _choices(form)
    if request.method == "GET" and not keeps_whole_registry(current_user):
        form.supervising_department_id.data = current_user.department_id
    data = _checked(form, None) if request.method == "POST" else None
    if data is not None:
        try:
            outfall = ledger.create(
                data,
                actor=current_user,
                reason=form.reason.data,
                confirm_boundary=form.confirm_boundary.data,
            )
        except UserError as error:
            db.session.rollback()
            _show(form, error)
        else:
            return done(
                _("Outfall %(code)s was entered in the registry.", code=outfall.code),
                url_for("outfalls_manage.edit_outfall", code=outfall.code),
            )
    return _form_page(form, None, status=400 if request.method == "POST" else 200)


def _editable(code: str) -> Outfall:
    outfall = outfall_for_edit(current_user, code)
    if outfall is None:
        abort(404)
    return outfall


@bp.route("/outfalls/<code>/edit", methods=["GET", "POST"])
def edit_outfall(code: str):
    """Correct an outfall's record; a save against an old version shows what changed."""
    outfall = _editable(code)
    form = OutfallForm()
    _choices(form)
    if request.method == "GET":
        data = ledger.OutfallData.from_outfall(outfall)
        form.process(
            data={
                **{k: v for k, v in data.__dict__.items() if k != "responsible_entity_ids"},
                "category_l1": data.category_l1.value,
                "category_l2": data.category_l2.value if data.category_l2 else "",
                "water_kind": data.water_kind.value,
                "channel_kind": data.channel_kind.value if data.channel_kind else "",
                "responsible": "\n".join(
                    ledger.entity_line(link.entity) for link in outfall.responsible_links
                ),
                "management": ledger.entity_line(outfall.management_entity)
                if outfall.management_entity
                else "",
                "version": str(outfall.version),
            }
        )
        return _form_page(form, outfall)
    meanwhile = None
    data = _checked(form, outfall)
    if data is not None:
        try:
            expected = int(form.version.data) if (form.version.data or "").isdigit() else 0
            ledger.update(
                outfall,
                data,
                actor=current_user,
                reason=form.reason.data,
                expected_version=expected,
                confirm_boundary=form.confirm_boundary.data,
            )
        except ledger.EditConflict as conflict:
            db.session.rollback()
            meanwhile = conflict.meanwhile
            form.version.data = str(conflict.current_version)  # their input kept, saved next time
            show_error(form, conflict)
            outfall = _editable(code)
            return _form_page(form, outfall, meanwhile, status=409)
        except UserError as error:
            db.session.rollback()
            _show(form, error)
        else:
            return done(
                _("The record of %(code)s was saved.", code=outfall.code),
                url_for("outfalls_manage.edit_outfall", code=outfall.code),
            )
    return _form_page(form, _editable(code), meanwhile, status=400)


@bp.route("/outfalls/<code>/retire", methods=["GET", "POST"])
def retire_outfall(code: str):
    """Merge, ban (取缔) or close an outfall: the coordinator's."""
    outfall = _editable(code)
    if not may_retire(current_user):
        abort(403)
    forms = {
        "merge": MergeForm(prefix="merge"),
        "ban": BanForm(prefix="ban"),
        "close": CloseForm(prefix="close"),
    }
    action = request.form.get("action")
    if request.method == "POST":
        form = forms.get(action)
        if form is None:
            abort(400)
        if form.validate():
            try:
                if action == "merge":
                    target = db.session.scalars(
                        select(Outfall).where(Outfall.code == normalise_code(form.target.data))
                    ).first()
                    ledger.merge(
                        outfall,
                        target,
                        actor=current_user,
                        reason=form.reason.data,
                        on=form.on.data,
                    )
                elif action == "ban":
                    ledger.ban(
                        outfall,
                        on=form.on.data,
                        decision_no=form.decision_no.data,
                        actor=current_user,
                        reason=form.reason.data,
                    )
                else:
                    ledger.close(
                        outfall, on=form.on.data, actor=current_user, reason=form.reason.data
                    )
            except UserError as error:
                db.session.rollback()
                show_error(form, error)
                outfall = _editable(code)
            else:
                return done(
                    _("The status of %(code)s was saved.", code=outfall.code),
                    url_for("outfalls_manage.edit_outfall", code=outfall.code),
                )
    status = 400 if request.method == "POST" else 200
    return render_template(
        "outfalls/manage/retire.html",
        outfall=outfall,
        forms=forms,
        # Merge and ban are refused for stormwater outfalls (the ledger's rule): say so.
        stormwater_rule=ledger.stormwater_rule() if outfall.is_stormwater else None,
    ), status


# --- Entities and water bodies (the data officer's and the coordinator's) ---------------


def _registry_roles() -> None:
    if not keeps_whole_registry(current_user):
        abort(403)


def _simple_page(form, save, saved, title, back):
    """Show the form; on a valid POST save, commit and go `back` (303)."""
    if form.validate_on_submit():
        try:
            obj = save()
        except UserError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            return done(saved, back(obj))
    status = 400 if request.method == "POST" else 200
    return render_template("outfalls/manage/simple_form.html", form=form, title=title), status


def _entity_data(form) -> ledger.EntityData:
    return ledger.EntityData(
        name=form.name.data,
        credit_code=form.credit_code.data,
        permit_no=form.permit_no.data,
        industry=form.industry.data or "",
        phone=form.phone.data or "",
    )


def _to_entity(entity):
    return url_for("outfalls_manage.edit_entity", entity_id=entity.id)


@bp.route("/entities/new", methods=["GET", "POST"])
def new_entity():
    """Add a responsible or management entity."""
    _registry_roles()
    form = EntityForm()
    return _simple_page(
        form,
        lambda: ledger.create_entity(
            _entity_data(form), actor=current_user, reason=form.reason.data
        ),
        _("The entity was saved."),
        _("New entity"),
        _to_entity,
    )


@bp.route("/entities/<int:entity_id>/edit", methods=["GET", "POST"])
def edit_entity(entity_id: int):
    """Correct an entity (its phone stays out of the public history)."""
    _registry_roles()
    entity = db.get_or_404(Entity, entity_id)
    form = EntityForm(obj=entity if request.method == "GET" else None)

    def save():
        ledger.update_entity(
            entity, _entity_data(form), actor=current_user, reason=form.reason.data
        )
        return entity

    return _simple_page(form, save, _("The entity was saved."), entity.name, _to_entity)


def _water_form(water=None) -> WaterForm:
    form = WaterForm(obj=water if request.method == "GET" else None)
    if water is not None and request.method == "GET":
        form.kind.data = water.kind.value
    waters = db.session.scalars(select(WaterBody).order_by(WaterBody.name)).all()
    form.parent_id.choices = [SelectChoice("", "—")] + [
        SelectChoice(w.id, localname(w)) for w in waters if water is None or w.id != water.id
    ]
    return form


def _water_data(form) -> ledger.WaterBodyData:
    return ledger.WaterBodyData(
        name=form.name.data,
        kind=form.kind.data,
        code=form.code.data,
        name_en=form.name_en.data or "",
        target_class=form.target_class.data,
        parent_id=form.parent_id.data,
    )


def _to_water(water):
    return url_for("outfalls_manage.edit_water", water_id=water.id)


@bp.route("/waters/new", methods=["GET", "POST"])
def new_water():
    """Add a receiving water body."""
    _registry_roles()
    form = _water_form()
    return _simple_page(
        form,
        lambda: ledger.create_water_body(
            _water_data(form), actor=current_user, reason=form.reason.data
        ),
        _("The water body was saved."),
        _("New water body"),
        _to_water,
    )


@bp.route("/waters/<int:water_id>/edit", methods=["GET", "POST"])
def edit_water(water_id: int):
    """Correct a water body."""
    _registry_roles()
    water = db.get_or_404(WaterBody, water_id)
    form = _water_form(water)

    def save():
        ledger.update_water_body(
            water, _water_data(form), actor=current_user, reason=form.reason.data
        )
        return water

    return _simple_page(form, save, _("The water body was saved."), water.name, _to_water)
