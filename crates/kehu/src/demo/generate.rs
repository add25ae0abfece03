//! Generating the demo company's customers and contacts from a seeded random generator.
//!
//! The output is API-style JSON input, so that it goes through the same validation as a
//! record typed into a form; the same seed gives the same data (dates are relative to
//! the `now` passed in).

use super::words::{self, City, Country, Industry};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::distributions::WeightedIndex;
use rand::prelude::*;
use serde_json::{json, Map, Value as Json};
use std::collections::HashSet;

/// A sales person customers can be given to, with a relative share.
#[derive(Debug, Clone, Copy)]
pub struct Seller {
    /// User id.
    pub user_id: i64,
    /// Relative number of customers (reps more than managers).
    pub weight: u32,
}

/// Who sells where.
#[derive(Debug, Clone)]
pub struct Territories {
    /// The East China team (north and east of China).
    pub east: Vec<Seller>,
    /// The South China team (south and west of China, and overseas).
    pub south: Vec<Seller>,
}

/// A customer to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAccount {
    /// API-style input.
    pub input: Map<String, Json>,
    /// Owner.
    pub owner_id: i64,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Its contacts; the first one (if any) is the one the others report to.
    pub contacts: Vec<NewContact>,
}

/// A contact to create (without `account_id` and `reports_to_id`, known after insert).
#[derive(Debug, Clone, PartialEq)]
pub struct NewContact {
    /// API-style input.
    pub input: Map<String, Json>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// Where a customer is.
enum Place {
    China(&'static City),
    Abroad(&'static Country),
}

/// How many customers of each kind.
const OVERSEAS_SHARE: f64 = 0.07;
const INDIVIDUAL_SHARE: f64 = 0.10;

/// The generator's state: random numbers and the names already used.
pub struct Generator {
    rng: StdRng,
    now: DateTime<Utc>,
    names: HashSet<String>,
    domains: HashSet<String>,
    codes: u32,
}

fn weighted<'a, T>(rng: &mut StdRng, items: &'a [T], weight: impl Fn(&T) -> u32) -> &'a T {
    let index = WeightedIndex::new(items.iter().map(weight)).expect("positive weights");
    &items[index.sample(rng)]
}

fn object(value: Json) -> Map<String, Json> {
    match value {
        Json::Object(map) => map,
        _ => Map::new(),
    }
}

impl Generator {
    /// A generator for this seed; creation dates are spread over the three years before `now`.
    pub fn new(seed: u64, now: DateTime<Utc>) -> Self {
        Generator {
            rng: StdRng::seed_from_u64(seed),
            now,
            names: HashSet::new(),
            domains: HashSet::new(),
            codes: 0,
        }
    }

    /// `count` customers, oldest first, with their contacts.
    pub fn accounts(&mut self, count: usize, territories: &Territories) -> Vec<NewAccount> {
        let mut accounts: Vec<NewAccount> = (0..count).map(|_| self.account(territories)).collect();
        accounts.sort_by_key(|a| a.created_at);
        // Codes follow creation order, as if handed out when each customer was entered.
        for account in &mut accounts {
            self.codes += 1;
            account
                .input
                .insert("code".into(), json!(format!("KH-{:06}", self.codes)));
        }
        accounts
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.gen_bool(p)
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        *items.choose(&mut self.rng).expect("non-empty list")
    }

    /// A creation time in the last three years, more of them recent (a growing business),
    /// during Chinese office hours.
    fn created_at(&mut self) -> DateTime<Utc> {
        let share: f64 = self.rng.gen();
        let days_ago = (1_095.0 * share.powf(1.4)) as i64;
        let day = (self.now - Duration::days(days_ago)).date_naive();
        // 09:00–18:00 in China is 01:00–10:00 UTC.
        let seconds = self.rng.gen_range(3_600..36_000);
        let at = day.and_hms_opt(0, 0, 0).expect("midnight").and_utc() + Duration::seconds(seconds);
        at.min(self.now - Duration::minutes(1))
    }

