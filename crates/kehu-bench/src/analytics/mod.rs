//! `kehu-bench analytics`: the speed targets of the customer value engine (issue 3),
//! each against a Python baseline measured in the same run.
//!
//! 1. RFM + ABC of 10,000,000 purchases of 1,000,000 customers from CSV, end to end:
//!    `kehu analytics rfm` against pandas (`bench/rfm_pandas.py`); faster, aim 3×.
//! 2. BG/NBD fits: the CDNOW sample under 10 ms and 100,000 customers under 200 ms,
//!    against `lifetimes` (`bench/bgnbd_lifetimes.py`).
//! 3. The in-app recomputation of 1,000,000 customers from SQLite under 5 s, with a
//!    concurrent writer's insert latency showing the write lock is not held.
//!
//! Data are generated (seeded) into the work directory and reused by later runs.

mod fit;
mod in_app;
mod purchases;
mod python;
mod rfm_csv;
mod sampling;
mod summaries;

use crate::target::Target;
use python::Python;
use std::path::{Path, PathBuf};
use std::time::Instant;

pub struct Options {
    pub customers: u32,
    pub purchases: usize,
    pub fit_customers: usize,
    pub seed: u64,
    pub rounds: usize,
    pub kehu: PathBuf,
    pub python: String,
    pub bench_dir: PathBuf,
    pub cdnow_summary: PathBuf,
    pub database_url: String,
    pub work_dir: PathBuf,
    /// Targets to run: `rfm`, `fit`, `app` (all when empty).
    pub only: Vec<String>,
}

/// A timing of Kehu and of its baseline, in seconds.
pub struct Measured {
    pub kehu: f64,
    pub baseline: f64,
    pub kehu_rounds: Vec<f64>,
    pub baseline_rounds: Vec<f64>,
    /// How the two results were found to agree.
    pub agreement: String,
}

impl Measured {
    /// How many times faster Kehu is.
    fn speedup(&self) -> f64 {
        self.baseline / self.kehu
    }
}

