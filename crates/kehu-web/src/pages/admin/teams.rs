//! `/admin/teams`: the team tree, creating teams, renaming and moving them, deleting
//! empty ones.

use super::{require, tabs, Tab};
use crate::i18n::Tr;
use crate::pages::ctx::{Ctx, Layout};
use crate::pages::render::{render, render_status, see_other, OrPage, PageError, PageResult};
use crate::pages::{FormErrors, Notice, SelectOption};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use kehu_core::permission::team_and_descendants;
use kehu_core::FieldErrors;
use kehu_db::teams::{self, Team};
use kehu_db::DbError;
use serde::Deserialize;

/// A team in the tree.
pub struct TeamRow {
    /// Edit page.
    pub edit_link: String,
    /// Name.
    pub name: String,
    /// Whether sub-teams follow: the item stays open for their nested list.
    pub has_children: bool,
    /// How many nested lists end after this item (the walk climbs back up).
    pub closes: usize,
    /// "3 members".
    pub members: String,
    /// "Manager: 王芳", when the team has one.
    pub manager: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/teams.html")]
struct TeamsPage {
    l: Layout,
    t: Tr,
    tabs: Vec<Tab>,
    csrf: String,
    rows: Vec<TeamRow>,
    name: String,
    parents: Vec<SelectOption>,
    errors: FormErrors,
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/team_form.html")]
struct TeamFormPage {
    l: Layout,
    t: Tr,
    tabs: Vec<Tab>,
    csrf: String,
    heading: String,
    action: String,
    delete_action: String,
    name: String,
    parents: Vec<SelectOption>,
    managers: Vec<SelectOption>,
    version: i64,
    errors: FormErrors,
    conflict: bool,
}

/// Teams ordered as a tree: each team followed by its sub-teams, with depths.
pub fn team_tree(teams: &[Team]) -> Vec<(usize, &Team)> {
    fn visit<'a>(
        teams: &'a [Team],
        team: &'a Team,
        depth: usize,
        out: &mut Vec<(usize, &'a Team)>,
    ) {
        if out.iter().any(|(_, t)| t.id == team.id) {
            return;
        }
        out.push((depth, team));
        for child in teams.iter().filter(|t| t.parent_id == Some(team.id)) {
            visit(teams, child, depth + 1, out);
        }
    }
    let mut out = Vec::new();
    for root in teams
        .iter()
        .filter(|t| t.parent_id.is_none_or(|p| !teams.iter().any(|o| o.id == p)))
    {
        visit(teams, root, 0, &mut out);
    }
    out
}

/// Parent choices: every team but `exclude` and its sub-teams (a team cannot move inside itself).
fn parent_options(
    t: Tr,
    teams: &[Team],
    exclude: Option<i64>,
    selected: Option<i64>,
) -> Vec<SelectOption> {
    let parents: Vec<(i64, Option<i64>)> = teams.iter().map(|t| (t.id, t.parent_id)).collect();
    let excluded = exclude
        .map(|id| team_and_descendants(id, &parents))
        .unwrap_or_default();
    let mut options = vec![SelectOption {
        value: String::new(),
        label: t.t("admin.no_parent").to_string(),
        selected: selected.is_none(),
    }];
    for (depth, team) in team_tree(teams) {
        if excluded.contains(&team.id) {
            continue;
        }
        let label = format!("{}{}", "　".repeat(depth), team.name);
        options.push(SelectOption {
            value: team.id.to_string(),
            label,
            selected: Some(team.id) == selected,
        });
    }
    options
}

async fn list_page(
    ctx: &Ctx,
    state: &AppState,
    name: &str,
    parent: Option<i64>,
    errors: &FieldErrors,
    notice: Option<String>,
) -> Result<TeamsPage, PageError> {
    let t = ctx.t;
    let teams = teams::list(&state.db).await.or_page(ctx)?;
    let users = kehu_db::users::list(&state.db).await.or_page(ctx)?;
    let tree = team_tree(&teams);
    let rows = tree
        .iter()
        .zip(tree.iter().skip(1).map(|(d, _)| *d).chain([0]))
        .map(|(&(depth, team), next_depth)| TeamRow {
            edit_link: format!("/admin/teams/{}", team.id),
            name: team.name.clone(),
            has_children: next_depth > depth,
            closes: depth.saturating_sub(next_depth),
            manager: team
                .manager_id
                .and_then(|id| users.iter().find(|u| u.id == id))
                .map(|u| t.fmt("admin.managed_by", &[("name", &u.display_name)])),
            members: match users
                .iter()
                .filter(|u| u.team_id == Some(team.id) && u.active)
                .count()
            {
                1 => t.t("admin.members_one").to_string(),
                count => t.fmt("admin.members", &[("count", &count.to_string())]),
            },
        })
        .collect();
    Ok(TeamsPage {
        l: ctx.layout(t.t("admin.teams_title"), "admin"),
        t,
        tabs: tabs(ctx, "teams"),
        csrf: ctx.csrf(),
        rows,
        name: name.to_string(),
        parents: parent_options(t, &teams, None, parent),
        errors: FormErrors::translate(t, errors),
        notice,
    })
}

/// `GET /admin/teams`.
pub async fn list(
    ctx: Ctx,
    State(state): State<AppState>,
    Query(params): Query<Vec<(String, String)>>,
) -> PageResult {
    require(&ctx, "team")?;
    let notice = Notice::from_params(ctx.t, &params);
    Ok(render(
        &list_page(&ctx, &state, "", None, &FieldErrors::default(), notice).await?,
    ))
}

/// The team forms' fields.
#[derive(Debug, Deserialize)]
pub struct TeamInput {
    #[serde(default)]
    name: String,
    #[serde(default)]
    parent_id: String,
    #[serde(default)]
    manager_id: String,
    #[serde(default)]
    version: i64,
}

impl TeamInput {
    fn parent(&self) -> Option<i64> {
        self.parent_id.parse().ok()
    }

