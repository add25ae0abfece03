//! Target 1: RFM + ABC of the purchases CSV, end to end (read, compute, write), by the
//! real `kehu analytics rfm` binary against `bench/rfm_pandas.py`, same file, same run.

use super::python::Python;
use super::{median, Measured};
use anyhow::{bail, Context as _};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

pub struct RfmRun<'a> {
    pub kehu: &'a Path,
    pub python: &'a Python,
    pub transactions: &'a Path,
    pub as_of: &'a str,
    pub work_dir: &'a Path,
    pub rounds: usize,
}

/// Times both programs `rounds` times (alternating which goes first) and checks that
/// they wrote the same table.
pub fn measure(run: &RfmRun<'_>) -> anyhow::Result<Measured> {
    let kehu_output = run.work_dir.join("rfm-kehu.csv");
    let pandas_output = run.work_dir.join("rfm-pandas.csv");
    let (mut kehu_seconds, mut pandas_seconds) = (Vec::new(), Vec::new());
    for round in 0..run.rounds {
        let kehu = || time_kehu(run, &kehu_output);
        let pandas = || time_pandas(run, &pandas_output);
        let (k, p) = if round % 2 == 0 {
            let k = kehu()?;
            (k, pandas()?)
        } else {
            let p = pandas()?;
            (kehu()?, p)
        };
        eprintln!("  rfm round {}: kehu {k:.2} s, pandas {p:.2} s", round + 1);
        kehu_seconds.push(k);
        pandas_seconds.push(p);
    }
    let agreement = compare_outputs(&kehu_output, &pandas_output)?;
    Ok(Measured {
        kehu: median(kehu_seconds.clone()),
        baseline: median(pandas_seconds.clone()),
        kehu_rounds: kehu_seconds,
        baseline_rounds: pandas_seconds,
        agreement,
    })
}

fn time_kehu(run: &RfmRun<'_>, output: &Path) -> anyhow::Result<f64> {
    let file = std::fs::File::create(output)?;
    let mut command = Command::new(run.kehu);
    command
        .args(["analytics", "rfm", "--transactions"])
        .arg(run.transactions)
        .args(["--as-of", run.as_of])
        .stdout(Stdio::from(file));
    timed(&mut command)
}

fn time_pandas(run: &RfmRun<'_>, output: &Path) -> anyhow::Result<f64> {
    let mut command = run.python.script("rfm_pandas.py");
    command
        .arg("--transactions")
        .arg(run.transactions)
        .args(["--as-of", run.as_of])
        .arg("--output")
        .arg(output);
    timed(&mut command)
}

/// Wall-clock seconds from start to exit of a command that must succeed.
fn timed(command: &mut Command) -> anyhow::Result<f64> {
    let started = Instant::now();
    let status = command
        .status()
        .with_context(|| format!("starting {command:?}"))?;
    let seconds = started.elapsed().as_secs_f64();
    if !status.success() {
        bail!("{command:?} failed with {status}");
    }
    Ok(seconds)
}

/// Both tables have the same header and one line per customer in customer-id order;
/// every line must be identical (scores, segment, ABC class and the rounded amounts).
fn compare_outputs(kehu: &PathBuf, pandas: &PathBuf) -> anyhow::Result<String> {
    let open = |path: &PathBuf| -> anyhow::Result<_> {
        Ok(BufReader::new(
            std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?,
        )
        .lines())
    };
    let (mut left, mut right) = (open(kehu)?, open(pandas)?);
    let (mut rows, mut different, mut examples) = (0usize, 0usize, Vec::new());
    loop {
        match (left.next().transpose()?, right.next().transpose()?) {
            (None, None) => break,
            (Some(a), Some(b)) => {
                if a != b {
                    different += 1;
                    if examples.len() < 3 {
                        examples.push(format!("kehu `{a}` / pandas `{b}`"));
                    }
                }
                rows += 1;
            }
            _ => bail!("the two RFM tables have different numbers of rows"),
        }
    }
    if different > 0 {
        bail!(
            "the RFM tables differ in {different} of {rows} lines, e.g. {}",
            examples.join("; ")
        );
    }
    Ok(format!(
        "identical output, {} customers",
        rows.saturating_sub(1)
    ))
}
