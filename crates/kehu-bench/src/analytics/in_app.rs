//! Target 3: the in-app recomputation (`kehu_jobs::customer_values::recompute`, what the
//! nightly and on-demand job runs) on a SQLite database of 1,000,000 customers and
//! 10,000,000 orders, while another connection keeps inserting rows one short
//! transaction at a time: its latency shows whether the job holds the write lock.

use super::median;
use super::purchases::{as_of, GeneratedPurchase};
use crate::target::Target;
use anyhow::Context as _;
use kehu_db::users::NewUser;
use kehu_db::{roles, users, Db};
use kehu_jobs::customer_values::{recompute, ValueSettings};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Connection, Executor, Row, SqliteConnection};
use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Rows per multi-row INSERT while loading (8 columns: far below SQLite's 32,766 limit).
const ROWS_PER_INSERT: usize = 500;
/// Pause between the concurrent writer's inserts.
const WRITER_PAUSE: Duration = Duration::from_millis(5);

/// What identifies a loaded database, so that a later run reuses it.
fn fingerprint(seed: u64, customers: u32, purchases: usize) -> String {
    format!("seed={seed} customers={customers} purchases={purchases}")
}

/// Whether `target` holds the data set of this fingerprint.
pub async fn is_loaded(target: &Target, seed: u64, customers: u32, purchases: usize) -> bool {
    if !target.exists().await.unwrap_or(false) {
        return false;
    }
    let Ok(mut conn) = SqliteConnection::connect(target.url()).await else {
        return false;
    };
    let stored: Option<String> = sqlx::query_scalar("SELECT fingerprint FROM bench_data_set")
        .fetch_optional(&mut conn)
        .await
        .ok()
        .flatten();
    stored == Some(fingerprint(seed, customers, purchases))
}

/// Creates the database with Kehu's migrations and loads customers and orders with plain
/// multi-row INSERTs; indexes and full-text triggers of the two tables are dropped for
/// the load and created again afterwards (the rows have no search text to index).
pub async fn load(
    target: &Target,
    rows: &[GeneratedPurchase],
    seed: u64,
    customers: u32,
) -> anyhow::Result<()> {
    if target.exists().await? {
        target.drop_database().await?;
    }
    target.create().await?;
    let db = Db::connect(target.url()).await?;
    db.migrate().await?;
    roles::ensure_defaults(&db).await?;
    let owner = users::create(
        &db,
        NewUser {
            username: "bench.analyst".into(),
            display_name: "Analytics benchmark".into(),
            email: None,
            password_hash: "!".into(),
            team_id: None,
            roles: vec!["admin".into()],
        },
    )
    .await?
    .id;
    db.close().await;

    let started = Instant::now();
    let options = SqliteConnectOptions::from_str(target.url())?
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Off)
        .pragma("cache_size", "-262144");
    let mut conn = SqliteConnection::connect_with(&options).await?;
    let schema: Vec<String> = sqlx::query_scalar(
        "SELECT sql FROM sqlite_master WHERE tbl_name IN ('accounts', 'orders')
           AND type IN ('index', 'trigger') AND sql IS NOT NULL",
    )
    .fetch_all(&mut conn)
    .await?;
    let dropped: Vec<(String, String)> = sqlx::query(
        "SELECT type, name FROM sqlite_master WHERE tbl_name IN ('accounts', 'orders')
           AND type IN ('index', 'trigger') AND sql IS NOT NULL",
    )
    .fetch_all(&mut conn)
    .await?
    .iter()
    .map(|row| (row.get::<String, _>(0), row.get::<String, _>(1)))
    .collect();
    for (kind, name) in &dropped {
        conn.execute(format!("DROP {} \"{name}\"", kind.to_uppercase()).as_str())
            .await?;
    }
    let stamp = kehu_db::now()
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
        .to_string();

    let mut tx = conn.begin().await?;
    let customer_ids: Vec<u32> = (1..=customers).collect();
    for chunk in customer_ids.chunks(ROWS_PER_INSERT) {
        let mut sql = String::from(
            "INSERT INTO accounts (id, name, owner_id, created_at, updated_at) VALUES ",
        );
        push_placeholders(&mut sql, chunk.len(), 5);
        let mut query = sqlx::query(&sql);
        for &id in chunk {
            query = query
                .bind(i64::from(id))
                .bind(format!("分析基准客户{id:07}"))
                .bind(owner)
                .bind(&stamp)
                .bind(&stamp);
        }
        query.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    eprintln!(
        "  {customers} customers in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let mut tx = conn.begin().await?;
    for (chunk_index, chunk) in rows.chunks(ROWS_PER_INSERT).enumerate() {
        let mut sql = String::from(
            "INSERT INTO orders (id, name, account_id, order_date, total, owner_id, created_at, updated_at) VALUES ",
        );
        push_placeholders(&mut sql, chunk.len(), 8);
        let mut query = sqlx::query(&sql);
        for (i, p) in chunk.iter().enumerate() {
            let id = (chunk_index * ROWS_PER_INSERT + i + 1) as i64;
            query = query
                .bind(id)
                .bind(format!("SO{id:08}"))
                .bind(i64::from(p.customer))
                .bind(p.date())
                .bind(i64::from(p.cents))
                .bind(owner)
                .bind(&stamp)
                .bind(&stamp);
        }
        query.execute(&mut *tx).await?;
        if chunk_index % 2_000 == 0 {
            eprint!(
                "\r  orders: {} of {}   ",
                chunk_index * ROWS_PER_INSERT,
                rows.len()
            );
        }
    }
    tx.commit().await?;
    eprintln!(
        "\r  {} orders after {:.1} s; indexes …",
        rows.len(),
        started.elapsed().as_secs_f64()
    );
    for sql in &schema {
        conn.execute(sql.as_str()).await?;
    }
    conn.execute("ANALYZE").await?;
    conn.execute("CREATE TABLE bench_data_set (fingerprint TEXT NOT NULL)")
        .await?;
    sqlx::query("INSERT INTO bench_data_set VALUES (?)")
        .bind(fingerprint(seed, customers, rows.len()))
        .execute(&mut conn)
        .await?;
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").await?;
    conn.close().await?;
    eprintln!("  loaded in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

fn push_placeholders(sql: &mut String, rows: usize, columns: usize) {
    let row = format!("({})", vec!["?"; columns].join(","));
    for i in 0..rows {
        if i > 0 {
            sql.push(',');
        }
        sql.push_str(&row);
    }
}

/// The recomputation's time and the concurrent writer's latencies.
pub struct InAppResult {
    pub seconds: Vec<f64>,
    /// Per round: seconds until readers saw the new run (before the old one is deleted).
    pub visible: Vec<f64>,
    /// Per round: CPU seconds the process used (all threads), which a busy machine
    /// inflates less than the elapsed time.
    pub cpu: Vec<f64>,
    pub customers: i64,
    /// The last round's run (left in place).
    pub run_id: i64,
    /// Per round: (writes, p50 ms, p99 ms, max ms) of the concurrent inserts.
    pub writer: Vec<WriterLatency>,
}

pub struct WriterLatency {
    pub writes: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl InAppResult {
    pub fn median_seconds(&self) -> f64 {
        median(self.seconds.clone())
    }

    pub fn median_visible(&self) -> f64 {
        median(self.visible.clone())
    }

    /// The worst round's maximum insert latency.
    pub fn max_writer_ms(&self) -> f64 {
        self.writer.iter().map(|w| w.max_ms).fold(0.0, f64::max)
    }
}

/// Compares the stored RFM scores, segments and ABC classes of run `run_id` with the
/// output of `kehu analytics rfm` on the same purchases (`cli_output`, written by the
/// `rfm` target): the job must score every customer as the command line does.
pub async fn compare_with_cli(
    target: &Target,
    run_id: i64,
    cli_output: &Path,
) -> anyhow::Result<String> {
    let mut conn = SqliteConnection::connect(target.url()).await?;
    let rows = sqlx::query(
        "SELECT account_id, recency_days, frequency, monetary, r_score, f_score, m_score,
                segment, abc_class
           FROM customer_values WHERE run_id = ? ORDER BY account_id",
    )
    .bind(run_id)
    .fetch_all(&mut conn)
    .await?;
    conn.close().await?;
    let stored: Vec<(i64, String)> = rows
        .iter()
        .map(|row| {
            let money: i64 = row.get(3);
            let line = format!(
                "{},{},{},{}.{:02},{},{},{},{},{}",
                row.get::<i64, _>(0),
                row.get::<i64, _>(1),
                row.get::<i64, _>(2),
                money / 100,
                money % 100,
                row.get::<i64, _>(4),
                row.get::<i64, _>(5),
                row.get::<i64, _>(6),
                row.get::<String, _>(7),
                row.get::<String, _>(8),
            );
            (row.get::<i64, _>(0), line)
        })
        .collect();
    let text = std::fs::read_to_string(cli_output)
        .with_context(|| format!("reading {}", cli_output.display()))?;
    let mut cli: Vec<(i64, &str)> = text
        .lines()
        .skip(1)
        .map(|line| {
            let id = line.split(',').next().unwrap_or_default();
            Ok((id.parse::<i64>()?, line))
        })
        .collect::<anyhow::Result<_>>()?;
    cli.sort_unstable_by_key(|&(id, _)| id);
    anyhow::ensure!(
        cli.len() == stored.len(),
        "the job stored {} customers, the command line printed {}",
        stored.len(),
        cli.len()
    );
    let differing: Vec<String> = stored
        .iter()
        .zip(&cli)
        .filter(|((_, app), (_, line))| app != line)
        .map(|((_, app), (_, line))| format!("app {app} / cli {line}"))
        .collect();
    anyhow::ensure!(
        differing.is_empty(),
        "{} customers scored differently, e.g. {}",
        differing.len(),
        differing
            .iter()
            .take(3)
            .cloned()
            .collect::<Vec<_>>()
            .join("; ")
    );
    Ok(format!(
        "the stored scores equal `kehu analytics rfm`'s output for all {} customers",
        stored.len()
    ))
}

pub async fn measure(target: &Target, rounds: usize) -> anyhow::Result<InAppResult> {
    let db = Db::connect(target.url()).await?;
    // A database loaded by an older build gets the newer migrations (and indexes) here,
    // before anything is timed.
    db.migrate().await?;
    db.refresh_statistics(false).await?;
    db.conn()
        .execute_raw("CREATE TABLE IF NOT EXISTS bench_writes (id INTEGER PRIMARY KEY, at TEXT)")
        .await?;
    let settings = ValueSettings::default();
    let mut result = InAppResult {
        seconds: Vec::new(),
        visible: Vec::new(),
        cpu: Vec::new(),
        customers: 0,
        run_id: 0,
        writer: Vec::new(),
    };
    for round in 0..rounds {
        let stop = Arc::new(AtomicBool::new(false));
        let writer = tokio::spawn(concurrent_writer(db.clone(), Arc::clone(&stop)));
        let started = Instant::now();
        let cpu_before = process_cpu_seconds();
        let recomputed = recompute(&db, as_of(), &settings, None)
            .await
            .context("recomputing customer values")?;
        let seconds = started.elapsed().as_secs_f64();
        let cpu = process_cpu_seconds() - cpu_before;
        let run_id = recomputed.run_id;
        stop.store(true, Ordering::Relaxed);
        let latency = writer.await??;
        let run = kehu_db::customer_values::latest_run(&db)
            .await?
            .context("the run was not recorded")?;
        anyhow::ensure!(
            run.id == run_id,
            "the latest run is not the one just computed"
        );
        result.customers = run.customers;
        result.run_id = run_id;
        let phases = recomputed.phases;
        eprintln!(
            "  in-app round {}: {seconds:.2} s ({cpu:.1} s of CPU) for {} customers (read {:.2} s, compute {:.2} s, store {:.2} s: visible after {:.2} s; cleanup {:.2} s); concurrent inserts: {} writes, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            round + 1,
            run.customers,
            phases.read.as_secs_f64(),
            phases.compute.as_secs_f64(),
            phases.store.as_secs_f64(),
            phases.until_visible().as_secs_f64(),
            phases.cleanup.as_secs_f64(),
            latency.writes,
            latency.p50_ms,
            latency.p99_ms,
            latency.max_ms
        );
        result.seconds.push(seconds);
        result.cpu.push(cpu);
        result.visible.push(phases.until_visible().as_secs_f64());
        result.writer.push(latency);
    }
    db.close().await;
    Ok(result)
}

/// User and system CPU time of this process so far (Linux `/proc/self/stat`; 0 elsewhere).
fn process_cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // After the command name in parentheses: fields 14 and 15 are utime and stime, in
    // clock ticks (100 a second on Linux).
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return 0.0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// Inserts one row per short write transaction (`Db::begin`, i.e. `BEGIN IMMEDIATE`,
/// as every repository write does) until told to stop; gives the latencies.
async fn concurrent_writer(db: Db, stop: Arc<AtomicBool>) -> anyhow::Result<WriterLatency> {
    let mut latencies = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let started = Instant::now();
        let mut tx = db.begin().await?;
        tx.conn()
            .execute_raw("INSERT INTO bench_writes (at) VALUES (datetime('now'))")
            .await?;
        tx.commit().await?;
        latencies.push(started.elapsed().as_secs_f64() * 1000.0);
        tokio::time::sleep(WRITER_PAUSE).await;
    }
    latencies.sort_by(f64::total_cmp);
    let at = |q: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or(0.0)
    };
    Ok(WriterLatency {
        writes: latencies.len(),
        p50_ms: at(0.5),
        p99_ms: at(0.99),
        max_ms: at(1.0),
    })
}
