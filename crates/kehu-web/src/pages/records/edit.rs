//! Creating, editing and deleting records through forms. A save that lost a race
//! (someone else saved first) shows their version next to the user's unsaved input
//! instead of overwriting it.

use super::form::{
    form_fields, submitted, unshown_errors, values_of, FormField, FormSources, FormValues,
    RefChoices,
};
use super::EntityPages;
use crate::api::records::ClientIp;
use crate::api::related::account_contacts;
use crate::i18n::Tr;
use crate::pages::ctx::{Ctx, Layout};
use crate::pages::format::{custom_text, field_text, Names};
use crate::pages::lookup;
use crate::pages::render::{render_status, see_other, OrPage, PageError, PageResult};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use kehu_core::entity::{CustomFieldDef, ACCOUNT};
use kehu_core::filter::Sort;
use kehu_core::permission::{Action, Visibility};
use kehu_core::validation::{Mode, Picklists, Schema};
use kehu_core::{field_value, FieldErrors};
use kehu_db::records::{self, ListQuery, Record};
use kehu_db::{custom_fields, picklists, DbError};

/// What the form page shows when a save lost a race.
pub struct Conflict {
    /// Rows where the saved record differs from the user's input.
    pub rows: Vec<ConflictRow>,
}

/// One field that someone else changed differently.
pub struct ConflictRow {
    /// Field label.
    pub label: String,
    /// The value now saved.
    pub theirs: String,
    /// What this user typed.
    pub yours: String,
}

#[derive(Template)]
#[template(path = "records/form.html")]
struct FormPage {
    l: Layout,
    t: Tr,
    heading: String,
    action: String,
    cancel: String,
    fields: Vec<FormField>,
    version: Option<i64>,
    csrf: String,
    conflict: Option<Conflict>,
    problems: Vec<String>,
    /// Contact forms refresh the "reports to" choices when the customer changes.
    contact_id: Option<i64>,
    is_contact: bool,
    /// For a person being edited: their consent form (kept apart because each answer
    /// carries its own date and source).
    consent_link: Option<String>,
}

/// Everything a form needs from the database.
struct FormData {
    custom: Vec<CustomFieldDef>,
    picklists: Picklists,
    refs: RefChoices,
}

/// The customers a contact form offers: up to 200 the user may see, by name, plus the
/// current one.
pub async fn account_choices(
    state: &AppState,
    ctx: &Ctx,
    text: Option<String>,
    selected: Option<i64>,
) -> Result<Vec<(i64, String)>, DbError> {
    let query = ListQuery {
        text: text.filter(|t| !t.trim().is_empty()),
        filters: Vec::new(),
        sort: Sort {
            field: ACCOUNT.field("name").expect("customers have names"),
            descending: false,
        },
        limit: 200,
        cursor: None,
        in_recycle_bin: false,
        whole_words: false,
    };
    let columns = [ACCOUNT.field("name").expect("customers have names")];
    let page = records::list(
        &state.db,
        &ACCOUNT,
        &ctx.actor().visibility("account", Action::Read),
        &query,
        &columns,
    )
    .await?;
    let mut choices: Vec<(i64, String)> = page
        .records
        .iter()
        .map(|r| (r.id, r.text("name").unwrap_or_default().to_string()))
        .collect();
    if let Some(id) = selected.filter(|id| !choices.iter().any(|(c, _)| c == id)) {
        let names = lookup::names_of(&state.db, &ACCOUNT, ctx.actor(), &[id]).await?;
        if let Some(name) = names.get(&id) {
            choices.insert(0, (id, name.clone()));
        }
    }
    Ok(choices)
}

