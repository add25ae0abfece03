//! Erasing a person: the record keeps its id, owner and business fields (so orders,
//! reporting lines and counts stay whole) but loses every value that describes the
//! person; its search index rows, consents and the values in its history go too. One
//! `erased` event records who did it and which fields were blanked, without the values.

use super::redact::redact_events;
use crate::consent::{self, is_person, not_a_person};
use crate::events::{self, Change, NewEvent};
use crate::records::{account_of, get_in, ident, index_text, Record};
use crate::{now, timestamp_value, Db, DbError, DbResult};
use kehu_core::entity::EntityDef;
use kehu_core::permission::{Action, Actor, Scope, Visibility};
use kehu_core::FieldValue;
use sea_query::{Expr, Query};
use serde_json::{Map, Value as Json};

/// Fields that do not describe the person and stay: links to other records, the owner,
/// and the customer classification that reports count on. Read-only system fields
/// (id, team, timestamps, version) stay as well; every other field is blanked.
const KEPT: &[&str] = &[
    "account_id",
    "owner_id",
    "reports_to_id",
    "kind",
    "lifecycle_status",
    "level",
    "industry",
    "category",
    "source",
    "currency",
];

/// The name an erased record gets. English in the database whatever the eraser's
/// language: it is a stored value, and one fixed form is what people search for.
pub fn erased_name(entity: &EntityDef, id: i64) -> String {
    let what = match entity.name {
        "account" => "customer",
        other => other,
    };
    format!("Erased {what} #{id}")
}

/// Erases a person the actor may read, live or in the recycle bin. Irreversible, so it
/// needs the `delete` grant with scope `all` on the entity (admins by default) — a reader
/// without it gets [`DbError::Forbidden`], anyone else [`DbError::NotFound`] — and
/// `confirm` must be the record's current name (checked in the same transaction, so the
/// caller erases what they saw).
pub async fn erase(
    db: &Db,
    entity: &'static EntityDef,
    actor: &Actor,
    source_ip: Option<&str>,
    record_id: i64,
    confirm: &str,
) -> DbResult<Record> {
    let backend = db.backend();
    let mut tx = db.begin().await?;
    let read = actor.visibility(entity.name, Action::Read);
    let (before, deleted) = match get_in(&mut tx.conn(), entity, &read, record_id, false).await {
        Ok(record) => (record, false),
        Err(DbError::NotFound) => {
            // The recycle bin is for those who may delete; its copy must be erasable too.
            let bin = actor.visibility(entity.name, Action::Delete);
            (
                get_in(&mut tx.conn(), entity, &bin, record_id, true).await?,
                true,
            )
        }
        Err(other) => return Err(other),
    };
    if actor.scope(entity.name, Action::Delete) != Scope::All {
        return Err(DbError::Forbidden);
    }
    if !is_person(&before) {
        return Err(not_a_person());
    }
    if confirm.trim() != before.text("name").unwrap_or_default().trim() {
        return Err(DbError::field(
            "confirm",
            "confirm_mismatch",
            "type the record's name exactly to confirm",
        ));
    }
    let name = erased_name(entity, record_id);
    let mut update = Query::update();
    update.table(ident(entity.table));
    let mut blanked = Vec::new();
    let mut kept_values = Map::new();
    for field in entity.fields.iter().filter(|f| !f.read_only) {
        if KEPT.contains(&field.name) {
            kept_values.insert(field.name.to_string(), before.get(field.name).to_json());
            continue;
        }
        let value = if field.name == "name" {
            FieldValue::Text(name.clone())
        } else {
            FieldValue::Null
        };
        kept_values.insert(field.name.to_string(), value.to_json());
        update.value(
            ident(field.name),
            crate::records::bind_value(backend, field.kind, &value),
        );
        if !before.get(field.name).is_empty() {
            blanked.push(field.name.to_string());
        }
    }
    blanked.extend(before.custom.keys().map(|k| format!("custom.{k}")));
    let empty = Map::new();
    let (tokens, points) = index_text(entity, &kept_values, &empty);
    update
        .value(
            ident("custom"),
            crate::records::custom_value(backend, &empty),
        )
        .value(ident("search_tokens"), tokens)
        .value(ident("contact_points"), points)
        .value(ident("updated_at"), timestamp_value(backend, now()))
        .value(ident("updated_by"), actor.user_id)
        .value(ident("version"), Expr::col(ident("version")).add(1))
        .and_where(Expr::col(ident("id")).eq(record_id));
    tx.conn().execute(&update).await?;
    consent::forget(&mut tx.conn(), entity.name, record_id).await?;
    events::append(
        &mut tx.conn(),
        &NewEvent {
            entity: entity.name,
            record_id: Some(record_id),
            account_id: account_of(&before),
            action: "erased",
            actor_id: Some(actor.user_id),
            // Which fields were blanked, never what they held.
            changes: blanked
                .into_iter()
                .map(|field| Change {
                    field,
                    old: Json::Null,
                    new: Json::Null,
                })
                .collect(),
            summary: name,
            source_ip: source_ip.map(str::to_string),
        },
    )
    .await?;
    redact_events(&mut tx.conn(), entity.name, record_id).await?;
    let after = get_in(
        &mut tx.conn(),
        entity,
        &Visibility::Everything,
        record_id,
        deleted,
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kehu_core::entity::{FieldKind, ACCOUNT, CONTACT};

    #[test]
    fn every_kept_field_exists_and_no_contact_point_is_kept() {
        for entity in [&ACCOUNT, &CONTACT] {
            for field in entity.fields {
                if KEPT.contains(&field.name) {
                    assert!(
                        !field.contact_point && !field.searchable,
                        "{}.{} holds findable personal values",
                        entity.name,
                        field.name
                    );
                    assert!(!matches!(field.kind, FieldKind::Email | FieldKind::Phone));
                }
            }
        }
        assert_eq!(erased_name(&ACCOUNT, 7), "Erased customer #7");
    }
}
