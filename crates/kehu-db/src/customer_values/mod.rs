//! Stored customer analytics: one row per computation ([`AnalyticsRun`]) and per
//! customer and run ([`CustomerValue`]): RFM scores and segment, ABC class, CLV,
//! P(alive) and lifecycle stage.
//!
//! A run is written in short transactions, so the SQLite write lock is never held for
//! long, and only counts once [`finish_run`] has set `computed_at`; readers keep seeing
//! the previous complete run until then, and [`discard_older_runs`] clears it away after. Every read joins the customer and applies the
//! reader's customer visibility, so a sales rep's figures cover only their customers.

use crate::conn::{required, DynRow};
use crate::records::{ident, visibility_condition};
use crate::{now, timestamp_value, Backend, Db, DbResult};
use chrono::{DateTime, NaiveDate, Utc};
use kehu_core::permission::Visibility;
use sea_query::{Alias, Expr, Func, Order, Query, SelectStatement, SimpleExpr};
use serde_json::Value as Json;

/// One computation of customer values.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalyticsRun {
    /// Its id.
    pub id: i64,
    /// When the computation started.
    pub started_at: DateTime<Utc>,
    /// When its results were complete; `None` while it runs (or if it died).
    pub computed_at: Option<DateTime<Utc>>,
    /// The day recency and ages are measured to.
    pub as_of: NaiveDate,
    /// The settings used (classes, thresholds, horizon, …).
    pub parameters: Json,
    /// The fitted models: parameters, log-likelihood, standard errors.
    pub model: Json,
    /// How many customers with purchases were analysed.
    pub customers: i64,
    /// How many purchases were read.
    pub purchases: i64,
}

/// The analytics of one customer in one run. Money in minor units.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerValue {
    /// The customer.
    pub account_id: i64,
    /// Its first purchase.
    pub first_order_date: NaiveDate,
    /// Its last purchase.
    pub last_order_date: NaiveDate,
    /// Days from the last purchase to the run's as-of day.
    pub recency_days: i64,
    /// Number of purchases.
    pub frequency: i64,
    /// Sum of the purchases.
    pub monetary: i64,
    /// Recency score (most recent = highest).
    pub r_score: i64,
    /// Frequency score.
    pub f_score: i64,
    /// Monetary score.
    pub m_score: i64,
    /// RFM segment name (`champions`, `at_risk`, …).
    pub segment: String,
    /// `A`, `B` or `C`.
    pub abc_class: String,
    /// Expected purchases over the run's horizon, when the model could be fitted.
    pub expected_purchases: Option<f64>,
    /// Probability that the customer is still buying.
    pub p_alive: Option<f64>,
    /// Expected spend per purchase (Gamma-Gamma).
    pub expected_avg_spend: Option<f64>,
    /// Customer lifetime value over the horizon, discounted.
    pub clv: Option<i64>,
    /// Lifecycle stage (`new`, `active`, `at_risk`, `dormant`, `lost`).
    pub lifecycle: String,
}

impl CustomerValue {
    /// CLV × (1 − P(alive)): the value that leaves if the customer has gone.
    pub fn value_at_risk(&self) -> Option<f64> {
        Some(self.clv? as f64 * (1.0 - self.p_alive?))
    }
}

/// A stored value together with the customer's name, as lists show it.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedValue {
    /// The customer's name.
    pub name: String,
    /// The customer's owner.
    pub owner_id: i64,
    /// The analytics.
    pub value: CustomerValue,
}

const VALUE_COLUMNS: [&str; 17] = [
    "account_id",
    "first_order_date",
    "last_order_date",
    "recency_days",
    "frequency",
    "monetary",
    "r_score",
    "f_score",
    "m_score",
    "segment",
    "abc_class",
    "expected_purchases",
    "p_alive",
    "expected_avg_spend",
    "clv",
    "lifecycle",
    "run_id",
];

/// The job kind that recomputes customer values (run by `kehu-jobs`).
pub const JOB_KIND: &str = "compute_customer_values";

