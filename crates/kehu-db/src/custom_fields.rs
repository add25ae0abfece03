//! Custom field definitions that admins add to customers and contacts.

use crate::conn::required;
use crate::records::ident;
use crate::{Db, DbError, DbResult};
use kehu_core::entity::{entity_by_name, valid_custom_key, CustomFieldDef, CustomFieldKind};
use sea_query::{Expr, Order, Query};

/// The custom fields of an entity, in display order.
pub async fn for_entity(db: &Db, entity: &str) -> DbResult<Vec<CustomFieldDef>> {
    let select = Query::select()
        .columns(
            [
                "id", "entity", "key", "label_en", "label_zh", "kind", "options",
            ]
            .map(ident),
        )
        .from(ident("custom_field_defs"))
        .and_where(Expr::col(ident("entity")).eq(entity))
        .order_by(ident("position"), Order::Asc)
        .order_by(ident("id"), Order::Asc)
        .to_owned();
    db.conn()
        .fetch_all(&select, |row| {
            let kind: String = required(row.text("kind"), "kind")?;
            let options: String = required(row.text("options"), "options")?;
            Ok(CustomFieldDef {
                id: required(row.int("id"), "id")?,
                entity: required(row.text("entity"), "entity")?,
                key: required(row.text("key"), "key")?,
                label_en: required(row.text("label_en"), "label_en")?,
                label_zh: required(row.text("label_zh"), "label_zh")?,
                kind: serde_json::from_value(serde_json::Value::String(kind))
                    .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
                options: serde_json::from_str(&options).unwrap_or_default(),
            })
        })
        .await
}

/// Adds a custom field after checking its key, labels and options.
pub async fn create(db: &Db, def: &CustomFieldDef) -> DbResult<CustomFieldDef> {
    let mut errors = kehu_core::FieldErrors::default();
    if entity_by_name(&def.entity).is_none() {
        errors.add(
            "entity",
            "unknown_entity",
            "must be account, contact or order",
        );
    }
    if !valid_custom_key(&def.key) {
        errors.add(
            "key",
            "invalid_key",
            "lower-case letters, digits and _, starting with a letter",
        );
    }
    if let Some(entity) = entity_by_name(&def.entity) {
        if entity.field(&def.key).is_some() {
            errors.add("key", "taken", "is a built-in field");
        }
    }
    for (field, label) in [("label_en", &def.label_en), ("label_zh", &def.label_zh)] {
        if label.trim().is_empty() || label.chars().count() > 100 {
            errors.add(field, "required", "is required (at most 100 characters)");
        }
    }
    let options: Vec<String> = def
        .options
        .iter()
        .map(|o| o.trim().to_string())
        .filter(|o| !o.is_empty())
        .collect();
    if def.kind == CustomFieldKind::Select && options.is_empty() {
        errors.add("options", "required", "a select field needs options");
    }
    errors.into_result().map_err(DbError::Invalid)?;
    if for_entity(db, &def.entity)
        .await?
        .iter()
        .any(|d| d.key == def.key)
    {
        return Err(DbError::field("key", "taken", "is already taken"));
    }
    let kind = serde_json::to_value(def.kind)
        .unwrap_or_default()
        .as_str()
        .unwrap_or("text")
        .to_string();
    let insert = Query::insert()
        .into_table(ident("custom_field_defs"))
        .columns(
            [
                "entity", "key", "label_en", "label_zh", "kind", "options", "position",
            ]
            .map(ident),
        )
        .values_panic([
            def.entity.clone().into(),
            def.key.clone().into(),
            def.label_en.trim().into(),
            def.label_zh.trim().into(),
            kind.into(),
            serde_json::to_string(&options).unwrap_or_default().into(),
            0i64.into(),
        ])
        .to_owned();
    db.conn().execute(&insert).await?;
    for_entity(db, &def.entity)
        .await?
        .into_iter()
        .find(|d| d.key == def.key)
        .ok_or(DbError::NotFound)
}

/// Removes a definition; stored values stay in the records' JSON but are no longer shown.
pub async fn delete(db: &Db, id: i64) -> DbResult<()> {
    let delete = Query::delete()
        .from_table(ident("custom_field_defs"))
        .and_where(Expr::col(ident("id")).eq(id))
        .to_owned();
    if db.conn().execute(&delete).await? == 0 {
        return Err(DbError::NotFound);
    }
    Ok(())
}