    fn account(&mut self, territories: &Territories) -> NewAccount {
        let created_at = self.created_at();
        let age_days = (self.now - created_at).num_days();
        let place = if self.chance(OVERSEAS_SHARE) {
            Place::Abroad(weighted(&mut self.rng, words::COUNTRIES, |c| c.weight))
        } else {
            Place::China(weighted(&mut self.rng, words::CITIES, |c| c.weight))
        };
        let individual = matches!(place, Place::China(_)) && self.chance(INDIVIDUAL_SHARE);
        let sellers = match place {
            Place::China(city) if city.east => &territories.east,
            _ => &territories.south,
        };
        let owner_id = weighted(&mut self.rng, sellers, |s| s.weight).user_id;
        let lifecycle = if age_days < 90 {
            weighted(&mut self.rng, &[("potential", 60), ("active", 40)], |p| p.1).0
        } else {
            weighted(
                &mut self.rng,
                &[
                    ("potential", 15),
                    ("active", 55),
                    ("dormant", 18),
                    ("lost", 12),
                ],
                |p| p.1,
            )
            .0
        };
        let mut input = if individual {
            let Place::China(city) = place else {
                unreachable!("individuals are in China")
            };
            self.individual(city)
        } else {
            self.company(&place, lifecycle)
        };
        input.insert("lifecycle_status".into(), json!(lifecycle));
        let source = weighted(
            &mut self.rng,
            &[
                ("官网", 20),
                ("展会", 15),
                ("老客户介绍", 20),
                ("电话营销", 15),
                ("广告", 10),
                ("Partner", 10),
                ("微信公众号", 10),
            ],
            |p| p.1,
        )
        .0;
        input.insert("source".into(), json!(source));
        let tags = self.tags(&input, age_days);
        if !tags.is_empty() {
            input.insert("tags".into(), json!(tags));
        }
        let contacts = if individual {
            Vec::new()
        } else {
            self.contacts(&input, &place, created_at)
        };
        NewAccount {
            input,
            owner_id,
            created_at,
            contacts,
        }
    }

    fn unique_name(&mut self, mut make: impl FnMut(&mut Self) -> String) -> String {
        for _ in 0..50 {
            let name = make(self);
            if self.names.insert(name.clone()) {
                return name;
            }
        }
        let name = make(self);
        let numbered = format!("{name}（{}）", self.names.len());
        self.names.insert(numbered.clone());
        numbered
    }

    fn unique_domain(&mut self, base: String) -> String {
        let mut domain = format!("{base}.example");
        let mut n = 2;
        while !self.domains.insert(domain.clone()) {
            domain = format!("{base}{n}.example");
            n += 1;
        }
        domain
    }

