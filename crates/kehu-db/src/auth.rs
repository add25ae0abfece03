//! Sessions, API tokens and sign-in throttling. Secrets are random 256-bit values given
//! to the client once; only their SHA-256 is stored, so a database leak reveals none.

use crate::conn::required;
use crate::records::ident;
use crate::{now, timestamp_value, Backend, Db, DbResult, Tx};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sea_query::{Expr, OnConflict, Query, SimpleExpr, Values};
use sha2::{Digest, Sha256};

/// A new random secret, URL-safe text.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored form of a secret.
pub fn hash_secret(secret: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(secret.as_bytes());
    let mut hex = String::with_capacity(digest.len() * 2);
    for byte in digest {
        hex.push(char::from(HEX[usize::from(byte >> 4)]));
        hex.push(char::from(HEX[usize::from(byte & 0xf)]));
    }
    hex
}

/// A live session.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// The signed-in user.
    pub user_id: i64,
    /// The token forms must echo (synchroniser-token CSRF protection).
    pub csrf_token: String,
}

/// Starts a session; gives the cookie value and the session.
pub async fn create_session(
    db: &Db,
    user_id: i64,
    lifetime: Duration,
) -> DbResult<(String, Session)> {
    let token = new_secret();
    let csrf_token = new_secret();
    let at = now();
    let insert = Query::insert()
        .into_table(ident("sessions"))
        .columns(
            [
                "token_hash",
                "user_id",
                "csrf_token",
                "created_at",
                "expires_at",
            ]
            .map(ident),
        )
        .values_panic([
            hash_secret(&token).into(),
            user_id.into(),
            csrf_token.clone().into(),
            timestamp_value(db.backend(), at).into(),
            timestamp_value(db.backend(), at + lifetime).into(),
        ])
        .to_owned();
    db.conn().execute(&insert).await?;
    Ok((
        token,
        Session {
            user_id,
            csrf_token,
        },
    ))
}

/// The session for a cookie value, if it exists, has not expired and its user is active.
pub async fn find_session(db: &Db, token: &str) -> DbResult<Option<Session>> {
    Ok(signed_in_by_session(db, token)
        .await?
        .map(|signed_in| Session {
            user_id: signed_in.user_id,
            csrf_token: signed_in.csrf_token.unwrap_or_default(),
        }))
}

/// Who a credential belongs to, with the permissions epoch read in the same statement.
#[derive(Debug, Clone, PartialEq)]
pub struct SignedIn {
    /// The signed-in user (active).
    pub user_id: i64,
    /// The session's CSRF token (none for API tokens).
    pub csrf_token: Option<String>,
    /// The `auth_epoch` counter: it changes whenever users, roles, grants, teams or team
    /// managers change, so permissions resolved at the same value are still right.
    pub permissions_epoch: i64,
}

/// `(SELECT value FROM auth_epoch)`, read with the credential so that the two agree.
fn permissions_epoch() -> SimpleExpr {
    SimpleExpr::SubQuery(
        None,
        Box::new(
            Query::select()
                .column(ident("value"))
                .from(ident("auth_epoch"))
                .to_owned()
                .into_sub_query_statement(),
        ),
    )
}

/// The live session of a cookie value, if its user is active.
pub async fn signed_in_by_session(db: &Db, token: &str) -> DbResult<Option<SignedIn>> {
    let select = Query::select()
        .columns([
            (ident("sessions"), ident("user_id")),
            (ident("sessions"), ident("csrf_token")),
        ])
        .expr_as(permissions_epoch(), ident("permissions_epoch"))
        .from(ident("sessions"))
        .inner_join(
            ident("users"),
            Expr::col((ident("users"), ident("id"))).equals((ident("sessions"), ident("user_id"))),
        )
        .and_where(Expr::col((ident("sessions"), ident("token_hash"))).eq(hash_secret(token)))
        .and_where(
            Expr::col((ident("sessions"), ident("expires_at")))
                .gt(timestamp_value(db.backend(), now())),
        )
        .and_where(Expr::col((ident("users"), ident("active"))).eq(true))
        .to_owned();
    db.conn()
        .fetch_optional(&select, |row| {
            Ok(SignedIn {
                user_id: required(row.int("user_id"), "user_id")?,
                csrf_token: Some(required(row.text("csrf_token"), "csrf_token")?),
                permissions_epoch: required(row.int("permissions_epoch"), "permissions_epoch")?,
            })
        })
        .await
}

