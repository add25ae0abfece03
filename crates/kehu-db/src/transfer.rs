//! Transfer of ownership: an admin or manager hands all (or a filtered set of) the
//! customers of one user to another, together with the records that follow their customer
//! (contacts), in one transaction, each change in the audit log.

use crate::events::{self, Change, NewEvent};
use crate::records::{ident, matching_ids, ListQuery};
use crate::{now, timestamp_value, Conn, Db, DbError, DbResult};
use kehu_core::entity::{ACCOUNT, FOLLOW_THEIR_ACCOUNT};
use kehu_core::filter::{Filter, Sort};
use kehu_core::permission::{Action, Actor};
use sea_query::{Expr, Query};
use serde::Serialize;
use serde_json::json;

/// What to transfer.
#[derive(Debug, Clone)]
pub struct TransferRequest {
    /// The current owner.
    pub from_user_id: i64,
    /// The new owner.
    pub to_user_id: i64,
    /// Only the customers matching these filters (none: all of them).
    pub filters: Vec<Filter>,
}

/// How many records a transfer moves, per entity (`account` first).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TransferCounts(pub Vec<(&'static str, u64)>);

impl TransferCounts {
    /// The count for one entity.
    pub fn of(&self, entity: &str) -> u64 {
        self.0
            .iter()
            .find(|(e, _)| *e == entity)
            .map(|(_, n)| *n)
            .unwrap_or(0)
    }
}

/// Ids per entity that a transfer moves.
type Selection = Vec<(&'static str, &'static str, Vec<i64>)>;

/// Rows per `IN (…)` list, well under both backends' parameter limits.
const CHUNK: usize = 500;

/// Counts what [`transfer`] would move, without moving anything.
pub async fn preview(
    db: &Db,
    actor: &Actor,
    request: &TransferRequest,
) -> DbResult<TransferCounts> {
    let selection = select(&mut db.conn(), actor, request).await?;
    Ok(counts(&selection))
}

