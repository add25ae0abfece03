//! Word lists the demo company is built from: places, company names, people, titles.
//!
//! Company and e-mail domains use the reserved `.example` top-level domain (RFC 2606) and
//! personal mailboxes `example.com/net/org`, so that a campaign or reminder sent from a
//! demo database can never reach a real mailbox.

/// A city customers are in: its picklist region, name, pinyin, phone area code and districts.
pub struct City {
    /// The `region` picklist value.
    pub region: &'static str,
    /// City name as written in addresses.
    pub name: &'static str,
    /// Short latin form, for domains.
    pub latin: &'static str,
    /// Landline area code (with its leading 0 for China; a country code abroad).
    pub area_code: &'static str,
    /// Districts (or streets abroad) used in addresses.
    pub districts: &'static [&'static str],
    /// Relative number of customers.
    pub weight: u32,
    /// Served by the East China team (else by the South China team).
    pub east: bool,
}

const fn city(
    region: &'static str,
    name: &'static str,
    latin: &'static str,
    area_code: &'static str,
    districts: &'static [&'static str],
    weight: u32,
    east: bool,
) -> City {
    City {
        region,
        name,
        latin,
        area_code,
        districts,
        weight,
        east,
    }
}

/// Chinese cities, weighted roughly by where small-business customers are.
#[rustfmt::skip]
pub const CITIES: &[City] = &[
    city("北京", "北京", "bj", "010", &["朝阳区", "海淀区", "东城区", "西城区", "丰台区", "大兴区"], 10, true),
    city("天津", "天津", "tj", "022", &["和平区", "河西区", "南开区", "滨海新区"], 3, true),
    city("上海", "上海", "sh", "021", &["浦东新区", "徐汇区", "静安区", "闵行区", "长宁区", "杨浦区"], 12, true),
    city("浙江", "杭州", "hz", "0571", &["西湖区", "滨江区", "余杭区", "拱墅区", "上城区"], 8, true),
    city("浙江", "宁波", "nb", "0574", &["鄞州区", "海曙区", "北仑区"], 4, true),
    city("浙江", "温州", "wz", "0577", &["鹿城区", "瓯海区", "龙湾区"], 3, true),
    city("江苏", "南京", "nj", "025", &["玄武区", "鼓楼区", "建邺区", "江宁区"], 5, true),
    city("江苏", "苏州", "su", "0512", &["工业园区", "姑苏区", "吴中区", "昆山市"], 7, true),
    city("江苏", "无锡", "wx", "0510", &["梁溪区", "滨湖区", "新吴区"], 3, true),
    city("安徽", "合肥", "hf", "0551", &["蜀山区", "包河区", "庐阳区"], 3, true),
    city("山东", "济南", "jn", "0531", &["历下区", "市中区", "槐荫区"], 3, true),
    city("山东", "青岛", "qd", "0532", &["市南区", "崂山区", "黄岛区"], 4, true),
    city("广东", "广州", "gz", "020", &["天河区", "越秀区", "海珠区", "番禺区", "白云区"], 10, false),
    city("广东", "深圳", "sz", "0755", &["南山区", "福田区", "宝安区", "龙岗区", "龙华区"], 12, false),
    city("广东", "东莞", "dg", "0769", &["南城街道", "松山湖", "长安镇", "虎门镇"], 5, false),
    city("广东", "佛山", "fs", "0757", &["禅城区", "南海区", "顺德区"], 4, false),
    city("福建", "厦门", "xm", "0592", &["思明区", "湖里区", "集美区"], 3, false),
    city("福建", "福州", "fz", "0591", &["鼓楼区", "台江区", "仓山区"], 2, false),
    city("四川", "成都", "cd", "028", &["武侯区", "锦江区", "高新区", "青羊区", "成华区"], 6, false),
    city("重庆", "重庆", "cq", "023", &["渝中区", "江北区", "九龙坡区", "渝北区"], 3, false),
    city("湖北", "武汉", "wh", "027", &["江汉区", "武昌区", "洪山区", "东湖高新区"], 4, false),
    city("湖南", "长沙", "cs", "0731", &["岳麓区", "芙蓉区", "天心区", "雨花区"], 3, false),
    city("河南", "郑州", "zz", "0371", &["金水区", "二七区", "郑东新区"], 3, false),
    city("陕西", "西安", "xa", "029", &["雁塔区", "碑林区", "未央区", "高新区"], 3, false),
];

