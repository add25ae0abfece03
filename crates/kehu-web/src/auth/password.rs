//! argon2id password hashing, run on the blocking pool so it does not stall the server.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// Hashes a password with argon2id and a random salt (PHC string format).
pub async fn hash_password(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
    })
    .await?
}

/// Checks a password against a stored hash; false for malformed hashes.
pub async fn verify_password(hash: String, password: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// Checks a new password: long enough and not blank.
pub fn check_new_password(password: &str) -> Result<(), &'static str> {
    if password.trim().chars().count() < MIN_PASSWORD_CHARS {
        Err("password_too_short")
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_only_its_own_password() {
        let hash = hash_password("correct horse battery".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password(hash.clone(), "correct horse battery".into()).await);
        assert!(!verify_password(hash, "wrong".into()).await);
        assert!(!verify_password("not a hash".into(), "x".into()).await);
    }
}
