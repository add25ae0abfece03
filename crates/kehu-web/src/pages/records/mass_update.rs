//! `/accounts/mass-update`, `/contacts/mass-update`: the records ticked on a list (or all
//! that match its filters) get the values of the fields the user ticks here, or a new
//! owner. A preview of the counts comes first; applying is one transaction, and the list
//! says afterwards how many records changed.

use super::form::{form_fields, unshown_errors, FormField, FormSources, FormValues, RefChoices};
use super::list::{counted, group_thousands, COUNT_CAP};
use super::EntityPages;
use crate::api::records::ClientIp;
use crate::i18n::Tr;
use crate::lists::parse_list_request;
use crate::pages::ctx::{Ctx, Layout};
use crate::pages::format::EMPTY;
use crate::pages::lookup;
use crate::pages::render::{render_status, see_other, OrPage, PageError, PageResult};
use crate::pages::url::{parse_query, query_string, with_query};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use kehu_core::mass_update::{is_mass_updatable, MAX_RECORDS};
use kehu_core::permission::{Action, Scope};
use kehu_core::validation::{Mode, Schema};
use kehu_core::FieldErrors;
use kehu_db::records::mass_update::{self, MassUpdate, MassUpdateCounts, Selection};
use kehu_db::records::{self};
use kehu_db::{picklists, DbError};

/// Parameters of this page that are not the list's filters.
const OWN_PARAMS: &[&str] = &["csrf_token", "step", "all", "ids", "list", "set"];
/// The prefix of the new values' inputs, so that they cannot be taken for list filters
/// of the same field (`level=VIP` filters; `new.level=VIP` sets).
const NEW: &str = "new.";

/// One field the user may set, with the box that says "change it".
pub struct MassField {
    /// The value's input, named `new.<field>`.
    pub input: FormField,
    /// The field's name, the value of its `set` box.
    pub name: String,
    /// Whether the box is ticked.
    pub checked: bool,
    /// The box's accessible name: "Change Level".
    pub set_label: String,
}

/// The counts before applying, as label and value lines.
pub struct Preview {
    /// "Will change: 12 customers", …
    pub lines: Vec<(String, String)>,
    /// Whether anything would change (and the apply button shows).
    pub may_apply: bool,
    /// "Apply to 12 customers".
    pub apply_label: String,
    /// The question asked before applying.
    pub confirm: String,
}

#[derive(Template)]
#[template(path = "records/mass_update.html")]
struct MassUpdatePage {
    l: Layout,
    t: Tr,
    heading: String,
    action: String,
    back: String,
    csrf: String,
    /// "3 customers selected" or "All 120 customers of the list".
    selection: String,
    /// Shown when the list holds more records than one mass update takes.
    too_many: Option<String>,
    hidden: Vec<(String, String)>,
    fields: Vec<MassField>,
    preview: Option<Preview>,
    /// With a preview: the ticked fields and their new values.
    sets: Vec<(String, String)>,
    problems: Vec<String>,
}

/// What the page was given: the ticked ids, or "all" with the list's parameters.
struct Given {
    ids: Vec<i64>,
    all: bool,
    /// The list's search and filters (for "all"; also where "back" leads).
    filters: Vec<(String, String)>,
    /// The list's query string, for going back after changing ticked records.
    list: String,
    /// The ticked fields.
    set: Vec<String>,
    /// The new values by field name (without the prefix).
    values: FormValues,
}

fn given(pairs: Vec<(String, String)>) -> Given {
    let mut given = Given {
        ids: Vec::new(),
        all: false,
        filters: Vec::new(),
        list: String::new(),
        set: Vec::new(),
        values: FormValues::new(),
    };
    for (key, value) in pairs {
        if let Some(name) = key.strip_prefix(NEW) {
            given.values.insert(name.to_string(), value);
            continue;
        }
        match key.as_str() {
            "ids" => given.ids.extend(value.trim().parse::<i64>().ok()),
            "all" => given.all = value == "1",
            "list" => given.list = value,
            "set" => given.set.push(value),
            key if OWN_PARAMS.contains(&key) => {}
            _ if value.trim().is_empty() => {}
            _ => given.filters.push((key, value)),
        }
    }
    given
}

