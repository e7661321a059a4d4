"""Fixed vocabularies of the synthetic world: regions, industries, names, lenders, courts.

Everything here is static data; the generator draws indices into these tuples.
"""

from __future__ import annotations

from typing import NamedTuple


class Region(NamedTuple):
    code: int  # GB/T 2260 administrative division code of the district / county-level city
    province: str
    city: str  # short city name used as the prefix of company names
    district: str
    court_prefix: str  # province abbreviation used in case numbers, e.g. 沪
    tier: int  # 1 = first-tier city, 2 = provincial capital / strong city, 3 = other
    weight: float  # share of enterprises registered there

    @property
    def municipality(self) -> bool:
        return self.province in ("北京市", "天津市", "上海市", "重庆市")

    @property
    def local_name(self) -> str:
        """City and district as written in addresses and court names, e.g. 苏州市吴中区."""
        if self.municipality:
            return self.province + self.district
        if self.district.endswith("市"):  # county-level city (昆山市) or city without districts
            return self.district
        return f"{self.city}市{self.district}"

    @property
    def full_name(self) -> str:
        """Province, city and district, e.g. 江苏省苏州市吴中区 or 上海市浦东新区."""
        if self.municipality:
            return self.local_name
        return self.province + self.local_name


REGIONS: tuple[Region, ...] = (
    Region(110105, "北京市", "北京", "朝阳区", "京", 1, 3.0),
    Region(110108, "北京市", "北京", "海淀区", "京", 1, 3.0),
    Region(110106, "北京市", "北京", "丰台区", "京", 1, 1.5),
    Region(120116, "天津市", "天津", "滨海新区", "津", 2, 2.0),
    Region(310115, "上海市", "上海", "浦东新区", "沪", 1, 3.5),
    Region(310112, "上海市", "上海", "闵行区", "沪", 1, 2.0),
    Region(310114, "上海市", "上海", "嘉定区", "沪", 1, 1.5),
    Region(310104, "上海市", "上海", "徐汇区", "沪", 1, 1.5),
    Region(320102, "江苏省", "南京", "玄武区", "苏", 2, 1.5),
    Region(320505, "江苏省", "苏州", "虎丘区", "苏", 2, 2.0),
    Region(320506, "江苏省", "苏州", "吴中区", "苏", 2, 2.0),
    Region(320583, "江苏省", "昆山", "昆山市", "苏", 2, 2.0),
    Region(320214, "江苏省", "无锡", "新吴区", "苏", 2, 1.5),
    Region(330106, "浙江省", "杭州", "西湖区", "浙", 2, 2.0),
    Region(330108, "浙江省", "杭州", "滨江区", "浙", 2, 1.5),
    Region(330212, "浙江省", "宁波", "鄞州区", "浙", 2, 2.0),
    Region(330782, "浙江省", "义乌", "义乌市", "浙", 3, 2.0),
    Region(340104, "安徽省", "合肥", "蜀山区", "皖", 2, 1.5),
    Region(350203, "福建省", "厦门", "思明区", "闽", 2, 1.5),
    Region(350582, "福建省", "晋江", "晋江市", "闽", 3, 1.5),
    Region(370102, "山东省", "济南", "历下区", "鲁", 2, 1.5),
    Region(370212, "山东省", "青岛", "崂山区", "鲁", 2, 1.5),
    Region(410105, "河南省", "郑州", "金水区", "豫", 2, 2.0),
    Region(420106, "湖北省", "武汉", "武昌区", "鄂", 2, 1.5),
    Region(420111, "湖北省", "武汉", "洪山区", "鄂", 2, 1.5),
    Region(430104, "湖南省", "长沙", "岳麓区", "湘", 2, 1.5),
    Region(440106, "广东省", "广州", "天河区", "粤", 1, 2.5),
    Region(440103, "广东省", "广州", "荔湾区", "粤", 1, 1.0),
    Region(440305, "广东省", "深圳", "南山区", "粤", 1, 2.5),
    Region(440306, "广东省", "深圳", "宝安区", "粤", 1, 2.5),
    Region(440307, "广东省", "深圳", "龙岗区", "粤", 1, 2.0),
    Region(441900, "广东省", "东莞", "东莞市", "粤", 2, 3.0),
    Region(440606, "广东省", "佛山", "顺德区", "粤", 2, 2.0),
    Region(500112, "重庆市", "重庆", "渝北区", "渝", 2, 2.0),
    Region(510107, "四川省", "成都", "武侯区", "川", 2, 2.0),
    Region(510104, "四川省", "成都", "锦江区", "川", 2, 1.0),
    Region(610113, "陕西省", "西安", "雁塔区", "陕", 2, 1.5),
    Region(530102, "云南省", "昆明", "五华区", "云", 3, 1.0),
    Region(450103, "广西壮族自治区", "南宁", "青秀区", "桂", 3, 1.0),
    Region(210102, "辽宁省", "沈阳", "和平区", "辽", 3, 1.0),
    Region(130102, "河北省", "石家庄", "长安区", "冀", 3, 1.0),
    Region(140105, "山西省", "太原", "小店区", "晋", 3, 1.0),
)

