//! Kehu's domain: value types that can only hold valid values, the field catalogue of
//! each entity, validation of user input, filters and the permission policy.
//!
//! Nothing here does I/O: the database and web layers call into this crate.

pub mod consent;
pub mod contact_info;
pub mod entity;
pub mod field_security;
pub mod field_value;
pub mod filter;
pub mod mass_update;
pub mod money;
pub mod order_lines;
pub mod permission;
pub mod validation;

pub use contact_info::{Email, Phone};
pub use entity::{EntityDef, FieldDef, FieldKind};
pub use field_value::FieldValue;
pub use money::Money;
pub use validation::{FieldError, FieldErrors};
