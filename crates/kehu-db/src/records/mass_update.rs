//! Mass update: one set of changes (new field values, a new owner, or both) applied to
//! many records — chosen by id or by a list's search and filters — in one transaction.
//!
//! Only records the actor's `mass update` scope (for fields) and `assign` scope (for the
//! owner) cover are read at all, so a selected record outside them is neither changed nor
//! told apart from one that does not exist. Each changed record gets its version bump and
//! its own timeline event; the action as a whole gets one audit entry with the counts.
//! Customers given to a new owner take along their contacts of the same owner, as in a
//! transfer, so that the new owner is not left with customers whose people they cannot see.

use super::decode::{bind_value, custom_value, record_from_row};
use super::write::{account_of, changed_custom, index_text, owner_team};
use super::{has_default, ident, matching_ids, visibility_condition, ListQuery, Record};
use crate::events::{self, Change, NewEvent};
use crate::{now, timestamp_value, Backend, Conn, Db, DbError, DbResult};
use kehu_core::entity::{EntityDef, FieldDef, ACCOUNT, FOLLOW_THEIR_ACCOUNT};
use kehu_core::filter::{Filter, Sort};
use kehu_core::mass_update::{actions_of, check_changes, MAX_RECORDS};
use kehu_core::permission::{Action, Actor, Visibility};
use kehu_core::validation::Changes;
use kehu_core::FieldValue;
use sea_query::{Expr, LockType, Order, Query, SelectStatement, UpdateStatement};
use serde_json::{json, Map, Value as Json};
use std::collections::BTreeMap;

/// Which records a mass update is about.
#[derive(Debug, Clone, PartialEq)]
pub enum Selection {
    /// These records (as ticked on a list page).
    Ids(Vec<i64>),
    /// Every live record matching a list's search text and filters ("all N matching").
    Matching {
        /// Search box text.
        text: Option<String>,
        /// Field filters.
        filters: Vec<Filter>,
    },
}

/// A mass update: which records, and what to set on them.
#[derive(Debug, Clone, PartialEq)]
pub struct MassUpdate {
    /// The records.
    pub selection: Selection,
    /// The validated new values (built-in fields, custom fields, or `owner_id`).
    pub changes: Changes,
}

/// What a mass update changes (or, in a preview, would change).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MassUpdateCounts {
    /// Selected records that the actor may change.
    pub matched: u64,
    /// Of those, the records whose values differ and so are changed; the others already
    /// hold the new values and are left alone (no version bump, no event).
    pub changed: u64,
    /// Records that follow their customer to its new owner, per entity (`contact`).
    pub moved_with: Vec<(&'static str, u64)>,
}

/// Counts what [`apply`] would change, without changing anything. Refuses what `apply`
/// refuses, with the same errors.
pub async fn preview(
    db: &Db,
    entity: &'static EntityDef,
    actor: &Actor,
    request: &MassUpdate,
) -> DbResult<MassUpdateCounts> {
    let plan = plan(&mut db.conn(), entity, actor, request, false).await?;
    Ok(plan.counts())
}