impl Given {
    /// The inputs that carry the selection from one step to the next.
    fn hidden(&self) -> Vec<(String, String)> {
        if self.all {
            let mut hidden = vec![("all".to_string(), "1".to_string())];
            hidden.extend(self.filters.iter().cloned());
            return hidden;
        }
        let mut hidden: Vec<(String, String)> = self
            .ids
            .iter()
            .map(|id| ("ids".to_string(), id.to_string()))
            .collect();
        hidden.push(("list".into(), self.list.clone()));
        hidden
    }

    /// The list the records were chosen on.
    fn back(&self, pages: &EntityPages) -> String {
        if self.all {
            with_query(&pages.base(), &self.filters)
        } else {
            // Only the list's parameters travel, re-encoded here, so "back" stays on it.
            with_query(&pages.base(), &parse_query(&self.list))
        }
    }

    /// The new values of the ticked fields only: unticked fields are left as they are.
    fn ticked_values(&self) -> FormValues {
        self.set
            .iter()
            .map(|name| {
                let value = self.values.get(name).cloned().unwrap_or_default();
                (name.clone(), value)
            })
            .collect()
    }
}

/// Whether the user may set fields (`mass update`) or owners (`assign`) at all.
fn may_change(pages: &EntityPages, ctx: &Ctx) -> (bool, bool) {
    let scope = |action| ctx.actor().scope(pages.entity.name, action) != Scope::None;
    (scope(Action::MassUpdate), scope(Action::Assign))
}

/// Whether a list shows the boxes and buttons of a mass update.
pub fn offered(pages: &EntityPages, ctx: &Ctx) -> bool {
    let (fields, owners) = may_change(pages, ctx);
    fields || owners
}

/// The selection as the repository takes it, or the problems with the list's filters.
fn selection(
    pages: &EntityPages,
    ctx: &Ctx,
    custom: &[kehu_core::entity::CustomFieldDef],
    given: &Given,
) -> Result<Selection, FieldErrors> {
    if given.all {
        let query =
            parse_list_request(pages.entity, &ctx.actor().fields, custom, &given.filters, 1)?;
        return Ok(Selection::Matching {
            text: query.text,
            filters: query.filters,
        });
    }
    if given.ids.is_empty() {
        let mut errors = FieldErrors::default();
        errors.add("ids", "no_records", "choose at least one record");
        return Err(errors);
    }
    Ok(Selection::Ids(given.ids.clone()))
}

struct PageState<'a> {
    given: &'a Given,
    errors: &'a FieldErrors,
    preview: Option<Preview>,
}

async fn page(
    pages: &'static EntityPages,
    state: &AppState,
    ctx: &Ctx,
    form: PageState<'_>,
) -> Result<MassUpdatePage, PageError> {
    let t = ctx.t;
    let entity = pages.entity;
    let given = form.given;
    let custom = state.custom_fields(&ctx.auth, entity).await.or_page(ctx)?;
    let lists = picklists::all(&state.db).await.or_page(ctx)?;
    let (may_set_fields, may_assign) = may_change(pages, ctx);
    let assign = ctx.actor().visibility(entity.name, Action::Assign);
    let owners = lookup::all_users(&state.db)
        .await
        .or_page(ctx)?
        .into_iter()
        .filter(|u| u.active && assign.covers(u.id, u.team_id))
        .map(|u| (u.id, u.display_name))
        .collect();
    let refs = RefChoices {
        owners,
        ..RefChoices::default()
    };
    let rules = &ctx.actor().fields;
    let sources = FormSources {
        entity,
        custom: &custom,
        picklists: &lists,
        refs: &refs,
        rules,
    };
    let inputs = form_fields(t, &sources, &given.values, form.errors);
    let problems = unshown_errors(t, &inputs, form.errors);
    let fields: Vec<MassField> = inputs
        .into_iter()
        .filter(|input| {
            let settable = match entity.field(&input.name) {
                Some(field) if field.name == "owner_id" => may_assign,
                Some(field) => may_set_fields && is_mass_updatable(field),
                // Custom fields.
                None => may_set_fields,
            };
            settable && !input.read_only
        })
        .map(|mut input| {
            let name = std::mem::take(&mut input.name);
            input.id = format!("m-{}", input.id);
            input.required = false;
            if name == "owner_id" && entity.name == "account" {
                input.hint = t.t("mass.owner_hint").to_string();
            }
            input.name = format!("{NEW}{name}");
            MassField {
                checked: given.set.contains(&name),
                set_label: t.fmt("mass.change_field", &[("field", &input.label)]),
                name,
                input,
            }
        })
        .collect();
    // The preview repeats the values it counted with, so that what is applied is read
    // once more where the button is.
    let sets = if form.preview.is_some() {
        fields
            .iter()
            .filter(|f: &&MassField| f.checked)
            .map(|f| (f.input.label.clone(), shown_value(&f.input)))
            .collect()
    } else {
        Vec::new()
    };
    let (selection, too_many) = selection_text(pages, state, ctx, &custom, given).await?;
    let heading = t.t(&pages.key("mass_title")).to_string();
    Ok(MassUpdatePage {
        l: ctx.layout(heading.clone(), pages.nav),
        t,
        heading,
        action: format!("{}/mass-update", pages.base()),
        back: given.back(pages),
        csrf: ctx.csrf(),
        selection,
        too_many,
        hidden: given.hidden(),
        fields,
        preview: form.preview,
        sets,
        problems,
    })
}

