//! Creating, changing, deleting (to the recycle bin) and restoring records, each in one
//! transaction together with its timeline event.

use super::decode::{bind_value, custom_value};
use super::list::get_in;
use super::{has_default, ident, Record};
use crate::events::{self, Change, NewEvent};
use crate::{now, timestamp_value, Conn, Db, DbError, DbResult};
use kehu_core::entity::{EntityDef, FieldKind};
use kehu_core::permission::{Action, Actor, Visibility};
use kehu_core::validation::Changes;
use kehu_core::FieldValue;
use sea_query::{Expr, Query, SimpleExpr, Value};
use serde_json::{Map, Value as Json};

/// Creates a record. The owner defaults to the actor (for an order: to its customer's
/// owner, so the customer's sales rep sees it) and must be a user the actor may create
/// records for; the team is the owner's team.
pub async fn create(
    db: &Db,
    entity: &'static EntityDef,
    actor: &Actor,
    source_ip: Option<&str>,
    changes: Changes,
) -> DbResult<Record> {
    let mut tx = db.begin().await?;
    let record = create_in(&mut tx, entity, actor, source_ip, changes).await?;
    tx.commit().await?;
    Ok(record)
}

/// [`create`] inside the caller's transaction, for records written together with rows
/// of their own (an order and its lines).
pub async fn create_in(
    tx: &mut crate::Tx,
    entity: &'static EntityDef,
    actor: &Actor,
    source_ip: Option<&str>,
    mut changes: Changes,
) -> DbResult<Record> {
    // Hidden and read-only fields are refused by name, before anything is written.
    actor
        .fields
        .check_write(entity, &changes)
        .map_err(DbError::Invalid)?;
    let backend = tx.conn().backend();
    let owner_id = match (changes.get("owner_id"), changes.get("account_id")) {
        (Some(FieldValue::Int(id)), _) => *id,
        (_, Some(FieldValue::Int(account_id))) if entity.name == "order" => {
            // A customer the actor cannot see gives no owner; the reference check below
            // then refuses it by its `account_id`.
            account_owner(&mut tx.conn(), actor, *account_id)
                .await?
                .unwrap_or(actor.user_id)
        }
        _ => actor.user_id,
    };
    let team_id = owner_team(&mut tx.conn(), owner_id).await?;
    if !actor.may(entity.name, Action::Create, owner_id, team_id) {
        return Err(DbError::field(
            "owner_id",
            "not_allowed",
            "you may not create records for this owner",
        ));
    }
    check_references(&mut tx.conn(), entity, actor, &changes, None).await?;
    changes.set(
        entity.field("owner_id").expect("owned record"),
        FieldValue::Int(owner_id),
    );
    let at = now();
    let mut columns = Vec::new();
    let mut values: Vec<SimpleExpr> = Vec::new();
    let mut merged = Map::new();
    for (field, value) in &changes.fields {
        if value.is_empty() && has_default(entity, field) {
            // A blank choice on a new record: the column's default applies.
            continue;
        }
        columns.push(ident(field.name));
        values.push(Expr::val(bind_value(backend, field.kind, value)).into());
        merged.insert(field.name.to_string(), value.to_json());
    }
    let custom: Map<String, Json> = changes
        .custom
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let (tokens, points) = index_text(entity, &merged, &custom);
    let team_value: Value = team_id.into();
    for (column, value) in [
        ("team_id", team_value),
        ("custom", custom_value(backend, &custom)),
        ("search_tokens", tokens.into()),
        ("contact_points", points.into()),
        ("created_at", timestamp_value(backend, at)),
        ("updated_at", timestamp_value(backend, at)),
        ("created_by", actor.user_id.into()),
        ("updated_by", actor.user_id.into()),
        ("version", 1i64.into()),
    ] {
        columns.push(ident(column));
        values.push(Expr::val(value).into());
    }
    let insert = Query::insert()
        .into_table(ident(entity.table))
        .columns(columns)
        .values(values)
        .map_err(anyhow::Error::from)?
        .returning_col(ident("id"))
        .to_owned();
    let id = *tx
        .conn()
        .fetch_ints(&insert)
        .await
        .map_err(|e| unique_violation(e, entity))?
        .first()
        .ok_or_else(|| anyhow::anyhow!("insert returned no id"))?;
    let record = get_in(&mut tx.conn(), entity, &Visibility::Everything, id, false).await?;
    let changes = changes
        .fields
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(f, v)| Change {
            field: f.name.to_string(),
            old: Json::Null,
            new: v.to_json(),
        })
        .chain(custom.iter().map(|(k, v)| Change {
            field: format!("custom.{k}"),
            old: Json::Null,
            new: v.clone(),
        }))
        .collect();
    events::append(
        &mut tx.conn(),
        &NewEvent {
            entity: entity.name,
            record_id: Some(id),
            account_id: account_of(&record),
            action: "created",
            actor_id: Some(actor.user_id),
            changes,
            summary: record.text("name").unwrap_or_default().to_string(),
            source_ip: source_ip.map(str::to_string),
        },
    )
    .await?;
    Ok(record)
}