/// The contacts of a customer that a contact may report to (not itself).
pub async fn reports_to_choices(
    state: &AppState,
    ctx: &Ctx,
    account_id: Option<i64>,
    contact_id: Option<i64>,
) -> Result<Vec<(i64, String)>, DbError> {
    let Some(account_id) = account_id else {
        return Ok(Vec::new());
    };
    let contacts = account_contacts(&state.db, ctx.actor(), account_id).await?;
    Ok(contacts
        .iter()
        .filter(|c| Some(c.id) != contact_id)
        .map(|c| (c.id, c.text("name").unwrap_or_default().to_string()))
        .collect())
}

async fn form_data(
    pages: &EntityPages,
    state: &AppState,
    ctx: &Ctx,
    action: Action,
    values: &FormValues,
    record: Option<&Record>,
) -> Result<FormData, DbError> {
    let entity = pages.entity;
    let custom = custom_fields::for_entity(&state.db, entity.name).await?;
    let picklists = picklists::all(&state.db).await?;
    let allowed = ctx.actor().visibility(entity.name, action);
    let current_owner = record.map(|r| r.owner_id);
    let owners = lookup::all_users(&state.db)
        .await?
        .into_iter()
        .filter(|u| (u.active && allowed.covers(u.id, u.team_id)) || Some(u.id) == current_owner)
        .map(|u| (u.id, u.display_name))
        .collect();
    let mut refs = RefChoices {
        owners,
        ..RefChoices::default()
    };
    if entity.name == "contact" {
        let account_id = values.get("account_id").and_then(|v| v.parse().ok());
        refs.accounts = account_choices(state, ctx, None, account_id).await?;
        refs.contacts = reports_to_choices(state, ctx, account_id, record.map(|r| r.id)).await?;
    }
    Ok(FormData {
        custom,
        picklists,
        refs,
    })
}

struct FormState<'a> {
    values: &'a FormValues,
    errors: &'a FieldErrors,
    record: Option<&'a Record>,
    conflict: Option<Conflict>,
}

async fn form_page(
    pages: &EntityPages,
    state: &AppState,
    ctx: &Ctx,
    form: FormState<'_>,
) -> Result<FormPage, PageError> {
    let t = ctx.t;
    let action = if form.record.is_some() {
        Action::Edit
    } else {
        Action::Create
    };
    let data = form_data(pages, state, ctx, action, form.values, form.record)
        .await
        .or_page(ctx)?;
    let sources = FormSources {
        entity: pages.entity,
        custom: &data.custom,
        picklists: &data.picklists,
        refs: &data.refs,
        rules: &ctx.actor().fields,
    };
    let fields = form_fields(t, &sources, form.values, form.errors);
    let problems = unshown_errors(t, &fields, form.errors);
    let (heading, action, cancel) = match form.record {
        Some(record) => (
            t.fmt(
                &pages.key("edit_title"),
                &[("name", record.text("name").unwrap_or_default())],
            ),
            format!("{}/{}/edit", pages.base(), record.id),
            format!("{}/{}", pages.base(), record.id),
        ),
        None => (
            t.t(&pages.key("new")).to_string(),
            pages.base(),
            pages.base(),
        ),
    };
    Ok(FormPage {
        l: ctx.layout(heading.clone(), pages.nav),
        t,
        heading,
        action,
        cancel,
        fields,
        version: form.record.map(|r| r.version),
        csrf: ctx.csrf(),
        conflict: form.conflict,
        problems,
        contact_id: form
            .record
            .filter(|_| pages.entity.name == "contact")
            .map(|r| r.id),
        is_contact: pages.entity.name == "contact",
        consent_link: form
            .record
            .filter(|r| kehu_db::consent::is_person(r))
            .map(|r| format!("{}/{}/consent", pages.base(), r.id)),
    })
}

fn may_create(pages: &EntityPages, ctx: &Ctx) -> bool {
    ctx.actor().visibility(pages.entity.name, Action::Create) != Visibility::Nothing
}

