//! The event stream: every change to a record, in order. It is the customer timeline
//! (events of the customer and of its contacts) and the audit log. Append-only: nothing
//! here updates or deletes events (erasing a person blanks the values in their record's
//! events, see `personal_data::redact`: the one update the database triggers allow).

use crate::conn::required;
use crate::records::{ident, visibility_condition};
use crate::{now, timestamp_value, Conn, Db, DbResult};
use chrono::{DateTime, Utc};
use kehu_core::field_security::FieldRules;
use kehu_core::permission::Visibility;
use sea_query::{Cond, Expr, Order, Query};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

/// One field's change: old and new value as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// Field name (`custom.KEY` for custom fields).
    pub field: String,
    /// Value before.
    pub old: Json,
    /// Value after.
    pub new: Json,
}

/// An event to append.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// Entity name (`account`, `contact`, `user`, `session`, …).
    pub entity: &'static str,
    /// The record, if the event is about one.
    pub record_id: Option<i64>,
    /// The customer whose timeline shows it.
    pub account_id: Option<i64>,
    /// `created`, `updated`, `deleted`, `restored`, `signed_in`, …
    pub action: &'static str,
    /// Who did it (none for the system).
    pub actor_id: Option<i64>,
    /// Field changes.
    pub changes: Vec<Change>,
    /// A short text, e.g. the record's name.
    pub summary: String,
    /// Client address.
    pub source_ip: Option<String>,
}

/// Who makes an administrative change, for its audit entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    /// The acting user (none for the command line or the system).
    pub actor_id: Option<i64>,
    /// Their address.
    pub source_ip: Option<String>,
}

impl Origin {
    /// A change made by a signed-in user.
    pub fn user(actor_id: i64, source_ip: Option<String>) -> Origin {
        Origin {
            actor_id: Some(actor_id),
            source_ip,
        }
    }
}

/// An event as read back, with the actor's display name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// Event id (increasing).
    pub id: i64,
    /// Entity name.
    pub entity: String,
    /// The record.
    pub record_id: Option<i64>,
    /// What happened.
    pub action: String,
    /// Who did it.
    pub actor_id: Option<i64>,
    /// Their display name.
    pub actor_name: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
    /// Field changes.
    pub changes: Vec<Change>,
    /// Short text.
    pub summary: String,
    /// Client address.
    pub source_ip: Option<String>,
}

/// Changes that come with every edit; an update that changed nothing else says nothing.
const BOOKKEEPING_FIELDS: &[&str] = &["updated_at", "updated_by", "version"];

/// The events as a user with these field rules may see them: changes of hidden fields are
/// dropped (old and new values alike), and so is an update that changed nothing else, which
/// would otherwise tell that a hidden field changed.
pub fn mask(events: Vec<Event>, rules: &FieldRules) -> Vec<Event> {
    events
        .into_iter()
        .filter_map(|mut event| {
            let had_changes = event
                .changes
                .iter()
                .any(|c| !BOOKKEEPING_FIELDS.contains(&c.field.as_str()));
            event
                .changes
                .retain(|c| !rules.is_hidden(&event.entity, &c.field));
            let left = event
                .changes
                .iter()
                .any(|c| !BOOKKEEPING_FIELDS.contains(&c.field.as_str()));
            (event.action != "updated" || !had_changes || left).then_some(event)
        })
        .collect()
}

/// What an admin looks for in the audit log; empty parts match everything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditQuery {
    /// Who did it.
    pub actor_id: Option<i64>,
    /// On which entity (`account`, `session`, …).
    pub entity: Option<String>,
    /// On which record (with `entity`).
    pub record_id: Option<i64>,
    /// What was done (`updated`, `sign_in_failed`, …).
    pub action: Option<String>,
    /// At or after.
    pub from: Option<DateTime<Utc>>,
    /// Before.
    pub until: Option<DateTime<Utc>>,
    /// Only events older than this id (the next page).
    pub before_id: Option<i64>,
}

/// Appends an event (inside the caller's transaction, so it commits with the change).
pub async fn append(conn: &mut Conn<'_>, event: &NewEvent) -> DbResult<()> {
    append_all(conn, std::slice::from_ref(event)).await
}

/// Rows per multi-row insert: nine values each, far under both backends' parameter limits.
const APPEND_CHUNK: usize = 200;

/// Appends events in order, several rows per statement (a mass update writes one event
/// per changed record, and one round trip each made PostgreSQL the slow part).
pub async fn append_all(conn: &mut Conn<'_>, events: &[NewEvent]) -> DbResult<()> {
    let backend = conn.backend();
    let at = now();
    for chunk in events.chunks(APPEND_CHUNK) {
        let mut insert = Query::insert();
        insert.into_table(ident("events")).columns(
            [
                "entity",
                "record_id",
                "account_id",
                "action",
                "actor_id",
                "at",
                "changes",
                "summary",
                "source_ip",
            ]
            .map(ident),
        );
        for event in chunk {
            insert.values_panic([
                event.entity.into(),
                event.record_id.into(),
                event.account_id.into(),
                event.action.into(),
                event.actor_id.into(),
                timestamp_value(backend, at).into(),
                serde_json::to_string(&event.changes)
                    .unwrap_or_else(|_| "[]".into())
                    .into(),
                event.summary.clone().into(),
                event.source_ip.clone().into(),
            ]);
        }
        conn.execute(&insert).await?;
    }
    Ok(())
}

/// The timeline of a customer, newest first: its own events and those of the contacts the
/// reader may see. The caller has already checked that the customer itself is visible.
pub async fn account_timeline(
    db: &Db,
    account_id: i64,
    contact_visibility: &Visibility,
    before_id: Option<i64>,
    limit: u64,
) -> DbResult<Vec<Event>> {
    customer_timeline(
        db,
        account_id,
        contact_visibility,
        &Visibility::Nothing,
        before_id,
        limit,
    )
    .await
}

