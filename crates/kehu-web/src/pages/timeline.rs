//! The timeline of a customer or contact: one list of items, newest first, whatever
//! produced them. Today the items come from the event stream (created, field changes,
//! deleted, restored); activities, orders and cases will map into the same
//! [`TimelineItem`] and merge by time.

use super::format::{change_text, datetime, Names};
use crate::i18n::Tr;
use kehu_core::entity::{entity_by_name, CustomFieldDef};
use kehu_db::events::Event;

/// One line of "field: old → new".
pub struct ChangeLine {
    /// Field label.
    pub label: String,
    /// Value before.
    pub old: String,
    /// Value after.
    pub new: String,
}

/// One entry of a timeline.
pub struct TimelineItem {
    /// The item's key within its source (the event id), for paging.
    pub id: i64,
    /// What produced it (`record`; later `activity`, `order`, `case`): a CSS hook.
    pub source: &'static str,
    /// What happened (`created`, `updated`, …): a CSS hook for the marker.
    pub kind: String,
    /// Who did it.
    pub actor: String,
    /// What they did, translated (“changed”, “创建了”).
    pub verb: String,
    /// What it happened to ("customer", "contact").
    pub subject_kind: String,
    /// Its name.
    pub subject: String,
    /// Where the subject lives, if it has a page.
    pub subject_link: Option<String>,
    /// When, in the display time zone.
    pub at: String,
    /// When, RFC 3339, for `<time datetime>`.
    pub at_iso: String,
    /// Field changes worth listing.
    pub changes: Vec<ChangeLine>,
}

/// The custom fields of every entity, for labelling changes.
pub async fn custom_defs(
    db: &kehu_db::Db,
) -> kehu_db::DbResult<Vec<(&'static str, Vec<CustomFieldDef>)>> {
    let mut out = Vec::new();
    for entity in kehu_core::entity::ENTITIES {
        out.push((
            entity.name,
            kehu_db::custom_fields::for_entity(db, entity.name).await?,
        ));
    }
    Ok(out)
}

/// Fields that change with every edit and would only add noise.
const QUIET_FIELDS: &[&str] = &["updated_at", "updated_by", "version"];

/// Timeline items from events. `custom` maps an entity name to its custom fields.
pub fn from_events(
    t: Tr,
    events: &[Event],
    custom: &[(&str, Vec<CustomFieldDef>)],
    names: &Names,
) -> Vec<TimelineItem> {
    events
        .iter()
        .map(|event| from_event(t, event, custom, names))
        .collect()
}

fn from_event(
    t: Tr,
    event: &Event,
    custom: &[(&str, Vec<CustomFieldDef>)],
    names: &Names,
) -> TimelineItem {
    let entity = entity_by_name(&event.entity);
    let custom_defs: &[CustomFieldDef] = custom
        .iter()
        .find(|(e, _)| *e == event.entity)
        .map(|(_, d)| d.as_slice())
        .unwrap_or(&[]);
    // The initial values of a new record are on its profile; list changes only.
    let changes = match (entity, event.action.as_str()) {
        (Some(entity), "updated") => event
            .changes
            .iter()
            .filter(|c| !QUIET_FIELDS.contains(&c.field.as_str()))
            .map(|c| ChangeLine {
                label: t.any_field(entity.name, &c.field, custom_defs),
                old: change_text(t, entity, &c.field, &c.old, names),
                new: change_text(t, entity, &c.field, &c.new, names),
            })
            .collect(),
        (Some(_), "consent_changed") => event
            .changes
            .iter()
            .map(|c| ChangeLine {
                label: consent_label(t, &c.field),
                old: consent_text(t, &c.old),
                new: consent_text(t, &c.new),
            })
            .collect(),
        _ => Vec::new(),
    };
    let subject_link = match (entity, event.record_id, event.action.as_str()) {
        (Some(_), _, "deleted") => None,
        // Orders have no page of their own yet; they show on their customer's page.
        (Some(entity), Some(id), _) if entity.name != "order" => {
            Some(format!("/{}/{id}", entity.table))
        }
        _ => None,
    };
    TimelineItem {
        id: event.id,
        source: "record",
        kind: event.action.clone(),
        actor: event
            .actor_name
            .clone()
            .unwrap_or_else(|| t.t("timeline.system").to_string()),
        verb: t.event(&event.action),
        subject_kind: t
            .lookup(&format!("subject.{}", event.entity))
            .map(str::to_string)
            .unwrap_or_else(|| t.entity(&event.entity)),
        subject: event.summary.clone(),
        subject_link,
        at: datetime(event.at),
        at_iso: event.at.to_rfc3339(),
        changes,
    }
}

/// "E-mail consent" for the change field `consent.email`.
pub(crate) fn consent_label(t: Tr, field: &str) -> String {
    let channel = field.strip_prefix("consent.").unwrap_or(field);
    format!(
        "{}: {}",
        t.t("personal.consent_title"),
        t.t(&format!("personal.channel.{channel}"))
    )
}

/// "Yes · Web form · 2026-05-01" for a recorded answer (blank after an erasure).
pub(crate) fn consent_text(t: Tr, value: &serde_json::Value) -> String {
    let Some(granted) = value.get("granted").and_then(serde_json::Value::as_bool) else {
        return t.t("personal.not_asked").to_string();
    };
    let answer = t.t(if granted {
        "personal.yes"
    } else {
        "personal.no"
    });
    let source = value
        .get("source")
        .and_then(serde_json::Value::as_str)
        .map(|s| t.t(&format!("personal.source.{s}")).to_string())
        .unwrap_or_default();
    let date = value
        .get("given_at")
        .and_then(serde_json::Value::as_str)
        .map(|d| d.chars().take(10).collect::<String>())
        .unwrap_or_default();
    format!("{answer} · {source} · {date}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Locale;
    use kehu_db::events::Change;
    use serde_json::json;

    #[test]
    fn updates_list_translated_changes_without_noise() {
        let event = Event {
            id: 9,
            entity: "account".into(),
            record_id: Some(4),
            action: "updated".into(),
            actor_id: Some(1),
            actor_name: Some("王芳".into()),
            at: chrono::Utc::now(),
            changes: vec![
                Change {
                    field: "lifecycle_status".into(),
                    old: json!("potential"),
                    new: json!("active"),
                },
                Change {
                    field: "version".into(),
                    old: json!(1),
                    new: json!(2),
                },
            ],
            summary: "华为".into(),
            source_ip: None,
        };
        let items = from_events(Tr::new(Locale::ZhCn), &[event], &[], &Names::default());
        let item = &items[0];
        assert_eq!(item.actor, "王芳");
        assert_eq!(item.subject_link.as_deref(), Some("/accounts/4"));
        assert_eq!(item.changes.len(), 1);
        assert_eq!(item.changes[0].label, "生命周期");
        assert_eq!(
            (item.changes[0].old.as_str(), item.changes[0].new.as_str()),
            ("潜在", "活跃")
        );
    }
}
