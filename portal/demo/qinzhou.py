"""The Qinzhou (钦州市) demo region: reference rows and a few hundred invented outfalls.

Regions, water bodies and departments carry real names; every code of a water body or
outfall, every company, farm, plant, permit, decision and measurement is invented and
shown under the 演示数据 (demo data) notice. The data are deterministic for a given
`today`: one seeded random generator drives everything.
"""

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from ..agencies.models import Department
from ..core.clock import LOCAL_TZ
from ..core.codes import normalise_code
from ..core.storage import FileStore
from ..geo.models import Region, RegionLevel, WaterBody, WaterBodyKind
from ..outfalls.models import (
    REMEDIATION_PATH,
    STORMWATER_L2,
    Approval,
    ApprovalDocument,
    ApprovalKind,
    CategoryL1,
    CategoryL2,
    ChannelKind,
    Entity,
    MonitoringRecord,
    Outfall,
    OutfallResponsibility,
    OutfallStatus,
    RemediationCategory,
    RemediationEvent,
    RemediationMilestone,
    RemediationPlan,
    RemediationStatus,
    SamplerKind,
    WaterKind,
    Weather,
)
from ..outfalls.standards import applicable_standard, exceedances
from . import catalog as cat
from . import geography as geo
from .documents import DocumentText, render_documents
from .remediation import load_remediation
from .rules import load_demo_rules

QINZHOU_CODE = "450700"
# Three outfalls tests and documentation can rely on.
SAMPLE_CODE = "HBJ0104450702GY0001"  # in service, approved, plan, monitoring with exceedance
SAMPLE_MERGED_CODE = "HBJ0104450702QT0001"  # merged into a municipal plant outfall
SAMPLE_BANNED_CODE = "HBJ0104450703GY0001"  # banned (inside a source protection zone)

SEED = 2026
DOCUMENT_COUNT = 10

REGIONS = (
    ("450000", "广西壮族自治区", "Guangxi Zhuang Autonomous Region", RegionLevel.province, None),
    ("450700", "钦州市", "Qinzhou", RegionLevel.city, "450000"),
    ("450702", "钦南区", "Qinnan District", RegionLevel.county, "450700"),
    ("450703", "钦北区", "Qinbei District", RegionLevel.county, "450700"),
    ("450721", "灵山县", "Lingshan County", RegionLevel.county, "450700"),
    ("450722", "浦北县", "Pubei County", RegionLevel.county, "450700"),
)

# slug, name, English name, coordinator
DEPARTMENTS = (
    ("eco-env", "钦州市生态环境局", "Qinzhou Ecology and Environment Bureau", True),
    (
        "housing",
        "钦州市住房和城乡建设局",
        "Qinzhou Housing and Urban-Rural Development Bureau",
        False,
    ),
    ("water", "钦州市水利局", "Qinzhou Water Resources Bureau", False),
    ("agriculture", "钦州市农业农村局", "Qinzhou Agriculture and Rural Affairs Bureau", False),
    (
        "industry",
        "钦州市工业和信息化局",
        "Qinzhou Industry and Information Technology Bureau",
        False,
    ),
    ("transport", "钦州市交通运输局", "Qinzhou Transport Bureau", False),
    (
        "urban-mgmt",
        "钦州市城管执法局",
        "Qinzhou Urban Management and Law Enforcement Bureau",
        False,
    ),
    ("ocean", "钦州市海洋局", "Qinzhou Ocean Bureau", False),
)
DEPT_PHONES = {
    "eco-env": "0777-2810123",
    "housing": "0777-2820223",
    "water": "0777-2830323",
    "agriculture": "0777-2840423",
    "industry": "0777-2850523",
    "transport": "0777-2860623",
    "urban-mgmt": "0777-2870723",
    "ocean": "0777-2880823",
}
AUTHORITY = "钦州市生态环境局"
OCEAN_AUTHORITY = "钦州市海洋局"
PORT_ZONE_COMMITTEE = "中国（广西）自由贸易试验区钦州港片区管理委员会"
COUNTY_GOVERNMENTS = {
    geo.QINNAN: "钦州市钦南区人民政府",
    geo.QINBEI: "钦州市钦北区人民政府",
    geo.LINGSHAN: "灵山县人民政府",
    geo.PUBEI: "浦北县人民政府",
}
# How entity names begin in each county.
ENTITY_PREFIX = {
    geo.QINNAN: "钦州市",
    geo.QINBEI: "钦州市",
    geo.LINGSHAN: "灵山县",
    geo.PUBEI: "浦北县",
}
GOV_PREFIX = {
    geo.QINNAN: "钦州市钦南区",
    geo.QINBEI: "钦州市钦北区",
    geo.LINGSHAN: "灵山县",
    geo.PUBEI: "浦北县",
}
URBAN_PLANTS = {
    "长田街道": "钦州市城北污水处理厂",
    "子材街道": "钦州市城西污水处理厂",
    "水东街道": "钦州市河东污水处理厂",
    "南珠街道": "钦州市城南污水处理厂",
    "灵城街道": "灵山县城区污水处理厂",
    "小江街道": "浦北县城区污水处理厂",
    "江城街道": "浦北县城南污水处理厂",
    "尖山街道": "钦州市沙井污水处理厂",
    "钦州港片区": "钦州港区污水处理厂",
}
PARK_PLANTS = {
    geo.LINGSHAN: "灵山县工业集中区污水处理厂",
    geo.PUBEI: "浦北县工业集中区污水处理厂",
    geo.QINBEI: "钦州市钦北工业园区污水处理厂",
    geo.QINNAN: "钦州市沙埠工业区污水处理厂",
}
SEA_PARK_PLANTS = ("钦州港石化产业园污水处理厂", "钦州港综合物流加工区污水处理厂")

L1, L2 = CategoryL1, CategoryL2
U, T, R, IN, P, C, A = (
    geo.URBAN,
    geo.TOWN,
    geo.RURAL,
    geo.INDUSTRIAL,
    geo.PORT,
    geo.COAST,
    geo.AQUA,
)
# (L1, L2, river count, sea count, river reach tags, sea reach tags)
TYPE_PLAN = (
    (L1.GY, L2.gy_enterprise, 24, 10, {IN}, {IN}),
    (L1.GY, L2.gy_park_wwtp, 3, 2, {IN}, {IN}),
    (L1.GY, L2.gy_enterprise_storm, 8, 4, {IN}, {IN}),
    (L1.GY, L2.gy_park_storm, 3, 2, {IN}, {IN}),
    (L1.GY, None, 2, 0, {IN, T}, set()),
    (L1.SH, L2.sh_wwtp, 16, 3, {U, T}, {U, P, T}),
    (L1.NY, L2.ny_livestock, 24, 0, {R}, set()),
    (L1.NY, L2.ny_aquaculture, 8, 18, {R}, {A}),
    (L1.NY, None, 2, 0, {R}, set()),
    (L1.YH, L2.yh_storm, 50, 10, {U, T}, {U, T}),
    (L1.YH, None, 2, 0, {U}, set()),
    (L1.QT, L2.qt_irrigation, 10, 0, {R}, set()),
    (L1.QT, L2.qt_port, 3, 14, {U, IN}, {P}),
    (L1.QT, L2.qt_small_livestock, 16, 0, {R}, set()),
    (L1.QT, L2.qt_small_aquaculture, 8, 12, {R}, {A}),
    (L1.QT, L2.qt_urban_scattered, 18, 3, {U, T}, {U}),
    (L1.QT, L2.qt_rural_facility, 18, 3, {T, R}, {T}),
    (L1.QT, L2.qt_rural_scattered, 22, 6, {R}, {R, A}),
    (L1.QT, L2.qt_other, 5, 3, {U, T, R}, {T, P}),
    (L1.QT, None, 4, 2, {R, T}, {R, C}),
)

