"""Every open dataset, declared once: its fields (with their explanations), joins, keys,
filters and version. The /data page, the downloads and the tests all read these.

To publish a new field, add one `Column` to the dataset's tuple below (with the join it
needs in the dataset's `joins`, or a correlated subquery as its `expr`).
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.orm import aliased

from ..agencies.models import Department
from ..complaints import record
from ..complaints.models import Complaint, ComplaintCategory, ComplaintEvent
from ..core.clock import local_date, local_today, stored_moment
from ..geo.models import Region, WaterBody
from ..outfalls import legal
from ..outfalls.models import (
    STORMWATER_L2,
    Approval,
    ApprovalState,
    CategoryL1,
    Entity,
    LedgerEntry,
    MonitoringRecord,
    Outfall,
    OutfallResponsibility,
    RemediationEvent,
    RemediationMilestone,
    RemediationPlan,
)
from ..outfalls.services import filtered
from ..outfalls.standards import applicable_standard, exceedances
from ..queue.models import DepartmentMonth
from ..remediation.models import SignoffStep
from .schema import Column, Dataset

Responsible = aliased(OutfallResponsibility)
ResponsibleEntity = aliased(Entity)
MergedInto = aliased(Outfall)
MergeTarget = aliased(Outfall)


def _stats(model, *extra):
    """count and max(id) of a table, as scalar subqueries (count first: the row count)."""
    return (
        select(func.count()).select_from(model).scalar_subquery(),
        select(func.max(model.id)).scalar_subquery(),
        *extra,
    )


def _ledger():
    """The registry's change sequence: every edit of a form, an import or the API."""
    return (select(func.max(LedgerEntry.id)).scalar_subquery(),)


def _ledger_modified():
    return (
        select(LedgerEntry.created_at).order_by(LedgerEntry.id.desc()).limit(1).scalar_subquery(),
    )


def _narrow_outfalls(statement, filters):
    return filtered(statement, filters)


def _with_outfall(statement):
    return statement.join(Region, Region.id == Outfall.region_id).join(
        WaterBody, WaterBody.id == Outfall.water_body_id
    )


# --- Outfalls ------------------------------------------------------------------------------


def _legal_states(rows, context: dict) -> None:
    """The legal status of the batch's outfalls today (legal.assess over their current
    decisions, fetched in one query): the same rule as the outfall pages and the filter."""
    ids = [row._outfall_id for row in rows]
    approvals: dict[int, list] = {}
    if ids:
        from ..extensions import db

        # The columns assess reads, not whole rows (it reads attributes: a Row has them).
        for approval in db.session.execute(
            select(
                Approval.id,
                Approval.outfall_id,
                Approval.kind,
                Approval.state,
                Approval.decided_on,
                Approval.valid_until,
                Approval.revoked_on,
                Approval.decision_no,
            ).where(Approval.outfall_id.in_(ids), Approval.state == ApprovalState.current)
        ):
            approvals.setdefault(approval.outfall_id, []).append(approval)
    today = local_today()
    # An outfall without a decision: its state follows from its kind, type and status.
    alike: dict[tuple, legal.LegalState] = {}
    states = {}
    for row, outfall_id in zip(rows, ids, strict=True):
        key = (row._water_kind, row._type, row._status)
        found = approvals.get(outfall_id)
        if found:
            state = legal.assess(*key, found, today)
        elif key in alike:
            state = alike[key]
        else:
            state = alike[key] = legal.assess(*key, (), today)
        states[id(row)] = state  # the batch's rows stay alive while it is written
    context["legal"] = states


def _legal(row, context: dict) -> legal.LegalState:
    return context["legal"][id(row)]


def _legal_decision_no(row, context: dict) -> str | None:
    state = _legal(row, context)
    return state.approval.decision_no if state.approval is not None else None