/// A country abroad with English-named customers.
pub struct Country {
    /// The `region` picklist value.
    pub region: &'static str,
    /// City used in addresses.
    pub city: &'static str,
    /// Streets for addresses.
    pub streets: &'static [&'static str],
    /// Company-name suffix.
    pub suffixes: &'static [&'static str],
    /// Currency of credit limits.
    pub currency: &'static str,
    /// Given names of contacts.
    pub given_names: &'static [&'static str],
    /// Family names of contacts.
    pub surnames: &'static [&'static str],
    /// Office number pattern; each `#` becomes a random digit.
    pub landline: &'static str,
    /// Mobile number pattern, likewise.
    pub mobile: &'static str,
    /// Relative number of customers.
    pub weight: u32,
}

/// Overseas markets (served by the South China team).
pub const COUNTRIES: &[Country] = &[
    Country {
        region: "Singapore",
        city: "Singapore",
        streets: &[
            "Tai Seng Street",
            "Ubi Avenue 1",
            "Anson Road",
            "Kallang Way",
            "Science Park Drive",
        ],
        suffixes: &["Pte. Ltd."],
        currency: "SGD",
        given_names: &[
            "James", "Michelle", "Kevin", "Grace", "Daniel", "Rachel", "Jason", "Priya", "Marcus",
            "Wei Ling",
        ],
        surnames: &[
            "Tan", "Lim", "Lee", "Ng", "Ong", "Wong", "Goh", "Chua", "Koh", "Teo",
        ],
        landline: "+65 6### ####",
        mobile: "+65 9### ####",
        weight: 5,
    },
    Country {
        region: "Malaysia",
        city: "Kuala Lumpur",
        streets: &[
            "Jalan Ampang",
            "Jalan Sultan Ismail",
            "Jalan Tun Razak",
            "Jalan Bukit Bintang",
        ],
        suffixes: &["Sdn. Bhd."],
        currency: "MYR",
        given_names: &[
            "Ahmad", "Siti", "Nurul", "Jason", "Mei Ling", "Kumar", "Farah", "Daniel",
        ],
        surnames: &[
            "Tan", "Lim", "Abdullah", "Ismail", "Wong", "Chong", "Rahman",
        ],
        landline: "+60 3-#### ####",
        mobile: "+60 12-### ####",
        weight: 3,
    },
    Country {
        region: "United States",
        city: "San Jose, CA",
        streets: &[
            "N First Street",
            "Zanker Road",
            "Tasman Drive",
            "Great America Pkwy",
        ],
        suffixes: &["Inc.", "LLC"],
        currency: "USD",
        given_names: &[
            "David", "Sarah", "Michael", "Jennifer", "Emily", "Kevin", "Anna", "Robert", "Jessica",
            "Brian",
        ],
        surnames: &[
            "Smith", "Johnson", "Brown", "Miller", "Davis", "Garcia", "Chen", "Nguyen", "Patel",
            "Wilson",
        ],
        landline: "+1 408-###-####",
        mobile: "+1 669-###-####",
        weight: 3,
    },
    Country {
        region: "Germany",
        city: "München",
        streets: &[
            "Leopoldstraße",
            "Landsberger Straße",
            "Arnulfstraße",
            "Balanstraße",
        ],
        suffixes: &["GmbH"],
        currency: "EUR",
        given_names: &[
            "Lukas",
            "Sophie",
            "Thomas",
            "Anna",
            "Jonas",
            "Laura",
            "Felix",
            "Katharina",
        ],
        surnames: &[
            "Müller",
            "Schmidt",
            "Schneider",
            "Fischer",
            "Weber",
            "Wagner",
            "Becker",
        ],
        landline: "+49 89 #######",
        mobile: "+49 151 ########",
        weight: 2,
    },
];

/// An industry: its picklist value, the name endings of Chinese companies in it, English
/// name nouns, and what such customers buy.
pub struct Industry {
    /// The `industry` picklist value.
    pub value: &'static str,
    /// Name endings after city and trade name (`科技有限公司`, …).
    pub endings: &'static [&'static str],
    /// English name nouns.
    pub english: &'static [&'static str],
    /// The industry in English, for descriptions.
    pub english_name: &'static str,
    /// Short latin tag, for domains.
    pub tag: &'static str,
    /// What they buy from the demo company, for descriptions.
    pub buys: &'static [&'static str],
    /// The same in English.
    pub english_buys: &'static [&'static str],
    /// Relative number of customers.
    pub weight: u32,
}

