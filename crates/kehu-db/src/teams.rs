//! Teams (departments) with parent teams; team scopes cover a team and its sub-teams.

use crate::conn::required;
use crate::records::ident;
use crate::{now, timestamp_value, Db, DbError, DbResult};
use sea_query::{Expr, Order, Query};
use serde::Serialize;

/// A team.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Team {
    /// Id.
    pub id: i64,
    /// Name (unique).
    pub name: String,
    /// The team it belongs to.
    pub parent_id: Option<i64>,
    /// The user who manages it: they see and edit the records of this team and its
    /// sub-teams without being an admin.
    pub manager_id: Option<i64>,
    /// Optimistic-concurrency version.
    pub version: i64,
}

/// Every team, by name.
pub async fn list(db: &Db) -> DbResult<Vec<Team>> {
    let select = Query::select()
        .columns(["id", "name", "parent_id", "version"].map(|c| (ident("teams"), ident(c))))
        .expr_as(
            Expr::col((ident("team_managers"), ident("user_id"))),
            ident("manager_id"),
        )
        .from(ident("teams"))
        .left_join(
            ident("team_managers"),
            Expr::col((ident("team_managers"), ident("team_id")))
                .equals((ident("teams"), ident("id"))),
        )
        .order_by((ident("teams"), ident("name")), Order::Asc)
        .to_owned();
    db.conn()
        .fetch_all(&select, |row| {
            Ok(Team {
                id: required(row.int("id"), "id")?,
                name: required(row.text("name"), "name")?,
                parent_id: row.int("parent_id")?,
                manager_id: row.int("manager_id")?,
                version: required(row.int("version"), "version")?,
            })
        })
        .await
}

/// (team, parent) pairs, for computing sub-teams.
pub async fn parent_map(db: &Db) -> DbResult<Vec<(i64, Option<i64>)>> {
    Ok(list(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.parent_id))
        .collect())
}

/// Every team the user manages, with all their sub-teams.
pub fn managed_by(teams: &[Team], user_id: i64) -> Vec<i64> {
    let parents: Vec<(i64, Option<i64>)> = teams.iter().map(|t| (t.id, t.parent_id)).collect();
    let mut managed = Vec::new();
    for team in teams.iter().filter(|t| t.manager_id == Some(user_id)) {
        for id in kehu_core::permission::team_and_descendants(team.id, &parents) {
            if !managed.contains(&id) {
                managed.push(id);
            }
        }
    }
    managed
}

/// A team's manager must be an active user (a field error, not a foreign-key failure).
async fn check_manager(db: &Db, manager_id: Option<i64>) -> DbResult<()> {
    let Some(user_id) = manager_id else {
        return Ok(());
    };
    let select = Query::select()
        .column(ident("id"))
        .from(ident("users"))
        .and_where(Expr::col(ident("id")).eq(user_id))
        .and_where(Expr::col(ident("active")).eq(true))
        .to_owned();
    if db.conn().fetch_ints(&select).await?.is_empty() {
        return Err(DbError::field(
            "manager_id",
            "unknown_user",
            "is not an active user",
        ));
    }
    Ok(())
}

/// Reads a team.
pub async fn get(db: &Db, id: i64) -> DbResult<Team> {
    list(db)
        .await?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or(DbError::NotFound)
}

/// Finds a team by name.
pub async fn by_name(db: &Db, name: &str) -> DbResult<Option<Team>> {
    Ok(list(db).await?.into_iter().find(|t| t.name == name))
}

fn check_name(name: &str) -> DbResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(DbError::field(
            "name",
            "required",
            "is required (at most 100 characters)",
        ));
    }
    Ok(name.to_string())
}

/// Creates a team.
pub async fn create(db: &Db, name: &str, parent_id: Option<i64>) -> DbResult<Team> {
    let name = check_name(name)?;
    let teams = list(db).await?;
    if teams.iter().any(|t| t.name == name) {
        return Err(DbError::field("name", "taken", "is already taken"));
    }
    if parent_id.is_some_and(|p| !teams.iter().any(|t| t.id == p)) {
        return Err(DbError::field("parent_id", "unknown_team", "is not a team"));
    }
    let at = timestamp_value(db.backend(), now());
    let insert = Query::insert()
        .into_table(ident("teams"))
        .columns(["name", "parent_id", "created_at", "updated_at", "version"].map(ident))
        .values_panic([
            name.into(),
            parent_id.into(),
            at.clone().into(),
            at.into(),
            1i64.into(),
        ])
        .returning_col(ident("id"))
        .to_owned();
    let id = db.conn().fetch_ints(&insert).await?[0];
    get(db, id).await
}

