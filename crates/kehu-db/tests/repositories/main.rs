//! Integration tests of kehu-db's repositories. Every test runs twice, on a fresh SQLite
//! database and on a fresh PostgreSQL database (see `tests/common`):
//!
//! ```text
//! KEHU_TEST_PG_URL=postgres://postgres@127.0.0.1:5432/postgres cargo test -p kehu-db
//! ```

#[path = "../common/mod.rs"]
#[macro_use]
mod common;

mod auth;
mod concurrency;
mod customer_values;
mod events;
mod field_security;
mod jobs;
mod lists;
mod mass_update;
mod migrations;
mod orders;
mod org;
mod permissions;
mod personal_data;
mod records;
mod saved_filters;
mod search;
mod sharing;
mod transfer;
