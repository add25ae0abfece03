//! `/admin/roles`: the roles, and for each a matrix of entity × action with a scope
//! (all / team / own / none) per cell, saved with its version, and per entity the fields
//! the role hides or makes read-only.

use super::{require, tabs, Tab};
use crate::api::records::ClientIp;
use crate::i18n::Tr;
use crate::pages::ctx::{Ctx, Layout};
use crate::pages::render::{render, render_status, see_other, OrPage, PageError, PageResult};
use crate::pages::timeline::custom_defs;
use crate::pages::{FormErrors, Notice, SelectOption};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use kehu_core::entity::{entity_by_name, ENTITIES};
use kehu_core::field_security::{custom_field_name, securable, FieldAccess, FieldRules};
use kehu_core::permission::{permission_entities, Action, Grants, Scope};
use kehu_core::FieldErrors;
use kehu_db::events::Origin;
use kehu_db::field_security;
use kehu_db::roles::{self, Role};
use kehu_db::DbError;
use std::collections::HashMap;
use std::str::FromStr;

/// A role in the list.
pub struct RoleRow {
    /// Edit page.
    pub link: String,
    /// Translated name.
    pub label: String,
    /// Stored name.
    pub name: String,
}

/// One cell of the matrix.
pub struct MatrixCell {
    /// The select's name (`account.read`).
    pub name: String,
    /// The action, for the phone layout where headers are hidden.
    pub action: String,
    /// Scopes.
    pub options: Vec<SelectOption>,
}

/// One field's access choice in the field security section.
pub struct FieldChoice {
    /// Field label.
    pub label: String,
    /// The select's name (`fls.account.credit_limit`).
    pub name: String,
    /// Editable / read-only / hidden.
    pub options: Vec<SelectOption>,
}

/// The field security choices of one entity.
pub struct FieldSection {
    /// Entity label.
    pub label: String,
    /// Its securable fields, built-in then custom.
    pub fields: Vec<FieldChoice>,
}

