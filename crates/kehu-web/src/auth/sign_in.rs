//! Signing in with a user name and password, with throttling of repeated failures and an
//! audit event for each attempt.

use super::password::verify_password;
use crate::state::AppState;
use chrono::{DateTime, Duration, Utc};
use kehu_db::events::{self, NewEvent};
use kehu_db::users::User;
use kehu_db::{auth, users, DbError};

/// Why a sign-in was refused.
#[derive(Debug)]
pub enum SignInError {
    /// Wrong name or password (not told apart, so names cannot be probed).
    Invalid,
    /// Too many failures; try again after this time.
    Locked(DateTime<Utc>),
    /// Database trouble.
    Internal(DbError),
}

impl From<DbError> for SignInError {
    fn from(error: DbError) -> Self {
        SignInError::Internal(error)
    }
}

/// A successful sign-in: the cookie value to set and the user.
pub struct SignedIn {
    /// Session cookie value.
    pub token: String,
    /// The user.
    pub user: User,
}

/// A well-formed argon2id hash of a random password, verified against when the user name
/// is unknown so that a wrong name takes as long as a wrong password.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Xz1VmZ0JqOZmPqzH6lP0wX1m2Kx8B8zQ2cQmM6vYpJk";

/// Checks the name and password and starts a session.
pub async fn sign_in(
    state: &AppState,
    username: &str,
    password: &str,
    source_ip: Option<&str>,
) -> Result<SignedIn, SignInError> {
    let username = username.trim();
    let throttle_key = format!("user:{}", username.to_lowercase());
    if let Some(until) = auth::locked_until(&state.db, &throttle_key).await? {
        return Err(SignInError::Locked(until));
    }
    let found = users::with_password_hash(&state.db, username).await?;
    let (hash, user) = match found {
        Some((user, hash)) if user.active => (hash, Some(user)),
        _ => (DUMMY_HASH.to_string(), None),
    };
    let password_ok = verify_password(hash, password.to_string()).await;
    let Some(user) = user.filter(|_| password_ok) else {
        auth::record_failure(&state.db, &throttle_key).await?;
        audit(state, None, "sign_in_failed", username, source_ip).await?;
        return Err(SignInError::Invalid);
    };
    auth::clear_failures(&state.db, &throttle_key).await?;
    let (token, _session) = auth::create_session(
        &state.db,
        user.id,
        Duration::hours(state.config.session_hours),
    )
    .await?;
    audit(state, Some(user.id), "signed_in", username, source_ip).await?;
    Ok(SignedIn { token, user })
}

async fn audit(
    state: &AppState,
    actor_id: Option<i64>,
    action: &'static str,
    username: &str,
    source_ip: Option<&str>,
) -> Result<(), DbError> {
    events::append(
        &mut state.db.conn(),
        &NewEvent {
            entity: "session",
            record_id: actor_id,
            account_id: None,
            action,
            actor_id,
            changes: Vec::new(),
            summary: username.chars().take(100).collect(),
            source_ip: source_ip.map(str::to_string),
        },
    )
    .await
}
