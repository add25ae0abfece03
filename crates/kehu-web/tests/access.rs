//! The access matrix through the REST API, on SQLite and PostgreSQL: a sales rep of team A
//! against their own customer, team B's customer, and team B's customers shared with them
//! read-only and read-write, on every endpoint. Refused reads are 404 (existence is not
//! confirmed), refused writes change nothing in the database (a dump of every table),
//! shares show up everywhere a read does and nowhere else. `access_matrix` extends this
//! to every role scope, a team manager and a user with two roles.

#[path = "../../kehu-db/tests/common/mod.rs"]
mod common;
mod support;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use common::{fixtures, sql};
use kehu_db::{auth, Db};
use kehu_web::{router, AppState, WebConfig};
use serde_json::{json, Value as Json};
use tower::ServiceExt;

struct World {
    app: Router,
    db: Db,
    admin: String,
    rep_a: String,
    rep_a_id: i64,
    rep_b: String,
    rep_b_id: i64,
}

async fn call(
    w: &World,
    method: &str,
    uri: &str,
    token: &str,
    body: Option<Json>,
) -> (StatusCode, Json) {
    support::call(&w.app, method, uri, token, body).await
}

async fn world(db: Db) -> World {
    fixtures::seed(&db).await;
    let team_a = fixtures::team(&db, "华东销售组", None).await;
    let team_b = fixtures::team(&db, "华南销售组", None).await;
    let admin = fixtures::user(&db, "boss", None, &["admin"]).await;
    let rep_a = fixtures::user(&db, "rep_a", Some(team_a), &["sales_rep"]).await;
    let rep_b = fixtures::user(&db, "rep_b", Some(team_b), &["sales_rep"]).await;
    let config = WebConfig::default();
    World {
        app: router(AppState::new(db.clone(), config)),
        admin: auth::create_api_token(&db, admin.user_id, "t")
            .await
            .unwrap(),
        rep_a: auth::create_api_token(&db, rep_a.user_id, "t")
            .await
            .unwrap(),
        rep_a_id: rep_a.user_id,
        rep_b: auth::create_api_token(&db, rep_b.user_id, "t")
            .await
            .unwrap(),
        rep_b_id: rep_b.user_id,
        db,
    }
}

/// One customer of the matrix with what rep A should be able to do with it.
struct Case {
    name: &'static str,
    id: i64,
    contact_id: i64,
    reads: bool,
    edits: bool,
    exports: bool,
}

