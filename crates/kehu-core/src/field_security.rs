//! Field-level security: per role, entity and field, a field may be hidden or read-only.
//!
//! Roles store only their restrictions; a field a role says nothing about is editable for
//! it. A user with several roles gets the most permissive access of each field, as with
//! grants, and a user who administers roles sees every field (they could lift any mask).
//! Every catalogued entity is covered: fields are named as in the catalogue, custom fields
//! as `custom.KEY`, the same names that validation errors and audit changes use.

use crate::entity::{EntityDef, FieldDef};
use crate::filter::{Filter, FilterTarget, Sort};
use crate::permission::{Action, Grants, Scope};
use crate::validation::{Changes, FieldErrors};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::str::FromStr;

/// What a user may do with one field. Ordered from least to most permissive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldAccess {
    /// Absent everywhere: pages, API, exports, search results, timeline.
    Hidden,
    /// Shown, but not written.
    ReadOnly,
    /// Shown and written (the default).
    Editable,
}

impl FieldAccess {
    /// Every access, in the order the role editor offers them.
    pub const ALL: [FieldAccess; 3] = [
        FieldAccess::Editable,
        FieldAccess::ReadOnly,
        FieldAccess::Hidden,
    ];

    /// The stored and form name.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldAccess::Hidden => "hidden",
            FieldAccess::ReadOnly => "read_only",
            FieldAccess::Editable => "editable",
        }
    }
}

impl FromStr for FieldAccess {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FieldAccess::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| format!("unknown field access {s:?}"))
    }
}

/// The name under which a custom field is restricted.
pub fn custom_field_name(key: &str) -> String {
    format!("custom.{key}")
}

/// Whether a built-in field may be restricted. Not the columns records are identified,
/// versioned and permission-checked by, nor the name every list and timeline shows, nor
/// fields required on create (a role could then never create a record).
pub fn securable(field: &FieldDef) -> bool {
    !field.required && !["id", "name", "version", "owner_id", "team_id"].contains(&field.name)
}

/// Restrictions: entity → field → access. A field that is not listed is editable.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldRules(pub BTreeMap<String, BTreeMap<String, FieldAccess>>);

impl FieldRules {
    /// The access to one field (`credit_limit`, `custom.wechat`).
    pub fn access(&self, entity: &str, field: &str) -> FieldAccess {
        self.0
            .get(entity)
            .and_then(|fields| fields.get(field))
            .copied()
            .unwrap_or(FieldAccess::Editable)
    }

    /// Whether a field is hidden.
    pub fn is_hidden(&self, entity: &str, field: &str) -> bool {
        self.access(entity, field) == FieldAccess::Hidden
    }

    /// Whether a field may be written.
    pub fn is_writable(&self, entity: &str, field: &str) -> bool {
        self.access(entity, field) == FieldAccess::Editable
    }

    /// Sets one field's access; `Editable` removes the restriction.
    pub fn set(&mut self, entity: &str, field: &str, access: FieldAccess) {
        if access == FieldAccess::Editable {
            if let Some(fields) = self.0.get_mut(entity) {
                fields.remove(field);
                if fields.is_empty() {
                    self.0.remove(entity);
                }
            }
            return;
        }
        self.0
            .entry(entity.to_string())
            .or_default()
            .insert(field.to_string(), access);
    }

    /// Every restriction as (entity, field, access).
    pub fn entries(&self) -> impl Iterator<Item = (&str, &str, FieldAccess)> {
        self.0.iter().flat_map(|(entity, fields)| {
            fields
                .iter()
                .map(move |(field, access)| (entity.as_str(), field.as_str(), *access))
        })
    }

    /// The rules of a user with these roles and these merged grants: for each field the
    /// most permissive access of any role (a role that says nothing makes it editable);
    /// nothing is restricted for someone who administers roles.
    pub fn for_user(roles: &[FieldRules], grants: &Grants) -> FieldRules {
        let mut merged = FieldRules::default();
        if roles.is_empty() || grants.scope("role", Action::Edit) == Scope::All {
            return merged;
        }
        for (entity, field, _) in roles[0].entries() {
            let widest = roles
                .iter()
                .map(|role| role.access(entity, field))
                .max()
                .unwrap_or(FieldAccess::Editable);
            merged.set(entity, field, widest);
        }
        merged
    }

    /// The built-in fields of an entity the user may see, in catalogue order.
    pub fn visible_fields(&self, entity: &'static EntityDef) -> Vec<&'static FieldDef> {
        entity
            .fields
            .iter()
            .filter(|f| !self.is_hidden(entity.name, f.name))
            .collect()
    }

    /// Refuses a write that sets a hidden or read-only field, naming each such field.
    pub fn check_write(&self, entity: &EntityDef, changes: &Changes) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::default();
        let names = changes
            .fields
            .iter()
            .map(|(f, _)| f.name.to_string())
            .chain(changes.custom.keys().map(|k| custom_field_name(k)));
        for name in names {
            match self.access(entity.name, &name) {
                FieldAccess::Editable => {}
                FieldAccess::ReadOnly => errors.add(
                    name,
                    "field_read_only",
                    "your role may not change this field",
                ),
                FieldAccess::Hidden => errors.add(
                    name,
                    "field_hidden",
                    "your role may not see or change this field",
                ),
            }
        }
        errors.into_result()
    }

