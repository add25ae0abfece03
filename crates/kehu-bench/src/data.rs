//! Realistic generated customers and contacts: Chinese and English company and person
//! names, phones, e-mails, provinces and cities, levels, lifecycle stages and owners.
//!
//! Everything is drawn from a seeded generator, so a given `--seed` always gives the same
//! data set. Every row of an entity sets the same fields (absent values as NULL), so that
//! `records::bulk_insert` can put a whole chunk into one multi-row statement.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use kehu_core::entity::{FieldDef, ACCOUNT, CONTACT};
use kehu_core::FieldValue;
use kehu_db::records::BulkRow;
use rand::rngs::StdRng;
use rand::Rng;
use serde_json::{Map, Value as Json};

/// A city customers are in: its `region` picklist value, name, latin short form for
/// domains, landline area code and districts.
pub struct City {
    pub region: &'static str,
    pub name: &'static str,
    pub latin: &'static str,
    pub area_code: &'static str,
    pub districts: &'static [&'static str],
    pub weight: u32,
}

const fn city(
    region: &'static str,
    name: &'static str,
    latin: &'static str,
    area_code: &'static str,
    districts: &'static [&'static str],
    weight: u32,
) -> City {
    City {
        region,
        name,
        latin,
        area_code,
        districts,
        weight,
    }
}

#[rustfmt::skip]
pub const CITIES: &[City] = &[
    city("北京", "北京", "bj", "010", &["朝阳区", "海淀区", "东城区", "西城区", "丰台区", "大兴区"], 10),
    city("天津", "天津", "tj", "022", &["和平区", "河西区", "南开区", "滨海新区"], 3),
    city("上海", "上海", "sh", "021", &["浦东新区", "徐汇区", "静安区", "闵行区", "长宁区", "杨浦区"], 12),
    city("浙江", "杭州", "hz", "0571", &["西湖区", "滨江区", "余杭区", "拱墅区", "上城区"], 8),
    city("浙江", "宁波", "nb", "0574", &["鄞州区", "海曙区", "北仑区"], 4),
    city("浙江", "温州", "wz", "0577", &["鹿城区", "瓯海区", "龙湾区"], 3),
    city("江苏", "南京", "nj", "025", &["玄武区", "鼓楼区", "建邺区", "江宁区"], 5),
    city("江苏", "苏州", "su", "0512", &["工业园区", "姑苏区", "吴中区", "昆山市"], 7),
    city("江苏", "无锡", "wx", "0510", &["梁溪区", "滨湖区", "新吴区"], 3),
    city("安徽", "合肥", "hf", "0551", &["蜀山区", "包河区", "庐阳区"], 3),
    city("山东", "济南", "jn", "0531", &["历下区", "市中区", "槐荫区"], 3),
    city("山东", "青岛", "qd", "0532", &["市南区", "崂山区", "黄岛区"], 4),
    city("广东", "广州", "gz", "020", &["天河区", "越秀区", "海珠区", "番禺区", "白云区"], 10),
    city("广东", "深圳", "sz", "0755", &["南山区", "福田区", "宝安区", "龙岗区", "龙华区"], 12),
    city("广东", "东莞", "dg", "0769", &["南城街道", "松山湖", "长安镇", "虎门镇"], 5),
    city("广东", "佛山", "fs", "0757", &["禅城区", "南海区", "顺德区"], 4),
    city("福建", "厦门", "xm", "0592", &["思明区", "湖里区", "集美区"], 3),
    city("福建", "福州", "fz", "0591", &["鼓楼区", "台江区", "仓山区"], 2),
    city("四川", "成都", "cd", "028", &["武侯区", "锦江区", "高新区", "青羊区", "成华区"], 6),
    city("重庆", "重庆", "cq", "023", &["渝中区", "江北区", "九龙坡区", "渝北区"], 3),
    city("湖北", "武汉", "wh", "027", &["江汉区", "武昌区", "洪山区", "东湖高新区"], 4),
    city("湖南", "长沙", "cs", "0731", &["岳麓区", "芙蓉区", "天心区", "雨花区"], 3),
    city("河南", "郑州", "zz", "0371", &["金水区", "二七区", "郑东新区"], 3),
    city("陕西", "西安", "xa", "029", &["雁塔区", "碑林区", "未央区", "高新区"], 3),
];

