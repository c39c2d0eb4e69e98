"""Entering monitoring: one sample by form, many by CSV, corrections that keep originals.

Impossible values are refused (pH outside 0–14, negative concentrations or flow, a sample
dated in the future, a row with nothing measured); a sample already standing for the same
outfall, time and sampler is a duplicate. A CSV is all or nothing: every row is checked
first, and if any is refused nothing is stored and the report lists each refusal with its
line. A correction never deletes: the original stays, `superseded`, and the correction
names it (`corrects_id`) with its reason. Only outfalls the actor may edit are touched
(`access.editable_outfalls`); rows for others are refused in the report. Every new row is
written to its outfall's ledger chain.

CSV: UTF-8 with or without BOM, or GB18030 (what Excel on Chinese Windows saves); the
header takes the column keys or their Chinese names, units in brackets allowed.
"""

import csv
import io
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..agencies.models import StaffMember
from ..core.clock import LOCAL_TZ
from ..core.codes import normalise_code
from ..core.errors import UserError
from ..extensions import db
from . import history
from .access import editable_outfalls
from .models import MonitoringRecord, Outfall, SamplerKind, Weather
from .record_changes import record_change, required_reason

# The measured values, their unit and the range a real sample can have.
MEASURES: dict[str, tuple[str, float, float]] = {
    "ph": ("", 0.0, 14.0),
    "cod": ("mg/L", 0.0, math.inf),
    "nh3n": ("mg/L", 0.0, math.inf),
    "tn": ("mg/L", 0.0, math.inf),
    "tp": ("mg/L", 0.0, math.inf),
    "flow_m3s": ("m³/s", 0.0, math.inf),
    "temperature_c": ("°C", -5.0, 100.0),
}
FIELDS = (
    "sampled_at",
    "sampler_kind",
    "organisation",
    "lab",
    "weather",
    *MEASURES,
    "superseded",
    "corrects_id",
    "correction_reason",
)

# CSV columns in order, with the Chinese names a spreadsheet may carry instead.
COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("排污口编码", "编码", "排污口代码"),
    "sampled_at": ("采样时间", "监测时间"),
    "sampler_kind": ("监测类型", "监测性质", "采样类型"),
    "organisation": ("采样单位", "监测单位"),
    "lab": ("检测机构", "分析单位", "实验室"),
    "weather": ("天气",),
    "ph": (),
    "cod": ("化学需氧量",),
    "nh3n": ("氨氮", "nh3-n"),
    "tn": ("总氮",),
    "tp": ("总磷",),
    "flow_m3s": ("流量", "flow"),
    "temperature_c": ("水温", "温度", "temperature"),
}
REQUIRED_COLUMNS = ("code", "sampled_at", "sampler_kind")
SAMPLER_WORDS = {
    "supervisory": SamplerKind.supervisory,
    "监督性监测": SamplerKind.supervisory,
    "监督": SamplerKind.supervisory,
    "self": SamplerKind.self_monitoring,
    "自行监测": SamplerKind.self_monitoring,
    "自行": SamplerKind.self_monitoring,
}
WEATHER_WORDS = {
    "dry": Weather.dry,
    "晴": Weather.dry,
    "晴天": Weather.dry,
    "旱天": Weather.dry,
    "wet": Weather.wet,
    "雨": Weather.wet,
    "雨天": Weather.wet,
}
TIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d %H:%M:%S")
TIME_FORMATS += ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S")


@dataclass
class SampleInput:
    """One sample as entered; `sampled_at` is aware (the form and CSV give China time)."""

    sampled_at: datetime
    sampler_kind: SamplerKind
    organisation: str = ""
    lab: str = ""
    weather: Weather | None = None
    ph: float | None = None
    cod: float | None = None
    nh3n: float | None = None
    tn: float | None = None
    tp: float | None = None
    flow_m3s: float | None = None
    temperature_c: float | None = None

    def values(self) -> dict[str, float | None]:
        return {name: getattr(self, name) for name in MEASURES}


def problems(data: SampleInput, now: datetime) -> list[UserError]:
    """Everything impossible about one sample (empty: it may be stored)."""
    found = []
    if data.sampled_at > now:
        found.append(UserError(_l("The sample cannot be dated in the future."), "sampled_at"))
    for name, (_unit, low, high) in MEASURES.items():
        value = getattr(data, name)
        if value is None:
            continue
        if not math.isfinite(value):
            found.append(UserError(_l("Enter a number."), name))
        elif name == "ph" and not low <= value <= high:
            found.append(UserError(_l("pH lies between 0 and 14."), name))
        elif name == "temperature_c" and not low <= value <= high:
            found.append(UserError(_l("A water temperature lies between -5 and 100 °C."), name))
        elif value < low:
            found.append(UserError(_l("A concentration or flow cannot be negative."), name))
    if all(getattr(data, name) is None for name in MEASURES if name != "temperature_c"):
        found.append(UserError(_l("Enter at least one measured value."), "ph"))
    if len(data.organisation) > 120 or len(data.lab) > 120:
        found.append(UserError(_l("At most 120 characters."), "organisation"))
    return found