    fn company(&mut self, place: &Place, lifecycle: &str) -> Map<String, Json> {
        let industry: &Industry = weighted(&mut self.rng, words::INDUSTRIES, |i| i.weight);
        let (name, domain, province, city, address, phone, currency) = match place {
            Place::China(city) => {
                let (trade, latin) = self.pick(words::TRADE_NAMES);
                let name = self
                    .unique_name(|g| format!("{}{trade}{}", city.name, g.pick(industry.endings)));
                let domain = self.unique_domain(format!("{latin}{}-{}", industry.tag, city.latin));
                let address = self.chinese_address(city);
                let phone = self.landline(city);
                (
                    name,
                    domain,
                    city.region,
                    city.name.to_string(),
                    address,
                    phone,
                    "CNY",
                )
            }
            Place::Abroad(country) => {
                let prefix = self.pick(words::ENGLISH_PREFIXES);
                let noun = self.pick(industry.english);
                let name =
                    self.unique_name(|g| format!("{prefix} {noun} {}", g.pick(country.suffixes)));
                let domain = self.unique_domain(format!(
                    "{}-{}",
                    prefix.to_lowercase().replace(' ', ""),
                    noun.to_lowercase().replace(' ', "")
                ));
                let address = format!(
                    "{} {}, {}",
                    self.rng.gen_range(1..400),
                    self.pick(country.streets),
                    country.city
                );
                let phone = self.fill_digits(country.landline);
                (
                    name,
                    domain,
                    country.region,
                    country.city.to_string(),
                    address,
                    phone,
                    country.currency,
                )
            }
        };
        let level = weighted(
            &mut self.rng,
            &[("VIP", 6), ("重要", 22), ("普通", 72)],
            |p| p.1,
        )
        .0;
        let category = weighted(
            &mut self.rng,
            &[
                ("终端客户", 65),
                ("经销商", 15),
                ("代理商", 12),
                ("战略合作伙伴", 8),
            ],
            |p| p.1,
        )
        .0;
        let employees: u32 = match self.rng.gen_range(0..10) {
            0..=3 => self.rng.gen_range(8..50),
            4..=6 => self.rng.gen_range(50..200),
            7..=8 => self.rng.gen_range(200..1_000),
            _ => self.rng.gen_range(1_000..12_000),
        };
        let mailbox = self.pick(&["info", "sales", "contact", "service", "purchase"]);
        let mut input = object(json!({
            "name": name,
            "kind": "company",
            "industry": industry.value,
            "level": level,
            "category": category,
            "province": province,
            "city": city,
            "address": address,
            "phone": phone,
            "email": format!("{mailbox}@{domain}"),
            "currency": currency,
        }));
        if self.chance(0.8) {
            input.insert("website".into(), json!(format!("www.{domain}")));
        }
        if lifecycle != "potential" {
            // Credit limits in minor units (fen/cents), rounded to 10,000 major units.
            let (low, high) = match level {
                "VIP" => (50, 500),
                "重要" => (10, 100),
                _ => (1, 20),
            };
            input.insert(
                "credit_limit".into(),
                json!(self.rng.gen_range(low..=high) * 10_000 * 100),
            );
        }
        let buys = self.pick(industry.buys);
        let description = match place {
            Place::China(_) => format!(
                "{}企业，员工约{employees}人，主要采购{buys}。{}",
                industry.value,
                self.pick(words::DESCRIPTION_REMARKS)
            ),
            Place::Abroad(_) => format!(
                "{} company with about {employees} staff; mainly buys {}.",
                industry.english_name,
                self.pick(industry.english_buys)
            ),
        };
        input.insert("description".into(), json!(description));
        let mut custom = Map::new();
        custom.insert("employees".into(), json!(employees));
        if matches!(place, Place::China(_)) && self.chance(0.6) {
            let handle = domain
                .split(['-', '.'])
                .next()
                .unwrap_or_default()
                .to_string();
            custom.insert(
                "wechat_id".into(),
                json!(format!("{handle}_{}", self.rng.gen_range(100..999))),
            );
        }
        if lifecycle == "active" && self.chance(0.7) {
            let renewal = self.now.date_naive() + Duration::days(self.rng.gen_range(-60..365));
            custom.insert(
                "contract_renewal".into(),
                json!(renewal.format("%Y-%m-%d").to_string()),
            );
        }
        input.insert("custom".into(), Json::Object(custom));
        input
    }

    fn individual(&mut self, city: &City) -> Map<String, Json> {
        let (name, latin) = self.person_name();
        let level = if self.chance(0.05) {
            "重要"
        } else {
            "普通"
        };
        let host = self.pick(&["example.com", "example.net", "example.org"]);
        let mut custom = Map::new();
        if self.chance(0.5) {
            custom.insert(
                "wechat_id".into(),
                json!(format!("wxid_{latin}{}", self.rng.gen_range(100..999))),
            );
        }
        object(json!({
            "name": name,
            "kind": "individual",
            "level": level,
            "category": "个人客户",
            "province": city.region,
            "city": city.name,
            "address": self.chinese_address(city),
            "phone": self.mobile(),
            "email": format!("{latin}{}@{host}", self.rng.gen_range(1..99)),
            "currency": "CNY",
            "description": format!("个人客户，主要购买{}。", self.pick(&["家用打印机", "笔记本电脑", "智能门锁", "会员服务"])),
            "custom": custom,
        }))
    }

