//! `kehu-bench`: Kehu's benchmark program (see BENCHMARKS.md at the repository root).
//!
//! ```text
//! cargo build --release -p kehu -p kehu-bench
//! target/release/kehu-bench generate --database-url sqlite://target/kehu-bench/kehu-1m.db
//! target/release/kehu-bench run --database-url sqlite://target/kehu-bench/kehu-1m.db
//! target/release/kehu-bench analytics
//! ```
//!
//! Speed targets are checked here, as ratios against a baseline measured in the same run
//! and as latency percentiles under load, never in timed tests.

mod analytics;
mod baseline;
mod data;
mod generate;
mod probe;
mod run;
mod target;

use clap::{Parser, Subcommand};

/// The same allocator as the `kehu` binary, so that the baseline server (this program)
/// and Kehu are compared with equal allocators.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::path::PathBuf;
use target::Target;

#[derive(Debug, Parser)]
#[command(
    name = "kehu-bench",
    about = "Kehu benchmarks: data generator, baseline server, wrk-driven run"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a database and fill it with generated customers, contacts, teams and users,
    /// through kehu-db's bulk insert; reports rows per second.
    Generate {
        /// `sqlite://PATH` or `postgres://USER@HOST:PORT/NAME` (created; NAME must not exist
        /// unless --force).
        #[arg(long)]
        database_url: String,
        /// Number of customers.
        #[arg(long, default_value_t = 1_000_000)]
        customers: usize,
        /// Number of contacts (spread over the customers).
        #[arg(long, default_value_t = 2_000_000)]
        contacts: usize,
        /// Seed of the generator (same seed, same data).
        #[arg(long, default_value_t = 2024)]
        seed: u64,
        /// Replace the database if it exists.
        #[arg(long)]
        force: bool,
        /// Where reports and logs go.
        #[arg(long, default_value = "target/kehu-bench")]
        work_dir: PathBuf,
    },
    /// Run the benchmark: start-up time, wrk scenarios against Kehu and the baseline, memory.
    Run {
        #[arg(long)]
        database_url: String,
        /// Seconds per wrk run.
        #[arg(long, default_value_t = 15, value_parser = parse_seconds)]
        duration: u64,
        /// Seconds of warm-up per scenario before the measured rounds (0 for none).
        #[arg(long, default_value_t = 3, value_parser = parse_seconds)]
        warmup: u64,
        /// Rounds; the table shows medians.
        #[arg(long, default_value_t = 3)]
        repeat: usize,
        /// wrk connections.
        #[arg(long, default_value_t = 16)]
        connections: u32,
        /// wrk threads.
        #[arg(long, default_value_t = 2)]
        threads: u32,
        /// The release `kehu` binary (default: next to this program).
        #[arg(long)]
        kehu: Option<PathBuf>,
        #[arg(long, default_value = "target/kehu-bench")]
        work_dir: PathBuf,
        /// Only scenarios whose name contains one of these (or whose mode is: get, list, search).
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
    },
    /// The bare axum + sqlx server the point read is compared with.
    BaselineServer {
        #[arg(long)]
        database_url: String,
        #[arg(long, default_value = "127.0.0.1:8090")]
        bind: String,
    },
    /// Time each list shape and search term through kehu-db, per kind of user, one call at a time.
    Probe {
        #[arg(long)]
        database_url: String,
        /// Calls per shape (median shown).
        #[arg(long, default_value_t = 5)]
        reps: usize,
        /// `list` or `search` only.
        #[arg(long)]
        only: Option<String>,
    },
    /// The customer analytics targets (issue 3): RFM + ABC from CSV against pandas,
    /// BG/NBD fits against lifetimes, the in-app recomputation on SQLite.
    Analytics {
        /// Customers of the generated purchase history.
        #[arg(long, default_value_t = 1_000_000)]
        customers: u32,
        /// Purchases of the generated purchase history.
        #[arg(long, default_value_t = 10_000_000)]
        purchases: usize,
        /// Customers of the generated BG/NBD summary.
        #[arg(long, default_value_t = 100_000)]
        fit_customers: usize,
        #[arg(long, default_value_t = 2024)]
        seed: u64,
        /// Rounds; the table shows medians (the fits run at least 5).
        #[arg(long, default_value_t = 3)]
        repeat: usize,
        /// The release `kehu` binary (default: next to this program).
        #[arg(long)]
        kehu: Option<PathBuf>,
        /// The Python that creates the baselines' virtual environment.
        #[arg(long, default_value = "python3")]
        python: String,
        /// CDNOW sample summary (see ../shared/data/cdnow/README.md).
        #[arg(long, default_value = "../shared/data/cdnow/cdnow_sample_summary.csv")]
        cdnow_summary: PathBuf,
        /// The SQLite database of the in-app target (created and loaded when missing).
        #[arg(long, default_value = "sqlite://target/kehu-bench/analytics-1m.db")]
        database_url: String,
        #[arg(long, default_value = "target/kehu-bench")]
        work_dir: PathBuf,
        /// Only these targets: rfm, fit, app.
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
    },
    /// Remove a benchmark database (SQLite files or the PostgreSQL database).
    Drop {
        #[arg(long)]
        database_url: String,
    },
}