/// Queues a recomputation unless one is already waiting or running; gives the job's id,
/// or `None` when one was already queued.
pub async fn request_recompute(db: &Db, requested_by: Option<i64>) -> DbResult<Option<i64>> {
    if crate::jobs::pending(db, JOB_KIND).await? > 0 {
        return Ok(None);
    }
    let payload = serde_json::json!({ "requested_by": requested_by });
    Ok(Some(
        crate::jobs::enqueue(db, JOB_KIND, &payload, now()).await?,
    ))
}

mod sqlite_write;

/// Rows per insert transaction on PostgreSQL.
const WRITE_BATCH: usize = 500;
/// Rows per delete statement on PostgreSQL when an old run is cleared away.
const DELETE_BATCH: i64 = 2_000;

/// Records that a computation has started; its results stay hidden until [`finish_run`].
pub async fn start_run(
    db: &Db,
    as_of: NaiveDate,
    parameters: &Json,
    requested_by: Option<i64>,
) -> DbResult<i64> {
    let insert = Query::insert()
        .into_table(ident("analytics_runs"))
        .columns([
            ident("started_at"),
            ident("as_of"),
            ident("parameters"),
            ident("requested_by"),
        ])
        .values([
            Expr::val(timestamp_value(db.backend(), now())).into(),
            Expr::val(as_of).into(),
            Expr::val(parameters.to_string()).into(),
            Expr::val(requested_by).into(),
        ])
        .map_err(anyhow::Error::from)?
        .returning_col(ident("id"))
        .to_owned();
    db.conn()
        .fetch_ints(&insert)
        .await?
        .first()
        .copied()
        .ok_or_else(|| anyhow::anyhow!("insert returned no id").into())
}

/// Writes a run's values: on SQLite in transactions of a few milliseconds (see
/// [`sqlite_write`]), on PostgreSQL [`WRITE_BATCH`] rows per transaction.
pub async fn store_values(db: &Db, run_id: i64, values: &[CustomerValue]) -> DbResult<()> {
    if let Db::Sqlite(pool) = db {
        return sqlite_write::store_values(pool, run_id, values).await;
    }
    for batch in values.chunks(WRITE_BATCH) {
        let mut insert = Query::insert();
        insert
            .into_table(ident("customer_values"))
            .columns(VALUE_COLUMNS.map(ident));
        for v in batch {
            insert
                .values([
                    Expr::val(v.account_id).into(),
                    Expr::val(v.first_order_date).into(),
                    Expr::val(v.last_order_date).into(),
                    Expr::val(v.recency_days).into(),
                    Expr::val(v.frequency).into(),
                    Expr::val(v.monetary).into(),
                    Expr::val(v.r_score).into(),
                    Expr::val(v.f_score).into(),
                    Expr::val(v.m_score).into(),
                    Expr::val(v.segment.clone()).into(),
                    Expr::val(v.abc_class.clone()).into(),
                    Expr::val(v.expected_purchases).into(),
                    Expr::val(v.p_alive).into(),
                    Expr::val(v.expected_avg_spend).into(),
                    Expr::val(v.clv).into(),
                    Expr::val(v.lifecycle.clone()).into(),
                    Expr::val(run_id).into(),
                ])
                .map_err(anyhow::Error::from)?;
        }
        let mut tx = db.begin().await?;
        tx.conn().execute(&insert).await?;
        tx.commit().await?;
    }
    Ok(())
}

/// Makes a run's results the current ones: readers switch to it at once.
pub async fn finish_run(
    db: &Db,
    run_id: i64,
    model: &Json,
    customers: i64,
    purchases: i64,
) -> DbResult<()> {
    let update = Query::update()
        .table(ident("analytics_runs"))
        .value(ident("computed_at"), timestamp_value(db.backend(), now()))
        .value(ident("model"), model.to_string())
        .value(ident("customers"), customers)
        .value(ident("purchases"), purchases)
        .and_where(Expr::col(ident("id")).eq(run_id))
        .to_owned();
    db.conn().execute(&update).await?;
    Ok(())
}

