//! Roles and their grants; the built-in ones are created on first start and stay editable.

use crate::conn::required;
use crate::records::ident;
use crate::{now, timestamp_value, Backend, Db, DbError, DbResult};
use kehu_core::permission::{default_roles, Action, Grants};
use sea_query::{Expr, Order, Query, Value};
use serde::Serialize;

/// A role.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Role {
    /// Id.
    pub id: i64,
    /// Name (unique), e.g. `sales_rep`.
    pub name: String,
    /// Entity → action → scope.
    pub grants: Grants,
    /// Optimistic-concurrency version.
    pub version: i64,
}

fn grants_value(backend: Backend, grants: &Grants) -> Value {
    let json = serde_json::to_value(grants).unwrap_or_default();
    match backend {
        Backend::Postgres => Value::Json(Some(Box::new(json))),
        Backend::Sqlite => json.to_string().into(),
    }
}

/// The grants that differ, as `entity.action: old → new` changes.
fn grant_changes(before: &Grants, after: &Grants) -> Vec<crate::events::Change> {
    let mut changes = Vec::new();
    for entity in kehu_core::permission::permission_entities() {
        for action in Action::ALL {
            let (old, new) = (before.scope(entity, action), after.scope(entity, action));
            if old != new {
                changes.push(crate::events::Change {
                    field: format!("{entity}.{}", action.as_str()),
                    old: old.as_str().into(),
                    new: new.as_str().into(),
                });
            }
        }
    }
    changes
}

/// Every role, by name.
pub async fn list(db: &Db) -> DbResult<Vec<Role>> {
    let select = Query::select()
        .columns(["id", "name", "grants", "version"].map(ident))
        .from(ident("roles"))
        .order_by(ident("name"), Order::Asc)
        .to_owned();
    db.conn()
        .fetch_all(&select, |row| {
            Ok(Role {
                id: required(row.int("id"), "id")?,
                name: required(row.text("name"), "name")?,
                grants: serde_json::from_value(required(row.json("grants"), "grants")?)
                    .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
                version: required(row.int("version"), "version")?,
            })
        })
        .await
}

/// Creates the built-in roles that do not exist yet.
pub async fn ensure_defaults(db: &Db) -> DbResult<()> {
    let existing: Vec<String> = list(db).await?.into_iter().map(|r| r.name).collect();
    for (name, grants) in default_roles() {
        if !existing.iter().any(|e| e == name) {
            let role = create(db, name, &grants).await?;
            let fields = kehu_core::field_security::default_field_rules(name);
            crate::field_security::write(&mut db.conn(), role.id, &fields).await?;
        }
    }
    Ok(())
}

/// Creates a role.
pub async fn create(db: &Db, name: &str, grants: &Grants) -> DbResult<Role> {
    let name = name.trim();
    if !crate::users::valid_username(name) {
        return Err(DbError::field(
            "name",
            "invalid_name",
            "2–40 letters, digits, '.', '_' or '-'",
        ));
    }
    if list(db).await?.iter().any(|r| r.name == name) {
        return Err(DbError::field("name", "taken", "is already taken"));
    }
    let at = timestamp_value(db.backend(), now());
    let insert = Query::insert()
        .into_table(ident("roles"))
        .columns(["name", "grants", "created_at", "updated_at", "version"].map(ident))
        .values_panic([
            name.into(),
            grants_value(db.backend(), grants).into(),
            at.clone().into(),
            at.into(),
            1i64.into(),
        ])
        .to_owned();
    db.conn().execute(&insert).await?;
    list(db)
        .await?
        .into_iter()
        .find(|r| r.name == name)
        .ok_or(DbError::NotFound)
}

/// Replaces a role's grants if the version still matches.
pub async fn update_grants(
    db: &Db,
    origin: &crate::events::Origin,
    id: i64,
    expected_version: i64,
    grants: &Grants,
) -> DbResult<Role> {
    let before = list(db)
        .await?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or(DbError::NotFound)?;
    let update = Query::update()
        .table(ident("roles"))
        .value(ident("grants"), grants_value(db.backend(), grants))
        .value(ident("updated_at"), timestamp_value(db.backend(), now()))
        .value(ident("version"), Expr::col(ident("version")).add(1))
        .and_where(Expr::col(ident("id")).eq(id))
        .and_where(Expr::col(ident("version")).eq(expected_version))
        .to_owned();
    let mut tx = db.begin().await?;
    if tx.conn().execute(&update).await? != 1 {
        drop(tx);
        let current = list(db)
            .await?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or(DbError::NotFound)?;
        return Err(DbError::StaleVersion {
            current: current.version,
        });
    }
    crate::events::append(
        &mut tx.conn(),
        &crate::events::NewEvent {
            entity: "role",
            record_id: Some(id),
            account_id: None,
            action: "updated",
            actor_id: origin.actor_id,
            changes: grant_changes(&before.grants, grants),
            summary: before.name.clone(),
            source_ip: origin.source_ip.clone(),
        },
    )
    .await?;
    tx.commit().await?;
    list(db)
        .await?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or(DbError::NotFound)
}
