"""Approximate courses and shorelines of the Qinzhou demo waters, and placement on them.

Every polyline below is drawn from general geographic knowledge, not surveyed data: it
follows each river or shore closely enough for a demo map (within a kilometre or so),
and each stretch (reach) names the county and town it runs through so that an outfall
placed on it gets a consistent region and address. Points run downstream for rivers and
along the shore for sea areas.
"""

import math
import random
from dataclasses import dataclass

# (south, west, north, east) in WGS84 degrees.
QINZHOU_BBOX = (21.55, 107.45, 22.70, 109.95)
GUANGXI_BBOX = (21.4, 104.5, 26.4, 112.0)

QINNAN, QINBEI, LINGSHAN, PUBEI = "450702", "450703", "450721", "450722"

COUNTY_NAMES = {
    QINNAN: "钦南区",
    QINBEI: "钦北区",
    LINGSHAN: "灵山县",
    PUBEI: "浦北县",
}
# The prefix of a full place name: districts belong to the city, counties are named alone.
COUNTY_PLACE = {
    QINNAN: "钦州市钦南区",
    QINBEI: "钦州市钦北区",
    LINGSHAN: "钦州市灵山县",
    PUBEI: "钦州市浦北县",
}

# Reach tags: what kind of land lines the water there.
URBAN, TOWN, RURAL, INDUSTRIAL, PORT, COAST, AQUA = (
    "urban",
    "town",
    "rural",
    "industrial",
    "port",
    "coast",
    "aqua",
)


@dataclass(frozen=True)
class WaterSpec:
    """A receiving water of the demo region, with its invented HJ 1235-style code."""

    key: str
    code: str
    name: str
    name_en: str
    kind: str  # "river" or "sea"
    target_class: str
    parent: str | None = None


@dataclass(frozen=True)
class Reach:
    """A stretch of one river or shore, lying in one county and town."""

    water: str
    county: str
    town: str
    tags: frozenset[str]
    points: tuple[tuple[float, float], ...]  # (lat, lon)
    # Sea reaches: which side of the walking direction the land lies on ("left"/"right").
    land_side: str | None = None
    roads: tuple[str, ...] = ()
    weight: float = 1.0

    @property
    def is_sea(self) -> bool:
        return self.land_side is not None

    @property
    def place(self) -> str:
        return COUNTY_PLACE[self.county] + self.town


WATERS: tuple[WaterSpec, ...] = (
    WaterSpec("qinjiang", "HBJ0104", "钦江", "Qin River", "river", "Ⅲ类"),
    WaterSpec("maolingjiang", "HBJ0102", "茅岭江", "Maoling River", "river", "Ⅲ类"),
    WaterSpec("dafengjiang", "HBJ0106", "大风江", "Dafeng River", "river", "Ⅲ类"),
    # 南流江 and its tributaries 武利江 and 小江: the rivers of 灵山 and 浦北.
    WaterSpec("nanliujiang", "HBJ0110", "南流江", "Nanliu River", "river", "Ⅲ类"),
    WaterSpec("wulijiang", "HBJ0112", "武利江", "Wuli River", "river", "Ⅱ类", "nanliujiang"),
    WaterSpec(
        "xiaojiang", "HBJ0113", "小江", "Xiaojiang River (Pubei)", "river", "Ⅲ类", "nanliujiang"
    ),
    # Sea areas: GB 3097 classes (第一类…第四类); rivers: GB 3838 (Ⅰ–Ⅴ类).
    WaterSpec("qinzhouwan", "HY45070002", "钦州湾", "Qinzhou Bay", "sea", "第三类"),
    WaterSpec("maoweihai", "HY45070001", "茅尾海", "Maowei Sea", "sea", "第二类", "qinzhouwan"),
    WaterSpec("sanniangwan", "HY45070003", "三娘湾", "Sanniang Bay", "sea", "第二类"),
    WaterSpec("dafengjiangkou", "HY45070004", "大风江口", "Dafeng River Estuary", "sea", "第二类"),
)


