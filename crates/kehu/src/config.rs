//! Configuration: an optional TOML file, overridden by `KEHU_*` environment variables,
//! overridden by command-line flags. Passed down explicitly; there are no globals.

use anyhow::Context;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Where the embedded database lives unless told otherwise.
pub const DEFAULT_DATA_DIR: &str = "kehu-data";

/// Settings from the TOML file (all optional).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// `sqlite://…` or `postgres://…`.
    pub database_url: Option<String>,
    /// Address to listen on, e.g. `127.0.0.1:8080`.
    pub bind: Option<String>,
    /// Mark cookies Secure (set when served over HTTPS).
    pub secure_cookies: Option<bool>,
    /// Sign-in lifetime in hours.
    pub session_hours: Option<i64>,
}

impl FileConfig {
    /// Reads the file if it exists; a missing default file is not an error.
    pub fn load(path: Option<&Path>) -> anyhow::Result<FileConfig> {
        let (path, must_exist) = match path {
            Some(p) => (p.to_path_buf(), true),
            None => (PathBuf::from("kehu.toml"), false),
        };
        if !path.exists() && !must_exist {
            return Ok(FileConfig::default());
        }
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        toml::from_str(&text)
            .with_context(|| format!("{} is not valid Kehu configuration", path.display()))
    }
}

/// The database URL: flag or environment first, then the file, then the embedded default
/// (whose folder is created here).
pub fn database_url(flag: Option<String>, file: &FileConfig) -> anyhow::Result<String> {
    if let Some(url) = flag.or_else(|| file.database_url.clone()) {
        return Ok(url);
    }
    std::fs::create_dir_all(DEFAULT_DATA_DIR)
        .with_context(|| format!("creating ./{DEFAULT_DATA_DIR}"))?;
    Ok(format!("sqlite://{DEFAULT_DATA_DIR}/kehu.db"))
}
