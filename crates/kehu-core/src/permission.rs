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
}

impl Action {
    /// Every action, in the order the role editor shows them.
    pub const ALL: [Action; 5] = [
        Action::Read,
        Action::Create,
        Action::Edit,
        Action::Delete,
        Action::Export,
    ];

    /// The stored and API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Create => "create",
            Action::Edit => "edit",
            Action::Delete => "delete",
            Action::Export => "export",
        }
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

/// Entities that roles grant on: the record entities plus the administration areas.
pub const PERMISSION_ENTITIES: &[&str] = &[
    "account", "contact", "order", "user", "team", "role", "settings",
];

/// The grants of a role (or of all a user's roles merged): entity → action → scope.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grants(pub BTreeMap<String, BTreeMap<Action, Scope>>);

impl Grants {
    /// The scope for an action; absent grants are `None`.
    pub fn scope(&self, entity: &str, action: Action) -> Scope {
        self.0
            .get(entity)
            .and_then(|actions| actions.get(&action))
            .copied()
            .unwrap_or(Scope::None)
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
    let records = ["account", "contact", "order"];
    let admin_areas = ["user", "team", "role", "settings"];
    let with = |record_scopes: [Scope; 5], admin: Scope| {
        let mut grants = Grants::default();
        for entity in records {
            for (action, scope) in Action::ALL.into_iter().zip(record_scopes) {
                grants.set(entity, action, scope);
            }
        }
        for entity in admin_areas {
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
        ("admin", with([All, All, All, All, All], All)),
        ("sales_manager", with([Team, Team, Team, Team, Team], None)),
        ("sales_rep", with([Own, Own, Own, Own, Own], None)),
        ("service_agent", with([All, None, Own, None, None], None)),
        ("read_only", with([All, None, None, None, None], None)),
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
    /// The merged grants of all the user's roles.
    pub grants: Grants,
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
}

impl Actor {
    /// The scope the user has for an action.
    pub fn scope(&self, entity: &str, action: Action) -> Scope {
        self.grants.scope(entity, action)
    }

    /// The query predicate for an action on an entity.
    pub fn visibility(&self, entity: &str, action: Action) -> Visibility {
        match self.scope(entity, action) {
            Scope::All => Visibility::Everything,
            Scope::Team => Visibility::Teams {
                user_id: self.user_id,
                team_ids: self.visible_team_ids.clone(),
            },
            Scope::Own => Visibility::Own(self.user_id),
            Scope::None => Visibility::Nothing,
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
        }
    }
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
            grants,
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
