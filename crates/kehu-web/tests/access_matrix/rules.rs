//! The expected outcome of every cell, written from the permission model of issue 4 and
//! not from the code under test:
//!
//! - a role grants, per action, a scope: all / team (the user's team and its sub-teams) /
//!   own / none; with several roles the widest scope of each action wins;
//! - no action reaches a record that the user's read scope does not (a role cannot export,
//!   edit, delete or give away what it cannot see);
//! - a team manager reads, edits and assigns the records of their team and its sub-teams,
//!   but only for actions their role grants at all (managing widens records, not actions);
//! - a share with the user or their team opens reads (and edits, if read-write) to a user
//!   whose role reads at all; it never opens delete, export, share, transfer, mass update
//!   or assign (changing many records at once follows roles and managed teams only);
//! - a mass update or assignment leaves the records outside its scope alone without naming
//!   them (like a transfer), and is refused outright when the role has no scope for it;
//! - a record in the recycle bin is seen (listed, restored) only through the delete
//!   scope, so a refused restore is a 404;
//! - a customer's contacts are not shared with it, and go with it to a new owner.

use kehu_core::permission::Scope;

/// Who owns a record, seen from the actor (every actor is a member of team A).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    Actor,
    TeamMate,
    SubTeamMember,
    TeamB,
}

/// How a record is shared with the actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shared {
    No,
    UserRead,
    UserWrite,
    /// Read-write, with team A (so with every member of A and its sub-teams).
    TeamWrite,
}

/// One kind of customer in the matrix (each exists twice: one copy for reads and edits,
/// one for the delete).
#[derive(Debug, Clone, Copy)]
pub struct Kind {
    pub name: &'static str,
    pub owner: Owner,
    pub shared: Shared,
}

const fn kind(name: &'static str, owner: Owner, shared: Shared) -> Kind {
    Kind {
        name,
        owner,
        shared,
    }
}

pub const KINDS: [Kind; 7] = [
    kind("own", Owner::Actor, Shared::No),
    kind("mate", Owner::TeamMate, Shared::No),
    kind("subteam", Owner::SubTeamMember, Shared::No),
    kind("teamb", Owner::TeamB, Shared::No),
    kind("sharedread", Owner::TeamB, Shared::UserRead),
    kind("sharedwrite", Owner::TeamB, Shared::UserWrite),
    kind("teamshared", Owner::TeamB, Shared::TeamWrite),
];

/// A role's scopes, on customers and contacts alike, for the actions the matrix uses
/// (import follows create).
#[derive(Debug, Clone, Copy)]
pub struct Scopes {
    pub read: Scope,
    pub create: Scope,
    pub edit: Scope,
    pub delete: Scope,
    pub export: Scope,
    pub mass_update: Scope,
    pub assign: Scope,
}

const fn every(scope: Scope) -> Scopes {
    Scopes {
        read: scope,
        create: scope,
        edit: scope,
        delete: scope,
        export: scope,
        mass_update: scope,
        assign: scope,
    }
}

/// The roles the test creates, the way the role editor does.
pub const ROLES: [(&str, Scopes); 5] = [
    ("matrix_all", every(Scope::All)),
    ("matrix_team", every(Scope::Team)),
    ("matrix_own", every(Scope::Own)),
    // A sales rep whose reading of customers and contacts was switched off.
    (
        "matrix_blind",
        Scopes {
            read: Scope::None,
            ..every(Scope::Own)
        },
    ),
    (
        "matrix_reader",
        Scopes {
            read: Scope::All,
            ..every(Scope::None)
        },
    ),
];

/// One acting user of team A: their roles, whether they manage team A, and (by hand) the
/// scopes their roles add up to.
pub struct ActorSpec {
    pub name: &'static str,
    pub roles: &'static [&'static str],
    pub manages_team_a: bool,
    pub scopes: Scopes,
}

pub const ALL: ActorSpec = ActorSpec {
    name: "scope_all",
    roles: &["matrix_all"],
    manages_team_a: false,
    scopes: every(Scope::All),
};
pub const TEAM: ActorSpec = ActorSpec {
    name: "scope_team",
    roles: &["matrix_team"],
    manages_team_a: false,
    scopes: every(Scope::Team),
};
pub const OWN: ActorSpec = ActorSpec {
    name: "scope_own",
    roles: &["matrix_own"],
    manages_team_a: false,
    scopes: every(Scope::Own),
};
pub const BLIND: ActorSpec = ActorSpec {
    name: "scope_none",
    roles: &["matrix_blind"],
    manages_team_a: false,
    scopes: Scopes {
        read: Scope::None,
        ..every(Scope::Own)
    },
};
/// Manager of team A (which has sub-team A1) with a sales rep's own-records role.
pub const MANAGER: ActorSpec = ActorSpec {
    name: "manager",
    roles: &["matrix_own"],
    manages_team_a: true,
    scopes: every(Scope::Own),
};
/// Reads everything through one role, acts on their own records through the other.
pub const TWO_ROLES: ActorSpec = ActorSpec {
    name: "two_roles",
    roles: &["matrix_own", "matrix_reader"],
    manages_team_a: false,
    scopes: Scopes {
        read: Scope::All,
        ..every(Scope::Own)
    },
};

