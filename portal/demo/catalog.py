"""Invented names, identifiers and texts for demo data (nothing here describes a real body)."""

import random

from stdnum.cn import uscc

from ..outfalls.models import CategoryL1, CategoryL2

# HJ 1235 type names used at the end of outfall names.
TYPE_NAMES: dict[CategoryL2 | None, str] = {
    CategoryL2.gy_enterprise: "工矿企业排污口",
    CategoryL2.gy_park_wwtp: "工业及其他各类园区污水处理厂排污口",
    CategoryL2.gy_enterprise_storm: "工矿企业雨洪排口",
    CategoryL2.gy_park_storm: "园区污水处理厂雨洪排口",
    CategoryL2.sh_wwtp: "城镇污水处理厂排污口",
    CategoryL2.ny_livestock: "规模化畜禽养殖排口",
    CategoryL2.ny_aquaculture: "规模化水产养殖排口",
    CategoryL2.yh_storm: "城镇雨洪排口",
    CategoryL2.qt_irrigation: "大中型灌区排口",
    CategoryL2.qt_port: "港口码头排口",
    CategoryL2.qt_small_livestock: "规模以下畜禽养殖排口",
    CategoryL2.qt_small_aquaculture: "规模以下水产养殖排口",
    CategoryL2.qt_urban_scattered: "城镇生活污水散排口",
    CategoryL2.qt_rural_facility: "农村污水处理设施排口",
    CategoryL2.qt_rural_scattered: "农村生活污水散排口",
    CategoryL2.qt_other: "其他排口",
}
# When the second level is not yet determinable (暂无法确定), the name carries the first.
L1_NAMES = {
    CategoryL1.GY: "工业排污口",
    CategoryL1.SH: "城镇污水处理厂排污口",
    CategoryL1.NY: "农业排口",
    CategoryL1.YH: "城镇雨洪排口",
    CategoryL1.QT: "其他排口",
}


def type_name(l1: CategoryL1, l2: CategoryL2 | None) -> str:
    """The HJ 1235 type name that ends an outfall's name."""
    return TYPE_NAMES[l2] if l2 is not None else L1_NAMES[l1]


VILLAGE_STEMS = (
    "那桐", "那雾", "那香", "那楼", "大塘", "新兴", "石龙", "六湖", "坡心", "旧圩",
    "马鞍", "长垌", "沙坪", "水井", "龙塘", "南山", "高岭", "上垌", "下垌", "平山",
    "竹山", "岭头", "山口", "江口", "塘底", "河背", "石桥", "联合", "红星", "东风",
    "老屋", "榕树", "荔枝", "横岭", "凤凰", "鹿井", "白沙", "黄竹", "木棉", "高塘",
    "深塘", "冲口", "企石", "樟木", "谭屋", "陈屋", "黄屋", "团结", "福田", "合水",
)  # fmt: skip

BRANDS = (
    "瑞丰", "恒信", "鑫源", "华港", "润泽", "金湾", "宏达", "泰和", "兴旺", "海盛",
    "永联", "锦程", "博瑞", "汇通", "德润", "嘉禾", "正源", "远洋", "天成", "合利",
    "新桂", "海韵", "富民", "益康", "立信", "安宏", "联泰", "信达", "昌隆", "百盛",
    "荣升", "腾越", "凯晟", "佳禾", "明辉", "华锐", "东升", "盛达", "丰泽", "桂湾",
    "南港", "晨光", "绿源", "粤桂", "万顺", "星海", "中盛", "蓝湾", "众信", "启航",
)  # fmt: skip

