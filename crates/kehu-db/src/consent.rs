//! Consent flags of people (contacts and individual customers): reading and changing
//! them (each change an event in the record's timeline), the list filter, and
//! [`may_contact`], which campaign sends ask before reaching anyone.

use crate::conn::required;
use crate::events::{self, Change, NewEvent};
use crate::records::{account_of, get_in, ident, Record};
use crate::{now, timestamp_value, Conn, Db, DbError, DbResult};
use chrono::{DateTime, Utc};
use kehu_core::consent::{Channel, Source};
use kehu_core::entity::EntityDef;
use kehu_core::filter::{Filter, FilterValue};
use kehu_core::permission::{Action, Actor, Visibility};
use sea_query::{Cond, Expr, Query};
use serde::Serialize;
use serde_json::{json, Value as Json};

/// A person's recorded answer for one channel.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Consent {
    /// The channel.
    pub channel: Channel,
    /// Whether they agreed.
    pub granted: bool,
    /// How Kehu learnt it.
    pub source: Source,
    /// When they gave (or withdrew) it.
    pub given_at: DateTime<Utc>,
    /// The user who recorded it.
    pub recorded_by: Option<i64>,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
}

impl Consent {
    fn to_change_value(&self) -> Json {
        json!({
            "granted": self.granted,
            "source": self.source.as_str(),
            "given_at": self.given_at.to_rfc3339(),
        })
    }
}

/// A new answer for one channel.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsentChange {
    /// The channel.
    pub channel: Channel,
    /// Whether they agreed.
    pub granted: bool,
    /// How Kehu learnt it.
    pub source: Source,
    /// When they gave it (default: now).
    pub given_at: Option<DateTime<Utc>>,
}

/// Whether a record describes a person: every contact, and customers of kind `individual`.
pub fn is_person(record: &Record) -> bool {
    match record.entity.name {
        "contact" => true,
        "account" => record.text("kind") == Some("individual"),
        _ => false,
    }
}

/// The error for a record that is not a person (a company customer, an order).
pub fn not_a_person() -> DbError {
    DbError::field(
        "kind",
        "not_a_person",
        "only contacts and individual customers have personal data and consent",
    )
}

/// The consents of a person the visibility covers, one per channel that has an answer.
pub async fn of_record(
    db: &Db,
    entity: &'static EntityDef,
    visibility: &Visibility,
    record_id: i64,
) -> DbResult<Vec<Consent>> {
    let mut conn = db.conn();
    let record = get_in(&mut conn, entity, visibility, record_id, false).await?;
    if !is_person(&record) {
        return Err(not_a_person());
    }
    read(&mut conn, entity.name, record_id).await
}

pub(crate) async fn read(
    conn: &mut Conn<'_>,
    entity: &str,
    record_id: i64,
) -> DbResult<Vec<Consent>> {
    let select = Query::select()
        .columns(
            [
                "channel",
                "granted",
                "source",
                "given_at",
                "recorded_by",
                "recorded_at",
            ]
            .map(ident),
        )
        .from(ident("consents"))
        .and_where(Expr::col(ident("entity")).eq(entity))
        .and_where(Expr::col(ident("record_id")).eq(record_id))
        .to_owned();
    let mut consents = conn
        .fetch_all(&select, |row| {
            let channel: String = required(row.text("channel"), "channel")?;
            let source: String = required(row.text("source"), "source")?;
            let bad = |what: &str| sqlx::Error::Decode(format!("unknown {what}").into());
            Ok(Consent {
                channel: Channel::parse(&channel).ok_or_else(|| bad("channel"))?,
                granted: required(row.boolean("granted"), "granted")?,
                source: Source::parse(&source).ok_or_else(|| bad("source"))?,
                given_at: required(row.timestamp("given_at"), "given_at")?,
                recorded_by: row.int("recorded_by")?,
                recorded_at: required(row.timestamp("recorded_at"), "recorded_at")?,
            })
        })
        .await?;
    consents.sort_by_key(|c| c.channel);
    Ok(consents)
}

