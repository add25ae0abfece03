//! A customer's related lists (its contacts, its timeline) and the global search.

use crate::auth::ApiAuth;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::Json;
use kehu_core::entity::{EntityDef, ACCOUNT, CONTACT};
use kehu_core::filter::{Filter, FilterOp, FilterTarget, FilterValue, Sort};
use kehu_core::permission::Action;
use kehu_db::records::{self, ListQuery, Record};
use kehu_db::{events, Db, DbResult};
use serde::Deserialize;
use serde_json::{json, Value};

/// The contacts of a customer the reader may see, by name, without the fields they may
/// not see.
pub async fn account_contacts(
    db: &Db,
    actor: &kehu_core::permission::Actor,
    account_id: i64,
) -> DbResult<Vec<Record>> {
    let query = ListQuery {
        text: None,
        filters: vec![Filter {
            target: FilterTarget::Field(
                CONTACT
                    .field("account_id")
                    .expect("contacts have account_id"),
            ),
            op: FilterOp::Eq,
            values: vec![FilterValue::Int(account_id)],
        }],
        sort: Sort {
            field: CONTACT.field("name").expect("contacts have names"),
            descending: false,
        },
        limit: 200,
        cursor: None,
        in_recycle_bin: false,
        whole_words: false,
    };
    let columns = actor.fields.visible_fields(&CONTACT);
    let mut contacts = records::list(
        db,
        &CONTACT,
        &actor.visibility("contact", Action::Read),
        &query,
        &columns,
    )
    .await?
    .records;
    for contact in &mut contacts {
        contact.mask(&actor.fields);
    }
    Ok(contacts)
}

/// `GET /api/v1/accounts/{id}/contacts`.
pub async fn contacts_of_account(
    ApiAuth(auth): ApiAuth,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    records::get(
        &state.db,
        &ACCOUNT,
        &auth.actor.visibility("account", Action::Read),
        id,
    )
    .await?;
    let contacts = account_contacts(&state.db, &auth.actor, id).await?;
    Ok(Json(
        json!({"data": contacts.iter().map(Record::to_json).collect::<Vec<_>>()}),
    ))
}

/// Paging of a timeline.
#[derive(Debug, Deserialize)]
pub struct TimelineParams {
    /// Show events older than this event id.
    pub before: Option<i64>,
    /// How many events (1–500, default 50).
    pub limit: Option<u64>,
}

/// `GET /api/v1/accounts/{id}/timeline`.
pub async fn account_timeline(
    ApiAuth(auth): ApiAuth,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(params): Query<TimelineParams>,
) -> Result<Json<Value>, ApiError> {
    records::get(
        &state.db,
        &ACCOUNT,
        &auth.actor.visibility("account", Action::Read),
        id,
    )
    .await?;
    let events = events::customer_timeline(
        &state.db,
        id,
        &auth.actor.visibility("contact", Action::Read),
        &auth.actor.visibility("order", Action::Read),
        params.before,
        params.limit.unwrap_or(50),
    )
    .await?;
    let events = events::mask(events, &auth.actor.fields);
    Ok(Json(json!({"data": events})))
}

/// Search text.
#[derive(Debug, Deserialize)]
pub struct SearchParams {
    /// What the user typed.
    pub q: Option<String>,
}

/// Customers and contacts matching a search, first page of each, without the fields the
/// user may not see.
///
/// Records that hold every typed word as a whole word come first, newest first; the
/// page is then filled with the other matches (prefix completions, phone and e-mail
/// fragments), newest first. Typing `john` lists the Johns before the Johnsons, and the
/// common case costs one cheap pass: a whole word is read newest first and stops after
/// a page, where a prefix over a common word makes SQLite gather every completion first
/// (see [`kehu_search::SearchQuery::whole_words`]).
pub async fn global_search(
    db: &Db,
    actor: &kehu_core::permission::Actor,
    text: &str,
    per_entity: u64,
) -> DbResult<(Vec<Record>, Vec<Record>)> {
    let has_narrower_pass = kehu_search::parse_query(text).whole_words().is_some();
    let mut found = Vec::new();
    for entity in [&ACCOUNT, &CONTACT] {
        let mut records = Vec::new();
        if has_narrower_pass {
            records = search_page(db, actor, entity, text, per_entity, true).await?;
        }
        if (records.len() as u64) < per_entity {
            let rest = search_page(db, actor, entity, text, per_entity, false).await?;
            let shown: std::collections::HashSet<i64> = records.iter().map(|r| r.id).collect();
            let room = per_entity as usize - records.len();
            records.extend(
                rest.into_iter()
                    .filter(|r| !shown.contains(&r.id))
                    .take(room),
            );
        }
        found.push(records);
    }
    let contacts = found.pop().unwrap_or_default();
    let accounts = found.pop().unwrap_or_default();
    Ok((accounts, contacts))
}

/// The newest `limit` records of `entity` matching `text` that the actor may read, masked.
async fn search_page(
    db: &Db,
    actor: &kehu_core::permission::Actor,
    entity: &'static EntityDef,
    text: &str,
    limit: u64,
    whole_words: bool,
) -> DbResult<Vec<Record>> {
    let query = ListQuery {
        text: Some(text.to_string()),
        filters: Vec::new(),
        sort: Sort {
            field: entity.field("id").expect("records have ids"),
            descending: true,
        },
        limit,
        cursor: None,
        in_recycle_bin: false,
        whole_words,
    };
    crate::lists::readable_records(db, actor, entity, &query).await
}

/// `GET /api/v1/search?q=…`.
pub async fn search(
    ApiAuth(auth): ApiAuth,
    State(state): State<AppState>,
    Query(params): Query<SearchParams>,
) -> Result<Json<Value>, ApiError> {
    let text = params.q.unwrap_or_default();
    if text.trim().is_empty() {
        return Ok(Json(json!({"accounts": [], "contacts": []})));
    }
    if text.chars().count() > 200 {
        let mut fields = kehu_core::FieldErrors::default();
        fields.add("q", "too_long", "must be at most 200 characters");
        return Err(ApiError::bad_request(fields));
    }
    let (accounts, contacts) = global_search(&state.db, &auth.actor, &text, 20).await?;
    Ok(Json(json!({
        "accounts": accounts.iter().map(Record::to_json).collect::<Vec<_>>(),
        "contacts": contacts.iter().map(Record::to_json).collect::<Vec<_>>(),
    })))
}