# Average monthly wage base (yuan) used for housing-fund contributions, by city tier.
WAGE_BASE_YUAN_BY_TIER = {1: 9800, 2: 7200, 3: 5600}


class Industry(NamedTuple):
    section: str  # GB/T 4754-2017 section (门类) letter
    name_zh: str
    name_en: str
    share: float  # default share of SMEs
    quality_effect: float  # shift of the latent health mean
    words: tuple[str, ...]  # industry words used in company names


INDUSTRIES: tuple[Industry, ...] = (
    Industry("C", "制造业", "Manufacturing", 0.26, 0.0,
             ("机械制造", "精密机械", "电子科技", "塑胶制品", "五金制品", "纺织", "服饰", "食品",
              "包装材料", "新材料", "汽车配件", "电气设备", "家具制造", "模具", "化工")),
    Industry("F", "批发和零售业", "Wholesale and retail trade", 0.28, -0.05,
             ("商贸", "贸易", "百货", "建材", "五金交电", "医药", "农产品", "电子商务", "日用品",
              "进出口")),
    Industry("E", "建筑业", "Construction", 0.08, -0.2,
             ("建筑工程", "建设工程", "装饰工程", "市政工程", "安装工程", "园林绿化工程",
              "幕墙工程")),
    Industry("G", "交通运输、仓储和邮政业", "Transport, storage and postal services", 0.06, -0.05,
             ("物流", "运输", "货运代理", "仓储", "冷链物流", "供应链管理")),
    Industry("I", "信息传输、软件和信息技术服务业", "Information technology services", 0.08, 0.05,
             ("信息技术", "网络科技", "软件", "数据科技", "智能科技", "通信技术")),
    Industry("M", "科学研究和技术服务业", "Scientific research and technical services", 0.06, 0.05,
             ("生物科技", "检测技术", "技术研发", "环保科技", "工程设计", "医疗科技")),
    Industry("H", "住宿和餐饮业", "Accommodation and catering", 0.07, -0.15,
             ("餐饮管理", "酒店管理", "餐饮", "食品小吃", "宾馆")),
    Industry("A", "农、林、牧、渔业", "Agriculture, forestry, animal husbandry and fishery", 0.04,
             -0.1, ("农业发展", "生态农业", "养殖", "种植", "农业科技", "水产")),
    Industry("L", "租赁和商务服务业", "Leasing and business services", 0.05, 0.0,
             ("企业管理咨询", "商务咨询", "广告", "人力资源", "设备租赁", "会展服务")),
    Industry("O", "居民服务、修理和其他服务业", "Resident services and repair", 0.02, -0.05,
             ("家政服务", "汽车维修", "美容美发", "洗涤服务", "家电维修")),
)  # fmt: skip

INDUSTRY_INDEX = {ind.section: i for i, ind in enumerate(INDUSTRIES)}

