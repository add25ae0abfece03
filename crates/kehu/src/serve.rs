//! `kehu serve`: the web UI, the API and the background worker in one process.

use crate::config::FileConfig;
use clap::Args;
use kehu_web::{AppState, WebConfig};
use std::net::SocketAddr;
use tokio::sync::watch;

/// `kehu serve` options.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "KEHU_BIND")]
    pub bind: Option<String>,
    /// On an empty database, load the demo company and print the admin password once.
    #[arg(long)]
    pub demo: bool,
    /// Mark cookies Secure (when Kehu is served over HTTPS).
    #[arg(long, env = "KEHU_SECURE_COOKIES")]
    pub secure_cookies: bool,
}

/// Runs the server until Ctrl-C or SIGTERM, then finishes in-flight requests.
pub async fn run(
    args: ServeArgs,
    database_url: Option<String>,
    file: &FileConfig,
) -> anyhow::Result<()> {
    let db = crate::cli::open_database(database_url, file).await?;
    if args.demo && kehu_db::users::list(&db).await?.is_empty() {
        let summary = crate::demo::load_demo(&db, 2024).await?;
        crate::demo::print_summary(&summary);
    } else if kehu_db::users::list(&db).await?.is_empty() {
        eprintln!("No users yet. Create the first admin with:\n  kehu user create --username admin --role admin --password-stdin\nor start with demo data: kehu serve --demo");
    }
    let config = WebConfig {
        secure_cookies: args.secure_cookies || file.secure_cookies.unwrap_or(false),
        session_hours: file.session_hours.unwrap_or(12),
        ..WebConfig::default()
    };
    let bind = args
        .bind
        .or_else(|| file.bind.clone())
        .unwrap_or_else(|| "127.0.0.1:8080".to_string());
    let listener = tokio::net::TcpListener::bind(&bind)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {bind}: {e}"))?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let worker = tokio::spawn(kehu_jobs::run_worker(db.clone(), stop_rx));
    let app = kehu_web::router(AppState::new(db.clone(), config));
    eprintln!("Kehu is running at http://{}", listener.local_addr()?);
    axum_serve(listener, app, shutdown_signal()).await?;
    let _ = stop_tx.send(true);
    let _ = worker.await;
    db.close().await;
    Ok(())
}

async fn axum_serve(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
