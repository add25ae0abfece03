//! `/admin/users`: the user list, creating users with a team and roles, editing them,
//! resetting a password, and deactivating or reactivating them.

use super::{require, tabs, Tab};
use crate::api::records::ClientIp;
use crate::auth::password::{check_new_password, hash_password};
use crate::i18n::Tr;
use crate::pages::ctx::{Ctx, Layout};
use crate::pages::render::{render, render_status, see_other, OrPage, PageError, PageResult};
use crate::pages::{FormErrors, Notice, SelectOption};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use kehu_core::{Email, FieldErrors};
use kehu_db::events::Origin;
use kehu_db::users::{NewUser, User, UserChanges};
use kehu_db::{roles, teams, users, DbError};
use std::collections::HashMap;

/// A row of the user list.
pub struct UserRow {
    /// The edit page.
    pub edit_link: String,
    /// Name shown to others.
    pub display_name: String,
    /// Sign-in name.
    pub username: String,
    /// E-mail.
    pub email: String,
    /// Team name.
    pub team: String,
    /// Role names, translated.
    pub roles: String,
    /// May sign in.
    pub active: bool,
    /// Where the activate/deactivate form posts (none for oneself).
    pub toggle_action: Option<String>,
    /// Version for the toggle.
    pub version: i64,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    l: Layout,
    t: Tr,
    tabs: Vec<Tab>,
    csrf: String,
    rows: Vec<UserRow>,
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/user_form.html")]
struct UserFormPage {
    l: Layout,
    t: Tr,
    tabs: Vec<Tab>,
    csrf: String,
    heading: String,
    action: String,
    is_new: bool,
    username: String,
    display_name: String,
    email: String,
    teams: Vec<SelectOption>,
    roles: Vec<SelectOption>,
    version: i64,
    errors: FormErrors,
    conflict: bool,
}

/// `GET /admin/users`.
pub async fn list(
    ctx: Ctx,
    State(state): State<AppState>,
    Query(params): Query<Vec<(String, String)>>,
) -> PageResult {
    require(&ctx, "user")?;
    let t = ctx.t;
    let team_names: HashMap<i64, String> = teams::list(&state.db)
        .await
        .or_page(&ctx)?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let rows = users::list(&state.db)
        .await
        .or_page(&ctx)?
        .into_iter()
        .map(|u| UserRow {
            edit_link: format!("/admin/users/{}", u.id),
            team: u
                .team_id
                .and_then(|id| team_names.get(&id).cloned())
                .unwrap_or_default(),
            roles: u
                .roles
                .iter()
                .map(|r| t.role(r))
                .collect::<Vec<_>>()
                .join(", "),
            toggle_action: (u.id != ctx.auth.user.id)
                .then(|| format!("/admin/users/{}/active", u.id)),
            email: u.email.unwrap_or_default(),
            display_name: u.display_name,
            username: u.username,
            active: u.active,
            version: u.version,
        })
        .collect();
    let page = UsersPage {
        l: ctx.layout(t.t("admin.users_title"), "admin"),
        t,
        tabs: tabs(&ctx, "users"),
        csrf: ctx.csrf(),
        rows,
        notice: Notice::from_params(t, &params),
    };
    Ok(render(&page))
}

/// What the user form holds.
#[derive(Default)]
struct UserInput {
    username: String,
    display_name: String,
    email: String,
    password: String,
    team_id: Option<i64>,
    roles: Vec<String>,
    version: i64,
}

impl UserInput {
    fn from_pairs(pairs: Vec<(String, String)>) -> UserInput {
        let mut input = UserInput::default();
        for (key, value) in pairs {
            match key.as_str() {
                "username" => input.username = value.trim().to_string(),
                "display_name" => input.display_name = value,
                "email" => input.email = value.trim().to_string(),
                "password" => input.password = value,
                "team_id" => input.team_id = value.parse().ok(),
                "role" => input.roles.push(value),
                "version" => input.version = value.parse().unwrap_or(0),
                _ => {}
            }
        }
        input
    }

    fn of(user: &User) -> UserInput {
        UserInput {
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            email: user.email.clone().unwrap_or_default(),
            password: String::new(),
            team_id: user.team_id,
            roles: user.roles.clone(),
            version: user.version,
        }
    }