/// Ends a session (sign-out).
pub async fn delete_session(db: &Db, token: &str) -> DbResult<()> {
    let delete = Query::delete()
        .from_table(ident("sessions"))
        .and_where(Expr::col(ident("token_hash")).eq(hash_secret(token)))
        .to_owned();
    db.conn().execute(&delete).await?;
    Ok(())
}

/// Ends every session and revokes every API token of a user (deactivation).
pub async fn end_all_access(tx: &mut Tx, user_id: i64) -> DbResult<()> {
    let backend = tx.conn().backend();
    let sessions = Query::delete()
        .from_table(ident("sessions"))
        .and_where(Expr::col(ident("user_id")).eq(user_id))
        .to_owned();
    tx.conn().execute(&sessions).await?;
    let tokens = Query::update()
        .table(ident("api_tokens"))
        .value(ident("revoked_at"), timestamp_value(backend, now()))
        .and_where(Expr::col(ident("user_id")).eq(user_id))
        .and_where(Expr::col(ident("revoked_at")).is_null())
        .to_owned();
    tx.conn().execute(&tokens).await?;
    Ok(())
}

/// Creates an API token for a user; the token is returned once and stored hashed.
pub async fn create_api_token(db: &Db, user_id: i64, name: &str) -> DbResult<String> {
    let token = format!("kehu_{}", new_secret());
    let insert = Query::insert()
        .into_table(ident("api_tokens"))
        .columns(["user_id", "name", "token_hash", "created_at"].map(ident))
        .values_panic([
            user_id.into(),
            name.into(),
            hash_secret(&token).into(),
            timestamp_value(db.backend(), now()).into(),
        ])
        .to_owned();
    db.conn().execute(&insert).await?;
    Ok(token)
}

/// The user of a bearer token, if it is valid, not revoked and its user is active.
pub async fn find_api_token_user(db: &Db, token: &str) -> DbResult<Option<i64>> {
    Ok(signed_in_by_api_token(db, token)
        .await?
        .map(|signed_in| signed_in.user_id))
}

/// The user of a bearer token (valid, not revoked, user active), with the epoch.
pub async fn signed_in_by_api_token(db: &Db, token: &str) -> DbResult<Option<SignedIn>> {
    // Written out rather than built: it runs on every API request.
    let sql = match db.backend() {
        Backend::Sqlite => API_TOKEN_SQLITE,
        Backend::Postgres => API_TOKEN_POSTGRES,
    };
    db.conn()
        .fetch_optional_sql(sql, Values(vec![hash_secret(token).into()]), |row| {
            Ok(SignedIn {
                user_id: required(row.int("user_id"), "user_id")?,
                csrf_token: None,
                permissions_epoch: required(row.int("permissions_epoch"), "permissions_epoch")?,
            })
        })
        .await
}

/// An API token's user and the permissions epoch, if the token is live and its user
/// active (SQLite keeps booleans as 0 and 1).
const API_TOKEN_SQLITE: &str =
    "SELECT t.user_id, (SELECT value FROM auth_epoch) AS permissions_epoch \
     FROM api_tokens AS t JOIN users AS u ON u.id = t.user_id \
     WHERE t.token_hash = ? AND t.revoked_at IS NULL AND u.active = 1";
