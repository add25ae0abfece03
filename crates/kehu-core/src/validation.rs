//! Turning user input (API JSON or a submitted form) into checked field changes,
//! or into a field-by-field list of what is wrong.

use crate::entity::{CustomFieldDef, EntityDef, FieldDef, FieldKind};
use crate::field_value::{self, FieldValue};
use serde::Serialize;
use serde_json::{Map, Value as Json};
use std::collections::{BTreeMap, HashMap};

/// What is wrong with one field: a stable code (the UI translates it) and an English message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// Stable machine code such as `required`, `too_long`, `invalid_email`.
    pub code: String,
    /// English explanation, e.g. "must be at most 200 characters".
    pub message: String,
}

/// Errors keyed by field name (custom fields as `custom.KEY`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct FieldErrors(pub BTreeMap<String, FieldError>);

impl FieldErrors {
    /// Records an error for a field (the first one per field is kept).
    pub fn add(&mut self, field: impl Into<String>, code: &str, message: impl Into<String>) {
        self.0.entry(field.into()).or_insert_with(|| FieldError {
            code: code.to_string(),
            message: message.into(),
        });
    }

    /// Whether no errors were recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The error of one field, for showing it under that input.
    pub fn get(&self, field: &str) -> Option<&FieldError> {
        self.0.get(field)
    }

    /// Ok when empty, so callers can use `?`.
    pub fn into_result(self) -> Result<(), FieldErrors> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }
}

/// Whether input creates a record (required fields must be given) or changes one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A new record.
    Create,
    /// Changes to an existing record; absent fields keep their value.
    Update,
}

/// Checked changes to a record, ready for the repository.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes {
    /// Built-in fields and their new values.
    pub fields: Vec<(&'static FieldDef, FieldValue)>,
    /// Custom fields and their new values (JSON null clears).
    pub custom: Map<String, Json>,
}

impl Changes {
    /// The new value of a built-in field, if it is being changed.
    pub fn get(&self, name: &str) -> Option<&FieldValue> {
        self.fields
            .iter()
            .find(|(f, _)| f.name == name)
            .map(|(_, v)| v)
    }

    /// Sets or replaces a built-in field's value (used for defaults such as owner and team).
    pub fn set(&mut self, field: &'static FieldDef, value: FieldValue) {
        match self.fields.iter_mut().find(|(f, _)| f.name == field.name) {
            Some(slot) => slot.1 = value,
            None => self.fields.push((field, value)),
        }
    }

    /// Whether nothing would change.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.custom.is_empty()
    }
}

/// The allowed values of each picklist (`industry`, `level`, …), loaded from the database.
pub type Picklists = HashMap<String, Vec<String>>;

/// The context validation needs beyond the input itself.
pub struct Schema<'a> {
    /// The entity being written.
    pub entity: &'static EntityDef,
    /// Custom fields admins defined for it.
    pub custom_fields: &'a [CustomFieldDef],
    /// Allowed picklist values.
    pub picklists: &'a Picklists,
}

impl Schema<'_> {
    /// Validates an API JSON object. Unknown keys, read-only keys (other than `version`,
    /// which the caller reads for concurrency control), wrong types and missing required
    /// fields are all reported at once.
    pub fn from_json(&self, input: &Map<String, Json>, mode: Mode) -> Result<Changes, FieldErrors> {
        let mut errors = FieldErrors::default();
        let mut changes = Changes::default();
        for (key, value) in input {
            if key == "version" {
                continue;
            }
            if key == "custom" {
                self.custom_from_json(value, &mut changes, &mut errors);
                continue;
            }
            match self.entity.field(key) {
                None => errors.add(key, "unknown_field", "is not a field of this record"),
                Some(def) if def.read_only => errors.add(key, "read_only", "is set by the system"),
                Some(def) => match field_value::parse_json(def.kind, value) {
                    Ok(parsed) => changes.set(static_field(self.entity, def), parsed),
                    Err((code, message)) => errors.add(key, code, message),
                },
            }
        }
        self.finish(changes, mode, errors)
    }

    /// Validates a submitted form (or an import row): every writable field the form shows is
    /// sent, blank meaning empty. Keys the schema does not know are ignored, because forms
    /// carry other inputs such as the CSRF token.
    pub fn from_form(
        &self,
        input: &HashMap<String, String>,
        mode: Mode,
    ) -> Result<Changes, FieldErrors> {
        let mut errors = FieldErrors::default();
        let mut changes = Changes::default();
        for def in self.entity.writable_fields() {
            let Some(text) = input.get(def.name) else {
                continue;
            };
            match field_value::parse_form(def.kind, text) {
                Ok(parsed) => changes.set(def, parsed),
                Err((code, message)) => errors.add(def.name, code, message),
            }
        }
        for custom in self.custom_fields {
            let key = format!("custom.{}", custom.key);
            let Some(text) = input.get(&key) else {
                continue;
            };
            match field_value::parse_custom_text(custom.kind, &custom.options, text) {
                Ok(value) => {
                    changes.custom.insert(custom.key.clone(), value);
                }
                Err((code, message)) => errors.add(key, code, message),
            }
        }
        self.finish(changes, mode, errors)
    }

    fn custom_from_json(&self, value: &Json, changes: &mut Changes, errors: &mut FieldErrors) {
        let Some(object) = value.as_object() else {
            errors.add(
                "custom",
                "not_object",
                "must be an object of custom field values",
            );
            return;
        };
        for (key, value) in object {
            let path = format!("custom.{key}");
            match self.custom_fields.iter().find(|c| &c.key == key) {
                None => errors.add(
                    path,
                    "unknown_field",
                    "is not a custom field of this record",
                ),
                Some(def) => match field_value::parse_custom_json(def.kind, &def.options, value) {
                    Ok(parsed) => {
                        changes.custom.insert(key.clone(), parsed);
                    }
                    Err((code, message)) => errors.add(path, code, message),
                },
            }
        }
    }

    fn finish(
        &self,
        changes: Changes,
        mode: Mode,
        mut errors: FieldErrors,
    ) -> Result<Changes, FieldErrors> {
        for def in self.entity.fields.iter().filter(|f| f.required) {
            if errors.get(def.name).is_some() {
                continue;
            }
            let missing = match changes.get(def.name) {
                Some(value) => value.is_empty(),
                None => mode == Mode::Create,
            };
            if missing {
                errors.add(def.name, "required", "is required");
            }
        }
        for (def, value) in &changes.fields {
            if let (FieldKind::Picklist(list), FieldValue::Text(text)) = (def.kind, value) {
                let allowed = self
                    .picklists
                    .get(list)
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                if !allowed.iter().any(|a| a == text) {
                    errors.add(
                        def.name,
                        "not_in_list",
                        format!("“{text}” is not a value of the {list} list"),
                    );
                }
            }
        }
        errors.into_result().map(|()| changes)
    }
}