# Typical medians (mg/L) of what comes out of each kind of outfall, and flow in m³/s.
_PROFILES = {
    "gy": (35, 2.5, 9, 0.25, (0.004, 0.05)),
    "park": (25, 1.5, 8, 0.22, (0.05, 0.3)),
    "storm": (45, 2.0, 5, 0.3, (0.1, 1.5)),
    "sh_a": (20, 1.0, 8, 0.2, None),
    "sh_b": (28, 2.5, 10, 0.45, None),
    "livestock": (95, 14, 35, 0.7, (0.001, 0.01)),
    "aqua": (25, 1.0, 3.5, 0.3, (0.01, 0.1)),
    "irrigation": (15, 0.6, 2.0, 0.15, (0.2, 2.0)),
    "port": (40, 3.0, 8, 0.4, (0.002, 0.02)),
    "small_livestock": (100, 15, 30, 0.8, (0.0005, 0.004)),
    "urban_scattered": (110, 15, 22, 1.1, (0.001, 0.01)),
    "rural_facility": (40, 5, 12, 0.5, (0.002, 0.02)),
    "rural_scattered": (90, 12, 18, 0.9, (0.0005, 0.005)),
    "other": (50, 4, 10, 0.5, (0.001, 0.01)),
}
_DRY_SEWAGE = (150, 18, 25, 2.0, (0.002, 0.03))

_FULL_PATH = REMEDIATION_PATH
_RETAIN_PATH = _FULL_PATH[:4] + (RemediationStatus.retained,)
_EARLY = _FULL_PATH[:4]
_IN_PROGRESS = _FULL_PATH[:8]
_TARGETS = (
    date(2023, 12, 31),
    date(2024, 6, 30),
    date(2024, 12, 31),
    date(2025, 6, 30),
    date(2025, 12, 31),
)
_DEMO_START = date(2022, 9, 1)
_PLACE_SUFFIXES = ("村", "路", "街", "大道")


@dataclass
class _Item:
    """An outfall being built, with what the later passes need to know about it."""

    outfall: Outfall
    reach: geo.Reach
    l1: CategoryL1
    l2: CategoryL2 | None
    landmark: str
    primary: Entity | None = None
    volume_m3: float | None = None
    stormwater: bool = False
    dry_anomaly: bool = False
    bad: float = 1.0
    forced: dict = field(default_factory=dict)
    plan: RemediationPlan | None = None
    approvals: list[Approval] = field(default_factory=list)

    @property
    def sea(self) -> bool:
        return self.reach.is_sea


def load_demo(session, store: FileStore | None, today: date) -> bool:
    """Load the Qinzhou demo region once; False (and nothing added) if it is already there."""
    if session.scalar(select(Region.id).where(Region.code == QINZHOU_CODE)) is not None:
        return False
    _Builder(session, store, today).build()
    load_demo_rules(session)
    load_remediation(session, store, today)
    return True


