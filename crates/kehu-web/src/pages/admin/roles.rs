//! `/admin/roles`: the roles, and for each a matrix of entity × action with a scope
//! (all / team / own / none) per cell, saved with its version.

use super::{require, tabs, Tab};
use crate::api::records::ClientIp;
use crate::i18n::Tr;
use crate::pages::ctx::{Ctx, Layout};
use crate::pages::render::{render, render_status, see_other, OrPage, PageError, PageResult};
use crate::pages::{FormErrors, Notice, SelectOption};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use kehu_core::permission::{permission_entities, Action, Grants, Scope};
use kehu_core::FieldErrors;
use kehu_db::events::Origin;
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
    let grants = form
        .get("copy_from")
        .and_then(|c| roles.iter().find(|r| &r.name == c))
        .map(|r| r.grants.clone())
        .unwrap_or_default();
    let result = if roles.iter().any(|r| r.name == name.trim()) {
        Err(DbError::field("name", "taken", "is already taken"))
    } else {
        roles::create(&state.db, &name, &grants).await
    };
    match result {
        Ok(role) => Ok(see_other(&format!("/admin/roles/{}", role.id))),
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

fn form_page(
    ctx: &Ctx,
    role: &Role,
    grants: &Grants,
    version: i64,
    conflict: bool,
) -> RoleFormPage {
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
        matrix: matrix(t, grants),
        version,
        conflict,
    }
}

/// `GET /admin/roles/{id}`.
pub async fn edit_form(ctx: Ctx, State(state): State<AppState>, Path(id): Path<i64>) -> PageResult {
    require(&ctx, "role")?;
    let role = find(&ctx, &state, id).await?;
    Ok(render(&form_page(
        &ctx,
        &role,
        &role.grants,
        role.version,
        false,
    )))
}

/// `POST /admin/roles/{id}`: saves the matrix if nobody else saved it meanwhile.
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
    let origin = Origin::user(ctx.auth.user.id, ip);
    match roles::update_grants(&state.db, &origin, id, version, &grants).await {
        Ok(_) => Ok(see_other("/admin/roles?notice=role_saved")),
        Err(DbError::StaleVersion { current }) => Ok(render_status(
            StatusCode::CONFLICT,
            &form_page(&ctx, &role, &grants, current, true),
        )),
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
}