/// Applies changes to a record the actor may edit, if its version is still `expected_version`.
pub async fn update(
    db: &Db,
    entity: &'static EntityDef,
    actor: &Actor,
    source_ip: Option<&str>,
    id: i64,
    expected_version: i64,
    changes: Changes,
) -> DbResult<Record> {
    let backend = db.backend();
    let mut tx = db.begin().await?;
    let edit = actor.visibility(entity.name, Action::Edit);
    let before = get_in(&mut tx.conn(), entity, &edit, id, false).await?;
    actor
        .fields
        .check_write(entity, &changes)
        .map_err(DbError::Invalid)?;
    if before.version != expected_version {
        return Err(DbError::StaleVersion {
            current: before.version,
        });
    }
    check_references(&mut tx.conn(), entity, actor, &changes, Some(&before)).await?;
    let mut update = Query::update();
    update.table(ident(entity.table));
    let mut diff = Vec::new();
    let mut merged: Map<String, Json> = before
        .values
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_json()))
        .collect();
    for (field, value) in &changes.fields {
        if value.is_empty() && has_default(entity, field) {
            return Err(DbError::field(field.name, "required", "is required"));
        }
        if before.get(field.name) == value {
            continue;
        }
        if field.name == "owner_id" {
            let FieldValue::Int(new_owner) = value else {
                return Err(DbError::field("owner_id", "required", "is required"));
            };
            let team_id = owner_team(&mut tx.conn(), *new_owner).await?;
            // Giving a record away is the `assign` action: it must cover the record as it
            // is and the new owner (a read-write share never does: shares are not roles).
            let assign = actor.visibility(entity.name, Action::Assign);
            if !assign.covers(before.owner_id, before.team_id)
                || !assign.covers(*new_owner, team_id)
            {
                return Err(DbError::field(
                    "owner_id",
                    "not_allowed",
                    "you may not give this record to that user",
                ));
            }
            update.value(ident("team_id"), team_id);
            diff.push(Change {
                field: "team_id".into(),
                old: before.team_id.into(),
                new: team_id.into(),
            });
        }
        update.value(ident(field.name), bind_value(backend, field.kind, value));
        diff.push(Change {
            field: field.name.to_string(),
            old: before.get(field.name).to_json(),
            new: value.to_json(),
        });
        merged.insert(field.name.to_string(), value.to_json());
    }
    let custom = changed_custom(&before.custom, &changes.custom, &mut diff);
    if diff.is_empty() {
        return Ok(before);
    }
    let (tokens, points) = index_text(entity, &merged, &custom);
    update
        .value(ident("custom"), custom_value(backend, &custom))
        .value(ident("search_tokens"), tokens)
        .value(ident("contact_points"), points)
        .value(ident("updated_at"), timestamp_value(backend, now()))
        .value(ident("updated_by"), actor.user_id)
        .value(ident("version"), Expr::col(ident("version")).add(1))
        .and_where(Expr::col(ident("id")).eq(id))
        .and_where(Expr::col(ident("version")).eq(expected_version));
    let changed = tx
        .conn()
        .execute(&update)
        .await
        .map_err(|e| unique_violation(e, entity))?;
    if changed != 1 {
        // Someone else saved between our read and write (possible on PostgreSQL).
        return Err(DbError::StaleVersion {
            current: expected_version + 1,
        });
    }
    let after = get_in(&mut tx.conn(), entity, &Visibility::Everything, id, false).await?;
    events::append(
        &mut tx.conn(),
        &NewEvent {
            entity: entity.name,
            record_id: Some(id),
            account_id: account_of(&after),
            action: "updated",
            actor_id: Some(actor.user_id),
            changes: diff,
            summary: after.text("name").unwrap_or_default().to_string(),
            source_ip: source_ip.map(str::to_string),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// A record's custom values after `changes` (JSON null clears a value), noting in `diff`
/// each value that differs from `before`.
pub(super) fn changed_custom(
    before: &Map<String, Json>,
    changes: &Map<String, Json>,
    diff: &mut Vec<Change>,
) -> Map<String, Json> {
    let mut custom = before.clone();
    for (key, value) in changes {
        let old = custom.get(key).cloned().unwrap_or(Json::Null);
        if &old == value {
            continue;
        }
        diff.push(Change {
            field: format!("custom.{key}"),
            old,
            new: value.clone(),
        });
        if value.is_null() {
            custom.remove(key);
        } else {
            custom.insert(key.clone(), value.clone());
        }
    }
    custom
}

/// Moves a record the actor may delete to the recycle bin.
pub async fn soft_delete(
    db: &Db,
    entity: &'static EntityDef,
    actor: &Actor,
    source_ip: Option<&str>,
    id: i64,
) -> DbResult<()> {
    set_deleted(db, entity, actor, source_ip, id, true)
        .await
        .map(|_| ())
}

/// Brings a record back from the recycle bin.
pub async fn restore(
    db: &Db,
    entity: &'static EntityDef,
    actor: &Actor,
    source_ip: Option<&str>,
    id: i64,
) -> DbResult<Record> {
    set_deleted(db, entity, actor, source_ip, id, false).await
}

async fn set_deleted(
    db: &Db,
    entity: &'static EntityDef,
    actor: &Actor,
    source_ip: Option<&str>,
    id: i64,
    delete: bool,
) -> DbResult<Record> {
    let backend = db.backend();
    let mut tx = db.begin().await?;
    let visibility = actor.visibility(entity.name, Action::Delete);
    let before = get_in(&mut tx.conn(), entity, &visibility, id, !delete).await?;
    if !delete && entity.name == "contact" {
        // A contact cannot come back while its customer is in the recycle bin.
        if let Some(account_id) = before.int("account_id") {
            let account = get_in(
                &mut tx.conn(),
                &kehu_core::entity::ACCOUNT,
                &Visibility::Everything,
                account_id,
                true,
            )
            .await;
            if account.is_ok() {
                return Err(DbError::field(
                    "account_id",
                    "account_deleted",
                    "restore the customer first",
                ));
            }
        }
    }
    let at = now();
    let deleted_at: Value = if delete {
        timestamp_value(backend, at)
    } else {
        bind_value(backend, FieldKind::Timestamp, &FieldValue::Null)
    };
    let deleted_by: Value = if delete {
        actor.user_id.into()
    } else {
        Value::BigInt(None)
    };
    let update = Query::update()
        .table(ident(entity.table))
        .value(ident("deleted_at"), deleted_at)
        .value(ident("deleted_by"), deleted_by)
        .value(ident("updated_at"), timestamp_value(backend, at))
        .value(ident("updated_by"), actor.user_id)
        .value(ident("version"), Expr::col(ident("version")).add(1))
        .and_where(Expr::col(ident("id")).eq(id))
        // Still in the state we read: on PostgreSQL a concurrent delete may have committed
        // since, and must not be repeated (and logged) a second time.
        .and_where(if delete {
            Expr::col(ident("deleted_at")).is_null()
        } else {
            Expr::col(ident("deleted_at")).is_not_null()
        })
        .to_owned();
    if tx.conn().execute(&update).await? != 1 {
        return Err(DbError::NotFound);
    }
    events::append(
        &mut tx.conn(),
        &NewEvent {
            entity: entity.name,
            record_id: Some(id),
            account_id: account_of(&before),
            action: if delete { "deleted" } else { "restored" },
            actor_id: Some(actor.user_id),
            changes: Vec::new(),
            summary: before.text("name").unwrap_or_default().to_string(),
            source_ip: source_ip.map(str::to_string),
        },
    )
    .await?;
    let after = get_in(&mut tx.conn(), entity, &Visibility::Everything, id, delete).await?;
    tx.commit().await?;
    Ok(after)
}

/// The customer a record belongs to, for the customer's timeline.
pub(crate) fn account_of(record: &Record) -> Option<i64> {
    match record.entity.name {
        "account" => Some(record.id),
        _ => record.int("account_id"),
    }
}

/// The owner of a customer the actor may see, if there is one.
async fn account_owner(
    conn: &mut Conn<'_>,
    actor: &Actor,
    account_id: i64,
) -> DbResult<Option<i64>> {
    let select = Query::select()
        .column(ident("owner_id"))
        .from(ident("accounts"))
        .and_where(Expr::col(ident("id")).eq(account_id))
        .cond_where(super::visibility_condition(
            conn.backend(),
            "accounts",
            &actor.visibility("account", Action::Read),
        ))
        .to_owned();
    Ok(conn.fetch_ints(&select).await?.first().copied())
}

pub(super) async fn owner_team(conn: &mut Conn<'_>, owner_id: i64) -> DbResult<Option<i64>> {
    let select = Query::select()
        .columns([ident("team_id")])
        .from(ident("users"))
        .and_where(Expr::col(ident("id")).eq(owner_id))
        .and_where(Expr::col(ident("active")).eq(true))
        .to_owned();
    conn.fetch_optional(&select, |row| row.int("team_id"))
        .await?
        .ok_or_else(|| DbError::field("owner_id", "unknown_user", "is not an active user"))
}

/// Checks that referenced records exist and that the actor may see them.
async fn check_references(
    conn: &mut Conn<'_>,
    entity: &'static EntityDef,
    actor: &Actor,
    changes: &Changes,
    before: Option<&Record>,
) -> DbResult<()> {
    if let Some(FieldValue::Int(account_id)) = changes.get("account_id") {
        let visible = actor.visibility("account", Action::Read);
        if get_in(
            conn,
            &kehu_core::entity::ACCOUNT,
            &visible,
            *account_id,
            false,
        )
        .await
        .is_err()
        {
            return Err(DbError::field(
                "account_id",
                "unknown_account",
                "is not a customer you can see",
            ));
        }
    }
    // A contact moving to another customer keeps its boss unless told otherwise, so the
    // boss is checked then too: a reporting line never crosses customers.
    let moves_account = matches!(
        (changes.get("account_id"), before),
        (Some(FieldValue::Int(new)), Some(b)) if b.int("account_id") != Some(*new)
    );
    let boss_id = match changes.get("reports_to_id") {
        Some(FieldValue::Int(id)) => Some(*id),
        Some(_) => None,
        None if moves_account => before.and_then(|b| b.int("reports_to_id")),
        None => None,
    };
    if let Some(boss_id) = boss_id {
        let account_id = match changes.get("account_id") {
            Some(FieldValue::Int(id)) => Some(*id),
            _ => before.and_then(|b| b.int("account_id")),
        };
        if before.is_some_and(|b| b.id == boss_id) {
            return Err(DbError::field(
                "reports_to_id",
                "self_reference",
                "a contact cannot report to themselves",
            ));
        }
        let boss = get_in(
            conn,
            entity,
            &actor.visibility("contact", Action::Read),
            boss_id,
            false,
        )
        .await;
        match boss {
            Ok(boss) if boss.int("account_id") == account_id => {
                if let Some(before) = before {
                    ensure_no_cycle(conn, entity, before.id, boss_id).await?;
                }
            }
            _ => {
                return Err(DbError::field(
                    "reports_to_id",
                    "unknown_contact",
                    "is not a contact of the same customer",
                ))
            }
        }
    }
    if let (true, Some(before)) = (moves_account, before) {
        // Nor may it leave behind contacts of the old customer who report to it.
        let reports = Query::select()
            .column(ident("id"))
            .from(ident(entity.table))
            .and_where(Expr::col(ident("reports_to_id")).eq(before.id))
            .and_where(Expr::col(ident("deleted_at")).is_null())
            .limit(1)
            .to_owned();
        if !conn.fetch_ints(&reports).await?.is_empty() {
            return Err(DbError::field(
                "account_id",
                "has_reports",
                "other contacts of this customer report to this contact; change their reporting line first",
            ));
        }
    }
    Ok(())
}

/// Refuses a reporting line that would loop back to the contact itself.
async fn ensure_no_cycle(
    conn: &mut Conn<'_>,
    entity: &'static EntityDef,
    contact_id: i64,
    boss_id: i64,
) -> DbResult<()> {
    let mut current = Some(boss_id);
    for _ in 0..100 {
        let Some(id) = current else { return Ok(()) };
        if id == contact_id {
            return Err(DbError::field(
                "reports_to_id",
                "cycle",
                "this would make a reporting loop",
            ));
        }
        let select = Query::select()
            .column(ident("reports_to_id"))
            .from(ident(entity.table))
            .and_where(Expr::col(ident("id")).eq(id))
            .to_owned();
        current = conn
            .fetch_optional(&select, |row| row.int("reports_to_id"))
            .await?
            .flatten();
    }
    Ok(())
}

/// The full-text tokens and trigram text of a record's searchable fields.
pub(crate) fn index_text(
    entity: &EntityDef,
    values: &Map<String, Json>,
    custom: &Map<String, Json>,
) -> (String, String) {
    let text_of = |name: &str| -> Vec<String> {
        match values.get(name) {
            Some(Json::String(s)) => vec![s.clone()],
            Some(Json::Array(items)) => items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        }
    };
    let mut searchable: Vec<String> = entity
        .fields
        .iter()
        .filter(|f| f.searchable)
        .flat_map(|f| text_of(f.name))
        .collect();
    searchable.extend(
        custom
            .values()
            .filter_map(|v| v.as_str().map(str::to_string)),
    );
    let points: Vec<String> = entity
        .fields
        .iter()
        .filter(|f| f.contact_point)
        .flat_map(|f| text_of(f.name))
        .collect();
    (
        kehu_search::index_tokens(searchable.iter().map(String::as_str)),
        kehu_search::contact_points(points.iter().map(String::as_str)),
    )
}

/// Turns a unique-index violation into a field error users understand.
fn unique_violation(error: DbError, entity: &EntityDef) -> DbError {
    if error.is_unique_violation() && entity.name == "account" {
        return DbError::field("code", "taken", "another customer already has this code");
    }
    error
}