def _new_record(outfall: Outfall, data: SampleInput) -> MonitoringRecord:
    return MonitoringRecord(
        outfall_id=outfall.id,
        sampled_at=data.sampled_at.replace(microsecond=0),
        sampler_kind=data.sampler_kind,
        organisation=data.organisation.strip(),
        lab=data.lab.strip(),
        weather=data.weather,
        other={},
        superseded=False,
        correction_reason="",
        **data.values(),
    )


def _record_history(
    record: MonitoringRecord,
    action: str,
    before: dict[str, Any],
    reason: str,
    actor: StaffMember,
    now: datetime,
    source: str,
) -> None:
    record_change(
        record,
        "monitoring",
        FIELDS,
        action,
        before,
        reason=reason,
        actor=actor,
        now=now,
        source=source,
    )


def _standing(outfall_id: int, data: SampleInput, *, besides: int | None = None):
    query = select(MonitoringRecord.id).where(
        MonitoringRecord.outfall_id == outfall_id,
        MonitoringRecord.sampled_at == data.sampled_at.replace(microsecond=0),
        MonitoringRecord.sampler_kind == data.sampler_kind,
        MonitoringRecord.superseded.is_(False),
    )
    if besides is not None:
        query = query.where(MonitoringRecord.id != besides)
    return db.session.scalar(query.limit(1))


def _refuse_first(data: SampleInput, now: datetime) -> None:
    found = problems(data, now)
    if found:
        raise found[0]


DUPLICATE = _l("A sample of this outfall taken at this time by this sampler is already stored.")


def add_sample(
    actor: StaffMember, outfall: Outfall, data: SampleInput, now: datetime
) -> MonitoringRecord:
    """Store one sample of an outfall the actor may edit (the caller checked it).

    Raises:
        UserError: an impossible value, or a duplicate of a stored sample.
    """
    _refuse_first(data, now)
    if _standing(outfall.id, data) is not None:
        raise UserError(DUPLICATE, "sampled_at")
    record = _new_record(outfall, data)
    db.session.add(record)
    db.session.flush()
    _record_history(record, "monitoring_added", {}, "", actor, now, "form")
    return record


def record_for_edit(actor: StaffMember, record_id: int) -> MonitoringRecord | None:
    """A standing record of an outfall the actor may edit; None otherwise (answer 404)."""
    return db.session.scalars(
        select(MonitoringRecord)
        .join(Outfall, MonitoringRecord.outfall_id == Outfall.id)
        .where(
            MonitoringRecord.id == record_id,
            MonitoringRecord.superseded.is_(False),
            editable_outfalls(actor),
        )
    ).first()


def correct_sample(
    actor: StaffMember,
    record: MonitoringRecord,
    data: SampleInput,
    reason: str,
    now: datetime,
) -> MonitoringRecord:
    """Replace a standing record by its correction; the original stays, superseded.

    Raises:
        UserError: no reason, an impossible value, or the corrected key (time, sampler)
            collides with another stored sample.
    """
    reason = required_reason(reason)
    if record.superseded:
        raise UserError(_l("This record was already corrected."))
    _refuse_first(data, now)
    if _standing(record.outfall_id, data, besides=record.id) is not None:
        raise UserError(DUPLICATE, "sampled_at")
    before = history.snapshot(record, FIELDS)
    record.superseded = True
    db.session.flush()  # the original leaves the unique index before its correction enters
    _record_history(record, "monitoring_corrected", before, reason, actor, now, "form")
    correction = _new_record(record.outfall, data)
    correction.corrects_id = record.id
    correction.correction_reason = reason
    db.session.add(correction)
    db.session.flush()
    _record_history(correction, "monitoring_corrected", before, reason, actor, now, "form")
    return correction


def to_input_values(record: MonitoringRecord) -> dict[str, Any]:
    """A stored record as form data (China time, naive, as the form shows it)."""
    values = {name: getattr(record, name) for name in MEASURES}
    values.update(
        sampled_at=record.sampled_at.astimezone(LOCAL_TZ).replace(tzinfo=None),
        sampler_kind=record.sampler_kind.value,
        organisation=record.organisation,
        lab=record.lab,
        weather=record.weather.value if record.weather else "",
    )
    return values


# --- CSV -------------------------------------------------------------------------------


