//! Who may do what to which records: roles grant, per entity and action, a scope.
//!
//! The scope becomes a [`Visibility`] predicate that the database layer puts inside every
//! query (list, count, detail, search, export), so a record outside it is never loaded.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// Something a user does to records of an entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// See records (lists, detail, search, related panels).
    Read,
    /// Create records.
    Create,
    /// Change records.
    Edit,
    /// Move records to the recycle bin and restore them.
    Delete,
    /// Download records as CSV.
    Export,
    /// Load records from a file (owned by the importing user).
    Import,
    /// Change many records at once.
    MassUpdate,
    /// Give records to another owner (one record, or a transfer of many).
    Assign,
}

impl Action {
    /// Every action, in the order the role editor shows them.
    pub const ALL: [Action; 8] = [
        Action::Read,
        Action::Create,
        Action::Edit,
        Action::Delete,
        Action::Export,
        Action::Import,
        Action::MassUpdate,
        Action::Assign,
    ];

    /// The stored and API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Create => "create",
            Action::Edit => "edit",
            Action::Delete => "delete",
            Action::Export => "export",
            Action::Import => "import",
            Action::MassUpdate => "mass_update",
            Action::Assign => "assign",
        }
    }

    /// The action whose grant stands in when a role was saved before this action existed,
    /// so that upgrading does not silently take rights away or hand new ones out.
    fn inherits_from(self) -> Option<Action> {
        match self {
            Action::Import => Some(Action::Create),
            Action::MassUpdate | Action::Assign => Some(Action::Edit),
            _ => None,
        }
    }

    /// Actions on records that exist already (as opposed to reading or adding records).
    fn acts_on_existing_records(self) -> bool {
        matches!(
            self,
            Action::Edit | Action::Delete | Action::Export | Action::MassUpdate | Action::Assign
        )
    }

    /// Actions that a team manager may take on every record of the teams they manage.
    fn is_managerial(self) -> bool {
        matches!(
            self,
            Action::Read | Action::Edit | Action::MassUpdate | Action::Assign
        )
    }
}

impl FromStr for Action {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Action::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| format!("unknown action {s:?}"))
    }
}

/// How many records a grant covers. Ordered: a larger scope includes the smaller ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// No records.
    None,
    /// Records the user owns.
    Own,
    /// Records owned by the user or belonging to the user's team or its sub-teams.
    Team,
    /// All records.
    All,
}

impl Scope {
    /// Every scope, smallest first.
    pub const ALL: [Scope; 4] = [Scope::None, Scope::Own, Scope::Team, Scope::All];

    /// The stored and API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::None => "none",
            Scope::Own => "own",
            Scope::Team => "team",
            Scope::All => "all",
        }
    }
}

impl FromStr for Scope {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| format!("unknown scope {s:?}"))
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Administration areas that roles grant on besides the record entities.
pub const ADMIN_AREAS: &[&str] = &["user", "team", "role", "settings"];

/// Whether `entity` is one of the catalogue's record entities (as opposed to an
/// administration area): only those have owners, teams and shares.
pub fn is_record_entity(entity: &str) -> bool {
    crate::entity::ENTITIES.iter().any(|e| e.name == entity)
}

/// Entities that roles grant on: every record entity of the catalogue (so a new entity is
/// covered once it is listed in [`crate::entity::ENTITIES`]) plus the administration areas.
pub fn permission_entities() -> Vec<&'static str> {
    crate::entity::ENTITIES
        .iter()
        .map(|e| e.name)
        .chain(ADMIN_AREAS.iter().copied())
        .collect()
}

/// The grants of a role (or of all a user's roles merged): entity → action → scope.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grants(pub BTreeMap<String, BTreeMap<Action, Scope>>);

impl Grants {
    /// The scope for an action; absent grants are `None`, except that an action added after
    /// the role was saved follows the action it refines (import → create, mass update and
    /// assign → edit).
    pub fn scope(&self, entity: &str, action: Action) -> Scope {
        let Some(actions) = self.0.get(entity) else {
            return Scope::None;
        };
        match (actions.get(&action), action.inherits_from()) {
            (Some(scope), _) => *scope,
            (None, Some(base)) => actions.get(&base).copied().unwrap_or(Scope::None),
            (None, None) => Scope::None,
        }
    }

    /// Sets one grant.
    pub fn set(&mut self, entity: &str, action: Action, scope: Scope) {
        self.0
            .entry(entity.to_string())
            .or_default()
            .insert(action, scope);
    }