/// The industries of the `industry` picklist, in picklist order.
pub const INDUSTRIES: &[Industry] = &[
    Industry {
        value: "制造业",
        endings: &[
            "机械制造有限公司",
            "精密机械有限公司",
            "电子有限公司",
            "模具有限公司",
            "汽车零部件有限公司",
            "新材料科技有限公司",
            "五金制品有限公司",
            "电气设备有限公司",
            "包装材料有限公司",
        ],
        english: &["Precision", "Components", "Manufacturing", "Industries"],
        english_name: "A manufacturing",
        tag: "mfg",
        buys: &["工业传感器", "PLC 控制柜", "备品备件", "MES 软件授权"],
        english_buys: &["industrial sensors", "PLC control cabinets", "spare parts"],
        weight: 22,
    },
    Industry {
        value: "软件和信息技术",
        endings: &[
            "网络科技有限公司",
            "信息技术有限公司",
            "软件有限公司",
            "数据科技有限公司",
            "智能科技有限公司",
            "云计算科技有限公司",
            "数字科技股份有限公司",
        ],
        english: &["Software", "Analytics", "Systems", "Digital"],
        english_name: "A software",
        tag: "tech",
        buys: &["服务器", "云主机", "正版软件授权", "技术支持服务"],
        english_buys: &["servers", "cloud hosting", "software licences"],
        weight: 18,
    },
    Industry {
        value: "批发零售",
        endings: &[
            "商贸有限公司",
            "贸易有限公司",
            "百货有限公司",
            "进出口贸易有限公司",
            "电子商务有限公司",
        ],
        english: &["Trading", "Supplies", "Distribution"],
        english_name: "A trading",
        tag: "trade",
        buys: &["收银系统", "门店耗材", "仓储设备"],
        english_buys: &["point-of-sale systems", "warehouse equipment"],
        weight: 15,
    },
    Industry {
        value: "金融",
        endings: &[
            "投资管理有限公司",
            "融资租赁有限公司",
            "保险代理有限公司",
            "资产管理有限公司",
        ],
        english: &["Capital", "Financial", "Partners"],
        english_name: "A financial services",
        tag: "fin",
        buys: &["安全审计服务", "办公设备", "数据备份方案"],
        english_buys: &["security audits", "backup solutions"],
        weight: 5,
    },
    Industry {
        value: "医疗健康",
        endings: &[
            "医疗器械有限公司",
            "生物科技有限公司",
            "医药有限公司",
            "健康管理有限公司",
        ],
        english: &["Medical", "Biotech", "Healthcare"],
        english_name: "A healthcare",
        tag: "med",
        buys: &["冷链设备", "检测耗材", "信息化系统"],
        english_buys: &["cold-chain equipment", "lab consumables"],
        weight: 8,
    },
    Industry {
        value: "教育",
        endings: &[
            "教育科技有限公司",
            "职业培训学校",
            "文化传播有限公司",
            "教育咨询有限公司",
        ],
        english: &["Learning", "Education"],
        english_name: "An education",
        tag: "edu",
        buys: &["教室多媒体设备", "在线课堂平台", "笔记本电脑"],
        english_buys: &["classroom AV equipment", "laptops"],
        weight: 6,
    },
    Industry {
        value: "建筑",
        endings: &[
            "建设工程有限公司",
            "建筑装饰工程有限公司",
            "建材有限公司",
            "工程设计有限公司",
        ],
        english: &["Construction", "Engineering", "Builders"],
        english_name: "A construction",
        tag: "build",
        buys: &["工程项目管理软件", "测量仪器", "安全防护用品"],
        english_buys: &["surveying instruments", "project management software"],
        weight: 8,
    },
    Industry {
        value: "物流",
        endings: &[
            "物流有限公司",
            "供应链管理有限公司",
            "国际货运代理有限公司",
            "快运有限公司",
        ],
        english: &["Logistics", "Freight", "Supply Chain"],
        english_name: "A logistics",
        tag: "log",
        buys: &["车载终端", "仓储管理系统", "手持扫码枪"],
        english_buys: &["vehicle terminals", "handheld scanners"],
        weight: 8,
    },
    Industry {
        value: "餐饮酒店",
        endings: &["餐饮管理有限公司", "食品有限公司", "酒店管理有限公司"],
        english: &["Hospitality", "Foods"],
        english_name: "A hospitality",
        tag: "food",
        buys: &["点餐系统", "厨房设备", "会员营销服务"],
        english_buys: &["ordering systems", "kitchen equipment"],
        weight: 5,
    },
    Industry {
        value: "能源化工",
        endings: &[
            "新能源科技有限公司",
            "化工有限公司",
            "环保科技有限公司",
            "电力设备有限公司",
        ],
        english: &["Energy", "Chemicals", "Power"],
        english_name: "An energy",
        tag: "energy",
        buys: &["在线监测设备", "防爆终端", "能耗管理系统"],
        english_buys: &["monitoring equipment", "energy management systems"],
        weight: 5,
    },
];

