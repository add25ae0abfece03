//! Sharing one record with a user or a team, read-only or read-write.
//!
//! Shares widen what [`kehu_core::permission::Visibility::WithShares`] covers: the record
//! then appears in the sharee's lists, counts, search and detail through the same SQL
//! predicate as everything else. Only the owner, or someone whose own rights (a role
//! scope or a managed team, not a share) let them edit the record, shares and revokes.

use crate::conn::required;
use crate::events::{self, Change, NewEvent};
use crate::records::{get_in, ident};
use crate::{now, timestamp_value, Conn, Db, DbError, DbResult};
use chrono::{DateTime, Utc};
use kehu_core::entity::EntityDef;
use kehu_core::permission::{Action, Actor};
use sea_query::{Expr, Order, Query, SelectStatement, SimpleExpr, UnionType};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// How much a share allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShareAccess {
    /// See the record.
    Read,
    /// See and change it (not delete, share or transfer it).
    Write,
}

impl ShareAccess {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ShareAccess::Read => "read",
            ShareAccess::Write => "write",
        }
    }

    fn parse(stored: &str) -> ShareAccess {
        if stored == "write" {
            ShareAccess::Write
        } else {
            ShareAccess::Read
        }
    }
}

/// Whom a record is shared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShareTarget {
    /// One user.
    User(i64),
    /// Every member of a team and of its sub-teams.
    Team(i64),
}

/// A share as listed on the record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Share {
    /// Id (used to revoke it).
    pub id: i64,
    /// The user shared with, if it is a user share.
    pub user_id: Option<i64>,
    /// The team shared with, if it is a team share.
    pub team_id: Option<i64>,
    /// The user's display name or the team's name.
    pub target_name: String,
    /// Read or read-write.
    pub access: ShareAccess,
    /// Who shared it.
    pub created_by: Option<i64>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// `SELECT record_id FROM record_shares …`: ids of an entity's records shared with a user
/// directly or through one of `team_ids`; with `write`, read-write shares only.
///
/// Written as a `UNION ALL` of the user's and the teams' shares rather than one `OR`, so
/// that each half is a lookup in its own index (`record_shares_user`, `record_shares_team`)
/// on both backends.
pub(crate) fn shared_ids(
    entity: &str,
    user_id: i64,
    team_ids: &[i64],
    write: bool,
) -> SelectStatement {
    let part = |whom: SimpleExpr| {
        let mut select = Query::select();
        select
            .column(ident("record_id"))
            .from(ident("record_shares"))
            .and_where(Expr::col(ident("entity")).eq(entity))
            .and_where(whom);
        if write {
            select.and_where(Expr::col(ident("access")).eq(ShareAccess::Write.as_str()));
        }
        select
    };
    let mut shared = part(Expr::col(ident("user_id")).eq(user_id));
    if !team_ids.is_empty() {
        shared.union(
            UnionType::All,
            part(Expr::col(ident("team_id")).is_in(team_ids.iter().copied())),
        );
    }
    shared
}

/// The shares of a record the actor may read, oldest first.
pub async fn list(
    db: &Db,
    entity: &'static EntityDef,
    actor: &Actor,
    record_id: i64,
) -> DbResult<Vec<Share>> {
    let mut conn = db.conn();
    get_in(
        &mut conn,
        entity,
        &actor.visibility(entity.name, Action::Read),
        record_id,
        false,
    )
    .await?;
    shares_of(&mut conn, entity, record_id).await
}

async fn shares_of(
    conn: &mut Conn<'_>,
    entity: &'static EntityDef,
    record_id: i64,
) -> DbResult<Vec<Share>> {
    let select = Query::select()
        .columns(
            [
                "id",
                "user_id",
                "team_id",
                "access",
                "created_by",
                "created_at",
            ]
            .map(|c| (ident("record_shares"), ident(c))),
        )
        .expr_as(
            Expr::col((ident("users"), ident("display_name"))),
            ident("user_name"),
        )
        .expr_as(
            Expr::col((ident("teams"), ident("name"))),
            ident("team_name"),
        )
        .from(ident("record_shares"))
        .left_join(
            ident("users"),
            Expr::col((ident("users"), ident("id")))
                .equals((ident("record_shares"), ident("user_id"))),
        )
        .left_join(
            ident("teams"),
            Expr::col((ident("teams"), ident("id")))
                .equals((ident("record_shares"), ident("team_id"))),
        )
        .and_where(Expr::col((ident("record_shares"), ident("entity"))).eq(entity.name))
        .and_where(Expr::col((ident("record_shares"), ident("record_id"))).eq(record_id))
        .order_by((ident("record_shares"), ident("id")), Order::Asc)
        .to_owned();
    conn.fetch_all(&select, |row| {
        let access: String = required(row.text("access"), "access")?;
        Ok(Share {
            id: required(row.int("id"), "id")?,
            user_id: row.int("user_id")?,
            team_id: row.int("team_id")?,
            target_name: row
                .text("user_name")?
                .or(row.text("team_name")?)
                .unwrap_or_default(),
            access: ShareAccess::parse(&access),
            created_by: row.int("created_by")?,
            created_at: required(row.timestamp("created_at"), "created_at")?,
        })
    })
    .await
}

