"""Translated labels for the registry's codes; templates call these, never raw values."""

from flask_babel import lazy_gettext as _l

CATEGORY_L1 = {
    "GY": _l("Industrial outfall"),
    "SH": _l("Municipal wastewater treatment plant outfall"),
    "NY": _l("Agricultural outfall"),
    "YH": _l("Urban stormwater outfall"),
    "QT": _l("Other outfall"),
}

CATEGORY_L2 = {
    "gy_enterprise": _l("Industrial or mining enterprise outfall"),
    "gy_park_wwtp": _l("Industrial park wastewater treatment plant outfall"),
    "gy_enterprise_storm": _l("Industrial or mining enterprise stormwater outfall"),
    "gy_park_storm": _l("Industrial park treatment plant stormwater outfall"),
    "sh_wwtp": _l("Municipal wastewater treatment plant outfall"),
    "ny_livestock": _l("Large-scale livestock farm outfall"),
    "ny_aquaculture": _l("Large-scale aquaculture outfall"),
    "yh_storm": _l("Urban stormwater outfall"),
    "qt_irrigation": _l("Large or medium irrigation district outlet"),
    "qt_port": _l("Port or dock outfall"),
    "qt_small_livestock": _l("Small-scale livestock farm outfall"),
    "qt_small_aquaculture": _l("Small-scale aquaculture outfall"),
    "qt_urban_scattered": _l("Scattered urban sewage outlet"),
    "qt_rural_facility": _l("Rural sewage treatment facility outfall"),
    "qt_rural_scattered": _l("Scattered rural sewage outlet"),
    "qt_other": _l("Other outfall"),
    None: _l("Not yet determined"),
}

WATER_KIND = {"river": _l("River outfall"), "sea": _l("Sea outfall")}

WATER_BODY_KIND = {
    "river": _l("River"),
    "lake": _l("Lake"),
    "reservoir": _l("Reservoir"),
    "canal": _l("Canal"),
    "sea": _l("Sea area"),
}

CHANNEL_KIND = {
    "open_channel": _l("Open channel"),
    "pipe": _l("Pipe"),
    "pump_station": _l("Pumping station"),
    "sluice": _l("Sluice"),
    "box_culvert": _l("Box culvert"),
    "other": _l("Other"),
    None: _l("Unknown"),
}

OUTFALL_STATUS = {
    "in_service": _l("In service"),
    "merged": _l("Merged"),
    "banned": _l("Banned"),
    "closed": _l("Closed"),
}

APPROVAL_KIND = {
    "approval": _l("Setting approval"),
    "registration": _l("Registration"),
    "filing": _l("Sea outfall filing"),
}

APPROVAL_STATE = {
    "current": _l("Current"),
    "corrected": _l("Corrected version"),
    "superseded": _l("Superseded"),
    "revoked": _l("Revoked"),
}

LEGAL_STATUS = {
    "ok": _l("Approved, registered or filed"),
    "missing": _l("Required decision missing"),
    "expired": _l("Approval expired"),
    "not_required": _l("No longer in service"),
}

REMEDIATION_CATEGORY = {
    "ban": _l("Ban"),
    "merge": _l("Clean up and merge"),
    "regularise": _l("Regularise"),
    "retain": _l("Retain"),
}

REMEDIATION_STATUS = {
    "identified": _l("Identified"),
    "monitored": _l("Monitored"),
    "traced": _l("Source traced"),
    "plan_approved": _l("Plan approved"),
    "remediating": _l("Being remediated"),
    "signoff_submitted": _l("Sign-off proof submitted"),
    "dept_confirmed": _l("Confirmed by department"),
    "eee_approved": _l("Approved by ecology bureau"),
    "closed": _l("Signed off"),
    "retained": _l("Retained"),
}

# Progress stages (models.STAGES), the columns of /progress and the list's `stage` filter.
PROGRESS_STAGE = {
    "no_plan": _l("No plan yet"),
    "not_started": _l("Being investigated"),
    "remediating": _l("Plan approved, being remediated"),
    "in_signoff": _l("In sign-off"),
    "signed_off": _l("Signed off"),
    "retained": _l("Retained"),
}