/// `GET /accounts/new` (and `/contacts/new?account_id=…` with the customer chosen).
pub async fn new_form(
    pages: &'static EntityPages,
    ctx: Ctx,
    State(state): State<AppState>,
    Query(prefill): Query<Vec<(String, String)>>,
) -> PageResult {
    if !may_create(pages, &ctx) {
        return Err(ctx.not_found());
    }
    let mut values = FormValues::from([("owner_id".to_string(), ctx.auth.user.id.to_string())]);
    if let Some((_, id)) = prefill.iter().find(|(k, _)| k == "account_id") {
        values.insert("account_id".into(), id.clone());
    }
    let page = form_page(
        pages,
        &state,
        &ctx,
        FormState {
            values: &values,
            errors: &FieldErrors::default(),
            record: None,
            conflict: None,
        },
    )
    .await?;
    Ok(render_status(StatusCode::OK, &page))
}

async fn schema_parts(
    state: &AppState,
    ctx: &Ctx,
    pages: &EntityPages,
) -> Result<(Vec<CustomFieldDef>, Picklists), PageError> {
    let custom = custom_fields::for_entity(&state.db, pages.entity.name)
        .await
        .or_page(ctx)?;
    let lists = picklists::all(&state.db).await.or_page(ctx)?;
    Ok((custom, lists))
}

