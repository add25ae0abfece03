//! What every signed-in page knows about its request: the user, the language, whether
//! htmx asked for a fragment, and the data the page layout (top bar, menus) needs.

use crate::assets::{asset_url, APP_CSS, APP_JS, HTMX_JS};
use crate::auth::{Auth, PageAuth};
use crate::i18n::{Locale, Tr};
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::response::Response;
use kehu_core::permission::Actor;

/// The administration areas and the grant each needs, in the order the admin menu lists them.
pub const ADMIN_AREAS: [(&str, &str); 8] = [
    ("users", "user"),
    ("teams", "team"),
    ("roles", "role"),
    ("picklists", "settings"),
    ("custom-fields", "settings"),
    ("analytics", "settings"),
    ("transfer", "user"),
    ("audit", "user"),
];

/// A signed-in page request.
pub struct Ctx {
    /// The user and their permissions.
    pub auth: Auth,
    /// Translator in the user's language.
    pub t: Tr,
    /// The requested path and query, to come back to after switching language.
    pub here: String,
    /// htmx asked for a fragment (and not for a whole page to restore history).
    pub htmx: bool,
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let PageAuth(auth) = PageAuth::from_request_parts(parts, state).await?;
        let locale =
            Locale::negotiate(auth.user.locale.as_deref(), accept_language(&parts.headers));
        Ok(Ctx {
            auth,
            t: Tr::new(locale),
            here: parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_string())
                .unwrap_or_else(|| "/".into()),
            htmx: is_htmx(&parts.headers),
        })
    }
}

/// The browser's `Accept-Language` header.
pub fn accept_language(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
}

/// Whether htmx sent the request for a fragment.
pub fn is_htmx(headers: &HeaderMap) -> bool {
    headers.contains_key("hx-request") && !headers.contains_key("hx-history-restore-request")
}

impl Ctx {
    /// The permission view of the user.
    pub fn actor(&self) -> &Actor {
        &self.auth.actor
    }

    /// The token forms echo.
    pub fn csrf(&self) -> String {
        self.auth.csrf_token().to_string()
    }

    /// Whether the user may open any administration page.
    pub fn is_admin(&self) -> bool {
        ADMIN_AREAS
            .iter()
            .any(|(_, area)| self.actor().may_administer(area))
    }

    /// The layout of a page with this title, highlighting a top-bar entry.
    pub fn layout(&self, title: impl Into<String>, nav: &'static str) -> Layout {
        let current = self.auth.user.locale.as_deref().and_then(Locale::from_tag);
        Layout {
            title: title.into(),
            nav,
            signed_in: true,
            user_name: self.auth.user.display_name.clone(),
            initial: self
                .auth
                .user
                .display_name
                .chars()
                .next()
                .map(String::from)
                .unwrap_or_default(),
            csrf: self.csrf(),
            show_admin: self.is_admin(),
            here: self.here.clone(),
            search_q: String::new(),
            locales: Locale::ALL
                .into_iter()
                .map(|l| LocaleChoice {
                    tag: l.tag(),
                    name: l.native_name(),
                    current: current == Some(l),
                })
                .collect(),
            follows_browser: current.is_none(),
            ..Layout::public(self.t, "")
        }
    }
}

/// One entry of the language switcher.
pub struct LocaleChoice {
    /// Tag to save.
    pub tag: &'static str,
    /// The language's own name.
    pub name: &'static str,
    /// Whether the user chose it.
    pub current: bool,
}

/// What `layout.html` shows around every page.
pub struct Layout {
    /// Translator.
    pub t: Tr,
    /// The page title (before " · 客户 Kehu").
    pub title: String,
    /// Which top-bar entry is current (`home`, `accounts`, `contacts`, `admin`, `search`).
    pub nav: &'static str,
    /// Whether to show the navigation and user menu.
    pub signed_in: bool,
    /// The user's display name.
    pub user_name: String,
    /// Its first character, for the avatar.
    pub initial: String,
    /// CSRF token for the `<meta>` htmx reads and the menu's forms.
    pub csrf: String,
    /// Whether to show the admin entry.
    pub show_admin: bool,
    /// Where the language switch comes back to.
    pub here: String,
    /// Text for the top bar's search box.
    pub search_q: String,
    /// The language switcher's entries.
    pub locales: Vec<LocaleChoice>,
    /// Whether the language follows the browser.
    pub follows_browser: bool,
    /// Stylesheet URL.
    pub css_url: String,
    /// htmx URL.
    pub htmx_url: String,
    /// Kehu's script URL.
    pub js_url: String,
    /// The ECharts script URL, for pages with charts (it is large, so only they load it).
    pub charts_url: Option<String>,
}

impl Layout {
    /// This layout, loading ECharts for the page's `data-chart` elements.
    pub fn with_charts(mut self) -> Layout {
        self.charts_url = Some(asset_url(crate::assets::ECHARTS_JS));
        self
    }
}

impl Layout {
    /// The layout of a page shown before sign-in.
    pub fn public(t: Tr, title: impl Into<String>) -> Layout {
        Layout {
            t,
            title: title.into(),
            nav: "",
            signed_in: false,
            user_name: String::new(),
            initial: String::new(),
            csrf: String::new(),
            show_admin: false,
            here: "/".into(),
            search_q: String::new(),
            locales: Vec::new(),
            follows_browser: true,
            css_url: asset_url(APP_CSS),
            htmx_url: asset_url(HTMX_JS),
            js_url: asset_url(APP_JS),
            charts_url: None,
        }
    }
}