    /// Checks what the database does not: e-mail shape and password length.
    fn check(&self, new_user: bool) -> FieldErrors {
        let mut errors = FieldErrors::default();
        if !self.email.is_empty() && Email::parse(&self.email).is_err() {
            errors.add(
                "email",
                "invalid_email",
                "must be an e-mail address like name@example.com",
            );
        }
        if (new_user || !self.password.is_empty()) && check_new_password(&self.password).is_err() {
            errors.add(
                "password",
                "password_too_short",
                "must be at least 10 characters",
            );
        }
        errors
    }
}

async fn form_page(
    ctx: &Ctx,
    state: &AppState,
    user: Option<&User>,
    input: &UserInput,
    errors: &FieldErrors,
    conflict: bool,
) -> Result<UserFormPage, PageError> {
    let t = ctx.t;
    let team_list = teams::list(&state.db).await.or_page(ctx)?;
    let role_list = roles::list(&state.db).await.or_page(ctx)?;
    let mut teams = vec![SelectOption {
        value: String::new(),
        label: "—".into(),
        selected: input.team_id.is_none(),
    }];
    teams.extend(team_list.into_iter().map(|team| SelectOption {
        selected: Some(team.id) == input.team_id,
        value: team.id.to_string(),
        label: team.name,
    }));
    let roles = role_list
        .into_iter()
        .map(|r| SelectOption {
            selected: input.roles.contains(&r.name),
            label: t.role(&r.name),
            value: r.name,
        })
        .collect();
    let (heading, action) = match user {
        Some(u) => (
            t.fmt("admin.edit_user", &[("name", &u.display_name)]),
            format!("/admin/users/{}", u.id),
        ),
        None => (
            t.t("admin.new_user").to_string(),
            "/admin/users".to_string(),
        ),
    };
    Ok(UserFormPage {
        l: ctx.layout(heading.clone(), "admin"),
        t,
        tabs: tabs(ctx, "users"),
        csrf: ctx.csrf(),
        heading,
        action,
        is_new: user.is_none(),
        username: input.username.clone(),
        display_name: input.display_name.clone(),
        email: input.email.clone(),
        teams,
        roles,
        version: input.version,
        errors: FormErrors::translate(t, errors),
        conflict,
    })
}

/// `GET /admin/users/new`.
pub async fn new_form(ctx: Ctx, State(state): State<AppState>) -> PageResult {
    require(&ctx, "user")?;
    let input = UserInput {
        roles: vec!["sales_rep".into()],
        ..UserInput::default()
    };
    Ok(render(
        &form_page(&ctx, &state, None, &input, &FieldErrors::default(), false).await?,
    ))
}

/// `POST /admin/users`.
pub async fn create(
    ctx: Ctx,
    State(state): State<AppState>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    require(&ctx, "user")?;
    let input = UserInput::from_pairs(pairs);
    let mut errors = input.check(true);
    if errors.is_empty() {
        let hash = hash_password(input.password.clone())
            .await
            .map_err(|e| ctx.internal(e))?;
        let new_user = NewUser {
            username: input.username.clone(),
            display_name: input.display_name.clone(),
            email: Some(input.email.clone()).filter(|e| !e.is_empty()),
            password_hash: hash,
            team_id: input.team_id,
            roles: input.roles.clone(),
        };
        match users::create(&state.db, new_user).await {
            Ok(_) => return Ok(see_other("/admin/users?notice=user_created")),
            Err(DbError::Invalid(fields)) => errors = fields,
            Err(other) => return Err(ctx.fail(other)),
        }
    }
    let page = form_page(&ctx, &state, None, &input, &errors, false).await?;
    Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
}

/// `GET /admin/users/{id}`.
pub async fn edit_form(ctx: Ctx, State(state): State<AppState>, Path(id): Path<i64>) -> PageResult {
    require(&ctx, "user")?;
    let user = users::get(&state.db, id).await.or_page(&ctx)?;
    Ok(render(
        &form_page(
            &ctx,
            &state,
            Some(&user),
            &UserInput::of(&user),
            &FieldErrors::default(),
            false,
        )
        .await?,
    ))
}

/// `POST /admin/users/{id}`: name, e-mail, team, roles and optionally a new password.
pub async fn update(
    ctx: Ctx,
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    require(&ctx, "user")?;
    let user = users::get(&state.db, id).await.or_page(&ctx)?;
    let mut input = UserInput::from_pairs(pairs);
    input.username = user.username.clone();
    let mut errors = input.check(false);
    if errors.is_empty() {
        let changes = UserChanges {
            display_name: Some(input.display_name.clone()),
            email: Some(Some(input.email.clone()).filter(|e| !e.is_empty())),
            team_id: Some(input.team_id),
            active: None,
            roles: Some(input.roles.clone()),
        };
        let origin = Origin::user(ctx.auth.user.id, ip.clone());
        match users::update(&state.db, &origin, id, input.version, changes).await {
            Ok(_) => {
                if !input.password.is_empty() {
                    let hash = hash_password(input.password.clone())
                        .await
                        .map_err(|e| ctx.internal(e))?;
                    users::set_password_hash(&state.db, id, &hash)
                        .await
                        .or_page(&ctx)?;
                }
                return Ok(see_other("/admin/users?notice=user_saved"));
            }
            Err(DbError::Invalid(fields)) => errors = fields,
            Err(DbError::StaleVersion { current }) => {
                input.version = current;
                let page = form_page(&ctx, &state, Some(&user), &input, &errors, true).await?;
                return Ok(render_status(StatusCode::CONFLICT, &page));
            }
            Err(other) => return Err(ctx.fail(other)),
        }
    }
    let page = form_page(&ctx, &state, Some(&user), &input, &errors, false).await?;
    Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
}

/// `POST /admin/users/{id}/active`: `active=true|false` with the version shown.
pub async fn set_active(
    ctx: Ctx,
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(id): Path<i64>,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    require(&ctx, "user")?;
    if id == ctx.auth.user.id {
        return Ok(see_other("/admin/users?notice=self_deactivation"));
    }
    let active = form.get("active").is_some_and(|v| v == "true");
    let version = form
        .get("version")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    match users::update(
        &state.db,
        &Origin::user(ctx.auth.user.id, ip),
        id,
        version,
        UserChanges {
            active: Some(active),
            ..UserChanges::default()
        },
    )
    .await
    {
        Ok(_) if active => Ok(see_other("/admin/users?notice=user_activated")),
        // Deactivated: next, where do their customers go?
        Ok(_) => Ok(see_other(&format!(
            "/admin/transfer?from_user_id={id}&notice=user_deactivated"
        ))),
        Err(DbError::StaleVersion { .. }) => Ok(see_other("/admin/users?notice=stale")),
        Err(other) => Err(ctx.fail(other)),
    }
}