    /// Refuses filtering or sorting on a hidden field: the matches would reveal its values.
    pub fn check_list(
        &self,
        entity: &EntityDef,
        filters: &[Filter],
        sort: &Sort,
    ) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::default();
        for filter in filters {
            let name = match &filter.target {
                FilterTarget::Field(def) => def.name.to_string(),
                FilterTarget::Custom(def) => custom_field_name(&def.key),
                // Consent lives beside the record, not in a field roles can hide.
                FilterTarget::Consent(_) => continue,
                // Computed analytics values (lifecycle stage, segment) are no record field.
                FilterTarget::Value(_) => continue,
            };
            if self.is_hidden(entity.name, &name) {
                errors.add(
                    name,
                    "field_hidden",
                    "your role may not filter on this field",
                );
            }
        }
        if self.is_hidden(entity.name, sort.field.name) {
            errors.add(
                "sort",
                "field_hidden",
                "your role may not sort on this field",
            );
        }
        errors.into_result()
    }
}

/// The field restrictions the built-in roles start with: a service agent helps a customer
/// without seeing its credit limit or its people's mobile numbers.
pub fn default_field_rules(role: &str) -> FieldRules {
    let mut rules = FieldRules::default();
    if role == "service_agent" {
        rules.set("account", "credit_limit", FieldAccess::Hidden);
        rules.set("contact", "mobile", FieldAccess::Hidden);
    }
    rules
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entity::{ACCOUNT, CONTACT};
    use crate::permission::default_roles;
    use crate::FieldValue;

    fn grants(role: &str) -> Grants {
        default_roles()
            .into_iter()
            .find(|(n, _)| *n == role)
            .unwrap()
            .1
    }

    #[test]
    fn the_most_permissive_role_wins() {
        let mut hides = FieldRules::default();
        hides.set("account", "credit_limit", FieldAccess::Hidden);
        hides.set("account", "phone", FieldAccess::Hidden);
        let mut reads = FieldRules::default();
        reads.set("account", "credit_limit", FieldAccess::ReadOnly);
        reads.set("account", "phone", FieldAccess::Hidden);
        let user = FieldRules::for_user(&[hides.clone(), reads], &grants("sales_rep"));
        assert_eq!(
            user.access("account", "credit_limit"),
            FieldAccess::ReadOnly
        );
        assert_eq!(user.access("account", "phone"), FieldAccess::Hidden);
        // A role without restrictions makes everything editable.
        let user = FieldRules::for_user(
            &[hides.clone(), FieldRules::default()],
            &grants("sales_rep"),
        );
        assert_eq!(user, FieldRules::default());
        // Admins see everything.
        assert_eq!(
            FieldRules::for_user(&[hides], &grants("admin")),
            FieldRules::default()
        );
    }

    #[test]
    fn writes_to_restricted_fields_are_refused_by_name() {
        let rules = default_field_rules("service_agent");
        let mut changes = Changes::default();
        changes.set(ACCOUNT.field("credit_limit").unwrap(), FieldValue::Int(5));
        changes.set(ACCOUNT.field("city").unwrap(), FieldValue::Text("x".into()));
        let errors = rules.check_write(&ACCOUNT, &changes).unwrap_err();
        assert_eq!(errors.0.len(), 1);
        assert_eq!(errors.get("credit_limit").unwrap().code, "field_hidden");
        let mut rules = FieldRules::default();
        rules.set("contact", "custom.wechat", FieldAccess::ReadOnly);
        let mut changes = Changes::default();
        changes.custom.insert("wechat".into(), "w".into());
        let errors = rules.check_write(&CONTACT, &changes).unwrap_err();
        assert_eq!(errors.get("custom.wechat").unwrap().code, "field_read_only");
    }

    #[test]
    fn identity_and_required_fields_cannot_be_restricted() {
        assert!(!securable(ACCOUNT.field("name").unwrap()));
        assert!(!securable(ACCOUNT.field("owner_id").unwrap()));
        assert!(!securable(CONTACT.field("account_id").unwrap()));
        assert!(securable(ACCOUNT.field("credit_limit").unwrap()));
    }

    #[test]
    fn setting_editable_removes_the_restriction() {
        let mut rules = default_field_rules("service_agent");
        rules.set("account", "credit_limit", FieldAccess::Editable);
        assert!(!rules.0.contains_key("account"));
        assert!(rules.is_hidden("contact", "mobile"));
        assert_eq!("read_only".parse(), Ok(FieldAccess::ReadOnly));
    }
}