    /// Merges another role's grants: for each entity and action the wider scope wins.
    pub fn merge(&mut self, other: &Grants) {
        for (entity, actions) in &other.0 {
            for (action, scope) in actions {
                let slot = self
                    .0
                    .entry(entity.clone())
                    .or_default()
                    .entry(*action)
                    .or_insert(Scope::None);
                *slot = (*slot).max(*scope);
            }
        }
    }
}

/// The built-in roles created on first start; admins may edit them afterwards.
pub fn default_roles() -> Vec<(&'static str, Grants)> {
    let with = |record_scopes: [Scope; 8], admin: Scope| {
        let mut grants = Grants::default();
        for entity in crate::entity::ENTITIES.iter().map(|e| e.name) {
            for (action, scope) in Action::ALL.into_iter().zip(record_scopes) {
                grants.set(entity, action, scope);
            }
        }
        for entity in ADMIN_AREAS.iter().copied() {
            for action in Action::ALL {
                grants.set(entity, action, admin);
            }
        }
        // Everyone may look up users and teams to pick an owner.
        grants.set("user", Action::Read, Scope::All);
        grants.set("team", Action::Read, Scope::All);
        grants
    };
    use Scope::{All, None, Own, Team};
    vec![
        // read, create, edit, delete, export, import, mass update, assign
        ("admin", with([All, All, All, All, All, All, All, All], All)),
        (
            "sales_manager",
            with([Team, Team, Team, Team, Team, Team, Team, Team], None),
        ),
        (
            "sales_rep",
            with([Own, Own, Own, Own, Own, Own, Own, Own], None),
        ),
        (
            "service_agent",
            with([All, None, Own, None, None, None, None, None], None),
        ),
        (
            "read_only",
            with([All, None, None, None, None, None, None, None], None),
        ),
    ]
}

/// The signed-in user, as permission checks see them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The user's id.
    pub user_id: i64,
    /// The user's team, if any.
    pub team_id: Option<i64>,
    /// The user's team and all its sub-teams.
    pub visible_team_ids: Vec<i64>,
    /// The teams the user manages and all their sub-teams (empty for non-managers).
    pub managed_team_ids: Vec<i64>,
    /// The user's team and the teams above it: a record shared with any of them is
    /// shared with the user.
    pub member_of_team_ids: Vec<i64>,
    /// The merged grants of all the user's roles.
    pub grants: Grants,
    /// Hidden and read-only fields, merged over the user's roles.
    pub fields: crate::field_security::FieldRules,
}

/// Which records of an entity a query may touch; the database layer turns it into SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visibility {
    /// No restriction.
    Everything,
    /// Records owned by `user_id` or whose team is one of `team_ids`.
    Teams {
        /// The acting user.
        user_id: i64,
        /// The user's team and its sub-teams.
        team_ids: Vec<i64>,
    },
    /// Records owned by this user.
    Own(i64),
    /// Nothing at all.
    Nothing,
    /// The records `base` covers, plus those shared with the user (the SQL looks the
    /// shares up; [`Visibility::covers`] only knows `base`).
    WithShares {
        /// What the user's roles and managed teams cover.
        base: Box<Visibility>,
        /// The user the records are shared with.
        user_id: i64,
        /// Shares with these teams count too (the user's team and the teams above it).
        team_ids: Vec<i64>,
        /// Only read-write shares count (for edits).
        write: bool,
    },
}

impl Actor {
    /// The scope the user has for an action. On records, an action on existing ones never
    /// reaches further than reading does: a role cannot export, change, delete or give away
    /// records it cannot see (an export would otherwise be a side door around `read`).
    pub fn scope(&self, entity: &str, action: Action) -> Scope {
        let scope = self.grants.scope(entity, action);
        if is_record_entity(entity) && action.acts_on_existing_records() {
            scope.min(self.grants.scope(entity, Action::Read))
        } else {
            scope
        }
    }

