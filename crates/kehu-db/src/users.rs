//! Users: who signs in, their team, roles and language; and the [`Actor`] built from them.

use crate::conn::required;
use crate::records::ident;
use crate::{now, timestamp_value, Db, DbError, DbResult, DynRow};
use kehu_core::permission::{team_and_ancestors, team_and_descendants, Actor, Grants};
use sea_query::{Expr, Order, Query};
use serde::Serialize;

/// A user as pages and the API show them (never the password hash).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct User {
    /// Id.
    pub id: i64,
    /// Sign-in name.
    pub username: String,
    /// Name shown to others.
    pub display_name: String,
    /// E-mail address.
    pub email: Option<String>,
    /// Team.
    pub team_id: Option<i64>,
    /// Preferred language (`zh-CN`, `en`), none for the browser's.
    pub locale: Option<String>,
    /// Whether the user may sign in.
    pub active: bool,
    /// Optimistic-concurrency version.
    pub version: i64,
    /// Names of the user's roles.
    pub roles: Vec<String>,
}

/// What is needed to create a user.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Sign-in name (unique).
    pub username: String,
    /// Name shown to others.
    pub display_name: String,
    /// E-mail address.
    pub email: Option<String>,
    /// argon2id hash of the password.
    pub password_hash: String,
    /// Team.
    pub team_id: Option<i64>,
    /// Role names.
    pub roles: Vec<String>,
}

/// Changes an admin makes to a user; `None` keeps the value.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    /// New display name.
    pub display_name: Option<String>,
    /// New e-mail (`Some(None)` clears it).
    pub email: Option<Option<String>>,
    /// New team (`Some(None)` removes it).
    pub team_id: Option<Option<i64>>,
    /// Activate or deactivate.
    pub active: Option<bool>,
    /// Replace the roles.
    pub roles: Option<Vec<String>>,
}

const COLUMNS: [&str; 8] = [
    "id",
    "username",
    "display_name",
    "email",
    "team_id",
    "locale",
    "active",
    "version",
];

fn user_from_row(row: &dyn DynRow) -> sqlx::Result<User> {
    Ok(User {
        id: required(row.int("id"), "id")?,
        username: required(row.text("username"), "username")?,
        display_name: required(row.text("display_name"), "display_name")?,
        email: row.text("email")?,
        team_id: row.int("team_id")?,
        locale: row.text("locale")?,
        active: required(row.boolean("active"), "active")?,
        version: required(row.int("version"), "version")?,
        roles: Vec::new(),
    })
}

/// Checks a sign-in name: 2–40 letters, digits, `.`, `_`, `-`.
pub fn valid_username(name: &str) -> bool {
    (2..=40).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || "._-".contains(c))
}

/// Creates a user with roles.
pub async fn create(db: &Db, user: NewUser) -> DbResult<User> {
    if !valid_username(&user.username) {
        return Err(DbError::field(
            "username",
            "invalid_username",
            "2–40 letters, digits, '.', '_' or '-'",
        ));
    }
    if user.display_name.trim().is_empty() || user.display_name.chars().count() > 100 {
        return Err(DbError::field(
            "display_name",
            "required",
            "is required (at most 100 characters)",
        ));
    }
    let backend = db.backend();
    let mut tx = db.begin().await?;
    let taken = Query::select()
        .column(ident("id"))
        .from(ident("users"))
        .and_where(Expr::col(ident("username")).eq(user.username.clone()))
        .to_owned();
    if !tx.conn().fetch_ints(&taken).await?.is_empty() {
        return Err(DbError::field("username", "taken", "is already taken"));
    }
    check_team(&mut tx, user.team_id).await?;
    let at = timestamp_value(backend, now());
    let insert = Query::insert()
        .into_table(ident("users"))
        .columns(
            [
                "username",
                "display_name",
                "email",
                "password_hash",
                "team_id",
                "active",
                "created_at",
                "updated_at",
                "version",
            ]
            .map(ident),
        )
        .values_panic([
            user.username.clone().into(),
            user.display_name.trim().into(),
            user.email.clone().into(),
            user.password_hash.clone().into(),
            user.team_id.into(),
            true.into(),
            at.clone().into(),
            at.into(),
            1i64.into(),
        ])
        .returning_col(ident("id"))
        .to_owned();
    let id = tx.conn().fetch_ints(&insert).await?[0];
    set_roles(&mut tx, id, &user.roles).await?;
    tx.commit().await?;
    get(db, id).await
}

/// A team a user is put in must exist (a field error, not a foreign-key failure).
async fn check_team(tx: &mut crate::Tx, team_id: Option<i64>) -> DbResult<()> {
    let Some(team_id) = team_id else {
        return Ok(());
    };
    let select = Query::select()
        .column(ident("id"))
        .from(ident("teams"))
        .and_where(Expr::col(ident("id")).eq(team_id))
        .to_owned();
    if tx.conn().fetch_ints(&select).await?.is_empty() {
        return Err(DbError::field("team_id", "unknown_team", "is not a team"));
    }
    Ok(())
}

