"""JSON Schemas (OpenAPI 3.1 components) of the objects serializers.py writes."""

STR = {"type": "string"}
NSTR = {"type": ["string", "null"]}
NNUM = {"type": ["number", "null"]}
INT = {"type": "integer"}
NINT = {"type": ["integer", "null"]}
BOOL = {"type": "boolean"}
DATE = {"type": ["string", "null"], "format": "date"}
MOMENT = {"type": "string", "format": "date-time"}
NMOMENT = {"type": ["string", "null"], "format": "date-time"}


def obj(props: dict, nullable: bool = False) -> dict:
    return {
        "type": ["object", "null"] if nullable else "object",
        "required": list(props),
        "properties": props,
    }


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def page(item: str) -> dict:
    """A keyset page: items, the `next` cursor and the next page's URL (null at the end)."""
    return obj({"items": {"type": "array", "items": ref(item)}, "next": NSTR, "next_url": NSTR})


REGION = obj({"code": STR, "name": STR, "name_en": NSTR, "level": STR, "parent_code": NSTR})
WATER = obj(
    {
        "id": INT,
        "code": NSTR,
        "name": STR,
        "name_en": NSTR,
        "kind": STR,
        "target_class": NSTR,
        "parent_id": NINT,
    }
)
DEPARTMENT = obj(
    {"id": INT, "slug": STR, "name": STR, "name_en": NSTR, "is_coordinator": BOOL, "phone": NSTR}
)
SUMMARY_PROPS = {
    "code": STR,
    "name": STR,
    "type": STR,
    "subtype": NSTR,
    "water_kind": STR,
    "status": STR,
    "status_since": DATE,
    "lat": NNUM,
    "lon": NNUM,
    "address": NSTR,
    "region": obj({"code": STR, "name": STR}),
    "water_body": obj({"id": INT, "code": NSTR, "name": STR}),
    "supervising_department": obj({"id": INT, "name": STR}, nullable=True),
    "remediation": obj({"category": STR, "status": STR, "deadline": DATE}, nullable=True),
    "is_demo": BOOL,
    "updated_at": MOMENT,
    "url": STR,
}
APPROVAL = obj(
    {
        "id": INT,
        "outfall_code": STR,
        "kind": STR,
        "decision_no": STR,
        "authority": STR,
        "decided_on": DATE,
        "valid_until": DATE,
        "permitted_daily_volume_m3": NNUM,
        "limits": {"type": "object"},
        "note": NSTR,
        "documents": {
            "type": "array",
            "items": obj(
                {"title": STR, "content_type": STR, "size": INT, "sha256": STR, "url": STR}
            ),
        },
    }
)
PLAN = obj(
    {
        "id": INT,
        "outfall_code": STR,
        "category": STR,
        "status": STR,
        "measures": NSTR,
        "deadline": DATE,
        "transition_until": DATE,
        "merge_target_code": NSTR,
        "signed_off_on": DATE,
        "milestones": {
            "type": "array",
            "items": obj({"title": STR, "due_on": DATE, "done_on": DATE}),
        },
        "history": {"type": "array", "items": obj({"status": STR, "on": DATE, "note": NSTR})},
    }
)
SAMPLE = obj(
    {
        "id": INT,
        "outfall_code": STR,
        "sampled_at": MOMENT,
        "sampler": STR,
        "organisation": NSTR,
        "weather": NSTR,
        "ph": NNUM,
        "cod_mg_l": NNUM,
        "nh3n_mg_l": NNUM,
        "tn_mg_l": NNUM,
        "tp_mg_l": NNUM,
        "flow_m3_s": NNUM,
        "temperature_c": NNUM,
        "other_mg_l": {"type": "object"},
        "exceeded": {"type": "array", "items": STR},
        "exceedances": {
            "type": "array",
            "items": obj(
                {
                    "indicator": STR,
                    "value": {"type": "number"},
                    "limit": {"type": ["number", "array", "null"], "items": {"type": "number"}},
                    "standard": STR,
                }
            ),
        },
    }
)
OUTFALL = obj(
    {
        **SUMMARY_PROPS,
        "local_code": NSTR,
        "channel_kind": NSTR,
        "merged_into": NSTR,
        "signboard_installed_on": DATE,
        "standard_code": NSTR,
        "management_entity": obj({"name": STR, "credit_code": NSTR}, nullable=True),
        "responsible_entities": {
            "type": "array",
            "items": obj({"name": STR, "credit_code": NSTR, "permit_no": NSTR, "is_primary": BOOL}),
        },
        "approvals": {"type": "array", "items": ref("Approval")},
        "remediation_plan": {"anyOf": [ref("RemediationPlan"), {"type": "null"}]},
        "latest_monitoring": {"type": "array", "items": ref("Sample")},
    }
)
COMPLAINT = obj(
    {
        "tracking_no": STR,
        "category": STR,
        "status": STR,
        "is_open": BOOL,
        "channel": STR,
        "received_at": MOMENT,
        "updated_at": MOMENT,
        "closed_at": NMOMENT,
        "lat": NNUM,
        "lon": NNUM,
        "outfall_code": NSTR,
        "department": obj({"id": INT, "name": STR}, nullable=True),
        "supporters": INT,
        "description": NSTR,
        "url": STR,
    }
)
MONTHS = obj(
    {
        "department": ref("Department"),
        "months": {
            "type": "array",
            "items": obj(
                {
                    "month": STR,
                    "received": INT,
                    "accepted": INT,
                    "accepted_on_time": INT,
                    "completed": INT,
                    "completed_on_time": INT,
                    "extended": INT,
                    "reopened": INT,
                    "rated": INT,
                    "mean_rating": NNUM,
                    "median_workdays": NNUM,
                }
            ),
        },
    }
)

COMPONENTS = {
    "Region": REGION,
    "WaterBody": WATER,
    "Department": DEPARTMENT,
    "OutfallSummary": obj(SUMMARY_PROPS),
    "Outfall": OUTFALL,
    "Approval": APPROVAL,
    "RemediationPlan": PLAN,
    "Sample": SAMPLE,
    "Complaint": COMPLAINT,
    "DepartmentMonths": MONTHS,
}