/// Applies the changes to every selected record the actor may change, in one
/// transaction; gives the counts changed.
pub async fn apply(
    db: &Db,
    entity: &'static EntityDef,
    actor: &Actor,
    source_ip: Option<&str>,
    request: &MassUpdate,
) -> DbResult<MassUpdateCounts> {
    let mut tx = db.begin().await?;
    let plan = plan(&mut tx.conn(), entity, actor, request, true).await?;
    if plan.updates.is_empty() {
        // Nothing to change: nothing written, and no audit entry claiming a change.
        return Ok(plan.counts());
    }
    let backend = tx.conn().backend();
    let at = timestamp_value(backend, now());
    let mut conn = tx.conn();
    write_records(&mut conn, entity, actor, &plan, &at).await?;
    for (follower, moved) in &plan.followers {
        move_followers(&mut conn, follower, actor, &plan, moved, &at).await?;
    }
    let mut timeline: Vec<NewEvent> = plan
        .updates
        .iter()
        .map(|update| NewEvent {
            entity: entity.name,
            record_id: Some(update.before.id),
            account_id: account_of(&update.before),
            action: "updated",
            actor_id: Some(actor.user_id),
            changes: update.diff.clone(),
            summary: update.before.text("name").unwrap_or_default().to_string(),
            source_ip: source_ip.map(str::to_string),
        })
        .collect();
    for (follower, moved) in &plan.followers {
        timeline.extend(moved.iter().map(|m| NewEvent {
            entity: follower.name,
            record_id: Some(m.id),
            account_id: Some(m.account_id),
            action: "transferred",
            actor_id: Some(actor.user_id),
            changes: vec![Change {
                field: "owner_id".into(),
                old: m.owner_id.into(),
                new: plan.new_owner.map(|(id, _)| id).into(),
            }],
            summary: m.name.clone(),
            source_ip: source_ip.map(str::to_string),
        }));
    }
    events::append_all(&mut conn, &timeline).await?;
    let counts = plan.counts();
    events::append(
        &mut conn,
        &NewEvent {
            entity: entity.name,
            record_id: None,
            account_id: None,
            action: "mass_updated",
            actor_id: Some(actor.user_id),
            changes: requested_changes(&request.changes),
            summary: counts.to_json().to_string(),
            source_ip: source_ip.map(str::to_string),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(counts)
}

impl MassUpdateCounts {
    /// `{"matched", "changed", "moved_with": {"contact": n}}`: the API's answer, and the
    /// audit entry's summary (which the audit page reads back with [`Self::from_json`]).
    pub fn to_json(&self) -> Json {
        let moved: Map<String, Json> = self
            .moved_with
            .iter()
            .map(|(entity, n)| (entity.to_string(), json!(n)))
            .collect();
        json!({"matched": self.matched, "changed": self.changed, "moved_with": moved})
    }

    /// Reads [`Self::to_json`]'s output back; entities it does not know are skipped.
    pub fn from_json(json: &Json) -> Option<MassUpdateCounts> {
        let moved_with = json["moved_with"]
            .as_object()?
            .iter()
            .filter_map(|(name, n)| {
                let entity = kehu_core::entity::entity_by_name(name)?;
                Some((entity.name, n.as_u64()?))
            })
            .collect();
        Some(MassUpdateCounts {
            matched: json["matched"].as_u64()?,
            changed: json["changed"].as_u64()?,
            moved_with,
        })
    }
}

/// The requested values, for the audit entry ("Level: → VIP").
fn requested_changes(changes: &Changes) -> Vec<Change> {
    changes
        .fields
        .iter()
        .map(|(field, value)| Change {
            field: field.name.to_string(),
            old: Json::Null,
            new: value.to_json(),
        })
        .chain(changes.custom.iter().map(|(key, value)| Change {
            field: format!("custom.{key}"),
            old: Json::Null,
            new: value.clone(),
        }))
        .collect()
}

/// One record that changes: as it was, and its field changes.
struct RecordUpdate {
    before: Record,
    diff: Vec<Change>,
    /// Its custom values afterwards.
    custom: Map<String, Json>,
    /// Its search tokens and contact points afterwards, when the changes touch them.
    index: Option<(String, String)>,
}

/// A record that moves with its customer.
struct Follower {
    id: i64,
    account_id: i64,
    owner_id: i64,
    name: String,
}

/// Everything [`apply`] writes, worked out before the first write.
struct Plan {
    matched: u64,
    updates: Vec<RecordUpdate>,
    /// The built-in fields set on every changed record (those that differ on it).
    fields: Vec<(&'static FieldDef, FieldValue)>,
    /// The new owner and their team, for an assignment.
    new_owner: Option<(i64, Option<i64>)>,
    followers: Vec<(&'static EntityDef, Vec<Follower>)>,
}

impl Plan {
    fn counts(&self) -> MassUpdateCounts {
        MassUpdateCounts {
            matched: self.matched,
            changed: self.updates.len() as u64,
            moved_with: self
                .followers
                .iter()
                .map(|(entity, moved)| (entity.name, moved.len() as u64))
                .collect(),
        }
    }
}

/// Rows per `IN (…)` list, well under both backends' parameter limits.
const CHUNK: usize = 500;

/// Checks the request and reads what it changes; with `lock` (inside [`apply`]'s
/// transaction) the rows stay locked until the commit, so a concurrent edit waits for the
/// mass update instead of being overwritten by it (SQLite's `BEGIN IMMEDIATE` already
/// keeps other writers out).
async fn plan(
    conn: &mut Conn<'_>,
    entity: &'static EntityDef,
    actor: &Actor,
    request: &MassUpdate,
    lock: bool,
) -> DbResult<Plan> {
    let changes = &request.changes;
    check_changes(changes).map_err(DbError::Invalid)?;
    actor
        .fields
        .check_write(entity, changes)
        .map_err(DbError::Invalid)?;
    for (field, value) in &changes.fields {
        if value.is_empty() && has_default(entity, field) {
            return Err(DbError::field(field.name, "required", "is required"));
        }
    }
    let (assigns, updates) = actions_of(changes);
    let mut scopes = Vec::new();
    if updates {
        scopes.push(actor.visibility(entity.name, Action::MassUpdate));
    }
    if assigns {
        scopes.push(actor.visibility(entity.name, Action::Assign));
    }
    if scopes.contains(&Visibility::Nothing) {
        return Err(DbError::Forbidden);
    }
    let new_owner = match changes.get("owner_id") {
        None => None,
        Some(FieldValue::Int(owner_id)) => {
            let team_id = owner_team(conn, *owner_id).await?;
            // As for one record: the new owner must be someone the actor may give records to.
            if !actor
                .visibility(entity.name, Action::Assign)
                .covers(*owner_id, team_id)
            {
                return Err(DbError::field(
                    "owner_id",
                    "not_allowed",
                    "you may not give records to this user",
                ));
            }
            Some((*owner_id, team_id))
        }
        Some(_) => return Err(DbError::field("owner_id", "required", "is required")),
    };
    let records = selected(conn, entity, &scopes, &request.selection, lock).await?;
    let searchable = changes
        .fields
        .iter()
        .any(|(f, _)| f.searchable || f.contact_point)
        || !changes.custom.is_empty();
    let mut plan = Plan {
        matched: records.len() as u64,
        updates: Vec::new(),
        fields: changes.fields.clone(),
        new_owner,
        followers: Vec::new(),
    };
    for before in records {
        if let Some(update) = record_update(entity, changes, new_owner, searchable, before) {
            plan.updates.push(update);
        }
    }
    if entity.name == ACCOUNT.name && new_owner.is_some() {
        for follower in FOLLOW_THEIR_ACCOUNT {
            let moved = followers(conn, follower, actor, &plan.updates, lock).await?;
            plan.followers.push((follower, moved));
        }
    }
    Ok(plan)
}

/// The changes one record gets, or `None` when it already has every new value.
fn record_update(
    entity: &'static EntityDef,
    changes: &Changes,
    new_owner: Option<(i64, Option<i64>)>,
    searchable: bool,
    before: Record,
) -> Option<RecordUpdate> {
    let mut diff = Vec::new();
    let mut merged: Map<String, Json> = before
        .values
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_json()))
        .collect();
    for (field, value) in &changes.fields {
        if before.get(field.name) == value {
            continue;
        }
        if let Some((_, team_id)) = new_owner.filter(|_| field.name == "owner_id") {
            if before.team_id != team_id {
                diff.push(Change {
                    field: "team_id".into(),
                    old: before.team_id.into(),
                    new: team_id.into(),
                });
            }
        }
        diff.push(Change {
            field: field.name.to_string(),
            old: before.get(field.name).to_json(),
            new: value.to_json(),
        });
        merged.insert(field.name.to_string(), value.to_json());
    }
    let custom = changed_custom(&before.custom, &changes.custom, &mut diff);
    if diff.is_empty() {
        return None;
    }
    let index = searchable.then(|| index_text(entity, &merged, &custom));
    Some(RecordUpdate {
        before,
        diff,
        custom,
        index,
    })
}

/// Reads the selected live records that every one of `scopes` covers, refusing more than
/// [`MAX_RECORDS`].
async fn selected(
    conn: &mut Conn<'_>,
    entity: &'static EntityDef,
    scopes: &[Visibility],
    selection: &Selection,
    lock: bool,
) -> DbResult<Vec<Record>> {
    let backend = conn.backend();
    let table = entity.table;
    let fields: Vec<&'static FieldDef> = entity.fields.iter().collect();
    let read = |mut select: SelectStatement| {
        select
            .columns(fields.iter().map(|f| (ident(table), ident(f.name))))
            .columns([
                (ident(table), ident("custom")),
                (ident(table), ident("deleted_at")),
            ]);
        for scope in scopes {
            select.cond_where(visibility_condition(backend, table, scope));
        }
        if lock && backend == Backend::Postgres {
            select.lock(LockType::Update);
        }
        select
    };
    match selection {
        Selection::Ids(ids) => {
            if ids.len() > MAX_RECORDS {
                return Err(too_many("ids"));
            }
            // In id order and once each (the same id may be ticked twice), so that rows are
            // locked in the same order by every mass update.
            let mut ids = ids.clone();
            ids.sort_unstable();
            ids.dedup();
            let mut records = Vec::new();
            for chunk in ids.chunks(CHUNK) {
                let select = read(
                    Query::select()
                        .from(ident(table))
                        .and_where(
                            Expr::col((ident(table), ident("id"))).is_in(chunk.iter().copied()),
                        )
                        .and_where(Expr::col((ident(table), ident("deleted_at"))).is_null())
                        .order_by((ident(table), ident("id")), Order::Asc)
                        .to_owned(),
                );
                records.extend(
                    conn.fetch_all(&select, |row| record_from_row(entity, &fields, row))
                        .await?,
                );
            }
            Ok(records)
        }
        Selection::Matching { text, filters } => {
            let query = ListQuery {
                text: text.clone(),
                filters: filters.clone(),
                sort: Sort {
                    field: entity.field("id").expect("every record has an id"),
                    descending: false,
                },
                limit: 1,
                cursor: None,
                in_recycle_bin: false,
                whole_words: false,
            };
            let mut select = read(matching_ids(
                backend,
                entity,
                &Visibility::Everything,
                &query,
            )?);
            select.limit(MAX_RECORDS as u64 + 1);
            let records = conn
                .fetch_all(&select, |row| record_from_row(entity, &fields, row))
                .await?;
            if records.len() > MAX_RECORDS {
                return Err(too_many("filters"));
            }
            Ok(records)
        }
    }
}

fn too_many(field: &str) -> DbError {
    DbError::field(
        field,
        "too_many_records",
        format!("at most {MAX_RECORDS} records at once; narrow the selection"),
    )
}

/// The live records of `follower` that belong to a customer changing owner and are owned
/// by that customer's old owner, within the actor's `assign` scope for them.
async fn followers(
    conn: &mut Conn<'_>,
    follower: &'static EntityDef,
    actor: &Actor,
    updates: &[RecordUpdate],
    lock: bool,
) -> DbResult<Vec<Follower>> {
    let backend = conn.backend();
    let table = follower.table;
    let visibility = actor.visibility(follower.name, Action::Assign);
    // Each customer changing owner, with the owner it had.
    let old_owners: BTreeMap<i64, i64> = updates
        .iter()
        .filter(|u| u.diff.iter().any(|c| c.field == "owner_id"))
        .map(|u| (u.before.id, u.before.owner_id))
        .collect();
    let accounts: Vec<i64> = old_owners.keys().copied().collect();
    let mut moved = Vec::new();
    for chunk in accounts.chunks(CHUNK) {
        let owners: std::collections::BTreeSet<i64> =
            chunk.iter().map(|id| old_owners[id]).collect();
        let column = |name: &str| Expr::col((ident(table), ident(name)));
        // Rows are locked in id order, as the customers were, so that two mass updates
        // over the same records wait for each other instead of deadlocking.
        let mut select = Query::select()
            .columns(["id", "account_id", "owner_id", "name"].map(|c| (ident(table), ident(c))))
            .from(ident(table))
            .and_where(column("account_id").is_in(chunk.iter().copied()))
            .and_where(column("owner_id").is_in(owners))
            .and_where(column("deleted_at").is_null())
            .cond_where(visibility_condition(backend, table, &visibility))
            .order_by((ident(table), ident("id")), Order::Asc)
            .to_owned();
        if lock && backend == Backend::Postgres {
            select.lock(LockType::Update);
        }
        let found = conn
            .fetch_all(&select, |row| {
                Ok(Follower {
                    id: crate::conn::required(row.int("id"), "id")?,
                    account_id: crate::conn::required(row.int("account_id"), "account_id")?,
                    owner_id: crate::conn::required(row.int("owner_id"), "owner_id")?,
                    name: row.text("name")?.unwrap_or_default(),
                })
            })
            .await?;
        // Only those their customer's old owner looks after go along.
        moved.extend(
            found
                .into_iter()
                .filter(|f| old_owners.get(&f.account_id) == Some(&f.owner_id)),
        );
    }
    Ok(moved)
}

/// The bookkeeping every changed row gets.
fn touched(update: &mut UpdateStatement, actor: &Actor, at: &sea_query::Value) {
    update
        .value(ident("updated_at"), at.clone())
        .value(ident("updated_by"), actor.user_id)
        .value(ident("version"), Expr::col(ident("version")).add(1));
}

async fn write_records(
    conn: &mut Conn<'_>,
    entity: &'static EntityDef,
    actor: &Actor,
    plan: &Plan,
    at: &sea_query::Value,
) -> DbResult<()> {
    let backend = conn.backend();
    let set_fields = |update: &mut UpdateStatement| {
        for (field, value) in &plan.fields {
            update.value(ident(field.name), bind_value(backend, field.kind, value));
        }
        if let Some((_, team_id)) = plan.new_owner {
            update.value(ident("team_id"), team_id);
        }
        touched(update, actor, at);
    };
    let per_record = plan.updates.iter().any(|u| u.index.is_some());
    if per_record {
        // Custom values and search text differ per record: one statement each, guarded by
        // the version read under the lock.
        for update in &plan.updates {
            let mut statement = Query::update();
            statement.table(ident(entity.table));
            set_fields(&mut statement);
            statement.value(ident("custom"), custom_value(backend, &update.custom));
            if let Some((tokens, points)) = &update.index {
                statement
                    .value(ident("search_tokens"), tokens.clone())
                    .value(ident("contact_points"), points.clone());
            }
            statement
                .and_where(Expr::col(ident("id")).eq(update.before.id))
                .and_where(Expr::col(ident("version")).eq(update.before.version));
            if conn.execute(&statement).await? != 1 {
                return Err(DbError::StaleVersion {
                    current: update.before.version + 1,
                });
            }
        }
        return Ok(());
    }
    // The same values on every record: a few statements of many ids each.
    let ids: Vec<i64> = plan.updates.iter().map(|u| u.before.id).collect();
    for chunk in ids.chunks(CHUNK) {
        let mut statement = Query::update();
        statement.table(ident(entity.table));
        set_fields(&mut statement);
        statement.and_where(Expr::col(ident("id")).is_in(chunk.iter().copied()));
        let changed = conn.execute(&statement).await?;
        if changed != chunk.len() as u64 {
            // The rows were read under the lock in this transaction; anything else is a bug.
            return Err(anyhow::anyhow!(
                "mass update changed {changed} of {} locked rows",
                chunk.len()
            )
            .into());
        }
    }
    Ok(())
}

async fn move_followers(
    conn: &mut Conn<'_>,
    follower: &'static EntityDef,
    actor: &Actor,
    plan: &Plan,
    moved: &[Follower],
    at: &sea_query::Value,
) -> DbResult<()> {
    let Some((owner_id, team_id)) = plan.new_owner else {
        return Ok(());
    };
    let ids: Vec<i64> = moved.iter().map(|m| m.id).collect();
    for chunk in ids.chunks(CHUNK) {
        let mut statement = Query::update();
        statement
            .table(ident(follower.table))
            .value(ident("owner_id"), owner_id)
            .value(ident("team_id"), team_id);
        touched(&mut statement, actor, at);
        statement.and_where(Expr::col(ident("id")).is_in(chunk.iter().copied()));
        conn.execute(&statement).await?;
    }
    Ok(())
}