    fn tags(&mut self, input: &Map<String, Json>, age_days: i64) -> Vec<&'static str> {
        let text = |key: &str| {
            input
                .get(key)
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let mut tags = Vec::new();
        if text("level") == "VIP" && self.chance(0.8) {
            tags.push("VIP");
        }
        if age_days > 730 && text("lifecycle_status") == "active" {
            tags.push("老客户");
        }
        if matches!(text("category").as_str(), "经销商" | "代理商") {
            tags.push("渠道");
        }
        match text("lifecycle_status").as_str() {
            "potential" if self.chance(0.35) => tags.push("重点跟进"),
            "potential" if age_days < 90 => tags.push("新客户"),
            "dormant" if self.chance(0.5) => tags.push("需回访"),
            _ => {}
        }
        if input
            .get("credit_limit")
            .and_then(Json::as_i64)
            .unwrap_or(0)
            >= 1_000_000 * 100
        {
            tags.push("大客户");
        }
        if self.chance(0.08) {
            tags.push("价格敏感");
        }
        tags
    }

    /// A Chinese name (two or three characters, sometimes four) and its pinyin.
    fn person_name(&mut self) -> (String, String) {
        // Family names are Zipf-like: the first ones of the list are far more common.
        let share: f64 = self.rng.gen();
        let (surname, surname_latin) =
            words::SURNAMES[(share * share * words::SURNAMES.len() as f64) as usize];
        let (given, given_latin) = self.pick(words::GIVEN_NAMES);
        (
            format!("{surname}{given}"),
            format!("{surname_latin}{given_latin}"),
        )
    }

    fn mobile(&mut self) -> String {
        let prefix = self.pick(words::MOBILE_PREFIXES);
        let (a, b) = (self.rng.gen_range(0..10_000), self.rng.gen_range(0..10_000));
        match self.rng.gen_range(0..3) {
            0 => format!("{prefix}{a:04}{b:04}"),
            1 => format!("{prefix} {a:04} {b:04}"),
            _ => format!("+86 {prefix} {a:04} {b:04}"),
        }
    }

    /// Replaces each `#` of a pattern with a random digit.
    fn fill_digits(&mut self, pattern: &str) -> String {
        pattern
            .chars()
            .map(|c| {
                if c == '#' {
                    char::from(b'0' + self.rng.gen_range(0..10u8))
                } else {
                    c
                }
            })
            .collect()
    }

    fn landline(&mut self, city: &City) -> String {
        format!(
            "{}-{}{:03}{:04}",
            city.area_code,
            self.rng.gen_range(2..9),
            self.rng.gen_range(0..1_000),
            self.rng.gen_range(0..10_000)
        )
    }

    fn chinese_address(&mut self, city: &City) -> String {
        let district = self.pick(city.districts);
        let road = self.pick(words::ROADS);
        let number = self.rng.gen_range(1..999);
        if self.chance(0.6) {
            let building = self.pick(words::BUILDINGS);
            let floor = self.rng.gen_range(2..30);
            let room = self.rng.gen_range(1..20);
            format!(
                "{}市{district}{road}{number}号{building}{floor}{room:02}室",
                city.name
            )
        } else {
            format!("{}市{district}{road}{number}号", city.name)
        }
    }

