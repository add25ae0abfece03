//! What every handler can reach: the database and the web settings.

use crate::auth::cache::{CustomFieldCache, PermissionCache};
use crate::auth::Auth;
use kehu_core::entity::{CustomFieldDef, EntityDef};
use kehu_db::{Db, DbError};
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
    /// Custom field definitions, cached the same way.
    pub custom_fields: Arc<CustomFieldCache>,
}

impl AppState {
    /// State for a database with the given settings.
    pub fn new(db: Db, config: WebConfig) -> Self {
        AppState {
            db,
            config: Arc::new(config),
            permissions: Arc::new(PermissionCache::default()),
            custom_fields: Arc::new(CustomFieldCache::default()),
        }
    }
}

impl AppState {
    /// The entity's custom field definitions, read from the database only when they (or
    /// anything else under the `auth_epoch`) changed since this process last read them.
    pub async fn custom_fields(
        &self,
        auth: &Auth,
        entity: &'static EntityDef,
    ) -> Result<Vec<CustomFieldDef>, DbError> {
        if let Some(defs) = self.custom_fields.get(&entity.name, auth.epoch) {
            return Ok(defs);
        }
        let defs = kehu_db::custom_fields::for_entity(&self.db, entity.name).await?;
        self.custom_fields
            .put(auth.epoch, entity.name, defs.clone());
        Ok(defs)
    }
}