/// Deletes the runs older than `run_id` (finished or abandoned), in batches.
pub async fn discard_older_runs(db: &Db, run_id: i64) -> DbResult<()> {
    let older = Query::select()
        .column(ident("id"))
        .from(ident("analytics_runs"))
        .and_where(Expr::col(ident("id")).lt(run_id))
        .to_owned();
    for old_run in db.conn().fetch_ints(&older).await? {
        discard_run(db, old_run).await?;
    }
    Ok(())
}

/// Deletes a run and its values, a batch of values per statement.
pub async fn discard_run(db: &Db, run_id: i64) -> DbResult<()> {
    match db {
        Db::Sqlite(pool) => sqlite_write::delete_values(pool, run_id).await?,
        Db::Postgres(_) => delete_values_in_batches(db, run_id).await?,
    }
    let delete = Query::delete()
        .from_table(ident("analytics_runs"))
        .and_where(Expr::col(ident("id")).eq(run_id))
        .to_owned();
    db.conn().execute(&delete).await?;
    Ok(())
}

/// Deletes a run's values, [`DELETE_BATCH`] rows per statement.
async fn delete_values_in_batches(db: &Db, run_id: i64) -> DbResult<()> {
    loop {
        let batch = Query::select()
            .column(ident("account_id"))
            .from(ident("customer_values"))
            .and_where(Expr::col(ident("run_id")).eq(run_id))
            .limit(DELETE_BATCH as u64)
            .to_owned();
        let delete = Query::delete()
            .from_table(ident("customer_values"))
            .and_where(Expr::col(ident("run_id")).eq(run_id))
            .and_where(Expr::col(ident("account_id")).in_subquery(batch))
            .to_owned();
        if db.conn().execute(&delete).await? == 0 {
            return Ok(());
        }
    }
}

/// The newest complete run, if any.
pub async fn latest_run(db: &Db) -> DbResult<Option<AnalyticsRun>> {
    let select = Query::select()
        .columns(
            [
                "id",
                "started_at",
                "computed_at",
                "as_of",
                "parameters",
                "model",
                "customers",
                "purchases",
            ]
            .map(ident),
        )
        .from(ident("analytics_runs"))
        .and_where(Expr::col(ident("computed_at")).is_not_null())
        .order_by(ident("id"), Order::Desc)
        .limit(1)
        .to_owned();
    let json = |row: &dyn DynRow, column: &str| -> sqlx::Result<Json> {
        Ok(row
            .text(column)?
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or(Json::Null))
    };
    db.conn()
        .fetch_optional(&select, |row| {
            Ok(AnalyticsRun {
                id: required(row.int("id"), "id")?,
                started_at: required(row.timestamp("started_at"), "started_at")?,
                computed_at: row.timestamp("computed_at")?,
                as_of: required(row.date("as_of"), "as_of")?,
                parameters: json(row, "parameters")?,
                model: json(row, "model")?,
                customers: required(row.int("customers"), "customers")?,
                purchases: required(row.int("purchases"), "purchases")?,
            })
        })
        .await
}

/// Which stored values a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValueFilter {
    /// Only this RFM segment.
    pub segment: Option<String>,
    /// Only this ABC class.
    pub abc_class: Option<String>,
    /// Only this lifecycle stage.
    pub lifecycle: Option<String>,
    /// Only this recency score.
    pub r_score: Option<i64>,
    /// Only this frequency score.
    pub f_score: Option<i64>,
}

/// The order of a value list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueOrder {
    /// Highest revenue first.
    Monetary,
    /// Highest CLV first.
    Clv,
    /// Highest CLV × (1 − P(alive)) first: the at-risk list.
    ValueAtRisk,
}

