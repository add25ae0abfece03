//! Test harness for kehu-db: every test gets a fresh database of its own, on SQLite (a new
//! file in the temp directory) and on PostgreSQL (a new database on the server named by
//! `KEHU_TEST_PG_URL`), and the database is removed afterwards even when the test panics.
//!
//! Write a test once as `async fn name(db: Db)` and instantiate it for both backends with
//! [`backend_tests!`]. Without `KEHU_TEST_PG_URL` the PostgreSQL variants fail, unless
//! `KEHU_TEST_SKIP_PG=1` says explicitly that skipping them is intended.

#![allow(dead_code)]

pub mod fixtures;
pub mod sql;

use kehu_db::Db;
use sqlx::Connection;
use std::future::Future;
use std::path::PathBuf;

/// The server PostgreSQL tests create their databases on (any database URL on it).
pub const PG_URL_VAR: &str = "KEHU_TEST_PG_URL";
/// Set to `1` to skip the PostgreSQL variants on purpose.
pub const SKIP_PG_VAR: &str = "KEHU_TEST_SKIP_PG";

/// Instantiates `async fn name(db: Db)` test bodies for both backends, as
/// `sqlite::name` and `postgres::name`, each on a fresh, migrated database.
/// `backend_tests!(unmigrated: a, b)` hands over the database before migrations instead.
#[macro_export]
macro_rules! backend_tests {
    (unmigrated: $($name:ident),* $(,)?) => {
        $crate::backend_tests!(@impl false; $($name),*);
    };
    ($($name:ident),* $(,)?) => {
        $crate::backend_tests!(@impl true; $($name),*);
    };
    (@impl $migrate:expr; $($name:ident),*) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    $crate::common::run_sqlite($migrate, super::$name).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    $crate::common::run_postgres($migrate, super::$name).await;
                }
            )*
        }
    };
}

/// Runs a test body on a fresh SQLite database.
pub async fn run_sqlite<F, Fut>(migrate: bool, test: F)
where
    F: FnOnce(Db) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let database = TestDb::sqlite().await;
    database.run(migrate, test).await;
}

/// Runs a test body on a fresh PostgreSQL database, or fails when none is configured
/// (unless skipping was asked for explicitly).
pub async fn run_postgres<F, Fut>(migrate: bool, test: F)
where
    F: FnOnce(Db) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    if let Some(database) = TestDb::postgres().await {
        database.run(migrate, test).await;
    }
}

/// A database that exists for one test; dropping it removes the database (on PostgreSQL
/// from a thread of its own, so that it also works while a panic unwinds).
pub struct TestDb {
    /// The pool the test uses.
    pub db: Db,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(PathBuf),
    Postgres { admin_url: String, name: String },
}

fn unique_suffix() -> String {
    format!("{}_{:016x}", std::process::id(), rand::random::<u64>())
}

impl TestDb {
    /// A new, empty SQLite database in a file of its own.
    pub async fn sqlite() -> TestDb {
        let path = std::env::temp_dir().join(format!("kehu_test_{}.db", unique_suffix()));
        let cleanup = Cleanup::Sqlite(path.clone());
        let url = format!("sqlite://{}", path.display());
        let db = Db::connect(&url).await.unwrap_or_else(|e| {
            drop(cleanup_now(&cleanup));
            panic!("cannot open SQLite test database {url}: {e:#}")
        });
        TestDb { db, cleanup }
    }

    /// A new, empty PostgreSQL database; `None` when skipping was asked for explicitly.
    pub async fn postgres() -> Option<TestDb> {
        let admin_url = match std::env::var(PG_URL_VAR) {
            Ok(url) if !url.trim().is_empty() => url,
            _ if std::env::var(SKIP_PG_VAR).as_deref() == Ok("1") => {
                eprintln!("PostgreSQL variant SKIPPED because {SKIP_PG_VAR}=1");
                return None;
            }
            _ => panic!(
                "{PG_URL_VAR} is not set, so this PostgreSQL test cannot run. Point it at a server \
                 (e.g. {PG_URL_VAR}=postgres://postgres@127.0.0.1:5432/postgres), or set \
                 {SKIP_PG_VAR}=1 to skip the PostgreSQL variants on purpose."
            ),
        };
        let name = format!("kehu_test_{}", unique_suffix());
        let mut admin = sqlx::PgConnection::connect(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to {PG_URL_VAR}={admin_url}: {e}"));
        sqlx::raw_sql(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut admin)
            .await
            .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
        admin.close().await.ok();
        let cleanup = Cleanup::Postgres {
            admin_url: admin_url.clone(),
            name: name.clone(),
        };
        let url = with_database(&admin_url, &name);
        let db = match Db::connect(&url).await {
            Ok(db) => db,
            Err(e) => {
                drop(cleanup_now(&cleanup));
                panic!("cannot connect to test database {name}: {e:#}");
            }
        };
        Some(TestDb { db, cleanup })
    }

    /// Runs the body in a task of its own, closes the pool, removes the database and then
    /// re-raises the body's panic, if it had one.
    pub async fn run<F, Fut>(self, migrate: bool, test: F)
    where
        F: FnOnce(Db) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let db = self.db.clone();
        let outcome = tokio::spawn(async move {
            if migrate {
                db.migrate()
                    .await
                    .expect("migrations apply to a fresh database");
            }
            test(db).await;
        })
        .await;
        self.finish().await;
        if let Err(error) = outcome {
            match error.try_into_panic() {
                Ok(payload) => std::panic::resume_unwind(payload),
                Err(error) => panic!("test task failed: {error}"),
            }
        }
    }

    /// Closes the pool and removes the database.
    pub async fn finish(self) {
        self.db.close().await;
        // Drop does the removal.
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Err(e) = cleanup_now(&self.cleanup) {
            // Not a panic: this may run while a test's panic unwinds.
            eprintln!("warning: could not remove test database: {e}");
        }
    }
}

fn cleanup_now(cleanup: &Cleanup) -> Result<(), String> {
    match cleanup {
        Cleanup::Sqlite(path) => {
            for suffix in ["", "-wal", "-shm", "-journal"] {
                let mut file = path.clone().into_os_string();
                file.push(suffix);
                match std::fs::remove_file(&file) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(format!("{}: {e}", PathBuf::from(file).display())),
                }
            }
            Ok(())
        }
        Cleanup::Postgres { admin_url, name } => {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // A runtime of its own on a thread of its own: this runs inside the test's
            // runtime (or during a panic), where blocking on a future is not allowed.
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| e.to_string())?;
                runtime.block_on(async {
                    let mut admin = sqlx::PgConnection::connect(&admin_url)
                        .await
                        .map_err(|e| e.to_string())?;
                    sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                        .execute(&mut admin)
                        .await
                        .map_err(|e| format!("dropping {name}: {e}"))?;
                    admin.close().await.ok();
                    Ok(())
                })
            })
            .join()
            .map_err(|_| "cleanup thread panicked".to_string())?
        }
    }
}

/// The same server URL with another database name (query parameters kept).
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let authority_start = base.find("://").map(|i| i + 3).unwrap_or(0);
    let server = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    format!("{server}/{database}{query}")
}

#[test]
fn database_names_are_replaced_in_urls() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
        "postgres://postgres@127.0.0.1:5432/x"
    );
    assert_eq!(
        with_database("postgres://u:p@h/db?sslmode=disable", "x"),
        "postgres://u:p@h/x?sslmode=disable"
    );
    assert_eq!(
        with_database("postgresql://h:5432", "x"),
        "postgresql://h:5432/x"
    );
}
