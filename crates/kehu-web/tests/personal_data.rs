//! Personal data through the router, on SQLite and PostgreSQL: the export, erasure and
//! consent API, and the record page's panel, consent form and erasure page.

#[path = "../../kehu-db/tests/common/mod.rs"]
mod common;
mod support;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use common::{fixtures, sql};
use kehu_core::permission::Actor;
use kehu_db::users::{self, NewUser};
use kehu_db::{auth, Db};
use kehu_web::auth::password::hash_password;
use kehu_web::pages::url::query_string;
use kehu_web::{router, AppState, WebConfig};
use serde_json::{json, Value as Json};
use support::Reply;

backend_tests!(
    the_api_exports_erases_and_records_consent,
    refusals_are_not_found_and_change_nothing,
    the_contact_page_offers_consent_export_and_erasure
);

const PASSWORD: &str = "correct horse battery";
const ALICE: &str = "Alice Zhang 张丽华";
const ALICE_EMAIL: &str = "alice.zhang@example.com";
const ALICE_MOBILE: &str = "13912345678";

struct World {
    app: Router,
    db: Db,
    admin: String,
    rep_a: String,
    rep_b: String,
    customer: i64,
    alice: i64,
    bob: i64,
}

async fn person(db: &Db, username: &str, team: Option<i64>, roles: &[&str]) -> Actor {
    let user = users::create(
        db,
        NewUser {
            username: username.into(),
            display_name: format!("{username} (display)"),
            email: None,
            password_hash: hash_password(PASSWORD.into()).await.unwrap(),
            team_id: team,
            roles: roles.iter().map(|r| r.to_string()).collect(),
        },
    )
    .await
    .unwrap();
    users::actor(db, &user).await.unwrap()
}

/// An admin and two reps of different teams; rep A owns a customer with Alice and Bob,
/// rep B owns Carol elsewhere.
async fn world(db: Db) -> World {
    fixtures::seed(&db).await;
    let team_a = fixtures::team(&db, "华东销售组", None).await;
    let team_b = fixtures::team(&db, "华南销售组", None).await;
    let admin = person(&db, "boss", None, &["admin"]).await;
    let rep_a = person(&db, "wang", Some(team_a), &["sales_rep"]).await;
    let rep_b = person(&db, "li", Some(team_b), &["sales_rep"]).await;
    let customer = fixtures::named_account(&db, &rep_a, "杭州云栖科技有限公司")
        .await
        .id;
    let alice = fixtures::contact(
        &db,
        &rep_a,
        customer,
        json!({"name": ALICE, "email": ALICE_EMAIL, "mobile": ALICE_MOBILE, "notes": "likes tea"}),
    )
    .await
    .id;
    let bob = fixtures::contact(
        &db,
        &rep_a,
        customer,
        json!({"name": "Bob Builder", "email": "bob@example.com", "reports_to_id": alice}),
    )
    .await
    .id;
    let other = fixtures::named_account(&db, &rep_b, "Acme Trading Ltd")
        .await
        .id;
    fixtures::contact(
        &db,
        &rep_b,
        other,
        json!({"name": "Carol Chen", "email": "carol@acme.example.com"}),
    )
    .await;
    let token = |id| {
        let db = db.clone();
        async move { auth::create_api_token(&db, id, "test").await.unwrap() }
    };
    World {
        app: router(AppState::new(db.clone(), WebConfig::default())),
        admin: token(admin.user_id).await,
        rep_a: token(rep_a.user_id).await,
        rep_b: token(rep_b.user_id).await,
        db,
        customer,
        alice,
        bob,
    }
}

impl World {
    async fn send(&self, request: Request<Body>) -> Reply {
        support::send(&self.app, request).await
    }

    async fn call(&self, method: &str, uri: &str, token: &str, body: Option<Json>) -> Reply {
        self.send(support::with_json(
            support::bearer(method, uri, token),
            body,
        ))
        .await
    }