OUTFALL_COLUMNS = (
    Column("code", _l("HJ 1235 outfall code"), Outfall.code),
    Column("name", _l("Name of the outfall"), Outfall.name),
    Column("local_code", _l("Local code used before the HJ 1235 code"), Outfall.local_code),
    Column(
        "type",
        _l(
            "Type code: GY industrial, SH municipal plant, NY agricultural, YH stormwater, QT other"
        ),
        Outfall.category_l1,
    ),
    Column("subtype", _l("Second-level type code (empty while being traced)"), Outfall.category_l2),
    Column("water_kind", _l("river or sea outfall"), Outfall.water_kind),
    Column("status", _l("Status: in_service, merged, banned or closed"), Outfall.status),
    Column("status_since", _l("Date the status took effect"), Outfall.status_since, "date"),
    Column("lat", _l("Latitude, WGS84 degrees"), Outfall.lat, "coord"),
    Column("lon", _l("Longitude, WGS84 degrees"), Outfall.lon, "coord"),
    Column("address", _l("Address"), Outfall.address),
    Column("region_code", _l("Administrative region code (GB/T 2260)"), Region.code),
    Column("region", _l("Administrative region"), Region.name),
    Column(
        "water_body_id",
        _l("Receiving water body (id as in the portal's URLs)"),
        WaterBody.id,
        "int",
    ),
    Column("water_body", _l("Receiving water body"), WaterBody.name),
    Column("responsible_entity", _l("Responsible entity (责任主体)"), ResponsibleEntity.name),
    Column(
        "responsible_credit_code",
        _l("Unified social credit code of the responsible entity"),
        ResponsibleEntity.credit_code,
    ),
    Column("supervising_department", _l("Supervising department"), Department.name),
    Column("channel_kind", _l("Discharge channel: open_channel, pipe, …"), Outfall.channel_kind),
    Column("merged_into", _l("Code of the outfall this one was merged into"), MergedInto.code),
    Column(
        "signboard_installed_on",
        _l("Date the signboard was installed"),
        Outfall.signboard_installed_on,
        "date",
    ),
    Column(
        "remediation_category",
        _l("Remediation category: ban, merge, regularise or retain (empty: no plan)"),
        RemediationPlan.category,
    ),
    Column(
        "remediation_status",
        _l("Remediation state, from identified to closed"),
        RemediationPlan.status,
    ),
    Column(
        "remediation_deadline",
        _l("Deadline of the remediation plan"),
        RemediationPlan.deadline,
        "date",
    ),
    Column(
        "signed_off_on",
        _l("Date the remediation was signed off (销号)"),
        RemediationPlan.signed_off_on,
        "date",
    ),
    Column(
        "legal_status",
        _l(
            "Legal status today: ok (the decision it needs is in force), missing, expired, "
            "or not_required (no longer in service)"
        ),
        compute=lambda row, ctx: _legal(row, ctx).status.value,
    ),
    Column(
        "required_decision",
        _l("Decision it needs: approval (审批), registration (登记) or filing (备案)"),
        compute=lambda row, ctx: _legal(row, ctx).required.value,
    ),
    Column(
        "legal_decision_no",
        _l("Number of the decision in force (or of the newest expired one)"),
        compute=_legal_decision_no,
    ),
    Column(
        "legal_expired_on",
        _l("Date that decision expired (when the legal status is expired)"),
        kind="date",
        compute=lambda row, ctx: _legal(row, ctx).expired_on,
    ),
    Column(
        "remediation_transition_until",
        _l("End of the remediation's transition period"),
        RemediationPlan.transition_until,
        "date",
    ),
    Column("updated_at", _l("When the record last changed"), Outfall.updated_at, "datetime"),
    Column("_outfall_id", "", Outfall.id, hidden=True),
    Column("_water_kind", "", Outfall.water_kind, hidden=True),
    Column("_type", "", Outfall.category_l1, hidden=True),
    Column("_status", "", Outfall.status, hidden=True),
)


def _outfall_joins(statement):
    return (
        _with_outfall(statement.select_from(Outfall))
        .outerjoin(Department, Department.id == Outfall.supervising_department_id)
        .outerjoin(RemediationPlan, RemediationPlan.outfall_id == Outfall.id)
        .outerjoin(Responsible, and_(Responsible.outfall_id == Outfall.id, Responsible.is_primary))
        .outerjoin(ResponsibleEntity, ResponsibleEntity.id == Responsible.entity_id)
        .outerjoin(MergedInto, MergedInto.id == Outfall.merged_into_id)
    )


