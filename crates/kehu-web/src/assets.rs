//! Static browser assets served from the binary: htmx, ECharts, Swagger UI and Kehu's
//! own `app.css` / `app.js`.
//!
//! `build.rs` installs the npm packages from the committed lockfile and embeds the files
//! (see there); this module serves them under `/assets/{name}`. Pages link to them with
//! [`asset_url`], which appends `?v=<content hash>`: such a URL never changes meaning, so
//! browsers may cache it for a year without asking again, and a new build (new hash)
//! changes the URL. Requests without the current hash (old pages, hand-typed URLs) get an
//! `ETag` and must revalidate.

use axum::body::Body;
use axum::extract::Path;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH, X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

/// One embedded file.
pub(crate) struct Asset {
    /// File name, the last segment of its URL.
    name: &'static str,
    /// `Content-Type` header value.
    content_type: &'static str,
    /// Hex content hash, used as `?v=` and as the ETag.
    hash: &'static str,
    /// The file's contents.
    bytes: &'static [u8],
}

// Defines `EMBEDDED: &[Asset]`.
include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// htmx, for partial page updates (`hx-get`, `hx-post`, …).
pub const HTMX_JS: &str = "htmx.min.js";
/// ECharts, for dashboards and reports.
pub const ECHARTS_JS: &str = "echarts.min.js";
/// Swagger UI's stylesheet, for the API documentation page.
pub const SWAGGER_UI_CSS: &str = "swagger-ui.css";
/// Swagger UI's script, for the API documentation page.
pub const SWAGGER_UI_BUNDLE_JS: &str = "swagger-ui-bundle.js";
/// Kehu's stylesheet.
pub const APP_CSS: &str = "app.css";
/// Kehu's progressive-enhancement helpers (confirm dialogs, CSRF header for htmx, …).
pub const APP_JS: &str = "app.js";

/// Cache policy for a URL carrying the current content hash: the content behind it can
/// never change, so browsers need not revalidate.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Cache policy for any other asset URL: cache, but revalidate with the ETag each time,
/// so a deploy is picked up at once.
const REVALIDATE: &str = "no-cache";

/// A router serving `GET`/`HEAD /assets/{name}` from the embedded files; merge it into
/// the application router. Unknown names are 404.
///
/// Generic over the application state so it can be merged into any `Router<S>`; the
/// handler itself needs no state.
pub fn asset_router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    Router::new().route("/assets/{name}", get(serve_asset))
}

/// The URL of an embedded asset with its cache-busting version, for templates:
/// `asset_url(APP_CSS)` → `/assets/app.css?v=3f2a…`.
///
/// For a name that is not embedded it returns the plain `/assets/NAME`, which will 404,
/// so a typo shows up as a missing file in the browser rather than a failed page.
#[must_use]
pub fn asset_url(name: &str) -> String {
    match find(name) {
        Some(asset) => format!("/assets/{}?v={}", asset.name, asset.hash),
        None => format!("/assets/{name}"),
    }
}

fn find(name: &str) -> Option<&'static Asset> {
    EMBEDDED.iter().find(|a| a.name == name)
}

async fn serve_asset(Path(name): Path<String>, uri: Uri, headers: HeaderMap) -> Response {
    let Some(asset) = find(&name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let etag = format!("\"{}\"", asset.hash);
    let versioned = uri
        .query()
        .is_some_and(|q| q.split('&').any(|pair| pair == format!("v={}", asset.hash)));
    let cache_control = if versioned { IMMUTABLE } else { REVALIDATE };

    let mut response = if if_none_match(&headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = Body::from(asset.bytes).into_response();
        r.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
        r
    };
    let h = response.headers_mut();
    h.insert(CACHE_CONTROL, HeaderValue::from_static(cache_control));
    h.insert(
        ETAG,
        HeaderValue::from_str(&etag).expect("a quoted hex hash is a valid header value"),
    );
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

/// Whether `If-None-Match` lists our ETag (or `*`). Weak comparison, as RFC 9110 asks
/// for `If-None-Match`: `W/"x"` matches `"x"`.
fn if_none_match(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim())
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag)
}

#[cfg(test)]
mod tests {
    use axum::body::to_bytes;
    use axum::http::{Method, Request};
    use tower::ServiceExt;

    use super::*;

    async fn get(uri: &str, headers: &[(&str, &str)]) -> Response {
        request(Method::GET, uri, headers).await
    }

    async fn request(method: Method, uri: &str, headers: &[(&str, &str)]) -> Response {
        let mut req = Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        asset_router::<()>()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap()
    }

