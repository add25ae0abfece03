//! Orders beyond the generic record paths: matching imported rows to customers and
//! reading the purchase history that customer analytics work on.
//!
//! Orders are an ordinary catalogued entity ([`kehu_core::entity::ORDER`]), so create,
//! change, delete, list and search go through [`crate::records`] like customers do.

use crate::records::{ident, visibility_condition};
use crate::{Db, DbResult};
use chrono::NaiveDate;
use kehu_core::entity::CANCELLED;
use kehu_core::order_lines::OrderLine;
use kehu_core::permission::Visibility;
use sea_query::{Alias, Cond, Expr, Func, Query, SqliteQueryBuilder};
use std::collections::HashMap;
use std::ops::RangeInclusive;

/// A customer an import row refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CustomerRef {
    /// The customer's id.
    pub id: i64,
    /// The customer's owner, who also owns its orders.
    pub owner_id: i64,
}

/// Keys per statement when matching customers; far below both backends' parameter limits.
const KEYS_PER_QUERY: usize = 500;

/// Finds the customers (not in the recycle bin, inside `visibility`) that `keys` name:
/// a key is a customer's id or its customer code. A code wins over an id when both
/// match different customers, because an import file's ids come from another system.
pub async fn customers_by_key(
    db: &Db,
    visibility: &Visibility,
    keys: &[&str],
) -> DbResult<HashMap<String, CustomerRef>> {
    let mut unique: Vec<&str> = keys.to_vec();
    unique.sort_unstable();
    unique.dedup();
    let mut found = HashMap::new();
    for chunk in unique.chunks(KEYS_PER_QUERY) {
        let ids: Vec<i64> = chunk.iter().filter_map(|k| k.parse().ok()).collect();
        let codes: Vec<String> = chunk.iter().map(|k| k.to_string()).collect();
        let select = Query::select()
            .columns([ident("id"), ident("owner_id"), ident("code")])
            .from(ident("accounts"))
            .and_where(Expr::col(ident("deleted_at")).is_null())
            .cond_where(visibility_condition(db.backend(), "accounts", visibility))
            .cond_where(
                Cond::any()
                    .add(Expr::col(ident("id")).is_in(ids))
                    .add(Expr::col(ident("code")).is_in(codes)),
            )
            .to_owned();
        let rows = db
            .conn()
            .fetch_all(&select, |row| {
                Ok((
                    crate::conn::required(row.int("id"), "id")?,
                    crate::conn::required(row.int("owner_id"), "owner_id")?,
                    row.text("code")?,
                ))
            })
            .await?;
        for (id, owner_id, code) in rows {
            let customer = CustomerRef { id, owner_id };
            found.entry(id.to_string()).or_insert(customer);
            if let Some(code) = code {
                found.insert(code, customer);
            }
        }
    }
    Ok(found)
}

/// One purchase as analytics see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PurchaseRow {
    /// The customer.
    pub account_id: i64,
    /// The order date.
    pub date: NaiveDate,
    /// The order total in minor units.
    pub total: i64,
}

/// The smallest and largest customer id with an order (any status), for reading
/// [`each_purchase`] range by range; `None` without orders.
pub async fn purchase_account_bounds(db: &Db) -> DbResult<Option<(i64, i64)>> {
    // One statement each: SQLite reads a lone MIN or MAX off the index's end, but with
    // both in one SELECT it scans every order (1.2 s on ten million, against 8 ms).
    let mut bounds = Vec::with_capacity(2);
    for bound in [
        Func::min(Expr::col(ident("account_id"))),
        Func::max(Expr::col(ident("account_id"))),
    ] {
        let select = Query::select()
            .expr_as(bound, Alias::new("bound"))
            .from(ident("orders"))
            .to_owned();
        let found = db
            .conn()
            .fetch_optional(&select, |row| row.int("bound"))
            .await?;
        bounds.push(found.flatten());
    }
    Ok(match bounds[..] {
        [Some(low), Some(high)] => Some((low, high)),
        _ => None,
    })
}