    /// The query predicate for an action on an entity.
    ///
    /// Roles decide whether the user may take the action on the entity at all and on which
    /// records; managing a team and shares widen the records, never the actions: a role
    /// with scope `none` is not overridden by either.
    pub fn visibility(&self, entity: &str, action: Action) -> Visibility {
        let scope = self.scope(entity, action);
        let record_entity = is_record_entity(entity);
        let managed: &[i64] = if record_entity && action.is_managerial() {
            &self.managed_team_ids
        } else {
            &[]
        };
        let base = match scope {
            Scope::All => return Visibility::Everything,
            Scope::None => return Visibility::Nothing,
            Scope::Own if managed.is_empty() => Visibility::Own(self.user_id),
            Scope::Own => Visibility::Teams {
                user_id: self.user_id,
                team_ids: managed.to_vec(),
            },
            Scope::Team => {
                let mut team_ids = self.visible_team_ids.clone();
                for team in managed {
                    if !team_ids.contains(team) {
                        team_ids.push(*team);
                    }
                }
                Visibility::Teams {
                    user_id: self.user_id,
                    team_ids,
                }
            }
        };
        match action {
            Action::Read | Action::Edit if record_entity => Visibility::WithShares {
                base: Box::new(base),
                user_id: self.user_id,
                team_ids: self.member_of_team_ids.clone(),
                write: action == Action::Edit,
            },
            _ => base,
        }
    }

    /// Whether the user may share, unshare or transfer a record with this owner and team:
    /// its owner or someone whose own edit rights (not a share) cover it.
    pub fn may_share(&self, entity: &str, owner_id: i64, team_id: Option<i64>) -> bool {
        match self.visibility(entity, Action::Edit) {
            Visibility::WithShares { base, .. } => base.covers(owner_id, team_id),
            other => other.covers(owner_id, team_id),
        }
    }

    /// Whether the user may act on one record with this owner and team.
    pub fn may(&self, entity: &str, action: Action, owner_id: i64, team_id: Option<i64>) -> bool {
        self.visibility(entity, action).covers(owner_id, team_id)
    }

    /// Whether the user may administer an area (`user`, `team`, `role`, `settings`).
    pub fn may_administer(&self, area: &str) -> bool {
        self.scope(area, Action::Edit) == Scope::All
    }
}

impl Visibility {
    /// Whether a record with this owner and team falls inside.
    pub fn covers(&self, owner_id: i64, team_id: Option<i64>) -> bool {
        match self {
            Visibility::Everything => true,
            Visibility::Teams { user_id, team_ids } => {
                owner_id == *user_id || team_id.is_some_and(|t| team_ids.contains(&t))
            }
            Visibility::Own(user_id) => owner_id == *user_id,
            Visibility::Nothing => false,
            Visibility::WithShares { base, .. } => base.covers(owner_id, team_id),
        }
    }

    /// The part of the predicate that roles and managed teams give, without shares.
    pub fn without_shares(&self) -> &Visibility {
        match self {
            Visibility::WithShares { base, .. } => base,
            other => other,
        }
    }
}

/// `team` and the teams above it, nearest first, in a parent map of (team id, parent id).
pub fn team_and_ancestors(team: i64, parents: &[(i64, Option<i64>)]) -> Vec<i64> {
    let mut found = vec![team];
    let mut current = team;
    while let Some(Some(parent)) = parents.iter().find(|(t, _)| *t == current).map(|(_, p)| *p) {
        if found.contains(&parent) {
            break;
        }
        found.push(parent);
        current = parent;
    }
    found
}