    fn contacts(
        &mut self,
        account: &Map<String, Json>,
        place: &Place,
        account_created: DateTime<Utc>,
    ) -> Vec<NewContact> {
        let count: usize = weighted(&mut self.rng, &[(1, 10), (2, 25), (3, 35), (4, 30)], |p| {
            p.1
        })
        .0;
        let domain = account
            .get("email")
            .and_then(Json::as_str)
            .and_then(|e| e.split_once('@'))
            .map(|(_, d)| d.to_string())
            .unwrap_or_else(|| "example.com".into());
        let office = account
            .get("phone")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_string();
        let mut used_titles = HashSet::new();
        let mut used_mailboxes = HashSet::new();
        let mut contacts = Vec::with_capacity(count);
        for position in 0..count {
            let boss = position == 0;
            let (name, latin, title, department, channel) = match place {
                Place::China(_) => {
                    let (name, latin) = self.person_name();
                    let (title, department) = self.title(
                        boss,
                        words::BOSS_TITLES,
                        words::STAFF_TITLES,
                        &mut used_titles,
                    );
                    let channel = weighted(
                        &mut self.rng,
                        &[("微信", 55), ("电话", 25), ("邮件", 15), ("短信", 5)],
                        |p| p.1,
                    )
                    .0;
                    (name, latin, title, department, channel)
                }
                Place::Abroad(country) => {
                    let given = self.pick(country.given_names);
                    let family = self.pick(country.surnames);
                    let latin = format!(
                        "{}.{}",
                        given.to_lowercase().replace(' ', ""),
                        family.to_lowercase().replace('ü', "ue")
                    );
                    let (title, department) = self.title(
                        boss,
                        words::ENGLISH_BOSS_TITLES,
                        words::ENGLISH_STAFF_TITLES,
                        &mut used_titles,
                    );
                    let channel = weighted(
                        &mut self.rng,
                        &[("邮件", 50), ("WhatsApp", 30), ("电话", 20)],
                        |p| p.1,
                    )
                    .0;
                    (
                        format!("{given} {family}"),
                        latin,
                        title,
                        department,
                        channel,
                    )
                }
            };
            let mut mailbox = latin.clone();
            let mut n = 2;
            while !used_mailboxes.insert(mailbox.clone()) {
                mailbox = format!("{latin}{n}");
                n += 1;
            }
            let mut input =
                object(json!({ "name": name, "title": title, "department": department }));
            if self.chance(0.95) {
                let mobile = match place {
                    Place::China(_) => self.mobile(),
                    Place::Abroad(country) => self.fill_digits(country.mobile),
                };
                input.insert("mobile".into(), json!(mobile));
            }
            if !office.is_empty() && self.chance(0.5) {
                let extension = self.rng.gen_range(801..899);
                let phone = match place {
                    Place::China(_) => format!("{office} 转 {extension}"),
                    Place::Abroad(_) => format!("{office} ext {extension}"),
                };
                input.insert("phone".into(), json!(phone));
            }
            if self.chance(0.85) {
                input.insert("email".into(), json!(format!("{mailbox}@{domain}")));
            }
            if self.chance(0.6) {
                let birthday = NaiveDate::from_ymd_opt(
                    self.rng.gen_range(1965..1999),
                    self.rng.gen_range(1..=12),
                    self.rng.gen_range(1..=28),
                )
                .expect("valid date");
                input.insert(
                    "birthday".into(),
                    json!(birthday.format("%Y-%m-%d").to_string()),
                );
            }
            if boss && matches!(place, Place::China(_)) && self.chance(0.2) {
                let (assistant, _) = self.person_name();
                input.insert("assistant".into(), json!(assistant));
            }
            if self.chance(0.2) {
                let note = match place {
                    Place::China(_) => self.pick(words::CONTACT_NOTES),
                    Place::Abroad(_) => self.pick(words::ENGLISH_CONTACT_NOTES),
                };
                input.insert("notes".into(), json!(note));
            }
            input.insert("custom".into(), json!({ "preferred_channel": channel }));
            let created_at = (account_created + Duration::hours(self.rng.gen_range(0..24 * 45)))
                .min(self.now - Duration::minutes(1));
            contacts.push(NewContact { input, created_at });
        }
        contacts
    }