/// The run's values of customers `visibility` covers, filtered and ordered, at most `limit`.
pub async fn list_values(
    db: &Db,
    visibility: &Visibility,
    run_id: i64,
    filter: &ValueFilter,
    order: ValueOrder,
    limit: u64,
) -> DbResult<Vec<NamedValue>> {
    let mut select = visible_values(db.backend(), visibility, run_id);
    select
        .columns(
            VALUE_COLUMNS[..16]
                .iter()
                .map(|c| (ident("customer_values"), ident(c))),
        )
        .columns([
            (ident("accounts"), ident("name")),
            (ident("accounts"), ident("owner_id")),
        ]);
    let col = |name: &str| Expr::col((ident("customer_values"), ident(name)));
    if let Some(segment) = &filter.segment {
        select.and_where(col("segment").eq(segment.as_str()));
    }
    if let Some(class) = &filter.abc_class {
        select.and_where(col("abc_class").eq(class.as_str()));
    }
    if let Some(stage) = &filter.lifecycle {
        select.and_where(col("lifecycle").eq(stage.as_str()));
    }
    if let Some(r) = filter.r_score {
        select.and_where(col("r_score").eq(r));
    }
    if let Some(f) = filter.f_score {
        select.and_where(col("f_score").eq(f));
    }
    match order {
        ValueOrder::Monetary => {
            select.order_by((ident("customer_values"), ident("monetary")), Order::Desc);
        }
        ValueOrder::Clv => {
            select
                .and_where(col("clv").is_not_null())
                .order_by((ident("customer_values"), ident("clv")), Order::Desc);
        }
        ValueOrder::ValueAtRisk => {
            let at_risk: SimpleExpr = col("clv").mul(Expr::val(1.0f64).sub(col("p_alive")));
            select
                .and_where(col("clv").is_not_null())
                .and_where(col("p_alive").is_not_null())
                .order_by_expr(at_risk, Order::Desc);
        }
    }
    select
        .order_by((ident("customer_values"), ident("account_id")), Order::Asc)
        .limit(limit.clamp(1, 1_000));
    db.conn()
        .fetch_all(&select, |row| {
            Ok(NamedValue {
                name: row.text("name")?.unwrap_or_default(),
                owner_id: required(row.int("owner_id"), "owner_id")?,
                value: value_from_row(row)?,
            })
        })
        .await
}

/// The latest values of one customer, if the reader may see it and it was analysed.
pub async fn value_of_account(
    db: &Db,
    visibility: &Visibility,
    account_id: i64,
) -> DbResult<Option<CustomerValue>> {
    let Some(run) = latest_run(db).await? else {
        return Ok(None);
    };
    let mut select = visible_values(db.backend(), visibility, run.id);
    select
        .columns(
            VALUE_COLUMNS[..16]
                .iter()
                .map(|c| (ident("customer_values"), ident(c))),
        )
        .and_where(Expr::col((ident("customer_values"), ident("account_id"))).eq(account_id));
    db.conn().fetch_optional(&select, value_from_row).await
}

/// Customers and revenue of one group of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupTotal {
    /// The group's key (segment, class, stage, or `r,f` for grid cells).
    pub key: String,
    /// Recency score, for grid cells.
    pub r_score: Option<i64>,
    /// Frequency score, for grid cells.
    pub f_score: Option<i64>,
    /// Customers in the group.
    pub customers: i64,
    /// Their revenue, minor units.
    pub revenue: i64,
    /// Their summed CLV, minor units (customers without a CLV count as 0).
    pub clv: i64,
}

/// What a run's values are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    /// RFM segment.
    Segment,
    /// ABC class.
    AbcClass,
    /// Lifecycle stage.
    Lifecycle,
    /// R × F grid cell.
    RfmCell,
}