def _r(water, county, town, tags, points, *, land_side=None, roads=(), weight=1.0) -> Reach:
    return Reach(
        water, county, town, frozenset(tags), tuple(points), land_side, tuple(roads), weight
    )


REACHES: tuple[Reach, ...] = (
    # 钦江: from 灵山 county town west-south-west to 钦州 city, then into 茅尾海.
    _r(
        "qinjiang",
        LINGSHAN,
        "灵城街道",
        {URBAN, INDUSTRIAL},
        [(22.455, 109.330), (22.438, 109.312), (22.420, 109.288), (22.405, 109.262)],
        roads=("江滨路", "灵城大道", "江南路", "荔乡路"),
        weight=1.6,
    ),
    _r(
        "qinjiang",
        LINGSHAN,
        "檀圩镇",
        {RURAL},
        [(22.405, 109.262), (22.394, 109.240), (22.385, 109.220), (22.365, 109.180)],
    ),
    _r(
        "qinjiang",
        LINGSHAN,
        "那隆镇",
        {RURAL, TOWN},
        [(22.365, 109.180), (22.350, 109.160), (22.335, 109.140), (22.310, 109.095)],
    ),
    _r(
        "qinjiang",
        LINGSHAN,
        "陆屋镇",
        {TOWN, RURAL, INDUSTRIAL},
        [(22.310, 109.095), (22.300, 109.075), (22.290, 109.055), (22.268, 109.020)],
    ),
    _r(
        "qinjiang",
        QINBEI,
        "平吉镇",
        {RURAL, TOWN},
        [(22.268, 109.020), (22.250, 108.998), (22.230, 108.975), (22.185, 108.930)],
    ),
    _r(
        "qinjiang",
        QINBEI,
        "青塘镇",
        {RURAL, TOWN},
        [(22.185, 108.930), (22.168, 108.905), (22.150, 108.880), (22.115, 108.830)],
    ),
    _r(
        "qinjiang",
        QINNAN,
        "久隆镇",
        {RURAL, TOWN, INDUSTRIAL},
        [(22.115, 108.830), (22.085, 108.785), (22.055, 108.740), (22.025, 108.700)],
    ),
    _r(
        "qinjiang",
        QINBEI,
        "长田街道",
        {URBAN, INDUSTRIAL},
        [(22.025, 108.700), (22.015, 108.686), (22.005, 108.672)],
        roads=("滨江北路", "安州大道", "北环路", "东升路"),
        weight=1.3,
    ),
    _r(
        "qinjiang",
        QINBEI,
        "子材街道",
        {URBAN},
        [(22.005, 108.672), (21.995, 108.661), (21.985, 108.652)],
        roads=("子材大街", "新兴街", "永福西大街", "滨江北路"),
        weight=1.4,
    ),
    _r(
        "qinjiang",
        QINNAN,
        "水东街道",
        {URBAN},
        [(21.985, 108.652), (21.975, 108.644), (21.965, 108.637)],
        roads=("滨江东路", "水东路", "二马路", "钦江大道"),
        weight=1.6,
    ),
    _r(
        "qinjiang",
        QINNAN,
        "南珠街道",
        {URBAN},
        [(21.965, 108.637), (21.955, 108.632), (21.945, 108.628), (21.925, 108.620)],
        roads=("南珠大街", "扬帆大道", "文峰路", "滨江南路", "人民路"),
        weight=2.0,
    ),
    _r(
        "qinjiang",
        QINNAN,
        "沙埠镇",
        {RURAL, TOWN, INDUSTRIAL},
        [(21.925, 108.620), (21.912, 108.612), (21.900, 108.605), (21.880, 108.590)],
    ),
    _r(
        "qinjiang",
        QINNAN,
        "尖山街道",
        {RURAL, TOWN},
        [(21.880, 108.590), (21.873, 108.584), (21.866, 108.578)],
    ),
    # 茅岭江: from the hills north of 钦北区 south into the north-west of 茅尾海.
    _r(
        "maolingjiang",
        QINBEI,
        "长滩镇",
        {RURAL, TOWN},
        [(22.350, 108.330), (22.325, 108.342), (22.300, 108.355), (22.250, 108.380)],
    ),
    _r(
        "maolingjiang",
        QINBEI,
        "那蒙镇",
        {RURAL, TOWN},
        [(22.250, 108.380), (22.225, 108.392), (22.200, 108.400), (22.150, 108.410)],
    ),
    _r(
        "maolingjiang",
        QINBEI,
        "大寺镇",
        {TOWN, RURAL, INDUSTRIAL},
        [(22.150, 108.410), (22.120, 108.408), (22.090, 108.405), (22.030, 108.400)],
    ),
    _r(
        "maolingjiang",
        QINBEI,
        "大垌镇",
        {RURAL},
        [(22.030, 108.400), (22.000, 108.412), (21.985, 108.420), (21.950, 108.440)],
    ),
    _r(
        "maolingjiang",
        QINNAN,
        "康熙岭镇",
        {RURAL, AQUA},
        [(21.950, 108.440), (21.915, 108.460), (21.880, 108.480), (21.845, 108.500)],
    ),
    # 大风江: south through eastern 钦南区 to its estuary.
    _r(
        "dafengjiang",
        LINGSHAN,
        "伯劳镇",
        {RURAL},
        [(22.160, 108.990), (22.135, 108.982), (22.110, 108.975)],
    ),
    _r(
        "dafengjiang",
        QINNAN,
        "那思镇",
        {RURAL, TOWN},
        [(22.110, 108.975), (22.080, 108.962), (22.050, 108.950), (21.990, 108.930)],
    ),
    _r(
        "dafengjiang",
        QINNAN,
        "那彭镇",
        {RURAL, TOWN},
        [(21.990, 108.930), (21.960, 108.922), (21.930, 108.915), (21.870, 108.900)],
    ),
    _r(
        "dafengjiang",
        QINNAN,
        "那丽镇",
        {TOWN, RURAL},
        [(21.870, 108.900), (21.845, 108.895), (21.820, 108.890), (21.770, 108.880)],
    ),
    _r(
        "dafengjiang",
        QINNAN,
        "东场镇",
        {RURAL, AQUA},
        [(21.770, 108.880), (21.750, 108.876), (21.730, 108.872)],
    ),
    # 武利江: south-south-east from eastern 灵山县 into western 浦北县.
    _r(
        "wulijiang",
        LINGSHAN,
        "佛子镇",
        {RURAL},
        [(22.400, 109.370), (22.375, 109.382), (22.350, 109.395), (22.300, 109.420)],
    ),
    _r(
        "wulijiang",
        LINGSHAN,
        "武利镇",
        {TOWN, RURAL, INDUSTRIAL},
        [(22.300, 109.420), (22.275, 109.430), (22.250, 109.440), (22.200, 109.455)],
    ),
    _r(
        "wulijiang",
        PUBEI,
        "龙门镇",
        {RURAL, TOWN},
        [(22.200, 109.455), (22.175, 109.468), (22.150, 109.480), (22.100, 109.500)],
    ),
    _r(
        "wulijiang",
        PUBEI,
        "白石水镇",
        {RURAL, TOWN},
        [(22.100, 109.500), (22.075, 109.512), (22.050, 109.525), (22.000, 109.545)],
    ),
    # 小江: through the 浦北 county town.
    _r(
        "xiaojiang",
        PUBEI,
        "泉水镇",
        {RURAL, TOWN},
        [(22.460, 109.610), (22.435, 109.603), (22.410, 109.595), (22.350, 109.575)],
    ),
    _r(
        "xiaojiang",
        PUBEI,
        "小江街道",
        {URBAN, INDUSTRIAL},
        [(22.350, 109.575), (22.325, 109.567), (22.300, 109.560), (22.265, 109.555)],
        roads=("江滨路", "城东路", "越州大道", "小江大道"),
        weight=1.4,
    ),
    _r(
        "xiaojiang",
        PUBEI,
        "江城街道",
        {URBAN},
        [(22.265, 109.555), (22.250, 109.557), (22.235, 109.560)],
        roads=("江城路", "朝阳路", "江滨南路"),
    ),
    _r(
        "xiaojiang",
        PUBEI,
        "石埇镇",
        {RURAL, TOWN},
        [(22.235, 109.560), (22.205, 109.567), (22.180, 109.575), (22.120, 109.590)],
    ),
    # 南流江: from 博白 south-west along eastern 浦北县, past the mouths of 小江 and 武利江.
    _r(
        "nanliujiang",
        PUBEI,
        "石埇镇",
        {RURAL, TOWN},
        [(22.150, 109.640), (22.122, 109.598), (22.090, 109.578), (22.050, 109.562)],
    ),
    _r(
        "nanliujiang",
        PUBEI,
        "白石水镇",
        {RURAL, TOWN, INDUSTRIAL},
        [(22.050, 109.562), (22.002, 109.549), (21.970, 109.530), (21.940, 109.505)],
    ),
    # 茅尾海: north shore (康熙岭) then east shore (尖山), land on the left.
    _r(
        "maoweihai",
        QINNAN,
        "康熙岭镇",
        {COAST, AQUA, RURAL},
        [(21.842, 108.505), (21.852, 108.522), (21.860, 108.540), (21.865, 108.560)],
        land_side="left",
        weight=1.3,
    ),
    _r(
        "maoweihai",
        QINNAN,
        "尖山街道",
        {COAST, URBAN, AQUA},
        [(21.866, 108.575), (21.858, 108.590), (21.842, 108.600), (21.822, 108.606)],
        land_side="left",
        roads=("沙井大道", "滨海大道", "茅尾海路"),
    ),
    _r(
        "maoweihai",
        QINNAN,
        "尖山街道",
        {COAST, AQUA, RURAL},
        [(21.822, 108.606), (21.800, 108.611), (21.780, 108.610), (21.760, 108.602)],
        land_side="left",
    ),
    _r(
        "maoweihai",
        QINNAN,
        "龙门港镇",
        {COAST, AQUA, TOWN, PORT},
        [(21.775, 108.568), (21.762, 108.562), (21.748, 108.556), (21.735, 108.552)],
        land_side="right",
    ),
    # 钦州湾: the 钦州港 shore on the east side, walking south-east; land on the left.
    _r(
        "qinzhouwan",
        QINNAN,
        "钦州港片区",
        {PORT, INDUSTRIAL, COAST},
        [(21.745, 108.600), (21.725, 108.607), (21.705, 108.616), (21.690, 108.626)],
        land_side="left",
        roads=("勒沟路", "金鼓江路", "港区大道"),
        weight=1.5,
    ),
    _r(
        "qinzhouwan",
        QINNAN,
        "钦州港片区",
        {PORT, INDUSTRIAL, COAST},
        [(21.690, 108.626), (21.675, 108.641), (21.662, 108.657), (21.648, 108.675)],
        land_side="left",
        roads=("大榄坪路", "鹰岭路", "三墩路"),
        weight=1.5,
    ),
    _r(
        "qinzhouwan",
        QINNAN,
        "犀牛脚镇",
        {COAST, AQUA, TOWN},
        [(21.648, 108.675), (21.644, 108.684), (21.640, 108.692), (21.636, 108.708)],
        land_side="left",
    ),
    # 三娘湾: the shore east of 犀牛脚, walking east; land on the left (north).
    _r(
        "sanniangwan",
        QINNAN,
        "犀牛脚镇",
        {COAST, AQUA, TOWN, RURAL},
        [
            (21.636, 108.715),
            (21.628, 108.735),
            (21.621, 108.755),
            (21.615, 108.772),
            (21.613, 108.788),
            (21.616, 108.805),
            (21.621, 108.822),
        ],
        land_side="left",
        weight=1.3,
    ),
    # 大风江口: the west bank of the estuary, walking south; land on the right (west).
    _r(
        "dafengjiangkou",
        QINNAN,
        "东场镇",
        {COAST, AQUA, RURAL},
        [
            (21.730, 108.868),
            (21.705, 108.869),
            (21.680, 108.871),
            (21.655, 108.873),
            (21.635, 108.872),
            (21.622, 108.866),
        ],
        land_side="right",
    ),
)