/// Trade names (字号) of Chinese companies, with pinyin for their domains.
#[rustfmt::skip]
pub const TRADE_NAMES: &[(&str, &str)] = &[
    ("华信", "huaxin"), ("恒通", "hengtong"), ("鼎盛", "dingsheng"), ("金桥", "jinqiao"), ("瑞丰", "ruifeng"),
    ("新元", "xinyuan"), ("宏达", "hongda"), ("天成", "tiancheng"), ("中联", "zhonglian"), ("博远", "boyuan"),
    ("汇通", "huitong"), ("星河", "xinghe"), ("嘉禾", "jiahe"), ("蓝海", "lanhai"), ("凯瑞", "kairui"),
    ("永盛", "yongsheng"), ("锦程", "jincheng"), ("和信", "hexin"), ("海纳", "haina"), ("明远", "mingyuan"),
    ("德润", "derun"), ("启航", "qihang"), ("卓越", "zhuoyue"), ("同创", "tongchuang"), ("伟业", "weiye"),
    ("鑫源", "xinyuan"), ("安泰", "antai"), ("联创", "lianchuang"), ("思远", "siyuan"), ("恒信", "hengxin"),
    ("泰和", "taihe"), ("银河", "yinhe"), ("东升", "dongsheng"), ("丰源", "fengyuan"), ("云帆", "yunfan"),
    ("聚力", "juli"), ("华创", "huachuang"), ("百川", "baichuan"), ("盛世", "shengshi"), ("合力", "heli"),
    ("优品", "youpin"), ("精诚", "jingcheng"), ("万隆", "wanlong"), ("中天", "zhongtian"), ("远航", "yuanhang"),
    ("佳禾", "jiahe"), ("润泽", "runze"), ("宏图", "hongtu"), ("晶科", "jingke"), ("创新", "chuangxin"),
    ("金鼎", "jinding"), ("华盛", "huasheng"), ("新锐", "xinrui"), ("达通", "datong"), ("恒昌", "hengchang"),
    ("兴业", "xingye"), ("瑞景", "ruijing"), ("天润", "tianrun"), ("英华", "yinghua"), ("志诚", "zhicheng"),
    ("长荣", "changrong"), ("方圆", "fangyuan"), ("科达", "keda"), ("双赢", "shuangying"), ("顺达", "shunda"),
    ("福瑞", "furui"), ("宝丰", "baofeng"), ("美嘉", "meijia"), ("利华", "lihua"), ("骏马", "junma"),
];

/// First words of English company names.
#[rustfmt::skip]
pub const ENGLISH_PREFIXES: &[&str] = &[
    "Blue Harbor", "Northstar", "Silverline", "Redwood", "Pacific Rim", "Lion City", "Orchid", "Summit",
    "Evergreen", "Brightpath", "Meridian", "Crescent", "Skyline", "Golden Gate", "Alpine", "Rhine Valley",
];

/// Common Chinese family names with pinyin, most common first (weights by rank).
#[rustfmt::skip]
pub const SURNAMES: &[(&str, &str)] = &[
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"), ("赵", "zhao"),
    ("黄", "huang"), ("周", "zhou"), ("吴", "wu"), ("徐", "xu"), ("孙", "sun"), ("胡", "hu"), ("朱", "zhu"),
    ("高", "gao"), ("林", "lin"), ("何", "he"), ("郭", "guo"), ("马", "ma"), ("罗", "luo"), ("梁", "liang"),
    ("宋", "song"), ("郑", "zheng"), ("谢", "xie"), ("韩", "han"), ("唐", "tang"), ("冯", "feng"), ("于", "yu"),
    ("董", "dong"), ("程", "cheng"), ("曹", "cao"), ("袁", "yuan"), ("邓", "deng"), ("许", "xu"), ("傅", "fu"),
    ("沈", "shen"), ("曾", "zeng"), ("彭", "peng"), ("吕", "lv"), ("欧阳", "ouyang"),
];