/// `POST /accounts`: creates and shows the new record, or the form again with errors.
pub async fn create(
    pages: &'static EntityPages,
    ctx: Ctx,
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    if !may_create(pages, &ctx) {
        return Err(ctx.not_found());
    }
    let values = submitted(pairs);
    let (custom, lists) = schema_parts(&state, &ctx, pages).await?;
    let schema = Schema {
        entity: pages.entity,
        custom_fields: &custom,
        picklists: &lists,
    };
    let result = match schema.from_form(&values, Mode::Create) {
        Ok(changes) => {
            records::create(&state.db, pages.entity, ctx.actor(), ip.as_deref(), changes).await
        }
        Err(errors) => Err(DbError::Invalid(errors)),
    };
    match result {
        Ok(record) => Ok(see_other(&format!("{}/{}", pages.base(), record.id))),
        Err(DbError::Invalid(errors)) => {
            let page = form_page(
                pages,
                &state,
                &ctx,
                FormState {
                    values: &values,
                    errors: &errors,
                    record: None,
                    conflict: None,
                },
            )
            .await?;
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(other) => Err(ctx.fail(other)),
    }
}

/// `GET /accounts/{id}/edit`.
pub async fn edit_form(
    pages: &'static EntityPages,
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> PageResult {
    let visibility = ctx.actor().visibility(pages.entity.name, Action::Edit);
    let mut record = records::get(&state.db, pages.entity, &visibility, id)
        .await
        .or_page(&ctx)?;
    record.mask(&ctx.actor().fields);
    let (custom, _) = schema_parts(&state, &ctx, pages).await?;
    let values = values_of(pages.entity, &custom, &record);
    let page = form_page(
        pages,
        &state,
        &ctx,
        FormState {
            values: &values,
            errors: &FieldErrors::default(),
            record: Some(&record),
            conflict: None,
        },
    )
    .await?;
    Ok(render_status(StatusCode::OK, &page))
}

/// `POST /accounts/{id}/edit`: saves if nobody else saved since the form was loaded.
pub async fn update(
    pages: &'static EntityPages,
    ctx: Ctx,
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let entity = pages.entity;
    let editable = ctx.actor().visibility(entity.name, Action::Edit);
    let record = records::get(&state.db, entity, &editable, id)
        .await
        .or_page(&ctx)?;
    let values = submitted(pairs);
    let version = values
        .get("version")
        .and_then(|v| v.trim().parse::<i64>().ok())
        .unwrap_or(0);
    let (custom, lists) = schema_parts(&state, &ctx, pages).await?;
    let schema = Schema {
        entity,
        custom_fields: &custom,
        picklists: &lists,
    };
    let result = match schema.from_form(&values, Mode::Update) {
        Ok(changes) => {
            records::update(
                &state.db,
                entity,
                ctx.actor(),
                ip.as_deref(),
                id,
                version,
                changes,
            )
            .await
        }
        Err(errors) => Err(DbError::Invalid(errors)),
    };
    match result {
        Ok(_) => Ok(see_other(&format!("{}/{}", pages.base(), id))),
        Err(DbError::Invalid(errors)) => {
            // Keep the version the user started from, so a concurrent save is still caught.
            let started = Record { version, ..record };
            let page = form_page(
                pages,
                &state,
                &ctx,
                FormState {
                    values: &values,
                    errors: &errors,
                    record: Some(&started),
                    conflict: None,
                },
            )
            .await?;
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(DbError::StaleVersion { .. }) => {
            let mut current = records::get(&state.db, entity, &editable, id)
                .await
                .or_page(&ctx)?;
            current.mask(&ctx.actor().fields);
            let conflict = conflict(pages, &state, &ctx, &custom, &current, &values).await?;
            let state_ = FormState {
                values: &values,
                errors: &FieldErrors::default(),
                record: Some(&current),
                conflict: Some(conflict),
            };
            let page = form_page(pages, &state, &ctx, state_).await?;
            Ok(render_status(StatusCode::CONFLICT, &page))
        }
        Err(other) => Err(ctx.fail(other)),
    }
}

/// The fields where the saved record differs from what the user submitted.
async fn conflict(
    pages: &EntityPages,
    state: &AppState,
    ctx: &Ctx,
    custom: &[CustomFieldDef],
    current: &Record,
    typed: &FormValues,
) -> Result<Conflict, PageError> {
    let t = ctx.t;
    let mut names: Names = lookup::people(&state.db).await.or_page(ctx)?;
    lookup::add_references(
        &state.db,
        ctx.actor(),
        &mut names,
        std::slice::from_ref(current),
    )
    .await
    .or_page(ctx)?;
    let mut rows = Vec::new();
    for field in pages.entity.writable_fields() {
        let Some(typed_text) = typed.get(field.name) else {
            continue;
        };
        let typed_value = field_value::parse_form(field.kind, typed_text);
        let stored = current.get(field.name);
        let same = match &typed_value {
            Ok(value) => value == stored || (value.is_empty() && stored.is_empty()),
            Err(_) => false,
        };
        if same {
            continue;
        }
        let yours = match typed_value {
            Ok(value) => field_text(t, field.name, field.kind, &value, &names),
            Err(_) => typed_text.trim().to_string(),
        };
        rows.push(ConflictRow {
            label: t.field(pages.entity.name, field.name),
            theirs: field_text(t, field.name, field.kind, stored, &names),
            yours,
        });
    }
    for def in custom {
        let Some(typed_text) = typed.get(&format!("custom.{}", def.key)) else {
            continue;
        };
        let stored = current
            .custom
            .get(&def.key)
            .cloned()
            .unwrap_or(serde_json::Value::Null);
        let typed_value = field_value::parse_custom_text(def.kind, &def.options, typed_text);
        if typed_value.as_ref().is_ok_and(|v| *v == stored) {
            continue;
        }
        let yours = typed_value
            .map(|v| custom_text(Some(&v)))
            .unwrap_or_else(|_| typed_text.trim().to_string());
        rows.push(ConflictRow {
            label: t.custom_field(def),
            theirs: custom_text(Some(&stored)),
            yours,
        });
    }
    Ok(Conflict { rows })
}

/// `POST /accounts/{id}/delete`: moves the record to the recycle bin.
pub async fn delete(
    pages: &'static EntityPages,
    ctx: Ctx,
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(id): Path<i64>,
) -> PageResult {
    records::soft_delete(&state.db, pages.entity, ctx.actor(), ip.as_deref(), id)
        .await
        .or_page(&ctx)?;
    Ok(see_other(&format!("{}?notice=deleted", pages.base())))
}