_M_PER_DEG_LAT = 110_574.0


def _m_per_deg_lon(lat: float) -> float:
    return 111_320.0 * math.cos(math.radians(lat))


def _segment_lengths(points) -> list[float]:
    out = []
    for (la1, lo1), (la2, lo2) in zip(points, points[1:], strict=False):
        mid = (la1 + la2) / 2
        dx = (lo2 - lo1) * _m_per_deg_lon(mid)
        dy = (la2 - la1) * _M_PER_DEG_LAT
        out.append(math.hypot(dx, dy))
    return out


def reach_length_m(reach: Reach) -> float:
    """Length of a reach in metres."""
    return sum(_segment_lengths(reach.points))


_BEARING_NAMES = ("北", "东", "南", "西")


def _direction_name(dx: float, dy: float) -> str:
    angle = math.degrees(math.atan2(dx, dy)) % 360
    return _BEARING_NAMES[int((angle + 45) // 90) % 4]


@dataclass(frozen=True)
class Placement:
    """Where an outfall sits: coordinates and a bank or shore description."""

    lat: float
    lon: float
    bank: str  # e.g. "左岸", "北岸"


def place_on(reach: Reach, rng: random.Random, *, min_m: float = 20, max_m: float = 80):
    """A point on the reach, offset 20–80 m sideways toward a bank (or landward on a shore)."""
    lengths = _segment_lengths(reach.points)
    target = rng.uniform(0.03, 0.97) * sum(lengths)
    for i, seg in enumerate(lengths):
        if target <= seg or i == len(lengths) - 1:
            break
        target -= seg
    (la1, lo1), (la2, lo2) = reach.points[i], reach.points[i + 1]
    t = min(1.0, target / seg) if seg else 0.0
    lat = la1 + (la2 - la1) * t
    lon = lo1 + (lo2 - lo1) * t
    # Direction of travel in metres, and the unit normal to its left.
    dx = (lo2 - lo1) * _m_per_deg_lon(lat)
    dy = (la2 - la1) * _M_PER_DEG_LAT
    norm = math.hypot(dx, dy) or 1.0
    left = (-dy / norm, dx / norm)
    if reach.is_sea:
        side = reach.land_side
    else:
        side = rng.choice(("left", "right"))
    sign = 1.0 if side == "left" else -1.0
    offset = rng.uniform(min_m, max_m) * sign
    east, north = left[0] * offset, left[1] * offset
    lat += north / _M_PER_DEG_LAT
    lon += east / _m_per_deg_lon(lat)
    if reach.is_sea:
        bank = _direction_name(east, north) + "岸"
    else:
        # Facing downstream, 左岸 is on the left.
        bank = "左岸" if side == "left" else "右岸"
    return Placement(round(lat, 5), round(lon, 5), bank)


def in_bbox(lat: float, lon: float, bbox=QINZHOU_BBOX) -> bool:
    """Whether a point lies inside a (south, west, north, east) box."""
    south, west, north, east = bbox
    return south <= lat <= north and west <= lon <= east