async fn customer(w: &World, token: &str, name: &'static str) -> (i64, i64) {
    let (status, account) = call(
        w,
        "POST",
        "/api/v1/accounts",
        token,
        Some(json!({"name": name})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{account}");
    let id = account["id"].as_i64().unwrap();
    let person = json!({"account_id": id, "name": format!("{name}contact")});
    let (status, contact) = call(w, "POST", "/api/v1/contacts", token, Some(person)).await;
    assert_eq!(status, StatusCode::CREATED, "{contact}");
    (id, contact["id"].as_i64().unwrap())
}

async fn share(w: &World, id: i64, user_id: i64, access: &str) -> i64 {
    let (status, body) = call(
        w,
        "POST",
        &format!("/api/v1/accounts/{id}/shares"),
        &w.rep_b,
        Some(json!({"user_id": user_id, "access": access})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_i64().unwrap()
}

fn listed(body: &Json, key: &str, id: i64) -> bool {
    body[key].as_array().unwrap().iter().any(|r| r["id"] == id)
}

async fn rep_a_reaches_exactly_own_and_shared_records_on_every_endpoint(db: Db) {
    let w = world(db).await;
    let (own, own_contact) = customer(&w, &w.rep_a, "alphaown").await;
    let (other, other_contact) = customer(&w, &w.rep_b, "betaother").await;
    let (read, read_contact) = customer(&w, &w.rep_b, "gammaread").await;
    let (write, write_contact) = customer(&w, &w.rep_b, "deltawrite").await;
    share(&w, read, w.rep_a_id, "read").await;
    share(&w, write, w.rep_a_id, "write").await;
    let cases = [
        Case {
            name: "alphaown",
            id: own,
            contact_id: own_contact,
            reads: true,
            edits: true,
            exports: true,
        },
        Case {
            name: "betaother",
            id: other,
            contact_id: other_contact,
            reads: false,
            edits: false,
            exports: false,
        },
        // Shares open reads (and edits for read-write) but not exports.
        Case {
            name: "gammaread",
            id: read,
            contact_id: read_contact,
            reads: true,
            edits: false,
            exports: false,
        },
        Case {
            name: "deltawrite",
            id: write,
            contact_id: write_contact,
            reads: true,
            edits: true,
            exports: false,
        },
    ];
    let (_, csv) = call(&w, "GET", "/api/v1/accounts/export", &w.rep_a, None).await;
    let csv = csv.as_str().unwrap().to_string();

    for case in &cases {
        let id = case.id;
        let expect_read = if case.reads {
            StatusCode::OK
        } else {
            StatusCode::NOT_FOUND
        };
        for uri in [
            format!("/api/v1/accounts/{id}"),
            format!("/api/v1/accounts/{id}/contacts"),
            format!("/api/v1/accounts/{id}/timeline"),
            format!("/api/v1/accounts/{id}/shares"),
        ] {
            let (status, body) = call(&w, "GET", &uri, &w.rep_a, None).await;
            assert_eq!(status, expect_read, "{}: {uri}: {body}", case.name);
        }
        let (_, list) = call(
            &w,
            "GET",
            "/api/v1/accounts?count=true&limit=200",
            &w.rep_a,
            None,
        )
        .await;
        assert_eq!(
            listed(&list, "data", id),
            case.reads,
            "{} in list",
            case.name
        );
        let (_, count) = call(
            &w,
            "GET",
            &format!("/api/v1/accounts?id={id}&count=true"),
            &w.rep_a,
            None,
        )
        .await;
        assert_eq!(
            count["count"]["value"] == 1,
            case.reads,
            "{} counted",
            case.name
        );
        let (_, found) = call(
            &w,
            "GET",
            &format!("/api/v1/search?q={}", case.name),
            &w.rep_a,
            None,
        )
        .await;
        assert_eq!(
            listed(&found, "accounts", id),
            case.reads,
            "{} searched",
            case.name
        );
        // Contacts are not shared with their customer: only the owner's.
        let (status, _) = call(
            &w,
            "GET",
            &format!("/api/v1/contacts/{}", case.contact_id),
            &w.rep_a,
            None,
        )
        .await;
        assert_eq!(
            status == StatusCode::OK,
            case.name == "alphaown",
            "{} contact",
            case.name
        );
        assert_eq!(
            csv.contains(case.name),
            case.exports,
            "{} exported",
            case.name
        );
    }

    // Refused writes: each leaves the database exactly as it was.
    for case in cases.iter().filter(|c| c.name != "alphaown") {
        let id = case.id;
        let refused_status = |readable: bool| {
            if readable {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::NOT_FOUND
            }
        };
        let mut attempts: Vec<(&str, String, Option<Json>, StatusCode)> = vec![
            (
                "DELETE",
                format!("/api/v1/accounts/{id}"),
                None,
                refused_status(case.reads),
            ),
            (
                "POST",
                format!("/api/v1/accounts/{id}/shares"),
                Some(json!({"user_id": w.rep_a_id, "access": "write"})),
                refused_status(case.reads),
            ),
        ];
        if !case.edits {
            attempts.push((
                "PATCH",
                format!("/api/v1/accounts/{id}"),
                Some(json!({"version": 1, "level": "VIP"})),
                refused_status(case.reads),
            ));
        }
        for (method, uri, body, expected) in attempts {
            let before = sql::dump(&w.db).await;
            let (status, answer) = call(&w, method, &uri, &w.rep_a, body).await;
            assert_eq!(status, expected, "{} {method} {uri}: {answer}", case.name);
            assert_eq!(
                sql::dump(&w.db).await,
                before,
                "{} {method} {uri} wrote",
                case.name
            );
        }
    }
    // Taking rep B's customers by transfer: nothing to move, nothing written.
    let before = sql::dump(&w.db).await;
    let request = json!({"from_user_id": w.rep_b_id, "to_user_id": w.rep_a_id});
    let (status, counts) = call(&w, "POST", "/api/v1/transfers", &w.rep_a, Some(request)).await;
    assert_eq!(status, StatusCode::OK, "{counts}");
    assert_eq!(counts["counts"]["account"], 0);
    let request = json!({"from_user_id": w.rep_a_id, "to_user_id": w.rep_b_id});
    let (status, refused) = call(&w, "POST", "/api/v1/transfers", &w.rep_a, Some(request)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(
        refused["error"]["fields"]["to_user_id"].is_object(),
        "{refused}"
    );
    let (status, _) = call(&w, "GET", "/api/v1/audit", &w.rep_a, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(sql::dump(&w.db).await, before);

    // The read-write share does allow an edit, which the audit log shows with old and new.
    let (status, edited) = call(
        &w,
        "PATCH",
        &format!("/api/v1/accounts/{write}"),
        &w.rep_a,
        Some(json!({"version": 1, "level": "VIP"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    let (status, audit) = call(
        &w,
        "GET",
        &format!("/api/v1/audit?entity=account&record_id={write}&action=updated"),
        &w.admin,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{audit}");
    let entries = audit["data"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{audit}");
    assert_eq!(entries[0]["actor_id"], w.rep_a_id);
    assert_eq!(
        entries[0]["changes"][0],
        json!({"field": "level", "old": null, "new": "VIP"})
    );
}

async fn revoking_a_share_closes_every_door_again(db: Db) {
    let w = world(db).await;
    let (id, _) = customer(&w, &w.rep_b, "epsilonshared").await;
    let share_id = share(&w, id, w.rep_a_id, "read").await;
    let (status, _) = call(&w, "GET", &format!("/api/v1/accounts/{id}"), &w.rep_a, None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(
        &w,
        "DELETE",
        &format!("/api/v1/accounts/{id}/shares/{share_id}"),
        &w.rep_b,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call(&w, "GET", &format!("/api/v1/accounts/{id}"), &w.rep_a, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, found) = call(&w, "GET", "/api/v1/search?q=epsilonshared", &w.rep_a, None).await;
    assert!(!listed(&found, "accounts", id));
    // Bad share input: field errors, nothing written.
    let before = sql::dump(&w.db).await;
    for body in [
        json!({"user_id": w.rep_a_id}),
        json!({"user_id": w.rep_a_id, "team_id": 1, "access": "read"}),
        json!({"user_id": "x", "access": "read"}),
        json!({"user_id": w.rep_a_id, "access": "read", "until": "tomorrow"}),
    ] {
        let (status, answer) = call(
            &w,
            "POST",
            &format!("/api/v1/accounts/{id}/shares"),
            &w.rep_b,
            Some(body.clone()),
        )
        .await;
        assert!(status.is_client_error(), "{body}: {status}");
        assert!(answer["error"]["fields"].is_object(), "{body}: {answer}");
    }
    assert_eq!(sql::dump(&w.db).await, before);
}

async fn deactivation_ends_the_users_browser_session_at_once(db: Db) {
    let w = world(db).await;
    let (cookie, _) = auth::create_session(&w.db, w.rep_b_id, chrono::Duration::hours(1))
        .await
        .unwrap();
    let with_cookie = || {
        Request::builder()
            .uri("/api/v1/accounts")
            .header(header::COOKIE, format!("kehu_session={cookie}"))
            .body(Body::empty())
            .unwrap()
    };
    let response = w.app.clone().oneshot(with_cookie()).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let (status, _) = call(
        &w,
        "DELETE",
        &format!("/api/v1/users/{}", w.rep_b_id),
        &w.admin,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let response = w.app.clone().oneshot(with_cookie()).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let (status, _) = call(&w, "GET", "/api/v1/accounts", &w.rep_b, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        sql::scalar(
            &w.db,
            &format!(
                "SELECT COUNT(*) FROM sessions WHERE user_id = {}",
                w.rep_b_id
            )
        )
        .await,
        0
    );
}

backend_tests!(
    rep_a_reaches_exactly_own_and_shared_records_on_every_endpoint,
    revoking_a_share_closes_every_door_again,
    deactivation_ends_the_users_browser_session_at_once,
);
