//! The Python baselines: a virtual environment under the work directory with the pinned
//! `bench/requirements.txt`, and the scripts in `bench/`.

use anyhow::{bail, Context as _};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A ready virtual environment.
pub struct Python {
    interpreter: PathBuf,
    scripts: PathBuf,
}

impl Python {
    /// Creates (or reuses) `work_dir/venv` with `python` and installs the requirements
    /// when they changed since the last installation.
    pub fn prepare(python: &str, bench_dir: &Path, work_dir: &Path) -> anyhow::Result<Python> {
        let venv = work_dir.join("venv");
        let interpreter = venv.join("bin/python");
        let requirements = bench_dir.join("requirements.txt");
        let wanted = std::fs::read_to_string(&requirements)
            .with_context(|| format!("reading {}", requirements.display()))?;
        let stamp = venv.join("kehu-requirements.txt");
        if std::fs::read_to_string(&stamp).ok().as_deref() != Some(wanted.as_str()) {
            if !interpreter.is_file() {
                run(Command::new(python).args(["-m", "venv"]).arg(&venv))?;
            }
            eprintln!(
                "installing {} into {}",
                requirements.display(),
                venv.display()
            );
            run(Command::new(&interpreter)
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    "-r",
                ])
                .arg(&requirements))?;
            std::fs::write(&stamp, wanted)?;
        }
        Ok(Python {
            interpreter,
            scripts: bench_dir.to_path_buf(),
        })
    }

    /// A command running `bench/<script>`.
    pub fn script(&self, script: &str) -> Command {
        let mut command = Command::new(&self.interpreter);
        command.arg(self.scripts.join(script));
        command
    }

    /// The pandas and lifetimes versions, for the report.
    pub fn versions(&self) -> anyhow::Result<String> {
        let output = Command::new(&self.interpreter)
            .args([
                "-c",
                "import sys, pandas, numpy, scipy, lifetimes; print(f'Python {sys.version.split()[0]}, pandas {pandas.__version__}, numpy {numpy.__version__}, scipy {scipy.__version__}, lifetimes {lifetimes.__version__}')",
            ])
            .output()?;
        if !output.status.success() {
            bail!(
                "the baseline packages do not import: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(String::from_utf8(output.stdout)?.trim().to_string())
    }
}

/// Runs a command to completion; its output is the caller's, a failure an error.
pub fn run(command: &mut Command) -> anyhow::Result<()> {
    let status = command
        .status()
        .with_context(|| format!("starting {command:?}"))?;
    if !status.success() {
        bail!("{command:?} failed with {status}");
    }
    Ok(())
}
