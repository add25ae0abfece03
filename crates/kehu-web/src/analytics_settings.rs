//! The administrators' analytics settings as the API and the admin page handle them:
//! checked (every problem named by field, nothing written), saved with an audit entry,
//! then a recomputation queued so that the stored results follow the new rules.

use crate::i18n::Tr;
use crate::state::AppState;
use kehu_analytics::AnalyticsSettings;
use kehu_core::FieldErrors;
use kehu_db::events::Origin;
use kehu_db::DbResult;

/// The settings in use (defaults when none were saved).
pub async fn current(state: &AppState) -> anyhow::Result<AnalyticsSettings> {
    kehu_jobs::customer_values::load_settings(&state.db).await
}

/// The settings' problems as field errors (code `invalid`).
pub fn check(settings: &AnalyticsSettings) -> Result<(), FieldErrors> {
    let mut errors = FieldErrors::default();
    for error in settings.validate() {
        errors.add(error.field, "invalid", error.message);
    }
    errors.into_result()
}

/// Saves settings that passed [`check`] and queues a recomputation; `true` when one
/// was queued now.
pub async fn save(
    state: &AppState,
    settings: &AnalyticsSettings,
    origin: &Origin,
) -> DbResult<bool> {
    let json = serde_json::to_value(settings).map_err(anyhow::Error::from)?;
    kehu_db::analytics_settings::save(&state.db, &json, origin).await?;
    let queued = kehu_db::customer_values::request_recompute(&state.db, origin.actor_id).await?;
    Ok(queued.is_some())
}

/// A segment's name as the user reads it: the administrator's name in the user's
/// language if there is one, else the catalogue's.
pub fn segment_label(t: Tr, settings: &AnalyticsSettings, key: &str) -> String {
    let lang = if t.is_chinese() { "zh_cn" } else { "en" };
    match settings.segment_name(key, lang) {
        Some(name) => name.to_string(),
        None => t.t(&format!("analytics.segment.{key}")).to_string(),
    }
}
