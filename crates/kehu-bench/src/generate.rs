//! `kehu-bench generate`: the benchmark data set, loaded with `records::bulk_insert`.
//!
//! The organisation: an admin (`bench.admin`), two sales regions (华东大区, 华南大区)
//! with nine sales groups each (20 teams). Each region has a director
//! (`east.director`, `south.director`, role sales_manager) and each group a manager
//! (`east1.manager` …, sales_manager) and ten reps (`east1.rep01` …, sales_rep): 200
//! users who own the customers, spread evenly. Contacts belong to a customer and have
//! its owner.

use crate::data::{self, AccountInfo};
use crate::target::Target;
use anyhow::{bail, Context as _};
use chrono::Utc;
use kehu_core::entity::{CustomFieldDef, CustomFieldKind, ACCOUNT, CONTACT};
use kehu_db::records::{BulkLoad, BulkRow, Strategy};
use kehu_db::users::NewUser;
use kehu_db::{custom_fields, picklists, roles, teams, users, Db};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Rows handed to the load at a time. Each entity is one load (one transaction), so that
/// its indexes are built once, after all its rows.
pub const BATCH: usize = 50_000;

/// Usernames the benchmark signs in as.
pub const ADMIN: &str = "bench.admin";
pub const MANAGER: &str = "east1.manager";
pub const DIRECTOR: &str = "east.director";
pub const REP: &str = "east1.rep01";

/// A password hash no password matches: the benchmark users sign in with API tokens only.
const NO_PASSWORD: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$YmVuY2htYXJr$bm8tcGFzc3dvcmQtbWF0Y2hlcy10aGlz";

/// What `generate` measured, kept beside the data for `run` to report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GenerateReport {
    pub backend: String,
    pub customers: usize,
    pub contacts: usize,
    pub users: usize,
    pub teams: usize,
    pub seed: u64,
    pub setup_seconds: f64,
    pub customers_seconds: f64,
    pub contacts_seconds: f64,
    /// `ANALYZE` after the load (not counted in the rows per second).
    #[serde(default)]
    pub analyze_seconds: f64,
    pub customers_per_second: f64,
    pub contacts_per_second: f64,
    pub rows_per_second: f64,
    pub size_bytes: u64,
    pub generated_at: String,
}

/// Where the report of a database's generation is kept.
pub fn report_path(work_dir: &Path, target: &Target) -> PathBuf {
    work_dir.join(format!("{}.generate.json", target.label()))
}

pub fn read_report(work_dir: &Path, target: &Target) -> Option<GenerateReport> {
    let text = std::fs::read_to_string(report_path(work_dir, target)).ok()?;
    serde_json::from_str(&text).ok()
}

pub struct Options {
    pub target: Target,
    pub customers: usize,
    pub contacts: usize,
    pub seed: u64,
    pub force: bool,
    pub work_dir: PathBuf,
}

