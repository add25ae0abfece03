//! Saved filters (查询方案): a user's named list queries.

use crate::conn::required;
use crate::records::ident;
use crate::{now, timestamp_value, Db, DbError, DbResult};
use kehu_core::filter::SavedQuery;
use sea_query::{Expr, Order, Query};
use serde::Serialize;

/// A saved filter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SavedFilter {
    /// Id.
    pub id: i64,
    /// Entity (`account`, `contact`).
    pub entity: String,
    /// The name the user gave it.
    pub name: String,
    /// The list query.
    pub query: SavedQuery,
}

/// A user's saved filters for an entity, by name.
pub async fn list(db: &Db, user_id: i64, entity: &str) -> DbResult<Vec<SavedFilter>> {
    let select = Query::select()
        .columns(["id", "entity", "name", "query"].map(ident))
        .from(ident("saved_filters"))
        .and_where(Expr::col(ident("user_id")).eq(user_id))
        .and_where(Expr::col(ident("entity")).eq(entity))
        .order_by(ident("name"), Order::Asc)
        .to_owned();
    db.conn()
        .fetch_all(&select, |row| {
            let query: String = required(row.text("query"), "query")?;
            Ok(SavedFilter {
                id: required(row.int("id"), "id")?,
                entity: required(row.text("entity"), "entity")?,
                name: required(row.text("name"), "name")?,
                query: serde_json::from_str(&query).unwrap_or_default(),
            })
        })
        .await
}

/// Saves (or replaces, by name) a filter.
pub async fn save(
    db: &Db,
    user_id: i64,
    entity: &str,
    name: &str,
    query: &SavedQuery,
) -> DbResult<SavedFilter> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(DbError::field(
            "name",
            "required",
            "is required (at most 100 characters)",
        ));
    }
    let mut tx = db.begin().await?;
    let delete = Query::delete()
        .from_table(ident("saved_filters"))
        .and_where(Expr::col(ident("user_id")).eq(user_id))
        .and_where(Expr::col(ident("entity")).eq(entity))
        .and_where(Expr::col(ident("name")).eq(name))
        .to_owned();
    tx.conn().execute(&delete).await?;
    let insert = Query::insert()
        .into_table(ident("saved_filters"))
        .columns(["user_id", "entity", "name", "query", "created_at"].map(ident))
        .values_panic([
            user_id.into(),
            entity.into(),
            name.into(),
            serde_json::to_string(query).unwrap_or_default().into(),
            timestamp_value(db.backend(), now()).into(),
        ])
        .to_owned();
    tx.conn().execute(&insert).await?;
    tx.commit().await?;
    list(db, user_id, entity)
        .await?
        .into_iter()
        .find(|f| f.name == name)
        .ok_or(DbError::NotFound)
}

/// Deletes one of the user's own saved filters.
pub async fn delete(db: &Db, user_id: i64, id: i64) -> DbResult<()> {
    let delete = Query::delete()
        .from_table(ident("saved_filters"))
        .and_where(Expr::col(ident("user_id")).eq(user_id))
        .and_where(Expr::col(ident("id")).eq(id))
        .to_owned();
    if db.conn().execute(&delete).await? == 0 {
        return Err(DbError::NotFound);
    }
    Ok(())
}