/// `15`, `15s` or `2m`.
fn parse_seconds(raw: &str) -> Result<u64, String> {
    let raw = raw.trim();
    let (number, unit) = match raw.strip_suffix('s') {
        Some(n) => (n, 1),
        None => match raw.strip_suffix('m') {
            Some(n) => (n, 60),
            None => (raw, 1),
        },
    };
    number
        .parse::<u64>()
        .map(|n| n * unit)
        .map_err(|_| format!("{raw:?} is not a duration such as 15s or 2m"))
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match cli.command {
            Command::Generate {
                database_url,
                customers,
                contacts,
                seed,
                force,
                work_dir,
            } => {
                // The bulk loads' per-step timing (each index, each full-text table).
                tracing_subscriber::fmt()
                    .with_env_filter("kehu_db=info")
                    .with_writer(std::io::stderr)
                    .init();
                let target = Target::parse(&database_url)?;
                let report = generate::run(generate::Options {
                    target,
                    customers,
                    contacts,
                    seed,
                    force,
                    work_dir,
                })
                .await?;
                println!("{}", serde_json::to_string_pretty(&report)?);
                Ok(())
            }
            Command::Run {
                database_url,
                duration,
                warmup,
                repeat,
                connections,
                threads,
                kehu,
                work_dir,
                only,
            } => {
                let kehu = match kehu {
                    Some(path) => path,
                    None => std::env::current_exe()?.with_file_name("kehu"),
                };
                run::run(run::Options {
                    target: Target::parse(&database_url)?,
                    duration,
                    warmup,
                    repeat: repeat.max(1),
                    connections,
                    threads,
                    kehu,
                    work_dir,
                    only,
                })
                .await
            }
            Command::BaselineServer { database_url, bind } => {
                baseline::serve(&database_url, &bind).await
            }
            Command::Probe {
                database_url,
                reps,
                only,
            } => probe::run(&Target::parse(&database_url)?, reps, only.as_deref()).await,
            Command::Analytics {
                customers,
                purchases,
                fit_customers,
                seed,
                repeat,
                kehu,
                python,
                cdnow_summary,
                database_url,
                work_dir,
                only,
            } => {
                // The job's per-phase timing line (read, compute, total) goes to stderr.
                tracing_subscriber::fmt()
                    .with_env_filter("kehu_jobs=info")
                    .with_writer(std::io::stderr)
                    .init();
                let kehu = match kehu {
                    Some(path) => path,
                    None => std::env::current_exe()?.with_file_name("kehu"),
                };
                analytics::run(analytics::Options {
                    customers,
                    purchases,
                    fit_customers,
                    seed,
                    rounds: repeat.max(1),
                    kehu,
                    python,
                    bench_dir: analytics::default_bench_dir(),
                    cdnow_summary,
                    database_url,
                    work_dir,
                    only,
                })
                .await
            }
            Command::Drop { database_url } => {
                let target = Target::parse(&database_url)?;
                target.drop_database().await?;
                eprintln!("removed {}", target.url());
                Ok(())
            }
        }
    })
}
