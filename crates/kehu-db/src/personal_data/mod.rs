//! Personal data of a person (a contact or an individual customer): everything Kehu holds
//! about them as one JSON document ([`export`]), and erasing it ([`erase`]).

mod erase;
mod redact;

pub use erase::{erase, erased_name};

use crate::consent::{self, is_person, not_a_person};
use crate::events::{self, NewEvent};
use crate::records::{account_of, get_in, ident, visibility_condition, Record};
use crate::{now, shares, Db, DbResult};
use kehu_core::entity::{EntityDef, CONTACT, ORDER};
use kehu_core::permission::{Action, Actor};
use sea_query::{Expr, Order, Query};
use serde_json::{json, Value as Json};

/// Version tag of the export's layout, for whoever reads the file later.
pub const EXPORT_FORMAT: &str = "kehu-personal-data/1";

/// Everything Kehu holds about a person the actor may read: the record with its custom
/// fields, its consents, its whole history (which includes the consent history), its
/// shares and, for an individual customer, their orders. Records of other people that are
/// linked to the person (who reports to them, the customer's contacts) are listed by id
/// only: they are those people's data, each with an export of their own. Recorded in the
/// audit log as an export of the record.
pub async fn export(
    db: &Db,
    entity: &'static EntityDef,
    actor: &Actor,
    source_ip: Option<&str>,
    record_id: i64,
) -> DbResult<Json> {
    let read = actor.visibility(entity.name, Action::Read);
    let record = get_in(&mut db.conn(), entity, &read, record_id, false).await?;
    if !is_person(&record) {
        return Err(not_a_person());
    }
    // Fields the reader's roles hide stay hidden here too, in the record and its history.
    let mut shown = record.clone();
    shown.mask(&actor.fields);
    let consents = consent::read(&mut db.conn(), entity.name, record_id).await?;
    let history = events::mask(
        events::all_of_record(db, entity.name, record_id).await?,
        &actor.fields,
    );
    let consent_history: Vec<&events::Event> = history
        .iter()
        .filter(|e| e.action == "consent_changed")
        .collect();
    let mut document = json!({
        "format": EXPORT_FORMAT,
        "exported_at": now().to_rfc3339(),
        "entity": entity.name,
        "record": shown.to_json(),
        "consents": consents,
        "consent_history": consent_history,
        "timeline": history,
        "shares": shares::list(db, entity, actor, record_id).await?,
    });
    match entity.name {
        "contact" => {
            document["direct_report_ids"] =
                json!(linked_ids(db, actor, &CONTACT, "reports_to_id", record_id).await?);
        }
        _ => {
            let mut orders = Vec::new();
            for id in linked_ids(db, actor, &ORDER, "account_id", record_id).await? {
                let mut order = get_in(
                    &mut db.conn(),
                    &ORDER,
                    &actor.visibility("order", Action::Read),
                    id,
                    false,
                )
                .await?;
                order.mask(&actor.fields);
                orders.push(order.to_json());
            }
            document["orders"] = Json::Array(orders);
            document["contact_ids"] =
                json!(linked_ids(db, actor, &CONTACT, "account_id", record_id).await?);
        }
    }
    audit_export(db, &record, actor, source_ip).await?;
    Ok(document)
}

/// Ids of live records of `linked` whose `column` points at the person and that the actor
/// may read.
async fn linked_ids(
    db: &Db,
    actor: &Actor,
    linked: &'static EntityDef,
    column: &str,
    record_id: i64,
) -> DbResult<Vec<i64>> {
    let select = Query::select()
        .column((ident(linked.table), ident("id")))
        .from(ident(linked.table))
        .and_where(Expr::col((ident(linked.table), ident(column))).eq(record_id))
        .and_where(Expr::col((ident(linked.table), ident("deleted_at"))).is_null())
        .cond_where(visibility_condition(
            db.backend(),
            linked.table,
            &actor.visibility(linked.name, Action::Read),
        ))
        .order_by((ident(linked.table), ident("id")), Order::Asc)
        .to_owned();
    db.conn().fetch_ints(&select).await
}

async fn audit_export(
    db: &Db,
    record: &Record,
    actor: &Actor,
    source_ip: Option<&str>,
) -> DbResult<()> {
    events::append(
        &mut db.conn(),
        &NewEvent {
            entity: record.entity.name,
            record_id: Some(record.id),
            account_id: account_of(record),
            action: "exported",
            actor_id: Some(actor.user_id),
            changes: Vec::new(),
            // What was exported, not the person's name: the audit log keeps it after an
            // erasure.
            summary: "personal data".into(),
            source_ip: source_ip.map(str::to_string),
        },
    )
    .await
}
