//! The personal-data panel of a person's page (a contact or an individual customer):
//! consent per channel with a form to change it, the JSON download of everything Kehu
//! holds about them, and erasure behind a page where the user types the name.

use super::ctx::{Ctx, Layout};
use super::render::{render, render_status, see_other, OrPage, PageError, PageResult};
use super::SelectOption;
use crate::api::personal_data::parse_given_at;
use crate::api::records::ClientIp;
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use kehu_core::consent::{Channel, Source};
use kehu_core::entity::{EntityDef, ACCOUNT, CONTACT};
use kehu_core::permission::{Action, Scope};
use kehu_db::consent::{self, is_person, Consent, ConsentChange};
use kehu_db::records::{self, Record};
use kehu_db::{personal_data, DbError};
use std::collections::HashMap;

/// One channel's answer as the panel shows it.
pub struct ConsentRow {
    /// "E-mail", "Phone calls", "Messages".
    pub channel: String,
    /// "Yes", "No" or "Not asked".
    pub answer: String,
    /// Whether it is a yes (styled as such).
    pub granted: bool,
    /// Source and date, when answered.
    pub detail: String,
}

/// The panel's contents.
pub struct PersonalDataPanel {
    /// The three channels.
    pub consents: Vec<ConsentRow>,
    /// The consent form, for people who may edit the record.
    pub consent_link: Option<String>,
    /// The JSON download.
    pub export_link: String,
    /// The erasure page, for people who may erase.
    pub erase_link: Option<String>,
}

fn channel_label(t: Tr, channel: Channel) -> String {
    t.t(&format!("personal.channel.{}", channel.as_str()))
        .to_string()
}

fn source_label(t: Tr, source: Source) -> String {
    t.t(&format!("personal.source.{}", source.as_str()))
        .to_string()
}

/// Whether the user may erase people of this entity: the `delete` grant over all records.
pub fn may_erase(ctx: &Ctx, entity: &EntityDef) -> bool {
    ctx.actor().scope(entity.name, Action::Delete) == Scope::All
}

/// The panel of a record the user can read; none when the record is not a person.
pub async fn panel(
    ctx: &Ctx,
    state: &AppState,
    entity: &'static EntityDef,
    record: &Record,
    may_edit: bool,
) -> Result<Option<PersonalDataPanel>, PageError> {
    if !is_person(record) {
        return Ok(None);
    }
    let t = ctx.t;
    let read = ctx.actor().visibility(entity.name, Action::Read);
    let consents = consent::of_record(&state.db, entity, &read, record.id)
        .await
        .or_page(ctx)?;
    let rows = Channel::ALL
        .into_iter()
        .map(
            |channel| match consents.iter().find(|c| c.channel == channel) {
                Some(c) => ConsentRow {
                    channel: channel_label(t, channel),
                    answer: t
                        .t(if c.granted {
                            "personal.yes"
                        } else {
                            "personal.no"
                        })
                        .to_string(),
                    granted: c.granted,
                    detail: format!(
                        "{} · {}",
                        source_label(t, c.source),
                        c.given_at.format("%Y-%m-%d")
                    ),
                },
                None => ConsentRow {
                    channel: channel_label(t, channel),
                    answer: t.t("personal.not_asked").to_string(),
                    granted: false,
                    detail: String::new(),
                },
            },
        )
        .collect();
    let base = format!("/{}/{}", entity.table, record.id);
    Ok(Some(PersonalDataPanel {
        consents: rows,
        consent_link: may_edit.then(|| format!("{base}/consent")),
        export_link: format!("/api/v1/{}/{}/personal-data", entity.table, record.id),
        erase_link: may_erase(ctx, entity).then(|| format!("{base}/erase")),
    }))
}

/// One channel's inputs on the consent form.
pub struct ConsentInput {
    /// `email`, `call`, `message` (the input names' prefix).
    pub key: &'static str,
    /// The channel's label.
    pub label: String,
    /// Blank (leave as is), yes, no.
    pub answers: Vec<SelectOption>,
    /// Where the answer came from.
    pub sources: Vec<SelectOption>,
    /// The date, `YYYY-MM-DD`.
    pub date: String,
    /// A problem with this channel's inputs.
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "personal_data/consent_form.html")]
struct ConsentPage {
    l: Layout,
    t: Tr,
    csrf: String,
    name: String,
    back: String,
    action: String,
    channels: Vec<ConsentInput>,
}

