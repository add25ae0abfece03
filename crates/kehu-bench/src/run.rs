//! `kehu-bench run`: starts the servers, drives them with wrk and prints the results
//! against the targets.
//!
//! Order of work: check wrk; make API tokens for an admin, a sales manager and a sales
//! rep; start `kehu serve` three times on the existing database (start-up = spawn until
//! `/healthz` answers; the third server is kept); start the baseline server; warm every
//! scenario up once; then run all scenarios `--repeat` times in rotation, so that the
//! baseline and Kehu's point read are measured side by side in each round; read the Kehu
//! server's VmRSS/VmHWM; stop both servers.

use crate::generate::{self, GenerateReport};
use crate::target::Target;
use anyhow::{bail, Context as _};
use kehu_db::{auth, users, Db};
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The wrk script, kept in the repository's `bench/` directory.
const SCRIPT: &str = include_str!("../../../bench/kehu.lua");

pub struct Options {
    pub target: Target,
    pub duration: u64,
    pub warmup: u64,
    pub repeat: usize,
    pub connections: u32,
    pub threads: u32,
    pub kehu: PathBuf,
    pub work_dir: PathBuf,
    pub only: Vec<String>,
}

/// Which server a scenario loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
enum Server {
    Baseline,
    Kehu,
}

#[derive(Debug, Clone, Copy, Serialize)]
enum Goal {
    /// Requests per second at least this share of the baseline's.
    RatioOfBaseline(f64),
    /// 99th percentile latency below this many milliseconds.
    P99BelowMs(f64),
    None,
}

struct Scenario {
    name: &'static str,
    server: Server,
    mode: &'static str,
    user: Option<&'static str>,
    goal: Goal,
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "get-by-id baseline (bare axum)",
        server: Server::Baseline,
        mode: "get",
        user: None,
        goal: Goal::None,
    },
    Scenario {
        name: "get-by-id kehu (admin)",
        server: Server::Kehu,
        mode: "get",
        user: Some(generate::ADMIN),
        goal: Goal::RatioOfBaseline(0.5),
    },
    Scenario {
        name: "list 50 (admin)",
        server: Server::Kehu,
        mode: "list",
        user: Some(generate::ADMIN),
        goal: Goal::P99BelowMs(25.0),
    },
    Scenario {
        name: "list 50 (manager)",
        server: Server::Kehu,
        mode: "list",
        user: Some(generate::MANAGER),
        goal: Goal::P99BelowMs(25.0),
    },
    Scenario {
        name: "list 50 (rep)",
        server: Server::Kehu,
        mode: "list",
        user: Some(generate::REP),
        goal: Goal::P99BelowMs(25.0),
    },
    Scenario {
        name: "search (admin)",
        server: Server::Kehu,
        mode: "search",
        user: Some(generate::ADMIN),
        goal: Goal::P99BelowMs(50.0),
    },
    Scenario {
        name: "search (manager)",
        server: Server::Kehu,
        mode: "search",
        user: Some(generate::MANAGER),
        goal: Goal::P99BelowMs(50.0),
    },
    Scenario {
        name: "search (rep)",
        server: Server::Kehu,
        mode: "search",
        user: Some(generate::REP),
        goal: Goal::P99BelowMs(50.0),
    },
];

/// What wrk reports through the script's `done` hook.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WrkResult {
    pub requests: u64,
    pub duration_us: u64,
    pub bytes: u64,
    pub connect_errors: u64,
    pub read_errors: u64,
    pub write_errors: u64,
    pub status_errors: u64,
    pub timeouts: u64,
    pub p50_us: u64,
    pub p90_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
    pub mean_us: f64,
}

impl WrkResult {
    fn rps(&self) -> f64 {
        self.requests as f64 / (self.duration_us as f64 / 1e6)
    }
    fn errors(&self) -> u64 {
        self.connect_errors
            + self.read_errors
            + self.write_errors
            + self.status_errors
            + self.timeouts
    }
}

