//! Mass update: setting the same values on many records at once (a new level for every
//! customer of a region, a new owner for a rep's list). Which fields take one value for
//! many records, and how many records one request may change.

use crate::entity::{EntityDef, FieldDef, FieldKind};
use crate::validation::{Changes, FieldErrors};

/// The most records one mass update reads and changes. Every changed record gets its own
/// timeline event in the same transaction, so the bound keeps a request to seconds and
/// holds the write lock (all of SQLite, the touched rows on PostgreSQL) only that long.
pub const MAX_RECORDS: usize = 5_000;

/// Whether a built-in field may be set on many records at once: fields that classify or
/// assign a record. Not what identifies one record (its name, code, phone, e-mail, web
/// address), nor free texts and tag sets that a single value would overwrite on every
/// record, nor links whose rules are checked per record (a contact's customer and boss).
pub fn is_mass_updatable(field: &FieldDef) -> bool {
    if field.read_only || field.required {
        return false;
    }
    match field.kind {
        FieldKind::Picklist(_)
        | FieldKind::Choice(_)
        | FieldKind::Money
        | FieldKind::Integer
        | FieldKind::Date => true,
        FieldKind::Text { .. } => !field.contact_point,
        FieldKind::UserRef => field.name == "owner_id",
        FieldKind::LongText { .. }
        | FieldKind::Email
        | FieldKind::Phone
        | FieldKind::Url
        | FieldKind::Tags
        | FieldKind::TeamRef
        | FieldKind::AccountRef
        | FieldKind::ContactRef
        | FieldKind::Timestamp => false,
    }
}

/// The built-in fields of an entity that a mass update may set, in catalogue order.
pub fn mass_updatable_fields(entity: &'static EntityDef) -> Vec<&'static FieldDef> {
    entity
        .fields
        .iter()
        .filter(|f| is_mass_updatable(f))
        .collect()
}

/// Refuses changes that name no field, or a field that is not set on many records at
/// once (custom fields always are), naming each such field.
pub fn check_changes(changes: &Changes) -> Result<(), FieldErrors> {
    let mut errors = FieldErrors::default();
    if changes.is_empty() {
        errors.add(
            "changes",
            "no_changes",
            "choose at least one field to change",
        );
    }
    for (field, _) in &changes.fields {
        if !is_mass_updatable(field) {
            errors.add(
                field.name,
                "not_mass_updatable",
                "cannot be set on many records at once",
            );
        }
    }
    errors.into_result()
}

/// Whether the changes give the records another owner (the `assign` action) and whether
/// they set anything else (the `mass update` action).
pub fn actions_of(changes: &Changes) -> (bool, bool) {
    let assigns = changes.get("owner_id").is_some();
    let updates =
        changes.fields.iter().any(|(f, _)| f.name != "owner_id") || !changes.custom.is_empty();
    (assigns, updates)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entity::{ACCOUNT, CONTACT};
    use crate::FieldValue;

    fn names(entity: &'static EntityDef) -> Vec<&'static str> {
        mass_updatable_fields(entity)
            .into_iter()
            .map(|f| f.name)
            .collect()
    }

    #[test]
    fn classifying_and_assigning_fields_are_mass_updatable() {
        assert_eq!(
            names(&ACCOUNT),
            [
                "kind",
                "industry",
                "level",
                "category",
                "source",
                "province",
                "city",
                "address",
                "lifecycle_status",
                "credit_limit",
                "currency",
                "owner_id"
            ]
        );
        assert_eq!(
            names(&CONTACT),
            ["title", "department", "birthday", "assistant", "owner_id"]
        );
    }

    #[test]
    fn identifying_fields_and_empty_changes_are_refused_by_name() {
        let mut changes = Changes::default();
        assert_eq!(
            check_changes(&changes)
                .unwrap_err()
                .get("changes")
                .unwrap()
                .code,
            "no_changes"
        );
        changes.set(
            ACCOUNT.field("code").unwrap(),
            FieldValue::Text("A1".into()),
        );
        changes.set(
            ACCOUNT.field("level").unwrap(),
            FieldValue::Text("VIP".into()),
        );
        changes.set(ACCOUNT.field("tags").unwrap(), FieldValue::List(vec![]));
        let errors = check_changes(&changes).unwrap_err();
        assert_eq!(errors.0.len(), 2);
        assert_eq!(errors.get("code").unwrap().code, "not_mass_updatable");
        assert!(errors.get("tags").is_some());
        let mut custom = Changes::default();
        custom.custom.insert("wechat".into(), "x".into());
        assert!(check_changes(&custom).is_ok());
    }

    #[test]
    fn an_owner_change_is_an_assignment() {
        let mut changes = Changes::default();
        changes.set(ACCOUNT.field("owner_id").unwrap(), FieldValue::Int(3));
        assert_eq!(actions_of(&changes), (true, false));
        changes.custom.insert("wechat".into(), "x".into());
        assert_eq!(actions_of(&changes), (true, true));
    }
}
