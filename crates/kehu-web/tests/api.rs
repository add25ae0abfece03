//! The REST API through the router, on SQLite and PostgreSQL: what a script author sees.

#[path = "../../kehu-db/tests/common/mod.rs"]
mod common;
mod support;

use axum::body::{to_bytes, Body};
use axum::http::{header, Request, StatusCode};
use axum::Router;
use common::{fixtures, sql};
use kehu_db::{auth, Db};
use kehu_web::{router, AppState, WebConfig};
use serde_json::{json, Value as Json};
use tower::ServiceExt;

/// A server with two sales teams, a rep in each and an admin, each with an API token.
struct World {
    app: Router,
    db: Db,
    admin: String,
    rep_a: String,
    rep_b: String,
}

async fn world(db: Db) -> World {
    fixtures::seed(&db).await;
    let team_a = fixtures::team(&db, "华东销售组", None).await;
    let team_b = fixtures::team(&db, "华南销售组", None).await;
    let admin = fixtures::user(&db, "boss", None, &["admin"]).await;
    let rep_a = fixtures::user(&db, "rep_a", Some(team_a), &["sales_rep"]).await;
    let rep_b = fixtures::user(&db, "rep_b", Some(team_b), &["sales_rep"]).await;
    let config = WebConfig {
        max_body_bytes: 64 * 1024,
        ..WebConfig::default()
    };
    World {
        app: router(AppState::new(db.clone(), config)),
        admin: auth::create_api_token(&db, admin.user_id, "test")
            .await
            .unwrap(),
        rep_a: auth::create_api_token(&db, rep_a.user_id, "test")
            .await
            .unwrap(),
        rep_b: auth::create_api_token(&db, rep_b.user_id, "test")
            .await
            .unwrap(),
        db,
    }
}

impl World {
    async fn call(
        &self,
        method: &str,
        uri: &str,
        token: &str,
        body: Option<Json>,
    ) -> (StatusCode, Json) {
        support::call(&self.app, method, uri, token, body).await
    }

    async fn send(&self, request: Request<Body>) -> (StatusCode, Json) {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        let json = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Json::String(String::from_utf8_lossy(&bytes).into_owned()));
        (status, json)
    }

    async fn raw(&self, method: &str, uri: &str, token: &str, body: &str) -> (StatusCode, Json) {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        self.send(request).await
    }
}

fn names(list: &Json) -> Vec<String> {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect()
}

