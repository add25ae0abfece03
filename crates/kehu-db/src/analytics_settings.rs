//! The administrators' analytics settings: one JSON document in one row. Its shape is
//! `kehu_analytics::AnalyticsSettings`, which this crate does not know; callers check
//! it before saving. Every change is written to the audit log with the old and new
//! document, in the same transaction.

use crate::events::{self, Change, NewEvent, Origin};
use crate::records::ident;
use crate::{now, timestamp_value, Db, DbResult};
use sea_query::{Expr, OnConflict, Query};
use serde_json::Value as Json;

/// The stored settings, or `None` when an administrator never saved any (defaults).
pub async fn load(db: &Db) -> DbResult<Option<Json>> {
    let select = Query::select()
        .column(ident("settings"))
        .from(ident("analytics_settings"))
        .and_where(Expr::col(ident("id")).eq(1))
        .to_owned();
    let text = db
        .conn()
        .fetch_optional(&select, |row| row.text("settings"))
        .await?
        .flatten();
    Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
}

/// Replaces the settings and records who changed what.
pub async fn save(db: &Db, settings: &Json, origin: &Origin) -> DbResult<()> {
    let old = load(db).await?.unwrap_or(Json::Null);
    let backend = db.backend();
    let at = timestamp_value(backend, now());
    let upsert = Query::insert()
        .into_table(ident("analytics_settings"))
        .columns(["id", "settings", "updated_at", "updated_by", "version"].map(ident))
        .values_panic([
            1i64.into(),
            settings.to_string().into(),
            at.into(),
            origin.actor_id.into(),
            1i64.into(),
        ])
        .on_conflict(
            OnConflict::column(ident("id"))
                .update_columns(["settings", "updated_at", "updated_by"].map(ident))
                .value(
                    ident("version"),
                    Expr::col((ident("analytics_settings"), ident("version"))).add(1),
                )
                .to_owned(),
        )
        .to_owned();
    let mut tx = db.begin().await?;
    tx.conn().execute(&upsert).await?;
    events::append(
        &mut tx.conn(),
        &NewEvent {
            entity: "analytics_settings",
            record_id: None,
            account_id: None,
            action: "updated",
            actor_id: origin.actor_id,
            changes: vec![Change {
                field: "settings".into(),
                old,
                new: settings.clone(),
            }],
            summary: "analytics settings".into(),
            source_ip: origin.source_ip.clone(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
