//! CSV and XLSX export of a list, through the caller's export scope and without the
//! fields their roles hide, recorded in the audit log.

use kehu_core::entity::{CustomFieldDef, EntityDef};
use kehu_core::field_security::{custom_field_name, FieldRules};
use kehu_core::permission::Visibility;
use kehu_db::events::{self, NewEvent};
use kehu_db::records::{self, ListQuery};
use kehu_db::{Db, DbResult};

/// Rows per database page while exporting.
const BATCH: u64 = 500;

/// An exported list: a header and one row per record, all text.
pub struct Table {
    /// Column names: the field names, custom fields as `custom.KEY`.
    pub header: Vec<String>,
    /// The records.
    pub rows: Vec<Vec<String>>,
}

/// Every record of the list (all pages), one column per field the caller may see. Hidden
/// columns are neither read nor written, so both formats carry the same columns.
pub async fn records_table(
    db: &Db,
    entity: &'static EntityDef,
    custom: &[CustomFieldDef],
    rules: &FieldRules,
    visibility: &Visibility,
    mut query: ListQuery,
) -> DbResult<Table> {
    let fields = rules.visible_fields(entity);
    let custom: Vec<&CustomFieldDef> = custom
        .iter()
        .filter(|c| !rules.is_hidden(entity.name, &custom_field_name(&c.key)))
        .collect();
    let mut header: Vec<String> = fields.iter().map(|f| f.name.to_string()).collect();
    header.extend(custom.iter().map(|c| custom_field_name(&c.key)));
    let mut rows = Vec::new();
    query.limit = BATCH;
    query.cursor = None;
    loop {
        let page = records::list(db, entity, visibility, &query, &fields).await?;
        for record in &page.records {
            // Form text keeps money in major units, as people read it.
            let mut row: Vec<String> = fields
                .iter()
                .map(|f| record.get(f.name).to_form_text(f.kind))
                .collect();
            row.extend(custom.iter().map(|c| match record.custom.get(&c.key) {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(serde_json::Value::Null) | None => String::new(),
                Some(other) => other.to_string(),
            }));
            rows.push(row);
        }
        match page.next_cursor.and_then(|c| records::Cursor::decode(&c)) {
            Some(cursor) => query.cursor = Some(cursor),
            None => break,
        }
    }
    Ok(Table { header, rows })
}

/// Records that someone exported a list (who, how many rows).
pub async fn audit_export(
    db: &Db,
    entity: &'static EntityDef,
    actor_id: i64,
    rows: usize,
    source_ip: Option<String>,
) -> DbResult<()> {
    events::append(
        &mut db.conn(),
        &NewEvent {
            entity: entity.name,
            record_id: None,
            account_id: None,
            action: "exported",
            actor_id: Some(actor_id),
            changes: Vec::new(),
            summary: format!("{rows} rows"),
            source_ip,
        },
    )
    .await
}