async fn accounts_round_trip(db: Db) {
    let w = world(db).await;
    let input = json!({"name": "杭州云栖科技有限公司", "level": "VIP", "email": "info@yunqi.example.com",
                       "credit_limit": 1_000_000, "tags": ["重点跟进"]});
    let (status, created) = w
        .call("POST", "/api/v1/accounts", &w.rep_a, Some(input))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["version"], 1);
    assert_eq!(created["credit_limit"], 1_000_000);
    assert_eq!(created["tags"], json!(["重点跟进"]));

    let (status, read) = w
        .call("GET", &format!("/api/v1/accounts/{id}"), &w.rep_a, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read["name"], "杭州云栖科技有限公司");

    let change = json!({"version": 1, "city": "杭州"});
    let (status, updated) = w
        .call(
            "PATCH",
            &format!("/api/v1/accounts/{id}"),
            &w.rep_a,
            Some(change),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["version"], 2);

    // A second editor who read version 1 is refused; the first edit stays.
    let before = sql::row_snapshot(&w.db, "accounts", id).await;
    let stale = json!({"version": 1, "city": "上海"});
    let (status, conflict) = w
        .call(
            "PATCH",
            &format!("/api/v1/accounts/{id}"),
            &w.rep_a,
            Some(stale),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(conflict["error"]["code"], "version_conflict");
    assert_eq!(sql::row_snapshot(&w.db, "accounts", id).await, before);

    let (status, timeline) = w
        .call(
            "GET",
            &format!("/api/v1/accounts/{id}/timeline"),
            &w.rep_a,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let actions: Vec<&str> = timeline["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["updated", "created"]);
    assert_eq!(
        timeline["data"][0]["changes"][0],
        json!({"field": "city", "old": null, "new": "杭州"})
    );

    let (status, _) = w
        .call("DELETE", &format!("/api/v1/accounts/{id}"), &w.rep_a, None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = w
        .call("GET", &format!("/api/v1/accounts/{id}"), &w.rep_a, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, bin) = w
        .call("GET", "/api/v1/accounts?deleted=true", &w.rep_a, None)
        .await;
    assert_eq!(names(&bin), ["杭州云栖科技有限公司"]);
    let (status, restored) = w
        .call(
            "POST",
            &format!("/api/v1/accounts/{id}/restore"),
            &w.rep_a,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{restored}");
    let (status, _) = w
        .call("GET", &format!("/api/v1/accounts/{id}"), &w.rep_a, None)
        .await;
    assert_eq!(status, StatusCode::OK);
}

async fn bad_input_is_refused_by_field_and_writes_nothing(db: Db) {
    let w = world(db).await;
    let accounts_before = sql::scalar(&w.db, "SELECT COUNT(*) FROM accounts").await;
    let events_before = sql::scalar(&w.db, "SELECT COUNT(*) FROM events").await;

    let (status, body) = w
        .raw("POST", "/api/v1/accounts", &w.rep_a, "{\"name\": ")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "invalid_json");

    let unknown = json!({"name": "A", "colour": "red"});
    let (status, body) = w
        .call("POST", "/api/v1/accounts", &w.rep_a, Some(unknown))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["fields"]["colour"]["code"], "unknown_field");

    let (status, body) = w
        .call(
            "POST",
            "/api/v1/accounts",
            &w.rep_a,
            Some(json!({"name": 42})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["fields"]["name"]["code"], "not_text");

    let invalid = json!({"email": "not-an-email", "phone": "call me"});
    let (status, body) = w
        .call("POST", "/api/v1/accounts", &w.rep_a, Some(invalid))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["fields"]["name"]["code"], "required");
    assert_eq!(body["error"]["fields"]["email"]["code"], "invalid_email");
    assert_eq!(body["error"]["fields"]["phone"]["code"], "invalid_phone");

    let long = json!({"name": "长".repeat(201)});
    let (status, body) = w
        .call("POST", "/api/v1/accounts", &w.rep_a, Some(long))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["fields"]["name"]["code"], "too_long");

    let huge = json!({"name": "x", "description": "y".repeat(100 * 1024)});
    let (status, body) = w
        .call("POST", "/api/v1/accounts", &w.rep_a, Some(huge))
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["error"]["code"], "payload_too_large");

    let (status, body) = w
        .call("GET", "/api/v1/accounts?sort=description", &w.rep_a, None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["fields"]["sort"]["code"], "unknown_sort");
    let (status, body) = w
        .call("GET", "/api/v1/accounts?colour=red", &w.rep_a, None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["fields"]["colour"]["code"], "unknown_filter");
    let (status, _) = w
        .call("GET", "/api/v1/accounts?cursor=garbage!", &w.rep_a, None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, body) = w.call("GET", "/api/v1/accounts", "kehu_wrong", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "unauthorized");

    assert_eq!(
        sql::scalar(&w.db, "SELECT COUNT(*) FROM accounts").await,
        accounts_before
    );
    assert_eq!(
        sql::scalar(&w.db, "SELECT COUNT(*) FROM events").await,
        events_before
    );
}