/// Moves the customers (and the records that follow them) to the new owner and its team,
/// in one transaction; gives the counts moved.
pub async fn transfer(
    db: &Db,
    actor: &Actor,
    source_ip: Option<&str>,
    request: &TransferRequest,
) -> DbResult<TransferCounts> {
    let backend = db.backend();
    let mut tx = db.begin().await?;
    let selection = select(&mut tx.conn(), actor, request).await?;
    if selection.iter().all(|(_, _, ids)| ids.is_empty()) {
        // Nothing the actor may move: no change, and no audit entry claiming one.
        return Ok(counts(&selection));
    }
    let to_team = active_user_team(&mut tx.conn(), request.to_user_id, "to_user_id").await?;
    let at = now();
    for (entity, table, ids) in &selection {
        for chunk in ids.chunks(CHUNK) {
            let update = Query::update()
                .table(ident(table))
                .value(ident("owner_id"), request.to_user_id)
                .value(ident("team_id"), to_team)
                .value(ident("updated_at"), timestamp_value(backend, at))
                .value(ident("updated_by"), actor.user_id)
                .value(ident("version"), Expr::col(ident("version")).add(1))
                .and_where(Expr::col(ident("id")).is_in(chunk.iter().copied()))
                .to_owned();
            tx.conn().execute(&update).await?;
        }
        for id in ids {
            events::append(
                &mut tx.conn(),
                &NewEvent {
                    entity,
                    record_id: Some(*id),
                    account_id: (*entity == ACCOUNT.name).then_some(*id),
                    action: "transferred",
                    actor_id: Some(actor.user_id),
                    changes: vec![Change {
                        field: "owner_id".into(),
                        old: request.from_user_id.into(),
                        new: request.to_user_id.into(),
                    }],
                    summary: String::new(),
                    source_ip: source_ip.map(str::to_string),
                },
            )
            .await?;
        }
    }
    let moved = counts(&selection);
    events::append(
        &mut tx.conn(),
        &NewEvent {
            entity: "user",
            record_id: Some(request.from_user_id),
            account_id: None,
            action: "records_transferred",
            actor_id: Some(actor.user_id),
            changes: vec![Change {
                field: "owner_id".into(),
                old: request.from_user_id.into(),
                new: request.to_user_id.into(),
            }],
            summary: json!(moved.0).to_string(),
            source_ip: source_ip.map(str::to_string),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(moved)
}

fn counts(selection: &Selection) -> TransferCounts {
    TransferCounts(
        selection
            .iter()
            .map(|(entity, _, ids)| (*entity, ids.len() as u64))
            .collect(),
    )
}

/// Checks the request and finds the ids to move: the from-user's live customers the actor
/// may assign (matching the filters), then the from-user's records of the entities that
/// follow those customers.
async fn select(
    conn: &mut Conn<'_>,
    actor: &Actor,
    request: &TransferRequest,
) -> DbResult<Selection> {
    existing_user(conn, request.from_user_id).await?;
    let to_team = active_user_team(conn, request.to_user_id, "to_user_id").await?;
    if request.from_user_id == request.to_user_id {
        return Err(DbError::field(
            "to_user_id",
            "same_user",
            "choose another user than the current owner",
        ));
    }
    let assign = actor.visibility(ACCOUNT.name, Action::Assign);
    if !assign.covers(request.to_user_id, to_team) {
        return Err(DbError::field(
            "to_user_id",
            "not_allowed",
            "you may not give records to this user",
        ));
    }
    let mut filters = request.filters.clone();
    filters.push(Filter {
        target: kehu_core::filter::FilterTarget::Field(
            ACCOUNT.field("owner_id").expect("owned record"),
        ),
        op: kehu_core::filter::FilterOp::Eq,
        values: vec![kehu_core::filter::FilterValue::Int(request.from_user_id)],
    });
    let query = ListQuery {
        text: None,
        filters,
        sort: Sort {
            field: ACCOUNT.field("id").expect("id"),
            descending: false,
        },
        limit: 1,
        cursor: None,
        in_recycle_bin: false,
        whole_words: false,
    };
    let backend = conn.backend();
    let accounts = conn
        .fetch_ints(&matching_ids(backend, &ACCOUNT, &assign, &query)?)
        .await?;
    let mut selection: Selection = vec![(ACCOUNT.name, ACCOUNT.table, accounts.clone())];
    for entity in FOLLOW_THEIR_ACCOUNT {
        let visibility = actor.visibility(entity.name, Action::Assign);
        let mut ids = Vec::new();
        for chunk in accounts.chunks(CHUNK) {
            let select = Query::select()
                .column((ident(entity.table), ident("id")))
                .from(ident(entity.table))
                .and_where(
                    Expr::col((ident(entity.table), ident("account_id")))
                        .is_in(chunk.iter().copied()),
                )
                .and_where(
                    Expr::col((ident(entity.table), ident("owner_id"))).eq(request.from_user_id),
                )
                .and_where(Expr::col((ident(entity.table), ident("deleted_at"))).is_null())
                .cond_where(crate::records::visibility_condition(
                    backend,
                    entity.table,
                    &visibility,
                ))
                .to_owned();
            ids.extend(conn.fetch_ints(&select).await?);
        }
        selection.push((entity.name, entity.table, ids));
    }
    Ok(selection)
}

/// The team of an active user; a field error otherwise.
async fn active_user_team(conn: &mut Conn<'_>, user_id: i64, field: &str) -> DbResult<Option<i64>> {
    let select = Query::select()
        .column(ident("team_id"))
        .from(ident("users"))
        .and_where(Expr::col(ident("id")).eq(user_id))
        .and_where(Expr::col(ident("active")).eq(true))
        .to_owned();
    conn.fetch_optional(&select, |row| row.int("team_id"))
        .await?
        .ok_or_else(|| DbError::field(field, "unknown_user", "is not an active user"))
}

/// The from-user may be deactivated (that is when transfers are most needed).
async fn existing_user(conn: &mut Conn<'_>, user_id: i64) -> DbResult<()> {
    let select = Query::select()
        .column(ident("id"))
        .from(ident("users"))
        .and_where(Expr::col(ident("id")).eq(user_id))
        .to_owned();
    if conn.fetch_ints(&select).await?.is_empty() {
        return Err(DbError::field(
            "from_user_id",
            "unknown_user",
            "is not a user",
        ));
    }
    Ok(())
}