OUTFALLS = Dataset(
    slug="outfalls",
    title=_l("Outfalls"),
    description=_l(
        "Every outfall of the registry with its place, type, responsibilities and "
        "remediation state."
    ),
    columns=OUTFALL_COLUMNS,
    joins=_outfall_joins,
    keys=(Outfall.id,),
    version=lambda: (
        *_stats(Outfall),
        select(func.max(Outfall.updated_at)).scalar_subquery(),
        *_stats(RemediationPlan),
        *_ledger(),
        *_stats(Approval),
        # The legal status is as of today: a decision expires without any row changing.
        literal(local_today().isoformat()),
    ),
    modified=lambda: (select(func.max(Outfall.updated_at)).scalar_subquery(), *_ledger_modified()),
    scope="outfalls",
    location=(Outfall.lat, Outfall.lon),
    prepare=_legal_states,
    narrow=_narrow_outfalls,
)


# --- Approvals, registrations and filings --------------------------------------------------


def _code_columns():
    return (
        Column("outfall_code", _l("HJ 1235 code of the outfall"), Outfall.code),
        Column("region_code", _l("Administrative region code (GB/T 2260)"), Region.code),
        Column("water_body", _l("Receiving water body"), WaterBody.name),
    )


APPROVALS = Dataset(
    slug="approvals",
    title=_l("Approvals, registrations and filings"),
    description=_l(
        "Setting approvals (审批) and registrations (登记) of river outfalls, "
        "filings (备案) of sea outfalls."
    ),
    columns=(
        Column("id", _l("Number of the decision in the portal"), Approval.id, "int"),
        *_code_columns(),
        Column("kind", _l("approval, registration or filing"), Approval.kind),
        Column("decision_no", _l("Decision number"), Approval.decision_no),
        Column("authority", _l("Deciding authority"), Approval.authority),
        Column("decided_on", _l("Date of the decision"), Approval.decided_on, "date"),
        Column("valid_until", _l("Valid until"), Approval.valid_until, "date"),
        Column(
            "permitted_daily_volume_m3",
            _l("Permitted discharge, m³ per day"),
            Approval.permitted_daily_volume_m3,
            "float",
        ),
        Column(
            "limits",
            _l("Permit limits in mg/L (pH as ph_min, ph_max), JSON"),
            Approval.limits,
            "json",
        ),
        Column("note", _l("Note"), Approval.note),
    ),
    joins=lambda s: _with_outfall(
        s.select_from(Approval).join(Outfall, Outfall.id == Approval.outfall_id)
    ),
    keys=(Approval.id,),
    version=lambda: (*_stats(Approval), *_ledger()),
    modified=_ledger_modified,
    scope="outfalls",
    location=(Outfall.lat, Outfall.lon),
    narrow=_narrow_outfalls,
)


# --- Monitoring with exceedance flags ------------------------------------------------------


def _standards(rows, context: dict) -> None:
    """The approvals of the batch's outfalls (one query): the limits each sample had."""
    ids = {row._outfall_id for row in rows}
    permits: dict[int, list] = {}
    for outfall_id, decided_on, limits in select_approvals(ids):
        permits.setdefault(outfall_id, []).append((decided_on, limits))
    context["permits"] = permits


def select_approvals(ids):
    from ..extensions import db

    if not ids:
        return []
    return db.session.execute(
        select(Approval.outfall_id, Approval.decided_on, Approval.limits)
        .where(Approval.outfall_id.in_(list(ids)))
        .order_by(Approval.decided_on.desc())
    ).all()


def _exceeded(row, context: dict) -> list:
    if "_found" in context and context["_found"][0] is row:
        return context["_found"][1]
    day = local_date(stored_moment(row.sampled_at))
    permit = next(
        (
            limits
            for decided, limits in context["permits"].get(row._outfall_id, [])
            if decided <= day
        ),
        None,
    )
    stormwater = row._type is CategoryL1.YH or row._subtype in STORMWATER_L2
    standard = applicable_standard(row._standard, row._type.value, permit, stormwater=stormwater)
    found = exceedances(
        {k: getattr(row, k) for k in ("ph", "cod", "nh3n", "tn", "tp", "flow_m3s")},
        standard,
        stormwater=stormwater,
        weather=row.weather or None,  # exported: its code (schema._raw)
        temperature_c=row.temperature_c,
    )
    context["_found"] = (row, found, standard.code)
    return found


def _measure(name: str, description):
    return Column(name, description, getattr(MonitoringRecord, name), "float")