async fn a_rep_cannot_reach_another_teams_customer_through_any_endpoint(db: Db) {
    let w = world(db).await;
    let secret = json!({"name": "深圳南山机密客户有限公司", "phone": "+86 755-8888-6666",
                        "email": "secret@nanshan.example.com"});
    let (_, theirs) = w
        .call("POST", "/api/v1/accounts", &w.rep_b, Some(secret))
        .await;
    let id = theirs["id"].as_i64().unwrap();
    let person = json!({"account_id": id, "name": "林志强", "mobile": "13900006666"});
    let (status, contact) = w
        .call("POST", "/api/v1/contacts", &w.rep_b, Some(person))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{contact}");
    let contact_id = contact["id"].as_i64().unwrap();
    let (_, mine) = w
        .call(
            "POST",
            "/api/v1/accounts",
            &w.rep_a,
            Some(json!({"name": "我的客户有限公司"})),
        )
        .await;
    assert!(mine["id"].is_i64());

    let account_row = sql::row_snapshot(&w.db, "accounts", id).await;
    let contact_row = sql::row_snapshot(&w.db, "contacts", contact_id).await;
    let count_events = "SELECT COUNT(*) FROM events WHERE action <> 'exported'";
    let events = sql::scalar(&w.db, count_events).await;

    for uri in [
        format!("/api/v1/accounts/{id}"),
        format!("/api/v1/accounts/{id}/contacts"),
        format!("/api/v1/accounts/{id}/timeline"),
        format!("/api/v1/contacts/{contact_id}"),
    ] {
        let (status, body) = w.call("GET", &uri, &w.rep_a, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}: {body}");
    }
    let queries = [
        "accounts?q=南山".to_string(),
        "accounts?q=6666".to_string(),
        "accounts?q=nanshan".to_string(),
        "accounts?name__contains=机密".to_string(),
        "contacts?q=林志强".to_string(),
        format!("contacts?account_id={id}"),
    ];
    for query in queries {
        let uri = format!("/api/v1/{query}&count=true");
        let (status, body) = w.call("GET", &uri, &w.rep_a, None).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {body}");
        assert!(
            body["data"].as_array().unwrap().is_empty(),
            "{uri} leaked {body}"
        );
        assert_eq!(body["count"]["value"], 0);
    }
    let (_, all) = w.call("GET", "/api/v1/accounts", &w.rep_a, None).await;
    assert_eq!(names(&all), ["我的客户有限公司"]);
    let (_, search) = w.call("GET", "/api/v1/search?q=南山", &w.rep_a, None).await;
    assert_eq!(search, json!({"accounts": [], "contacts": []}));
    let (status, csv) = w
        .call("GET", "/api/v1/accounts/export", &w.rep_a, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let csv = csv.as_str().unwrap().to_string();
    assert!(
        csv.contains("我的客户有限公司") && !csv.contains("南山"),
        "{csv}"
    );

    let attempts = [
        (
            "PATCH",
            format!("/api/v1/accounts/{id}"),
            Some(json!({"version": 1, "name": "改名"})),
        ),
        ("DELETE", format!("/api/v1/accounts/{id}"), None),
        ("POST", format!("/api/v1/accounts/{id}/restore"), None),
        (
            "PATCH",
            format!("/api/v1/contacts/{contact_id}"),
            Some(json!({"version": 1, "name": "改名"})),
        ),
        ("DELETE", format!("/api/v1/contacts/{contact_id}"), None),
        (
            "POST",
            "/api/v1/contacts".to_string(),
            Some(json!({"account_id": id, "name": "潜入者"})),
        ),
    ];
    for (method, uri, body) in attempts {
        let (status, response) = w.call(method, &uri, &w.rep_a, body).await;
        if status == StatusCode::UNPROCESSABLE_ENTITY {
            // Creating a contact under a hidden customer: the customer "does not exist".
            assert_eq!(
                response["error"]["fields"]["account_id"]["code"],
                "unknown_account"
            );
        } else {
            assert_eq!(status, StatusCode::NOT_FOUND, "{method} {uri}: {response}");
        }
    }
    assert_eq!(sql::row_snapshot(&w.db, "accounts", id).await, account_row);
    assert_eq!(
        sql::row_snapshot(&w.db, "contacts", contact_id).await,
        contact_row
    );
    assert_eq!(sql::scalar(&w.db, count_events).await, events);
    assert_eq!(sql::scalar(&w.db, "SELECT COUNT(*) FROM contacts").await, 1);

    // The owner still sees it, and so does the admin.
    let (status, _) = w
        .call("GET", &format!("/api/v1/accounts/{id}"), &w.rep_b, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, everything) = w
        .call("GET", "/api/v1/accounts?sort=name", &w.admin, None)
        .await;
    assert_eq!(names(&everything).len(), 2);
}

async fn lists_page_with_cursors_and_filters(db: Db) {
    let w = world(db).await;
    for i in 0..12 {
        let level = if i % 3 == 0 { "VIP" } else { "普通" };
        let input = json!({"name": format!("客户{i:02}"), "level": level});
        let (status, body) = w
            .call("POST", "/api/v1/accounts", &w.admin, Some(input))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let mut seen = Vec::new();
    let mut uri = "/api/v1/accounts?sort=name&limit=5".to_string();
    loop {
        let (status, page) = w.call("GET", &uri, &w.admin, None).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        seen.extend(names(&page));
        match page["next_cursor"].as_str() {
            Some(cursor) => uri = format!("/api/v1/accounts?sort=name&limit=5&cursor={cursor}"),
            None => break,
        }
    }
    let expected: Vec<String> = (0..12).map(|i| format!("客户{i:02}")).collect();
    assert_eq!(seen, expected);
    let (_, vip) = w
        .call(
            "GET",
            "/api/v1/accounts?level=VIP&sort=-name&count=true",
            &w.admin,
            None,
        )
        .await;
    assert_eq!(names(&vip), ["客户09", "客户06", "客户03", "客户00"]);
    assert_eq!(vip["count"], json!({"value": 4, "at_least": false}));
}

async fn openapi_document_is_served(db: Db) {
    let w = world(db).await;
    let request = Request::builder()
        .uri("/api/v1/openapi.json")
        .body(Body::empty())
        .unwrap();
    let (status, doc) = w.send(request).await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["paths"]["/api/v1/accounts/{id}"]["patch"].is_object());
    let request = Request::builder()
        .uri("/api/docs")
        .body(Body::empty())
        .unwrap();
    let (status, page) = w.send(request).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.as_str().unwrap().contains("/api/v1/openapi.json"));
}