/// Gives back the `'static` definition for a field found by name.
fn static_field(entity: &'static EntityDef, def: &FieldDef) -> &'static FieldDef {
    entity
        .field(def.name)
        .expect("field comes from this entity")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entity::{CustomFieldKind, ACCOUNT};
    use serde_json::json;

    fn picklists() -> Picklists {
        HashMap::from([(
            "level".to_string(),
            vec!["VIP".to_string(), "普通".to_string()],
        )])
    }

    fn custom() -> Vec<CustomFieldDef> {
        vec![CustomFieldDef {
            id: 1,
            entity: "account".into(),
            key: "employees".into(),
            label_en: "Employees".into(),
            label_zh: "员工人数".into(),
            kind: CustomFieldKind::Number,
            options: vec![],
        }]
    }

    fn object(value: Json) -> Map<String, Json> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn create_reports_every_problem_at_once() {
        let (picklists, custom) = (picklists(), custom());
        let schema = Schema {
            entity: &ACCOUNT,
            custom_fields: &custom,
            picklists: &picklists,
        };
        let errors = schema
            .from_json(
                &object(json!({"email": "nope", "colour": "red", "id": 4, "level": "Gold", "custom": {"employees": "many"}})),
                Mode::Create,
            )
            .unwrap_err();
        assert_eq!(errors.get("name").unwrap().code, "required");
        assert_eq!(errors.get("email").unwrap().code, "invalid_email");
        assert_eq!(errors.get("colour").unwrap().code, "unknown_field");
        assert_eq!(errors.get("id").unwrap().code, "read_only");
        assert_eq!(errors.get("level").unwrap().code, "not_in_list");
        assert_eq!(errors.get("custom.employees").unwrap().code, "not_number");
    }

    #[test]
    fn update_needs_only_the_changed_fields_but_cannot_blank_required_ones() {
        let (picklists, custom) = (picklists(), custom());
        let schema = Schema {
            entity: &ACCOUNT,
            custom_fields: &custom,
            picklists: &picklists,
        };
        let changes = schema
            .from_json(&object(json!({"level": "VIP", "version": 3})), Mode::Update)
            .unwrap();
        assert_eq!(changes.get("level"), Some(&FieldValue::Text("VIP".into())));
        assert_eq!(changes.fields.len(), 1);
        let errors = schema
            .from_json(&object(json!({"name": " "})), Mode::Update)
            .unwrap_err();
        assert_eq!(errors.get("name").unwrap().code, "required");
    }

    #[test]
    fn forms_use_major_units_and_custom_prefix() {
        let (picklists, custom) = (picklists(), custom());
        let schema = Schema {
            entity: &ACCOUNT,
            custom_fields: &custom,
            picklists: &picklists,
        };
        let form = HashMap::from([
            ("name".to_string(), "北京华为科技有限公司".to_string()),
            ("credit_limit".to_string(), "5,000.50".to_string()),
            ("custom.employees".to_string(), "120".to_string()),
            ("csrf_token".to_string(), "x".to_string()),
        ]);
        let changes = schema.from_form(&form, Mode::Create).unwrap();
        assert_eq!(changes.get("credit_limit"), Some(&FieldValue::Int(500_050)));
        assert_eq!(changes.custom.get("employees"), Some(&json!(120.0)));
    }
}