def _month_end(d: date) -> date:
    nxt = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def _years_later(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def _short(name: str) -> str:
    """An entity's name without place prefix and legal-form suffix, for outfall names."""
    for prefix in ("钦州市钦南区", "钦州市钦北区", "钦州市", "钦州港", "灵山县", "浦北县", "广西"):
        if name.startswith(prefix) and len(name) > len(prefix) + 2:
            name = name[len(prefix) :]
            break
    for suffix in ("有限责任公司", "有限公司", "污水处理厂", "污水处理站"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


class _Builder:
    """Builds the whole demo region in memory, then adds it to the session in one go."""

    def __init__(self, session, store: FileStore | None, today: date):
        self.session = session
        self.store = store
        self.today = today
        self.rng = random.Random(SEED)
        self.objects: list = []
        self.items: list[_Item] = []
        self.used_credit = set(
            session.scalars(select(Entity.credit_code).where(Entity.credit_code.is_not(None)))
        )
        self.entities: dict[str, Entity] = {}
        self.pools: dict[tuple, list[Entity]] = {}  # reusable entities by (kind, reach)
        self.brands: list[str] = []
        self.serials: dict[tuple[str, str, str], int] = {}
        self.decision_numbers: dict[tuple[str, int], int] = {}
        self.villages: dict[int, list[str]] = {}

    # ------------------------------------------------------------------ reference data

    def build(self) -> None:
        self._reference()
        self._specials()
        self._outfalls()
        self._statuses()
        self._names()
        self._approvals()
        self._plans()
        self._obey_plans()
        self._signboards()
        self._monitoring()
        self._documents()
        self.session.add_all(self.objects)
        self.session.flush()

    def _reference(self) -> None:
        existing = {
            r.code: r
            for r in self.session.scalars(
                select(Region).where(Region.code.in_([r[0] for r in REGIONS]))
            )
        }
        self.regions: dict[str, Region] = {}
        for code, name, name_en, level, parent in REGIONS:
            region = existing.get(code)
            if region is None:
                region = Region(code=code, name=name, name_en=name_en, level=level)
                region.parent = self.regions.get(parent)
                self.objects.append(region)
            self.regions[code] = region

        codes = [w.code for w in geo.WATERS]
        existing_w = {
            w.code: w
            for w in self.session.scalars(select(WaterBody).where(WaterBody.code.in_(codes)))
        }
        self.waters: dict[str, WaterBody] = {}
        self.water_specs = {w.key: w for w in geo.WATERS}
        for spec in geo.WATERS:
            body = existing_w.get(spec.code)
            if body is None:
                body = WaterBody(
                    code=spec.code,
                    name=spec.name,
                    name_en=spec.name_en,
                    kind=WaterBodyKind(spec.kind),
                    target_class=spec.target_class,
                )
                body.parent = self.waters.get(spec.parent) if spec.parent else None
                self.objects.append(body)
            self.waters[spec.key] = body

        slugs = [d[0] for d in DEPARTMENTS]
        existing_d = {
            d.slug: d
            for d in self.session.scalars(select(Department).where(Department.slug.in_(slugs)))
        }
        self.depts: dict[str, Department] = {}
        for slug, name, name_en, coordinator in DEPARTMENTS:
            dept = existing_d.get(slug)
            if dept is None:
                dept = Department(
                    slug=slug,
                    name=name,
                    name_en=name_en,
                    region=self.regions[QINZHOU_CODE],
                    is_coordinator=coordinator,
                    phone=DEPT_PHONES[slug],
                    email=f"{slug}@qinzhou.demo.invalid",
                )
                self.objects.append(dept)
            self.depts[slug] = dept

    # ------------------------------------------------------------------ entities

    def _entity(
        self,
        name: str,
        *,
        kind: str | None = None,
        region: str = "",
        industry: str = "",
        permit: str | None = None,
    ) -> Entity:
        """Get or create an entity by name; kind is the credit code's first two characters."""
        if name in self.entities:
            return self.entities[name]
        code = cat.credit_code(self.rng, kind, region, self.used_credit) if kind else None
        permit_no = f"{code}001{permit}" if code and permit else None
        entity = Entity(
            name=name,
            credit_code=code,
            permit_no=permit_no,
            industry=industry,
            phone=cat.phone(self.rng),
        )
        self.entities[name] = entity
        self.objects.append(entity)
        return entity

    def _brand(self) -> str:
        if not self.brands:
            self.brands = list(cat.BRANDS)
            self.rng.shuffle(self.brands)
        return self.brands.pop()

    def _management(self, reach: geo.Reach) -> Entity:
        if reach.town == "钦州港片区":
            return self._entity(PORT_ZONE_COMMITTEE, industry="公共管理")
        if reach.town.endswith("街道"):
            name = f"{GOV_PREFIX[reach.county]}{reach.town}办事处"
        else:
            name = f"{GOV_PREFIX[reach.county]}{reach.town}人民政府"
        return self._entity(name, industry="公共管理")

    def _manager(self, reach: geo.Reach, l2: CategoryL2 | None) -> Entity:
        """Plants serving a whole county are managed by the county government, others locally."""
        county_wide = l2 == L2.gy_park_wwtp or (l2 == L2.sh_wwtp and reach.town in URBAN_PLANTS)
        if county_wide and reach.town != "钦州港片区" or self.rng.random() < 0.05:
            return self._entity(COUNTY_GOVERNMENTS[reach.county], industry="公共管理")
        return self._management(reach)

    def _enterprise(self, reach: geo.Reach) -> Entity:
        rng = self.rng
        if reach.is_sea:
            industry, product = rng.choice(cat.SEA_INDUSTRIES)
            prefix = rng.choice(("钦州港", "广西钦州港", "钦州"))
        else:
            industry, product = rng.choice(cat.RIVER_INDUSTRIES)
            prefix = ENTITY_PREFIX[reach.county]
        region = (
            QINZHOU_CODE
            if prefix.startswith(("钦州", "广西")) and rng.random() < 0.5
            else reach.county
        )
        name = f"{prefix}{self._brand()}{product}有限公司"
        entity = self._entity(name, kind="91", region=region, industry=industry, permit="P")
        self.pools.setdefault(("enterprise", id(reach)), []).append(entity)
        return entity

    def _pooled(self, kind: str, reach: geo.Reach, p_reuse: float, make) -> Entity:
        """An entity already on this reach (with probability p_reuse), else a new one."""
        pool = self.pools.setdefault((kind, id(reach)), [])
        if pool and self.rng.random() < p_reuse:
            return self.rng.choice(pool)
        entity = make()
        if entity not in pool:
            pool.append(entity)
        return entity

    def _village(self, reach: geo.Reach) -> str:
        key = id(reach)
        if key not in self.villages:
            self.villages[key] = [s + "村" for s in self.rng.sample(cat.VILLAGE_STEMS, 5)]
        return self.rng.choice(self.villages[key])

    def _farm(self, reach: geo.Reach, l2: CategoryL2 | None) -> Entity:
        rng = self.rng
        prefix = ENTITY_PREFIX[reach.county]
        if l2 in (L2.ny_aquaculture, L2.qt_small_aquaculture):
            species = rng.choice(
                ("对虾", "大蚝", "青蟹", "金鲳鱼") if reach.is_sea else ("淡水鱼", "罗非鱼", "对虾")
            )
            industry = "海水养殖" if reach.is_sea else "内陆养殖"
        else:
            species = rng.choice(("生猪", "生猪", "家禽", "奶水牛"))
            industry = "牲畜饲养" if species != "家禽" else "家禽饲养"
        small = l2 in (L2.qt_small_aquaculture, L2.qt_small_livestock)
        forms = (
            ("养殖场", "养殖专业合作社") if small else ("养殖有限公司", "养殖场", "养殖专业合作社")
        )
        form = rng.choice(forms)
        kind = {"养殖有限公司": "91", "养殖场": "92", "养殖专业合作社": "93"}[form]
        # Large farms hold a (simplified) discharge permit; small ones at most a registration.
        permit = "U" if not small else ("W" if form != "养殖场" else None)
        name = f"{prefix}{self._brand()}{species}{form}"
        return self._entity(name, kind=kind, region=reach.county, industry=industry, permit=permit)

    def _responsible(self, reach: geo.Reach, l1: CategoryL1, l2: CategoryL2 | None):
        """(primary entity or None, landmark used in the name)."""
        rng = self.rng
        village = self._village(reach)
        if l2 is None:
            return None, village
        if l2 in (L2.gy_enterprise, L2.gy_enterprise_storm):
            p_reuse = 0.25 if l2 == L2.gy_enterprise else 0.85
            entity = self._pooled("enterprise", reach, p_reuse, lambda: self._enterprise(reach))
            return entity, _short(entity.name)
        if l2 in (L2.gy_park_wwtp, L2.gy_park_storm):
            if reach.is_sea:
                name = SEA_PARK_PLANTS[0 if reach.points[0][0] > 21.69 else 1]
            else:
                name = PARK_PLANTS[reach.county]
            entity = self._entity(
                name, kind="91", region=reach.county, industry="水的生产和供应业", permit="P"
            )
            return entity, _short(name)
        if l2 == L2.sh_wwtp:
            name = URBAN_PLANTS.get(reach.town)
            if name is None:
                suffix = "污水处理厂" if rng.random() < 0.6 else "污水处理站"
                name = f"{GOV_PREFIX[reach.county]}{reach.town}{suffix}"
            entity = self._entity(
                name,
                kind="12" if "站" in name else "91",
                region=reach.county,
                industry="水的生产和供应业",
                permit="P",
            )
            return entity, _short(name)
        if l2 in (L2.ny_livestock, L2.ny_aquaculture):
            p_reuse = 0.35 if l2 == L2.ny_livestock else 0.5
            entity = self._pooled(l2.value, reach, p_reuse, lambda: self._farm(reach, l2))
            return entity, _short(entity.name)
        if l2 in (L2.qt_small_livestock, L2.qt_small_aquaculture):
            if rng.random() < 0.4:
                return None, village
            return self._pooled(l2.value, reach, 0.5, lambda: self._farm(reach, l2)), village
        if l2 == L2.yh_storm:
            roll = rng.random()
            landmark = rng.choice(reach.roads) if reach.roads else village
            if roll < 0.4:
                return None, landmark
            if roll < 0.75 and geo.URBAN in reach.tags:
                name = f"{ENTITY_PREFIX[reach.county]}市政排水管理所"
                return self._entity(
                    name, kind="12", region=reach.county, industry="公共设施管理业"
                ), landmark
            return self._management(reach), landmark
        if l2 == L2.qt_irrigation:
            name = f"{GOV_PREFIX[reach.county]}{reach.town}灌区管理所"
            return self._entity(
                name, kind="12", region=reach.county, industry="水利管理业"
            ), village
        if l2 == L2.qt_port:

            def port() -> Entity:
                if reach.is_sea:
                    name = f"钦州港{self._brand()}{rng.choice(('码头', '港务', '物流'))}有限公司"
                else:
                    name = f"{ENTITY_PREFIX[reach.county]}{self._brand()}砂石码头有限公司"
                return self._entity(
                    name, kind="91", region=reach.county, industry="水上运输业", permit="W"
                )

            entity = self._pooled("port", reach, 0.5, port)
            return entity, _short(entity.name)
        if l2 == L2.qt_urban_scattered:
            landmark = rng.choice(reach.roads) if reach.roads else village
            if rng.random() < 0.45:
                return None, landmark
            if rng.random() < 0.5:
                name = f"{ENTITY_PREFIX[reach.county]}{self._brand()}物业服务有限公司"
                return self._entity(
                    name, kind="91", region=reach.county, industry="房地产业"
                ), landmark
            name = f"{ENTITY_PREFIX[reach.county]}{reach.town}{self._brand()}餐饮店"
            return self._entity(name, kind="92", region=reach.county, industry="餐饮业"), landmark
        if l2 == L2.qt_rural_facility:
            if rng.random() < 0.5:
                return self._management(reach), village
            name = rng.choice(
                (
                    "广西绿源环保科技有限公司",
                    "广西清水湾环保科技有限公司",
                    "钦州市碧溪环境工程有限公司",
                )
            )
            return self._entity(
                name, kind="91", region=QINZHOU_CODE, industry="生态保护和环境治理业"
            ), village
        if l2 == L2.qt_rural_scattered:
            if rng.random() < 0.4:
                return None, village
            name = f"{GOV_PREFIX[reach.county]}{reach.town}{village}民委员会"
            return self._entity(name, industry="群众团体、社会团体和其他成员组织"), village
        # qt_other: hospitals, car washes, filling stations, schools.
        what, kind, industry = rng.choice(
            (
                ("卫生院", "12", "卫生"),
                ("汽车美容服务部", "92", "机动车、电子产品和日用产品修理业"),
                ("加油站", "91", "零售业"),
                ("中心小学", "12", "教育"),
            )
        )
        name = (
            f"{GOV_PREFIX[reach.county]}{reach.town}{what}"
            if kind == "12"
            else (f"{ENTITY_PREFIX[reach.county]}{self._brand()}{what}")
        )
        return self._entity(name, kind=kind, region=reach.county, industry=industry), _short(name)

    # ------------------------------------------------------------------ outfalls

    def _reach_for(self, sea: bool, tags: set[str], l1: CategoryL1) -> geo.Reach:
        candidates = [r for r in geo.REACHES if r.is_sea == sea and r.tags & tags]
        weights = [
            r.weight * (3.0 if l1 is L1.YH and geo.URBAN in r.tags else 1.0) for r in candidates
        ]
        return self.rng.choices(candidates, weights)[0]

    def _serial(self, water: str, county: str, l1: CategoryL1) -> str:
        key = (water, county, l1.value)
        self.serials[key] = self.serials.get(key, 0) + 1
        return f"{self.serials[key]:04d}"

    def _new_outfall(
        self, reach: geo.Reach, l1: CategoryL1, l2: CategoryL2 | None, **forced
    ) -> _Item:
        rng = self.rng
        spec = self.water_specs[reach.water]
        place = geo.place_on(reach, rng)
        primary, landmark = self._responsible(reach, l1, l2)
        serial = self._serial(spec.code, reach.county, l1)
        code = normalise_code(f"{spec.code}{reach.county}{l1.value}{serial}")
        where = landmark if landmark.endswith(_PLACE_SUFFIXES) else self._village(reach)
        address = f"{geo.COUNTY_NAMES[reach.county]}{reach.town}{where}，{spec.name}{place.bank}"
        stormwater = l1 is L1.YH or l2 in STORMWATER_L2
        outfall = Outfall(
            code=code,
            seg_water=spec.code,
            seg_region=reach.county,
            seg_type=l1.value,
            seg_serial=serial,
            name="",
            category_l1=l1,
            category_l2=l2,
            water_kind=WaterKind.sea if reach.is_sea else WaterKind.river,
            lat=place.lat,
            lon=place.lon,
            address=address,
            region=self.regions[reach.county],
            water_body=self.waters[reach.water],
            management_entity=self._manager(reach, l2),
            supervising_department=self._department(reach, l1, l2),
            channel_kind=self._channel(l1, l2),
            status=OutfallStatus.in_service,
            is_demo=True,
        )
        if rng.random() < 0.2:
            abbr = {"450702": "QN", "450703": "QB", "450721": "LS", "450722": "PB"}[reach.county]
            outfall.local_code = (
                f"QZ{abbr}{rng.choice((2019, 2020, 2021))}{rng.randint(1, 999):04d}"
            )
        item = _Item(
            outfall, reach, l1, l2, landmark, primary, stormwater=stormwater, forced=forced
        )
        if primary is not None:
            self.objects.append(
                OutfallResponsibility(outfall=outfall, entity=primary, is_primary=True)
            )
            if l2 in (L2.gy_enterprise, L2.qt_port, L2.ny_aquaculture) and rng.random() < 0.12:
                other = (
                    self._enterprise(reach)
                    if l2 == L2.gy_enterprise
                    else self._responsible(reach, l1, l2)[0]
                )
                if other is not None and other is not primary:
                    self.objects.append(
                        OutfallResponsibility(outfall=outfall, entity=other, is_primary=False)
                    )
        item.volume_m3 = self._volume(item)
        outfall.standard_code = self._standard(item)
        item.dry_anomaly = stormwater and rng.random() < 0.35
        # A few outfalls discharge worse than usual; plants only marginally so.
        plant = l1 is L1.SH or l2 == L2.gy_park_wwtp
        worse = rng.uniform(1.3, 1.6) if plant else rng.uniform(1.5, 2.3)
        item.bad = worse if rng.random() < (0.08 if plant else 0.12) else 1.0
        self.items.append(item)
        self.objects.append(outfall)
        return item

    def _department(self, reach: geo.Reach, l1: CategoryL1, l2: CategoryL2 | None) -> Department:
        rng, d = self.rng, self.depts
        sea = reach.is_sea
        if l2 == L2.qt_port:
            return d["transport"]
        if l1 is L1.GY:
            if sea:
                return d["eco-env"] if rng.random() < 0.7 else d["ocean"]
            return d["industry"] if rng.random() < 0.6 else d["eco-env"]
        if l1 is L1.SH:
            return d["housing"]
        if l1 is L1.YH:
            return d["urban-mgmt"] if rng.random() < 0.6 else d["housing"]
        if l2 in (L2.ny_aquaculture, L2.qt_small_aquaculture) and sea:
            return d["ocean"]
        if l1 is L1.NY or l2 in (L2.qt_small_livestock, L2.qt_small_aquaculture):
            return d["agriculture"]
        if l2 == L2.qt_irrigation:
            return d["water"] if rng.random() < 0.7 else d["agriculture"]
        if l2 == L2.qt_urban_scattered:
            return d["urban-mgmt"] if rng.random() < 0.5 else d["housing"]
        if l2 == L2.qt_rural_facility:
            return d["eco-env"] if rng.random() < 0.6 else d["housing"]
        if l2 == L2.qt_rural_scattered:
            return d["eco-env"] if rng.random() < 0.6 else d["agriculture"]
        if sea:
            return d["ocean"] if rng.random() < 0.5 else d["eco-env"]
        return d["eco-env"]

    def _channel(self, l1: CategoryL1, l2: CategoryL2 | None) -> ChannelKind | None:
        c = ChannelKind
        options = {
            L2.gy_enterprise: (c.pipe, c.pipe, c.pipe, c.open_channel),
            L2.gy_park_wwtp: (c.pipe, c.pipe, c.pump_station),
            L2.sh_wwtp: (c.pipe, c.box_culvert, c.pump_station),
            L2.yh_storm: (c.box_culvert, c.pipe, c.sluice, c.open_channel),
            L2.qt_irrigation: (c.sluice, c.open_channel),
            L2.qt_port: (c.pipe,),
            L2.qt_rural_scattered: (c.open_channel, c.pipe, c.other),
            L2.ny_aquaculture: (c.open_channel, c.pipe, c.sluice),
            L2.qt_small_aquaculture: (c.open_channel, c.pipe, c.sluice),
        }.get(l2)
        if options is None:
            if l2 in STORMWATER_L2:
                options = (c.pipe, c.box_culvert, c.open_channel)
            elif l2 is None:
                options = (c.pipe, c.open_channel, c.other, None)
            else:
                options = (c.pipe, c.open_channel)
        return self.rng.choice(options)

    def _volume(self, item: _Item) -> float | None:
        rng, l2 = self.rng, item.l2
        if l2 == L2.sh_wwtp:
            if item.reach.town in URBAN_PLANTS:
                return float(rng.choice((20000, 30000, 40000, 50000, 60000, 80000, 100000)))
            return float(rng.choice((500, 800, 1000, 1500, 2000, 3000)))
        if l2 == L2.gy_park_wwtp:
            return float(rng.choice((5000, 8000, 10000, 15000, 20000, 30000)))
        if item.forced.get("sample"):
            return 800.0
        if l2 == L2.gy_enterprise or (l2 is None and item.l1 is L1.GY):
            return float(rng.choice((50, 80, 120, 200, 300, 500, 800, 1200, 2000, 3500, 5000)))
        return None

    def _standard(self, item: _Item) -> str | None:
        rng, l2 = self.rng, item.l2
        if l2 == L2.sh_wwtp:
            return (
                "GB18918-1A"
                if item.reach.town in URBAN_PLANTS or rng.random() < 0.3
                else "GB18918-1B"
            )
        if l2 == L2.gy_park_wwtp:
            return "GB18918-1A"
        if l2 == L2.gy_enterprise:
            return "GB8978-1" if rng.random() < 0.5 else None
        if l2 == L2.qt_rural_facility:
            return "GB18918-1B" if rng.random() < 0.4 else None
        return None

    def _reach_by(self, water: str, town: str) -> geo.Reach:
        return next(r for r in geo.REACHES if r.water == water and r.town == town)

    def _specials(self) -> None:
        """The sample outfalls; made first so that they get serial 0001."""
        self.sample = self._new_outfall(
            self._reach_by("qinjiang", "沙埠镇"), L1.GY, L2.gy_enterprise, sample=True
        )
        self.sample.bad = 1.0
        self.sample_target = self._new_outfall(
            self._reach_by("qinjiang", "南珠街道"), L1.SH, L2.sh_wwtp
        )
        self.sample_merged = self._new_outfall(
            self._reach_by("qinjiang", "南珠街道"), L1.QT, L2.qt_urban_scattered
        )
        self.sample_banned = self._new_outfall(
            self._reach_by("qinjiang", "长田街道"), L1.GY, L2.gy_enterprise
        )
        codes = (
            self.sample.outfall.code,
            self.sample_merged.outfall.code,
            self.sample_banned.outfall.code,
        )
        assert codes == (SAMPLE_CODE, SAMPLE_MERGED_CODE, SAMPLE_BANNED_CODE), codes

    def _outfalls(self) -> None:
        specials = {
            L2.gy_enterprise: 2,
            L2.sh_wwtp: 1,
            L2.qt_urban_scattered: 1,
        }
        for l1, l2, n_river, n_sea, river_tags, sea_tags in TYPE_PLAN:
            n_river -= specials.get(l2, 0)
            for _ in range(n_river):
                self._new_outfall(self._reach_for(False, river_tags, l1), l1, l2)
            for _ in range(n_sea):
                self._new_outfall(self._reach_for(True, sea_tags, l1), l1, l2)

    # ------------------------------------------------------------------ statuses

    def _statuses(self) -> None:
        """Pick merged, banned and closed outfalls and whom the merged ones joined."""
        rng = self.rng
        specials = {
            id(self.sample),
            id(self.sample_target),
            id(self.sample_merged),
            id(self.sample_banned),
        }
        pool = [it for it in self.items if not it.stormwater and id(it) not in specials]
        mergeable = [
            it for it in pool if it.l2 not in (L2.sh_wwtp, L2.gy_park_wwtp, L2.qt_irrigation)
        ]
        rng.shuffle(mergeable)
        merged, rest = mergeable[:16], mergeable[16:]
        self._merge(self.sample_merged, self.sample_target)
        for it in merged:
            it.outfall.status = OutfallStatus.merged
        targets = {id(self.sample_target)}
        for it in merged:
            target = self._merge_target(it)
            if target is None:
                it.outfall.status = OutfallStatus.in_service
            else:
                self._merge(it, target)
                targets.add(id(target))
        # Outfalls others were merged into stay in service.
        rest = [it for it in rest if id(it) not in targets]
        bannable = (
            L2.gy_enterprise,
            L2.qt_small_livestock,
            L2.qt_small_aquaculture,
            L2.qt_rural_scattered,
            L2.ny_livestock,
            L2.ny_aquaculture,
            L2.qt_other,
            None,
        )
        banned = [it for it in rest if it.l2 in bannable][:16]
        closable = (L2.gy_enterprise, L2.qt_other, L2.ny_livestock)
        closed = [it for it in rest if it not in banned and it.l2 in closable][:5]
        for it in [self.sample_banned, *banned]:
            it.outfall.status = OutfallStatus.banned
        for it in closed:
            it.outfall.status = OutfallStatus.closed

    def _merge(self, item: _Item, target: _Item) -> None:
        item.outfall.status = OutfallStatus.merged
        item.outfall.merged_into = target.outfall
        item.forced["merge_target"] = target

    def _merge_target(self, item: _Item) -> _Item | None:
        """The nearest in-service, non-storm outfall of the same water, preferring plants."""
        preferred = (L2.sh_wwtp, L2.gy_park_wwtp, L2.qt_rural_facility)
        others = [
            it
            for it in self.items
            if it is not item
            and it.reach.water == item.reach.water
            and not it.stormwater
            and it.outfall.status is OutfallStatus.in_service
        ]
        if not others:
            return None

        def distance(it: _Item) -> float:
            dlat = it.outfall.lat - item.outfall.lat
            dlon = (it.outfall.lon - item.outfall.lon) * math.cos(math.radians(item.outfall.lat))
            penalty = 1.0 if it.l2 in preferred else 3.0
            return math.hypot(dlat, dlon) * penalty

        return min(others, key=distance)

    # ------------------------------------------------------------------ names

    def _names(self) -> None:
        groups: dict[str, list[_Item]] = {}
        for it in self.items:
            county_place = geo.COUNTY_PLACE[it.reach.county]
            if it.landmark.endswith(_PLACE_SUFFIXES):
                base = f"{it.reach.place}{it.landmark}"
            else:
                base = f"{county_place}{it.landmark}"
            groups.setdefault(base + "|" + cat.type_name(it.l1, it.l2), []).append(it)
        for key, members in groups.items():
            base, type_name = key.split("|")
            for n, it in enumerate(members, 1):
                number = f"{n}#" if len(members) > 1 else ""
                it.outfall.name = f"{base}{number}{type_name}"

    # ------------------------------------------------------------------ approvals

    def _decision_no(self, prefix: str, year: int) -> str:
        key = (prefix, year)
        self.decision_numbers[key] = self.decision_numbers.get(
            key, self.rng.randint(1, 6)
        ) + self.rng.randint(1, 4)
        return f"{prefix}〔{year}〕{self.decision_numbers[key]}号"

    def _date_between(self, start: date, end: date) -> date:
        if end <= start:
            return start
        return start + timedelta(days=self.rng.randint(0, (end - start).days))

    def _limits(self, item: _Item) -> dict:
        ph = {"ph_min": 6, "ph_max": 9}
        if item.l2 == L2.sh_wwtp or item.l2 == L2.gy_park_wwtp:
            if item.outfall.standard_code == "GB18918-1B":
                return {"cod": 60, "nh3n": 8, "tn": 20, "tp": 1, **ph}
            return {"cod": 50, "nh3n": 5, "tn": 15, "tp": 0.5, **ph}
        if item.l1 is L1.GY and not item.stormwater:
            return self.rng.choice(
                (
                    {"cod": 60, "nh3n": 8, "tp": 0.5, **ph},
                    {"cod": 100, "nh3n": 15, "tp": 0.5, **ph},
                    {"cod": 80, "nh3n": 10, "tn": 20, "tp": 0.5, **ph},
                )
            )
        return {}

    def _approvals(self) -> None:
        rng, today = self.rng, self.today
        for it in self.items:
            o = it.outfall
            if o.status is not OutfallStatus.in_service:
                continue
            # Someone has to apply: untraced outfalls have no decision yet.
            if it.primary is None and (it.l2 is None or it.l1 is not L1.YH):
                continue
            if it.sea:
                if rng.random() < (0.95 if it.l1 in (L1.GY, L1.SH) else 0.55) or it.forced.get(
                    "sample"
                ):
                    decided = self._date_between(date(2023, 3, 1), today - timedelta(days=20))
                    ocean = decided < date(2025, 1, 1) and rng.random() < 0.4
                    self._approval(
                        it,
                        ApprovalKind.filing,
                        self._decision_no("钦海备", decided.year),
                        OCEAN_AUTHORITY if ocean else AUTHORITY,
                        decided,
                        limits=self._limits(it),
                        note=f"已予备案，排放去向{self.water_specs[it.reach.water].name}。",
                    )
                continue
            needs_approval = it.l1 in (L1.GY, L1.SH) and not it.stormwater
            if needs_approval and (rng.random() < 0.85 or it.forced.get("sample")):
                if it.forced.get("sample"):
                    decided = self._date_between(date(2021, 1, 1), date(2022, 12, 31))
                else:
                    decided = self._date_between(date(2019, 3, 1), today - timedelta(days=60))
                self._approval(
                    it,
                    ApprovalKind.approval,
                    self._decision_no("钦环审", decided.year),
                    AUTHORITY,
                    decided,
                    limits=self._limits(it),
                    volume=it.volume_m3,
                )
                if it.l2 == L2.sh_wwtp and rng.random() < 0.3 or it.forced.get("sample"):
                    later = self._date_between(
                        decided + timedelta(days=400), today - timedelta(days=30)
                    )
                    if later > decided:
                        it.volume_m3 = float(round((it.volume_m3 or 100) * 1.5))
                        self._approval(
                            it,
                            ApprovalKind.approval,
                            self._decision_no("钦环审", later.year),
                            AUTHORITY,
                            later,
                            limits=self._limits(it),
                            volume=it.volume_m3,
                            note="扩大排放规模后重新审批。",
                        )
            elif rng.random() < 0.5:
                decided = self._date_between(date(2025, 1, 6), today - timedelta(days=10))
                self._approval(
                    it,
                    ApprovalKind.registration,
                    self._decision_no("钦环排登", decided.year),
                    AUTHORITY,
                    decided,
                    note="已办理入河排污口登记。",
                )

    def _approval(
        self,
        it: _Item,
        kind: ApprovalKind,
        number: str,
        authority: str,
        decided: date,
        *,
        limits: dict | None = None,
        volume: float | None = None,
        note: str = "",
    ) -> None:
        if not note:
            water = self.water_specs[it.reach.water].name
            note = f"同意设置入河排污口，污水经处理达标后排入{water}，排放方式为连续排放。"
        approval = Approval(
            outfall=it.outfall,
            kind=kind,
            decision_no=number,
            authority=authority,
            decided_on=decided,
            valid_until=_years_later(decided, 5)
            if kind is ApprovalKind.approval and self.rng.random() < 0.3
            else None,
            permitted_daily_volume_m3=volume,
            limits=limits or {},
            note=note,
        )
        it.approvals.append(approval)
        self.objects.append(approval)

    # ------------------------------------------------------------------ remediation

    def _plan_choice(self, it: _Item) -> tuple[RemediationCategory, RemediationStatus] | None:
        rng, s, c = self.rng, RemediationStatus, RemediationCategory
        status = it.outfall.status
        if status is OutfallStatus.banned:
            return c.ban, s.closed if rng.random() < 0.75 else rng.choice(_FULL_PATH[5:8])
        if status is OutfallStatus.merged:
            return c.merge, s.closed if rng.random() < 0.75 else rng.choice(_FULL_PATH[5:8])
        if status is OutfallStatus.closed:
            return c.ban, s.closed
        if it.forced.get("sample"):
            return c.regularise, s.closed
        if rng.random() < 0.06:
            return None
        l2 = it.l2
        if it.stormwater:
            category = c.retain if rng.random() < 0.5 else c.regularise
        elif l2 in (L2.sh_wwtp, L2.gy_park_wwtp):
            category = c.retain if rng.random() < 0.65 else c.regularise
        elif l2 == L2.gy_enterprise:
            category = rng.choices((c.regularise, c.retain, c.merge, c.ban), (55, 30, 10, 5))[0]
        elif l2 in (L2.qt_urban_scattered, L2.qt_rural_scattered):
            category = c.merge if rng.random() < 0.45 else c.regularise
        elif l2 in (L2.qt_small_livestock, L2.qt_small_aquaculture):
            category = rng.choices((c.regularise, c.merge, c.ban), (60, 25, 15))[0]
        else:
            category = c.retain if rng.random() < 0.45 else c.regularise
        if category is c.retain:
            if rng.random() < 0.88:
                return category, s.retained
            return category, rng.choices(_EARLY, (2, 2, 3, 3))[0]
        if category is c.regularise:
            if rng.random() < 0.83:
                return category, s.closed
            return category, rng.choices(_IN_PROGRESS, (4, 4, 5, 6, 12, 6, 4, 3))[0]
        # Merge or ban still to be carried out on an outfall that is in service.
        return category, rng.choices(_FULL_PATH[:5], (1, 1, 2, 4, 8))[0]

    def _timeline(self, path: tuple[RemediationStatus, ...], done: bool) -> list[date]:
        rng, today = self.rng, self.today
        n = len(path)
        if done:
            start = self._date_between(
                _DEMO_START, min(date(2024, 4, 30), today - timedelta(days=200))
            )
            end_limit = today - timedelta(days=5)
        elif path[-1] in _EARLY:
            start = self._date_between(today - timedelta(days=420), today - timedelta(days=20))
            end_limit = today - timedelta(days=2)
        else:
            start = self._date_between(date(2023, 1, 1), today - timedelta(days=150))
            end_limit = today - timedelta(days=2)
        gaps = [rng.randint(10, 80) if done else rng.randint(10, 110) for _ in range(n - 1)]
        available = max((end_limit - start).days, n)
        total = sum(gaps)
        if total > available:
            gaps = [max(1, g * available // total) for g in gaps]
        dates = [start]
        for g in gaps:
            dates.append(min(dates[-1] + timedelta(days=g), max(end_limit, dates[-1])))
        return dates

    def _plans(self) -> None:
        for it in self.items:
            choice = self._plan_choice(it)
            if choice is not None:
                self._plan(it, *choice)

    def _plan(self, it: _Item, category: RemediationCategory, status: RemediationStatus) -> None:
        rng, today, s = self.rng, self.today, RemediationStatus
        base = _RETAIN_PATH if category is RemediationCategory.retain else _FULL_PATH
        path = base[: base.index(status) + 1]
        done = status in (s.closed, s.retained)
        dates = self._timeline(path, done)
        reached = dict(zip(path, dates, strict=True))
        approved_on = reached.get(s.plan_approved)

        deadline = None
        if done:
            finished = dates[-1]
            later = [t for t in _TARGETS if t >= finished]
            deadline = later[0] if later else _month_end(finished + timedelta(days=60))
            if rng.random() < 0.15:
                earlier = [t for t in _TARGETS if t < finished]
                if earlier:
                    deadline = earlier[-1]  # finished late
        elif approved_on is not None:
            if rng.random() < 0.25:
                deadline = _month_end(today - timedelta(days=rng.randint(20, 240)))
                deadline = max(deadline, _month_end(approved_on + timedelta(days=30)))
            else:
                deadline = _month_end(today + timedelta(days=rng.randint(30, 420)))
        transition = None
        if (
            approved_on is not None
            and deadline is not None
            and it.l1 in (L1.GY, L1.SH)
            and category is not RemediationCategory.retain
            and rng.random() < 0.35
        ):
            transition = min(deadline, approved_on + timedelta(days=rng.randint(90, 240)))

        measures = self._measures(it, category)
        plan = RemediationPlan(
            outfall=it.outfall,
            category=category,
            status=status,
            measures=measures,
            deadline=deadline,
            transition_until=transition,
            merge_target=it.forced["merge_target"].outfall
            if category is RemediationCategory.merge and "merge_target" in it.forced
            else None,
            signed_off_on=dates[-1] if status is s.closed else None,
        )
        if category is RemediationCategory.merge and plan.merge_target is None:
            target = self._merge_target(it)
            plan.merge_target = target.outfall if target else None
        it.plan = plan
        self.objects.append(plan)

        for st, when in zip(path, dates, strict=True):
            plan.events.append(
                RemediationEvent(
                    status=st, occurred_on=when, note=self._event_note(it, st, category)
                )
            )
        self._milestones(plan, category, path, dates, done)
        if it.outfall.status is not OutfallStatus.in_service:
            ended = reached.get(s.remediating) or dates[-1]
            it.outfall.status_since = ended

    def _obey_plans(self) -> None:
        """What the plans require of a traced or signed-off outfall, made true.

        Traced without a discharging unit: the county government is the responsible entity
        (政府兜底). Signed off (closed or retained) and in service: the legal basis its type
        needs (river GY/SH 审批, other river 登记, sea 备案), in force on `today`. Work done
        before proof: every milestone is done before the sign-off proof was submitted. An
        outfall approved before the inventory found it was listed, not "discovered".
        """
        s = RemediationStatus
        for it in self.items:
            plan = it.plan
            if plan is None:
                continue
            reached = {e.status: e.occurred_on for e in plan.events}
            if s.traced in reached and it.primary is None:
                it.primary = self._entity(COUNTY_GOVERNMENTS[it.reach.county], industry="公共管理")
                self.objects.append(
                    OutfallResponsibility(outfall=it.outfall, entity=it.primary, is_primary=True)
                )
            done = plan.status in (s.closed, s.retained)
            if done and it.outfall.status is OutfallStatus.in_service:
                self._legal_basis(it, reached)
            proof = reached.get(s.signoff_submitted) or reached.get(s.retained)
            if proof is not None:
                start = reached.get(s.plan_approved) or plan.events[0].occurred_on
                for milestone in plan.milestones:
                    when = milestone.done_on or proof
                    milestone.done_on = max(min(when, proof), min(start, proof))
            identified = reached.get(s.identified)
            if identified and any(a.decided_on < identified for a in it.approvals):
                plan.events[0].note = "已审批（登记、备案）排污口纳入排查清单，开展现场核查"
                if it.l1 is L1.SH or it.l2 == L2.gy_park_wwtp:
                    self._no_hidden_pipes(plan)

    def _no_hidden_pipes(self, plan: RemediationPlan) -> None:
        """An approved plant's plan: upgrading and monitoring, not removing hidden pipes."""
        phrases = [p for p in plan.measures.rstrip("。").split("；") if "暗管" not in p]
        phrases = [p.split(". ", 1)[-1] for p in phrases] or ["完善进出水在线监测设施"]
        plan.measures = "；".join(f"{i}. {p}" for i, p in enumerate(phrases, 1)) + "。"
        for milestone in plan.milestones:
            if "暗管" in milestone.title:
                milestone.title = "完善进出水在线监测"

    def _legal_basis(self, it: _Item, reached: dict) -> None:
        """Give a signed-off outfall the decision its type needs, valid today."""
        today = self.today
        if it.sea:
            kinds, kind, prefix = {ApprovalKind.filing}, ApprovalKind.filing, "钦海备"
        elif it.l1 in (L1.GY, L1.SH):
            kinds, kind, prefix = {ApprovalKind.approval}, ApprovalKind.approval, "钦环审"
        else:
            kinds = {ApprovalKind.approval, ApprovalKind.registration}
            kind, prefix = ApprovalKind.registration, "钦环排登"
        held = [a for a in it.approvals if a.kind in kinds]
        if any(a.valid_until is None or a.valid_until >= today for a in held):
            return
        if held:  # expired: renewed before it ran out
            last = max(held, key=lambda a: a.decided_on)
            decided = min(last.valid_until - timedelta(days=self.rng.randint(10, 90)), today)
            note = "有效期届满前申请延续，重新审批。"
        else:
            start = reached.get(RemediationStatus.plan_approved) or min(reached.values())
            end = max(reached.values())
            decided = self._date_between(start, end)
            if kind is ApprovalKind.registration and decided < date(2025, 1, 1):
                decided = min(date(2025, 1, 6), today)
            note = "整治中依法补办手续。"
        approval = Approval(
            outfall=it.outfall,
            kind=kind,
            decision_no=self._decision_no(prefix, decided.year),
            authority=OCEAN_AUTHORITY
            if kind is ApprovalKind.filing and decided.year < 2025
            else AUTHORITY,
            decided_on=decided,
            valid_until=_years_later(decided, 5) if kind is ApprovalKind.approval else None,
            permitted_daily_volume_m3=it.volume_m3 if kind is ApprovalKind.approval else None,
            limits=self._limits(it),
            note=note,
        )
        it.approvals.append(approval)
        self.objects.append(approval)

    def _signboards(self) -> None:
        """Most outfalls in service have a signboard; newly found ones less often."""
        rng, today = self.rng, self.today
        early = set(_EARLY)
        for it in self.items:
            if it.outfall.status is not OutfallStatus.in_service:
                continue
            new = it.plan is not None and it.plan.status in early
            if it.forced.get("sample") or rng.random() < (0.3 if new else 0.88):
                start = date(2023, 3, 1)
                if it.plan is not None and it.plan.events:
                    start = max(start, it.plan.events[0].occurred_on)
                it.outfall.signboard_installed_on = self._date_between(
                    start, today - timedelta(days=3)
                )

    def _measures(self, it: _Item, category: RemediationCategory) -> str:
        rng = self.rng
        phrases = list(
            rng.sample(cat.MEASURES[category.value], k=min(3, len(cat.MEASURES[category.value])))
        )
        key = "storm" if it.stormwater else (it.l2.value if it.l2 else "")
        if key in cat.TYPE_MEASURES and category is not RemediationCategory.ban:
            phrases.insert(0, cat.TYPE_MEASURES[key])
        if category is RemediationCategory.ban:
            phrases.insert(0, rng.choice(cat.BAN_REASONS) + "，依法取缔")
            if it.outfall.status is OutfallStatus.closed:
                phrases[0] = "排污单位已关停，排口依法封堵"
        if category is RemediationCategory.merge:
            target = it.forced.get("merge_target")
            if target is not None:
                phrases.append(f"污水并入{target.outfall.name}")
        if "sample" in it.forced:
            phrases = [
                "拆除私设暗管",
                "设置规范化检查井",
                "安装标识牌（含二维码）",
                "接入在线监测平台",
            ]
        return "；".join(f"{i}. {p}" for i, p in enumerate(phrases, 1)) + "。"

    def _event_note(
        self, it: _Item, status: RemediationStatus, category: RemediationCategory
    ) -> str:
        s = RemediationStatus
        if status is s.identified:
            return self.rng.choice(
                (
                    "第一级排查（无人机航测）发现",
                    "第二级排查（人工徒步）发现",
                    "群众举报后现场核查发现",
                )
            )
        if status is s.monitored:
            return "完成水质水量监测"
        if status is s.traced:
            if it.primary is not None:
                return f"溯源明确责任主体：{it.primary.name}"
            return "溯源未能明确排污单位，暂由属地政府兜底"
        if status is s.plan_approved:
            return "一口一策整治方案经属地人民政府审定"
        if status is s.remediating:
            return {"ban": "下达取缔通知，开始拆除", "merge": "开始截污并管施工"}.get(
                category.value, "开始整治"
            )
        if status is s.signoff_submitted:
            return "责任主体提交销号证明材料"
        if status is s.dept_confirmed:
            return f"{it.outfall.supervising_department.name}出具确认文件"
        if status is s.eee_approved:
            return "市生态环境局审核同意销号"
        if status is s.closed:
            return "整治完成，予以销号"
        return "经监测达标、设置规范，列入保留排污口清单"

    def _milestones(
        self, plan: RemediationPlan, category: RemediationCategory, path, dates, done: bool
    ) -> None:
        rng, today, s = self.rng, self.today, RemediationStatus
        titles = cat.MILESTONES[category.value]
        titles = titles[: rng.randint(2, len(titles))]
        reached = dict(zip(path, dates, strict=True))
        start = reached.get(s.plan_approved) or today + timedelta(days=20)
        end = plan.deadline or start + timedelta(days=rng.randint(120, 300))
        if end <= start:
            end = start + timedelta(days=60)
        step = (end - start).days / len(titles)
        finished = dates[-1] if done else None
        work_done = reached.get(s.signoff_submitted)
        for i, title in enumerate(titles, 1):
            due = start + timedelta(days=round(step * i))
            done_on = None
            if finished is not None:
                done_on = min(max(start, due - timedelta(days=rng.randint(0, 25))), finished)
            elif work_done is not None:
                done_on = min(max(start, due - timedelta(days=rng.randint(0, 25))), work_done)
            elif s.remediating in reached and due < today and rng.random() < 0.6:
                done_on = min(max(start, due - timedelta(days=rng.randint(0, 20))), today)
            plan.milestones.append(RemediationMilestone(title=title, due_on=due, done_on=done_on))

    # ------------------------------------------------------------------ monitoring

    def _profile(self, it: _Item):
        l2 = it.l2
        if it.stormwater:
            return _PROFILES["storm"]
        key = {
            L2.gy_enterprise: "gy",
            L2.gy_park_wwtp: "park",
            L2.ny_livestock: "livestock",
            L2.ny_aquaculture: "aqua",
            L2.qt_irrigation: "irrigation",
            L2.qt_port: "port",
            L2.qt_small_livestock: "small_livestock",
            L2.qt_small_aquaculture: "aqua",
            L2.qt_urban_scattered: "urban_scattered",
            L2.qt_rural_facility: "rural_facility",
            L2.qt_rural_scattered: "rural_scattered",
            L2.qt_other: "other",
        }.get(l2)
        if l2 == L2.sh_wwtp:
            key = "sh_a" if it.outfall.standard_code == "GB18918-1A" else "sh_b"
        if key is None:
            key = {L1.GY: "gy", L1.NY: "livestock"}.get(it.l1, "other")
        return _PROFILES[key]

    def _monitoring(self) -> None:
        rng, today = self.rng, self.today
        for it in self.items:
            if it.outfall.status is not OutfallStatus.in_service:
                continue
            key_site = it.l1 in (L1.GY, L1.SH) and not it.stormwater
            n = rng.randint(8, 12) if key_site else rng.randint(3, 6)
            if it.forced.get("sample"):
                n = 12
            days = sorted(rng.sample(range(1, 731), n), reverse=True)
            records = []
            for back in days:
                day = today - timedelta(days=back)
                local = datetime.combine(
                    day, time(rng.randint(9, 16), rng.choice((0, 10, 20, 30, 40, 50)))
                )
                sampled_at = local.replace(tzinfo=LOCAL_TZ).astimezone(UTC)
                records.append(self._record(it, sampled_at, key_site))
            if it.forced.get("sample"):
                self._force_exceedance(it, records[-3])
            if (
                it.stormwater
                and it.dry_anomaly
                and not any(r.weather is Weather.dry and (r.flow_m3s or 0) > 0 for r in records)
            ):
                self._dry_flow(it, records[-1])
            self.objects.extend(records)

    def _record(self, it: _Item, sampled_at: datetime, key_site: bool) -> MonitoringRecord:
        rng = self.rng
        supervisory = rng.random() < (0.4 if key_site else 0.8)
        if supervisory:
            kind = SamplerKind.supervisory
            org = cat.SUPERVISORY_LAB_SEA if it.sea else cat.SUPERVISORY_LAB_RIVER
        else:
            kind = SamplerKind.self_monitoring
            org = (
                rng.choice(cat.LABS)
                if rng.random() < 0.6 or it.primary is None
                else it.primary.name
            )
        weather = Weather.wet if rng.random() < (0.5 if it.stormwater else 0.3) else Weather.dry
        doy = sampled_at.timetuple().tm_yday
        temp = round(22.5 + 6.5 * math.cos(2 * math.pi * (doy - 200) / 365) + rng.gauss(0, 1), 1)
        record = MonitoringRecord(
            outfall=it.outfall,
            sampled_at=sampled_at,
            sampler_kind=kind,
            organisation=org,
            weather=weather,
            temperature_c=temp,
            other={},
        )
        profile = self._profile(it)
        if it.stormwater and weather is Weather.dry:
            if not it.dry_anomaly or rng.random() < 0.4:
                record.flow_m3s = 0.0  # dry outfall: nothing to sample
                return record
            profile = _DRY_SEWAGE
        cod, nh3n, tn, tp, flow_range = profile
        factor = it.bad

        def draw(median: float, digits: int) -> float:
            return round(median * factor * math.exp(rng.gauss(0, 0.3)), digits)

        record.cod = draw(cod, 1)
        record.nh3n = draw(nh3n, 2)
        record.tn = max(draw(tn, 2), record.nh3n)
        record.tp = draw(tp, 3)
        ph = rng.gauss(7.3, 0.3)
        if it.bad > 1 and it.l1 is L1.GY and rng.random() < 0.2:
            ph = rng.choice((5.4, 9.5))
        record.ph = round(ph, 2)
        if it.volume_m3 is not None or flow_range is None:
            volume = it.volume_m3 or 1000
            record.flow_m3s = round(volume / 86400 * rng.uniform(0.5, 1.0), 4)
        else:
            low, high = flow_range
            record.flow_m3s = round(math.exp(rng.uniform(math.log(low), math.log(high))), 4)
        if it.l2 == L2.qt_port:
            record.other = {"petroleum": round(rng.uniform(0.2, 4.0) * factor, 2)}
        return record

    def _permit_limits(self, it: _Item) -> dict | None:
        if not it.approvals:
            return None
        return max(it.approvals, key=lambda a: a.decided_on).limits

    def _force_exceedance(self, it: _Item, record: MonitoringRecord) -> None:
        standard = applicable_standard(
            it.outfall.standard_code, it.l1.value, self._permit_limits(it)
        )
        limit = standard.limits["cod"]
        record.weather = Weather.dry
        record.cod = round(limit * 1.31, 1)
        record.ph = 7.1
        record.sampler_kind = SamplerKind.supervisory
        record.organisation = cat.SUPERVISORY_LAB_RIVER
        values = {k: getattr(record, k) for k in ("ph", "cod", "nh3n", "tn", "tp", "flow_m3s")}
        assert exceedances(values, standard, weather="dry", temperature_c=record.temperature_c)

    def _dry_flow(self, it: _Item, record: MonitoringRecord) -> None:
        cod, nh3n, tn, tp, (low, high) = _DRY_SEWAGE
        record.weather = Weather.dry
        record.flow_m3s = round(self.rng.uniform(low, high), 4)
        record.cod, record.nh3n, record.tn, record.tp = cod, nh3n, tn, tp
        record.ph = 7.2

    # ------------------------------------------------------------------ documents

    def _documents(self) -> None:
        if self.store is None:
            return
        approvals = [(it, a) for it in self.items for a in it.approvals]
        sample = [(it, a) for it, a in approvals if it is self.sample][-1:]
        by_kind = {
            k: [(it, a) for it, a in approvals if a.kind is k and it is not self.sample]
            for k in ApprovalKind
        }
        chosen = sample + self.rng.sample(by_kind[ApprovalKind.approval], 5)
        chosen += self.rng.sample(by_kind[ApprovalKind.filing], 3)
        chosen += self.rng.sample(by_kind[ApprovalKind.registration], DOCUMENT_COUNT - len(chosen))
        texts = [self._document_text(it, a) for it, a in chosen]
        for (it, approval), text, data in zip(chosen, texts, render_documents(texts), strict=True):
            digest = self.store.put(data)
            slug = {
                "approval": "approval",
                "filing": "filing-receipt",
                "registration": "registration",
            }
            self.objects.append(
                ApprovalDocument(
                    approval=approval,
                    title=text.title,
                    filename=f"{slug[approval.kind.value]}-{it.outfall.code}.pdf",
                    content_type="application/pdf",
                    size=len(data),
                    sha256=digest,
                )
            )

    def _document_text(self, it: _Item, approval: Approval) -> DocumentText:
        o = it.outfall
        spec = self.water_specs[it.reach.water]
        applicant = it.primary.name if it.primary else o.management_entity.name
        credit = (
            f"（统一社会信用代码：{it.primary.credit_code}）"
            if it.primary and it.primary.credit_code
            else ""
        )
        d = approval.decided_on
        when = f"{d.year}年{d.month}月{d.day}日"
        limits = approval.limits or {}
        labels = (("cod", "化学需氧量"), ("nh3n", "氨氮"), ("tn", "总氮"), ("tp", "总磷"))
        limit_text = "，".join(f"{label} {limits[k]:g} mg/L" for k, label in labels if k in limits)
        if "ph_min" in limits:
            limit_text += f"，pH {limits['ph_min']:g}～{limits['ph_max']:g}"
        lines = [
            f"文号：{approval.decision_no}",
            f"申请单位：{applicant}{credit}",
            f"排污口名称：{o.name}",
            f"排污口编码：{o.code}",
            f"位置：{o.address}（东经 {o.lon:.5f}°，北纬 {o.lat:.5f}°）",
            f"受纳水体：{spec.name}（水质目标：{spec.target_class}）",
        ]
        if approval.kind is ApprovalKind.approval:
            heading = approval.authority
            title = "入河排污口设置审批决定书"
            if approval.permitted_daily_volume_m3:
                lines.append(f"批准排放量：{approval.permitted_daily_volume_m3:g} 立方米/日")
            if limit_text:
                lines.append(f"主要污染物排放限值：{limit_text}")
            lines.append(
                "经审查，该排污口设置论证报告和申请材料符合要求，同意设置。请按规定建设规范化"
                "排污口，设置标识牌和采样点，并依法开展自行监测和信息公开。"
            )
        elif approval.kind is ApprovalKind.filing:
            heading = approval.authority
            title = "入海排污口备案回执"
            if limit_text:
                lines.append(f"排放限值（排污许可证载明）：{limit_text}")
            lines.append(
                "你单位报送的入海排污口备案材料已收悉，予以备案。请按规定树标立牌，开展监测，"
                "并及时公开排污口信息。"
            )
        else:
            heading = approval.authority
            title = "入河排污口登记回执"
            lines.append("你单位报送的入河排污口登记表已收悉，予以登记。")
        lines.append(f"日期：{when}")
        english = (
            {
                ApprovalKind.approval: "Outfall setting approval",
                ApprovalKind.filing: "Sea outfall filing receipt",
                ApprovalKind.registration: "River outfall registration receipt",
            }[approval.kind],
            f"Authority: {self.depts['eco-env'].name_en}",
            f"Outfall code: {o.code}",
            f"Location: {o.lon:.5f} E, {o.lat:.5f} N",
            f"Receiving water: {spec.name_en}",
            f"Date: {d.isoformat()}",
        )
        return DocumentText(heading, title, tuple(lines), english)