    fn manager(&self) -> Option<i64> {
        self.manager_id.parse().ok()
    }

    fn changes(&self) -> teams::TeamChanges {
        teams::TeamChanges {
            name: self.name.clone(),
            parent_id: self.parent(),
            manager_id: self.manager(),
        }
    }
}

/// Manager choices: nobody, or any active user.
async fn manager_options(
    ctx: &Ctx,
    state: &AppState,
    selected: Option<i64>,
) -> Result<Vec<SelectOption>, PageError> {
    let users = kehu_db::users::list(&state.db).await.or_page(ctx)?;
    let mut options = vec![SelectOption {
        value: String::new(),
        label: ctx.t.t("admin.no_manager").to_string(),
        selected: selected.is_none(),
    }];
    options.extend(
        users
            .into_iter()
            .filter(|u| u.active)
            .map(|u| SelectOption {
                value: u.id.to_string(),
                selected: Some(u.id) == selected,
                label: u.display_name,
            }),
    );
    Ok(options)
}

/// `POST /admin/teams`.
pub async fn create(
    ctx: Ctx,
    State(state): State<AppState>,
    Form(input): Form<TeamInput>,
) -> PageResult {
    require(&ctx, "team")?;
    match teams::create(&state.db, &input.name, input.parent()).await {
        Ok(_) => Ok(see_other("/admin/teams?notice=team_saved")),
        Err(DbError::Invalid(errors)) => {
            let page = list_page(&ctx, &state, &input.name, input.parent(), &errors, None).await?;
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(other) => Err(ctx.fail(other)),
    }
}

async fn form_page(
    ctx: &Ctx,
    state: &AppState,
    team: &Team,
    input: &TeamInput,
    errors: &FieldErrors,
    conflict: bool,
) -> Result<TeamFormPage, PageError> {
    let t = ctx.t;
    let teams = teams::list(&state.db).await.or_page(ctx)?;
    let heading = t.fmt("admin.edit_team", &[("name", &team.name)]);
    Ok(TeamFormPage {
        l: ctx.layout(heading.clone(), "admin"),
        t,
        tabs: tabs(ctx, "teams"),
        csrf: ctx.csrf(),
        heading,
        action: format!("/admin/teams/{}", team.id),
        delete_action: format!("/admin/teams/{}/delete", team.id),
        name: input.name.clone(),
        parents: parent_options(t, &teams, Some(team.id), input.parent()),
        managers: manager_options(ctx, state, input.manager()).await?,
        version: input.version,
        errors: FormErrors::translate(t, errors),
        conflict,
    })
}

/// `GET /admin/teams/{id}`.
pub async fn edit_form(ctx: Ctx, State(state): State<AppState>, Path(id): Path<i64>) -> PageResult {
    require(&ctx, "team")?;
    let team = teams::get(&state.db, id).await.or_page(&ctx)?;
    let input = TeamInput {
        name: team.name.clone(),
        parent_id: team.parent_id.map(|p| p.to_string()).unwrap_or_default(),
        manager_id: team.manager_id.map(|m| m.to_string()).unwrap_or_default(),
        version: team.version,
    };
    Ok(render(
        &form_page(&ctx, &state, &team, &input, &FieldErrors::default(), false).await?,
    ))
}

/// `POST /admin/teams/{id}`: rename, move or give a manager.
pub async fn update(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Form(mut input): Form<TeamInput>,
) -> PageResult {
    require(&ctx, "team")?;
    let team = teams::get(&state.db, id).await.or_page(&ctx)?;
    match teams::update(&state.db, id, input.version, &input.changes()).await {
        Ok(_) => Ok(see_other("/admin/teams?notice=team_saved")),
        Err(DbError::Invalid(errors)) => {
            let page = form_page(&ctx, &state, &team, &input, &errors, false).await?;
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(DbError::StaleVersion { current }) => {
            input.version = current;
            let page =
                form_page(&ctx, &state, &team, &input, &FieldErrors::default(), true).await?;
            Ok(render_status(StatusCode::CONFLICT, &page))
        }
        Err(other) => Err(ctx.fail(other)),
    }
}

/// `POST /admin/teams/{id}/delete`: only teams without members, sub-teams or records.
pub async fn delete(ctx: Ctx, State(state): State<AppState>, Path(id): Path<i64>) -> PageResult {
    require(&ctx, "team")?;
    match teams::delete(&state.db, id).await {
        Ok(()) => Ok(see_other("/admin/teams?notice=team_deleted")),
        Err(DbError::Invalid(_)) => Ok(see_other("/admin/teams?notice=team_in_use")),
        Err(other) => Err(ctx.fail(other)),
    }
}