#[derive(Debug, Serialize)]
struct ScenarioSummary {
    name: String,
    runs: Vec<WrkResult>,
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    /// Median over the rounds of (this scenario's req/s ÷ the baseline's in the same round).
    ratio: Option<f64>,
    errors: u64,
    goal: Goal,
    pass: Option<bool>,
}

#[derive(Debug, Serialize)]
struct Report {
    backend: String,
    machine: String,
    started_at: String,
    duration_s: u64,
    repeat: usize,
    connections: u32,
    threads: u32,
    customers: i64,
    contacts: i64,
    scenarios: Vec<ScenarioSummary>,
    startup_ms: Vec<f64>,
    startup_median_ms: f64,
    idle_rss_kb: u64,
    rss_after_load_kb: u64,
    hwm_after_load_kb: u64,
    baseline_rss_after_load_kb: u64,
    generate: Option<GenerateReport>,
}

pub async fn run(options: Options) -> anyhow::Result<()> {
    let wrk = find_in_path("wrk").context(
        "wrk is not installed. On Debian/Ubuntu: `sudo apt-get install -y wrk` (https://github.com/wg/wrk)",
    )?;
    if !options.kehu.exists() {
        bail!(
            "no Kehu binary at {}: build it with `cargo build --release -p kehu -p kehu-bench` or pass --kehu",
            options.kehu.display()
        );
    }
    let target = &options.target;
    if !target.exists().await? {
        bail!(
            "{} does not exist: make it with `kehu-bench generate --database-url {}`",
            target.url(),
            target.url()
        );
    }
    std::fs::create_dir_all(&options.work_dir)?;
    let work_dir = std::fs::canonicalize(&options.work_dir)?;
    let script = work_dir.join("kehu.lua");
    std::fs::write(&script, SCRIPT)?;

    // Tokens and the size of the data set.
    let db = Db::connect(target.url()).await?;
    let (customers, contacts, max_id) = counts(&db).await?;
    if customers == 0 {
        bail!(
            "{} has no customers; run `kehu-bench generate` first",
            target.url()
        );
    }
    let mut tokens = Vec::new();
    for name in [generate::ADMIN, generate::MANAGER, generate::REP] {
        let (user, _) = users::with_password_hash(&db, name)
            .await?
            .with_context(|| {
                format!("user {name} is missing: was the database made by `kehu-bench generate`?")
            })?;
        tokens.push((
            name,
            auth::create_api_token(&db, user.id, "kehu-bench").await?,
        ));
    }
    db.close().await;
    let token = |user: Option<&str>| {
        user.and_then(|u| tokens.iter().find(|(n, _)| *n == u))
            .map_or("-".to_string(), |(_, t)| t.clone())
    };

    let machine = machine_description();
    eprintln!(
        "{} · {customers} customers, {contacts} contacts · {machine}",
        target.backend_name()
    );

    // Start-up: three cold starts of `kehu serve` on the existing database; keep the third.
    let mut startup_ms = Vec::new();
    let mut kehu = None;
    for attempt in 0..3 {
        let (server, took) = spawn_kehu(&options.kehu, target.url(), &work_dir)?;
        startup_ms.push(took.as_secs_f64() * 1000.0);
        eprintln!(
            "kehu serve start-up {}: {:.0} ms",
            attempt + 1,
            took.as_secs_f64() * 1000.0
        );
        if attempt < 2 {
            stop(server)?;
        } else {
            kehu = Some(server);
        }
    }
    let kehu = kehu.expect("third server kept");
    let idle_rss_kb = proc_status(kehu.child.id())
        .map(|(rss, _)| rss)
        .unwrap_or(0);
    let baseline = spawn_baseline(target.url(), &work_dir)?;

    let selected: Vec<&Scenario> = SCENARIOS
        .iter()
        .filter(|s| {
            options.only.is_empty()
                || options
                    .only
                    .iter()
                    .any(|o| s.name.contains(o.as_str()) || s.mode == o)
        })
        .collect();
    let run_one = |scenario: &Scenario, seconds: u64| -> anyhow::Result<WrkResult> {
        let addr = match scenario.server {
            Server::Baseline => &baseline.addr,
            Server::Kehu => &kehu.addr,
        };
        wrk_run(
            &wrk,
            &script,
            addr,
            scenario.mode,
            &token(scenario.user),
            max_id,
            seconds,
            options.connections,
            options.threads,
        )
    };
    let outcome = (|| -> anyhow::Result<Vec<Vec<WrkResult>>> {
        if options.warmup > 0 {
            for scenario in &selected {
                eprintln!("warm-up {} ({} s)", scenario.name, options.warmup);
                run_one(scenario, options.warmup)?;
            }
        }
        let mut results: Vec<Vec<WrkResult>> = selected.iter().map(|_| Vec::new()).collect();
        for round in 1..=options.repeat {
            for (i, scenario) in selected.iter().enumerate() {
                let result = run_one(scenario, options.duration)?;
                eprintln!(
                    "round {round}/{}: {:<32} {:>8.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms{}",
                    options.repeat,
                    scenario.name,
                    result.rps(),
                    result.p50_us as f64 / 1000.0,
                    result.p99_us as f64 / 1000.0,
                    if result.errors() > 0 {
                        format!("  ({} errors!)", result.errors())
                    } else {
                        String::new()
                    }
                );
                results[i].push(result);
            }
        }
        Ok(results)
    })();
    let (rss_after_load_kb, hwm_after_load_kb) = proc_status(kehu.child.id()).unwrap_or((0, 0));
    let baseline_rss_after_load_kb = proc_status(baseline.child.id())
        .map(|(rss, _)| rss)
        .unwrap_or(0);
    stop(kehu)?;
    stop(baseline)?;
    let results = outcome?;

    // Summaries: medians over the rounds; ratios paired with the same round's baseline.
    let baseline_runs = selected
        .iter()
        .position(|s| s.server == Server::Baseline)
        .map(|i| results[i].clone());
    let mut summaries = Vec::new();
    for (scenario, runs) in selected.iter().zip(results) {
        let rps = median(runs.iter().map(WrkResult::rps).collect());
        let p50_ms = median(runs.iter().map(|r| r.p50_us as f64 / 1000.0).collect());
        let p99_ms = median(runs.iter().map(|r| r.p99_us as f64 / 1000.0).collect());
        let ratio = match (scenario.server, &baseline_runs) {
            (Server::Kehu, Some(base)) if scenario.mode == "get" => Some(median(
                runs.iter()
                    .zip(base)
                    .map(|(r, b)| r.rps() / b.rps())
                    .collect(),
            )),
            _ => None,
        };
        let errors: u64 = runs.iter().map(WrkResult::errors).sum();
        let pass = match scenario.goal {
            Goal::RatioOfBaseline(min) => ratio.map(|r| r >= min && errors == 0),
            Goal::P99BelowMs(max) => Some(p99_ms < max && errors == 0),
            Goal::None => None,
        };
        summaries.push(ScenarioSummary {
            name: scenario.name.to_string(),
            runs,
            rps,
            p50_ms,
            p99_ms,
            ratio,
            errors,
            goal: scenario.goal,
            pass,
        });
    }
    let report = Report {
        backend: target.backend_name().to_string(),
        machine,
        started_at: chrono::Utc::now().to_rfc3339(),
        duration_s: options.duration,
        repeat: options.repeat,
        connections: options.connections,
        threads: options.threads,
        customers,
        contacts,
        scenarios: summaries,
        startup_median_ms: median(startup_ms.clone()),
        startup_ms,
        idle_rss_kb,
        rss_after_load_kb,
        hwm_after_load_kb,
        baseline_rss_after_load_kb,
        generate: generate::read_report(&work_dir, target),
    };
    print_report(&report);
    let file = work_dir.join(format!(
        "results-{}-{}.json",
        target.label(),
        chrono::Utc::now().format("%Y%m%dT%H%M%SZ")
    ));
    std::fs::write(&file, serde_json::to_string_pretty(&report)?)?;
    println!("\n(raw results: {})", file.display());
    Ok(())
}