MONITORING = Dataset(
    slug="monitoring",
    title=_l("Monitoring records"),
    description=_l(
        "Every sample with the limits that applied when it was taken and whether it broke them."
    ),
    columns=(
        Column("id", _l("Number of the sample in the portal"), MonitoringRecord.id, "int"),
        *_code_columns(),
        Column(
            "sampled_at", _l("When the sample was taken"), MonitoringRecord.sampled_at, "datetime"
        ),
        Column(
            "sampler",
            _l("supervisory (by the authorities) or self (by the entity)"),
            MonitoringRecord.sampler_kind,
        ),
        Column("organisation", _l("Who took the sample"), MonitoringRecord.organisation),
        Column("weather", _l("dry or wet weather"), MonitoringRecord.weather),
        _measure("ph", _l("pH")),
        _measure("cod", _l("COD, mg/L")),
        _measure("nh3n", _l("Ammonia nitrogen (NH3-N), mg/L")),
        _measure("tn", _l("Total nitrogen, mg/L")),
        _measure("tp", _l("Total phosphorus, mg/L")),
        _measure("flow_m3s", _l("Flow, m³/s")),
        _measure("temperature_c", _l("Water temperature, °C")),
        Column("other", _l("Other pollutants in mg/L, JSON"), MonitoringRecord.other, "json"),
        Column(
            "standard",
            _l("Standard or permit the sample was judged against"),
            compute=lambda row, ctx: (_exceeded(row, ctx), ctx["_found"][2])[1],
        ),
        Column(
            "exceeded",
            _l("true when a limit was broken (or a stormwater outfall flowed in dry weather)"),
            kind="bool",
            compute=lambda row, ctx: bool(_exceeded(row, ctx)),
        ),
        Column(
            "exceeded_indicators",
            _l("The indicators over their limits, separated by ;"),
            compute=lambda row, ctx: ";".join(e.indicator for e in _exceeded(row, ctx)),
        ),
        Column("_outfall_id", "", Outfall.id, hidden=True),
        Column("_type", "", Outfall.category_l1, hidden=True),
        Column("_subtype", "", Outfall.category_l2, hidden=True),
        Column("_standard", "", Outfall.standard_code, hidden=True),
    ),
    joins=lambda s: _with_outfall(
        s.select_from(MonitoringRecord).join(Outfall, Outfall.id == MonitoringRecord.outfall_id)
    ),
    keys=(MonitoringRecord.id,),
    version=lambda: (*_stats(MonitoringRecord), *_stats(Approval), *_ledger()),
    modified=_ledger_modified,
    scope="outfalls",
    location=(Outfall.lat, Outfall.lon),
    prepare=_standards,
    narrow=_narrow_outfalls,
)


# --- Remediation ---------------------------------------------------------------------------

PLANS = Dataset(
    slug="remediation_plans",
    title=_l("Remediation plans"),
    description=_l("One plan per outfall (一口一策): category, measures, deadline and state."),
    columns=(
        Column("id", _l("Number of the plan in the portal"), RemediationPlan.id, "int"),
        *_code_columns(),
        Column("category", _l("ban, merge, regularise or retain"), RemediationPlan.category),
        Column(
            "status", _l("Remediation state, from identified to closed"), RemediationPlan.status
        ),
        Column("measures", _l("Measures"), RemediationPlan.measures),
        Column("deadline", _l("Deadline"), RemediationPlan.deadline, "date"),
        Column(
            "transition_until",
            _l("End of the transition period"),
            RemediationPlan.transition_until,
            "date",
        ),
        Column("merge_target", _l("Code of the outfall it is merged into"), MergeTarget.code),
        Column(
            "signed_off_on",
            _l("Date the remediation was signed off (销号)"),
            RemediationPlan.signed_off_on,
            "date",
        ),
    ),
    joins=lambda s: _with_outfall(
        s.select_from(RemediationPlan).join(Outfall, Outfall.id == RemediationPlan.outfall_id)
    ).outerjoin(MergeTarget, MergeTarget.id == RemediationPlan.merge_target_id),
    keys=(RemediationPlan.id,),
    version=lambda: (*_stats(RemediationPlan), *_ledger()),
    modified=_ledger_modified,
    scope="outfalls",
    location=(Outfall.lat, Outfall.lon),
    narrow=_narrow_outfalls,
)


