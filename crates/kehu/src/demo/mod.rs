//! The demo company (`kehu demo`, `kehu serve --demo`): a small Chinese B2B seller with
//! a sales department of two regional teams, a service team, users of every role, about
//! 2,000 customers and 5,000 contacts, so that a new user sees a CRM in use.
//!
//! Data comes from a seeded random generator ([`generate`]) and is reproducible for a
//! seed (dates are relative to the day of loading). Passwords are not: they come from
//! the operating system's random source and are shown once.

mod generate;
mod orders;
mod words;

use anyhow::{bail, Context as _};
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHasher, SaltString};
use argon2::Argon2;
use chrono::Utc;
use kehu_core::entity::{CustomFieldDef, CustomFieldKind, EntityDef, ACCOUNT, CONTACT, ORDER};
use kehu_core::filter::Sort;
use kehu_core::permission::Visibility;
use kehu_core::validation::{Mode, Schema};
use kehu_core::FieldValue;
use kehu_db::records::{self, BulkRow, ListQuery};
use kehu_db::users::NewUser;
use kehu_db::{custom_fields, picklists, roles, teams, users, Db};
use rand::Rng;
use serde_json::{json, Map, Value as Json};
use std::fmt;

use generate::{Generator, Seller, Territories};

/// How many customers the demo company has.
pub const DEMO_CUSTOMERS: usize = 2_000;

/// The picklist values of the demo company, by list.
const PICKLISTS: &[(&str, &[&str])] = &[
    (
        "industry",
        &[
            "制造业",
            "软件和信息技术",
            "批发零售",
            "金融",
            "医疗健康",
            "教育",
            "建筑",
            "物流",
            "餐饮酒店",
            "能源化工",
        ],
    ),
    ("level", &["VIP", "重要", "普通"]),
    (
        "category",
        &["终端客户", "经销商", "代理商", "战略合作伙伴", "个人客户"],
    ),
    (
        "source",
        &[
            "官网",
            "展会",
            "老客户介绍",
            "电话营销",
            "广告",
            "Partner",
            "微信公众号",
        ],
    ),
    (
        "region",
        &[
            "北京",
            "天津",
            "上海",
            "浙江",
            "江苏",
            "安徽",
            "山东",
            "广东",
            "福建",
            "四川",
            "重庆",
            "湖北",
            "湖南",
            "河南",
            "陕西",
            "Singapore",
            "Malaysia",
            "United States",
            "Germany",
        ],
    ),
];

/// Options of the contacts' `preferred_channel` custom field.
const CHANNELS: &[&str] = &["微信", "电话", "邮件", "短信", "WhatsApp"];

/// One demo user, with the password generated for them.
#[derive(Clone)]
pub struct DemoUser {
    /// Sign-in name.
    pub username: String,
    /// Name shown to others.
    pub display_name: String,
    /// Role name.
    pub role: String,
    /// Team name, if any.
    pub team: Option<String>,
    /// Generated password (shown once, stored only as an argon2id hash).
    pub password: String,
    /// How many customers they own.
    pub customers: u64,
}

/// What [`load_demo`] created, with the passwords to print once.
#[derive(Clone)]
pub struct DemoSummary {
    /// The administrator's sign-in name (`admin`).
    pub admin_username: String,
    /// The administrator's generated password.
    pub admin_password: String,
    /// Every demo user, the administrator first.
    pub users: Vec<DemoUser>,
    /// Names of the teams.
    pub teams: Vec<String>,
    /// Customers created.
    pub customers: usize,
    /// Contacts created.
    pub contacts: usize,
    /// Orders created.
    pub orders: usize,
}

/// Passwords stay out of logs and panic messages.
impl fmt::Debug for DemoUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DemoUser")
            .field("username", &self.username)
            .field("display_name", &self.display_name)
            .field("role", &self.role)
            .field("team", &self.team)
            .field("password", &"<redacted>")
            .field("customers", &self.customers)
            .finish()
    }
}

impl fmt::Debug for DemoSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DemoSummary")
            .field("admin_username", &self.admin_username)
            .field("admin_password", &"<redacted>")
            .field("users", &self.users)
            .field("teams", &self.teams)
            .field("customers", &self.customers)
            .field("contacts", &self.contacts)
            .field("orders", &self.orders)
            .finish()
    }
}