# (industry per GB/T 4754, product word used in company names)
RIVER_INDUSTRIES = (
    ("农副食品加工业", "糖业"),
    ("农副食品加工业", "食品"),
    ("农副食品加工业", "粮油"),
    ("非金属矿物制品业", "陶瓷"),
    ("非金属矿物制品业", "坭兴陶艺"),
    ("非金属矿物制品业", "建材"),
    ("木材加工和木、竹、藤、棕、草制品业", "木业"),
    ("化学原料和化学制品制造业", "化工"),
    ("医药制造业", "制药"),
    ("酒、饮料和精制茶制造业", "酒业"),
    ("金属制品业", "金属制品"),
    ("造纸和纸制品业", "纸业"),
    ("纺织服装、服饰业", "服饰"),
)
SEA_INDUSTRIES = (
    ("石油、煤炭及其他燃料加工业", "石化"),
    ("化学原料和化学制品制造业", "化工"),
    ("化学原料和化学制品制造业", "新材料"),
    ("农副食品加工业", "粮油"),
    ("农副食品加工业", "水产品加工"),
    ("造纸和纸制品业", "浆纸"),
    ("铁路、船舶、航空航天和其他运输设备制造业", "船舶修造"),
    ("电力、热力生产和供应业", "能源"),
)
LABS = ("广西蓝湾检测技术有限公司", "钦州市清源环境检测有限公司", "广西桂南环境监测有限公司")
SUPERVISORY_LAB_RIVER = "钦州市生态环境监测站"
SUPERVISORY_LAB_SEA = "钦州市海洋环境监测站"

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _org_check(body: str) -> str:
    """GB 11714 check character of an 8-character organisation code body."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(
        (int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(body, weights, strict=True)
    )
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def credit_code(rng: random.Random, kind: str, region: str, used: set[str]) -> str:
    """A fresh, valid 统一社会信用代码; kind is the first two characters (e.g. "91")."""
    while True:
        if rng.random() < 0.7:
            body = "MA5" + "".join(rng.choice(_USCC_ALPHABET) for _ in range(5))
        else:
            body = "".join(rng.choice("0123456789") for _ in range(8))
        stem = f"{kind}{region}{body}{_org_check(body)}"
        code = stem + uscc.calc_check_digit(stem)
        if code not in used:
            used.add(code)
            return code


def phone(rng: random.Random) -> str:
    """A Qinzhou-style fixed-line number: area code 0777, seven digits starting 2–8."""
    return f"0777-{rng.randint(2, 8)}{rng.randint(0, 999999):06d}"


MEASURES: dict[str, tuple[str, ...]] = {
    "regularise": (
        "拆除私设暗管及违规接入的支管",
        "设置规范化检查井和采样点",
        "安装排污口标识牌（含二维码）",
        "修复破损老化的排污管道",
        "清理排污口周边淤积，疏通排水通道",
        "完善在线监测设施并与生态环境部门联网",
        "调整排污口位置，避开行洪主槽和堤防薄弱段",
        "落实雨污分流，封堵错接混接管道",
    ),
    "merge": (
        "敷设截污管道，污水接入市政污水管网",
        "污水纳入园区污水处理厂集中处理",
        "原排污口封堵并拆除排放设施",
        "实施雨污分流改造",
        "连片养殖尾水统一收集处理后经统一排口排放",
    ),
    "ban": (
        "依法下达取缔通知书",
        "拆除排污设施并封堵排口",
        "拆除私设暗管",
        "对周边水体开展跟踪监测",
    ),
    "retain": (
        "核实排污口设置合规、排放达标",
        "安装规范化标识牌（含二维码）",
        "设置采样点和检查井",
        "纳入保留排污口清单，实施日常监管",
    ),
}
TYPE_MEASURES: dict[str, str] = {
    "storm": "开展旱天排水溯源排查，封堵错接入雨水管网的生活污水管",
    "ny_aquaculture": "建设养殖尾水处理设施（沉淀池＋生态净化塘）",
    "qt_small_aquaculture": "建设养殖尾水处理设施（沉淀池＋生态净化塘）",
    "ny_livestock": "完善粪污资源化利用设施，严禁养殖废水直排",
    "qt_small_livestock": "完善粪污收集贮存设施，严禁养殖废水直排",
    "qt_rural_scattered": "建设村级污水处理设施，实现生活污水集中收集处理",
    "qt_port": "完善码头初期雨水和含油污水收集处理设施",
}
MILESTONES: dict[str, tuple[str, ...]] = {
    "regularise": ("拆除私设暗管", "设置规范化检查井", "安装标识牌", "整治效果监测"),
    "merge": ("敷设截污管道", "接入市政污水管网", "原排口封堵", "现场核查"),
    "ban": ("下达取缔通知", "拆除排污管道", "排口封堵", "现场核查"),
    "retain": ("安装标识牌", "设置采样点", "纳入保留排污口清单"),
}
BAN_REASONS = (
    "位于饮用水水源保护区内",
    "位于茅尾海红树林自然保护区范围内",
    "位于生态保护红线范围内，依法予以取缔",
)