def _plan_joins(model):
    return lambda s: _with_outfall(
        s.select_from(model)
        .join(RemediationPlan, RemediationPlan.id == model.plan_id)
        .join(Outfall, Outfall.id == RemediationPlan.outfall_id)
    )


MILESTONES = Dataset(
    slug="remediation_milestones",
    title=_l("Remediation milestones"),
    description=_l("The dated steps of each remediation plan."),
    columns=(
        Column("id", _l("Number of the milestone in the portal"), RemediationMilestone.id, "int"),
        Column("plan_id", _l("Number of the plan"), RemediationMilestone.plan_id, "int"),
        *_code_columns(),
        Column("title", _l("Milestone"), RemediationMilestone.title),
        Column("due_on", _l("Due date"), RemediationMilestone.due_on, "date"),
        Column("done_on", _l("Date it was done"), RemediationMilestone.done_on, "date"),
    ),
    joins=_plan_joins(RemediationMilestone),
    keys=(RemediationMilestone.id,),
    version=lambda: (*_stats(RemediationMilestone), *_ledger()),
    modified=_ledger_modified,
    scope="outfalls",
    location=(Outfall.lat, Outfall.lon),
    narrow=_narrow_outfalls,
)

STEPS = Dataset(
    slug="remediation_steps",
    title=_l("Remediation steps"),
    description=_l("The public history of each plan: the state it reached, when, and why."),
    columns=(
        Column("id", _l("Number of the step in the portal"), RemediationEvent.id, "int"),
        Column("plan_id", _l("Number of the plan"), RemediationEvent.plan_id, "int"),
        *_code_columns(),
        Column("status", _l("Remediation state reached"), RemediationEvent.status),
        Column("occurred_on", _l("Date"), RemediationEvent.occurred_on, "date"),
        Column("note", _l("Note"), RemediationEvent.note),
    ),
    joins=_plan_joins(RemediationEvent),
    keys=(RemediationEvent.id,),
    version=lambda: (*_stats(RemediationEvent), *_ledger()),
    modified=_ledger_modified,
    scope="outfalls",
    location=(Outfall.lat, Outfall.lon),
    narrow=_narrow_outfalls,
)


SIGNOFF_STEPS = Dataset(
    slug="remediation_signoff",
    title=_l("Remediation sign-off steps"),
    description=_l(
        "Each step of signing off a remediation (销号): submitted, confirmed or returned by "
        "the supervising department, approved or returned by the coordinator."
    ),
    columns=(
        Column("id", _l("Number of the step in the portal"), SignoffStep.id, "int"),
        Column("plan_id", _l("Number of the plan"), SignoffStep.plan_id, "int"),
        *_code_columns(),
        Column(
            "action",
            _l("submit, confirm, dept_return (department), approve or coordinator_return"),
            SignoffStep.action,
        ),
        Column("occurred_on", _l("Date of the step"), SignoffStep.occurred_on, "date"),
        Column("department", _l("Department that took the step"), Department.name),
        Column(
            "document_number",
            _l("Number of the department's formal confirmation (正式确认文件)"),
            SignoffStep.document_number,
        ),
        Column("document_date", _l("Date of that document"), SignoffStep.document_date, "date"),
        Column("reason", _l("Reason given (a return's, or a note)"), SignoffStep.reason),
    ),
    joins=lambda s: _plan_joins(SignoffStep)(s).outerjoin(
        Department, Department.id == SignoffStep.department_id
    ),
    keys=(SignoffStep.id,),
    # Append-only: the count and the last id change with every step.
    version=lambda: _stats(SignoffStep),
    modified=lambda: (select(func.max(SignoffStep.created_at)).scalar_subquery(),),
    scope="outfalls",
    location=(Outfall.lat, Outfall.lon),
    narrow=_narrow_outfalls,
)


# --- The public record of reports ----------------------------------------------------------

ComplaintOutfall = aliased(Outfall)
ComplaintRegion = aliased(Region)
ComplaintWater = aliased(WaterBody)