/// Records new answers for a person the actor may edit; unchanged answers are skipped.
/// The changes go into the record's timeline as one `consent_changed` event.
pub async fn set(
    db: &Db,
    entity: &'static EntityDef,
    actor: &Actor,
    source_ip: Option<&str>,
    record_id: i64,
    changes: &[ConsentChange],
) -> DbResult<Vec<Consent>> {
    let backend = db.backend();
    let mut tx = db.begin().await?;
    let edit = actor.visibility(entity.name, Action::Edit);
    let record = get_in(&mut tx.conn(), entity, &edit, record_id, false).await?;
    if !is_person(&record) {
        return Err(not_a_person());
    }
    let before = read(&mut tx.conn(), entity.name, record_id).await?;
    let at = now();
    let mut diff = Vec::new();
    for change in changes {
        let old = before.iter().find(|c| c.channel == change.channel);
        let new = Consent {
            channel: change.channel,
            granted: change.granted,
            source: change.source,
            given_at: change.given_at.unwrap_or(at),
            recorded_by: Some(actor.user_id),
            recorded_at: at,
        };
        if old.is_some_and(|o| {
            o.granted == new.granted
                && o.source == new.source
                && (change.given_at.is_none() || o.given_at == new.given_at)
        }) {
            continue;
        }
        let delete = Query::delete()
            .from_table(ident("consents"))
            .cond_where(
                Cond::all()
                    .add(Expr::col(ident("entity")).eq(entity.name))
                    .add(Expr::col(ident("record_id")).eq(record_id))
                    .add(Expr::col(ident("channel")).eq(change.channel.as_str())),
            )
            .to_owned();
        tx.conn().execute(&delete).await?;
        let insert = Query::insert()
            .into_table(ident("consents"))
            .columns(
                [
                    "entity",
                    "record_id",
                    "channel",
                    "granted",
                    "source",
                    "given_at",
                    "recorded_by",
                    "recorded_at",
                ]
                .map(ident),
            )
            .values_panic([
                entity.name.into(),
                record_id.into(),
                change.channel.as_str().into(),
                change.granted.into(),
                change.source.as_str().into(),
                timestamp_value(backend, new.given_at).into(),
                actor.user_id.into(),
                timestamp_value(backend, at).into(),
            ])
            .to_owned();
        tx.conn().execute(&insert).await?;
        diff.push(Change {
            field: format!("consent.{}", change.channel.as_str()),
            old: old.map(Consent::to_change_value).unwrap_or(Json::Null),
            new: new.to_change_value(),
        });
    }
    if !diff.is_empty() {
        events::append(
            &mut tx.conn(),
            &NewEvent {
                entity: entity.name,
                record_id: Some(record_id),
                account_id: account_of(&record),
                action: "consent_changed",
                actor_id: Some(actor.user_id),
                changes: diff,
                summary: record.text("name").unwrap_or_default().to_string(),
                source_ip: source_ip.map(str::to_string),
            },
        )
        .await?;
    }
    let after = read(&mut tx.conn(), entity.name, record_id).await?;
    tx.commit().await?;
    Ok(after)
}

/// Whether a person may be reached on a channel: they said yes and the record is live.
/// Campaign sends and anything else that reaches people call this (or the list filter
/// `consent.<channel>=yes`) first. Unknown records and records without an answer: no.
pub async fn may_contact(
    db: &Db,
    entity: &str,
    record_id: i64,
    channel: Channel,
) -> DbResult<bool> {
    let Some(def) = kehu_core::entity::entity_by_name(entity) else {
        return Ok(false);
    };
    let live = Query::select()
        .column(ident("id"))
        .from(ident(def.table))
        .and_where(Expr::col(ident("id")).eq(record_id))
        .and_where(Expr::col(ident("deleted_at")).is_null())
        .to_owned();
    let select = Query::select()
        .column(ident("record_id"))
        .from(ident("consents"))
        .and_where(Expr::col(ident("entity")).eq(def.name))
        .and_where(Expr::col(ident("record_id")).eq(record_id))
        .and_where(Expr::col(ident("channel")).eq(channel.as_str()))
        .and_where(Expr::col(ident("granted")).eq(true))
        .and_where(Expr::col(ident("record_id")).in_subquery(live))
        .to_owned();
    Ok(!db.conn().fetch_ints(&select).await?.is_empty())
}

/// `consent.<channel>=yes|no` on a list: ids with (or without) a recorded yes.
pub(crate) fn filter_condition(table: &str, channel: Channel, filter: &Filter) -> Cond {
    let entity = kehu_core::entity::entity_by_name(table).map_or(table, |e| e.name);
    let granted = Query::select()
        .column(ident("record_id"))
        .from(ident("consents"))
        .and_where(Expr::col(ident("entity")).eq(entity))
        .and_where(Expr::col(ident("channel")).eq(channel.as_str()))
        .and_where(Expr::col(ident("granted")).eq(true))
        .to_owned();
    let id = Expr::col((ident(table), ident("id")));
    let yes = filter.values.first() == Some(&FilterValue::Int(1));
    Cond::all().add(if yes {
        id.in_subquery(granted)
    } else {
        id.not_in_subquery(granted)
    })
}

/// Removes every answer of a person (on erasure).
pub(crate) async fn forget(conn: &mut Conn<'_>, entity: &str, record_id: i64) -> DbResult<()> {
    let delete = Query::delete()
        .from_table(ident("consents"))
        .and_where(Expr::col(ident("entity")).eq(entity))
        .and_where(Expr::col(ident("record_id")).eq(record_id))
        .to_owned();
    conn.execute(&delete).await?;
    Ok(())
}
