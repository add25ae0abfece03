//! What every handler can reach: the database and the web settings.

use crate::auth::cache::PermissionCache;
use kehu_db::Db;
use std::sync::Arc;

/// Settings of the web layer, from the binary's configuration.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Mark cookies `Secure` (behind TLS).
    pub secure_cookies: bool,
    /// How long a sign-in lasts.
    pub session_hours: i64,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            secure_cookies: false,
            session_hours: 12,
            max_body_bytes: 1024 * 1024,
        }
    }
}

/// Shared, cheaply cloned state of the server. Holds nothing another server process
/// would need: sessions and throttles live in the database.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub db: Db,
    /// Web settings.
    pub config: Arc<WebConfig>,
    /// Signed-in users' resolved permissions (see [`PermissionCache`]).
    pub permissions: Arc<PermissionCache>,
}

impl AppState {
    /// State for a database with the given settings.
    pub fn new(db: Db, config: WebConfig) -> Self {
        AppState {
            db,
            config: Arc::new(config),
            permissions: Arc::new(PermissionCache::default()),
        }
    }
}