COMPLAINTS = Dataset(
    slug="complaints",
    title=_l("Public summaries of reports"),
    description=_l(
        "What the public record shows of every citizen's report: no reporter, the place "
        "rounded to about 100 m, the description only where the reporter agreed."
    ),
    columns=(
        Column("tracking_no", _l("Tracking number"), Complaint.tracking_no),
        Column("received_at", _l("When the report was received"), Complaint.created_at, "datetime"),
        Column("category", _l("Problem type code"), ComplaintCategory.code),
        Column("status", _l("Status of the case"), Complaint.status),
        Column("channel", _l("How it was received: web, 12369 phone, 12345, …"), Complaint.channel),
        Column("outfall_code", _l("HJ 1235 code of the outfall reported"), ComplaintOutfall.code),
        Column("region_code", _l("Administrative region code (GB/T 2260)"), ComplaintRegion.code),
        Column("water_body", _l("Receiving water body"), ComplaintWater.name),
        Column("department", _l("Handling department"), Department.name),
        Column("lat", _l("Latitude rounded to about 100 m"), Complaint.lat, "coord3"),
        Column("lon", _l("Longitude rounded to about 100 m"), Complaint.lon, "coord3"),
        Column(
            "people_affected",
            _l("The reporter and those who said it affects them too"),
            Complaint.supporters + 1,
            "int",
        ),
        Column(
            "resolved_at",
            _l("When the department reported it resolved"),
            Complaint.resolved_at,
            "datetime",
        ),
        Column(
            "description",
            _l("Description, only where the reporter agreed to publish it"),
            case((Complaint.consent_publish, Complaint.description), else_=""),
        ),
    ),
    joins=lambda s: (
        s.select_from(Complaint)
        .join(ComplaintCategory, ComplaintCategory.id == Complaint.category_id)
        .outerjoin(ComplaintOutfall, ComplaintOutfall.id == Complaint.outfall_id)
        .outerjoin(ComplaintRegion, ComplaintRegion.id == Complaint.region_id)
        .outerjoin(ComplaintWater, ComplaintWater.id == Complaint.water_body_id)
        .outerjoin(Department, Department.id == Complaint.department_id)
    ),
    # The record's own order and keyset: (created_at, id), newest first.
    keys=(Complaint.created_at, Complaint.id),
    version=lambda: (*_stats(Complaint), select(func.max(ComplaintEvent.id)).scalar_subquery()),
    modified=lambda: (
        select(ComplaintEvent.created_at)
        .order_by(ComplaintEvent.id.desc())
        .limit(1)
        .scalar_subquery(),
    ),
    scope="complaints",
    location=(Complaint.lat, Complaint.lon),
    extra={"digits": 3},  # a citizen's location, published to ~100 m
    reader=lambda statement, filters, batch: record.public_batches(
        statement, filters or record.RecordFilters(), batch
    ),
)


# --- Department figures by month -----------------------------------------------------------

_FIGURES = (
    ("received", _l("Reports received in the month (China time)")),
    ("accepted", _l("Of those, accepted")),
    ("accepted_on_time", _l("Accepted within the deadline")),
    ("completed", _l("Completed")),
    ("completed_on_time", _l("Completed within the deadline")),
    ("extended", _l("Given an extension")),
    ("reopened", _l("Reopened or disputed after completion")),
    ("rated", _l("Rated by the reporter")),
    ("rating_sum", _l("Sum of the ratings (1 to 5); mean = rating_sum / rated")),
)

DEPARTMENT_MONTHS = Dataset(
    slug="department_months",
    title=_l("Department figures by month"),
    description=_l("How each department handled the reports it received, month by month."),
    columns=(
        Column("department", _l("Department (short name as in the URLs)"), Department.slug),
        Column("department_name", _l("Department"), Department.name),
        Column("month", _l("Month, YYYY-MM"), DepartmentMonth.month),
        *(Column(n, d, getattr(DepartmentMonth, n), "int") for n, d in _FIGURES),
    ),
    joins=lambda s: s.select_from(DepartmentMonth).join(
        Department, Department.id == DepartmentMonth.department_id
    ),
    keys=(DepartmentMonth.department_id, DepartmentMonth.month),
    version=lambda: (
        select(func.count()).select_from(DepartmentMonth).scalar_subquery(),
        *(select(func.sum(getattr(DepartmentMonth, n))).scalar_subquery() for n, _d in _FIGURES),
    ),
)

DATASETS = {
    d.slug: d
    for d in (
        OUTFALLS,
        APPROVALS,
        MONITORING,
        PLANS,
        MILESTONES,
        STEPS,
        SIGNOFF_STEPS,
        COMPLAINTS,
        DEPARTMENT_MONTHS,
    )
}