/// [`account_timeline`] with the events of the customer's orders that `order_visibility`
/// covers: the customer 360 page's timeline.
pub async fn customer_timeline(
    db: &Db,
    account_id: i64,
    contact_visibility: &Visibility,
    order_visibility: &Visibility,
    before_id: Option<i64>,
    limit: u64,
) -> DbResult<Vec<Event>> {
    let visible_orders = Query::select()
        .column((ident("orders"), ident("id")))
        .from(ident("orders"))
        .and_where(Expr::col((ident("orders"), ident("account_id"))).eq(account_id))
        .cond_where(visibility_condition(
            db.backend(),
            "orders",
            order_visibility,
        ))
        .to_owned();
    let visible_contacts = Query::select()
        .column((ident("contacts"), ident("id")))
        .from(ident("contacts"))
        .and_where(Expr::col((ident("contacts"), ident("account_id"))).eq(account_id))
        .cond_where(visibility_condition(
            db.backend(),
            "contacts",
            contact_visibility,
        ))
        .to_owned();
    let which = Cond::any()
        .add(
            Cond::all()
                .add(Expr::col((ident("events"), ident("entity"))).eq("account"))
                .add(Expr::col((ident("events"), ident("record_id"))).eq(account_id)),
        )
        .add(
            Cond::all()
                .add(Expr::col((ident("events"), ident("account_id"))).eq(account_id))
                .add(Expr::col((ident("events"), ident("entity"))).eq("contact"))
                .add(
                    Expr::col((ident("events"), ident("record_id"))).in_subquery(visible_contacts),
                ),
        )
        .add(
            Cond::all()
                .add(Expr::col((ident("events"), ident("account_id"))).eq(account_id))
                .add(Expr::col((ident("events"), ident("entity"))).eq("order"))
                .add(Expr::col((ident("events"), ident("record_id"))).in_subquery(visible_orders)),
        );
    read(db, which, before_id, limit).await
}

/// The events of one record, newest first.
pub async fn record_history(
    db: &Db,
    entity: &str,
    record_id: i64,
    limit: u64,
) -> DbResult<Vec<Event>> {
    let which = Cond::all()
        .add(Expr::col((ident("events"), ident("entity"))).eq(entity))
        .add(Expr::col((ident("events"), ident("record_id"))).eq(record_id));
    read(db, which, None, limit).await
}

/// Every event of one record, oldest first (for a personal-data export), read in pages.
pub async fn all_of_record(db: &Db, entity: &str, record_id: i64) -> DbResult<Vec<Event>> {
    let mut all = Vec::new();
    let mut before = None;
    loop {
        let which = Cond::all()
            .add(Expr::col((ident("events"), ident("entity"))).eq(entity))
            .add(Expr::col((ident("events"), ident("record_id"))).eq(record_id));
        let page = read(db, which, before, 500).await?;
        let done = page.len() < 500;
        before = page.last().map(|e| e.id);
        all.extend(page);
        if done {
            break;
        }
    }
    all.reverse();
    Ok(all)
}

/// Searches the whole audit log, newest first. Only for admins: it is not filtered by
/// record permissions.
pub async fn search(db: &Db, query: &AuditQuery, limit: u64) -> DbResult<Vec<Event>> {
    let backend = db.backend();
    let column = |name: &str| Expr::col((ident("events"), ident(name)));
    let mut which = Cond::all();
    if let Some(actor) = query.actor_id {
        which = which.add(column("actor_id").eq(actor));
    }
    if let Some(entity) = &query.entity {
        which = which.add(column("entity").eq(entity.clone()));
    }
    if let Some(record) = query.record_id {
        which = which.add(column("record_id").eq(record));
    }
    if let Some(action) = &query.action {
        which = which.add(column("action").eq(action.clone()));
    }
    if let Some(from) = query.from {
        which = which.add(column("at").gte(timestamp_value(backend, from)));
    }
    if let Some(until) = query.until {
        which = which.add(column("at").lt(timestamp_value(backend, until)));
    }
    read(db, which, query.before_id, limit).await
}

async fn read(db: &Db, which: Cond, before_id: Option<i64>, limit: u64) -> DbResult<Vec<Event>> {
    let mut select = Query::select();
    select
        .columns(
            [
                "id",
                "entity",
                "record_id",
                "action",
                "actor_id",
                "at",
                "changes",
                "summary",
                "source_ip",
            ]
            .map(|c| (ident("events"), ident(c))),
        )
        .expr_as(
            Expr::col((ident("users"), ident("display_name"))),
            ident("actor_name"),
        )
        .from(ident("events"))
        .left_join(
            ident("users"),
            Expr::col((ident("users"), ident("id"))).equals((ident("events"), ident("actor_id"))),
        )
        .cond_where(which)
        .order_by((ident("events"), ident("id")), Order::Desc)
        .limit(limit.clamp(1, 500));
    if let Some(before) = before_id {
        select.and_where(Expr::col((ident("events"), ident("id"))).lt(before));
    }
    db.conn()
        .fetch_all(&select, |row| {
            let changes: String = required(row.text("changes"), "changes")?;
            Ok(Event {
                id: required(row.int("id"), "id")?,
                entity: required(row.text("entity"), "entity")?,
                record_id: row.int("record_id")?,
                action: required(row.text("action"), "action")?,
                actor_id: row.int("actor_id")?,
                actor_name: row.text("actor_name")?,
                at: required(row.timestamp("at"), "at")?,
                changes: serde_json::from_str(&changes).unwrap_or_default(),
                summary: required(row.text("summary"), "summary")?,
                source_ip: row.text("source_ip")?,
            })
        })
        .await
}