/// The people of the demo company: (username, display name, role, team).
const PEOPLE: &[(&str, &str, &str, Option<&str>)] = &[
    ("admin", "系统管理员", "admin", None),
    ("chen.jing", "陈静", "sales_manager", Some(SALES)),
    ("wang.qiang", "王强", "sales_manager", Some(EAST)),
    ("li.na", "李娜", "sales_rep", Some(EAST)),
    ("zhao.lei", "赵磊", "sales_rep", Some(EAST)),
    ("emily.zhou", "Emily Zhou", "sales_rep", Some(EAST)),
    ("huang.min", "黄敏", "sales_manager", Some(SOUTH)),
    ("liu.yang", "刘洋", "sales_rep", Some(SOUTH)),
    ("chen.hao", "陈浩", "sales_rep", Some(SOUTH)),
    ("david.lin", "David Lin", "sales_rep", Some(SOUTH)),
    ("sun.li", "孙丽", "service_agent", Some(SERVICE)),
    ("zhou.jie", "周洁", "read_only", None),
];

const SALES: &str = "销售部";
const EAST: &str = "华东销售组";
const SOUTH: &str = "华南销售组";
const SERVICE: &str = "客服部";

/// Creates the demo company in a migrated database that has no customers yet: picklist
/// values, custom fields, teams, users with generated passwords, customers and contacts.
/// Refuses (and changes nothing) when customers exist or a demo user name is taken.
pub async fn load_demo(db: &Db, rng_seed: u64) -> anyhow::Result<DemoSummary> {
    roles::ensure_defaults(db)
        .await
        .context("creating the built-in roles")?;
    if has_customers(db).await? {
        bail!(
            "the database already has customers; the demo company can only be loaded into an empty database \
             (use a new database file or `--database-url`)"
        );
    }
    let taken: Vec<String> = users::list(db)
        .await?
        .into_iter()
        .map(|u| u.username)
        .filter(|name| PEOPLE.iter().any(|p| p.0 == name))
        .collect();
    if !taken.is_empty() {
        bail!(
            "the database already has the user(s) {}; the demo company can only be loaded into an empty database",
            taken.join(", ")
        );
    }

    ensure_picklists(db).await?;
    ensure_custom_fields(db).await?;
    let team_ids = ensure_teams(db).await?;
    let team_id = |name: Option<&str>| {
        name.and_then(|n| team_ids.iter().find(|(t, _)| *t == n).map(|(_, id)| *id))
    };

    // Users: random passwords, hashed on the blocking pool all at once.
    let passwords: Vec<String> = PEOPLE.iter().map(|_| new_password()).collect();
    let hashes = {
        let tasks: Vec<_> = passwords
            .iter()
            .cloned()
            .map(|p| tokio::task::spawn_blocking(move || hash_password(&p)))
            .collect();
        let mut hashes = Vec::new();
        for task in tasks {
            hashes.push(task.await??);
        }
        hashes
    };
    let mut created = Vec::new();
    for ((username, display_name, role, team), password_hash) in PEOPLE.iter().zip(hashes) {
        let user = users::create(
            db,
            NewUser {
                username: username.to_string(),
                display_name: display_name.to_string(),
                email: Some(format!("{username}@kehu-demo.example")),
                password_hash,
                team_id: team_id(*team),
                roles: vec![role.to_string()],
            },
        )
        .await
        .with_context(|| format!("creating the demo user {username}"))?;
        created.push(user);
    }
    let seller = |username: &str, weight: u32| Seller {
        user_id: created
            .iter()
            .find(|u| u.username == username)
            .expect("demo user")
            .id,
        weight,
    };
    // Managers keep fewer customers of their own than their reps.
    let territories = Territories {
        east: vec![
            seller("wang.qiang", 6),
            seller("li.na", 10),
            seller("zhao.lei", 10),
            seller("emily.zhou", 10),
        ],
        south: vec![
            seller("huang.min", 6),
            seller("liu.yang", 10),
            seller("chen.hao", 10),
            seller("david.lin", 10),
        ],
    };

    let accounts = Generator::new(rng_seed, Utc::now()).accounts(DEMO_CUSTOMERS, &territories);
    let picklists = picklists::all(db).await?;
    let account_fields = custom_fields::for_entity(db, ACCOUNT.name).await?;
    let contact_fields = custom_fields::for_entity(db, CONTACT.name).await?;
    let account_schema = Schema {
        entity: &ACCOUNT,
        custom_fields: &account_fields,
        picklists: &picklists,
    };
    let contact_schema = Schema {
        entity: &CONTACT,
        custom_fields: &contact_fields,
        picklists: &picklists,
    };

    let mut rows = Vec::with_capacity(accounts.len());
    for account in &accounts {
        rows.push(bulk_row(
            &account_schema,
            &account.input,
            account.owner_id,
            account.created_at,
        )?);
    }
    let account_ids = records::bulk_insert(db, &ACCOUNT, None, rows)
        .await
        .context("loading demo customers")?;

    // Contacts in two loads: first the person each company's others report to, then the
    // others with `reports_to_id` pointing at them.
    let mut bosses = Vec::new();
    let mut staff_inputs = Vec::new();
    for (account, account_id) in accounts.iter().zip(&account_ids) {
        for (position, contact) in account.contacts.iter().enumerate() {
            let mut input = contact.input.clone();
            input.insert("account_id".into(), json!(account_id));
            if position == 0 {
                bosses.push(bulk_row(
                    &contact_schema,
                    &input,
                    account.owner_id,
                    contact.created_at,
                )?);
            } else {
                staff_inputs.push((
                    bosses.len() - 1,
                    input,
                    account.owner_id,
                    contact.created_at,
                ));
            }
        }
    }
    let boss_count = bosses.len();
    let boss_ids = records::bulk_insert(db, &CONTACT, None, bosses)
        .await
        .context("loading demo contacts")?;
    let mut staff = Vec::with_capacity(staff_inputs.len());
    for (boss, mut input, owner_id, created_at) in staff_inputs {
        input.insert("reports_to_id".into(), json!(boss_ids[boss]));
        staff.push(bulk_row(&contact_schema, &input, owner_id, created_at)?);
    }
    let staff_count = staff.len();
    records::bulk_insert(db, &CONTACT, None, staff)
        .await
        .context("loading demo contacts")?;

    let order_count = load_orders(db, rng_seed, &accounts, &account_ids).await?;

    let mut demo_users = Vec::new();
    for ((username, display_name, role, team), password) in PEOPLE.iter().zip(passwords) {
        let user_id = created
            .iter()
            .find(|u| u.username == *username)
            .expect("demo user")
            .id;
        demo_users.push(DemoUser {
            username: username.to_string(),
            display_name: display_name.to_string(),
            role: role.to_string(),
            team: team.map(str::to_string),
            password,
            customers: owned_customers(db, user_id).await?,
        });
    }
    Ok(DemoSummary {
        admin_username: demo_users[0].username.clone(),
        admin_password: demo_users[0].password.clone(),
        users: demo_users,
        teams: team_ids.iter().map(|(name, _)| name.to_string()).collect(),
        customers: account_ids.len(),
        contacts: boss_count + staff_count,
        orders: order_count,
    })
}