fn consent_inputs(
    t: Tr,
    current: &[Consent],
    posted: Option<&HashMap<String, String>>,
    errors: &HashMap<&'static str, String>,
) -> Vec<ConsentInput> {
    Channel::ALL
        .into_iter()
        .map(|channel| {
            let key = channel.as_str();
            let saved = current.iter().find(|c| c.channel == channel);
            let field = |suffix: &str| posted.and_then(|p| p.get(&format!("{key}_{suffix}")));
            let answer = match field("answer") {
                Some(value) => value.clone(),
                None => match saved {
                    Some(c) if c.granted => "yes".into(),
                    Some(_) => "no".into(),
                    None => String::new(),
                },
            };
            let source = field("source").cloned().unwrap_or_else(|| {
                saved
                    .map_or(Source::Manual, |c| c.source)
                    .as_str()
                    .to_string()
            });
            let date = field("date").cloned().unwrap_or_else(|| {
                saved
                    .map(|c| c.given_at.format("%Y-%m-%d").to_string())
                    .unwrap_or_default()
            });
            ConsentInput {
                key,
                label: channel_label(t, channel),
                answers: [
                    ("", "personal.not_asked"),
                    ("yes", "personal.yes"),
                    ("no", "personal.no"),
                ]
                .into_iter()
                .map(|(value, label)| SelectOption {
                    value: value.into(),
                    label: t.t(label).to_string(),
                    selected: answer == value,
                })
                .collect(),
                sources: Source::ALL
                    .into_iter()
                    .map(|s| SelectOption {
                        value: s.as_str().into(),
                        label: source_label(t, s),
                        selected: source == s.as_str(),
                    })
                    .collect(),
                date,
                error: errors.get(key).cloned(),
            }
        })
        .collect()
}

async fn person(
    ctx: &Ctx,
    state: &AppState,
    entity: &'static EntityDef,
    id: i64,
) -> Result<Record, PageError> {
    let read = ctx.actor().visibility(entity.name, Action::Read);
    let record = records::get(&state.db, entity, &read, id)
        .await
        .or_page(ctx)?;
    if !is_person(&record) {
        return Err(ctx.not_found());
    }
    Ok(record)
}

/// A person to erase: live, or in the recycle bin for those who may see the bin (its
/// copy must be erasable too).
async fn person_to_erase(
    ctx: &Ctx,
    state: &AppState,
    entity: &'static EntityDef,
    id: i64,
) -> Result<Record, PageError> {
    let read = ctx.actor().visibility(entity.name, Action::Read);
    let record = match records::get(&state.db, entity, &read, id).await {
        Err(DbError::NotFound) => {
            let bin = ctx.actor().visibility(entity.name, Action::Delete);
            records::get_deleted(&state.db, entity, &bin, id).await
        }
        other => other,
    }
    .or_page(ctx)?;
    if !is_person(&record) {
        return Err(ctx.not_found());
    }
    Ok(record)
}

/// Where a person's pages lead back to: their page, or the recycle bin they are in.
fn home_of(entity: &EntityDef, record: &Record) -> String {
    match record.deleted_at {
        Some(_) => "/recycle-bin".to_string(),
        None => format!("/{}/{}", entity.table, record.id),
    }
}

/// `GET /{table}/{id}/consent`.
async fn consent_form(
    entity: &'static EntityDef,
    ctx: Ctx,
    state: AppState,
    id: i64,
) -> PageResult {
    let record = person(&ctx, &state, entity, id).await?;
    if !super::sharing::may_edit(&ctx, &state, entity, &record).await? {
        return Err(ctx.fail(DbError::Forbidden));
    }
    let read = ctx.actor().visibility(entity.name, Action::Read);
    let current = consent::of_record(&state.db, entity, &read, id)
        .await
        .or_page(&ctx)?;
    Ok(render(&consent_page(
        &ctx,
        entity,
        &record,
        consent_inputs(ctx.t, &current, None, &HashMap::new()),
    )))
}

fn consent_page(
    ctx: &Ctx,
    entity: &EntityDef,
    record: &Record,
    channels: Vec<ConsentInput>,
) -> ConsentPage {
    let name = record.text("name").unwrap_or_default().to_string();
    let base = format!("/{}/{}", entity.table, record.id);
    ConsentPage {
        l: ctx.layout(ctx.t.t("personal.consent_title"), entity.table),
        t: ctx.t,
        csrf: ctx.csrf(),
        name,
        action: format!("{base}/consent"),
        back: base,
        channels,
    }
}

