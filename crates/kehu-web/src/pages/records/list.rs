//! `/accounts` and `/contacts`: search, filters, sort, keyset paging, a capped count,
//! saved filters and CSV export. htmx requests get only the results fragment.

use super::filters::{covered_keys, filter_inputs, normalize, FilterInput, FilterSources};
use super::table::{headers, rows, visible_columns, Header, Row};
use super::EntityPages;
use crate::i18n::Tr;
use crate::lists::parse_list_request;
use crate::pages::ctx::{Ctx, Layout};
use crate::pages::format::Names;
use crate::pages::lookup;
use crate::pages::render::{render, OrPage, PageResult};
use crate::pages::url::{query_string, with, with_query, without};
use crate::pages::Notice;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use kehu_core::permission::{Action, Scope, Visibility};
use kehu_db::picklists;
use kehu_db::records;
use kehu_db::saved_filters::{self, SavedFilter};

/// Rows per page.
pub const PAGE_SIZE: u64 = 50;
/// Counts stop here ("10,000+").
pub const COUNT_CAP: u64 = 10_000;

/// The results part of a list page, which htmx replaces on every filter change.
pub struct Results {
    /// Path of the list (`/accounts`).
    pub base: String,
    /// Column headers.
    pub headers: Vec<Header>,
    /// Rows.
    pub rows: Vec<Row>,
    /// "123 customers" or "10,000+ customers".
    pub count_text: String,
    /// Link to the next page.
    pub next_link: Option<String>,
    /// Link back to the first page, when not on it.
    pub first_link: Option<String>,
    /// CSV export of the same list, for users who may export.
    pub export_link: Option<String>,
    /// XLSX export of the same list, beside the CSV one.
    pub xlsx_link: Option<String>,
    /// Where the ticked rows go to be changed together, for users who may mass update
    /// or assign; rows then have selection boxes.
    pub mass_action: Option<String>,
    /// "Change all 120": every record of the list, by its filters.
    pub mass_all: Option<(String, String)>,
    /// Problems with the parameters, translated.
    pub errors: Vec<String>,
    /// The current query string without paging, for "save filter as…".
    pub save_query: String,
    /// CSRF token for the save form.
    pub csrf: String,
    /// Text when nothing matches.
    pub empty_text: String,
}

/// A saved filter in the dropdown.
pub struct SavedLink {
    /// Its name.
    pub name: String,
    /// The list with its parameters.
    pub link: String,
    /// Where its delete form posts.
    pub delete_action: String,
    /// Whether it is the list being shown.
    pub current: bool,
}

#[derive(Template)]
#[template(path = "records/list.html")]
struct ListPage {
    l: Layout,
    t: Tr,
    heading: String,
    q: String,
    sort: String,
    filters: Vec<FilterInput>,
    hidden: Vec<(String, String)>,
    saved: Vec<SavedLink>,
    new_link: Option<String>,
    new_label: String,
    notice: Option<String>,
    results: Results,
}

#[derive(Template)]
#[template(path = "records/results.html")]
struct ResultsFragment {
    t: Tr,
    results: Results,
}