    /// Everything a refused request must leave alone.
    async fn fingerprint(&self) -> (Vec<(String, Option<String>)>, i64, i64) {
        (
            sql::row_snapshot(&self.db, "contacts", self.alice).await,
            sql::scalar(&self.db, "SELECT COUNT(*) FROM events").await,
            sql::scalar(&self.db, "SELECT COUNT(*) FROM consents").await,
        )
    }
}

async fn the_api_exports_erases_and_records_consent(db: Db) {
    let w = world(db).await;
    let alice = w.alice;
    // Consent, with validation.
    let reply = w
        .call(
            "PATCH",
            &format!("/api/v1/contacts/{alice}/consent"),
            &w.rep_a,
            Some(
                json!({"email": {"granted": true, "source": "web_form", "given_at": "2026-01-05"}}),
            ),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let body = reply.json();
    assert_eq!(body["email"]["granted"], true);
    assert_eq!(body["email"]["source"], "web_form");
    assert!(body["email"]["given_at"]
        .as_str()
        .unwrap()
        .starts_with("2026-01-05"));
    assert_eq!(body["call"], Json::Null);
    let before = w.fingerprint().await;
    let reply = w
        .call(
            "PATCH",
            &format!("/api/v1/contacts/{alice}/consent"),
            &w.rep_a,
            Some(json!({"email": {"granted": "yes", "source": "rumour", "given_at": "2999-01-01"}, "fax": {}})),
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.text()
    );
    let fields = &reply.json()["error"]["fields"];
    for field in ["email.granted", "email.source", "email.given_at", "fax"] {
        assert!(fields[field].is_object(), "{field} not reported: {fields}");
    }
    assert_eq!(
        w.fingerprint().await,
        before,
        "a refused change writes nothing"
    );

    // The list filter and the timeline.
    let reply = w
        .call("GET", "/api/v1/contacts?consent.email=yes", &w.rep_a, None)
        .await;
    let names: Vec<&str> = reply.json()["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string().leak() as &str)
        .collect();
    assert_eq!(names, [ALICE]);
    let timeline = w
        .call(
            "GET",
            &format!("/api/v1/accounts/{}/timeline", w.customer),
            &w.rep_a,
            None,
        )
        .await;
    assert!(
        timeline.text().contains("consent_changed"),
        "{}",
        timeline.text()
    );

    // The export: a JSON download of Alice and nobody else.
    let reply = w
        .call(
            "GET",
            &format!("/api/v1/contacts/{alice}/personal-data"),
            &w.rep_a,
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let disposition = reply.headers[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert!(disposition.contains(&format!("contact-{alice}-personal-data.json")));
    let export = reply.json();
    assert_eq!(export["record"]["email"], ALICE_EMAIL);
    assert_eq!(export["consents"][0]["source"], "web_form");
    assert_eq!(export["direct_report_ids"], json!([w.bob]));
    for other in ["Bob Builder", "bob@example.com", "Carol", "acme"] {
        assert!(
            !reply.text().contains(other),
            "{other} is in Alice's export"
        );
    }
    // A company is no person.
    let reply = w
        .call(
            "GET",
            &format!("/api/v1/accounts/{}/personal-data", w.customer),
            &w.admin,
            None,
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.text()
    );

    for query in ["Alice", "张丽华", "alice.zhang", ALICE_MOBILE] {
        assert_eq!(
            search_ids(&w, query).await,
            [alice],
            "search {query} before"
        );
    }
    // Erasure: the exact name, then nothing of her is left to find.
    let reply = w
        .call(
            "POST",
            &format!("/api/v1/contacts/{alice}/erase"),
            &w.admin,
            Some(json!({"confirm": "Alice"})),
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.text()
    );
    let reply = w
        .call(
            "POST",
            &format!("/api/v1/contacts/{alice}/erase"),
            &w.admin,
            Some(json!({"confirm": ALICE})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let placeholder = format!("Erased contact #{alice}");
    assert_eq!(reply.json()["name"], placeholder.as_str());
    let read = w
        .call("GET", &format!("/api/v1/contacts/{alice}"), &w.rep_a, None)
        .await;
    assert_eq!(read.json()["name"], placeholder.as_str());
    assert_eq!(read.json()["email"], Json::Null);
    for query in ["Alice", "张丽华", "alice.zhang", ALICE_MOBILE, "tea"] {
        assert_eq!(
            search_ids(&w, query).await,
            Vec::<i64>::new(),
            "search {query} still finds her"
        );
        let list = w
            .call(
                "GET",
                &format!("/api/v1/contacts?q={}", urlencode(query)),
                &w.admin,
                None,
            )
            .await;
        assert_eq!(list.json()["data"], json!([]), "list search {query}");
    }
    let timeline = w
        .call(
            "GET",
            &format!("/api/v1/accounts/{}/timeline", w.customer),
            &w.rep_a,
            None,
        )
        .await;
    for value in [ALICE_EMAIL, ALICE_MOBILE, "Alice", "likes tea"] {
        assert!(
            !timeline.text().contains(value),
            "{value} in the timeline: {}",
            timeline.text()
        );
    }
    assert!(timeline.text().contains("Bob Builder"), "Bob's events stay");
    let consent = w
        .call(
            "GET",
            &format!("/api/v1/contacts/{alice}/consent"),
            &w.admin,
            None,
        )
        .await;
    assert_eq!(
        consent.json()["email"],
        Json::Null,
        "her consent is forgotten"
    );
    // The audit log has the erasure, without her values.
    let audit = w
        .call(
            "GET",
            &format!("/api/v1/audit?action=erased&entity=contact&record_id={alice}"),
            &w.admin,
            None,
        )
        .await;
    let entries = audit.json()["data"].as_array().unwrap().clone();
    assert_eq!(entries.len(), 1, "{}", audit.text());
    assert_eq!(entries[0]["summary"], placeholder.as_str());
    for value in [ALICE_EMAIL, ALICE_MOBILE, "Alice", "likes tea"] {
        assert!(!audit.text().contains(value), "{value} in the audit entry");
    }
}

/// The contacts the global search finds.
async fn search_ids(w: &World, query: &str) -> Vec<i64> {
    let reply = w
        .call(
            "GET",
            &format!("/api/v1/search?q={}", urlencode(query)),
            &w.admin,
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    reply.json()["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect()
}

fn location(reply: &Reply) -> &str {
    reply.headers[header::LOCATION].to_str().unwrap()
}

fn urlencode(text: &str) -> String {
    query_string(&[("x".to_string(), text.to_string())])[2..].to_string()
}

async fn refusals_are_not_found_and_change_nothing(db: Db) {
    let w = world(db).await;
    let alice = w.alice;
    let before = w.fingerprint().await;
    // Rep B cannot see Alice: every door is a 404.
    for (method, path, body) in [
        ("GET", "personal-data", None),
        ("GET", "consent", None),
        (
            "PATCH",
            "consent",
            Some(json!({"call": {"granted": true, "source": "phone"}})),
        ),
        ("POST", "erase", Some(json!({"confirm": ALICE}))),
    ] {
        let reply = w
            .call(
                method,
                &format!("/api/v1/contacts/{alice}/{path}"),
                &w.rep_b,
                body,
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "{method} {path}: {}",
            reply.text()
        );
        assert!(!reply.text().contains("Alice"));
    }
    // Rep A owns her but may not erase: that takes the delete grant over all contacts.
    let reply = w
        .call(
            "POST",
            &format!("/api/v1/contacts/{alice}/erase"),
            &w.rep_a,
            Some(json!({"confirm": ALICE})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text());
    assert_eq!(w.fingerprint().await, before, "refusals change nothing");
}

/// A browser signed in through the form.
struct Browser {
    cookie: String,
    csrf: String,
}

impl World {
    async fn page(
        &self,
        browser: &Browser,
        method: &str,
        uri: &str,
        form: &[(&str, &str)],
    ) -> Reply {
        let mut pairs: Vec<(String, String)> = form
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        pairs.push(("csrf_token".into(), browser.csrf.clone()));
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::COOKIE, &browser.cookie)
            .header(header::ACCEPT_LANGUAGE, "en")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        let body = if method == "GET" {
            Body::empty()
        } else {
            Body::from(query_string(&pairs))
        };
        self.send(request.body(body).unwrap()).await
    }

    async fn sign_in(&self, username: &str) -> Browser {
        let form = query_string(&[
            ("username".to_string(), username.to_string()),
            ("password".to_string(), PASSWORD.to_string()),
            ("next".to_string(), "/".to_string()),
        ]);
        let reply = self
            .send(
                Request::builder()
                    .method("POST")
                    .uri("/login")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(form))
                    .unwrap(),
            )
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
        let cookie = reply.headers[header::SET_COOKIE].to_str().unwrap();
        let mut browser = Browser {
            cookie: cookie.split(';').next().unwrap().to_string(),
            csrf: String::new(),
        };
        let home = self.page(&browser, "GET", "/", &[]).await;
        let marker = "<meta name=\"csrf-token\" content=\"";
        let start = home.text().find(marker).expect("csrf meta") + marker.len();
        browser.csrf = home.text()[start..].split('"').next().unwrap().to_string();
        browser
    }
}

async fn the_contact_page_offers_consent_export_and_erasure(db: Db) {
    let w = world(db).await;
    let alice = w.alice;
    let rep = w.sign_in("wang").await;
    let page = w
        .page(&rep, "GET", &format!("/contacts/{alice}"), &[])
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("Personal data"));
    assert!(page
        .text()
        .contains(&format!("/api/v1/contacts/{alice}/personal-data")));
    assert!(page.text().contains("Not asked"));
    assert!(
        !page.text().contains(&format!("/contacts/{alice}/erase")),
        "a rep may not erase"
    );
    // Rep A records that Alice may be called.
    let form = w
        .page(&rep, "GET", &format!("/contacts/{alice}/consent"), &[])
        .await;
    assert_eq!(form.status, StatusCode::OK);
    let bad = w
        .page(
            &rep,
            "POST",
            &format!("/contacts/{alice}/consent"),
            &[
                ("call_answer", "yes"),
                ("call_source", "phone"),
                ("call_date", "tomorrow"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().contains("not in the future"));
    let saved = w
        .page(
            &rep,
            "POST",
            &format!("/contacts/{alice}/consent"),
            &[
                ("call_answer", "yes"),
                ("call_source", "phone"),
                ("call_date", "2026-03-04"),
                ("email_answer", ""),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());
    let page = w.page(&rep, "GET", location(&saved), &[]).await;
    assert!(page.text().contains("Consent saved."));
    assert!(
        page.text().contains("Phone · 2026-03-04"),
        "the panel shows the answer"
    );
    assert!(
        page.text().contains("changed the consent of"),
        "the timeline shows the change"
    );
    let edit = w
        .page(&rep, "GET", &format!("/contacts/{alice}/edit"), &[])
        .await;
    assert!(
        edit.text().contains(&format!("/contacts/{alice}/consent")),
        "the edit form links the consent form"
    );
    // Individual customers have the panel too; companies do not.
    let person = w
        .call(
            "POST",
            "/api/v1/accounts",
            &w.rep_a,
            Some(json!({"name": "王小明", "kind": "individual"})),
        )
        .await;
    assert_eq!(person.status, StatusCode::CREATED, "{}", person.text());
    let person = person.json()["id"].as_i64().unwrap();
    let page = w
        .page(&rep, "GET", &format!("/accounts/{person}"), &[])
        .await;
    assert!(page.text().contains("Personal data"));
    assert!(page
        .text()
        .contains(&format!("/api/v1/accounts/{person}/personal-data")));
    let page = w
        .page(&rep, "GET", &format!("/accounts/{}", w.customer), &[])
        .await;
    assert!(
        !page.text().contains("Personal data"),
        "a company is no person"
    );
    // The panel's download button: the API answers the browser's session cookie.
    let download = w
        .page(
            &rep,
            "GET",
            &format!("/api/v1/contacts/{alice}/personal-data"),
            &[],
        )
        .await;
    assert_eq!(download.status, StatusCode::OK);
    assert!(download.text().contains(ALICE_EMAIL));
    // The contact list filters by it.
    let list = w.page(&rep, "GET", "/contacts?consent.call=yes", &[]).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.text().contains(ALICE) && !list.text().contains("Bob Builder"));
    let list = w.page(&rep, "GET", "/contacts?consent.call=no", &[]).await;
    assert!(!list.text().contains(ALICE) && list.text().contains("Bob Builder"));
    // The rep cannot open the erasure page either.
    let refused = w
        .page(&rep, "GET", &format!("/contacts/{alice}/erase"), &[])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // The admin erases her, after typing her name.
    let admin = w.sign_in("boss").await;
    let search = w.page(&admin, "GET", "/search?q=Alice", &[]).await;
    assert!(
        search.text().contains(&format!("/contacts/{alice}")),
        "search finds her before"
    );
    let page = w
        .page(&admin, "GET", &format!("/contacts/{alice}"), &[])
        .await;
    assert!(page.text().contains(&format!("/contacts/{alice}/erase")));
    let confirm = w
        .page(&admin, "GET", &format!("/contacts/{alice}/erase"), &[])
        .await;
    assert!(confirm.text().contains("cannot be undone"));
    let before = w.fingerprint().await;
    let wrong = w
        .page(
            &admin,
            "POST",
            &format!("/contacts/{alice}/erase"),
            &[("confirm", "Bob Builder")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.text().contains("nothing was erased"));
    assert_eq!(w.fingerprint().await, before);
    let done = w
        .page(
            &admin,
            "POST",
            &format!("/contacts/{alice}/erase"),
            &[("confirm", ALICE)],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let page = w.page(&admin, "GET", location(&done), &[]).await;
    assert!(page.text().contains("The personal data was erased."));
    assert!(page.text().contains(&format!("Erased contact #{alice}")));
    for value in ["Alice", "张丽华", ALICE_EMAIL, ALICE_MOBILE, "likes tea"] {
        assert!(!page.text().contains(value), "{value} still on her page");
    }
    let customer = w
        .page(&admin, "GET", &format!("/accounts/{}", w.customer), &[])
        .await;
    assert!(
        !customer.text().contains("Alice"),
        "nor on the customer page"
    );
    let search = w.page(&admin, "GET", "/search?q=Alice", &[]).await;
    assert!(
        !search.text().contains(&format!("/contacts/{alice}")),
        "nor in search"
    );

    // From the recycle bin: Bob, deleted, is erased in place.
    let bob = w.bob;
    let deleted = w
        .call("DELETE", &format!("/api/v1/contacts/{bob}"), &w.admin, None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text());
    let bin = w.page(&admin, "GET", "/recycle-bin", &[]).await;
    assert!(bin.text().contains("Bob Builder"));
    assert!(bin.text().contains(&format!("/contacts/{bob}/erase")));
    let confirm = w
        .page(&admin, "GET", &format!("/contacts/{bob}/erase"), &[])
        .await;
    assert_eq!(confirm.status, StatusCode::OK);
    let done = w
        .page(
            &admin,
            "POST",
            &format!("/contacts/{bob}/erase"),
            &[("confirm", "Bob Builder")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());
    let bin = w.page(&admin, "GET", location(&done), &[]).await;
    assert!(bin.text().contains("The personal data was erased."));
    assert!(bin.text().contains(&format!("Erased contact #{bob}")));
    assert!(
        !bin.text().contains("Bob Builder"),
        "the bin keeps no old value"
    );
}