async fn set_roles(tx: &mut crate::Tx, user_id: i64, roles: &[String]) -> DbResult<()> {
    let delete = Query::delete()
        .from_table(ident("user_roles"))
        .and_where(Expr::col(ident("user_id")).eq(user_id))
        .to_owned();
    tx.conn().execute(&delete).await?;
    for role in roles {
        let find = Query::select()
            .column(ident("id"))
            .from(ident("roles"))
            .and_where(Expr::col(ident("name")).eq(role.clone()))
            .to_owned();
        let Some(role_id) = tx.conn().fetch_ints(&find).await?.first().copied() else {
            return Err(DbError::field(
                "roles",
                "unknown_role",
                format!("there is no role {role:?}"),
            ));
        };
        let insert = Query::insert()
            .into_table(ident("user_roles"))
            .columns([ident("user_id"), ident("role_id")])
            .values_panic([user_id.into(), role_id.into()])
            .to_owned();
        tx.conn().execute(&insert).await?;
    }
    Ok(())
}

async fn role_names(db: &Db, user_id: i64) -> DbResult<Vec<String>> {
    let select = Query::select()
        .column((ident("roles"), ident("name")))
        .from(ident("user_roles"))
        .inner_join(
            ident("roles"),
            Expr::col((ident("roles"), ident("id")))
                .equals((ident("user_roles"), ident("role_id"))),
        )
        .and_where(Expr::col((ident("user_roles"), ident("user_id"))).eq(user_id))
        .order_by((ident("roles"), ident("name")), Order::Asc)
        .to_owned();
    db.conn()
        .fetch_all(&select, |row| required(row.text("name"), "name"))
        .await
}

/// Reads a user by id.
pub async fn get(db: &Db, id: i64) -> DbResult<User> {
    let select = Query::select()
        .columns(COLUMNS.map(ident))
        .from(ident("users"))
        .and_where(Expr::col(ident("id")).eq(id))
        .to_owned();
    let mut user = db
        .conn()
        .fetch_optional(&select, user_from_row)
        .await?
        .ok_or(DbError::NotFound)?;
    user.roles = role_names(db, id).await?;
    Ok(user)
}

/// Reads a user and their password hash by sign-in name (case-sensitive).
pub async fn with_password_hash(db: &Db, username: &str) -> DbResult<Option<(User, String)>> {
    let select = Query::select()
        .columns(COLUMNS.map(ident))
        .column(ident("password_hash"))
        .from(ident("users"))
        .and_where(Expr::col(ident("username")).eq(username))
        .to_owned();
    let found = db
        .conn()
        .fetch_optional(&select, |row| {
            Ok((
                user_from_row(row)?,
                required(row.text("password_hash"), "password_hash")?,
            ))
        })
        .await?;
    match found {
        Some((mut user, hash)) => {
            user.roles = role_names(db, user.id).await?;
            Ok(Some((user, hash)))
        }
        None => Ok(None),
    }
}

/// Every user, by display name.
pub async fn list(db: &Db) -> DbResult<Vec<User>> {
    let select = Query::select()
        .columns(COLUMNS.map(ident))
        .from(ident("users"))
        .order_by(ident("display_name"), Order::Asc)
        .to_owned();
    let mut users = db.conn().fetch_all(&select, user_from_row).await?;
    for user in &mut users {
        user.roles = role_names(db, user.id).await?;
    }
    Ok(users)
}

/// Applies an admin's changes if the version still matches. Deactivating a user ends
/// their sessions and API tokens in the same transaction.
pub async fn update(
    db: &Db,
    origin: &crate::events::Origin,
    id: i64,
    expected_version: i64,
    changes: UserChanges,
) -> DbResult<User> {
    let current = get(db, id).await?;
    if current.version != expected_version {
        return Err(DbError::StaleVersion {
            current: current.version,
        });
    }
    let backend = db.backend();
    let mut tx = db.begin().await?;
    let mut update = Query::update();
    update.table(ident("users"));
    if let Some(name) = &changes.display_name {
        if name.trim().is_empty() || name.chars().count() > 100 {
            return Err(DbError::field(
                "display_name",
                "required",
                "is required (at most 100 characters)",
            ));
        }
        update.value(ident("display_name"), name.trim());
    }
    if let Some(email) = &changes.email {
        update.value(ident("email"), email.clone());
    }
    if let Some(team_id) = changes.team_id {
        check_team(&mut tx, team_id).await?;
        update.value(ident("team_id"), team_id);
        if team_id != current.team_id {
            // A record's team is its owner's team, so team scopes follow people: the
            // user's records move with them (not a user edit, so versions stay).
            for entity in kehu_core::entity::ENTITIES {
                let follow = Query::update()
                    .table(ident(entity.table))
                    .value(ident("team_id"), team_id)
                    .and_where(Expr::col(ident("owner_id")).eq(id))
                    .to_owned();
                tx.conn().execute(&follow).await?;
            }
        }
    }
    if let Some(active) = changes.active {
        update.value(ident("active"), active);
        if !active {
            crate::auth::end_all_access(&mut tx, id).await?;
        }
    }
    update
        .value(ident("updated_at"), timestamp_value(backend, now()))
        .value(ident("version"), Expr::col(ident("version")).add(1))
        .and_where(Expr::col(ident("id")).eq(id))
        .and_where(Expr::col(ident("version")).eq(expected_version));
    if tx.conn().execute(&update).await? != 1 {
        return Err(DbError::StaleVersion {
            current: expected_version + 1,
        });
    }
    if let Some(roles) = &changes.roles {
        set_roles(&mut tx, id, roles).await?;
    }
    audit_user_change(&mut tx, origin, &current, &changes).await?;
    tx.commit().await?;
    get(db, id).await
}

