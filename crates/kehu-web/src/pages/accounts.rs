//! `/accounts/{id}`: the customer 360° page — profile, contacts with their reporting
//! lines, and the timeline.

use super::ctx::{Ctx, Layout};
use super::format::{field_text, Names};
use super::profile::{profile_fields, ShowField};
use super::render::{render, OrPage, PageResult};
use super::timeline::{custom_defs, from_events, TimelineItem};
use super::{lookup, Notice};
use crate::api::related::account_contacts;
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use kehu_core::entity::{ACCOUNT, CONTACT};
use kehu_core::permission::{Action, Visibility};
use kehu_db::records::{self, Record};
use kehu_db::{custom_fields, events};
use serde::Deserialize;
use std::collections::HashSet;

/// Timeline items per page.
pub const TIMELINE_PAGE: u64 = 30;

/// A contact in the customer's contact tree.
pub struct ContactNode {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Job title.
    pub title: String,
    /// Mobile or office phone.
    pub phone: String,
    /// E-mail.
    pub email: String,
    /// Depth in the reporting tree (0 = reports to nobody here), capped at 5 for indenting.
    pub depth: usize,
    /// "Reports to …", when they report to someone here.
    pub reports_to: Option<String>,
}

#[derive(Template)]
#[template(path = "accounts/show.html")]
struct AccountPage {
    l: Layout,
    t: Tr,
    csrf: String,
    name: String,
    badges: Vec<String>,
    profile: Vec<ShowField>,
    contacts: Vec<ContactNode>,
    timeline: Vec<TimelineItem>,
    more_link: Option<String>,
    edit_link: Option<String>,
    delete_action: Option<String>,
    sharing: super::sharing::SharingPanel,
    personal: Option<super::personal_data::PersonalDataPanel>,
    new_contact_link: Option<String>,
    notice: Option<String>,
    orders: Vec<super::account_value::OrderLine>,
    value: Option<super::account_value::ValueCard>,
}

#[derive(Template)]
#[template(path = "timeline/items.html")]
struct TimelineFragment {
    t: Tr,
    timeline: Vec<TimelineItem>,
    more_link: Option<String>,
}

/// Orders contacts as a reporting tree: each person followed by those reporting to them.
pub fn contact_tree(t: Tr, contacts: &[Record]) -> Vec<ContactNode> {
    let ids: HashSet<i64> = contacts.iter().map(|c| c.id).collect();
    let name_of = |id: i64| {
        contacts
            .iter()
            .find(|c| c.id == id)
            .and_then(|c| c.text("name"))
            .map(str::to_string)
    };
    let mut out = Vec::new();
    let mut placed = HashSet::new();
    fn visit(
        contacts: &[Record],
        node: &Record,
        depth: usize,
        placed: &mut HashSet<i64>,
        out: &mut Vec<(usize, i64)>,
    ) {
        if !placed.insert(node.id) {
            return;
        }
        out.push((depth, node.id));
        for child in contacts
            .iter()
            .filter(|c| c.int("reports_to_id") == Some(node.id))
        {
            visit(contacts, child, depth + 1, placed, out);
        }
    }
    let mut order = Vec::new();
    for root in contacts.iter().filter(|c| {
        c.int("reports_to_id")
            .is_none_or(|boss| !ids.contains(&boss))
    }) {
        visit(contacts, root, 0, &mut placed, &mut order);
    }
    // Anyone left is in a reporting loop; show them at the top level rather than lose them.
    for contact in contacts {
        visit(contacts, contact, 0, &mut placed, &mut order);
    }
    for (depth, id) in order {
        let Some(c) = contacts.iter().find(|c| c.id == id) else {
            continue;
        };
        let text = |f: &str| c.text(f).unwrap_or_default().to_string();
        out.push(ContactNode {
            id,
            name: text("name"),
            title: text("title"),
            phone: c
                .text("mobile")
                .or(c.text("phone"))
                .unwrap_or_default()
                .to_string(),
            email: text("email"),
            depth: depth.min(5),
            reports_to: c
                .int("reports_to_id")
                .and_then(name_of)
                .map(|boss| t.fmt("contacts.reports_to_name", &[("name", &boss)])),
        });
    }
    out
}

/// The names a customer's timeline refers to.
async fn timeline_names(
    state: &AppState,
    ctx: &Ctx,
    account: &Record,
    contacts: &[Record],
) -> Result<Names, super::render::PageError> {
    let mut names = lookup::people(&state.db).await.or_page(ctx)?;
    names.accounts.insert(
        account.id,
        account.text("name").unwrap_or_default().to_string(),
    );
    names.contacts.extend(
        contacts
            .iter()
            .map(|c| (c.id, c.text("name").unwrap_or_default().to_string())),
    );
    Ok(names)
}

async fn timeline_items(
    state: &AppState,
    ctx: &Ctx,
    account: &Record,
    names: &Names,
    before: Option<i64>,
) -> Result<(Vec<TimelineItem>, Option<String>), super::render::PageError> {
    let contact_visibility = ctx.actor().visibility("contact", Action::Read);
    let events = events::customer_timeline(
        &state.db,
        account.id,
        &contact_visibility,
        &ctx.actor().visibility("order", Action::Read),
        before,
        TIMELINE_PAGE,
    )
    .await
    .or_page(ctx)?;
    let custom = custom_defs(&state.db).await.or_page(ctx)?;
    let more_link = (events.len() as u64 == TIMELINE_PAGE)
        .then(|| {
            events
                .last()
                .map(|e| format!("/accounts/{}/timeline?before={}", account.id, e.id))
        })
        .flatten();
    // Paged by the events read, then masked: a page may show fewer items than it read.
    let events = events::mask(events, &ctx.actor().fields);
    Ok((from_events(ctx.t, &events, &custom, names), more_link))
}