/// `GET /accounts`, `GET /contacts`.
pub async fn list(
    pages: &'static EntityPages,
    ctx: Ctx,
    State(state): State<AppState>,
    Query(raw): Query<Vec<(String, String)>>,
) -> PageResult {
    let entity = pages.entity;
    let t = ctx.t;
    let notice =
        super::mass_update::done_notice(pages, t, &raw).or_else(|| Notice::from_params(t, &raw));
    let params = normalize(raw);
    let db = &state.db;
    let custom = state.custom_fields(&ctx.auth, entity).await.or_page(&ctx)?;
    let visibility = ctx.actor().visibility(entity.name, Action::Read);
    let users = lookup::all_users(db).await.or_page(&ctx)?;
    let mut names = Names {
        users: users
            .iter()
            .map(|u| (u.id, u.display_name.clone()))
            .collect(),
        ..Names::default()
    };

    let rules = &ctx.actor().fields;
    let shown_columns = visible_columns(pages, rules);
    let mut results = Results {
        base: pages.base(),
        headers: headers(pages, t, &shown_columns, &params),
        rows: Vec::new(),
        count_text: String::new(),
        next_link: None,
        first_link: None,
        export_link: None,
        xlsx_link: None,
        mass_action: None,
        mass_all: None,
        errors: Vec::new(),
        save_query: query_string(&without(&params, &["cursor"])),
        csrf: ctx.csrf(),
        empty_text: t.t(&pages.key("empty")).to_string(),
    };
    match parse_list_request(entity, &ctx.actor().fields, &custom, &params, PAGE_SIZE) {
        Ok(query) => {
            // Hidden fields are not read (the region column also shows the city).
            let columns: Vec<_> = shown_columns
                .iter()
                .filter_map(|c| entity.field(c))
                .chain(entity.field("city"))
                .filter(|f| !rules.is_hidden(entity.name, f.name))
                .collect();
            let mut page = records::list(db, entity, &visibility, &query, &columns)
                .await
                .or_page(&ctx)?;
            for record in &mut page.records {
                record.mask(rules);
            }
            let first_page = records::ListQuery {
                cursor: None,
                ..query
            };
            let (count, capped) = records::count(db, entity, &visibility, &first_page, COUNT_CAP)
                .await
                .or_page(&ctx)?;
            lookup::add_references(db, ctx.actor(), &mut names, &page.records)
                .await
                .or_page(&ctx)?;
            results.rows = rows(pages, t, &shown_columns, &page.records, &names);
            let number = if capped {
                format!("{}+", group_thousands(count))
            } else {
                group_thousands(count)
            };
            results.count_text = t.count(&pages.key("count"), count, &number);
            if super::mass_update::offered(pages, &ctx) {
                results.mass_action = Some(format!("{}/mass-update", pages.base()));
                if count > 0 {
                    let mut all = vec![("all".to_string(), "1".to_string())];
                    all.extend(without(&params, &["cursor", "sort"]));
                    results.mass_all = Some((
                        with_query(&format!("{}/mass-update", pages.base()), &all),
                        t.fmt("mass.change_all", &[("count", &number)]),
                    ));
                }
            }
            results.next_link = page
                .next_cursor
                .map(|c| with_query(&pages.base(), &with(&params, "cursor", &c)));
            if params.iter().any(|(k, _)| k == "cursor") {
                results.first_link =
                    Some(with_query(&pages.base(), &without(&params, &["cursor"])));
            }
            if ctx.actor().scope(entity.name, Action::Export) != Scope::None {
                let export_params = without(&params, &["cursor"]);
                results.export_link = Some(with_query(
                    &format!("/api/v1/{}/export", entity.table),
                    &export_params,
                ));
                results.xlsx_link = Some(with_query(
                    &format!("/api/v1/{}/export.xlsx", entity.table),
                    &export_params,
                ));
            }
        }
        Err(errors) => {
            results.errors = errors.0.values().map(|e| t.error(e)).collect();
            results.errors.dedup();
        }
    }
    if ctx.htmx {
        return Ok(render(&ResultsFragment { t, results }));
    }

    let lists = picklists::all(db).await.or_page(&ctx)?;
    // Customers also filter by their stored analytics, named as the admin named them.
    let analytics = if pages.entity.name == "account" {
        Some(
            crate::analytics_settings::current(&state)
                .await
                .map_err(|e| ctx.internal(e))?,
        )
    } else {
        None
    };
    let sources = FilterSources {
        custom: &custom,
        picklists: &lists,
        users: &users,
        me: ctx.auth.user.id,
        analytics: analytics.as_ref(),
    };
    let filters = filter_inputs(pages, t, rules, &sources, &params);
    let mut covered = covered_keys(&filters);
    covered.extend(["q", "sort", "cursor"].map(String::from));
    let hidden = params
        .iter()
        .filter(|(k, _)| !covered.contains(k))
        .cloned()
        .collect();
    let current_query = query_string(&without(&params, &["cursor"]));
    let saved = saved_filters::list(db, ctx.auth.user.id, entity.name)
        .await
        .or_page(&ctx)?
        .into_iter()
        .map(|f| saved_link(pages, f, &current_query))
        .collect();
    let may_create = ctx.actor().visibility(entity.name, Action::Create) != Visibility::Nothing;
    let param = |key: &str| {
        params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let page = ListPage {
        l: ctx.layout(t.t(&pages.key("title")), pages.nav),
        t,
        heading: t.t(&pages.key("title")).to_string(),
        q: param("q"),
        sort: param("sort"),
        filters,
        hidden,
        saved,
        new_link: may_create.then(|| format!("{}/new", pages.base())),
        new_label: t.t(&pages.key("new")).to_string(),
        notice,
        results,
    };
    Ok(render(&page))
}

fn saved_link(pages: &EntityPages, filter: SavedFilter, current_query: &str) -> SavedLink {
    let params = filter.query.to_params();
    SavedLink {
        current: !current_query.is_empty() && query_string(&params) == current_query,
        link: with_query(&pages.base(), &params),
        delete_action: format!("{}/saved-filters/{}/delete", pages.base(), filter.id),
        name: filter.name,
    }
}

/// "1 customer", "12,345 contacts": a number of records of the entity whose table (and
/// catalogue section) is `table`.
pub fn counted(t: Tr, table: &str, n: u64) -> String {
    t.count(&format!("count.{table}"), n, &group_thousands(n))
}

/// `12345` → `12,345`.
pub fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn groups_thousands() {
        assert_eq!(super::group_thousands(10_000), "10,000");
        assert_eq!(super::group_thousands(999), "999");
        assert_eq!(super::group_thousands(0), "0");
    }
}