# Monthly sales seasonality (Jan..Dec): Spring Festival dip, year-end peak.
SALES_SEASONALITY = (0.95, 0.74, 1.0, 1.0, 1.0, 1.04, 0.98, 0.98, 1.03, 0.96, 1.07, 1.25)
# Climate (air-conditioning / heating) profile of electricity for offices and shops.
CLIMATE_SEASONALITY = (1.12, 1.05, 0.92, 0.88, 0.95, 1.08, 1.25, 1.28, 1.05, 0.9, 0.92, 1.05)

# Characters for 字号 (trade names): two (sometimes three) are combined.
TRADE_NAME_CHARS = tuple(
    dict.fromkeys(
        "华信恒达鑫源盛泰丰裕永通宏昌兴隆瑞祥金海天德安康博远中润嘉和新广明亿东方正宇辉佳乐晨创锦诚"
        "利旺顺合汇荣凯捷腾飞龙凤鸿坤振晟浩伟峰豪骏誉卓越星辰"
    )
)

SURNAMES = tuple(
    dict.fromkeys(
        "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
        "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
    )
)
# Rough frequency weights: the first surnames are far more common.
SURNAME_WEIGHTS = tuple(1.0 / (1.0 + i / 8.0) for i in range(len(SURNAMES)))

GIVEN_CHARS_MALE = tuple(
    dict.fromkeys("伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林阳建国志文海峰春雷")
)
GIVEN_CHARS_FEMALE = tuple(
    dict.fromkeys("芳娜敏静丽艳娟霞秀玲桂英慧莹雪琳晶燕萍红梅婷洁颖倩璐佳欣月蕾岚瑶玉兰凤")
)

ROADS = (
    "人民路", "中山路", "解放路", "建设路", "科技路", "创业大道", "工业园路", "兴业路", "长江路",
    "黄河路", "新华路", "和平路", "金融街", "产业园大道", "光明路", "振兴路", "滨河路", "文化路",
)  # fmt: skip

# Lenders that appear in credit-bureau reports (share weights).
LENDERS: tuple[tuple[str, float], ...] = (
    ("中国工商银行", 1.6), ("中国建设银行", 1.6), ("中国农业银行", 1.4), ("中国银行", 1.2),
    ("交通银行", 0.8), ("中国邮政储蓄银行", 0.9), ("招商银行", 0.9), ("浦发银行", 0.5),
    ("兴业银行", 0.5), ("中信银行", 0.5), ("民生银行", 0.5), ("平安银行", 0.6),
    ("北京银行", 0.3), ("上海银行", 0.3), ("江苏银行", 0.4), ("宁波银行", 0.4),
    ("杭州银行", 0.3), ("南京银行", 0.3), ("微众银行", 0.6), ("网商银行", 0.9),
    ("农村商业银行", 1.0), ("小额贷款公司", 0.4), ("融资租赁公司", 0.3),
)  # fmt: skip

ENTERPRISE_ACCOUNT_TYPES = ("working_capital_loan", "fixed_asset_loan", "trade_finance",
                            "bank_acceptance_bill")  # fmt: skip
ENTERPRISE_ACCOUNT_TYPE_WEIGHTS = (0.62, 0.12, 0.14, 0.12)
PERSON_ACCOUNT_TYPES = ("credit_card", "personal_business_loan", "mortgage", "consumer_loan")

LAWSUIT_CAUSES_DEFENDANT = (
    "买卖合同纠纷", "借款合同纠纷", "金融借款合同纠纷", "劳动争议", "建设工程施工合同纠纷",
    "租赁合同纠纷", "服务合同纠纷", "承揽合同纠纷", "民间借贷纠纷",
)  # fmt: skip
LAWSUIT_CAUSES_PLAINTIFF = ("买卖合同纠纷", "承揽合同纠纷", "服务合同纠纷", "票据追索权纠纷")

ABNORMAL_REASONS = (
    "未按照规定期限公示年度报告",
    "通过登记的住所或者经营场所无法联系",
    "公示企业信息隐瞒真实情况、弄虚作假",
    "未在责令的期限内公示有关企业信息",
)