/// `GET /accounts/{id}`.
pub async fn show(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(params): Query<Vec<(String, String)>>,
) -> PageResult {
    let t = ctx.t;
    let actor = ctx.actor();
    let mut account = records::get(
        &state.db,
        &ACCOUNT,
        &actor.visibility("account", Action::Read),
        id,
    )
    .await
    .or_page(&ctx)?;
    account.mask(&actor.fields);
    let contacts = account_contacts(&state.db, actor, id).await.or_page(&ctx)?;
    let custom = custom_fields::for_entity(&state.db, "account")
        .await
        .or_page(&ctx)?;
    let names = timeline_names(&state, &ctx, &account, &contacts).await?;
    let (timeline, more_link) = timeline_items(&state, &ctx, &account, &names, None).await?;
    let name = account.text("name").unwrap_or_default().to_string();
    let badges = ["level", "lifecycle_status"]
        .iter()
        .filter_map(|f| ACCOUNT.field(f).map(|def| (f, def)))
        .filter(|(f, _)| !account.get(f).is_empty())
        .map(|(f, def)| field_text(t, f, def.kind, account.get(f), &names))
        .collect();
    let may = |action| actor.may("account", action, account.owner_id, account.team_id);
    let may_edit = super::sharing::may_edit(&ctx, &state, &ACCOUNT, &account).await?;
    let page = AccountPage {
        l: ctx.layout(name.clone(), "accounts"),
        t,
        csrf: ctx.csrf(),
        badges,
        profile: profile_fields(
            t,
            &ACCOUNT,
            &custom,
            &account,
            &names,
            &actor.fields,
            &["name"],
        ),
        contacts: contact_tree(t, &contacts),
        timeline,
        more_link,
        edit_link: may_edit.then(|| format!("/accounts/{id}/edit")),
        delete_action: may(Action::Delete).then(|| format!("/accounts/{id}/delete")),
        new_contact_link: (actor.visibility(CONTACT.name, Action::Create) != Visibility::Nothing)
            .then(|| format!("/contacts/new?account_id={id}")),
        notice: Notice::from_params(t, &params),
        sharing: super::sharing::sharing_panel(&ctx, &state, &ACCOUNT, &account).await?,
        personal: super::personal_data::panel(&ctx, &state, &ACCOUNT, &account, may_edit).await?,
        orders: super::account_value::recent_orders(&state, &ctx, id).await?,
        value: super::account_value::value_card(&state, &ctx, id).await?,
        name,
    };
    Ok(render(&page))
}

/// Paging of a timeline.
#[derive(Debug, Deserialize)]
pub struct TimelineParams {
    /// Show events older than this event id.
    before: Option<i64>,
}

/// `GET /accounts/{id}/timeline?before=…`: the next timeline items (an htmx fragment).
pub async fn timeline_more(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(params): Query<TimelineParams>,
) -> PageResult {
    let account = records::get(
        &state.db,
        &ACCOUNT,
        &ctx.actor().visibility("account", Action::Read),
        id,
    )
    .await
    .or_page(&ctx)?;
    let contacts = account_contacts(&state.db, ctx.actor(), id)
        .await
        .or_page(&ctx)?;
    let names = timeline_names(&state, &ctx, &account, &contacts).await?;
    let (timeline, more_link) =
        timeline_items(&state, &ctx, &account, &names, params.before).await?;
    Ok(render(&TimelineFragment {
        t: ctx.t,
        timeline,
        more_link,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kehu_core::FieldValue;
    use std::collections::BTreeMap;

    fn contact(id: i64, name: &'static str, boss: Option<i64>) -> Record {
        let mut values = BTreeMap::new();
        values.insert("name", FieldValue::Text(name.into()));
        values.insert(
            "reports_to_id",
            boss.map(FieldValue::Int).unwrap_or(FieldValue::Null),
        );
        Record {
            entity: &CONTACT,
            id,
            values,
            custom: Default::default(),
            version: 1,
            owner_id: 1,
            team_id: None,
            deleted_at: None,
        }
    }

    #[test]
    fn contacts_are_ordered_as_a_reporting_tree() {
        let contacts = vec![
            contact(1, "员工", Some(2)),
            contact(2, "经理", Some(3)),
            contact(3, "总经理", None),
            contact(4, "外部", Some(99)),
        ];
        let tree = contact_tree(Tr::new(crate::i18n::Locale::ZhCn), &contacts);
        let shape: Vec<(&str, usize)> = tree.iter().map(|n| (n.name.as_str(), n.depth)).collect();
        assert_eq!(
            shape,
            vec![("总经理", 0), ("经理", 1), ("员工", 2), ("外部", 0)]
        );
        assert!(tree[2]
            .reports_to
            .as_deref()
            .is_some_and(|r| r.contains("经理")));
    }

    #[test]
    fn reporting_loops_do_not_hide_anyone() {
        let tree = contact_tree(
            Tr::new(crate::i18n::Locale::En),
            &[contact(1, "甲", Some(2)), contact(2, "乙", Some(1))],
        );
        assert_eq!(tree.len(), 2);
    }
}
