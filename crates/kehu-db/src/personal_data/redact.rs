//! Blanking the values in a record's past events after the person was erased: the one
//! update the `events` triggers of migration 0007 allow. The statement must produce
//! exactly what the trigger checks for (summary '', every old/new value null, field
//! names kept, nothing else changed), so the expressions here mirror the migration.

use crate::records::ident;
use crate::{Backend, Conn, DbResult};
use sea_query::{Expr, Query};

/// `changes` with every value null, as the SQLite trigger computes it from `old.changes`.
const SQLITE_REDACTED: &str = "(SELECT json_group_array(json_object('field', json_extract(c.value, '$.field'), 'old', NULL, 'new', NULL)) FROM json_each(events.changes) AS c)";
/// The same through the function the PostgreSQL migration defines.
const POSTGRES_REDACTED: &str = "events_redacted_changes(events.changes)";

/// Blanks the summary and values of every event of the record except the erasure
/// entries themselves. An `erased` event of the record must already exist (the trigger
/// refuses the update otherwise).
pub(crate) async fn redact_events(
    conn: &mut Conn<'_>,
    entity: &str,
    record_id: i64,
) -> DbResult<u64> {
    let redacted = match conn.backend() {
        Backend::Sqlite => SQLITE_REDACTED,
        Backend::Postgres => POSTGRES_REDACTED,
    };
    let update = Query::update()
        .table(ident("events"))
        .value(ident("summary"), "")
        .value(ident("changes"), Expr::cust(redacted))
        .and_where(Expr::col(ident("entity")).eq(entity))
        .and_where(Expr::col(ident("record_id")).eq(record_id))
        .and_where(Expr::col(ident("action")).ne("erased"))
        .to_owned();
    conn.execute(&update).await
}