/// Records an administrator's change to a user: which of name, e-mail, team, roles and
/// active changed, from what to what; deactivation gets an action of its own.
async fn audit_user_change(
    tx: &mut crate::Tx,
    origin: &crate::events::Origin,
    before: &User,
    changes: &UserChanges,
) -> DbResult<()> {
    use crate::events::{Change, NewEvent};
    use serde_json::json;
    let mut diff = Vec::new();
    let mut note = |field: &str, old: serde_json::Value, new: serde_json::Value| {
        if old != new {
            diff.push(Change {
                field: field.into(),
                old,
                new,
            });
        }
    };
    if let Some(name) = &changes.display_name {
        note(
            "display_name",
            json!(before.display_name),
            json!(name.trim()),
        );
    }
    if let Some(email) = &changes.email {
        note("email", json!(before.email), json!(email));
    }
    if let Some(team) = changes.team_id {
        note("team_id", json!(before.team_id), json!(team));
    }
    if let Some(active) = changes.active {
        note("active", json!(before.active), json!(active));
    }
    if let Some(roles) = &changes.roles {
        let mut sorted = roles.clone();
        sorted.sort();
        note("roles", json!(before.roles), json!(sorted));
    }
    if diff.is_empty() {
        return Ok(());
    }
    let action = match changes.active {
        Some(false) if before.active => "deactivated",
        Some(true) if !before.active => "activated",
        _ => "updated",
    };
    crate::events::append(
        &mut tx.conn(),
        &NewEvent {
            entity: "user",
            record_id: Some(before.id),
            account_id: None,
            action,
            actor_id: origin.actor_id,
            changes: diff,
            summary: before.username.clone(),
            source_ip: origin.source_ip.clone(),
        },
    )
    .await
}

/// Sets a user's password hash.
pub async fn set_password_hash(db: &Db, id: i64, hash: &str) -> DbResult<()> {
    let update = Query::update()
        .table(ident("users"))
        .value(ident("password_hash"), hash)
        .and_where(Expr::col(ident("id")).eq(id))
        .to_owned();
    db.conn().execute(&update).await?;
    Ok(())
}

/// Sets a user's language (`None` follows the browser).
pub async fn set_locale(db: &Db, id: i64, locale: Option<&str>) -> DbResult<()> {
    let update = Query::update()
        .table(ident("users"))
        .value(ident("locale"), locale.map(str::to_string))
        .and_where(Expr::col(ident("id")).eq(id))
        .to_owned();
    db.conn().execute(&update).await?;
    Ok(())
}

/// Builds the permission view of a user: their roles' grants and field rules merged, and
/// their team with every sub-team.
pub async fn actor(db: &Db, user: &User) -> DbResult<Actor> {
    let select = Query::select()
        .column((ident("roles"), ident("id")))
        .column((ident("roles"), ident("grants")))
        .from(ident("user_roles"))
        .inner_join(
            ident("roles"),
            Expr::col((ident("roles"), ident("id")))
                .equals((ident("user_roles"), ident("role_id"))),
        )
        .and_where(Expr::col((ident("user_roles"), ident("user_id"))).eq(user.id))
        .to_owned();
    let role_grants = db
        .conn()
        .fetch_all(&select, |row| {
            let json = required(row.json("grants"), "grants")?;
            let grants = serde_json::from_value::<Grants>(json)
                .map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
            Ok((required(row.int("id"), "id")?, grants))
        })
        .await?;
    let mut grants = Grants::default();
    for (_, role) in &role_grants {
        grants.merge(role);
    }
    let role_ids: Vec<i64> = role_grants.iter().map(|(id, _)| *id).collect();
    let role_fields = crate::field_security::for_roles(&mut db.conn(), &role_ids).await?;
    let fields = kehu_core::field_security::FieldRules::for_user(&role_fields, &grants);
    let teams = crate::teams::list(db).await?;
    let parents: Vec<(i64, Option<i64>)> = teams.iter().map(|t| (t.id, t.parent_id)).collect();
    let (visible_team_ids, member_of_team_ids) = match user.team_id {
        Some(team) => (
            team_and_descendants(team, &parents),
            team_and_ancestors(team, &parents),
        ),
        None => (Vec::new(), Vec::new()),
    };
    Ok(Actor {
        user_id: user.id,
        team_id: user.team_id,
        visible_team_ids,
        managed_team_ids: crate::teams::managed_by(&teams, user.id),
        member_of_team_ids,
        grants,
        fields,
    })
}