/// Loads a few years of orders of the demo customers; gives how many.
async fn load_orders(
    db: &Db,
    rng_seed: u64,
    accounts: &[generate::NewAccount],
    account_ids: &[i64],
) -> anyhow::Result<usize> {
    let created: Vec<_> = accounts.iter().map(|a| a.created_at).collect();
    let generated = orders::generate_orders(rng_seed, Utc::now(), &created);
    let field = |name| ORDER.field(name).expect("orders have this field");
    let rows: Vec<BulkRow> = generated
        .into_iter()
        .map(|order| BulkRow {
            owner_id: accounts[order.customer].owner_id,
            fields: vec![
                (field("name"), FieldValue::Text(order.number)),
                (
                    field("account_id"),
                    FieldValue::Int(account_ids[order.customer]),
                ),
                (field("order_date"), FieldValue::Date(order.date)),
                (field("status"), FieldValue::Text(order.status.into())),
                (field("total"), FieldValue::Int(order.total)),
                (field("currency"), FieldValue::Text("CNY".into())),
                (field("quantity"), FieldValue::Int(order.quantity)),
            ],
            created_at: order.date.and_hms_opt(3, 0, 0).map(|t| t.and_utc()),
            ..BulkRow::default()
        })
        .collect();
    let count = rows.len();
    records::bulk_insert(db, &ORDER, None, rows)
        .await
        .context("loading demo orders")?;
    Ok(count)
}

/// Prints what was loaded and every demo password, once.
pub fn print_summary(summary: &DemoSummary) {
    println!(
        "Demo company loaded: {} customers, {} contacts, {} orders, teams {}.",
        summary.customers,
        summary.contacts,
        summary.orders,
        summary.teams.join(", ")
    );
    println!();
    println!(
        "Sign in as `{}` with password: {}",
        summary.admin_username, summary.admin_password
    );
    println!();
    println!("Demo users (the passwords are shown only this once):");
    println!(
        "  {:<12} {:<12} {:<14} {:<12} {:>9}  password",
        "username", "name", "role", "team", "customers"
    );
    for user in &summary.users {
        println!(
            "  {:<12} {} {:<14} {} {:>9}  {}",
            user.username,
            pad(&user.display_name, 12),
            user.role,
            pad(user.team.as_deref().unwrap_or("-"), 12),
            user.customers,
            user.password
        );
    }
}

/// Pads to a display width, counting CJK characters as two columns.
fn pad(text: &str, width: usize) -> String {
    let used: usize = text.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum();
    format!("{text}{}", " ".repeat(width.saturating_sub(used)))
}

/// A random 16-character password (about 93 bits) from the operating system, without
/// look-alike characters.
fn new_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::OsRng;
    (0..16)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect()
}

