//! Sign-in: password hashing, sessions and API tokens, the extractors that tell handlers
//! who is asking, and CSRF protection for cookie-authenticated requests.

pub mod cache;
pub mod csrf;
pub mod extract;
pub mod password;
pub mod sign_in;

pub use extract::{ApiAuth, Auth, PageAuth, SESSION_COOKIE};