SAMPLER_KIND = {
    "supervisory": _l("Supervisory monitoring"),
    "self": _l("Self-monitoring"),
}

WEATHER = {"dry": _l("Dry weather"), "wet": _l("Wet weather"), None: ""}

INDICATOR = {
    "ph": _l("pH"),
    "cod": _l("COD"),
    "nh3n": _l("Ammonia nitrogen"),
    "tn": _l("Total nitrogen"),
    "tp": _l("Total phosphorus"),
    "flow_m3s": _l("Flow"),
    "dry_weather_flow": _l("Dry-weather discharge"),
}

STANDARD = {
    "GB18918-1A": _l("GB 18918-2002 Class 1-A"),
    "GB18918-1B": _l("GB 18918-2002 Class 1-B"),
    "GB18918-2": _l("GB 18918-2002 Class 2"),
    "GB8978-1": _l("GB 8978-1996 Level 1"),
    "GB8978-2": _l("GB 8978-1996 Level 2"),
    "GB8978-3": _l("GB 8978-1996 Level 3"),
    "GB3838-III": _l("GB 3838-2002 Class III (reference)"),
    "PERMIT": _l("Limits in the approval"),
    "STORM": _l("No concentration limit (stormwater outfall)"),
}

REGION_LEVEL = {
    "province": _l("Province"),
    "city": _l("City"),
    "county": _l("County or district"),
    "township": _l("Township"),
}

# Fields and actions of the registry's history (outfalls.ledger).
LEDGER_FIELD = {
    "code": _l("Code"),
    "local_code": _l("Local code"),
    "name": _l("Name of the outfall"),
    "category_l1": _l("Type"),
    "category_l2": _l("Subtype"),
    "water_kind": _l("River or sea"),
    "lat": _l("Latitude"),
    "lon": _l("Longitude"),
    "address": _l("Address"),
    "region": _l("Region"),
    "water_body": _l("Receiving water"),
    "responsible_entities": _l("Responsible entities"),
    "management_entity": _l("Management entity"),
    "supervising_department": _l("Supervising department"),
    "channel_kind": _l("Discharge channel"),
    "signboard_installed_on": _l("Signboard installed"),
    "standard_code": _l("Standard"),
    "status": _l("Status"),
    "status_since": _l("Status since"),
    "status_decision_no": _l("Decision number"),
    "merged_into": _l("Merged into"),
}

LEDGER_ACTION = {
    "created": _l("Entered in the registry"),
    "updated": _l("Record corrected"),
    "merged": _l("Merged"),
    "banned": _l("Banned"),
    "closed": _l("Closed"),
}

# Which label table names a field's stored values.
LEDGER_VALUES = {
    "category_l1": CATEGORY_L1,
    "category_l2": CATEGORY_L2,
    "water_kind": WATER_KIND,
    "channel_kind": CHANNEL_KIND,
    "status": OUTFALL_STATUS,
}


def ledger_value_text(field: str, value) -> str:
    """A history value as the public history shows it: a reference by its name, a code by
    its label, a list joined, nothing as a dash."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, dict):
        return str(value.get("name") or "—")
    if isinstance(value, str):
        table = LEDGER_VALUES.get(field)
        return str(table.get(value, value)) if table else value
    if isinstance(value, (list, tuple)):
        return "; ".join(
            str(v.get("name") or "—") if isinstance(v, dict) else str(v) for v in value
        )
    return str(value)


def register(app) -> None:
    """Make the label tables available to every template as `labels`."""
    tables = {
        name.lower(): value
        for name, value in globals().items()
        if name.isupper() and isinstance(value, dict)
    }

    app.jinja_env.globals.setdefault("labels", {}).update(tables)
    app.jinja_env.globals["ledger_value_text"] = ledger_value_text
