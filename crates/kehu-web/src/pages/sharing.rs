//! The "Shared with" panel of a record page: who else may see (or edit) the record, a form
//! to share it with a user or a team, and revoke buttons — for the owner or a manager.

use super::ctx::Ctx;
use super::render::{see_other, OrPage, PageError, PageResult};
use super::SelectOption;
use crate::api::records::ClientIp;
use crate::state::AppState;
use axum::extract::{Form, Path, State};
use axum::routing::post;
use axum::Router;
use kehu_core::entity::{EntityDef, ACCOUNT, CONTACT};
use kehu_core::permission::Action;
use kehu_db::records::Record;
use kehu_db::shares::{self, ShareAccess, ShareTarget};
use kehu_db::{teams, users, DbError};
use serde::Deserialize;

/// One share as the panel lists it.
pub struct ShareRow {
    /// User's display name or team name (with the word "team").
    pub target: String,
    /// "View" or "View and edit", translated.
    pub access: String,
    /// Where the revoke form posts (none for people who may not share).
    pub revoke_action: Option<String>,
}

/// The panel's contents.
pub struct SharingPanel {
    /// Current shares.
    pub shares: Vec<ShareRow>,
    /// Where the share form posts, when the user may share this record.
    pub add_action: Option<String>,
    /// Users and teams to share with (`user:ID`, `team:ID`).
    pub targets: Vec<SelectOption>,
}

/// Builds the panel of a record the user can read.
pub async fn sharing_panel(
    ctx: &Ctx,
    state: &AppState,
    entity: &'static EntityDef,
    record: &Record,
) -> Result<SharingPanel, PageError> {
    let t = ctx.t;
    let actor = ctx.actor();
    let may_share = actor.may_share(entity.name, record.owner_id, record.team_id);
    let listed = shares::list(&state.db, entity, actor, record.id)
        .await
        .or_page(ctx)?;
    let rows = listed
        .into_iter()
        .map(|share| ShareRow {
            target: match share.team_id {
                Some(_) => t.fmt("sharing.team_target", &[("name", &share.target_name)]),
                None => share.target_name.clone(),
            },
            access: t
                .t(match share.access {
                    ShareAccess::Read => "sharing.read",
                    ShareAccess::Write => "sharing.write",
                })
                .to_string(),
            revoke_action: may_share
                .then(|| format!("/{}/{}/shares/{}/revoke", entity.table, record.id, share.id)),
        })
        .collect();
    let mut targets = Vec::new();
    if may_share {
        for user in users::list(&state.db).await.or_page(ctx)? {
            if user.active && user.id != record.owner_id {
                targets.push(SelectOption {
                    value: format!("user:{}", user.id),
                    label: user.display_name,
                    selected: false,
                });
            }
        }
        for team in teams::list(&state.db).await.or_page(ctx)? {
            targets.push(SelectOption {
                value: format!("team:{}", team.id),
                label: t.fmt("sharing.team_target", &[("name", &team.name)]),
                selected: false,
            });
        }
    }
    Ok(SharingPanel {
        shares: rows,
        add_action: may_share.then(|| format!("/{}/{}/shares", entity.table, record.id)),
        targets,
    })
}

/// Whether the user may edit the record, counting read-write shares (which
/// [`kehu_core::permission::Actor::may`] cannot see: they live in the database).
pub async fn may_edit(
    ctx: &Ctx,
    state: &AppState,
    entity: &'static EntityDef,
    record: &Record,
) -> Result<bool, PageError> {
    let edit = ctx.actor().visibility(entity.name, Action::Edit);
    if edit
        .without_shares()
        .covers(record.owner_id, record.team_id)
    {
        return Ok(true);
    }
    match kehu_db::records::get(&state.db, entity, &edit, record.id).await {
        Ok(_) => Ok(true),
        Err(DbError::NotFound) => Ok(false),
        Err(other) => Err(ctx.fail(other)),
    }
}

/// The share form.
#[derive(Debug, Deserialize)]
pub struct ShareInput {
    #[serde(default)]
    target: String,
    #[serde(default)]
    access: String,
}

fn parse_target(text: &str) -> Option<ShareTarget> {
    let (kind, id) = text.split_once(':')?;
    let id: i64 = id.parse().ok().filter(|id| *id > 0)?;
    match kind {
        "user" => Some(ShareTarget::User(id)),
        "team" => Some(ShareTarget::Team(id)),
        _ => None,
    }
}

async fn share(
    entity: &'static EntityDef,
    ctx: Ctx,
    state: AppState,
    ip: Option<String>,
    id: i64,
    input: ShareInput,
) -> PageResult {
    let back = |notice: &str| see_other(&format!("/{}/{id}?notice={notice}", entity.table));
    let access = match input.access.as_str() {
        "write" => ShareAccess::Write,
        _ => ShareAccess::Read,
    };
    let Some(target) = parse_target(&input.target) else {
        return Ok(back("share_target_required"));
    };
    match shares::share(
        &state.db,
        entity,
        ctx.actor(),
        ip.as_deref(),
        id,
        target,
        access,
    )
    .await
    {
        Ok(_) => Ok(back("shared")),
        Err(DbError::Invalid(_)) => Ok(back("share_target_required")),
        Err(other) => Err(ctx.fail(other)),
    }
}

async fn revoke(
    entity: &'static EntityDef,
    ctx: Ctx,
    state: AppState,
    ip: Option<String>,
    id: i64,
    share_id: i64,
) -> PageResult {
    shares::revoke(&state.db, entity, ctx.actor(), ip.as_deref(), id, share_id)
        .await
        .or_page(&ctx)?;
    Ok(see_other(&format!(
        "/{}/{id}?notice=unshared",
        entity.table
    )))
}

/// The share and revoke form routes of customers and contacts.
pub fn routes() -> Router<AppState> {
    let mut router = Router::new();
    for entity in [&ACCOUNT, &CONTACT] {
        router = router
            .route(
                &format!("/{}/{{id}}/shares", entity.table),
                post(
                    move |ctx,
                          State(state): State<AppState>,
                          ClientIp(ip): ClientIp,
                          Path(id): Path<i64>,
                          Form(input)| share(entity, ctx, state, ip, id, input),
                ),
            )
            .route(
                &format!("/{}/{{id}}/shares/{{share_id}}/revoke", entity.table),
                post(
                    move |ctx,
                          State(state): State<AppState>,
                          ClientIp(ip): ClientIp,
                          Path((id, share_id)): Path<(i64, i64)>| {
                        revoke(entity, ctx, state, ip, id, share_id)
                    },
                ),
            );
    }
    router
}