/// Cities abroad, for the English-named customers (region `海外`).
const ABROAD: &[(&str, &str, &str)] = &[
    ("Singapore", "+65", "Orchard Road"),
    ("London", "+44 20", "King Street"),
    ("Sydney", "+61 2", "George Street"),
    ("Los Angeles", "+1 213", "Main Street"),
    ("Hamburg", "+49 40", "Hafenstrasse"),
    ("Kuala Lumpur", "+60 3", "Jalan Ampang"),
];

/// First and second characters of Chinese trade names (字号), with pinyin.
#[rustfmt::skip]
const BRAND_FIRST: &[(&str, &str)] = &[
    ("华", "hua"), ("恒", "heng"), ("鼎", "ding"), ("金", "jin"), ("瑞", "rui"), ("新", "xin"),
    ("东", "dong"), ("宏", "hong"), ("天", "tian"), ("中", "zhong"), ("博", "bo"), ("盛", "sheng"),
    ("永", "yong"), ("嘉", "jia"), ("海", "hai"), ("德", "de"), ("安", "an"), ("联", "lian"),
    ("汇", "hui"), ("兴", "xing"), ("宇", "yu"), ("凯", "kai"), ("思", "si"), ("创", "chuang"),
    ("明", "ming"), ("远", "yuan"), ("国", "guo"), ("长", "chang"), ("正", "zheng"), ("同", "tong"),
];
#[rustfmt::skip]
const BRAND_SECOND: &[(&str, &str)] = &[
    ("信", "xin"), ("通", "tong"), ("盛", "sheng"), ("桥", "qiao"), ("丰", "feng"), ("元", "yuan"),
    ("方", "fang"), ("达", "da"), ("成", "cheng"), ("泰", "tai"), ("源", "yuan"), ("润", "run"),
    ("辉", "hui"), ("航", "hang"), ("拓", "tuo"), ("美", "mei"), ("诚", "cheng"), ("智", "zhi"),
    ("鑫", "xin"), ("隆", "long"), ("昌", "chang"), ("宝", "bao"), ("利", "li"), ("和", "he"),
];

/// Company name endings and the industry they belong to.
#[rustfmt::skip]
const TRADES: &[(&str, &str)] = &[
    ("科技有限公司", "软件"), ("信息技术有限公司", "软件"), ("网络科技有限公司", "软件"),
    ("电子科技有限公司", "制造"), ("机械制造有限公司", "制造"), ("实业有限公司", "制造"),
    ("精密制造有限公司", "制造"), ("贸易有限公司", "贸易"), ("商贸有限公司", "贸易"),
    ("进出口有限公司", "贸易"), ("国际贸易有限公司", "贸易"), ("物流有限公司", "物流"),
    ("供应链管理有限公司", "物流"), ("餐饮管理有限公司", "餐饮"), ("食品有限公司", "零售"),
    ("服装有限公司", "零售"), ("超市有限公司", "零售"), ("建筑工程有限公司", "建筑"),
    ("装饰工程有限公司", "建筑"), ("医疗器械有限公司", "医疗"), ("生物科技有限公司", "医疗"),
    ("教育科技有限公司", "教育"), ("文化传媒有限公司", "传媒"), ("投资管理有限公司", "金融"),
];

#[rustfmt::skip]
const SURNAMES: &[(&str, &str, u32)] = &[
    ("王", "wang", 8), ("李", "li", 8), ("张", "zhang", 8), ("刘", "liu", 6), ("陈", "chen", 6),
    ("杨", "yang", 4), ("黄", "huang", 3), ("赵", "zhao", 3), ("吴", "wu", 3), ("周", "zhou", 3),
    ("徐", "xu", 2), ("孙", "sun", 2), ("马", "ma", 2), ("朱", "zhu", 2), ("胡", "hu", 2),
    ("郭", "guo", 2), ("何", "he", 2), ("高", "gao", 2), ("林", "lin", 2), ("罗", "luo", 2),
    ("郑", "zheng", 1), ("梁", "liang", 1), ("谢", "xie", 1), ("宋", "song", 1), ("唐", "tang", 1),
    ("韩", "han", 1), ("冯", "feng", 1), ("邓", "deng", 1), ("曹", "cao", 1), ("欧阳", "ouyang", 1),
];

