//! What this server process derives from the database and keeps between requests:
//! signed-in users' resolved permissions and the custom field definitions.
//!
//! Resolving who a user is and what they may do takes several statements (the user, their
//! roles' grants, the team tree, the teams they manage), and every request needs it; every
//! list request needs the entity's custom fields. Both are cached under the database's
//! `auth_epoch` counter, which triggers advance whenever users, roles, grants, teams, team
//! managers, field security or custom field definitions change; each request reads the
//! counter in the same statement that checks its credential. So a cached entry is only
//! used while nothing it was derived from has changed, on any server — deactivation,
//! role, team and field changes apply to the very next request everywhere. The caches
//! hold no state another server would need: they can be dropped at will.

use kehu_core::entity::CustomFieldDef;
use kehu_core::permission::Actor;
use kehu_db::users::User;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

/// Values derived at one `auth_epoch`, by key.
#[derive(Debug)]
pub struct EpochCache<K, V> {
    inner: Mutex<Entries<K, V>>,
}

#[derive(Debug)]
struct Entries<K, V> {
    epoch: i64,
    by_key: HashMap<K, V>,
}

impl<K, V> Default for EpochCache<K, V> {
    fn default() -> Self {
        EpochCache {
            inner: Mutex::new(Entries {
                epoch: 0,
                by_key: HashMap::new(),
            }),
        }
    }
}

/// At most this many entries are kept; past it the cache starts afresh (a company's
/// signed-in users fit many times over).
const MAX_ENTRIES: usize = 10_000;

impl<K: Eq + Hash, V: Clone> EpochCache<K, V> {
    /// The value derived at `epoch`, if this process has it.
    pub fn get(&self, key: &K, epoch: i64) -> Option<V> {
        let entries = self.inner.lock().ok()?;
        if entries.epoch != epoch {
            return None;
        }
        entries.by_key.get(key).cloned()
    }

    /// Keeps what was derived after reading `epoch`. Deriving started after the epoch was
    /// read, so the entry is at least as new as the epoch says; an entry for an older
    /// epoch than the cache's is dropped, a newer epoch empties the cache.
    pub fn put(&self, epoch: i64, key: K, value: V) {
        let Ok(mut entries) = self.inner.lock() else {
            return;
        };
        if epoch < entries.epoch {
            return;
        }
        if epoch > entries.epoch || entries.by_key.len() >= MAX_ENTRIES {
            entries.epoch = epoch;
            entries.by_key.clear();
        }
        entries.by_key.insert(key, value);
    }
}

/// Signed-in users with their resolved permissions, by user id.
pub type PermissionCache = EpochCache<i64, (Arc<User>, Arc<Actor>)>;

/// Custom field definitions, by entity name.
pub type CustomFieldCache = EpochCache<&'static str, Vec<CustomFieldDef>>;