/// `POST /{table}/{id}/consent`: channels left blank stay as they are.
async fn save_consent(
    entity: &'static EntityDef,
    ctx: Ctx,
    state: AppState,
    ip: Option<String>,
    id: i64,
    form: HashMap<String, String>,
) -> PageResult {
    let record = person(&ctx, &state, entity, id).await?;
    let t = ctx.t;
    let mut changes = Vec::new();
    let mut errors = HashMap::new();
    let read = ctx.actor().visibility(entity.name, Action::Read);
    let current = consent::of_record(&state.db, entity, &read, id)
        .await
        .or_page(&ctx)?;
    for channel in Channel::ALL {
        let key = channel.as_str();
        let get = |suffix: &str| form.get(&format!("{key}_{suffix}")).map(|v| v.trim());
        let granted = match get("answer").unwrap_or("") {
            "yes" => true,
            "no" => false,
            _ => continue,
        };
        let Some(source) = get("source").and_then(Source::parse) else {
            errors.insert(key, t.t("personal.source_required").to_string());
            continue;
        };
        let given_at = match get("date").filter(|d| !d.is_empty()) {
            None => None,
            Some(date) => match parse_given_at(date) {
                Some(at) => Some(at),
                None => {
                    errors.insert(key, t.t("personal.date_invalid").to_string());
                    continue;
                }
            },
        };
        // The form shows the saved date; sending it back unchanged is no new answer.
        let saved = current.iter().find(|c| c.channel == channel);
        let given_at = match (saved, given_at) {
            (Some(c), Some(at)) if c.given_at.date_naive() == at.date_naive() => Some(c.given_at),
            (_, at) => at,
        };
        changes.push(ConsentChange {
            channel,
            granted,
            source,
            given_at,
        });
    }
    if !errors.is_empty() {
        let page = consent_page(
            &ctx,
            entity,
            &record,
            consent_inputs(t, &current, Some(&form), &errors),
        );
        return Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page));
    }
    if !changes.is_empty() {
        consent::set(&state.db, entity, ctx.actor(), ip.as_deref(), id, &changes)
            .await
            .map_err(|e| match e {
                DbError::NotFound => DbError::Forbidden,
                other => other,
            })
            .or_page(&ctx)?;
    }
    Ok(see_other(&format!(
        "/{}/{id}?notice=consent_saved",
        entity.table
    )))
}

#[derive(Template)]
#[template(path = "personal_data/erase.html")]
struct ErasePage {
    l: Layout,
    t: Tr,
    csrf: String,
    name: String,
    back: String,
    action: String,
    error: Option<String>,
}

fn erase_page(ctx: &Ctx, entity: &EntityDef, record: &Record, error: Option<String>) -> ErasePage {
    ErasePage {
        l: ctx.layout(ctx.t.t("personal.erase_title"), entity.table),
        t: ctx.t,
        csrf: ctx.csrf(),
        name: record.text("name").unwrap_or_default().to_string(),
        action: format!("/{}/{}/erase", entity.table, record.id),
        back: home_of(entity, record),
        error,
    }
}

/// `GET /{table}/{id}/erase`: what erasing does, and the name to type.
async fn erase_form(entity: &'static EntityDef, ctx: Ctx, state: AppState, id: i64) -> PageResult {
    let record = person_to_erase(&ctx, &state, entity, id).await?;
    if !may_erase(&ctx, entity) {
        return Err(ctx.fail(DbError::Forbidden));
    }
    Ok(render(&erase_page(&ctx, entity, &record, None)))
}

/// `POST /{table}/{id}/erase`.
async fn erase(
    entity: &'static EntityDef,
    ctx: Ctx,
    state: AppState,
    ip: Option<String>,
    id: i64,
    form: HashMap<String, String>,
) -> PageResult {
    let record = person_to_erase(&ctx, &state, entity, id).await?;
    let confirm = form.get("confirm").map(String::as_str).unwrap_or("");
    match personal_data::erase(&state.db, entity, ctx.actor(), ip.as_deref(), id, confirm).await {
        Ok(_) => Ok(see_other(&format!(
            "{}?notice=erased",
            home_of(entity, &record)
        ))),
        Err(DbError::Invalid(fields)) if fields.get("confirm").is_some() => {
            let error = Some(ctx.t.t("personal.confirm_mismatch").to_string());
            let page = erase_page(&ctx, entity, &record, error);
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(other) => Err(ctx.fail(other)),
    }
}

/// The consent and erasure routes of customers and contacts.
pub fn routes() -> Router<AppState> {
    let mut router = Router::new();
    for entity in [&ACCOUNT, &CONTACT] {
        router = router
            .route(
                &format!("/{}/{{id}}/consent", entity.table),
                get(
                    move |ctx, State(state): State<AppState>, Path(id): Path<i64>| {
                        consent_form(entity, ctx, state, id)
                    },
                )
                .post(
                    move |ctx,
                          State(state): State<AppState>,
                          ClientIp(ip): ClientIp,
                          Path(id): Path<i64>,
                          Form(form)| {
                        save_consent(entity, ctx, state, ip, id, form)
                    },
                ),
            )
            .route(
                &format!("/{}/{{id}}/erase", entity.table),
                get(
                    move |ctx, State(state): State<AppState>, Path(id): Path<i64>| {
                        erase_form(entity, ctx, state, id)
                    },
                )
                .post(
                    move |ctx,
                          State(state): State<AppState>,
                          ClientIp(ip): ClientIp,
                          Path(id): Path<i64>,
                          Form(form)| erase(entity, ctx, state, ip, id, form),
                ),
            );
    }
    router
}
