//! Reading a list request (search text, filters, sort, page size, cursor) from query
//! parameters; shared by the API and the HTML list pages.

use kehu_core::entity::{CustomFieldDef, EntityDef};
use kehu_core::field_security::FieldRules;
use kehu_core::filter::{parse_filters, parse_sort};
use kehu_core::permission::{Action, Actor};
use kehu_core::FieldErrors;
use kehu_db::records::{self, Cursor, ListQuery, Record};
use kehu_db::{Db, DbResult};

/// Largest page a client may ask for.
pub const MAX_PAGE_SIZE: u64 = 200;

/// The records of a query that `actor` may read, without the columns their roles hide and
/// with hidden custom values masked: what every page and endpoint shows of a list.
pub async fn readable_records(
    db: &Db,
    actor: &Actor,
    entity: &'static EntityDef,
    query: &ListQuery,
) -> DbResult<Vec<Record>> {
    let columns = actor.fields.visible_fields(entity);
    let mut found = records::list(
        db,
        entity,
        &actor.visibility(entity.name, Action::Read),
        query,
        &columns,
    )
    .await?
    .records;
    for record in &mut found {
        record.mask(&actor.fields);
    }
    Ok(found)
}

/// Builds the repository query from raw parameters; every problem is reported by name.
/// Filtering or sorting on a field the user's roles hide is refused: which records match
/// would reveal its values.
pub fn parse_list_request(
    entity: &'static EntityDef,
    field_rules: &FieldRules,
    custom_fields: &[CustomFieldDef],
    params: &[(String, String)],
    default_limit: u64,
) -> Result<ListQuery, FieldErrors> {
    let get = |key: &str| {
        params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let mut errors = FieldErrors::default();
    let sort = parse_sort(entity, get("sort"));
    let filters = parse_filters(
        entity,
        custom_fields,
        params.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    );
    let limit = match get("limit").map(str::parse::<u64>) {
        None => default_limit,
        Some(Ok(n)) if (1..=MAX_PAGE_SIZE).contains(&n) => n,
        Some(_) => {
            errors.add(
                "limit",
                "invalid_limit",
                format!("must be a number from 1 to {MAX_PAGE_SIZE}"),
            );
            default_limit
        }
    };
    let cursor = match get("cursor").filter(|c| !c.is_empty()) {
        None => None,
        Some(token) => match Cursor::decode(token) {
            Some(cursor) => Some(cursor),
            None => {
                errors.add("cursor", "invalid_cursor", "is not a cursor of this list");
                None
            }
        },
    };
    let text = get("q")
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .map(str::to_string);
    if text.as_ref().is_some_and(|q| q.chars().count() > 200) {
        errors.add("q", "too_long", "must be at most 200 characters");
    }
    let in_recycle_bin = matches!(get("deleted"), Some("true" | "1"));
    if let Err(sort_errors) = &sort {
        errors.0.extend(sort_errors.0.clone());
    }
    if let Err(filter_errors) = &filters {
        errors.0.extend(filter_errors.0.clone());
    }
    if let (Ok(sort), Ok(filters)) = (&sort, &filters) {
        if let Err(hidden) = field_rules.check_list(entity, filters, sort) {
            errors.0.extend(hidden.0);
        }
    }
    match (sort, filters, errors.is_empty()) {
        (Ok(sort), Ok(filters), true) => Ok(ListQuery {
            text,
            filters,
            sort,
            limit,
            cursor,
            in_recycle_bin,
            whole_words: false,
        }),
        _ => Err(errors),
    }
}
