//! `POST /settings/locale`: the user menu's language switch.

use super::ctx::Ctx;
use super::render::{see_other, OrPage, PageResult};
use super::url::local_or_home;
use crate::i18n::Locale;
use crate::state::AppState;
use axum::extract::{Form, State};
use serde::Deserialize;

/// The switch's fields: a locale tag (empty to follow the browser) and the page to return to.
#[derive(Debug, Deserialize)]
pub struct LocaleForm {
    #[serde(default)]
    locale: String,
    #[serde(default)]
    back: String,
}

/// Saves the user's language and goes back to the page they were on.
pub async fn set_locale(
    ctx: Ctx,
    State(state): State<AppState>,
    Form(input): Form<LocaleForm>,
) -> PageResult {
    let locale = Locale::from_tag(&input.locale).map(Locale::tag);
    kehu_db::users::set_locale(&state.db, ctx.auth.user.id, locale)
        .await
        .or_page(&ctx)?;
    Ok(see_other(&local_or_home(Some(&input.back))))
}
