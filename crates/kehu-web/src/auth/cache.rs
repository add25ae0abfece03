//! Resolved permissions per signed-in user, kept by this server process.
//!
//! Resolving who a user is and what they may do takes several statements (the user, their
//! roles' grants, the team tree, the teams they manage), and every request needs it. The
//! result is cached under the database's `auth_epoch` counter, which triggers advance
//! whenever users, roles, grants, teams or team managers change; each request reads the
//! counter in the same statement that checks its credential. So a cached entry is only
//! used while nothing it was derived from has changed, on any server — deactivation,
//! role and team changes apply to the very next request everywhere. The cache holds no
//! state another server would need: it is an optimisation that can be dropped at will.

use kehu_core::permission::Actor;
use kehu_db::users::User;
use std::collections::HashMap;
use std::sync::Mutex;

/// Users' resolved permissions at one epoch.
#[derive(Debug, Default)]
pub struct PermissionCache {
    inner: Mutex<Entries>,
}

#[derive(Debug, Default)]
struct Entries {
    epoch: i64,
    by_user: HashMap<i64, (User, Actor)>,
}

/// At most this many users are kept; past it the cache starts afresh (a company's
/// signed-in users fit many times over).
const MAX_USERS: usize = 10_000;

impl PermissionCache {
    /// The user and permissions resolved at `epoch`, if this process has them.
    pub fn get(&self, user_id: i64, epoch: i64) -> Option<(User, Actor)> {
        let entries = self.inner.lock().ok()?;
        if entries.epoch != epoch {
            return None;
        }
        entries.by_user.get(&user_id).cloned()
    }

    /// Keeps what was resolved after reading `epoch`. Resolving started after the epoch
    /// was read, so the entry is at least as new as the epoch says; an entry for an older
    /// epoch than the cache's is dropped, a newer epoch empties the cache.
    pub fn put(&self, epoch: i64, user: User, actor: Actor) {
        let Ok(mut entries) = self.inner.lock() else {
            return;
        };
        if epoch < entries.epoch {
            return;
        }
        if epoch > entries.epoch || entries.by_user.len() >= MAX_USERS {
            entries.epoch = epoch;
            entries.by_user.clear();
        }
        entries.by_user.insert(user.id, (user, actor));
    }
}