#[rustfmt::skip]
const GIVEN_NAMES: &[(&str, &str)] = &[
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"),
    ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"), ("艳", "yan"),
    ("杰", "jie"), ("娟", "juan"), ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("秀英", "xiuying"),
    ("霞", "xia"), ("平", "ping"), ("刚", "gang"), ("桂英", "guiying"), ("建华", "jianhua"),
    ("建国", "jianguo"), ("晓东", "xiaodong"), ("丹", "dan"), ("鹏", "peng"), ("浩然", "haoran"),
    ("子涵", "zihan"), ("欣怡", "xinyi"), ("雨轩", "yuxuan"), ("宇航", "yuhang"), ("思远", "siyuan"),
    ("佳琪", "jiaqi"), ("俊杰", "junjie"), ("婷", "ting"), ("玲", "ling"), ("斌", "bin"),
    ("海燕", "haiyan"), ("志强", "zhiqiang"),
];

const EN_FIRST: &[&str] = &[
    "John", "Mary", "David", "Sarah", "Michael", "Emma", "James", "Linda", "Robert", "Anna",
    "Peter", "Laura", "Thomas", "Susan", "Daniel", "Olivia",
];
const EN_LAST: &[&str] = &[
    "Smith", "Johnson", "Brown", "Taylor", "Miller", "Wilson", "Moore", "Anderson", "Thomas",
    "Jackson", "White", "Harris", "Martin", "Clark", "Lewis", "Walker",
];
const EN_BRANDS: &[&str] = &[
    "Northwind",
    "Bluestone",
    "Evergreen",
    "Silverline",
    "Redwood",
    "Summit",
    "Harbor",
    "Pioneer",
    "Atlas",
    "Crescent",
    "Maple",
    "Orion",
    "Lighthouse",
    "Keystone",
    "Riverside",
    "Golden Gate",
];
const EN_TRADES: &[(&str, &str)] = &[
    ("Trading Ltd", "贸易"),
    ("Logistics Inc", "物流"),
    ("Electronics Co.", "制造"),
    ("Foods Ltd", "零售"),
    ("Software GmbH", "软件"),
    ("Industries Pte Ltd", "制造"),
    ("Medical Supplies Ltd", "医疗"),
];

#[rustfmt::skip]
const TITLES: &[(&str, &str)] = &[
    ("总经理", "总经办"), ("副总经理", "总经办"), ("董事长", "总经办"), ("采购经理", "采购部"),
    ("采购专员", "采购部"), ("销售总监", "市场部"), ("市场经理", "市场部"), ("财务经理", "财务部"),
    ("会计", "财务部"), ("技术总监", "技术部"), ("IT主管", "技术部"), ("行政主管", "行政部"),
    ("项目经理", "运营部"), ("运营经理", "运营部"),
];
const EN_TITLES: &[(&str, &str)] = &[
    ("CEO", "Management"),
    ("Purchasing Manager", "Purchasing"),
    ("Buyer", "Purchasing"),
    ("CFO", "Finance"),
    ("IT Manager", "IT"),
    ("Operations Manager", "Operations"),
];

/// Picklist values the generated records use: (list, values).
pub const PICKLISTS: &[(&str, &[&str])] = &[
    (
        "industry",
        &[
            "软件", "制造", "贸易", "物流", "餐饮", "零售", "建筑", "医疗", "教育", "传媒", "金融",
        ],
    ),
    ("level", &["VIP", "重要", "普通"]),
    ("category", &["大客户", "中小企业", "个人客户"]),
    (
        "source",
        &["展会", "官网", "转介绍", "电话营销", "渠道", "广告"],
    ),
    (
        "region",
        &[
            "北京", "天津", "上海", "浙江", "江苏", "安徽", "山东", "广东", "福建", "四川", "重庆",
            "湖北", "湖南", "河南", "陕西", "海外",
        ],
    ),
];

const SOURCES: &[&str] = &["展会", "官网", "转介绍", "电话营销", "渠道", "广告"];
const TAGS: &[&str] = &[
    "老客户",
    "重点跟进",
    "渠道",
    "年度框架",
    "需回访",
    "招投标",
    "价格敏感",
];
const DESCRIPTIONS: &[&str] = &[
    "主要采购服务器和网络设备，年采购额约三百万元。",
    "通过展会认识，对云服务和数据备份方案感兴趣。",
    "老客户转介绍，关注售后响应速度。",
    "年度框架协议客户，每季度下单。",
    "Prefers quotes in USD; decisions are made at head office.",
];

