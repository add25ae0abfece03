//! The stored field restrictions of each role (table `field_security`, one row per hidden
//! or read-only field). Writing them advances the auth epoch through triggers, so signed-in
//! users' cached permissions are resolved afresh on their next request.

use crate::conn::required;
use crate::events::{Change, NewEvent, Origin};
use crate::records::ident;
use crate::{Conn, Db, DbError, DbResult};
use kehu_core::entity::{entity_by_name, valid_custom_key};
use kehu_core::field_security::{securable, FieldAccess, FieldRules};
use sea_query::{Expr, Query};
use std::collections::BTreeMap;
use std::str::FromStr;

const COLUMNS: [&str; 4] = ["role_id", "entity", "field", "access"];

/// The restrictions of each of these roles; a role without rows gets empty rules.
pub async fn for_roles(conn: &mut Conn<'_>, role_ids: &[i64]) -> DbResult<Vec<FieldRules>> {
    if role_ids.is_empty() {
        return Ok(Vec::new());
    }
    let select = Query::select()
        .columns(COLUMNS.map(ident))
        .from(ident("field_security"))
        .and_where(Expr::col(ident("role_id")).is_in(role_ids.iter().copied()))
        .to_owned();
    let rows = conn
        .fetch_all(&select, |row| {
            Ok((
                required(row.int("role_id"), "role_id")?,
                required(row.text("entity"), "entity")?,
                required(row.text("field"), "field")?,
                required(row.text("access"), "access")?,
            ))
        })
        .await?;
    let mut by_role: BTreeMap<i64, FieldRules> = role_ids
        .iter()
        .map(|id| (*id, FieldRules::default()))
        .collect();
    for (role_id, entity, field, access) in rows {
        // The CHECK constraint admits only known values; anything else is ignored.
        if let (Some(rules), Ok(access)) =
            (by_role.get_mut(&role_id), FieldAccess::from_str(&access))
        {
            rules.set(&entity, &field, access);
        }
    }
    Ok(role_ids
        .iter()
        .map(|id| by_role.remove(id).unwrap_or_default())
        .collect())
}

/// The restrictions of one role.
pub async fn for_role(db: &Db, role_id: i64) -> DbResult<FieldRules> {
    Ok(for_roles(&mut db.conn(), &[role_id])
        .await?
        .pop()
        .unwrap_or_default())
}

/// Checks that every restricted field exists and may be restricted.
fn validate(rules: &FieldRules) -> DbResult<()> {
    for (entity, field, _) in rules.entries() {
        let known = entity_by_name(entity).is_some_and(|def| {
            def.name == entity
                && match field.strip_prefix("custom.") {
                    Some(key) => valid_custom_key(key),
                    None => def.field(field).is_some_and(securable),
                }
        });
        if !known {
            return Err(DbError::field(
                &format!("{entity}.{field}"),
                "not_securable",
                "this field cannot be hidden or made read-only",
            ));
        }
    }
    Ok(())
}

/// Replaces a role's restrictions and records the differences in the audit log, in one
/// transaction.
pub async fn replace(db: &Db, origin: &Origin, role_id: i64, rules: &FieldRules) -> DbResult<()> {
    validate(rules)?;
    let role_name = crate::roles::list(db)
        .await?
        .into_iter()
        .find(|r| r.id == role_id)
        .ok_or(DbError::NotFound)?
        .name;
    let mut tx = db.begin().await?;
    let before = for_roles(&mut tx.conn(), &[role_id])
        .await?
        .pop()
        .unwrap_or_default();
    let changes = differences(&before, rules);
    if changes.is_empty() {
        return Ok(());
    }
    write(&mut tx.conn(), role_id, rules).await?;
    crate::events::append(
        &mut tx.conn(),
        &NewEvent {
            entity: "role",
            record_id: Some(role_id),
            account_id: None,
            action: "updated",
            actor_id: origin.actor_id,
            changes,
            summary: role_name,
            source_ip: origin.source_ip.clone(),
        },
    )
    .await?;
    tx.commit().await
}

/// Writes the rows of a role (no audit entry: for the built-in roles' defaults).
pub(crate) async fn write(conn: &mut Conn<'_>, role_id: i64, rules: &FieldRules) -> DbResult<()> {
    let delete = Query::delete()
        .from_table(ident("field_security"))
        .and_where(Expr::col(ident("role_id")).eq(role_id))
        .to_owned();
    conn.execute(&delete).await?;
    let entries: Vec<_> = rules.entries().collect();
    if entries.is_empty() {
        return Ok(());
    }
    let mut insert = Query::insert();
    insert
        .into_table(ident("field_security"))
        .columns(COLUMNS.map(ident));
    for (entity, field, access) in entries {
        insert.values_panic([
            role_id.into(),
            entity.into(),
            field.into(),
            access.as_str().into(),
        ]);
    }
    conn.execute(&insert).await?;
    Ok(())
}

/// The restrictions that differ, as `field.ENTITY.FIELD: old → new` audit changes.
fn differences(before: &FieldRules, after: &FieldRules) -> Vec<Change> {
    let mut names: Vec<(&str, &str)> = before
        .entries()
        .chain(after.entries())
        .map(|(e, f, _)| (e, f))
        .collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter_map(|(entity, field)| {
            let (old, new) = (before.access(entity, field), after.access(entity, field));
            (old != new).then(|| Change {
                field: format!("field.{entity}.{field}"),
                old: old.as_str().into(),
                new: new.as_str().into(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_catalogued_securable_fields_are_accepted() {
        let mut rules = FieldRules::default();
        rules.set("account", "credit_limit", FieldAccess::Hidden);
        rules.set("contact", "custom.wechat", FieldAccess::ReadOnly);
        assert!(validate(&rules).is_ok());
        for (entity, field) in [
            ("account", "owner_id"),
            ("account", "nope"),
            ("accounts", "city"),
            ("user", "city"),
            ("contact", "custom.Bad"),
        ] {
            let mut bad = FieldRules::default();
            bad.set(entity, field, FieldAccess::Hidden);
            assert!(validate(&bad).is_err(), "{entity}.{field}");
        }
    }

    #[test]
    fn differences_name_entity_and_field() {
        let mut after = FieldRules::default();
        after.set("account", "credit_limit", FieldAccess::Hidden);
        let changes = differences(&FieldRules::default(), &after);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].field, "field.account.credit_limit");
        assert_eq!(changes[0].old, "editable");
        assert_eq!(changes[0].new, "hidden");
    }
}
