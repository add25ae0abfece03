//! `/contacts/{id}`: a contact with their customer, who they report to and who reports
//! to them, and their history; plus the option lists the contact form reloads with htmx.

use super::ctx::{Ctx, Layout};
use super::profile::{profile_fields, ShowField};
use super::records::edit::{account_choices, reports_to_choices};
use super::render::{render, OrPage, PageResult};
use super::timeline::{from_events, TimelineItem};
use super::{lookup, Notice, SelectOption};
use crate::api::related::account_contacts;
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use kehu_core::entity::{ACCOUNT, CONTACT};
use kehu_core::permission::Action;
use kehu_db::records;
use kehu_db::{custom_fields, events};
use serde::Deserialize;

/// A person linked from the contact page.
pub struct PersonLink {
    /// Contact id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Job title.
    pub title: String,
}

#[derive(Template)]
#[template(path = "contacts/show.html")]
struct ContactPage {
    l: Layout,
    t: Tr,
    csrf: String,
    name: String,
    subtitle: String,
    account: Option<(i64, String)>,
    reports_to: Option<PersonLink>,
    direct_reports: Vec<PersonLink>,
    profile: Vec<ShowField>,
    timeline: Vec<TimelineItem>,
    more_link: Option<String>,
    edit_link: Option<String>,
    delete_action: Option<String>,
    sharing: super::sharing::SharingPanel,
    personal: Option<super::personal_data::PersonalDataPanel>,
    notice: Option<String>,
}

/// `GET /contacts/{id}`.
pub async fn show(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(params): Query<Vec<(String, String)>>,
) -> PageResult {
    let t = ctx.t;
    let actor = ctx.actor();
    let mut contact = records::get(
        &state.db,
        &CONTACT,
        &actor.visibility("contact", Action::Read),
        id,
    )
    .await
    .or_page(&ctx)?;
    contact.mask(&actor.fields);
    let account_id = contact.int("account_id");
    let colleagues = match account_id {
        Some(account_id) => account_contacts(&state.db, actor, account_id)
            .await
            .or_page(&ctx)?,
        None => Vec::new(),
    };
    let person = |r: &records::Record| PersonLink {
        id: r.id,
        name: r.text("name").unwrap_or_default().to_string(),
        title: r.text("title").unwrap_or_default().to_string(),
    };
    let reports_to = contact
        .int("reports_to_id")
        .and_then(|boss| colleagues.iter().find(|c| c.id == boss))
        .map(person);
    let direct_reports = colleagues
        .iter()
        .filter(|c| c.int("reports_to_id") == Some(id))
        .map(person)
        .collect();

    let mut names = lookup::people(&state.db).await.or_page(&ctx)?;
    names.accounts.extend(
        lookup::names_of(
            &state.db,
            &ACCOUNT,
            actor,
            &account_id.into_iter().collect::<Vec<_>>(),
        )
        .await
        .or_page(&ctx)?,
    );
    names.contacts.extend(
        colleagues
            .iter()
            .map(|c| (c.id, c.text("name").unwrap_or_default().to_string())),
    );
    let account = account_id.and_then(|a| names.accounts.get(&a).map(|n| (a, n.clone())));

    let custom = custom_fields::for_entity(&state.db, "contact")
        .await
        .or_page(&ctx)?;
    let history = events::record_history(&state.db, "contact", id, 50)
        .await
        .or_page(&ctx)?;
    let history = events::mask(history, &actor.fields);
    let timeline = from_events(t, &history, &[("contact", custom.clone())], &names);
    let name = contact.text("name").unwrap_or_default().to_string();
    let subtitle = [contact.text("title"), contact.text("department")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ");
    let may = |action| actor.may("contact", action, contact.owner_id, contact.team_id);
    let may_edit = super::sharing::may_edit(&ctx, &state, &CONTACT, &contact).await?;
    let page = ContactPage {
        l: ctx.layout(name.clone(), "contacts"),
        t,
        csrf: ctx.csrf(),
        subtitle,
        account,
        reports_to,
        direct_reports,
        profile: profile_fields(
            t,
            &CONTACT,
            &custom,
            &contact,
            &names,
            &actor.fields,
            &["name"],
        ),
        timeline,
        more_link: None,
        edit_link: may_edit.then(|| format!("/contacts/{id}/edit")),
        delete_action: may(Action::Delete).then(|| format!("/contacts/{id}/delete")),
        notice: Notice::from_params(t, &params),
        sharing: super::sharing::sharing_panel(&ctx, &state, &CONTACT, &contact).await?,
        personal: super::personal_data::panel(&ctx, &state, &CONTACT, &contact, may_edit).await?,
        name,
    };
    Ok(render(&page))
}

#[derive(Template)]
#[template(path = "records/options.html")]
struct OptionsFragment {
    options: Vec<SelectOption>,
}

fn options(choices: Vec<(i64, String)>, selected: Option<i64>, blank: bool) -> Vec<SelectOption> {
    let blank = blank.then(|| SelectOption {
        value: String::new(),
        label: "—".into(),
        selected: selected.is_none(),
    });
    blank
        .into_iter()
        .chain(choices.into_iter().map(|(id, name)| SelectOption {
            value: id.to_string(),
            label: name,
            selected: Some(id) == selected,
        }))
        .collect()
}

/// What the contact form's customer search sends.
#[derive(Debug, Deserialize)]
pub struct AccountSearch {
    #[serde(default)]
    account_q: String,
    account_id: Option<String>,
}

/// `GET /contacts/options/accounts?account_q=…`: customer choices matching the search.
pub async fn account_options(
    ctx: Ctx,
    State(state): State<AppState>,
    Query(search): Query<AccountSearch>,
) -> PageResult {
    let selected = search.account_id.and_then(|v| v.parse().ok());
    let choices = account_choices(&state, &ctx, Some(search.account_q), selected)
        .await
        .or_page(&ctx)?;
    Ok(render(&OptionsFragment {
        options: options(choices, selected, selected.is_none()),
    }))
}

/// What the contact form sends when its customer changes.
#[derive(Debug, Deserialize)]
pub struct ReportsToParams {
    account_id: Option<String>,
    contact_id: Option<String>,
}

/// `GET /contacts/options/reports-to?account_id=…`: who a contact of that customer may report to.
pub async fn reports_to_options(
    ctx: Ctx,
    State(state): State<AppState>,
    Query(params): Query<ReportsToParams>,
) -> PageResult {
    let account_id = params.account_id.and_then(|v| v.parse().ok());
    let contact_id = params.contact_id.and_then(|v| v.parse().ok());
    let choices = reports_to_choices(&state, &ctx, account_id, contact_id)
        .await
        .or_page(&ctx)?;
    Ok(render(&OptionsFragment {
        options: options(choices, None, true),
    }))
}
