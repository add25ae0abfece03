//! Looking up the names a page shows for ids: users, teams, and the customers and
//! contacts the reader may see (others stay `#id`, so nothing hidden is revealed).

use super::format::Names;
use kehu_core::entity::{EntityDef, ACCOUNT, CONTACT};
use kehu_core::filter::{Filter, FilterOp, FilterTarget, FilterValue, Sort};
use kehu_core::permission::Actor;
use kehu_db::records::{ListQuery, Record};
use kehu_db::users::User;
use kehu_db::{teams, users, Db, DbResult};
use std::collections::HashMap;

/// Every user (active or not), by display name.
pub async fn all_users(db: &Db) -> DbResult<Vec<User>> {
    users::list(db).await
}

/// Names of all users and teams.
pub async fn people(db: &Db) -> DbResult<Names> {
    let users = all_users(db).await?;
    let teams = teams::list(db).await?;
    Ok(Names {
        users: users.into_iter().map(|u| (u.id, u.display_name)).collect(),
        teams: teams.into_iter().map(|t| (t.id, t.name)).collect(),
        ..Names::default()
    })
}

/// Visible records of an entity among `ids`, with the given columns.
pub async fn records_by_ids(
    db: &Db,
    entity: &'static EntityDef,
    actor: &Actor,
    ids: &[i64],
) -> DbResult<Vec<Record>> {
    let mut ids: Vec<i64> = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let query = ListQuery {
        text: None,
        filters: vec![Filter {
            target: FilterTarget::Field(entity.field("id").expect("records have ids")),
            op: FilterOp::In,
            values: ids.iter().map(|id| FilterValue::Int(*id)).collect(),
        }],
        sort: Sort {
            field: entity.field("id").expect("records have ids"),
            descending: false,
        },
        limit: 200,
        cursor: None,
        in_recycle_bin: false,
        whole_words: false,
    };
    crate::lists::readable_records(db, actor, entity, &query).await
}

/// Names of the visible records of an entity among `ids`.
pub async fn names_of(
    db: &Db,
    entity: &'static EntityDef,
    actor: &Actor,
    ids: &[i64],
) -> DbResult<HashMap<i64, String>> {
    Ok(records_by_ids(db, entity, actor, ids)
        .await?
        .into_iter()
        .map(|r| (r.id, r.text("name").unwrap_or_default().to_string()))
        .collect())
}

/// Adds the names of the customers and contacts that these records refer to.
pub async fn add_references(
    db: &Db,
    actor: &Actor,
    names: &mut Names,
    records: &[Record],
) -> DbResult<()> {
    let ids = |field: &str| -> Vec<i64> { records.iter().filter_map(|r| r.int(field)).collect() };
    names
        .accounts
        .extend(names_of(db, &ACCOUNT, actor, &ids("account_id")).await?);
    names
        .contacts
        .extend(names_of(db, &CONTACT, actor, &ids("reports_to_id")).await?);
    Ok(())
}