/// Checks that the actor may share the record: 404 if they cannot see it, 403 if they can
/// see it only through a share or a read scope.
async fn check_may_share(
    conn: &mut Conn<'_>,
    entity: &'static EntityDef,
    actor: &Actor,
    record_id: i64,
) -> DbResult<crate::records::Record> {
    let record = get_in(
        conn,
        entity,
        &actor.visibility(entity.name, Action::Read),
        record_id,
        false,
    )
    .await?;
    if !actor.may_share(entity.name, record.owner_id, record.team_id) {
        return Err(DbError::Forbidden);
    }
    Ok(record)
}

/// Shares a record (or changes the access of an existing share with the same target).
pub async fn share(
    db: &Db,
    entity: &'static EntityDef,
    actor: &Actor,
    source_ip: Option<&str>,
    record_id: i64,
    target: ShareTarget,
    access: ShareAccess,
) -> DbResult<Share> {
    let mut tx = db.begin().await?;
    let record = check_may_share(&mut tx.conn(), entity, actor, record_id).await?;
    let (column, target_id, field) = match target {
        ShareTarget::User(id) => ("user_id", id, "user_id"),
        ShareTarget::Team(id) => ("team_id", id, "team_id"),
    };
    let target_exists = match target {
        ShareTarget::User(id) => Query::select()
            .column(ident("id"))
            .from(ident("users"))
            .and_where(Expr::col(ident("id")).eq(id))
            .and_where(Expr::col(ident("active")).eq(true))
            .to_owned(),
        ShareTarget::Team(id) => Query::select()
            .column(ident("id"))
            .from(ident("teams"))
            .and_where(Expr::col(ident("id")).eq(id))
            .to_owned(),
    };
    if tx.conn().fetch_ints(&target_exists).await?.is_empty() {
        return Err(DbError::field(
            field,
            "unknown_target",
            "is not an active user or a team",
        ));
    }
    if target == ShareTarget::User(record.owner_id) {
        return Err(DbError::field(
            "user_id",
            "is_owner",
            "the owner already has the record",
        ));
    }
    let existing = Query::select()
        .column(ident("id"))
        .from(ident("record_shares"))
        .and_where(Expr::col(ident("entity")).eq(entity.name))
        .and_where(Expr::col(ident("record_id")).eq(record_id))
        .and_where(Expr::col(ident(column)).eq(target_id))
        .to_owned();
    let existing = tx.conn().fetch_ints(&existing).await?.first().copied();
    let share_id = match existing {
        Some(id) => {
            let update = Query::update()
                .table(ident("record_shares"))
                .value(ident("access"), access.as_str())
                .and_where(Expr::col(ident("id")).eq(id))
                .to_owned();
            tx.conn().execute(&update).await?;
            id
        }
        None => {
            let insert = Query::insert()
                .into_table(ident("record_shares"))
                .columns(
                    [
                        "entity",
                        "record_id",
                        column,
                        "access",
                        "created_by",
                        "created_at",
                    ]
                    .map(ident),
                )
                .values_panic([
                    entity.name.into(),
                    record_id.into(),
                    target_id.into(),
                    access.as_str().into(),
                    actor.user_id.into(),
                    timestamp_value(db.backend(), now()).into(),
                ])
                .returning_col(ident("id"))
                .to_owned();
            tx.conn().fetch_ints(&insert).await?[0]
        }
    };
    events::append(
        &mut tx.conn(),
        &NewEvent {
            entity: entity.name,
            record_id: Some(record_id),
            account_id: crate::records::account_of(&record),
            action: "shared",
            actor_id: Some(actor.user_id),
            changes: vec![Change {
                field: format!("share.{column}"),
                old: json!(null),
                new: json!({ "id": target_id, "access": access.as_str() }),
            }],
            summary: record.text("name").unwrap_or_default().to_string(),
            source_ip: source_ip.map(str::to_string),
        },
    )
    .await?;
    let shares = shares_of(&mut tx.conn(), entity, record_id).await?;
    tx.commit().await?;
    shares
        .into_iter()
        .find(|s| s.id == share_id)
        .ok_or(DbError::NotFound)
}

/// Revokes a share of a record.
pub async fn revoke(
    db: &Db,
    entity: &'static EntityDef,
    actor: &Actor,
    source_ip: Option<&str>,
    record_id: i64,
    share_id: i64,
) -> DbResult<()> {
    let mut tx = db.begin().await?;
    let record = check_may_share(&mut tx.conn(), entity, actor, record_id).await?;
    let share = shares_of(&mut tx.conn(), entity, record_id)
        .await?
        .into_iter()
        .find(|s| s.id == share_id)
        .ok_or(DbError::NotFound)?;
    let delete = Query::delete()
        .from_table(ident("record_shares"))
        .and_where(Expr::col(ident("id")).eq(share_id))
        .to_owned();
    tx.conn().execute(&delete).await?;
    let (column, target_id) = match (share.user_id, share.team_id) {
        (Some(user), _) => ("user_id", user),
        (None, team) => ("team_id", team.unwrap_or_default()),
    };
    events::append(
        &mut tx.conn(),
        &NewEvent {
            entity: entity.name,
            record_id: Some(record_id),
            account_id: crate::records::account_of(&record),
            action: "unshared",
            actor_id: Some(actor.user_id),
            changes: vec![Change {
                field: format!("share.{column}"),
                old: json!({ "id": target_id, "access": share.access.as_str() }),
                new: json!(null),
            }],
            summary: record.text("name").unwrap_or_default().to_string(),
            source_ip: source_ip.map(str::to_string),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