/// argon2id (the crate's defaults) with a random salt, as a PHC string.
fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
}

fn bulk_row(
    schema: &Schema<'_>,
    input: &Map<String, Json>,
    owner_id: i64,
    created_at: chrono::DateTime<Utc>,
) -> anyhow::Result<BulkRow> {
    let changes = schema.from_json(input, Mode::Create).map_err(|errors| {
        anyhow::anyhow!(
            "generated demo {} is invalid: {errors:?} ({input:?})",
            schema.entity.name
        )
    })?;
    Ok(BulkRow {
        created_at: Some(created_at),
        ..BulkRow::from_changes(owner_id, changes)
    })
}

fn all_of(entity: &'static EntityDef, in_recycle_bin: bool) -> ListQuery {
    ListQuery {
        text: None,
        filters: Vec::new(),
        sort: Sort {
            field: entity.field("id").expect("records have ids"),
            descending: true,
        },
        limit: 1,
        cursor: None,
        in_recycle_bin,
        whole_words: false,
    }
}

/// Whether there are customers, live or in the recycle bin.
async fn has_customers(db: &Db) -> anyhow::Result<bool> {
    for in_recycle_bin in [false, true] {
        let (count, _) = records::count(
            db,
            &ACCOUNT,
            &Visibility::Everything,
            &all_of(&ACCOUNT, in_recycle_bin),
            1,
        )
        .await?;
        if count > 0 {
            return Ok(true);
        }
    }
    Ok(false)
}

async fn owned_customers(db: &Db, user_id: i64) -> anyhow::Result<u64> {
    Ok(records::count(
        db,
        &ACCOUNT,
        &Visibility::Own(user_id),
        &all_of(&ACCOUNT, false),
        100_000,
    )
    .await?
    .0)
}

async fn ensure_picklists(db: &Db) -> anyhow::Result<()> {
    let current = picklists::all(db).await?;
    for (list, values) in PICKLISTS {
        for value in *values {
            if !current
                .get(*list)
                .is_some_and(|v| v.iter().any(|existing| existing == value))
            {
                picklists::add(db, list, value)
                    .await
                    .with_context(|| format!("adding {value} to the {list} list"))?;
            }
        }
    }
    Ok(())
}

async fn ensure_custom_fields(db: &Db) -> anyhow::Result<()> {
    let definitions = [
        (
            "account",
            "wechat_id",
            "WeChat ID",
            "微信号",
            CustomFieldKind::Text,
            &[][..],
        ),
        (
            "account",
            "employees",
            "Employees",
            "员工人数",
            CustomFieldKind::Number,
            &[][..],
        ),
        (
            "account",
            "contract_renewal",
            "Contract renewal",
            "合同续约日",
            CustomFieldKind::Date,
            &[][..],
        ),
        (
            "contact",
            "preferred_channel",
            "Preferred channel",
            "首选沟通方式",
            CustomFieldKind::Select,
            CHANNELS,
        ),
    ];
    for (entity, key, label_en, label_zh, kind, options) in definitions {
        let existing = custom_fields::for_entity(db, entity).await?;
        match existing.iter().find(|d| d.key == key) {
            Some(def) if def.kind == kind && options.iter().all(|o| def.options.iter().any(|d| d == o)) => {}
            Some(_) => bail!("the custom field {entity}.{key} exists with another type or options; the demo needs its own"),
            None => {
                let def = CustomFieldDef {
                    id: 0,
                    entity: entity.into(),
                    key: key.into(),
                    label_en: label_en.into(),
                    label_zh: label_zh.into(),
                    kind,
                    options: options.iter().map(|o| o.to_string()).collect(),
                };
                custom_fields::create(db, &def).await.with_context(|| format!("adding the custom field {entity}.{key}"))?;
            }
        }
    }
    Ok(())
}

/// The teams, created where missing: the sales department with its two regional teams,
/// and customer service.
async fn ensure_teams(db: &Db) -> anyhow::Result<Vec<(&'static str, i64)>> {
    let mut ids: Vec<(&'static str, i64)> = Vec::new();
    for (name, parent) in [
        (SALES, None),
        (EAST, Some(SALES)),
        (SOUTH, Some(SALES)),
        (SERVICE, None),
    ] {
        let parent_id = parent.and_then(|p| ids.iter().find(|(n, _)| *n == p).map(|(_, id)| *id));
        let id = match teams::by_name(db, name).await? {
            Some(team) => team.id,
            None => {
                teams::create(db, name, parent_id)
                    .await
                    .with_context(|| format!("creating the team {name}"))?
                    .id
            }
        };
        ids.push((name, id));
    }
    Ok(ids)
}

#[cfg(test)]
mod tests;