fn print_report(report: &Report) {
    let verdict = |pass: Option<bool>| match pass {
        Some(true) => "PASS",
        Some(false) => "FAIL",
        None => "",
    };
    println!();
    println!(
        "## {} — {} customers, {} contacts; wrk -t{} -c{} -d{}s, median of {} rounds",
        report.backend,
        report.customers,
        report.contacts,
        report.threads,
        report.connections,
        report.duration_s,
        report.repeat
    );
    println!("{}", report.machine);
    println!();
    println!("| scenario | req/s | p50 ms | p99 ms | vs baseline | target | result |");
    println!("|---|---:|---:|---:|---:|---|---|");
    for s in &report.scenarios {
        let target = match s.goal {
            Goal::RatioOfBaseline(r) => format!("≥ {:.0}% of baseline req/s", r * 100.0),
            Goal::P99BelowMs(ms) => format!("p99 < {ms:.0} ms"),
            Goal::None => "(reference)".into(),
        };
        let errors = if s.errors > 0 {
            format!(" ({} errors)", s.errors)
        } else {
            String::new()
        };
        println!(
            "| {} | {:.0} | {:.2} | {:.2} | {} | {} | {}{} |",
            s.name,
            s.rps,
            s.p50_ms,
            s.p99_ms,
            s.ratio
                .map_or(String::new(), |r| format!("{:.0}%", r * 100.0)),
            target,
            verdict(s.pass),
            errors
        );
    }
    let mb = |kb: u64| kb as f64 / 1024.0;
    let rss_pass = report.rss_after_load_kb > 0 && mb(report.rss_after_load_kb) < 100.0;
    println!(
        "| kehu serve RSS after load | | | | | < 100 MB | {} — VmRSS {:.1} MB, VmHWM {:.1} MB (idle after start {:.1} MB; baseline server {:.1} MB) |",
        verdict(Some(rss_pass)),
        mb(report.rss_after_load_kb),
        mb(report.hwm_after_load_kb),
        mb(report.idle_rss_kb),
        mb(report.baseline_rss_after_load_kb)
    );
    println!(
        "| kehu serve start-up | | | | | < 1 s | {} — median {:.0} ms ({}) |",
        verdict(Some(report.startup_median_ms < 1000.0)),
        report.startup_median_ms,
        report
            .startup_ms
            .iter()
            .map(|ms| format!("{ms:.0}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    match &report.generate {
        Some(g) => println!(
            "| generate (bulk_insert) | | | | | ≥ 100,000 rows/s | {} — customers {:.0} rows/s ({} in {:.1} s), contacts {:.0} rows/s ({} in {:.1} s), all {:.0} rows/s; {:.2} GB on disk |",
            verdict(Some(g.customers_per_second >= 100_000.0)),
            g.customers_per_second,
            g.customers,
            g.customers_seconds,
            g.contacts_per_second,
            g.contacts,
            g.contacts_seconds,
            g.rows_per_second,
            g.size_bytes as f64 / 1e9
        ),
        None => println!("| generate (bulk_insert) | | | | | ≥ 100,000 rows/s | (no report from `kehu-bench generate` in the work directory) |"),
    }
}

async fn counts(db: &Db) -> anyhow::Result<(i64, i64, i64)> {
    const SQL: [&str; 3] = [
        "SELECT COUNT(*) FROM accounts",
        "SELECT COUNT(*) FROM contacts",
        "SELECT COALESCE(MAX(id), 0) FROM accounts",
    ];
    let mut out = [0i64; 3];
    for (slot, sql) in out.iter_mut().zip(SQL) {
        *slot = db
            .conn()
            .fetch_ints_sql(sql, sea_query::Values(Vec::new()))
            .await?
            .first()
            .copied()
            .unwrap_or(0);
    }
    Ok((out[0], out[1], out[2]))
}

fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(|a, b| a.total_cmp(b));
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

pub fn find_in_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

fn machine_description() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or_else(String::new, |kb| {
            format!(", {:.0} GiB RAM", kb / 1024.0 / 1024.0)
        });
    format!("{cpu}, {cores} cores{memory}; load generator on the same machine")
}

struct Running {
    child: Child,
    addr: String,
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Starts `kehu serve` and times it until `/healthz` answers.
fn spawn_kehu(kehu: &Path, url: &str, work_dir: &Path) -> anyhow::Result<(Running, Duration)> {
    let addr = format!("127.0.0.1:{}", free_port()?);
    let log = std::fs::File::create(work_dir.join("kehu-serve.log"))?;
    let started = Instant::now();
    let child = Command::new(kehu)
        .current_dir(work_dir)
        .args(["serve", "--bind", &addr, "--database-url", url])
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .with_context(|| format!("starting {}", kehu.display()))?;
    let mut running = Running { child, addr };
    match wait_healthy(&mut running, Duration::from_secs(120)) {
        Ok(()) => Ok((running, started.elapsed())),
        Err(e) => {
            let _ = running.child.kill();
            let _ = running.child.wait();
            let log = std::fs::read_to_string(work_dir.join("kehu-serve.log")).unwrap_or_default();
            Err(e.context(format!("kehu serve did not come up; its log:\n{log}")))
        }
    }
}

fn spawn_baseline(url: &str, work_dir: &Path) -> anyhow::Result<Running> {
    let addr = format!("127.0.0.1:{}", free_port()?);
    let log = std::fs::File::create(work_dir.join("baseline-server.log"))?;
    let child = Command::new(std::env::current_exe()?)
        .args(["baseline-server", "--bind", &addr, "--database-url", url])
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()?;
    let mut running = Running { child, addr };
    wait_healthy(&mut running, Duration::from_secs(60))
        .context("the baseline server did not come up")?;
    Ok(running)
}

fn wait_healthy(server: &mut Running, timeout: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = server.child.try_wait()? {
            bail!("the server exited with {status}");
        }
        if healthz(&server.addr) {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!(
                "no answer from http://{}/healthz within {timeout:?}",
                server.addr
            );
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn healthz(addr: &str) -> bool {
    let Ok(mut stream) = TcpStream::connect(addr) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if stream
        .write_all(
            format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .is_err()
    {
        return false;
    }
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response.starts_with("HTTP/1.1 200")
}

/// Stops a server with SIGTERM (graceful shutdown), SIGKILL after 10 s.
fn stop(mut server: Running) -> anyhow::Result<()> {
    let pid = server.child.id().to_string();
    let _ = Command::new("kill").args(["-TERM", &pid]).status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if server.child.try_wait()?.is_some() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    server.child.kill()?;
    server.child.wait()?;
    Ok(())
}

/// VmRSS and VmHWM of a process, in kB.
fn proc_status(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

#[allow(clippy::too_many_arguments)]
fn wrk_run(
    wrk: &Path,
    script: &Path,
    addr: &str,
    mode: &str,
    token: &str,
    max_id: i64,
    seconds: u64,
    connections: u32,
    threads: u32,
) -> anyhow::Result<WrkResult> {
    let output = Command::new(wrk)
        .args([
            "-t",
            &threads.to_string(),
            "-c",
            &connections.to_string(),
            "-d",
            &format!("{seconds}s"),
        ])
        .args(["--latency", "--timeout", "10s", "-s"])
        .arg(script)
        .arg(format!("http://{addr}"))
        .args(["--", mode, token, &max_id.to_string()])
        .output()
        .context("running wrk")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "wrk failed ({}): {stdout}{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("KEHU_RESULT "))
        .with_context(|| format!("no KEHU_RESULT line in wrk's output:\n{stdout}"))?;
    Ok(serde_json::from_str(line)?)
}