/// What contacts need to know about their customer.
#[derive(Debug, Clone)]
pub struct AccountInfo {
    /// The customer's id (set once it is inserted).
    pub id: i64,
    /// The owner (contacts get the same owner).
    pub owner_id: i64,
    /// When the customer was created.
    pub created_at: DateTime<Utc>,
    /// Mail domain of the customer.
    pub domain: String,
    /// English-speaking customer.
    pub english: bool,
}

/// Picks an element by weight.
fn weighted<'a, T>(rng: &mut StdRng, items: &'a [T], weight: impl Fn(&T) -> u32) -> &'a T {
    let total: u32 = items.iter().map(&weight).sum();
    let mut pick = rng.gen_range(0..total);
    for item in items {
        let w = weight(item);
        if pick < w {
            return item;
        }
        pick -= w;
    }
    &items[items.len() - 1]
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.gen_range(0..items.len())]
}

fn f(entity: &'static kehu_core::entity::EntityDef, name: &str) -> &'static FieldDef {
    entity
        .field(name)
        .unwrap_or_else(|| panic!("{} has no field {name}", entity.name))
}

fn text(s: impl Into<String>) -> FieldValue {
    FieldValue::Text(s.into())
}

fn opt_text(s: Option<String>) -> FieldValue {
    s.map_or(FieldValue::Null, FieldValue::Text)
}

/// A mainland mobile number written the usual way, e.g. `138 1234 5678`.
fn mobile(rng: &mut StdRng) -> String {
    let prefix = *pick(
        rng,
        &[
            "130", "133", "135", "136", "137", "138", "139", "150", "151", "158", "159", "177",
            "186", "188", "189", "199",
        ],
    );
    let rest: u32 = rng.gen_range(0..100_000_000);
    match rng.gen_range(0..3) {
        0 => format!("{prefix}{rest:08}"),
        1 => format!("{prefix} {:04} {:04}", rest / 10_000, rest % 10_000),
        _ => format!("+86 {prefix}-{:04}-{:04}", rest / 10_000, rest % 10_000),
    }
}

/// A Chinese person's name and its pinyin (given name first, for e-mail local parts).
fn chinese_person(rng: &mut StdRng) -> (String, String, String) {
    let (surname, surname_py, _) = *weighted(rng, SURNAMES, |s| s.2);
    let (given, given_py) = *pick(rng, GIVEN_NAMES);
    (
        format!("{surname}{given}"),
        given_py.to_string(),
        surname_py.to_string(),
    )
}

/// Generates customers: `count` rows starting at generated index `first`, created in
/// order over the three years before `now`, owned by `owners` (uniformly).
pub fn accounts(
    rng: &mut StdRng,
    first: usize,
    count: usize,
    total: usize,
    owners: &[i64],
    now: DateTime<Utc>,
) -> (Vec<BulkRow>, Vec<AccountInfo>) {
    let span = Duration::days(3 * 365).num_seconds();
    let start = now - Duration::seconds(span);
    let step = span as f64 / total.max(1) as f64;
    let mut rows = Vec::with_capacity(count);
    let mut infos = Vec::with_capacity(count);
    for i in first..first + count {
        let owner_id = *pick(rng, owners);
        let offset = (i as f64 * step + rng.gen_range(0.0..step.max(1.0))) as i64;
        let created_at = start
            + Duration::seconds(offset.min(span))
            + Duration::microseconds(rng.gen_range(0..1_000_000));
        let roll = rng.gen_range(0..100);
        let english = roll >= 92;
        let individual = !english && roll >= 86;
        let (name, industry, province, city_name, address, phone, domain, kind);
        if english {
            let (city, code, street) = *pick(rng, ABROAD);
            let brand = *pick(rng, EN_BRANDS);
            let (trade, trade_industry) = *pick(rng, EN_TRADES);
            name = format!("{brand} {trade}");
            industry = trade_industry;
            province = "海外";
            city_name = city.to_string();
            address = format!("{} {street}, {city}", rng.gen_range(1..400));
            phone = format!(
                "{code} {:04} {:04}",
                rng.gen_range(1000..10_000),
                rng.gen_range(0..10_000)
            );
            domain = format!(
                "{}{}.example",
                brand.to_lowercase().replace(' ', ""),
                i % 9_973
            );
            kind = "company";
        } else {
            let city = weighted(rng, CITIES, |c| c.weight);
            let district = *pick(rng, city.districts);
            province = city.region;
            city_name = city.name.to_string();
            address = format!(
                "{}市{district}{}路{}号",
                city.name,
                pick(
                    rng,
                    &[
                        "科技", "人民", "中山", "建设", "解放", "和平", "长江", "黄河"
                    ]
                ),
                rng.gen_range(1..999)
            );
            if individual {
                let (person, given_py, surname_py) = chinese_person(rng);
                name = person;
                industry = *pick(rng, &["零售", "餐饮", "贸易"]);
                phone = mobile(rng);
                domain = format!("{given_py}{surname_py}{}.example", i % 997);
                kind = "individual";
            } else {
                let (c1, p1) = *pick(rng, BRAND_FIRST);
                let (c2, p2) = *pick(rng, BRAND_SECOND);
                let (trade, trade_industry) = *pick(rng, TRADES);
                // Most names carry the city; some a branch suffix, as real registries do.
                name = match rng.gen_range(0..10) {
                    0..=6 => format!("{}{c1}{c2}{trade}", city.name),
                    7 | 8 => format!("{c1}{c2}{trade}"),
                    _ => format!("{c1}{c2}{trade}{}分公司", city.name),
                };
                industry = trade_industry;
                phone = if rng.gen_bool(0.7) {
                    format!(
                        "{}-{}{:07}",
                        city.area_code,
                        rng.gen_range(5..9),
                        rng.gen_range(0..10_000_000)
                    )
                } else {
                    mobile(rng)
                };
                domain = format!("{}{p1}{p2}{}.example", city.latin, i % 97);
                kind = "company";
            }
        }
        let level = match rng.gen_range(0..100) {
            0..=4 => "VIP",
            5..=19 => "重要",
            _ => "普通",
        };
        let lifecycle = match rng.gen_range(0..100) {
            0..=29 => "potential",
            30..=79 => "active",
            80..=94 => "dormant",
            _ => "lost",
        };
        let category = if individual {
            "个人客户"
        } else if level == "VIP" {
            "大客户"
        } else {
            "中小企业"
        };
        let tags: Vec<String> = match rng.gen_range(0..10) {
            0..=4 => Vec::new(),
            5..=7 => vec![pick(rng, TAGS).to_string()],
            _ => {
                let a = pick(rng, TAGS).to_string();
                let b = pick(rng, TAGS).to_string();
                if a == b {
                    vec![a]
                } else {
                    vec![a, b]
                }
            }
        };
        let email = if individual {
            format!(
                "{}@{}",
                rng.gen_range(10_000..99_999),
                domain.replace(".example", ".example.com")
            )
        } else {
            format!(
                "{}@{domain}",
                pick(rng, &["info", "sales", "contact", "purchase", "office"])
            )
        };
        let fields = vec![
            (f(&ACCOUNT, "name"), text(name)),
            (f(&ACCOUNT, "kind"), text(kind)),
            (f(&ACCOUNT, "code"), text(format!("KH{:08}", i + 1))),
            (f(&ACCOUNT, "industry"), text(industry)),
            (f(&ACCOUNT, "level"), text(level)),
            (f(&ACCOUNT, "category"), text(category)),
            (f(&ACCOUNT, "source"), text(*pick(rng, SOURCES))),
            (f(&ACCOUNT, "province"), text(province)),
            (f(&ACCOUNT, "city"), text(city_name)),
            (f(&ACCOUNT, "address"), text(address)),
            (f(&ACCOUNT, "phone"), text(phone)),
            (f(&ACCOUNT, "email"), text(email)),
            (
                f(&ACCOUNT, "website"),
                if kind == "company" {
                    text(format!("https://www.{domain}"))
                } else {
                    FieldValue::Null
                },
            ),
            (f(&ACCOUNT, "lifecycle_status"), text(lifecycle)),
            (
                f(&ACCOUNT, "credit_limit"),
                if rng.gen_bool(0.6) {
                    FieldValue::Int(rng.gen_range(1..500) * 1_000_000)
                } else {
                    FieldValue::Null
                },
            ),
            (
                f(&ACCOUNT, "currency"),
                text(if english { "USD" } else { "CNY" }),
            ),
            (f(&ACCOUNT, "tags"), FieldValue::List(tags)),
            (
                f(&ACCOUNT, "description"),
                opt_text(
                    rng.gen_bool(0.3)
                        .then(|| pick(rng, DESCRIPTIONS).to_string()),
                ),
            ),
        ];
        let mut custom = Map::new();
        if rng.gen_bool(0.5) {
            custom.insert(
                "employees".into(),
                Json::from(rng.gen_range(1..5_000) as f64),
            );
        }
        rows.push(BulkRow {
            owner_id,
            fields,
            custom,
            created_at: Some(created_at),
        });
        infos.push(AccountInfo {
            id: 0,
            owner_id,
            created_at,
            domain,
            english,
        });
    }
    (rows, infos)
}

/// Generates one contact of a customer.
pub fn contact(rng: &mut StdRng, account: &AccountInfo, now: DateTime<Utc>) -> BulkRow {
    let (name, email_local, title, department) = if account.english {
        let first = *pick(rng, EN_FIRST);
        let last = *pick(rng, EN_LAST);
        let (title, department) = *pick(rng, EN_TITLES);
        (
            format!("{first} {last}"),
            format!("{}.{}", first.to_lowercase(), last.to_lowercase()),
            title,
            department,
        )
    } else {
        let (name, given_py, surname_py) = chinese_person(rng);
        let (title, department) = *pick(rng, TITLES);
        (name, format!("{given_py}.{surname_py}"), title, department)
    };
    let email = if rng.gen_bool(0.8) {
        Some(format!("{email_local}@{}", account.domain))
    } else if rng.gen_bool(0.5) {
        Some(format!(
            "{email_local}{}@{}",
            rng.gen_range(1..999),
            pick(rng, &["example.com", "example.net", "example.org"])
        ))
    } else {
        None
    };
    let birthday = rng
        .gen_bool(0.3)
        .then(|| {
            NaiveDate::from_ymd_opt(
                rng.gen_range(1960..2000),
                rng.gen_range(1..13),
                rng.gen_range(1..29),
            )
        })
        .flatten();
    let created_at =
        (account.created_at + Duration::seconds(rng.gen_range(0..30 * 86_400))).min(now);
    let fields = vec![
        (f(&CONTACT, "account_id"), FieldValue::Int(account.id)),
        (f(&CONTACT, "name"), text(name)),
        (f(&CONTACT, "title"), text(title)),
        (f(&CONTACT, "department"), text(department)),
        (
            f(&CONTACT, "mobile"),
            if account.english {
                FieldValue::Null
            } else {
                text(mobile(rng))
            },
        ),
        (
            f(&CONTACT, "phone"),
            if account.english || rng.gen_bool(0.3) {
                text(format!(
                    "+{} {:04} {:04}",
                    rng.gen_range(1..90),
                    rng.gen_range(1000..10_000),
                    rng.gen_range(0..10_000)
                ))
            } else {
                FieldValue::Null
            },
        ),
        (f(&CONTACT, "email"), opt_text(email)),
        (
            f(&CONTACT, "birthday"),
            birthday.map_or(FieldValue::Null, FieldValue::Date),
        ),
        (f(&CONTACT, "reports_to_id"), FieldValue::Null),
        (f(&CONTACT, "assistant"), FieldValue::Null),
        (f(&CONTACT, "notes"), FieldValue::Null),
    ];
    BulkRow {
        owner_id: account.owner_id,
        fields,
        custom: Map::new(),
        created_at: Some(created_at),
    }
}

/// How many contacts each customer gets: `total` spread over `accounts` customers, from
/// none to a handful each, exactly `total` in all.
pub fn contacts_per_account(rng: &mut StdRng, accounts: usize, total: usize) -> Vec<u32> {
    let mut counts = Vec::with_capacity(accounts);
    if accounts == 0 {
        return counts;
    }
    let ratio = total as f64 / accounts as f64;
    let mut assigned = 0usize;
    for k in 0..accounts {
        let target = if k + 1 == accounts {
            total
        } else {
            (((k + 1) as f64 * ratio) + rng.gen_range(-1.5..1.5)).max(0.0) as usize
        };
        let n = target.saturating_sub(assigned);
        // Bound the burst so that one customer does not take up a deficit.
        let n = if k + 1 == accounts {
            n
        } else {
            n.min((ratio * 3.0).ceil() as usize + 1)
        };
        counts.push(n as u32);
        assigned += n;
    }
    counts
}
