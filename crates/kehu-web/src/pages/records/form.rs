//! The record form: one input per writable field of the catalogue plus the custom fields,
//! filled from a record, from defaults or from what the user typed, with each field's
//! error under it.

use crate::i18n::Tr;
use crate::pages::format::custom_text;
use crate::pages::SelectOption;
use kehu_core::entity::{CustomFieldDef, CustomFieldKind, EntityDef, FieldDef, FieldKind};
use kehu_core::field_security::FieldRules;
use kehu_core::validation::Picklists;
use kehu_core::FieldErrors;
use kehu_db::records::Record;
use std::collections::HashMap;

/// One input of a form.
pub struct FormField {
    /// The input's name (`name`, `custom.wechat`).
    pub name: String,
    /// The element id (`f-name`).
    pub id: String,
    /// Label.
    pub label: String,
    /// `text`, `tel`, `number`, `date`, `textarea` or `select`.
    pub input: &'static str,
    /// The `inputmode` hint for phones' keyboards (`email`, `decimal`, `url`), or empty.
    pub inputmode: &'static str,
    /// Current text.
    pub value: String,
    /// Choices of a select.
    pub options: Vec<SelectOption>,
    /// Must be filled.
    pub required: bool,
    /// Character limit, 0 for none.
    pub maxlength: usize,
    /// A short help text under the input, or empty.
    pub hint: String,
    /// The translated error, if the value was refused.
    pub error: Option<String>,
    /// Spans the whole form width (long texts).
    pub wide: bool,
    /// Shown but not editable: the user's roles make the field read-only. The input is
    /// disabled, so the browser does not send it.
    pub read_only: bool,
}

/// The text of each input, by input name.
pub type FormValues = HashMap<String, String>;

/// Choices for the reference fields, loaded by the caller for what the user may pick.
#[derive(Default)]
pub struct RefChoices {
    /// Users the record may be given to.
    pub owners: Vec<(i64, String)>,
    /// Customers a contact may belong to.
    pub accounts: Vec<(i64, String)>,
    /// Contacts a contact may report to.
    pub contacts: Vec<(i64, String)>,
}

/// The form texts of a stored record.
pub fn values_of(entity: &EntityDef, custom: &[CustomFieldDef], record: &Record) -> FormValues {
    let mut values: FormValues = entity
        .writable_fields()
        .map(|f| (f.name.to_string(), record.get(f.name).to_form_text(f.kind)))
        .collect();
    values.insert("owner_id".into(), record.owner_id.to_string());
    for def in custom {
        let text = match record.custom.get(&def.key) {
            None | Some(serde_json::Value::Null) => String::new(),
            value => custom_text(value),
        };
        values.insert(format!("custom.{}", def.key), text);
    }
    values
}

/// The submitted form as a map (the last value wins for repeated names).
pub fn submitted(pairs: Vec<(String, String)>) -> FormValues {
    pairs.into_iter().collect()
}

fn select(
    current: &str,
    blank: bool,
    choices: impl IntoIterator<Item = (String, String)>,
) -> Vec<SelectOption> {
    let mut options: Vec<SelectOption> = Vec::new();
    if blank {
        options.push(SelectOption {
            value: String::new(),
            label: "—".into(),
            selected: current.is_empty(),
        });
    }
    for (value, label) in choices {
        options.push(SelectOption {
            selected: value == current,
            value,
            label,
        });
    }
    // A stored value that is no longer offered (a removed picklist value) stays selected
    // rather than being silently replaced on save.
    if !current.is_empty() && !options.iter().any(|o| o.value == current) {
        options.push(SelectOption {
            value: current.to_string(),
            label: current.to_string(),
            selected: true,
        });
    }
    options
}

fn ids(items: &[(i64, String)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(id, name)| (id.to_string(), name.clone()))
        .collect()
}