/// What a mass update (or assignment) of one record should do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mass {
    /// 200, the record changed.
    Changed,
    /// 200 and nothing changed: the record is outside the scope (and not named).
    NothingChanged,
    /// 403: the role has no scope for the action at all.
    Refused,
    /// 422: the new owner is not someone the actor may give records to.
    RecipientRefused,
}

/// What a transfer of one record (to the actor, or of the actor's own record to a
/// team-mate) should do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transfer {
    Moved,
    NothingMoved,
    RecipientRefused,
}

fn role_covers(scope: Scope, owner: Owner) -> bool {
    match scope {
        Scope::All => true,
        Scope::Team => owner != Owner::TeamB,
        Scope::Own => owner == Owner::Actor,
        Scope::None => false,
    }
}

impl ActorSpec {
    /// An action's scope, never wider than what the user may read.
    fn capped(&self, scope: Scope) -> Scope {
        scope.min(self.scopes.read)
    }

    /// Roles plus, for managerial actions, the managed teams (never for an action the
    /// roles refuse).
    fn reaches(&self, scope: Scope, managerial: bool, owner: Owner) -> bool {
        role_covers(scope, owner)
            || (managerial && self.manages_team_a && scope != Scope::None && owner != Owner::TeamB)
    }

    /// By the roles and the managed teams, without shares.
    fn reads_by_right(&self, k: Kind) -> bool {
        self.reaches(self.scopes.read, true, k.owner)
    }

    fn edits_by_right(&self, k: Kind) -> bool {
        self.reaches(self.capped(self.scopes.edit), true, k.owner)
    }

    pub fn reads(&self, k: Kind) -> bool {
        self.reads_by_right(k) || (self.scopes.read != Scope::None && k.shared != Shared::No)
    }

    pub fn edits(&self, k: Kind) -> bool {
        let write_share = matches!(k.shared, Shared::UserWrite | Shared::TeamWrite);
        let may_edit_at_all = self.capped(self.scopes.edit) != Scope::None;
        self.reads(k) && (self.edits_by_right(k) || (may_edit_at_all && write_share))
    }

    /// A contact of a customer of this kind: owned by the customer's owner, never shared.
    pub fn reads_contact(&self, k: Kind) -> bool {
        self.reads_by_right(k)
    }

    pub fn edits_contact(&self, k: Kind) -> bool {
        self.edits_by_right(k)
    }

    pub fn deletes(&self, k: Kind) -> bool {
        self.reaches(self.capped(self.scopes.delete), false, k.owner)
    }

    /// Sharing is for the owner and for whoever may edit the record by role or management.
    pub fn shares(&self, k: Kind) -> bool {
        self.reads(k) && (k.owner == Owner::Actor || self.edits_by_right(k))
    }

    pub fn may_export(&self) -> bool {
        self.capped(self.scopes.export) != Scope::None
    }

    pub fn exports(&self, k: Kind) -> bool {
        self.reaches(self.capped(self.scopes.export), false, k.owner)
    }

    /// Records in the recycle bin: listed and restored through the delete scope only.
    pub fn restores(&self, k: Kind) -> bool {
        self.deletes(k)
    }

    /// Setting fields on many records: roles and managed teams, never shares. The same
    /// for the customer's contact, which has the customer's owner.
    pub fn mass_update(&self, k: Kind) -> Mass {
        let scope = self.capped(self.scopes.mass_update);
        if scope == Scope::None {
            Mass::Refused
        } else if self.reaches(scope, true, k.owner) {
            Mass::Changed
        } else {
            Mass::NothingChanged
        }
    }

    /// Giving the record (and its contact) to the team-mate if it is the actor's own, or
    /// to the actor otherwise, as in [`Self::transfer`].
    pub fn assign(&self, k: Kind) -> Mass {
        let assign = self.capped(self.scopes.assign);
        let recipient = match k.owner {
            Owner::Actor => Owner::TeamMate,
            _ => Owner::Actor,
        };
        if assign == Scope::None {
            Mass::Refused
        } else if !self.reaches(assign, true, recipient) {
            Mass::RecipientRefused
        } else if self.reaches(assign, true, k.owner) {
            Mass::Changed
        } else {
            Mass::NothingChanged
        }
    }

    pub fn transfer(&self, k: Kind) -> Transfer {
        let assign = self.capped(self.scopes.assign);
        let recipient = match k.owner {
            Owner::Actor => Owner::TeamMate,
            _ => Owner::Actor,
        };
        if !self.reaches(assign, true, recipient) {
            Transfer::RecipientRefused
        } else if self.reaches(assign, true, k.owner) {
            Transfer::Moved
        } else {
            Transfer::NothingMoved
        }
    }
}