/// Gives `each` the purchases up to `as_of` of the customers with an id in `account_ids`
/// whom `accounts` covers (and not in the recycle bin), in orders that `orders` covers:
/// cancelled orders and anything in the recycle bin do not count. In customer and date
/// order.
///
/// Two statements, each its own short read (on a SQLite reader, which no writer waits
/// for): callers read a big database range by range, so WAL checkpoints carry on in
/// between. The orders come from the `orders_purchases` index alone, row by row: on ten
/// million orders, summing them in Rust took less than half the time of SQL's GROUP BY
/// with the distinct days and the first day's total (BENCHMARKS.md).
pub async fn each_purchase(
    db: &Db,
    accounts: &Visibility,
    orders: &Visibility,
    as_of: NaiveDate,
    account_ids: RangeInclusive<i64>,
    mut each: impl FnMut(PurchaseRow),
) -> DbResult<()> {
    let (low, high) = (*account_ids.start(), *account_ids.end());
    let account_col = |name: &str| Expr::col((ident("accounts"), ident(name)));
    let live = Query::select()
        .column((ident("accounts"), ident("id")))
        .from(ident("accounts"))
        .and_where(account_col("deleted_at").is_null())
        .and_where(account_col("id").between(low, high))
        .cond_where(visibility_condition(db.backend(), "accounts", accounts))
        .order_by((ident("accounts"), ident("id")), sea_query::Order::Asc)
        .to_owned();
    let live = db.conn().fetch_ints(&live).await?;
    let order_col = |name: &str| Expr::col((ident("orders"), ident(name)));
    let select = Query::select()
        .columns(["account_id", "order_date", "total"].map(|c| (ident("orders"), ident(c))))
        .from(ident("orders"))
        .and_where(order_col("deleted_at").is_null())
        // The partial index's own condition, written as it is in the migration: with the
        // status as a bound value SQLite cannot tell that the index covers the query.
        .and_where(Expr::cust(format!("orders.status <> '{CANCELLED}'")))
        .and_where(order_col("order_date").lte(as_of))
        .and_where(order_col("account_id").between(low, high))
        .cond_where(visibility_condition(db.backend(), "orders", orders))
        .order_by(
            (ident("orders"), ident("account_id")),
            sea_query::Order::Asc,
        )
        .order_by(
            (ident("orders"), ident("order_date")),
            sea_query::Order::Asc,
        )
        .to_owned();
    // Both in id order: a customer's orders count while the walk through the live ids
    // stands on that customer.
    let mut live = live.into_iter().peekable();
    let mut visit = |account_id: i64, date: Option<NaiveDate>, total: Option<i64>| {
        while live.next_if(|&id| id < account_id).is_some() {}
        if live.peek() == Some(&account_id) {
            each(PurchaseRow {
                account_id,
                date: crate::conn::required(Ok(date), "order_date")?,
                total: crate::conn::required(Ok(total), "total")?,
            });
        }
        Ok(())
    };
    match db {
        // Columns by position: the names cost more than the reading on ten million rows.
        Db::Sqlite(pool) => {
            let (sql, values) = select.build(SqliteQueryBuilder);
            pool.read_or_write(&sql, &values, |row| {
                let account_id = crate::conn::required(row.int_at(0), "account_id")?;
                Ok(visit(account_id, row.date_at(1)?, row.int_at(2)?)?)
            })
            .await?;
            Ok(())
        }
        Db::Postgres(_) => {
            db.conn()
                .for_each(&select, |row| {
                    let account_id = crate::conn::required(row.int("account_id"), "account_id")?;
                    visit(account_id, row.date("order_date")?, row.int("total")?)
                })
                .await
        }
    }
}

/// [`each_purchase`] of every customer, collected.
pub async fn purchases(
    db: &Db,
    accounts: &Visibility,
    orders: &Visibility,
    as_of: NaiveDate,
) -> DbResult<Vec<PurchaseRow>> {
    let mut found = Vec::new();
    each_purchase(db, accounts, orders, as_of, i64::MIN..=i64::MAX, |p| {
        found.push(p)
    })
    .await?;
    Ok(found)
}

/// Creates an order together with its lines in one transaction: the order's `total`
/// (and `quantity`, when not given) must already be the lines' sums
/// ([`kehu_core::order_lines::check_lines`]). The order itself goes through the generic
/// record path (permission, references, audit).
pub async fn create_with_lines(
    db: &Db,
    actor: &kehu_core::permission::Actor,
    source_ip: Option<&str>,
    changes: kehu_core::validation::Changes,
    lines: &[OrderLine],
) -> DbResult<crate::records::Record> {
    let mut tx = db.begin().await?;
    let order = crate::records::create_in(
        &mut tx,
        &kehu_core::entity::ORDER,
        actor,
        source_ip,
        changes,
    )
    .await?;
    if !lines.is_empty() {
        let mut insert = Query::insert();
        insert.into_table(ident("order_lines")).columns(
            [
                "order_id",
                "position",
                "product",
                "quantity",
                "unit_price",
                "amount",
            ]
            .map(ident),
        );
        for (position, line) in lines.iter().enumerate() {
            insert
                .values([
                    order.id.into(),
                    (position as i64).into(),
                    line.product.clone().into(),
                    line.quantity.into(),
                    line.unit_price.into(),
                    line.amount.into(),
                ])
                .map_err(anyhow::Error::from)?;
        }
        tx.conn().execute(&insert).await?;
    }
    tx.commit().await?;
    Ok(order)
}

/// The lines of orders the caller has already read (and so may see), by order id, in
/// their order. Orders without lines are absent.
pub async fn lines_of(db: &Db, order_ids: &[i64]) -> DbResult<HashMap<i64, Vec<OrderLine>>> {
    let mut found: HashMap<i64, Vec<OrderLine>> = HashMap::new();
    if order_ids.is_empty() {
        return Ok(found);
    }
    let select = Query::select()
        .columns(["order_id", "product", "quantity", "unit_price", "amount"].map(ident))
        .from(ident("order_lines"))
        .and_where(Expr::col(ident("order_id")).is_in(order_ids.iter().copied()))
        .order_by(ident("order_id"), sea_query::Order::Asc)
        .order_by(ident("position"), sea_query::Order::Asc)
        .to_owned();
    let rows = db
        .conn()
        .fetch_all(&select, |row| {
            Ok((
                crate::conn::required(row.int("order_id"), "order_id")?,
                OrderLine {
                    product: row.text("product")?.unwrap_or_default(),
                    quantity: crate::conn::required(row.int("quantity"), "quantity")?,
                    unit_price: crate::conn::required(row.int("unit_price"), "unit_price")?,
                    amount: crate::conn::required(row.int("amount"), "amount")?,
                },
            ))
        })
        .await?;
    for (order_id, line) in rows {
        found.entry(order_id).or_default().push(line);
    }
    Ok(found)
}