pub async fn run(options: Options) -> anyhow::Result<GenerateReport> {
    let Options {
        target,
        customers,
        contacts,
        seed,
        force,
        work_dir,
    } = options;
    if target.exists().await? {
        if !force {
            bail!(
                "{} already exists; pass --force to replace it",
                target.url()
            );
        }
        target.drop_database().await?;
    }
    target.create().await?;
    let started = Instant::now();
    let db = Db::connect(target.url()).await?;
    db.migrate().await?;
    roles::ensure_defaults(&db).await?;
    for (list, values) in data::PICKLISTS {
        for value in *values {
            picklists::add(&db, list, value)
                .await
                .with_context(|| format!("picklist {list}"))?;
        }
    }
    custom_fields::create(
        &db,
        &CustomFieldDef {
            id: 0,
            entity: "account".into(),
            key: "employees".into(),
            label_en: "Employees".into(),
            label_zh: "员工人数".into(),
            kind: CustomFieldKind::Number,
            options: vec![],
        },
    )
    .await?;
    let org = create_org(&db).await?;
    let setup_seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "{}: {} teams and {} users in {setup_seconds:.1} s; loading {customers} customers …",
        target.backend_name(),
        org.teams,
        org.owners.len() + 1
    );

    let now = kehu_db::now();
    // Customers: generated on a thread of their own, a batch ahead of the one being loaded.
    let started = Instant::now();
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<(Vec<BulkRow>, Vec<AccountInfo>)>(1);
    let owners = org.owners.clone();
    let producer = std::thread::spawn(move || {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut first = 0;
        while first < customers {
            let count = BATCH.min(customers - first);
            let batch = data::accounts(&mut rng, first, count, customers, &owners, now);
            first += count;
            if sender.blocking_send(batch).is_err() {
                break;
            }
        }
    });
    let mut infos: Vec<AccountInfo> = Vec::with_capacity(customers);
    let mut load = BulkLoad::begin(&db, &ACCOUNT, Some(org.admin_id), Strategy::Auto).await?;
    while let Some((rows, mut batch_infos)) = receiver.recv().await {
        let ids = load.insert(rows).await?;
        for (info, id) in batch_infos.iter_mut().zip(ids) {
            info.id = id;
        }
        infos.extend(batch_infos);
        progress("customers", infos.len(), customers, started);
    }
    finish(load, started).await?;
    producer
        .join()
        .map_err(|_| anyhow::anyhow!("the customer generator panicked"))?;
    let customers_seconds = started.elapsed().as_secs_f64();
    eprintln!();

    // Contacts: between none and a handful per customer, in customer order.
    let started = Instant::now();
    let infos = std::sync::Arc::new(infos);
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Vec<BulkRow>>(1);
    let producer = {
        let infos = std::sync::Arc::clone(&infos);
        std::thread::spawn(move || {
            let mut rng = StdRng::seed_from_u64(seed ^ 0x00c0_ffee);
            let counts = data::contacts_per_account(&mut rng, infos.len(), contacts);
            let mut batch = Vec::with_capacity(BATCH);
            for (account, n) in infos.iter().zip(counts) {
                for _ in 0..n {
                    batch.push(data::contact(&mut rng, account, now));
                    if batch.len() == BATCH
                        && sender.blocking_send(std::mem::take(&mut batch)).is_err()
                    {
                        return;
                    }
                }
            }
            if !batch.is_empty() {
                let _ = sender.blocking_send(batch);
            }
        })
    };
    let mut loaded = 0;
    let mut load = BulkLoad::begin(&db, &CONTACT, Some(org.admin_id), Strategy::Auto).await?;
    while let Some(rows) = receiver.recv().await {
        loaded += load.insert(rows).await?.len();
        progress("contacts", loaded, contacts, started);
    }
    finish(load, started).await?;
    producer
        .join()
        .map_err(|_| anyhow::anyhow!("the contact generator panicked"))?;
    let contacts_seconds = started.elapsed().as_secs_f64();
    eprintln!();
    // Statistics of every table, as a server's housekeeping would leave them (the loads
    // refreshed those of their own tables already); timed on its own.
    let started = Instant::now();
    db.refresh_statistics(true).await?;
    let analyze_seconds = started.elapsed().as_secs_f64();
    eprintln!("  statistics (ANALYZE) in {analyze_seconds:.1} s");
    db.close().await;

    let rate = |rows: usize, seconds: f64| {
        if seconds > 0.0 {
            rows as f64 / seconds
        } else {
            0.0
        }
    };
    let report = GenerateReport {
        backend: target.backend_name().to_string(),
        customers,
        contacts: loaded,
        users: org.owners.len() + 1,
        teams: org.teams,
        seed,
        setup_seconds,
        customers_seconds,
        contacts_seconds,
        analyze_seconds,
        customers_per_second: rate(customers, customers_seconds),
        contacts_per_second: rate(loaded, contacts_seconds),
        rows_per_second: rate(customers + loaded, customers_seconds + contacts_seconds),
        size_bytes: target.size_bytes().await.unwrap_or(0),
        generated_at: Utc::now().to_rfc3339(),
    };
    std::fs::create_dir_all(&work_dir)?;
    std::fs::write(
        report_path(&work_dir, &target),
        serde_json::to_string_pretty(&report)?,
    )?;
    Ok(report)
}

/// Finishes a load (index builds, statistics, commit), saying how long that took.
async fn finish(load: BulkLoad, started: Instant) -> anyhow::Result<()> {
    let rows_done = started.elapsed().as_secs_f64();
    load.finish().await?;
    eprint!(
        "; indexes and commit in {:.1} s",
        started.elapsed().as_secs_f64() - rows_done
    );
    Ok(())
}

fn progress(what: &str, done: usize, total: usize, started: Instant) {
    let seconds = started.elapsed().as_secs_f64();
    eprint!(
        "\r  {what}: {done}/{total} in {seconds:.1} s ({:.0} rows/s)   ",
        done as f64 / seconds.max(1e-9)
    );
}

struct Org {
    admin_id: i64,
    /// The 200 users who own records.
    owners: Vec<i64>,
    teams: usize,
}

async fn create_org(db: &Db) -> anyhow::Result<Org> {
    let user = |username: String, display: String, team_id: Option<i64>, role: &str| NewUser {
        email: Some(format!("{username}@kehu-bench.example")),
        username,
        display_name: display,
        password_hash: NO_PASSWORD.to_string(),
        team_id,
        roles: vec![role.to_string()],
    };
    let admin = users::create(db, user(ADMIN.into(), "基准管理员".into(), None, "admin")).await?;
    let mut owners = Vec::new();
    let mut team_count = 0;
    let groups = ["一", "二", "三", "四", "五", "六", "七", "八", "九"];
    for (region, region_name) in [("east", "华东"), ("south", "华南")] {
        let parent = teams::create(db, &format!("{region_name}大区"), None).await?;
        team_count += 1;
        let director = users::create(
            db,
            user(
                format!("{region}.director"),
                format!("{region_name}总监"),
                Some(parent.id),
                "sales_manager",
            ),
        )
        .await?;
        owners.push(director.id);
        for (g, group) in groups.iter().enumerate() {
            let team =
                teams::create(db, &format!("{region_name}销售{group}组"), Some(parent.id)).await?;
            team_count += 1;
            let n = g + 1;
            let manager = users::create(
                db,
                user(
                    format!("{region}{n}.manager"),
                    format!("{region_name}{group}组经理"),
                    Some(team.id),
                    "sales_manager",
                ),
            )
            .await?;
            owners.push(manager.id);
            for r in 1..=10 {
                let rep = users::create(
                    db,
                    user(
                        format!("{region}{n}.rep{r:02}"),
                        format!("{region_name}{group}组销售{r:02}"),
                        Some(team.id),
                        "sales_rep",
                    ),
                )
                .await?;
                owners.push(rep.id);
            }
        }
    }
    Ok(Org {
        admin_id: admin.id,
        owners,
        teams: team_count,
    })
}
