//! The command line: one binary, several subcommands.

pub mod analytics;
mod import;
mod token;
mod user;

use crate::config::{self, FileConfig};
use clap::{Parser, Subcommand};
use kehu_db::Db;
use std::path::PathBuf;

/// Kehu (客户): a CRM for small and medium businesses.
#[derive(Debug, Parser)]
#[command(name = "kehu", version, about)]
pub struct Cli {
    /// Database: `sqlite://PATH` (default `sqlite://kehu-data/kehu.db`) or `postgres://USER@HOST/DB`.
    #[arg(long, global = true, env = "KEHU_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Configuration file (default `./kehu.toml` if it exists).
    #[arg(long, global = true, env = "KEHU_CONFIG")]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web UI, the REST API and the background worker.
    Serve(crate::serve::ServeArgs),
    /// Create or upgrade the database schema.
    Migrate,
    /// Manage users.
    User(user::UserArgs),
    /// Manage API tokens.
    Token(token::TokenArgs),
    /// Load the demo company into an empty database and print its passwords once.
    Demo,
    /// Load data from files: `kehu import orders FILE.csv`.
    Import(import::ImportArgs),
    /// Customer value analytics on CSV files (RFM, ABC, CLV).
    Analytics(analytics::AnalyticsArgs),
}

/// Opens and migrates the configured database.
pub async fn open_database(cli_url: Option<String>, file: &FileConfig) -> anyhow::Result<Db> {
    let url = config::database_url(cli_url, file)?;
    let db = Db::connect(&url).await?;
    db.migrate().await?;
    kehu_db::roles::ensure_defaults(&db).await?;
    Ok(db)
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::Analytics(args) = cli.command {
        // Analytics on files needs no database.
        return analytics::run(args);
    }
    let file = FileConfig::load(cli.config.as_deref())?;
    match cli.command {
        Command::Serve(args) => crate::serve::run(args, cli.database_url, &file).await,
        Command::Migrate => {
            let db = open_database(cli.database_url, &file).await?;
            println!("database is up to date");
            db.close().await;
            Ok(())
        }
        Command::User(args) => user::run(args, open_database(cli.database_url, &file).await?).await,
        Command::Token(args) => {
            token::run(args, open_database(cli.database_url, &file).await?).await
        }
        Command::Import(args) => {
            import::run(args, open_database(cli.database_url, &file).await?).await
        }
        Command::Demo => {
            let db = open_database(cli.database_url, &file).await?;
            let summary = crate::demo::load_demo(&db, 2024).await?;
            crate::demo::print_summary(&summary);
            Ok(())
        }
        Command::Analytics(_) => unreachable!("handled above"),
    }
}