/// Given names with pinyin: one character (making two-character full names such as 张伟
/// and 王芳) and two characters.
#[rustfmt::skip]
pub const GIVEN_NAMES: &[(&str, &str)] = &[
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"), ("强", "qiang"),
    ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"), ("艳", "yan"), ("杰", "jie"), ("娟", "juan"),
    ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("霞", "xia"), ("平", "ping"), ("刚", "gang"), ("辉", "hui"),
    ("鹏", "peng"), ("华", "hua"), ("飞", "fei"), ("鑫", "xin"), ("波", "bo"), ("斌", "bin"), ("宇", "yu"),
    ("浩", "hao"), ("凯", "kai"), ("健", "jian"), ("帆", "fan"), ("旭", "xu"), ("宁", "ning"), ("琳", "lin"),
    ("建华", "jianhua"), ("建国", "jianguo"), ("志强", "zhiqiang"), ("秀英", "xiuying"), ("桂英", "guiying"),
    ("晓明", "xiaoming"), ("小红", "xiaohong"), ("海燕", "haiyan"), ("丽娟", "lijuan"), ("玉兰", "yulan"),
    ("婷婷", "tingting"), ("子涵", "zihan"), ("雨萱", "yuxuan"), ("浩然", "haoran"), ("欣怡", "xinyi"),
    ("文博", "wenbo"), ("佳怡", "jiayi"), ("一鸣", "yiming"), ("俊杰", "junjie"), ("梓轩", "zixuan"),
    ("明轩", "mingxuan"), ("晓东", "xiaodong"), ("春梅", "chunmei"), ("建军", "jianjun"), ("国强", "guoqiang"),
];

/// Streets in Chinese addresses.
#[rustfmt::skip]
pub const ROADS: &[&str] = &[
    "人民路", "中山路", "建设路", "解放路", "科技园路", "长江路", "和平路", "滨江大道", "创业路", "文化路",
    "新华路", "工业大道", "学府路", "金融街", "高新大道", "东风路",
];

/// Buildings in Chinese addresses.
#[rustfmt::skip]
pub const BUILDINGS: &[&str] = &["科技大厦", "国际中心", "创业园", "商务中心", "产业园", "金融广场", "软件园"];

/// (title, department) of the person a company's contacts report to.
#[rustfmt::skip]
pub const BOSS_TITLES: &[(&str, &str)] = &[("总经理", "总经办"), ("董事长", "董事会"), ("总裁", "总裁办"), ("创始人兼CEO", "总经办")];

/// (title, department) of other contacts at Chinese companies.
#[rustfmt::skip]
pub const STAFF_TITLES: &[(&str, &str)] = &[
    ("副总经理", "总经办"), ("采购经理", "采购部"), ("采购专员", "采购部"), ("财务总监", "财务部"),
    ("财务经理", "财务部"), ("技术总监", "技术部"), ("CTO", "技术部"), ("IT经理", "信息部"),
    ("行政主管", "行政部"), ("运营经理", "运营部"), ("项目经理", "项目部"), ("人力资源经理", "人力资源部"),
];

/// (title, department) of the first contact at an overseas company.
#[rustfmt::skip]
pub const ENGLISH_BOSS_TITLES: &[(&str, &str)] = &[("CEO", "Management"), ("Managing Director", "Management"), ("General Manager", "Management")];

/// (title, department) of other contacts at overseas companies.
#[rustfmt::skip]
pub const ENGLISH_STAFF_TITLES: &[(&str, &str)] = &[
    ("Procurement Manager", "Procurement"), ("CFO", "Finance"), ("CTO", "Technology"), ("IT Manager", "IT"),
    ("Operations Manager", "Operations"), ("Finance Manager", "Finance"), ("Purchasing Executive", "Procurement"),
];

/// Mobile number prefixes in use in China.
#[rustfmt::skip]
pub const MOBILE_PREFIXES: &[&str] = &[
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155", "156", "157", "158",
    "159", "166", "176", "177", "180", "181", "182", "183", "185", "186", "187", "188", "189", "191", "198", "199",
];

/// Notes about contacts.
pub const CONTACT_NOTES: &[&str] = &[
    "关键决策人，重视售后响应速度。",
    "负责年度采购预算，每年三月做预算。",
    "喜欢喝茶，周末常打羽毛球。",
    "技术出身，沟通时多准备参数资料。",
    "习惯微信沟通，工作日晚上回复较快。",
    "上次拜访时提到明年扩产计划。",
];

/// Notes about overseas contacts.
pub const ENGLISH_CONTACT_NOTES: &[&str] = &[
    "Decision maker; prefers a short call before any proposal.",
    "Prefers e-mail; based in the regional head office.",
    "Asked for a quotation in local currency.",
];

/// Extra sentences of customer descriptions.
pub const DESCRIPTION_REMARKS: &[&str] = &[
    "对价格较敏感，决策周期较长。",
    "年度框架合同，每季度对账。",
    "关注售后服务响应速度。",
    "有意向扩大合作范围，可推荐新产品。",
    "付款及时，信用良好。",
    "由老客户介绍，关系较好。",
];