    async fn body(r: Response) -> Vec<u8> {
        to_bytes(r.into_body(), usize::MAX).await.unwrap().to_vec()
    }

    fn header<'a>(r: &'a Response, name: &str) -> &'a str {
        r.headers().get(name).unwrap().to_str().unwrap()
    }

    #[test]
    fn every_expected_asset_is_embedded_and_non_empty() {
        for name in [
            HTMX_JS,
            ECHARTS_JS,
            SWAGGER_UI_CSS,
            SWAGGER_UI_BUNDLE_JS,
            APP_CSS,
            APP_JS,
        ] {
            let asset = find(name).unwrap_or_else(|| panic!("{name} not embedded"));
            assert!(asset.bytes.len() > 100, "{name} is suspiciously small");
            assert_eq!(asset.hash.len(), 16);
        }
        assert_eq!(EMBEDDED.len(), 6);
    }

    #[test]
    fn asset_url_carries_the_content_hash() {
        let url = asset_url(APP_CSS);
        let hash = find(APP_CSS).unwrap().hash;
        assert_eq!(url, format!("/assets/app.css?v={hash}"));
        assert_eq!(asset_url("nope.js"), "/assets/nope.js");
    }

    #[tokio::test]
    async fn versioned_url_is_immutable_with_the_right_content_type() {
        for (name, content_type) in [
            (HTMX_JS, "text/javascript; charset=utf-8"),
            (ECHARTS_JS, "text/javascript; charset=utf-8"),
            (SWAGGER_UI_CSS, "text/css; charset=utf-8"),
            (SWAGGER_UI_BUNDLE_JS, "text/javascript; charset=utf-8"),
            (APP_CSS, "text/css; charset=utf-8"),
            (APP_JS, "text/javascript; charset=utf-8"),
        ] {
            let r = get(&asset_url(name), &[]).await;
            assert_eq!(r.status(), StatusCode::OK, "{name}");
            assert_eq!(header(&r, "content-type"), content_type, "{name}");
            assert_eq!(
                header(&r, "cache-control"),
                "public, max-age=31536000, immutable"
            );
            assert_eq!(header(&r, "x-content-type-options"), "nosniff");
            assert_eq!(body(r).await, find(name).unwrap().bytes, "{name}");
        }
    }

    #[tokio::test]
    async fn unversioned_or_stale_url_must_revalidate() {
        for uri in [
            "/assets/app.js",
            "/assets/app.js?v=0000000000000000",
            "/assets/app.js?x=1",
        ] {
            let r = get(uri, &[]).await;
            assert_eq!(r.status(), StatusCode::OK, "{uri}");
            assert_eq!(header(&r, "cache-control"), "no-cache", "{uri}");
            let etag = format!("\"{}\"", find(APP_JS).unwrap().hash);
            assert_eq!(header(&r, "etag"), etag);
        }
    }

    #[tokio::test]
    async fn matching_etag_gives_not_modified() {
        let etag = format!("\"{}\"", find(APP_CSS).unwrap().hash);
        for inm in [
            etag.clone(),
            format!("W/{etag}"),
            format!("\"other\", {etag}"),
            "*".to_owned(),
        ] {
            let r = get("/assets/app.css", &[("if-none-match", &inm)]).await;
            assert_eq!(r.status(), StatusCode::NOT_MODIFIED, "{inm}");
            assert_eq!(header(&r, "etag"), etag);
            assert!(body(r).await.is_empty());
        }
        let r = get("/assets/app.css", &[("if-none-match", "\"stale\"")]).await;
        assert_eq!(r.status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn head_has_headers_but_no_body() {
        let r = request(Method::HEAD, &asset_url(HTMX_JS), &[]).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(header(&r, "content-type"), "text/javascript; charset=utf-8");
        assert!(body(r).await.is_empty());
    }

    #[tokio::test]
    async fn unknown_names_are_not_found() {
        for uri in [
            "/assets/nope.js",
            "/assets/..%2Fbuild.rs",
            "/assets/%2e%2e/Cargo.toml",
            "/assets/",
            "/assets/app.css/x",
        ] {
            assert_eq!(get(uri, &[]).await.status(), StatusCode::NOT_FOUND, "{uri}");
        }
    }

    #[tokio::test]
    async fn can_be_merged_into_a_router_with_state() {
        #[derive(Clone)]
        struct AppState;
        let app: Router = Router::new()
            .route("/", axum::routing::get(|| async { "home" }))
            .merge(asset_router::<AppState>())
            .with_state(AppState);
        let r = app
            .oneshot(
                Request::builder()
                    .uri(asset_url(APP_JS))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
}
