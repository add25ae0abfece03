//! The profile card of a record page: every field with its label, empty ones as "—",
//! references as links.

use super::format::{custom_text, field_text, reference_link, Names, EMPTY};
use crate::i18n::Tr;
use kehu_core::entity::{CustomFieldDef, EntityDef, FieldKind};
use kehu_core::field_security::{custom_field_name, FieldRules};
use kehu_db::records::Record;

/// One field of a profile card.
pub struct ShowField {
    /// Label.
    pub label: String,
    /// The value as people read it.
    pub text: String,
    /// A link, for references, e-mail, phone and web addresses.
    pub link: Option<String>,
    /// Long texts take the card's full width.
    pub wide: bool,
    /// Whether the value is empty (shown muted).
    pub empty: bool,
}

/// The fields of a record, in catalogue order, then its custom fields; `skip` names
/// fields the page shows elsewhere (the name in the heading).
pub fn profile_fields(
    t: Tr,
    entity: &EntityDef,
    custom: &[CustomFieldDef],
    record: &Record,
    names: &Names,
    rules: &FieldRules,
    skip: &[&str],
) -> Vec<ShowField> {
    // Hidden fields are left out altogether, not shown empty.
    let mut fields: Vec<ShowField> = entity
        .fields
        .iter()
        .filter(|f| !skip.contains(&f.name) && !matches!(f.name, "id" | "version"))
        .filter(|f| !rules.is_hidden(entity.name, f.name))
        .map(|f| {
            let value = record.get(f.name);
            ShowField {
                label: t.field(entity.name, f.name),
                text: field_text(t, f.name, f.kind, value, names),
                link: reference_link(f.kind, value),
                wide: matches!(f.kind, FieldKind::LongText { .. }),
                empty: value.is_empty(),
            }
        })
        .collect();
    for def in custom {
        if rules.is_hidden(entity.name, &custom_field_name(&def.key)) {
            continue;
        }
        let text = custom_text(record.custom.get(&def.key));
        fields.push(ShowField {
            label: t.custom_field(def),
            empty: text == EMPTY,
            text,
            link: None,
            wide: false,
        });
    }
    fields
}