fn built_in(
    t: Tr,
    entity: &EntityDef,
    field: &FieldDef,
    value: String,
    picklists: &Picklists,
    refs: &RefChoices,
) -> FormField {
    let mut input = FormField {
        id: format!("f-{}", field.name),
        name: field.name.to_string(),
        label: t.field(entity.name, field.name),
        input: "text",
        inputmode: "",
        value: String::new(),
        options: Vec::new(),
        required: field.required || field.name == "owner_id",
        maxlength: 0,
        hint: String::new(),
        error: None,
        wide: false,
        read_only: false,
    };
    match field.kind {
        FieldKind::Text { max } => input.maxlength = max,
        FieldKind::LongText { max } => {
            input.input = "textarea";
            input.maxlength = max;
            input.wide = true;
        }
        FieldKind::Email => input.inputmode = "email",
        FieldKind::Phone => input.input = "tel",
        FieldKind::Url => input.inputmode = "url",
        FieldKind::Money => {
            input.inputmode = "decimal";
            input.hint = t.t("form.hint_money").to_string();
        }
        FieldKind::Integer => input.input = "number",
        FieldKind::Date => input.input = "date",
        FieldKind::Tags => input.hint = t.t("form.hint_tags").to_string(),
        FieldKind::Picklist(list) => {
            input.input = "select";
            let values = picklists.get(list).cloned().unwrap_or_default();
            input.options = select(&value, true, values.into_iter().map(|v| (v.clone(), v)));
        }
        FieldKind::Choice(values) => {
            input.input = "select";
            input.options = select(
                &value,
                false,
                values
                    .iter()
                    .map(|v| (v.to_string(), t.choice(field.name, v))),
            );
        }
        FieldKind::UserRef => {
            input.input = "select";
            input.options = select(&value, false, ids(&refs.owners));
        }
        FieldKind::AccountRef => {
            input.input = "select";
            input.options = select(&value, value.is_empty(), ids(&refs.accounts));
        }
        FieldKind::ContactRef => {
            input.input = "select";
            input.options = select(&value, true, ids(&refs.contacts));
        }
        FieldKind::TeamRef | FieldKind::Timestamp => {}
    }
    if field.name == "currency" {
        input.hint = t.t("form.hint_currency").to_string();
    }
    input.value = value;
    input
}

fn custom_input(t: Tr, def: &CustomFieldDef, value: String) -> FormField {
    let name = format!("custom.{}", def.key);
    let mut input = FormField {
        id: format!("f-custom-{}", def.key),
        name,
        label: t.custom_field(def),
        input: "text",
        inputmode: "",
        value: String::new(),
        options: Vec::new(),
        required: false,
        maxlength: 0,
        hint: String::new(),
        error: None,
        wide: false,
        read_only: false,
    };
    match def.kind {
        CustomFieldKind::Text => input.maxlength = 500,
        CustomFieldKind::Number => input.inputmode = "decimal",
        CustomFieldKind::Date => input.input = "date",
        CustomFieldKind::Select => {
            input.input = "select";
            input.options = select(
                &value,
                true,
                def.options.iter().map(|o| (o.clone(), o.clone())),
            );
        }
    }
    input.value = value;
    input
}

/// What a form is built from.
pub struct FormSources<'a> {
    /// The entity.
    pub entity: &'static EntityDef,
    /// Its custom fields.
    pub custom: &'a [CustomFieldDef],
    /// Picklist values.
    pub picklists: &'a Picklists,
    /// Reference choices.
    pub refs: &'a RefChoices,
    /// The user's hidden and read-only fields.
    pub rules: &'a FieldRules,
}

/// The inputs of a record form: none for hidden fields, disabled ones for read-only fields.
pub fn form_fields(
    t: Tr,
    sources: &FormSources<'_>,
    values: &FormValues,
    errors: &FieldErrors,
) -> Vec<FormField> {
    let entity = sources.entity;
    let value = |name: &str| values.get(name).cloned().unwrap_or_default();
    let mut fields: Vec<FormField> = entity
        .writable_fields()
        .map(|f| built_in(t, entity, f, value(f.name), sources.picklists, sources.refs))
        .chain(
            sources
                .custom
                .iter()
                .map(|def| custom_input(t, def, value(&format!("custom.{}", def.key)))),
        )
        .filter(|field| !sources.rules.is_hidden(entity.name, &field.name))
        .collect();
    for field in &mut fields {
        field.error = errors.get(&field.name).map(|e| t.error(e));
        field.read_only = !sources.rules.is_writable(entity.name, &field.name);
    }
    fields
}

/// Errors for fields the form does not show (so the user still learns what went wrong).
pub fn unshown_errors(t: Tr, fields: &[FormField], errors: &FieldErrors) -> Vec<String> {
    errors
        .0
        .iter()
        .filter(|(name, _)| !fields.iter().any(|f| &f.name == *name))
        .map(|(_, e)| t.error(e))
        .collect()
}