/// A new value as the user chose it: the option's label, the typed text, or "—" (cleared).
fn shown_value(input: &FormField) -> String {
    let text = match input.options.iter().find(|o| o.selected) {
        Some(option) if !option.value.is_empty() => option.label.clone(),
        Some(_) => String::new(),
        None => input.value.trim().to_string(),
    };
    if text.is_empty() {
        EMPTY.to_string()
    } else {
        text
    }
}

/// "3 customers selected", or "All 120 customers of the list" with a warning when the
/// list is longer than one mass update may be.
async fn selection_text(
    pages: &EntityPages,
    state: &AppState,
    ctx: &Ctx,
    custom: &[kehu_core::entity::CustomFieldDef],
    given: &Given,
) -> Result<(String, Option<String>), PageError> {
    let t = ctx.t;
    let noun = format!("count.{}", pages.entity.table);
    if !given.all {
        let mut ids = given.ids.clone();
        ids.sort_unstable();
        ids.dedup();
        let records = counted(t, pages.entity.table, ids.len() as u64);
        return Ok((t.fmt("mass.selected", &[("records", &records)]), None));
    }
    let Ok(query) =
        parse_list_request(pages.entity, &ctx.actor().fields, custom, &given.filters, 1)
    else {
        return Ok((t.t("mass.all_unknown").to_string(), None));
    };
    let visibility = ctx.actor().visibility(pages.entity.name, Action::Read);
    let (n, capped) = records::count(&state.db, pages.entity, &visibility, &query, COUNT_CAP)
        .await
        .or_page(ctx)?;
    let shown = if capped {
        format!("{}+", group_thousands(n))
    } else {
        group_thousands(n)
    };
    let records = t.count(&noun, n, &shown);
    let too_many = (n as usize > MAX_RECORDS).then(|| {
        t.fmt(
            "mass.too_many",
            &[("max", &group_thousands(MAX_RECORDS as u64))],
        )
    });
    Ok((t.fmt("mass.all", &[("records", &records)]), too_many))
}

fn preview_of(pages: &EntityPages, t: Tr, given: &Given, counts: &MassUpdateCounts) -> Preview {
    let records = |n: u64| counted(t, pages.entity.table, n);
    let mut lines = vec![(t.t("mass.will_change").to_string(), records(counts.changed))];
    let unchanged = counts.matched - counts.changed;
    if unchanged > 0 {
        lines.push((t.t("mass.up_to_date").to_string(), records(unchanged)));
    }
    if !given.all {
        let mut ids = given.ids.clone();
        ids.sort_unstable();
        ids.dedup();
        // Ids the user may not change, or that do not exist: told apart from neither.
        let left_alone = (ids.len() as u64).saturating_sub(counts.matched);
        if left_alone > 0 {
            lines.push((t.t("mass.left_alone").to_string(), records(left_alone)));
        }
    }
    for (entity, n) in &counts.moved_with {
        if let Some(def) = kehu_core::entity::entity_by_name(entity) {
            lines.push((
                t.t("mass.moved_with").to_string(),
                counted(t, def.table, *n),
            ));
        }
    }
    let changed = records(counts.changed);
    Preview {
        lines,
        may_apply: counts.changed > 0,
        apply_label: t.fmt("mass.apply", &[("records", &changed)]),
        confirm: t.fmt("mass.confirm", &[("records", &changed)]),
    }
}