    fn title(
        &mut self,
        boss: bool,
        bosses: &[(&'static str, &'static str)],
        staff: &[(&'static str, &'static str)],
        used: &mut HashSet<&'static str>,
    ) -> (&'static str, &'static str) {
        if boss {
            return self.pick(bosses);
        }
        for _ in 0..20 {
            let (title, department) = self.pick(staff);
            if used.insert(title) {
                return (title, department);
            }
        }
        self.pick(staff)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn territories() -> Territories {
        Territories {
            east: vec![
                Seller {
                    user_id: 1,
                    weight: 6,
                },
                Seller {
                    user_id: 2,
                    weight: 10,
                },
                Seller {
                    user_id: 3,
                    weight: 10,
                },
            ],
            south: vec![
                Seller {
                    user_id: 4,
                    weight: 6,
                },
                Seller {
                    user_id: 5,
                    weight: 10,
                },
            ],
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_company() {
        let now = Utc::now();
        let one = Generator::new(7, now).accounts(300, &territories());
        let two = Generator::new(7, now).accounts(300, &territories());
        assert_eq!(one, two);
        let other = Generator::new(8, now).accounts(300, &territories());
        assert_ne!(one, other);
    }

    #[test]
    fn data_looks_like_a_chinese_small_business_customer_base() {
        let now = Utc::now();
        let accounts = Generator::new(2024, now).accounts(2_000, &territories());
        let kind = |k: &str| accounts.iter().filter(|a| a.input["kind"] == k).count();
        let names: HashSet<&str> = accounts
            .iter()
            .filter(|a| a.input["kind"] == "company")
            .map(|a| a.input["name"].as_str().unwrap())
            .collect();
        assert_eq!(names.len(), kind("company"), "company names are unique");
        assert!(
            (100..300).contains(&kind("individual")),
            "{} individuals",
            kind("individual")
        );
        let english = accounts
            .iter()
            .filter(|a| a.input["name"].as_str().unwrap().is_ascii())
            .count();
        assert!((60..250).contains(&english), "{english} English names");
        assert!(
            accounts
                .iter()
                .filter(|a| a.input["name"].as_str().unwrap().contains("科技"))
                .count()
                > 200
        );
        let vip = accounts
            .iter()
            .filter(|a| a.input["level"] == "VIP")
            .count();
        assert!(vip > 20 && vip < 200, "few VIPs: {vip}");
        let contacts: usize = accounts.iter().map(|a| a.contacts.len()).sum();
        assert!((4_200..6_000).contains(&contacts), "{contacts} contacts");
        let two_character = accounts
            .iter()
            .flat_map(|a| &a.contacts)
            .filter(|c| c.input["name"].as_str().unwrap().chars().count() == 2)
            .count();
        assert!(two_character > 1_000, "{two_character} two-character names");
        // Dates: spread over three years, in creation order, contacts after their customer.
        assert!(accounts
            .windows(2)
            .all(|w| w[0].created_at <= w[1].created_at));
        assert!(accounts[0].created_at < now - Duration::days(900));
        assert!(accounts.last().unwrap().created_at > now - Duration::days(30));
        for account in &accounts {
            assert!(account
                .contacts
                .iter()
                .all(|c| c.created_at >= account.created_at && c.created_at < now));
        }
        // Codes follow creation order.
        assert_eq!(accounts[0].input["code"], "KH-000001");
        // Every owner has a share; east-only cities go to the east team.
        for account in &accounts {
            let province = account.input["province"].as_str().unwrap();
            if matches!(province, "上海" | "浙江" | "江苏") {
                assert!(account.owner_id <= 3, "{province} belongs to the east team");
            }
        }
    }
}