async fn session_cookies_need_the_csrf_token(db: Db) {
    let w = world(db).await;
    let user = kehu_db::users::with_password_hash(&w.db, "rep_a")
        .await
        .unwrap()
        .unwrap()
        .0;
    let (cookie, session) = auth::create_session(&w.db, user.id, chrono::Duration::hours(1))
        .await
        .unwrap();
    let post = |csrf: Option<&str>| {
        let mut request = Request::builder()
            .method("POST")
            .uri("/api/v1/accounts")
            .header(header::COOKIE, format!("kehu_session={cookie}"))
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(token) = csrf {
            request = request.header("x-csrf-token", token);
        }
        request
            .body(Body::from(json!({"name": "跨站请求"}).to_string()))
            .unwrap()
    };
    let (status, body) = w.send(post(None)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _) = w.send(post(Some("forged"))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(sql::scalar(&w.db, "SELECT COUNT(*) FROM accounts").await, 0);
    let (status, _) = w.send(post(Some(&session.csrf_token))).await;
    assert_eq!(status, StatusCode::CREATED);
}

async fn deactivated_users_lose_their_tokens_at_once(db: Db) {
    let w = world(db).await;
    let (status, _) = w.call("GET", "/api/v1/accounts", &w.rep_b, None).await;
    assert_eq!(status, StatusCode::OK);
    let (_, users) = w.call("GET", "/api/v1/users", &w.admin, None).await;
    let rep_b = users["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "rep_b")
        .unwrap()
        .clone();
    let (status, _) = w
        .call(
            "DELETE",
            &format!("/api/v1/users/{}", rep_b["id"]),
            &w.admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = w.call("GET", "/api/v1/accounts", &w.rep_b, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // A rep may not manage users.
    let newcomer =
        json!({"username": "x1", "display_name": "X", "password": "long enough password"});
    let (status, _) = w
        .call("POST", "/api/v1/users", &w.rep_a, Some(newcomer))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

backend_tests!(
    accounts_round_trip,
    bad_input_is_refused_by_field_and_writes_nothing,
    a_rep_cannot_reach_another_teams_customer_through_any_endpoint,
    lists_page_with_cursors_and_filters,
    openapi_document_is_served,
    session_cookies_need_the_csrf_token,
    deactivated_users_lose_their_tokens_at_once,
    orders_round_trip_with_version_checks,
    analytics_cover_only_the_callers_customers,
    permission_changes_apply_to_the_next_request,
    orders_with_lines_total_their_lines_and_bad_lines_write_nothing,
    customers_filter_by_lifecycle_stage_within_the_callers_scope,
    analytics_settings_are_checked_audited_and_change_the_results,
    a_new_custom_field_is_filterable_at_the_next_request,
    global_search_lists_whole_word_matches_first,
);

/// The search box lists the records that hold the typed word itself before those that
/// only start with it (the Johns before the Johnsons), each group newest first, and
/// still fills the page with the rest.
async fn global_search_lists_whole_word_matches_first(db: Db) {
    let w = world(db).await;
    for name in [
        "John Carter Trading",
        "Johnson Foods",
        "John Wu Consulting",
        "Johnsen Marine",
    ] {
        let (status, body) = w
            .call(
                "POST",
                "/api/v1/accounts",
                &w.rep_a,
                Some(json!({"name": name})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (status, found) = w.call("GET", "/api/v1/search?q=john", &w.rep_a, None).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    let names: Vec<&str> = found["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "John Wu Consulting",
            "John Carter Trading",
            "Johnsen Marine",
            "Johnson Foods"
        ]
    );
}

/// Custom field definitions are kept by the server between requests, yet a field added
/// by anyone (here straight through the repository, as another server would) is known to
/// the very next list request.
async fn a_new_custom_field_is_filterable_at_the_next_request(db: Db) {
    let w = world(db).await;
    let uri = "/api/v1/accounts?custom.tier=gold";
    for _ in 0..2 {
        let (status, body) = w.call("GET", uri, &w.rep_a, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "no such field yet: {body}");
    }
    kehu_db::custom_fields::create(
        &w.db,
        &kehu_core::entity::CustomFieldDef {
            id: 0,
            entity: "account".into(),
            key: "tier".into(),
            label_en: "Tier".into(),
            label_zh: "等级".into(),
            kind: kehu_core::entity::CustomFieldKind::Text,
            options: Vec::new(),
        },
    )
    .await
    .unwrap();
    let (status, created) = w
        .call(
            "POST",
            "/api/v1/accounts",
            &w.rep_a,
            Some(json!({"name": "金桥贸易", "custom": {"tier": "gold"}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (status, body) = w.call("GET", uri, &w.rep_a, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(names(&body), ["金桥贸易"]);
}

/// Permissions are resolved once per user and kept by the server, yet a change of role,
/// team or team tree applies to the very next request (the database's permission epoch
/// moves), and nothing old is served after it.
async fn permission_changes_apply_to_the_next_request(db: Db) {
    let w = world(db).await;
    let (_, theirs) = w
        .call(
            "POST",
            "/api/v1/accounts",
            &w.rep_b,
            Some(json!({"name": "南方电网客户有限公司"})),
        )
        .await;
    let uri = format!("/api/v1/accounts/{}", theirs["id"].as_i64().unwrap());
    // Twice, so that the second answer comes from the resolved permissions kept in memory.
    for _ in 0..2 {
        let (status, _) = w.call("GET", &uri, &w.rep_a, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "a rep sees only their own");
    }
    let rep_a = kehu_db::users::with_password_hash(&w.db, "rep_a")
        .await
        .unwrap()
        .unwrap()
        .0;
    let promote = kehu_db::users::UserChanges {
        roles: Some(vec!["admin".to_string()]),
        ..Default::default()
    };
    let origin = kehu_db::events::Origin::user(rep_a.id, None);
    let promoted = kehu_db::users::update(&w.db, &origin, rep_a.id, rep_a.version, promote)
        .await
        .unwrap();
    let (status, body) = w.call("GET", &uri, &w.rep_a, None).await;
    assert_eq!(status, StatusCode::OK, "an admin now: {body}");
    let demote = kehu_db::users::UserChanges {
        roles: Some(vec!["sales_rep".to_string()]),
        ..Default::default()
    };
    kehu_db::users::update(&w.db, &origin, rep_a.id, promoted.version, demote)
        .await
        .unwrap();
    let (status, _) = w.call("GET", &uri, &w.rep_a, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a rep again");
}

async fn orders_round_trip_with_version_checks(db: Db) {
    let w = world(db).await;
    let (_, customer) = w
        .call(
            "POST",
            "/api/v1/accounts",
            &w.rep_a,
            Some(json!({"name": "茶叶店"})),
        )
        .await;
    let account_id = customer["id"].as_i64().unwrap();
    let (status, order) = w
        .call(
            "POST",
            "/api/v1/orders",
            &w.admin,
            Some(json!({"name": "SO-1", "account_id": account_id, "order_date": "2024-05-01", "total": 99_900})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    let id = order["id"].as_i64().unwrap();
    let version = order["version"].as_i64().unwrap();

    let (status, _) = w
        .call(
            "PATCH",
            &format!("/api/v1/orders/{id}"),
            &w.rep_a,
            Some(json!({"version": version, "status": "cancelled"})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the customer's rep may change its order"
    );
    let (status, body) = w
        .call(
            "PATCH",
            &format!("/api/v1/orders/{id}"),
            &w.admin,
            Some(json!({"version": version, "total": 1})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    let (status, body) = w
        .call(
            "POST",
            "/api/v1/orders",
            &w.admin,
            Some(json!({"account_id": account_id, "order_date": "2024-02-30", "total": "much"})),
        )
        .await;
    // A wrong JSON type is a malformed request (400), as for customers.
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    for field in ["name", "order_date", "total"] {
        assert!(
            body["error"]["fields"][field].is_object(),
            "{field}: {body}"
        );
    }

    let (_, list) = w
        .call(
            "GET",
            &format!("/api/v1/orders?account_id={account_id}&status=cancelled"),
            &w.rep_a,
            None,
        )
        .await;
    assert_eq!(names(&list), ["SO-1"]);
    let (_, list) = w.call("GET", "/api/v1/orders", &w.rep_b, None).await;
    assert!(
        names(&list).is_empty(),
        "another rep sees no orders: {list}"
    );

    // The order's creation and cancellation are on its customer's timeline.
    let (_, timeline) = w
        .call(
            "GET",
            &format!("/api/v1/accounts/{account_id}/timeline"),
            &w.rep_a,
            None,
        )
        .await;
    let order_events: Vec<&str> = timeline["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["entity"] == "order")
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(order_events, ["updated", "created"], "{timeline}");
}

async fn analytics_cover_only_the_callers_customers(db: Db) {
    let w = world(db).await;
    let mut ids = Vec::new();
    for (token, name, orders) in [
        (&w.rep_a, "A 的大客户", 6),
        (&w.rep_a, "A 的小客户", 1),
        (&w.rep_b, "B 的客户", 3),
    ] {
        let (_, customer) = w
            .call(
                "POST",
                "/api/v1/accounts",
                token,
                Some(json!({"name": name})),
            )
            .await;
        let account_id = customer["id"].as_i64().unwrap();
        ids.push(account_id);
        for n in 0..orders {
            let (status, body) = w
                .call(
                    "POST",
                    "/api/v1/orders",
                    token,
                    Some(json!({
                        "name": format!("{name}-{n}"),
                        "account_id": account_id,
                        "order_date": format!("2024-0{}-10", n + 1),
                        "total": 50_000,
                    })),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
        }
    }
    // A cancelled order does not count.
    w.call(
        "POST",
        "/api/v1/orders",
        &w.rep_a,
        Some(json!({"name": "X", "account_id": ids[1], "order_date": "2024-07-01", "total": 9_999_999, "status": "cancelled"})),
    )
    .await;

    let (_, before) = w.call("GET", "/api/v1/analytics/rfm", &w.rep_a, None).await;
    assert!(before["run"].is_null(), "nothing computed yet: {before}");
    let (status, queued) = w
        .call("POST", "/api/v1/analytics/runs", &w.rep_a, None)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{queued}");
    let (status, again) = w
        .call("POST", "/api/v1/analytics/runs", &w.rep_b, None)
        .await;
    assert_eq!((status, &again["queued"]), (StatusCode::OK, &json!(false)));
    let job = kehu_db::jobs::claim(&w.db, chrono::Duration::seconds(60))
        .await
        .unwrap()
        .expect("the queued job");
    kehu_jobs::run_job(&w.db, &job).await.expect("the job runs");

    let (status, rfm) = w.call("GET", "/api/v1/analytics/rfm", &w.rep_a, None).await;
    assert_eq!(status, StatusCode::OK, "{rfm}");
    assert!(rfm["run"]["computed_at"].is_string(), "{rfm}");
    let customers: Vec<&str> = rfm["customers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        customers,
        ["A 的大客户", "A 的小客户"],
        "by revenue, own only"
    );
    assert_eq!(
        rfm["customers"][1]["monetary"],
        json!(50_000),
        "cancelled not counted"
    );
    let grid_customers: i64 = rfm["grid"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["customers"].as_i64().unwrap())
        .sum();
    assert_eq!(
        grid_customers, 2,
        "the grid counts only the rep's customers"
    );

    let (_, all) = w.call("GET", "/api/v1/analytics/abc", &w.admin, None).await;
    assert_eq!(all["customers"].as_array().unwrap().len(), 3, "{all}");
    let (_, theirs) = w
        .call("GET", "/api/v1/analytics/lifecycle", &w.rep_b, None)
        .await;
    let stages: i64 = theirs["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["customers"].as_i64().unwrap())
        .sum();
    assert_eq!(stages, 1, "{theirs}");
    let (_, clv) = w.call("GET", "/api/v1/analytics/clv", &w.rep_b, None).await;
    assert!(
        clv["customers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["name"] == "B 的客户"),
        "{clv}"
    );

    let (status, body) = w
        .call("GET", "/api/v1/analytics/rfm?r=9x&limit=0", &w.rep_a, None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]["fields"]["r"].is_object() && body["error"]["fields"]["limit"].is_object(),
        "{body}"
    );
}

// ---------------------------------------------------------------- order lines, analytics

/// A customer of the token's user with one order of `total` per `days_ago`.
async fn customer_with_orders(w: &World, token: &str, name: &str, orders: &[(i64, i64)]) -> i64 {
    let (status, customer) = w
        .call(
            "POST",
            "/api/v1/accounts",
            token,
            Some(json!({"name": name})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{customer}");
    let id = customer["id"].as_i64().unwrap();
    let today = kehu_jobs::customer_values::business_today();
    for (n, (days_ago, total)) in orders.iter().enumerate() {
        let date = today - chrono::Duration::days(*days_ago);
        let (status, body) = w
            .call(
                "POST",
                "/api/v1/orders",
                token,
                Some(json!({"name": format!("{name}-{n}"), "account_id": id,
                            "order_date": date.to_string(), "total": total})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    id
}

/// Runs the customer value job as the worker would (with the stored settings).
async fn compute_values(w: &World) {
    kehu_db::customer_values::request_recompute(&w.db, None)
        .await
        .unwrap();
    let job = kehu_db::jobs::claim(&w.db, chrono::Duration::seconds(60))
        .await
        .unwrap()
        .expect("the queued job");
    kehu_jobs::run_job(&w.db, &job).await.expect("the job runs");
    kehu_db::jobs::complete(&w.db, job.id).await.unwrap();
}

async fn orders_with_lines_total_their_lines_and_bad_lines_write_nothing(db: Db) {
    let w = world(db).await;
    let account = customer_with_orders(&w, &w.rep_a, "茶叶店", &[]).await;
    let order = |lines: Json, total: Option<i64>| {
        let mut body = json!({"name": "SO-1", "account_id": account,
                              "order_date": "2024-05-01", "lines": lines});
        if let Some(total) = total {
            body["total"] = total.into();
        }
        body
    };
    let lines = json!([
        {"product": "龙井 250g", "quantity": 2, "unit_price": 12_800},
        {"product": "Teapot", "quantity": 1, "unit_price": 8_850}
    ]);
    let (status, created) = w
        .call(
            "POST",
            "/api/v1/orders",
            &w.rep_a,
            Some(order(lines.clone(), None)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(
        created["total"],
        2 * 12_800 + 8_850,
        "total is the lines' sum"
    );
    assert_eq!(created["quantity"], 3);
    let id = created["id"].as_i64().unwrap();
    let (_, read) = w
        .call("GET", &format!("/api/v1/orders/{id}"), &w.rep_a, None)
        .await;
    assert_eq!(read["lines"][0]["product"], "龙井 250g");
    assert_eq!(read["lines"][0]["amount"], 25_600);
    assert_eq!(read["lines"][1]["unit_price"], 8_850);
    // Another team's rep cannot read the order, lines or not.
    let (status, _) = w
        .call("GET", &format!("/api/v1/orders/{id}"), &w.rep_b, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A total that agrees is accepted.
    let (status, _) = w
        .call(
            "POST",
            "/api/v1/orders",
            &w.rep_a,
            Some(order(lines.clone(), Some(34_450))),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    let orders_before = sql::scalar(&w.db, "SELECT COUNT(*) FROM orders").await;
    let lines_before = sql::scalar(&w.db, "SELECT COUNT(*) FROM order_lines").await;
    let (status, body) = w
        .call(
            "POST",
            "/api/v1/orders",
            &w.rep_a,
            Some(order(lines, Some(30_000))),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        body["error"]["fields"]["total"]["code"], "total_mismatch",
        "{body}"
    );
    let bad = json!([
        {"product": "x", "quantity": 0, "unit_price": 100},
        {"product": "y", "quantity": 1, "unit_price": -5}
    ]);
    let (status, body) = w
        .call("POST", "/api/v1/orders", &w.rep_a, Some(order(bad, None)))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let fields = &body["error"]["fields"];
    assert!(fields["lines[0].quantity"].is_object(), "{body}");
    assert!(fields["lines[1].unit_price"].is_object(), "{body}");
    assert_eq!(
        sql::scalar(&w.db, "SELECT COUNT(*) FROM orders").await,
        orders_before,
        "no order written"
    );
    assert_eq!(
        sql::scalar(&w.db, "SELECT COUNT(*) FROM order_lines").await,
        lines_before
    );
}

async fn customer_list(w: &World, token: &str, query: &str) -> (StatusCode, Json) {
    let uri = format!("/api/v1/accounts?sort=name&{query}");
    w.call("GET", &uri, token, None).await
}

async fn customers_filter_by_lifecycle_stage_within_the_callers_scope(db: Db) {
    let w = world(db).await;
    // Default rules: active within 90 days of the last purchase, at risk to 180.
    customer_with_orders(&w, &w.rep_a, "A 快流失", &[(300, 10_000), (120, 10_000)]).await;
    customer_with_orders(&w, &w.rep_a, "A 活跃", &[(300, 10_000), (10, 10_000)]).await;
    customer_with_orders(&w, &w.rep_b, "B 快流失", &[(300, 10_000), (120, 10_000)]).await;
    customer_with_orders(&w, &w.rep_a, "A 没有订单", &[]).await;
    compute_values(&w).await;

    let (status, mine) = customer_list(&w, &w.rep_a, "lifecycle_stage=at_risk").await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    assert_eq!(names(&mine), ["A 快流失"], "own customers only");
    let (_, everyone) = customer_list(&w, &w.admin, "lifecycle_stage=at_risk&count=true").await;
    assert_eq!(names(&everyone), ["A 快流失", "B 快流失"]);
    assert_eq!(everyone["count"]["value"], 2);
    let (_, both) = customer_list(&w, &w.rep_a, "lifecycle_stage__in=at_risk,active").await;
    assert_eq!(names(&both), ["A 快流失", "A 活跃"]);
    let (_, lost) = customer_list(&w, &w.rep_a, "lifecycle_stage=lost").await;
    assert_eq!(names(&lost), Vec::<String>::new());
    let (status, body) = customer_list(&w, &w.rep_a, "lifecycle_stage=sleepy").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]["fields"]["lifecycle_stage"].is_object(),
        "{body}"
    );
}

async fn analytics_settings_are_checked_audited_and_change_the_results(db: Db) {
    let w = world(db).await;
    // Revenue 80 / 15 / 5 %: classes A, B, C with the default 80 % / 95 %.
    let big = customer_with_orders(&w, &w.rep_a, "大客户", &[(200, 800_000), (100, 0)]).await;
    let mid = customer_with_orders(&w, &w.rep_a, "中客户", &[(20, 150_000)]).await;
    customer_with_orders(&w, &w.rep_a, "小客户", &[(20, 50_000)]).await;
    compute_values(&w).await;
    let value = |body: &Json, id: i64| {
        body["customers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["account_id"] == id)
            .cloned()
            .unwrap()
    };
    let (_, abc) = w.call("GET", "/api/v1/analytics/abc", &w.admin, None).await;
    assert_eq!(value(&abc, mid)["abc_class"], "B", "{abc}");
    assert_eq!(
        value(&abc, big)["lifecycle"],
        "at_risk",
        "last order 100 days ago"
    );

    // Only administrators of settings.
    let (status, _) = w
        .call("GET", "/api/v1/analytics/settings", &w.rep_a, None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, current) = w
        .call("GET", "/api/v1/analytics/settings", &w.admin, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(current["settings"]["rfm_classes"], 5);
    assert_eq!(current["settings"]["abc"]["a"], 0.8);

    // Bad settings: each field named, nothing written or audited.
    let events_before = sql::scalar(&w.db, "SELECT COUNT(*) FROM events").await;
    let bad = json!({"rfm_classes": 11, "abc": {"a": 0.9, "b": 0.5},
                     "lifecycle": {"basis": "recency", "new_within_days": 30,
                                   "active_within_days": 200, "at_risk_within_days": 100,
                                   "dormant_within_days": 365}});
    let (status, body) = w
        .call("PUT", "/api/v1/analytics/settings", &w.admin, Some(bad))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    for field in ["rfm_classes", "abc_b", "at_risk_within_days"] {
        assert!(
            body["error"]["fields"][field].is_object(),
            "{field}: {body}"
        );
    }
    assert!(kehu_db::analytics_settings::load(&w.db)
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        sql::scalar(&w.db, "SELECT COUNT(*) FROM events").await,
        events_before
    );

    let good = json!({"rfm_classes": 5, "abc": {"a": 0.5, "b": 0.9},
                      "lifecycle": {"basis": "recency", "new_within_days": 30,
                                    "active_within_days": 120, "at_risk_within_days": 180,
                                    "dormant_within_days": 365},
                      "segment_names": {"champions": {"en": "Stars", "zh_cn": "明星客户"}}});
    let (status, saved) = w
        .call("PUT", "/api/v1/analytics/settings", &w.admin, Some(good))
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["recompute_queued"], true);
    let (_, audit) = w
        .call(
            "GET",
            "/api/v1/audit?entity=analytics_settings",
            &w.admin,
            None,
        )
        .await;
    assert_eq!(audit["data"].as_array().map(Vec::len), Some(1), "{audit}");

    // The queued job uses the new thresholds.
    let job = kehu_db::jobs::claim(&w.db, chrono::Duration::seconds(60))
        .await
        .unwrap()
        .expect("saving queued a recomputation");
    kehu_jobs::run_job(&w.db, &job).await.unwrap();
    let (_, abc) = w.call("GET", "/api/v1/analytics/abc", &w.admin, None).await;
    assert_eq!(
        value(&abc, mid)["abc_class"],
        "C",
        "B ends at 90 % now: {abc}"
    );
    assert_eq!(
        value(&abc, big)["lifecycle"],
        "active",
        "active within 120 days now"
    );
    assert_eq!(abc["run"]["parameters"]["abc"]["b"], 0.9);
}