/// `GET /accounts/mass-update?ids=…` (ticked on the list) or `?all=1&<list filters>`.
pub async fn form(
    pages: &'static EntityPages,
    ctx: Ctx,
    State(state): State<AppState>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> PageResult {
    if !offered(pages, &ctx) {
        return Err(ctx.not_found());
    }
    let given = given(pairs);
    let custom = state
        .custom_fields(&ctx.auth, pages.entity)
        .await
        .or_page(&ctx)?;
    let errors = selection(pages, &ctx, &custom, &given)
        .err()
        .unwrap_or_default();
    respond(pages, &state, &ctx, &given, &errors, None).await
}

/// `POST /accounts/mass-update`: `step=preview` counts, `step=apply` changes the records
/// and goes back to the list, which says how many changed.
pub async fn submit(
    pages: &'static EntityPages,
    ctx: Ctx,
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    if !offered(pages, &ctx) {
        return Err(ctx.not_found());
    }
    let applying = pairs.iter().any(|(k, v)| k == "step" && v == "apply");
    let given = given(pairs);
    let entity = pages.entity;
    let custom = state.custom_fields(&ctx.auth, entity).await.or_page(&ctx)?;
    let lists = picklists::all(&state.db).await.or_page(&ctx)?;
    let schema = Schema {
        entity,
        custom_fields: &custom,
        picklists: &lists,
    };
    let request = selection(pages, &ctx, &custom, &given).and_then(|selection| {
        let changes = schema.from_form(&given.ticked_values(), Mode::Update)?;
        Ok(MassUpdate { selection, changes })
    });
    let result = match &request {
        Err(errors) => Err(DbError::Invalid(errors.clone())),
        Ok(request) if applying => {
            mass_update::apply(&state.db, entity, ctx.actor(), ip.as_deref(), request).await
        }
        Ok(request) => mass_update::preview(&state.db, entity, ctx.actor(), request).await,
    };
    let (preview, errors) = match result {
        Ok(counts) if applying => return Ok(see_other(&done_link(pages, &given, &counts))),
        Ok(counts) => (
            Some(preview_of(pages, ctx.t, &given, &counts)),
            FieldErrors::default(),
        ),
        Err(DbError::Invalid(errors)) => (None, errors),
        Err(other) => return Err(ctx.fail(other)),
    };
    respond(pages, &state, &ctx, &given, &errors, preview).await
}

/// The page, with its problems (then a 422) or its preview.
async fn respond(
    pages: &'static EntityPages,
    state: &AppState,
    ctx: &Ctx,
    given: &Given,
    errors: &FieldErrors,
    preview: Option<Preview>,
) -> PageResult {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let form = PageState {
        given,
        errors,
        preview,
    };
    let page = page(pages, state, ctx, form).await?;
    Ok(render_status(status, &page))
}

/// Back to the list, with what changed for its notice.
fn done_link(pages: &EntityPages, given: &Given, counts: &MassUpdateCounts) -> String {
    let back = given.back(pages);
    let mut params = vec![
        ("notice".to_string(), "mass_updated".to_string()),
        ("changed".to_string(), counts.changed.to_string()),
    ];
    let moved: u64 = counts.moved_with.iter().map(|(_, n)| n).sum();
    if moved > 0 {
        params.push(("moved".to_string(), moved.to_string()));
    }
    let separator = if back.contains('?') { '&' } else { '?' };
    format!("{back}{separator}{}", query_string(&params))
}

/// The list's notice after a mass update: "Changed 12 customers." (with the contacts that
/// went along), from the counts the apply step redirected with.
pub fn done_notice(pages: &EntityPages, t: Tr, params: &[(String, String)]) -> Option<String> {
    let param = |key: &str| {
        params
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| v.parse::<u64>().ok())
    };
    let is_ours = params
        .iter()
        .any(|(k, v)| k == "notice" && v == "mass_updated");
    if !is_ours {
        return None;
    }
    Some(done_text(
        t,
        pages.entity.table,
        param("changed")?,
        param("moved").unwrap_or(0),
    ))
}

/// "Changed 12 customers." or "Changed 12 customers; 7 contacts went with them to the new
/// owner." (the records that follow a customer are contacts, `FOLLOW_THEIR_ACCOUNT`).
pub fn done_text(t: Tr, table: &str, changed: u64, moved: u64) -> String {
    let records = counted(t, table, changed);
    if moved == 0 {
        return t.fmt("mass.done", &[("records", &records)]);
    }
    let contacts = counted(t, "contacts", moved);
    t.fmt(
        "mass.done_with",
        &[("records", &records), ("contacts", &contacts)],
    )
}
