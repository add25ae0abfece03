//! `/admin/audit`: the audit log, searched by user, record, action and time. Read-only:
//! there is no page (or API) that edits or deletes an entry.

use super::audit_text::{change_line, mass_update_text, transfer_text, CustomByEntity};
use super::{require, tabs, Tab};
use crate::api::audit::{parse_audit_query, PAGE_SIZE};
use crate::i18n::Tr;
use crate::pages::ctx::{Ctx, Layout};
use crate::pages::format::Names;
use crate::pages::render::{render, OrPage, PageResult};
use crate::pages::timeline::custom_defs;
use crate::pages::{lookup, url, SelectOption};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use kehu_core::entity::entity_by_name;
use kehu_db::events::{self, Event};
use kehu_db::users;

/// Actions the search form offers (the log may hold others; the API takes any).
const ACTIONS: &[&str] = &[
    "created",
    "updated",
    "deleted",
    "restored",
    "exported",
    "bulk_created",
    "consent_changed",
    "erased",
    "shared",
    "unshared",
    "transferred",
    "records_transferred",
    "mass_updated",
    "signed_in",
    "sign_in_failed",
    "activated",
    "deactivated",
];

/// Entities the search form offers.
const ENTITIES: &[&str] = &[
    "account",
    "contact",
    "user",
    "role",
    "session",
    "analytics_settings",
];

/// One entry as the table shows it.
pub struct AuditRow {
    /// When, UTC.
    pub at: String,
    /// Who (empty for the system or an unknown name).
    pub actor: String,
    /// What, translated.
    pub action: String,
    /// On what kind of record, translated.
    pub entity: String,
    /// The record's page, if it has one.
    pub record_link: Option<String>,
    /// The record id as text.
    pub record: String,
    /// Name of the record, user name of a sign-in, or a count.
    pub summary: String,
    /// "field: old → new" per change.
    pub changes: Vec<String>,
    /// Client address.
    pub source_ip: String,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    l: Layout,
    t: Tr,
    tabs: Vec<Tab>,
    users: Vec<SelectOption>,
    actions: Vec<SelectOption>,
    entities: Vec<SelectOption>,
    record_id: String,
    from: String,
    until: String,
    error: Option<String>,
    rows: Vec<AuditRow>,
    next_link: Option<String>,
}

fn row(t: Tr, event: &Event, names: &Names, custom: &CustomByEntity) -> AuditRow {
    let record_link = match (entity_by_name(&event.entity), event.record_id) {
        (Some(entity), Some(id)) => Some(format!("/{}/{id}", entity.table)),
        _ => None,
    };
    // A user's transfer keeps its counts in the summary: say them, and name the user.
    let transfer = (event.action == "records_transferred")
        .then(|| transfer_text(t, event, names))
        .flatten();
    let (summary, changes) = match transfer {
        Some(text) => (
            event.record_id.map(|id| names.user(id)).unwrap_or_default(),
            vec![text],
        ),
        // A mass update keeps its counts in the summary: say them.
        None if event.action == "mass_updated" => (
            mass_update_text(t, event).unwrap_or_default(),
            event
                .changes
                .iter()
                .map(|c| change_line(t, event, c, names, custom))
                .collect(),
        ),
        None => (
            event.summary.clone(),
            event
                .changes
                .iter()
                .map(|c| change_line(t, event, c, names, custom))
                .collect(),
        ),
    };
    AuditRow {
        at: event.at.format("%Y-%m-%d %H:%M:%S").to_string(),
        actor: event.actor_name.clone().unwrap_or_default(),
        action: t.event(&event.action),
        entity: t.entity(&event.entity),
        record_link,
        record: event.record_id.map(|id| id.to_string()).unwrap_or_default(),
        summary,
        changes,
        source_ip: event.source_ip.clone().unwrap_or_default(),
    }
}

fn options(
    values: &[&str],
    chosen: &str,
    label: impl Fn(&str) -> String,
    any: String,
) -> Vec<SelectOption> {
    let mut options = vec![SelectOption {
        value: String::new(),
        label: any,
        selected: chosen.is_empty(),
    }];
    options.extend(values.iter().map(|v| SelectOption {
        value: v.to_string(),
        label: label(v),
        selected: *v == chosen,
    }));
    options
}

/// `GET /admin/audit`.
pub async fn search(
    ctx: Ctx,
    State(state): State<AppState>,
    Query(params): Query<Vec<(String, String)>>,
) -> PageResult {
    require(&ctx, "user")?;
    let t = ctx.t;
    let param = |key: &str| {
        params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let (rows, error, next_link) = match parse_audit_query(&params) {
        Ok(query) => {
            let found = events::search(&state.db, &query, PAGE_SIZE)
                .await
                .or_page(&ctx)?;
            let next_link = (found.len() as u64 == PAGE_SIZE)
                .then(|| found.last())
                .flatten()
                .map(|last| {
                    let next = url::with(&params, "before_id", &last.id.to_string());
                    url::with_query("/admin/audit", &next)
                });
            let names = lookup::people(&state.db).await.or_page(&ctx)?;
            let custom = custom_defs(&state.db).await.or_page(&ctx)?;
            let rows = found.iter().map(|e| row(t, e, &names, &custom)).collect();
            (rows, None, next_link)
        }
        Err(_) => (
            Vec::new(),
            Some(t.t("audit.invalid_search").to_string()),
            None,
        ),
    };
    let chosen_user = param("user_id");
    let mut user_options = vec![SelectOption {
        value: String::new(),
        label: t.t("audit.anyone").to_string(),
        selected: chosen_user.is_empty(),
    }];
    for user in users::list(&state.db).await.or_page(&ctx)? {
        user_options.push(SelectOption {
            selected: user.id.to_string() == chosen_user,
            value: user.id.to_string(),
            label: format!("{} ({})", user.display_name, user.username),
        });
    }
    let page = AuditPage {
        l: ctx.layout(t.t("audit.title"), "admin"),
        t,
        tabs: tabs(&ctx, "audit"),
        users: user_options,
        actions: options(
            ACTIONS,
            &param("action"),
            |a| t.event(a),
            t.t("audit.any_action").to_string(),
        ),
        entities: options(
            ENTITIES,
            &param("entity"),
            |e| t.entity(e),
            t.t("audit.any_entity").to_string(),
        ),
        record_id: param("record_id"),
        from: param("from"),
        until: param("until"),
        error,
        rows,
        next_link,
    };
    Ok(render(&page))
}