/// All descendants of `root` (and `root` itself) in a parent map of (team id, parent id).
pub fn team_and_descendants(root: i64, parents: &[(i64, Option<i64>)]) -> Vec<i64> {
    let mut found = vec![root];
    let mut next = 0;
    while next < found.len() {
        let current = found[next];
        for (team, parent) in parents {
            if *parent == Some(current) && !found.contains(team) {
                found.push(*team);
            }
        }
        next += 1;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: &str) -> Actor {
        let grants = default_roles()
            .into_iter()
            .find(|(n, _)| *n == role)
            .unwrap()
            .1;
        Actor {
            user_id: 7,
            team_id: Some(2),
            visible_team_ids: vec![2, 5],
            managed_team_ids: Vec::new(),
            member_of_team_ids: vec![2, 1],
            grants,
            fields: Default::default(),
        }
    }

    #[test]
    fn sales_reps_see_only_their_own_customers() {
        let rep = actor("sales_rep");
        assert!(rep.may("account", Action::Read, 7, Some(9)));
        assert!(!rep.may("account", Action::Read, 8, Some(2)));
        assert!(!rep.may_administer("user"));
    }

    #[test]
    fn managers_see_their_team_and_sub_teams() {
        let manager = actor("sales_manager");
        assert!(manager.may("account", Action::Edit, 8, Some(5)));
        assert!(!manager.may("account", Action::Edit, 8, Some(3)));
        assert!(!manager.may("account", Action::Read, 8, None));
    }

    #[test]
    fn the_widest_grant_wins_when_roles_are_merged() {
        let mut grants = default_roles()[2].1.clone();
        grants.merge(&default_roles()[4].1);
        assert_eq!(grants.scope("account", Action::Read), Scope::All);
        assert_eq!(grants.scope("account", Action::Edit), Scope::Own);
    }

    #[test]
    fn a_team_manager_sees_and_edits_the_teams_they_manage_whatever_their_role() {
        let mut rep = actor("sales_rep");
        rep.managed_team_ids = vec![3, 4];
        assert!(rep.may("account", Action::Read, 8, Some(4)));
        assert!(rep.may("contact", Action::Edit, 8, Some(3)));
        assert!(rep.may("account", Action::Assign, 8, Some(3)));
        // Managing widens the records, not the actions the role allows.
        assert!(!rep.may("account", Action::Delete, 8, Some(3)));
        assert!(!rep.may("account", Action::Read, 8, Some(2)));
        assert!(!rep.may_administer("team"));
        let mut reader = actor("read_only");
        reader.managed_team_ids = vec![3];
        assert!(!reader.may("account", Action::Edit, 8, Some(3)));
    }

    #[test]
    fn no_action_reaches_records_that_reading_does_not() {
        let mut blind = actor("sales_rep");
        blind.grants.set("account", Action::Read, Scope::None);
        for action in [Action::Edit, Action::Delete, Action::Export, Action::Assign] {
            assert_eq!(blind.scope("account", action), Scope::None, "{action:?}");
            assert!(!blind.may("account", action, 7, Some(2)), "{action:?}");
        }
        assert_eq!(blind.scope("account", Action::Create), Scope::Own);
        assert_eq!(blind.scope("contact", Action::Export), Scope::Own);
        let mut narrow = actor("sales_manager");
        narrow.grants.set("account", Action::Read, Scope::Own);
        assert_eq!(narrow.scope("account", Action::Export), Scope::Own);
        assert_eq!(narrow.scope("team", Action::Edit), Scope::None);
    }

    #[test]
    fn actions_added_later_follow_the_action_they_refine_in_old_roles() {
        let mut old = Grants::default();
        old.set("account", Action::Create, Scope::Own);
        old.set("account", Action::Edit, Scope::Team);
        assert_eq!(old.scope("account", Action::Import), Scope::Own);
        assert_eq!(old.scope("account", Action::MassUpdate), Scope::Team);
        assert_eq!(old.scope("account", Action::Assign), Scope::Team);
        old.set("account", Action::Assign, Scope::None);
        assert_eq!(old.scope("account", Action::Assign), Scope::None);
        assert_eq!(old.scope("contact", Action::Import), Scope::None);
    }

    #[test]
    fn reads_and_edits_include_shares_but_exports_do_not() {
        let rep = actor("sales_rep");
        assert!(matches!(
            rep.visibility("account", Action::Read),
            Visibility::WithShares { write: false, .. }
        ));
        assert!(matches!(
            rep.visibility("account", Action::Edit),
            Visibility::WithShares { write: true, .. }
        ));
        assert_eq!(
            rep.visibility("account", Action::Export),
            Visibility::Own(7)
        );
        assert_eq!(rep.visibility("user", Action::Edit), Visibility::Nothing);
        assert!(rep.may_share("account", 7, None));
        assert!(!rep.may_share("account", 8, Some(2)));
    }

    #[test]
    fn every_catalogue_entity_is_granted_on() {
        let entities = permission_entities();
        for entity in crate::entity::ENTITIES {
            assert!(entities.contains(&entity.name));
            assert_eq!(
                actor("sales_rep").scope(entity.name, Action::Assign),
                Scope::Own
            );
        }
    }

    #[test]
    fn ancestors_are_found_up_to_the_top() {
        let parents = [(1, None), (2, Some(1)), (3, Some(2)), (4, None)];
        assert_eq!(team_and_ancestors(3, &parents), vec![3, 2, 1]);
        assert_eq!(team_and_ancestors(4, &parents), vec![4]);
    }

    #[test]
    fn sub_teams_are_found_at_any_depth() {
        let parents = [
            (1, None),
            (2, Some(1)),
            (3, Some(2)),
            (4, None),
            (5, Some(3)),
        ];
        let mut teams = team_and_descendants(2, &parents);
        teams.sort();
        assert_eq!(teams, vec![2, 3, 5]);
    }
}