/// What an admin sets on a team.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamChanges {
    /// Name (unique).
    pub name: String,
    /// The team above it.
    pub parent_id: Option<i64>,
    /// The manager.
    pub manager_id: Option<i64>,
}

/// Renames, moves or gives a manager to a team; refuses moves that would put a team
/// inside itself.
pub async fn update(
    db: &Db,
    id: i64,
    expected_version: i64,
    changes: &TeamChanges,
) -> DbResult<Team> {
    let name = check_name(&changes.name)?;
    let parent_id = changes.parent_id;
    check_manager(db, changes.manager_id).await?;
    let teams = list(db).await?;
    let current = teams.iter().find(|t| t.id == id).ok_or(DbError::NotFound)?;
    if current.version != expected_version {
        return Err(DbError::StaleVersion {
            current: current.version,
        });
    }
    if teams.iter().any(|t| t.name == name && t.id != id) {
        return Err(DbError::field("name", "taken", "is already taken"));
    }
    if let Some(parent) = parent_id {
        let parents: Vec<(i64, Option<i64>)> = teams.iter().map(|t| (t.id, t.parent_id)).collect();
        if kehu_core::permission::team_and_descendants(id, &parents).contains(&parent) {
            return Err(DbError::field(
                "parent_id",
                "cycle",
                "a team cannot be inside itself",
            ));
        }
        if !teams.iter().any(|t| t.id == parent) {
            return Err(DbError::field("parent_id", "unknown_team", "is not a team"));
        }
    }
    let update = Query::update()
        .table(ident("teams"))
        .value(ident("name"), name)
        .value(ident("parent_id"), parent_id)
        .value(ident("updated_at"), timestamp_value(db.backend(), now()))
        .value(ident("version"), Expr::col(ident("version")).add(1))
        .and_where(Expr::col(ident("id")).eq(id))
        .and_where(Expr::col(ident("version")).eq(expected_version))
        .to_owned();
    let mut tx = db.begin().await?;
    if tx.conn().execute(&update).await? != 1 {
        return Err(DbError::StaleVersion {
            current: expected_version + 1,
        });
    }
    if changes.manager_id != current.manager_id {
        let unset = Query::delete()
            .from_table(ident("team_managers"))
            .and_where(Expr::col(ident("team_id")).eq(id))
            .to_owned();
        tx.conn().execute(&unset).await?;
        if let Some(manager_id) = changes.manager_id {
            let set = Query::insert()
                .into_table(ident("team_managers"))
                .columns([ident("team_id"), ident("user_id")])
                .values_panic([id.into(), manager_id.into()])
                .to_owned();
            tx.conn().execute(&set).await?;
        }
    }
    tx.commit().await?;
    get(db, id).await
}

/// Deletes a team that has no members, no sub-teams and no records.
pub async fn delete(db: &Db, id: i64) -> DbResult<()> {
    get(db, id).await?;
    for (table, column, message) in [
        ("teams", "parent_id", "the team has sub-teams"),
        ("users", "team_id", "the team has members"),
        ("accounts", "team_id", "the team has customers"),
        ("contacts", "team_id", "the team has contacts"),
    ] {
        let select = Query::select()
            .column(ident("id"))
            .from(ident(table))
            .and_where(Expr::col(ident(column)).eq(id))
            .limit(1)
            .to_owned();
        if !db.conn().fetch_ints(&select).await?.is_empty() {
            return Err(DbError::field("id", "team_in_use", message));
        }
    }
    let delete = Query::delete()
        .from_table(ident("teams"))
        .and_where(Expr::col(ident("id")).eq(id))
        .to_owned();
    db.conn().execute(&delete).await?;
    Ok(())
}