/// [`API_TOKEN_SQLITE`] for PostgreSQL.
const API_TOKEN_POSTGRES: &str =
    "SELECT t.user_id, (SELECT value FROM auth_epoch) AS permissions_epoch \
     FROM api_tokens AS t JOIN users AS u ON u.id = t.user_id \
     WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.active";

/// Failed sign-ins allowed in a window before the name is locked.
pub const MAX_FAILURES: i64 = 5;
/// The window and lock length.
pub const LOCK_MINUTES: i64 = 15;

/// When a sign-in name (or client) is locked until, if it is locked now.
pub async fn locked_until(db: &Db, key: &str) -> DbResult<Option<DateTime<Utc>>> {
    let select = Query::select()
        .column(ident("locked_until"))
        .from(ident("login_throttle"))
        .and_where(Expr::col(ident("login_key")).eq(key))
        .to_owned();
    let until = db
        .conn()
        .fetch_optional(&select, |row| row.timestamp("locked_until"))
        .await?
        .flatten();
    Ok(until.filter(|u| *u > now()))
}

/// Counts a failed sign-in; after [`MAX_FAILURES`] within the window the key is locked.
///
/// One statement does the counting, so failures sent in parallel are all counted (a
/// read-then-write lost most of them on PostgreSQL), and a lock that is still running is
/// kept when the counting window starts again.
pub async fn record_failure(db: &Db, key: &str) -> DbResult<()> {
    let backend = db.backend();
    let at = now();
    let lock = timestamp_value(backend, at + Duration::minutes(LOCK_MINUTES));
    let table = || ident("login_throttle");
    let current = |column: &str| Expr::col((table(), ident(column)));
    // The stored failures still count while the window opened by the first one is open.
    let in_window = || {
        current("first_failure_at").gt(timestamp_value(
            backend,
            at - Duration::minutes(LOCK_MINUTES),
        ))
    };
    let failures = || -> SimpleExpr {
        Expr::case(in_window(), current("failures").add(1))
            .finally(1i64)
            .into()
    };
    let first_failure_at =
        Expr::case(in_window(), current("first_failure_at")).finally(timestamp_value(backend, at));
    let locked_until = Expr::case(Expr::expr(failures()).gte(MAX_FAILURES), lock.clone())
        .finally(current("locked_until"));
    let first_lock = if MAX_FAILURES <= 1 {
        lock
    } else {
        crate::records::null_timestamp(backend)
    };
    let upsert = Query::insert()
        .into_table(table())
        .columns(["login_key", "failures", "first_failure_at", "locked_until"].map(ident))
        .values_panic([
            key.into(),
            1i64.into(),
            timestamp_value(backend, at).into(),
            first_lock.into(),
        ])
        .on_conflict(
            OnConflict::column(ident("login_key"))
                .values([
                    (ident("failures"), failures()),
                    (ident("first_failure_at"), first_failure_at.into()),
                    (ident("locked_until"), locked_until.into()),
                ])
                .to_owned(),
        )
        .to_owned();
    db.conn().execute(&upsert).await?;
    Ok(())
}

/// Forgets failures after a successful sign-in.
pub async fn clear_failures(db: &Db, key: &str) -> DbResult<()> {
    let delete = Query::delete()
        .from_table(ident("login_throttle"))
        .and_where(Expr::col(ident("login_key")).eq(key))
        .to_owned();
    db.conn().execute(&delete).await?;
    Ok(())
}

/// Deletes sessions past their expiry (housekeeping job).
pub async fn purge_expired_sessions(db: &Db) -> DbResult<u64> {
    let delete = Query::delete()
        .from_table(ident("sessions"))
        .and_where(Expr::col(ident("expires_at")).lt(timestamp_value(db.backend(), now())))
        .to_owned();
    db.conn().execute(&delete).await
}

#[cfg(test)]
mod tests {
    use super::hash_secret;

    #[test]
    fn secrets_are_stored_as_their_sha256_in_lower_case_hex() {
        assert_eq!(
            hash_secret("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
