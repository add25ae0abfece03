//! Admin-editable picklists (industry, level, category, source, region).

use crate::conn::required;
use crate::records::ident;
use crate::{Db, DbError, DbResult};
use kehu_core::validation::Picklists;
use sea_query::{Expr, Order, Query};

/// The picklists the built-in fields use, in the order the admin page shows them.
pub const LISTS: &[&str] = &["industry", "level", "category", "source", "region"];

/// Every picklist with its values in order.
pub async fn all(db: &Db) -> DbResult<Picklists> {
    let select = Query::select()
        .columns(["list", "value"].map(ident))
        .from(ident("picklist_values"))
        .order_by(ident("list"), Order::Asc)
        .order_by(ident("position"), Order::Asc)
        .order_by(ident("id"), Order::Asc)
        .to_owned();
    let rows = db
        .conn()
        .fetch_all(&select, |row| {
            Ok((
                required(row.text("list"), "list")?,
                required(row.text("value"), "value")?,
            ))
        })
        .await?;
    let mut lists = Picklists::new();
    for name in LISTS {
        lists.insert((*name).to_string(), Vec::new());
    }
    for (list, value) in rows {
        lists.entry(list).or_default().push(value);
    }
    Ok(lists)
}

/// Adds a value at the end of a list.
pub async fn add(db: &Db, list: &str, value: &str) -> DbResult<()> {
    if !LISTS.contains(&list) {
        return Err(DbError::NotFound);
    }
    let value = value.trim();
    if value.is_empty() || value.chars().count() > 100 {
        return Err(DbError::field(
            "value",
            "required",
            "is required (at most 100 characters)",
        ));
    }
    let current = all(db).await?;
    let existing = current.get(list).map(Vec::as_slice).unwrap_or_default();
    if existing.iter().any(|v| v == value) {
        return Err(DbError::field("value", "taken", "is already in the list"));
    }
    let insert = Query::insert()
        .into_table(ident("picklist_values"))
        .columns(["list", "value", "position"].map(ident))
        .values_panic([list.into(), value.into(), (existing.len() as i64).into()])
        .to_owned();
    db.conn().execute(&insert).await?;
    Ok(())
}

/// Removes a value from a list; records keep the text they have.
pub async fn remove(db: &Db, list: &str, value: &str) -> DbResult<()> {
    let delete = Query::delete()
        .from_table(ident("picklist_values"))
        .and_where(Expr::col(ident("list")).eq(list))
        .and_where(Expr::col(ident("value")).eq(value))
        .to_owned();
    if db.conn().execute(&delete).await? == 0 {
        return Err(DbError::NotFound);
    }
    Ok(())
}