/// Totals per group over the customers `visibility` covers.
pub async fn group_totals(
    db: &Db,
    visibility: &Visibility,
    run_id: i64,
    grouping: Grouping,
) -> DbResult<Vec<GroupTotal>> {
    let mut select = visible_values(db.backend(), visibility, run_id);
    let col = |name: &str| Expr::col((ident("customer_values"), ident(name)));
    let keys: &[&str] = match grouping {
        Grouping::Segment => &["segment"],
        Grouping::AbcClass => &["abc_class"],
        Grouping::Lifecycle => &["lifecycle"],
        Grouping::RfmCell => &["r_score", "f_score"],
    };
    for key in keys {
        select
            .column((ident("customer_values"), ident(key)))
            .group_by_col((ident("customer_values"), ident(key)))
            .order_by((ident("customer_values"), ident(key)), Order::Asc);
    }
    select
        .expr_as(Func::count(Expr::val(1)), Alias::new("customers"))
        // A SUM of integers is NUMERIC on PostgreSQL; cast it back to an integer.
        .expr_as(
            Func::cast_as(Func::sum(col("monetary")), Alias::new("BIGINT")),
            Alias::new("revenue"),
        )
        .expr_as(
            Func::cast_as(
                Func::sum(Func::coalesce([col("clv").into(), Expr::val(0i64).into()])),
                Alias::new("BIGINT"),
            ),
            Alias::new("clv_total"),
        );
    db.conn()
        .fetch_all(&select, |row| {
            let r_score = row.int("r_score").ok().flatten();
            let f_score = row.int("f_score").ok().flatten();
            let key = match grouping {
                Grouping::RfmCell => format!("{},{}", r_score.unwrap_or(0), f_score.unwrap_or(0)),
                _ => row.text(keys[0])?.unwrap_or_default(),
            };
            Ok(GroupTotal {
                key,
                r_score: if grouping == Grouping::RfmCell {
                    r_score
                } else {
                    None
                },
                f_score: if grouping == Grouping::RfmCell {
                    f_score
                } else {
                    None
                },
                customers: row.int("customers")?.unwrap_or(0),
                revenue: row.int("revenue")?.unwrap_or(0),
                clv: row.int("clv_total")?.unwrap_or(0),
            })
        })
        .await
}

/// `customer_values` of a run joined to the visible customers not in the recycle bin.
fn visible_values(backend: Backend, visibility: &Visibility, run_id: i64) -> SelectStatement {
    Query::select()
        .from(ident("customer_values"))
        .inner_join(
            ident("accounts"),
            Expr::col((ident("accounts"), ident("id")))
                .equals((ident("customer_values"), ident("account_id"))),
        )
        .and_where(Expr::col((ident("customer_values"), ident("run_id"))).eq(run_id))
        .and_where(Expr::col((ident("accounts"), ident("deleted_at"))).is_null())
        .cond_where(visibility_condition(backend, "accounts", visibility))
        .to_owned()
}

fn value_from_row(row: &dyn DynRow) -> sqlx::Result<CustomerValue> {
    Ok(CustomerValue {
        account_id: required(row.int("account_id"), "account_id")?,
        first_order_date: required(row.date("first_order_date"), "first_order_date")?,
        last_order_date: required(row.date("last_order_date"), "last_order_date")?,
        recency_days: required(row.int("recency_days"), "recency_days")?,
        frequency: required(row.int("frequency"), "frequency")?,
        monetary: required(row.int("monetary"), "monetary")?,
        r_score: required(row.int("r_score"), "r_score")?,
        f_score: required(row.int("f_score"), "f_score")?,
        m_score: required(row.int("m_score"), "m_score")?,
        segment: required(row.text("segment"), "segment")?,
        abc_class: required(row.text("abc_class"), "abc_class")?,
        expected_purchases: row.float("expected_purchases")?,
        p_alive: row.float("p_alive")?,
        expected_avg_spend: row.float("expected_avg_spend")?,
        clv: row.int("clv")?,
        lifecycle: required(row.text("lifecycle"), "lifecycle")?,
    })
}

/// The CLVs (minor units) of a run's customers `visibility` covers, for a histogram.
pub async fn clv_values(db: &Db, visibility: &Visibility, run_id: i64) -> DbResult<Vec<i64>> {
    let mut select = visible_values(db.backend(), visibility, run_id);
    select
        .column((ident("customer_values"), ident("clv")))
        .and_where(Expr::col((ident("customer_values"), ident("clv"))).is_not_null());
    db.conn().fetch_ints(&select).await
}
