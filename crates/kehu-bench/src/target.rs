//! The database a benchmark works on, named by a URL: a SQLite file or a PostgreSQL
//! database on a server. Creating and removing it.

use anyhow::{bail, Context as _};
use std::path::{Path, PathBuf};

/// A benchmark database.
#[derive(Debug, Clone)]
pub enum Target {
    /// `sqlite://PATH`.
    Sqlite { url: String, path: PathBuf },
    /// `postgres://…/NAME`: the database NAME on a server, administered through the
    /// server's `postgres` database.
    Postgres {
        url: String,
        admin_url: String,
        name: String,
    },
}

impl Target {
    pub fn parse(url: &str) -> anyhow::Result<Target> {
        if let Some(rest) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            let path = rest.split('?').next().unwrap_or(rest);
            if path.is_empty() {
                bail!("the SQLite URL {url:?} names no file");
            }
            // Absolute, because the servers the benchmark starts run in its work directory.
            let path = std::path::absolute(path)
                .with_context(|| format!("resolving the SQLite path {path:?}"))?;
            return Ok(Target::Sqlite {
                url: format!("sqlite://{}", path.display()),
                path,
            });
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let without_query = url.split('?').next().unwrap_or(url);
            let (server, name) = without_query
                .rsplit_once('/')
                .filter(|(server, name)| {
                    server.contains("://") && !server.ends_with('/') && !name.is_empty()
                })
                .with_context(|| {
                    format!("the PostgreSQL URL {url:?} names no database (…/kehu_bench)")
                })?;
            if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                bail!("database name {name:?}: use letters, digits and _");
            }
            if name == "postgres" {
                bail!("refusing to use the `postgres` maintenance database for benchmark data");
            }
            return Ok(Target::Postgres {
                url: url.to_string(),
                admin_url: format!("{server}/postgres"),
                name: name.to_string(),
            });
        }
        bail!(
            "unsupported database URL {url:?}: use sqlite://PATH or postgres://USER@HOST:PORT/NAME"
        )
    }

    pub fn url(&self) -> &str {
        match self {
            Target::Sqlite { url, .. } | Target::Postgres { url, .. } => url,
        }
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            Target::Sqlite { .. } => "SQLite",
            Target::Postgres { .. } => "PostgreSQL",
        }
    }

    /// A short name for files about this database.
    pub fn label(&self) -> String {
        match self {
            Target::Sqlite { path, .. } => format!(
                "sqlite-{}",
                path.file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "db".into())
            ),
            Target::Postgres { name, .. } => format!("postgres-{name}"),
        }
    }

    /// Whether the database exists.
    pub async fn exists(&self) -> anyhow::Result<bool> {
        match self {
            Target::Sqlite { path, .. } => Ok(path.exists()),
            Target::Postgres {
                admin_url, name, ..
            } => {
                use sqlx::Connection;
                let mut admin = sqlx::PgConnection::connect(admin_url)
                    .await
                    .with_context(|| format!("connecting to {admin_url}"))?;
                let found: Option<i32> =
                    sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
                        .bind(name)
                        .fetch_optional(&mut admin)
                        .await?;
                admin.close().await?;
                Ok(found.is_some())
            }
        }
    }

    /// Creates an empty database (the SQLite file is created by the first connection).
    pub async fn create(&self) -> anyhow::Result<()> {
        match self {
            Target::Sqlite { path, .. } => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("creating {}", dir.display()))?;
                }
                Ok(())
            }
            Target::Postgres {
                admin_url, name, ..
            } => pg_admin(admin_url, &format!("CREATE DATABASE \"{name}\"")).await,
        }
    }

    /// Removes the database and everything in it.
    pub async fn drop_database(&self) -> anyhow::Result<()> {
        match self {
            Target::Sqlite { path, .. } => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut file = path.clone().into_os_string();
                    file.push(suffix);
                    match std::fs::remove_file(&file) {
                        Ok(()) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => {
                            return Err(e).with_context(|| {
                                format!("removing {}", Path::new(&file).display())
                            })
                        }
                    }
                }
                Ok(())
            }
            Target::Postgres {
                admin_url, name, ..
            } => {
                pg_admin(
                    admin_url,
                    &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
                )
                .await
            }
        }
    }

    /// Size of the database on disk, in bytes.
    pub async fn size_bytes(&self) -> anyhow::Result<u64> {
        match self {
            Target::Sqlite { path, .. } => {
                let mut total = 0;
                for suffix in ["", "-wal"] {
                    let mut file = path.clone().into_os_string();
                    file.push(suffix);
                    total += std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
                }
                Ok(total)
            }
            Target::Postgres {
                admin_url, name, ..
            } => {
                use sqlx::Connection;
                let mut admin = sqlx::PgConnection::connect(admin_url).await?;
                let size: i64 = sqlx::query_scalar("SELECT pg_database_size($1)")
                    .bind(name)
                    .fetch_one(&mut admin)
                    .await?;
                admin.close().await?;
                Ok(size as u64)
            }
        }
    }
}

async fn pg_admin(url: &str, sql: &str) -> anyhow::Result<()> {
    use sqlx::Connection;
    let mut admin = sqlx::PgConnection::connect(url)
        .await
        .with_context(|| format!("connecting to {url}"))?;
    sqlx::raw_sql(sql)
        .execute(&mut admin)
        .await
        .with_context(|| sql.to_string())?;
    admin.close().await?;
    Ok(())
}
