//! `/admin/custom-fields`: the fields admins added to customers and contacts; adding
//! one (key, labels in both languages, kind, options) and deleting one.

use super::{require, tabs, Tab};
use crate::i18n::Tr;
use crate::pages::ctx::{Ctx, Layout};
use crate::pages::render::{render, render_status, see_other, OrPage, PageError, PageResult};
use crate::pages::{FormErrors, Notice, SelectOption};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use kehu_core::entity::{CustomFieldDef, CustomFieldKind, ENTITIES};
use kehu_core::FieldErrors;
use kehu_db::{custom_fields, DbError};
use serde::Deserialize;

/// The kinds admins can choose, in the order the form lists them.
const KINDS: [(CustomFieldKind, &str); 4] = [
    (CustomFieldKind::Text, "text"),
    (CustomFieldKind::Number, "number"),
    (CustomFieldKind::Date, "date"),
    (CustomFieldKind::Select, "select"),
];

/// A custom field in the list.
pub struct FieldRow {
    /// Entity, translated.
    pub entity: String,
    /// Machine name.
    pub key: String,
    /// Chinese label.
    pub label_zh: String,
    /// English label.
    pub label_en: String,
    /// Kind, translated.
    pub kind: String,
    /// Options of a select.
    pub options: String,
    /// Where the delete form posts.
    pub delete_action: String,
}

#[derive(Template)]
#[template(path = "admin/custom_fields.html")]
struct CustomFieldsPage {
    l: Layout,
    t: Tr,
    tabs: Vec<Tab>,
    csrf: String,
    rows: Vec<FieldRow>,
    entities: Vec<SelectOption>,
    kinds: Vec<SelectOption>,
    input: FieldInput,
    errors: FormErrors,
    notice: Option<String>,
}

/// The add form's fields.
#[derive(Debug, Default, Deserialize)]
pub struct FieldInput {
    #[serde(default)]
    entity: String,
    #[serde(default)]
    key: String,
    #[serde(default)]
    label_zh: String,
    #[serde(default)]
    label_en: String,
    #[serde(default)]
    kind: String,
    /// One option per line (or separated by commas).
    #[serde(default)]
    options: String,
}

impl FieldInput {
    fn definition(&self) -> CustomFieldDef {
        CustomFieldDef {
            id: 0,
            entity: self.entity.clone(),
            key: self.key.trim().to_string(),
            label_en: self.label_en.clone(),
            label_zh: self.label_zh.clone(),
            kind: KINDS
                .iter()
                .find(|(_, name)| *name == self.kind)
                .map(|(k, _)| *k)
                .unwrap_or(CustomFieldKind::Text),
            options: self
                .options
                .split(['\n', ',', '，'])
                .map(|o| o.trim().to_string())
                .filter(|o| !o.is_empty())
                .collect(),
        }
    }
}

fn kind_name(kind: CustomFieldKind) -> &'static str {
    KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, n)| *n)
        .unwrap_or("text")
}

async fn page(
    ctx: &Ctx,
    state: &AppState,
    input: FieldInput,
    errors: &FieldErrors,
    notice: Option<String>,
) -> Result<CustomFieldsPage, PageError> {
    let t = ctx.t;
    let mut rows = Vec::new();
    for entity in ENTITIES {
        for def in custom_fields::for_entity(&state.db, entity.name)
            .await
            .or_page(ctx)?
        {
            rows.push(FieldRow {
                entity: t.entity(entity.name),
                kind: t
                    .t(&format!("admin.kind_{}", kind_name(def.kind)))
                    .to_string(),
                options: def.options.join(", "),
                delete_action: format!("/admin/custom-fields/{}/delete", def.id),
                key: def.key,
                label_zh: def.label_zh,
                label_en: def.label_en,
            });
        }
    }
    let entity = if input.entity.is_empty() {
        "account".to_string()
    } else {
        input.entity.clone()
    };
    let entities = ENTITIES
        .iter()
        .map(|e| SelectOption {
            value: e.name.into(),
            label: t.entity(e.name),
            selected: e.name == entity,
        })
        .collect();
    let kinds = KINDS
        .iter()
        .map(|(_, name)| SelectOption {
            value: name.to_string(),
            label: t.t(&format!("admin.kind_{name}")).to_string(),
            selected: *name == input.kind,
        })
        .collect();
    Ok(CustomFieldsPage {
        l: ctx.layout(t.t("admin.custom_fields_title"), "admin"),
        t,
        tabs: tabs(ctx, "custom-fields"),
        csrf: ctx.csrf(),
        rows,
        entities,
        kinds,
        input,
        errors: FormErrors::translate(t, errors),
        notice,
    })
}

/// `GET /admin/custom-fields`.
pub async fn list(
    ctx: Ctx,
    State(state): State<AppState>,
    Query(params): Query<Vec<(String, String)>>,
) -> PageResult {
    require(&ctx, "settings")?;
    let notice = Notice::from_params(ctx.t, &params);
    Ok(render(
        &page(
            &ctx,
            &state,
            FieldInput::default(),
            &FieldErrors::default(),
            notice,
        )
        .await?,
    ))
}

/// `POST /admin/custom-fields`.
pub async fn create(
    ctx: Ctx,
    State(state): State<AppState>,
    Form(input): Form<FieldInput>,
) -> PageResult {
    require(&ctx, "settings")?;
    match custom_fields::create(&state.db, &input.definition()).await {
        Ok(_) => Ok(see_other("/admin/custom-fields?notice=field_added")),
        Err(DbError::Invalid(errors)) => {
            let page = page(&ctx, &state, input, &errors, None).await?;
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(other) => Err(ctx.fail(other)),
    }
}

/// `POST /admin/custom-fields/{id}/delete`: values stay in the records but are hidden.
pub async fn delete(ctx: Ctx, State(state): State<AppState>, Path(id): Path<i64>) -> PageResult {
    require(&ctx, "settings")?;
    custom_fields::delete(&state.db, id).await.or_page(&ctx)?;
    Ok(see_other("/admin/custom-fields?notice=field_deleted"))
}
