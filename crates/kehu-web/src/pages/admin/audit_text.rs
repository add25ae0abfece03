//! The words of an audit log entry: its changes as "field: old → new" in the reader's
//! language, with names instead of ids, and a transfer's or mass update's counts as a
//! sentence — never the stored JSON.

use crate::i18n::Tr;
use crate::pages::format::{change_text, Names, EMPTY};
use crate::pages::records::list::counted;
use crate::pages::records::mass_update::done_text;
use crate::pages::timeline::{consent_label, consent_text};
use kehu_core::entity::{entity_by_name, CustomFieldDef};
use kehu_db::events::{Change, Event};
use kehu_db::records::mass_update::MassUpdateCounts;
use serde_json::Value as Json;

/// The custom fields of each record entity, to label their changes.
pub type CustomByEntity = [(&'static str, Vec<CustomFieldDef>)];

/// "Owner: 赵磊 → 李娜", "Customer · Export: Own → Team", "Shared with: — → 周洁 · View".
pub fn change_line(
    t: Tr,
    event: &Event,
    change: &Change,
    names: &Names,
    custom: &CustomByEntity,
) -> String {
    let field = change.field.as_str();
    let (label, old, new) = if let Some(column) = field.strip_prefix("share.") {
        (
            t.t("sharing.title").to_string(),
            share_text(t, column, &change.old, names),
            share_text(t, column, &change.new, names),
        )
    } else if field.starts_with("consent.") {
        (
            consent_label(t, field),
            consent_text(t, &change.old),
            consent_text(t, &change.new),
        )
    } else if event.entity == "role" {
        role_change(t, change, custom)
    } else if let Some(entity) = entity_by_name(&event.entity) {
        let defs = custom
            .iter()
            .find(|(e, _)| *e == entity.name)
            .map_or(&[][..], |(_, d)| d.as_slice());
        (
            t.any_field(entity.name, field, defs),
            change_text(t, entity, field, &change.old, names),
            change_text(t, entity, field, &change.new, names),
        )
    } else if field == "owner_id" {
        (
            t.field("account", field),
            user_text(&change.old, names),
            user_text(&change.new, names),
        )
    } else {
        (field.to_string(), raw(&change.old), raw(&change.new))
    };
    format!("{label}: {old} → {new}")
}

/// A role's grant (`account.export`) or field rule (`field.account.credit_limit`).
fn role_change(t: Tr, change: &Change, custom: &CustomByEntity) -> (String, String, String) {
    let word = |value: &Json, prefix: &str| match value.as_str() {
        Some(v) if prefix == "scope" => t.scope(v),
        Some(v) => t.t(&format!("admin.field_{v}")).to_string(),
        None => raw(value),
    };
    // `field.<entity>.<field>` (split, not one literal: the catalogue check would take
    // a literal "field.…" for a message key).
    let rule = match change.field.split_once('.') {
        Some(("field", rest)) => rest.split_once('.'),
        _ => None,
    };
    if let Some((entity, name)) = rule {
        let defs = custom
            .iter()
            .find(|(e, _)| *e == entity)
            .map_or(&[][..], |(_, d)| d.as_slice());
        let label = format!("{} · {}", t.entity(entity), t.any_field(entity, name, defs));
        return (
            label,
            word(&change.old, "field"),
            word(&change.new, "field"),
        );
    }
    let label = match change.field.split_once('.') {
        Some((entity, action)) => format!("{} · {}", t.entity(entity), t.action(action)),
        None => change.field.clone(),
    };
    (
        label,
        word(&change.old, "scope"),
        word(&change.new, "scope"),
    )
}

/// "周洁 · View and edit" for a share stored as `{"id": 12, "access": "write"}`.
fn share_text(t: Tr, column: &str, value: &Json, names: &Names) -> String {
    let Some(id) = value.get("id").and_then(Json::as_i64) else {
        return EMPTY.to_string();
    };
    let target = match column {
        "team_id" => {
            let name = names.teams.get(&id).cloned();
            t.fmt(
                "sharing.team_target",
                &[("name", &name.unwrap_or_else(|| format!("#{id}")))],
            )
        }
        _ => names.user(id),
    };
    let access = match value.get("access").and_then(Json::as_str) {
        Some("write") => t.t("sharing.write"),
        _ => t.t("sharing.read"),
    };
    format!("{target} · {access}")
}

fn user_text(value: &Json, names: &Names) -> String {
    value
        .as_i64()
        .map_or_else(|| raw(value), |id| names.user(id))
}

fn raw(value: &Json) -> String {
    match value {
        Json::Null => EMPTY.to_string(),
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// "293 customers and 777 contacts were transferred to 李娜" for a user's transfer entry,
/// whose summary holds the counts (`[["account", 293], ["contact", 777]]`).
pub fn transfer_text(t: Tr, event: &Event, names: &Names) -> Option<String> {
    let counts: Vec<(String, u64)> = serde_json::from_str(&event.summary).ok()?;
    let count = |entity: &str| {
        counts
            .iter()
            .find(|(e, _)| e == entity)
            .map_or(0, |(_, n)| *n)
    };
    let recipient = event.changes.iter().find(|c| c.field == "owner_id")?;
    Some(t.fmt(
        "transfer.done",
        &[
            ("accounts", &counted(t, "accounts", count("account"))),
            ("contacts", &counted(t, "contacts", count("contact"))),
            ("name", &user_text(&recipient.new, names)),
        ],
    ))
}

/// "Changed 12 customers; 7 contacts went with them to the new owner." for a mass update's
/// entry, whose summary holds its counts.
pub fn mass_update_text(t: Tr, event: &Event) -> Option<String> {
    let entity = entity_by_name(&event.entity)?;
    let summary = serde_json::from_str(&event.summary).ok()?;
    let counts = MassUpdateCounts::from_json(&summary)?;
    let moved = counts.moved_with.iter().map(|(_, n)| n).sum();
    Some(done_text(t, entity.table, counts.changed, moved))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Locale;
    use chrono::Utc;
    use serde_json::json;

    fn event(entity: &str, action: &str, summary: &str, changes: Vec<Change>) -> Event {
        Event {
            id: 1,
            entity: entity.into(),
            record_id: Some(4),
            action: action.into(),
            actor_id: Some(1),
            actor_name: Some("admin".into()),
            at: Utc::now(),
            changes,
            summary: summary.into(),
            source_ip: None,
        }
    }

    fn change(field: &str, old: Json, new: Json) -> Change {
        Change {
            field: field.into(),
            old,
            new,
        }
    }

    fn names() -> Names {
        Names {
            users: [(3, "李娜".to_string()), (4, "赵磊".to_string())].into(),
            ..Names::default()
        }
    }

    #[test]
    fn changes_read_as_words_not_ids_or_json() {
        let zh = Tr::new(Locale::ZhCn);
        let en = Tr::new(Locale::En);
        let moved = change("owner_id", json!(4), json!(3));
        let transferred = event("account", "transferred", "", vec![moved.clone()]);
        assert_eq!(
            change_line(zh, &transferred, &moved, &names(), &[]),
            "负责人: 赵磊 → 李娜"
        );
        let share = change(
            "share.user_id",
            Json::Null,
            json!({"id": 3, "access": "write"}),
        );
        let shared = event("account", "shared", "某公司", vec![share.clone()]);
        assert_eq!(
            change_line(en, &shared, &share, &names(), &[]),
            format!("Shared with: {EMPTY} → 李娜 · View and edit")
        );
        let grant = change("account.export", json!("own"), json!("team"));
        let role = event("role", "updated", "sales_rep", vec![grant.clone()]);
        assert_eq!(
            change_line(en, &role, &grant, &names(), &[]),
            "Customer · Export: Own → Team"
        );
        let rule = change(
            "field.account.credit_limit",
            json!("editable"),
            json!("hidden"),
        );
        assert_eq!(
            change_line(zh, &role, &rule, &names(), &[]),
            "客户 · 信用额度: 可见可编辑 → 隐藏"
        );
    }

    #[test]
    fn a_transfer_entry_states_its_counts_and_recipient() {
        let all = event(
            "user",
            "records_transferred",
            r#"[["account",293],["contact",777]]"#,
            vec![change("owner_id", json!(4), json!(3))],
        );
        assert_eq!(
            transfer_text(Tr::new(Locale::En), &all, &names()).as_deref(),
            Some("293 customers and 777 contacts were transferred to 李娜.")
        );
        let one = event(
            "user",
            "records_transferred",
            r#"[["account",1],["contact",1]]"#,
            vec![change("owner_id", json!(4), json!(3))],
        );
        assert_eq!(
            transfer_text(Tr::new(Locale::En), &one, &names()).as_deref(),
            Some("1 customer and 1 contact were transferred to 李娜.")
        );
        let garbled = event("user", "records_transferred", "moved", vec![]);
        assert_eq!(transfer_text(Tr::new(Locale::En), &garbled, &names()), None);
    }

    #[test]
    fn a_mass_update_entry_states_what_changed() {
        let summary = r#"{"matched":14,"changed":12,"moved_with":{"contact":7}}"#;
        let entry = event("account", "mass_updated", summary, vec![]);
        assert_eq!(
            mass_update_text(Tr::new(Locale::En), &entry).as_deref(),
            Some("Changed 12 customers; 7 contacts went with them to the new owner.")
        );
        let summary = r#"{"matched":1,"changed":1,"moved_with":{}}"#;
        let entry = event("contact", "mass_updated", summary, vec![]);
        assert_eq!(
            mass_update_text(Tr::new(Locale::ZhCn), &entry).as_deref(),
            Some("已修改 1 个联系人。")
        );
    }
}