/// The custom fields of each record entity, for the field security section.
type CustomByEntity = Vec<(&'static str, Vec<kehu_core::entity::CustomFieldDef>)>;

/// One entity's row of the matrix.
pub struct MatrixRow {
    /// Entity label.
    pub label: String,
    /// A cell per action.
    pub cells: Vec<MatrixCell>,
}

#[derive(Template)]
#[template(path = "admin/roles.html")]
struct RolesPage {
    l: Layout,
    t: Tr,
    tabs: Vec<Tab>,
    csrf: String,
    rows: Vec<RoleRow>,
    name: String,
    copy_from: Vec<SelectOption>,
    errors: FormErrors,
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/role_form.html")]
struct RoleFormPage {
    l: Layout,
    t: Tr,
    tabs: Vec<Tab>,
    csrf: String,
    heading: String,
    action: String,
    actions: Vec<String>,
    matrix: Vec<MatrixRow>,
    field_sections: Vec<FieldSection>,
    version: i64,
    conflict: bool,
}

fn matrix(t: Tr, grants: &Grants) -> Vec<MatrixRow> {
    permission_entities()
        .into_iter()
        .map(|entity| MatrixRow {
            label: t.entity(entity),
            cells: Action::ALL
                .iter()
                .map(|action| {
                    let current = grants.scope(entity, *action);
                    MatrixCell {
                        name: format!("{entity}.{}", action.as_str()),
                        action: t.action(action.as_str()),
                        options: Scope::ALL
                            .iter()
                            .rev()
                            .map(|scope| SelectOption {
                                value: scope.as_str().into(),
                                label: t.scope(scope.as_str()),
                                selected: *scope == current,
                            })
                            .collect(),
                    }
                })
                .collect(),
        })
        .collect()
}

fn field_sections(t: Tr, rules: &FieldRules, custom: &CustomByEntity) -> Vec<FieldSection> {
    let choice = |entity: &str, name: String, label: String| FieldChoice {
        options: FieldAccess::ALL
            .iter()
            .map(|access| SelectOption {
                value: access.as_str().into(),
                label: t.t(&format!("admin.field_{}", access.as_str())).to_string(),
                selected: *access == rules.access(entity, &name),
            })
            .collect(),
        name: format!("fls.{entity}.{name}"),
        label,
    };
    ENTITIES
        .iter()
        .map(|entity| {
            let built_in = entity.fields.iter().filter(|f| securable(f)).map(|f| {
                choice(
                    entity.name,
                    f.name.to_string(),
                    t.field(entity.name, f.name),
                )
            });
            let custom_defs = custom
                .iter()
                .filter(|(e, _)| *e == entity.name)
                .flat_map(|(_, defs)| defs.iter());
            let custom = custom_defs.map(|def| {
                choice(
                    entity.name,
                    custom_field_name(&def.key),
                    t.custom_field(def),
                )
            });
            FieldSection {
                label: t.entity(entity.name),
                fields: built_in.chain(custom).collect(),
            }
        })
        .collect()
}

/// Reads the field security section (`fls.ENTITY.FIELD=hidden`) from the submitted form;
/// names that are not securable are ignored.
pub fn field_rules_from_form(pairs: &[(String, String)]) -> FieldRules {
    let mut rules = FieldRules::default();
    for (key, value) in pairs {
        let Some((entity, field)) = key
            .strip_prefix("fls.")
            .and_then(|rest| rest.split_once('.'))
        else {
            continue;
        };
        let Some(def) = entity_by_name(entity).filter(|def| def.name == entity) else {
            continue;
        };
        let known = match field.strip_prefix("custom.") {
            Some(key) => kehu_core::entity::valid_custom_key(key),
            None => def.field(field).is_some_and(securable),
        };
        if let (true, Ok(access)) = (known, FieldAccess::from_str(value)) {
            rules.set(entity, field, access);
        }
    }
    rules
}

/// Reads the matrix from the submitted form; unknown names and scopes are ignored.
pub fn grants_from_form(pairs: &[(String, String)]) -> Grants {
    let mut grants = Grants::default();
    for (key, value) in pairs {
        let Some((entity, action)) = key.split_once('.') else {
            continue;
        };
        if !permission_entities().contains(&entity) {
            continue;
        }
        if let (Ok(action), Ok(scope)) = (Action::from_str(action), Scope::from_str(value)) {
            grants.set(entity, action, scope);
        }
    }
    grants
}

async fn list_page(
    ctx: &Ctx,
    state: &AppState,
    name: &str,
    errors: &FieldErrors,
    notice: Option<String>,
) -> Result<RolesPage, PageError> {
    let t = ctx.t;
    let roles = roles::list(&state.db).await.or_page(ctx)?;
    let copy_from = roles
        .iter()
        .map(|r| SelectOption {
            value: r.name.clone(),
            label: t.role(&r.name),
            selected: r.name == "sales_rep",
        })
        .collect();
    Ok(RolesPage {
        l: ctx.layout(t.t("admin.roles_title"), "admin"),
        t,
        tabs: tabs(ctx, "roles"),
        csrf: ctx.csrf(),
        rows: roles
            .into_iter()
            .map(|r| RoleRow {
                link: format!("/admin/roles/{}", r.id),
                label: t.role(&r.name),
                name: r.name,
            })
            .collect(),
        name: name.to_string(),
        copy_from,
        errors: FormErrors::translate(t, errors),
        notice,
    })
}

/// `GET /admin/roles`.
pub async fn list(
    ctx: Ctx,
    State(state): State<AppState>,
    Query(params): Query<Vec<(String, String)>>,
) -> PageResult {
    require(&ctx, "role")?;
    let notice = Notice::from_params(ctx.t, &params);
    Ok(render(
        &list_page(&ctx, &state, "", &FieldErrors::default(), notice).await?,
    ))
}

/// `POST /admin/roles`: a new role, starting from a copy of another's grants.
pub async fn create(
    ctx: Ctx,
    State(state): State<AppState>,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    require(&ctx, "role")?;
    let name = form.get("name").cloned().unwrap_or_default();
    let roles = roles::list(&state.db).await.or_page(&ctx)?;
    let copied = form
        .get("copy_from")
        .and_then(|c| roles.iter().find(|r| &r.name == c));
    let grants = copied.map(|r| r.grants.clone()).unwrap_or_default();
    let result = if roles.iter().any(|r| r.name == name.trim()) {
        Err(DbError::field("name", "taken", "is already taken"))
    } else {
        roles::create(&state.db, &name, &grants).await
    };
    match result {
        Ok(role) => {
            // The copy starts with the field security of the role it copies, too.
            if let Some(source) = copied {
                let fields = field_security::for_role(&state.db, source.id)
                    .await
                    .or_page(&ctx)?;
                let origin = Origin::user(ctx.auth.user.id, None);
                field_security::replace(&state.db, &origin, role.id, &fields)
                    .await
                    .or_page(&ctx)?;
            }
            Ok(see_other(&format!("/admin/roles/{}", role.id)))
        }
        Err(DbError::Invalid(errors)) => {
            let page = list_page(&ctx, &state, &name, &errors, None).await?;
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(other) => Err(ctx.fail(other)),
    }
}

async fn find(ctx: &Ctx, state: &AppState, id: i64) -> Result<Role, PageError> {
    roles::list(&state.db)
        .await
        .or_page(ctx)?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or_else(|| ctx.not_found())
}

/// What the role form shows besides the role itself.
struct Shown<'a> {
    grants: &'a Grants,
    fields: &'a FieldRules,
    custom: &'a CustomByEntity,
    version: i64,
    conflict: bool,
}

fn form_page(ctx: &Ctx, role: &Role, shown: Shown<'_>) -> RoleFormPage {
    let t = ctx.t;
    let heading = t.fmt("admin.edit_role", &[("name", &t.role(&role.name))]);
    RoleFormPage {
        l: ctx.layout(heading.clone(), "admin"),
        t,
        tabs: tabs(ctx, "roles"),
        csrf: ctx.csrf(),
        heading,
        action: format!("/admin/roles/{}", role.id),
        actions: Action::ALL.iter().map(|a| t.action(a.as_str())).collect(),
        matrix: matrix(t, shown.grants),
        field_sections: field_sections(t, shown.fields, shown.custom),
        version: shown.version,
        conflict: shown.conflict,
    }
}

/// `GET /admin/roles/{id}`.
pub async fn edit_form(ctx: Ctx, State(state): State<AppState>, Path(id): Path<i64>) -> PageResult {
    require(&ctx, "role")?;
    let role = find(&ctx, &state, id).await?;
    let fields = field_security::for_role(&state.db, id)
        .await
        .or_page(&ctx)?;
    let custom = custom_defs(&state.db).await.or_page(&ctx)?;
    Ok(render(&form_page(
        &ctx,
        &role,
        Shown {
            grants: &role.grants,
            fields: &fields,
            custom: &custom,
            version: role.version,
            conflict: false,
        },
    )))
}

/// `POST /admin/roles/{id}`: saves the matrix and the field security if nobody else saved
/// the role meanwhile. Both changes are audited.
pub async fn update(
    ctx: Ctx,
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    require(&ctx, "role")?;
    let role = find(&ctx, &state, id).await?;
    let version = pairs
        .iter()
        .find(|(k, _)| k == "version")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let grants = grants_from_form(&pairs);
    let fields = field_rules_from_form(&pairs);
    let origin = Origin::user(ctx.auth.user.id, ip);
    let saved = match roles::update_grants(&state.db, &origin, id, version, &grants).await {
        Ok(_) => field_security::replace(&state.db, &origin, id, &fields).await,
        Err(error) => Err(error),
    };
    match saved {
        Ok(()) => Ok(see_other("/admin/roles?notice=role_saved")),
        Err(DbError::StaleVersion { current }) => {
            let custom = custom_defs(&state.db).await.or_page(&ctx)?;
            let shown = Shown {
                grants: &grants,
                fields: &fields,
                custom: &custom,
                version: current,
                conflict: true,
            };
            Ok(render_status(
                StatusCode::CONFLICT,
                &form_page(&ctx, &role, shown),
            ))
        }
        Err(other) => Err(ctx.fail(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_matrix_and_ignores_junk() {
        let pairs: Vec<(String, String)> = [
            ("account.read", "all"),
            ("contact.edit", "own"),
            ("bogus.read", "all"),
            ("account.fly", "all"),
            ("version", "3"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let grants = grants_from_form(&pairs);
        assert_eq!(grants.scope("account", Action::Read), Scope::All);
        assert_eq!(grants.scope("contact", Action::Edit), Scope::Own);
        assert!(!grants.0.contains_key("bogus"));
    }

    #[test]
    fn reads_field_security_and_ignores_junk() {
        let pairs: Vec<(String, String)> = [
            ("fls.account.credit_limit", "hidden"),
            ("fls.contact.custom.wechat", "read_only"),
            ("fls.contact.mobile", "editable"),
            ("fls.account.owner_id", "hidden"),
            ("fls.accounts.city", "hidden"),
            ("fls.account.city", "invisible"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let rules = field_rules_from_form(&pairs);
        assert_eq!(rules.access("account", "credit_limit"), FieldAccess::Hidden);
        assert_eq!(
            rules.access("contact", "custom.wechat"),
            FieldAccess::ReadOnly
        );
        assert_eq!(rules.entries().count(), 2);
    }
}
