//! The organisation and the customers of one matrix run: teams A (with sub-team A1) and B,
//! the acting user in team A, a team-mate, a member of A1, an owner in B and an outsider
//! in B to share with; every kind of customer three times (reads and edits, delete and
//! restore, assignment), each with a contact of the same owner and a read share with the
//! outsider (which changes nothing for the actor).

use crate::common::fixtures;
use crate::rules::{ActorSpec, Kind, Owner, Scopes, Shared, KINDS, ROLES};
use axum::Router;
use kehu_core::entity::ACCOUNT;
use kehu_core::permission::{Action, Grants, Scope};
use kehu_db::shares::{self, ShareAccess, ShareTarget};
use kehu_db::teams::{self, TeamChanges};
use kehu_db::{auth, roles, Db};
use kehu_web::{router, AppState, WebConfig};
use serde_json::json;

/// One seeded customer and its contact.
pub struct Seeded {
    pub kind: Kind,
    pub id: i64,
    pub name: String,
    pub contact_id: i64,
    pub contact_name: String,
    pub owner_id: i64,
    /// A read share with the outsider, for the revoke cell.
    pub outsider_share_id: i64,
}

pub struct World {
    pub app: Router,
    pub db: Db,
    pub admin: String,
    /// The acting user's API token.
    pub token: String,
    pub actor_id: i64,
    pub mate_id: i64,
    pub outsider_id: i64,
    /// The copy of each kind that reads, edits, shares and transfers use.
    pub kept: Vec<Seeded>,
    /// The copy of each kind that the delete and the restore use.
    pub doomed: Vec<Seeded>,
    /// The copy of each kind that the assignment (a mass update of the owner) gives away.
    pub given: Vec<Seeded>,
}

impl World {
    pub fn all(&self) -> impl Iterator<Item = &Seeded> {
        self.kept.iter().chain(&self.doomed).chain(&self.given)
    }
}

/// The grants of a test role, as the role editor saves them.
fn grants(scopes: &Scopes) -> Grants {
    let mut grants = Grants::default();
    for entity in ["account", "contact"] {
        for (action, scope) in [
            (Action::Read, scopes.read),
            (Action::Create, scopes.create),
            (Action::Import, scopes.create),
            (Action::Edit, scopes.edit),
            (Action::MassUpdate, scopes.mass_update),
            (Action::Delete, scopes.delete),
            (Action::Export, scopes.export),
            (Action::Assign, scopes.assign),
        ] {
            grants.set(entity, action, scope);
        }
    }
    grants.set("user", Action::Read, Scope::All);
    grants.set("team", Action::Read, Scope::All);
    grants
}

pub async fn build(db: Db, spec: &ActorSpec) -> World {
    fixtures::seed(&db).await;
    for (name, scopes) in &ROLES {
        roles::create(&db, name, &grants(scopes))
            .await
            .unwrap_or_else(|e| panic!("role {name}: {e:?}"));
    }
    let team_a = fixtures::team(&db, "华东销售组", None).await;
    let sub_team = fixtures::team(&db, "华东销售组·苏州", Some(team_a)).await;
    let team_b = fixtures::team(&db, "华南销售组", None).await;
    let admin = fixtures::admin(&db).await;
    let actor = fixtures::user(&db, spec.name, Some(team_a), spec.roles).await;
    let mate = fixtures::user(&db, "mate", Some(team_a), &["matrix_own"]).await;
    let sub_member = fixtures::user(&db, "sub_member", Some(sub_team), &["matrix_own"]).await;
    let b_owner = fixtures::user(&db, "b_owner", Some(team_b), &["matrix_own"]).await;
    let outsider = fixtures::user(&db, "outsider", Some(team_b), &["matrix_own"]).await;
    if spec.manages_team_a {
        let team = teams::get(&db, team_a).await.unwrap();
        let changes = TeamChanges {
            name: team.name,
            parent_id: team.parent_id,
            manager_id: Some(actor.user_id),
        };
        teams::update(&db, team_a, team.version, &changes)
            .await
            .unwrap();
    }
    let mut copies = [Vec::new(), Vec::new(), Vec::new()];
    for (copy, seeded) in ["keep", "bin", "give"].iter().zip(&mut copies) {
        for kind in KINDS {
            let owner_id = match kind.owner {
                Owner::Actor => actor.user_id,
                Owner::TeamMate => mate.user_id,
                Owner::SubTeamMember => sub_member.user_id,
                Owner::TeamB => b_owner.user_id,
            };
            // Words of their own, so that a search finds exactly one record.
            let name = format!("mx{}{copy}", kind.name);
            let contact_name = format!("ct{}{copy}", kind.name);
            let account =
                fixtures::account(&db, &admin, json!({"name": name, "owner_id": owner_id})).await;
            let contact = fixtures::contact(
                &db,
                &admin,
                account.id,
                json!({"name": contact_name, "owner_id": owner_id}),
            )
            .await;
            let share = match kind.shared {
                Shared::No => None,
                Shared::UserRead => Some((ShareTarget::User(actor.user_id), ShareAccess::Read)),
                Shared::UserWrite => Some((ShareTarget::User(actor.user_id), ShareAccess::Write)),
                Shared::TeamWrite => Some((ShareTarget::Team(team_a), ShareAccess::Write)),
            };
            let outsider_share = (ShareTarget::User(outsider.user_id), ShareAccess::Read);
            let mut outsider_share_id = 0;
            for (target, access) in share.into_iter().chain([outsider_share]) {
                outsider_share_id =
                    shares::share(&db, &ACCOUNT, &admin, None, account.id, target, access)
                        .await
                        .unwrap()
                        .id;
            }
            seeded.push(Seeded {
                kind,
                id: account.id,
                name,
                contact_id: contact.id,
                contact_name,
                owner_id,
                outsider_share_id,
            });
        }
    }
    let [kept, doomed, given] = copies;
    let token = |user_id| auth::create_api_token(&db, user_id, "matrix");
    World {
        app: router(AppState::new(db.clone(), WebConfig::default())),
        admin: token(admin.user_id).await.unwrap(),
        token: token(actor.user_id).await.unwrap(),
        actor_id: actor.user_id,
        mate_id: mate.user_id,
        outsider_id: outsider.user_id,
        kept,
        doomed,
        given,
        db,
    }
}