@dataclass
class RowReport:
    """One data line of a CSV: what it says and, if refused, every reason."""

    line: int
    code: str
    sampled_at: str
    errors: list[str] = field(default_factory=list)
    data: SampleInput | None = None
    outfall: Outfall | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class CsvReport:
    """The result of an upload: the file's problems, each row's, and whether it was applied."""

    encoding: str = ""
    file_errors: list[str] = field(default_factory=list)
    rows: list[RowReport] = field(default_factory=list)
    applied: bool = False
    stored: int = 0

    @property
    def refused(self) -> list[RowReport]:
        return [r for r in self.rows if not r.ok]


def decode(data: bytes) -> tuple[str, str]:
    """The text of a CSV and the encoding it was in: UTF-8 (BOM or not), else GB18030.

    Raises:
        UserError: neither decodes it.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "UTF-8 (BOM)"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "GB18030"
    except UnicodeDecodeError as exc:
        raise UserError(
            _l("The file is neither UTF-8 nor GB18030 text. Save it as CSV (UTF-8)."), "file"
        ) from exc


def _header_key(cell: str) -> str | None:
    name = cell.strip().lstrip("\ufeff")
    for bracket in ("(", "（", "["):
        name = name.split(bracket, 1)[0]
    name = name.strip().lower()
    for key, aliases in COLUMNS.items():
        if name == key or name in (a.lower() for a in aliases):
            return key
    return None


def _parse_time(text: str) -> datetime | None:
    text = text.strip()
    for fmt in TIME_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=LOCAL_TZ)
        except ValueError:
            continue
    return None


def _parse_number(text: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    value = float(text)  # ValueError for words, "<0.05", "ND"
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _parse_row(line: int, cells: dict[str, str], now: datetime) -> RowReport:
    code = normalise_code(cells.get("code", ""))
    report = RowReport(line, code, cells.get("sampled_at", "").strip())
    errors = report.errors
    if not code:
        errors.append(str(_l("No outfall code.")))
    sampled_at = _parse_time(cells.get("sampled_at", ""))
    if sampled_at is None:
        errors.append(str(_l("Sampled at: write the time as 2026-10-01 09:30 (China time).")))
    kind = SAMPLER_WORDS.get(cells.get("sampler_kind", "").strip().lower())
    if kind is None:
        errors.append(str(_l("Sampler kind: write supervisory (监督性监测) or self (自行监测).")))
    weather_text = cells.get("weather", "").strip().lower()
    weather = WEATHER_WORDS.get(weather_text) if weather_text else None
    if weather_text and weather is None:
        errors.append(str(_l("Weather: write dry (晴) or wet (雨), or leave it empty.")))
    values: dict[str, float | None] = {}
    for name in MEASURES:
        try:
            values[name] = _parse_number(cells.get(name, ""))
        except ValueError:
            values[name] = None
            errors.append(str(_l("%(column)s: not a number.", column=name)))
    if sampled_at is None or kind is None:
        return report
    data = SampleInput(
        sampled_at=sampled_at,
        sampler_kind=kind,
        organisation=cells.get("organisation", "").strip(),
        lab=cells.get("lab", "").strip(),
        weather=weather,
        **values,
    )
    for problem in problems(data, now):
        errors.append(f"{problem.field}: {problem.message}" if problem.field else str(problem))
    report.data = data
    return report


def parse_csv(data: bytes, now: datetime) -> CsvReport:
    """Read and check every line of a CSV (no outfall looked up yet)."""
    report = CsvReport()
    limit = int(float(current_app.config["MONITORING_CSV_MAX_MB"]) * 1024 * 1024)
    if len(data) > limit:
        report.file_errors.append(
            str(
                _l(
                    "The file is larger than %(limit)s MB; split it.",
                    limit=current_app.config["MONITORING_CSV_MAX_MB"],
                )
            )
        )
        return report
    try:
        text, report.encoding = decode(data)
    except UserError as error:
        report.file_errors.append(str(error))
        return report
    if "\x00" in text:
        report.file_errors.append(str(_l("The file is not a CSV text file.")))
        return report
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            report.file_errors.append(str(_l("The file is empty.")))
            return report
        keys = [_header_key(cell) for cell in header]
        unknown = [cell for cell, key in zip(header, keys, strict=True) if key is None and cell]
        missing = [key for key in REQUIRED_COLUMNS if key not in keys]
        if unknown:
            report.file_errors.append(
                str(_l("Unknown columns: %(columns)s.", columns=", ".join(unknown)))
            )
        if missing:
            report.file_errors.append(
                str(_l("Missing columns: %(columns)s.", columns=", ".join(missing)))
            )
        if report.file_errors:
            return report
        max_rows = current_app.config["MONITORING_CSV_MAX_ROWS"]
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            if len(report.rows) >= max_rows:
                report.file_errors.append(
                    str(_l("More than %(n)s rows; split the file.", n=max_rows))
                )
                return report
            line = reader.line_num
            if len(cells) > len(keys):
                row = RowReport(line, "", "", [str(_l("More cells than columns."))])
                report.rows.append(row)
                continue
            named = {k: v for k, v in zip(keys, cells, strict=False) if k}
            report.rows.append(_parse_row(line, named, now))
    except csv.Error:
        report.file_errors.append(
            str(_l("Line %(line)s cannot be read as CSV.", line=reader.line_num))
        )
    if not report.rows and not report.file_errors:
        report.file_errors.append(str(_l("The file has no data rows.")))
    return report


def upload_csv(actor: StaffMember, data: bytes, now: datetime) -> CsvReport:
    """Check a whole CSV and, only if no row is refused, store every sample in it.

    Looks up all outfalls in one query and all possibly duplicate stored samples in
    another; the rows are written together (flushed, not committed).
    """
    report = parse_csv(data, now)
    if report.file_errors:
        return report
    codes = {r.code for r in report.rows if r.code}
    known: dict[str, Outfall] = {}
    editable: set[str] = set()
    if codes:
        rows = db.session.execute(
            select(Outfall, editable_outfalls(actor)).where(Outfall.code.in_(sorted(codes)))
        ).all()
        for outfall, may in rows:
            known[outfall.code] = outfall
            if may:
                editable.add(outfall.code)
    stored = _stored_keys(report, known)
    seen: dict[tuple, int] = {}
    for row in report.rows:
        if row.code and row.code not in known:
            row.errors.append(str(_l("No outfall has the code %(code)s.", code=row.code)))
        elif row.code and row.code not in editable:
            row.errors.append(
                str(_l("Outfall %(code)s is not one your department may edit.", code=row.code))
            )
        elif row.data is not None:
            row.outfall = known[row.code]
            key = (row.outfall.id, row.data.sampled_at, row.data.sampler_kind)
            if key in seen:
                row.errors.append(
                    str(_l("The same sample as line %(line)s of this file.", line=seen[key]))
                )
            elif key in stored:
                row.errors.append(str(DUPLICATE))
            seen.setdefault(key, row.line)
    if report.refused or not report.rows:
        return report
    records = [_new_record(row.outfall, row.data) for row in report.rows]
    db.session.add_all(records)
    db.session.flush()
    for record in records:
        _record_history(record, "monitoring_added", {}, "", actor, now, "import")
    report.applied, report.stored = True, len(records)
    return report


def _stored_keys(report: CsvReport, known: dict[str, Outfall]) -> set[tuple]:
    """(outfall id, time, sampler) of standing samples the file could duplicate."""
    wanted = [
        (known[r.code].id, r.data.sampled_at)
        for r in report.rows
        if r.data is not None and r.code in known
    ]
    if not wanted:
        return set()
    ids = sorted({w[0] for w in wanted})
    first = min(w[1] for w in wanted) - timedelta(seconds=1)
    last = max(w[1] for w in wanted) + timedelta(seconds=1)
    rows = db.session.execute(
        select(
            MonitoringRecord.outfall_id, MonitoringRecord.sampled_at, MonitoringRecord.sampler_kind
        ).where(
            MonitoringRecord.outfall_id.in_(ids),
            MonitoringRecord.sampled_at.between(first, last),
            MonitoringRecord.superseded.is_(False),
        )
    )
    return {(oid, at, kind) for oid, at, kind in rows}


def template_csv() -> str:
    """A CSV header (with units) and one example row, for staff to fill in."""
    units = {name: unit for name, (unit, _low, _high) in MEASURES.items()}
    header = [f"{key} ({units[key]})" if units.get(key) else key for key in COLUMNS]
    example = [
        "HBJ0104450702GY0001",
        "2026-10-01 09:30",
        "supervisory",
        "钦州市生态环境监测站",
        "广西壮族自治区钦州生态环境监测中心",
        "dry",
        "7.2",
        "38",
        "2.1",
        "9.5",
        "0.31",
        "0.05",
        "24.5",
    ]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerow(example)
    return out.getvalue()


def sample_input(values: dict[str, Any]) -> SampleInput:
    """A SampleInput from form data (naive China time, code strings for the enums)."""
    return SampleInput(
        sampled_at=values["sampled_at"].replace(tzinfo=LOCAL_TZ),
        sampler_kind=SamplerKind(values["sampler_kind"]),
        organisation=values.get("organisation") or "",
        lab=values.get("lab") or "",
        weather=Weather(values["weather"]) if values.get("weather") else None,
        **{name: values.get(name) for name in MEASURES},
    )