pub async fn run(options: Options) -> anyhow::Result<()> {
    let wants = |name: &str| options.only.is_empty() || options.only.iter().any(|o| o == name);
    let work_dir = options.work_dir.join("analytics");
    std::fs::create_dir_all(&work_dir)?;
    let needs_python = wants("rfm") || wants("fit");
    let python = if needs_python {
        Some(Python::prepare(
            &options.python,
            &options.bench_dir,
            &work_dir,
        )?)
    } else {
        None
    };
    let mut lines = Vec::new();
    let mut details = Vec::new();

    let purchases_csv = work_dir.join(format!(
        "purchases-{}-{}-{}.csv",
        options.customers, options.purchases, options.seed
    ));
    let database = Target::parse(&options.database_url)?;
    let need_rows = (wants("rfm") && !purchases_csv.is_file())
        || (wants("app")
            && !in_app::is_loaded(
                &database,
                options.seed,
                options.customers,
                options.purchases,
            )
            .await);
    let rows = if need_rows {
        let started = Instant::now();
        let rows = purchases::generate(options.seed, options.customers, options.purchases);
        eprintln!(
            "generated {} purchases of {} customers in {:.1} s",
            rows.len(),
            options.customers,
            started.elapsed().as_secs_f64()
        );
        rows
    } else {
        Vec::new()
    };

    if wants("rfm") {
        if !purchases_csv.is_file() {
            let partial = purchases_csv.with_extension("csv.partial");
            purchases::write_csv(&rows, &partial)?;
            std::fs::rename(&partial, &purchases_csv)?;
        }
        eprintln!("RFM + ABC from {} …", purchases_csv.display());
        let measured = rfm_csv::measure(&rfm_csv::RfmRun {
            kehu: &options.kehu,
            python: python.as_ref().expect("prepared"),
            transactions: &purchases_csv,
            as_of: &purchases::as_of().to_string(),
            work_dir: &work_dir,
            rounds: options.rounds,
        })?;
        let speedup = measured.speedup();
        lines.push(row(
            &format!(
                "RFM + ABC, {} purchases / {} customers, CSV end to end",
                options.purchases, options.customers
            ),
            &format!("{:.2} s", measured.kehu),
            &format!("{:.2} s (pandas)", measured.baseline),
            &format!("{speedup:.1}× faster"),
            "faster than pandas (aim 3×)",
            verdict(
                speedup > 1.0,
                if speedup >= 3.0 { "" } else { " (below 3×)" },
            ),
        ));
        details.push(rounds_note("rfm", &measured));
    }

    if wants("fit") {
        let python = python.as_ref().expect("prepared");
        let synthetic = work_dir.join(format!(
            "bgnbd-summary-{}-{}.csv",
            options.fit_customers, options.seed
        ));
        if !synthetic.is_file() {
            let rows = summaries::generate(options.seed, options.fit_customers);
            summaries::write_csv(&rows, &synthetic)?;
        }
        for (label, file, limit_ms) in [
            (
                "BG/NBD fit, CDNOW sample (2,357 customers)",
                &options.cdnow_summary,
                10.0,
            ),
            ("BG/NBD fit, 100,000 generated customers", &synthetic, 200.0),
        ] {
            eprintln!("{label} …");
            let measured = fit::measure(python, file, options.rounds.max(5))?;
            let ms = measured.kehu * 1000.0;
            lines.push(row(
                label,
                &format!("{ms:.1} ms"),
                &format!("{:.0} ms (lifetimes)", measured.baseline * 1000.0),
                &format!("{:.0}× faster", measured.speedup()),
                &format!("< {limit_ms:.0} ms"),
                verdict(ms < limit_ms, ""),
            ));
            details.push(rounds_note(label, &measured));
        }
    }

    if wants("app") {
        if !in_app::is_loaded(
            &database,
            options.seed,
            options.customers,
            options.purchases,
        )
        .await
        {
            eprintln!("loading {} …", database.url());
            in_app::load(&database, &rows, options.seed, options.customers).await?;
        }
        drop(rows);
        eprintln!("in-app recomputation on {} …", database.url());
        let result = in_app::measure(&database, options.rounds).await?;
        let seconds = result.median_seconds();
        let visible = result.median_visible();
        let max_wait = result.max_writer_ms();
        lines.push(row(
            &format!(
                "in-app recomputation (RFM, ABC, BG/NBD, CLV, stored), {} customers, until readers see it",
                result.customers
            ),
            &format!("{visible:.2} s"),
            "",
            "",
            "< 5 s",
            verdict(visible < 5.0, ""),
        ));
        lines.push(row(
            "the same with the replaced run deleted",
            &format!("{seconds:.2} s"),
            "",
            "",
            "",
            String::new(),
        ));
        lines.push(row(
            "concurrent single-row inserts during the recomputation",
            &format!("max {max_wait:.0} ms"),
            "",
            "",
            "write lock not held (max wait < 250 ms)",
            verdict(max_wait < 250.0, ""),
        ));
        let writers: Vec<String> = result
            .writer
            .iter()
            .map(|w| {
                format!(
                    "{} writes p50 {:.1} / p99 {:.1} / max {:.1} ms",
                    w.writes, w.p50_ms, w.p99_ms, w.max_ms
                )
            })
            .collect();
        details.push(format!(
            "- in-app rounds: visible after {} s, done after {} s, CPU {} s; concurrent writer per round: {}",
            join_seconds(&result.visible),
            join_seconds(&result.seconds),
            join_seconds(&result.cpu),
            writers.join("; ")
        ));
        // The rfm target's output of the same purchases, when it ran in this work directory.
        let cli_output = work_dir.join("rfm-kehu.csv");
        if cli_output.is_file() {
            let agreement = in_app::compare_with_cli(&database, result.run_id, &cli_output).await?;
            eprintln!("  {agreement}");
            details.push(format!("- in-app results: {agreement}"));
        }
    }

    let versions = match &python {
        Some(python) => python.versions()?,
        None => String::new(),
    };
    println!("\n{versions}; median of {} rounds\n", options.rounds);
    println!("| target | kehu | baseline | ratio | target | result |");
    println!("|---|---:|---:|---:|---|---|");
    for line in lines {
        println!("{line}");
    }
    println!();
    for line in details {
        println!("{line}");
    }
    Ok(())
}

fn row(
    what: &str,
    kehu: &str,
    baseline: &str,
    ratio: &str,
    target: &str,
    result: String,
) -> String {
    format!("| {what} | {kehu} | {baseline} | {ratio} | {target} | {result} |")
}

fn verdict(pass: bool, note: &str) -> String {
    format!("{}{note}", if pass { "PASS" } else { "FAIL" })
}

fn join_seconds(values: &[f64]) -> String {
    values
        .iter()
        .map(|s| format!("{s:.3}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn rounds_note(what: &str, measured: &Measured) -> String {
    format!(
        "- {what}: kehu {} s; baseline {} s; {}",
        join_seconds(&measured.kehu_rounds),
        join_seconds(&measured.baseline_rounds),
        measured.agreement
    )
}

/// The median of a non-empty list (NaN when empty).
pub fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// `bench/` of the repository this program was built from, else of the current directory.
pub fn default_bench_dir() -> PathBuf {
    let from_source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench");
    if from_source.join("requirements.txt").is_file() {
        from_source
    } else {
        PathBuf::from("bench")
    }
}
