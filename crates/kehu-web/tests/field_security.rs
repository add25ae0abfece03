//! Field-level security through the router, on SQLite and PostgreSQL: a user whose role
//! hides the credit limit, a contact's mobile and a custom field never meets them — not in
//! the API, the HTML pages, CSV or XLSX exports, search results or the timeline — and a
//! read-only field cannot be written.

#[path = "../../kehu-db/tests/common/mod.rs"]
mod common;
mod support;

use axum::http::{header, StatusCode};
use axum::Router;
use calamine::{Reader, Xlsx};
use common::{fixtures, sql};
use kehu_core::field_security::{FieldAccess, FieldRules};
use kehu_core::permission::{Action, Grants, Scope};
use kehu_db::events::Origin;
use kehu_db::{auth, field_security, roles, Db};
use kehu_web::{router, AppState, WebConfig};
use serde_json::{json, Value as Json};
use std::io::Cursor;
use support::Reply;

backend_tests!(
    hidden_fields_are_absent_from_api_responses,
    filtering_or_sorting_on_a_hidden_field_is_refused,
    hidden_fields_are_absent_from_csv_and_xlsx_exports,
    hidden_fields_are_absent_from_search_results,
    hidden_field_changes_are_absent_from_the_timeline,
    hidden_fields_are_absent_from_html_pages,
    read_only_fields_are_refused_by_name_and_shown_disabled,
    a_rule_change_applies_to_the_next_request,
    admins_set_field_security_in_the_role_editor,
    hidden_fields_are_absent_from_personal_data_exports
);

/// The credit limit, the WeChat id and the mobile number: none may reach the analyst.
const CREDIT_LIMIT: i64 = 98_765_400;
const CREDIT_TEXT: &str = "987654";
const WECHAT: &str = "wx-secret-7731";
const MOBILE: &str = "13912345678";

struct World {
    app: Router,
    db: Db,
    admin: String,
    analyst: String,
    analyst_role: i64,
    account_id: i64,
    contact_id: i64,
}

/// An admin, and an analyst whose role reads, edits and exports everything but hides the
/// credit limit, the custom field `wechat` and contacts' mobiles, and makes `city`
/// read-only. One customer with a contact holds all of those values.
async fn world(db: Db) -> World {
    fixtures::seed(&db).await;
    fixtures::define_custom_fields(&db).await;
    let admin = fixtures::admin(&db).await;
    let mut grants = Grants::default();
    for entity in ["account", "contact", "order"] {
        for action in [Action::Read, Action::Edit, Action::Export] {
            grants.set(entity, action, Scope::All);
        }
    }
    let role = roles::create(&db, "analyst", &grants).await.unwrap();
    field_security::replace(&db, &Origin::default(), role.id, &analyst_rules())
        .await
        .unwrap();
    let analyst = fixtures::user(&db, "ana", None, &["analyst"]).await;
    let account = fixtures::account(
        &db,
        &admin,
        json!({"name": "华为技术有限公司", "city": "深圳", "phone": "0755-1234567",
               "credit_limit": CREDIT_LIMIT,
               "custom": {"wechat": WECHAT, "employees": 200}}),
    )
    .await;
    let contact = fixtures::contact(
        &db,
        &admin,
        account.id,
        json!({"name": "张伟", "title": "采购经理", "mobile": MOBILE, "email": "zw@huawei.example.com"}),
    )
    .await;
    let app = router(AppState::new(db.clone(), WebConfig::default()));
    World {
        app,
        admin: auth::create_api_token(&db, admin.user_id, "t")
            .await
            .unwrap(),
        analyst: auth::create_api_token(&db, analyst.user_id, "t")
            .await
            .unwrap(),
        analyst_role: role.id,
        account_id: account.id,
        contact_id: contact.id,
        db,
    }
}

fn analyst_rules() -> FieldRules {
    let mut rules = FieldRules::default();
    rules.set("account", "credit_limit", FieldAccess::Hidden);
    rules.set("account", "custom.wechat", FieldAccess::Hidden);
    rules.set("contact", "mobile", FieldAccess::Hidden);
    rules.set("account", "city", FieldAccess::ReadOnly);
    rules
}

impl World {
    /// Posts a form with an API token (no CSRF token needed).
    async fn post_form(&self, uri: &str, token: &str, pairs: &[(String, String)]) -> Reply {
        support::send(
            &self.app,
            support::with_form(support::bearer("POST", uri, token), pairs),
        )
        .await
    }

    async fn call(&self, method: &str, uri: &str, token: &str, body: Option<Json>) -> Reply {
        let request = support::bearer(method, uri, token).header(header::ACCEPT_LANGUAGE, "en");
        support::send(&self.app, support::with_json(request, body)).await
    }

    async fn get(&self, uri: &str, token: &str) -> Reply {
        let reply = self.call("GET", uri, token, None).await;
        assert_eq!(reply.status, StatusCode::OK, "{uri}: {}", reply.text());
        reply
    }
}

/// No trace of the hidden values or field names in a response body.
fn assert_no_secrets(uri: &str, body: &str) {
    for secret in [
        CREDIT_TEXT,
        WECHAT,
        MOBILE,
        "credit_limit",
        "wechat",
        "\"mobile\"",
    ] {
        assert!(!body.contains(secret), "{uri} shows {secret}: {body}");
    }
}

async fn hidden_fields_are_absent_from_api_responses(db: Db) {
    let w = world(db).await;
    let (account, contact) = (w.account_id, w.contact_id);
    // The admin sees everything, so the masks below are not an accident of the data.
    let full = w
        .get(&format!("/api/v1/accounts/{account}"), &w.admin)
        .await
        .json();
    assert_eq!(full["credit_limit"], json!(CREDIT_LIMIT));
    assert_eq!(full["custom"]["wechat"], json!(WECHAT));
    let full = w
        .get(&format!("/api/v1/contacts/{contact}"), &w.admin)
        .await
        .json();
    assert_eq!(full["mobile"], json!(MOBILE));

    for uri in [
        format!("/api/v1/accounts/{account}"),
        "/api/v1/accounts".to_string(),
        "/api/v1/accounts?q=华为".to_string(),
        format!("/api/v1/accounts/{account}/contacts"),
        format!("/api/v1/contacts/{contact}"),
        "/api/v1/contacts".to_string(),
    ] {
        let reply = w.get(&uri, &w.analyst).await;
        assert_no_secrets(&uri, &reply.text());
    }
    let detail = w
        .get(&format!("/api/v1/accounts/{account}"), &w.analyst)
        .await
        .json();
    // Absent, not null; the other fields are there.
    assert!(detail.as_object().unwrap().get("credit_limit").is_none());
    assert_eq!(detail["city"], json!("深圳"));
    assert_eq!(detail["custom"]["employees"], json!(200));
    // A write answers with the masked record too.
    let updated = w
        .call(
            "PATCH",
            &format!("/api/v1/accounts/{account}"),
            &w.analyst,
            Some(json!({"version": 1, "description": "拜访过"})),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.text());
    assert_no_secrets("PATCH", &updated.text());
}

async fn filtering_or_sorting_on_a_hidden_field_is_refused(db: Db) {
    let w = world(db).await;
    for uri in [
        "/api/v1/accounts?credit_limit__gte=1",
        "/api/v1/accounts?sort=-credit_limit",
        "/api/v1/accounts?custom.wechat=wx-secret-7731",
        "/api/v1/contacts?mobile__contains=139",
        "/api/v1/accounts/export?credit_limit__gte=1",
        "/api/v1/accounts/export.xlsx?sort=credit_limit",
    ] {
        let reply = w.call("GET", uri, &w.analyst, None).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{uri}: {}",
            reply.text()
        );
        assert!(
            reply.text().contains("field_hidden"),
            "{uri}: {}",
            reply.text()
        );
        // The admin may.
        let reply = w.call("GET", uri, &w.admin, None).await;
        assert_eq!(reply.status, StatusCode::OK, "{uri}: {}", reply.text());
    }
}

async fn hidden_fields_are_absent_from_csv_and_xlsx_exports(db: Db) {
    let w = world(db).await;
    let csv = w.get("/api/v1/accounts/export", &w.analyst).await;
    assert!(csv.content_type().starts_with("text/csv"));
    let text = csv.text();
    let header = text.lines().next().unwrap().trim_start_matches('\u{feff}');
    assert!(header.starts_with("id,name,"), "{header}");
    assert!(header.contains("custom.employees"), "{header}");
    assert_no_secrets("csv", &text);
    let contacts_csv = w.get("/api/v1/contacts/export", &w.analyst).await.text();
    assert_no_secrets("contacts csv", &contacts_csv);
    assert!(contacts_csv.contains("张伟"));
    // The admin's export has them, so the check above can fail.
    let admin_csv = w.get("/api/v1/accounts/export", &w.admin).await.text();
    assert!(admin_csv.contains("credit_limit") && admin_csv.contains(WECHAT));

    let sheet = |reply: Reply| -> Vec<Vec<String>> {
        assert_eq!(
            reply.content_type(),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        );
        let mut workbook: Xlsx<_> =
            calamine::open_workbook_from_rs(Cursor::new(reply.bytes)).expect("a valid xlsx");
        let range = workbook.worksheet_range_at(0).unwrap().unwrap();
        range
            .rows()
            .map(|row| row.iter().map(|cell| cell.to_string()).collect())
            .collect()
    };
    let analyst_rows = sheet(w.get("/api/v1/accounts/export.xlsx", &w.analyst).await);
    let admin_rows = sheet(w.get("/api/v1/accounts/export.xlsx", &w.admin).await);
    // Same columns as the CSV, one row per customer.
    assert_eq!(analyst_rows[0].join(","), header);
    assert_eq!(analyst_rows.len(), 2);
    assert!(analyst_rows[1].contains(&"华为技术有限公司".to_string()));
    assert_no_secrets("xlsx", &format!("{analyst_rows:?}"));
    assert!(admin_rows[0].contains(&"credit_limit".to_string()));
    assert!(admin_rows[1].contains(&WECHAT.to_string()));
    let contacts = sheet(w.get("/api/v1/contacts/export.xlsx", &w.analyst).await);
    assert!(!contacts[0].contains(&"mobile".to_string()));
    assert_no_secrets("contacts xlsx", &format!("{contacts:?}"));
    // Both exports are audited.
    assert!(
        sql::scalar(
            &w.db,
            "SELECT COUNT(*) FROM events WHERE action = 'exported'"
        )
        .await
            >= 5
    );
    // The list page links the XLSX export beside the CSV one.
    let page = w.get("/accounts", &w.analyst).await.text();
    assert!(page.contains("/api/v1/accounts/export.xlsx"), "{page}");
}

async fn hidden_fields_are_absent_from_search_results(db: Db) {
    let w = world(db).await;
    let api = w.get("/api/v1/search?q=张伟", &w.analyst).await;
    let found = api.json();
    assert_eq!(found["contacts"][0]["name"], json!("张伟"));
    assert_no_secrets("search", &api.text());
    let api = w.get("/api/v1/search?q=华为", &w.analyst).await;
    assert_eq!(api.json()["accounts"][0]["name"], json!("华为技术有限公司"));
    assert_no_secrets("search", &api.text());
    let page = w.get("/search?q=张伟", &w.analyst).await.text();
    assert!(page.contains("张伟"));
    assert_no_secrets("search page", &page);
    // The admin's results show the mobile.
    let page = w.get("/search?q=张伟", &w.admin).await.text();
    assert!(page.contains(MOBILE));
}

async fn hidden_field_changes_are_absent_from_the_timeline(db: Db) {
    let w = world(db).await;
    let account = w.account_id;
    let uri = format!("/api/v1/accounts/{account}");
    let changed = w
        .call(
            "PATCH",
            &uri,
            &w.admin,
            Some(json!({"version": 1, "credit_limit": 12_345_600})),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK);
    let changed = w
        .call(
            "PATCH",
            &uri,
            &w.admin,
            Some(json!({"version": 2, "credit_limit": CREDIT_LIMIT, "phone": "0755-7654321"})),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK);
    let contact = w.contact_id;
    let changed = w
        .call(
            "PATCH",
            &format!("/api/v1/contacts/{contact}"),
            &w.admin,
            Some(json!({"version": 1, "mobile": "13700000000"})),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK);

    let timeline_uri = format!("/api/v1/accounts/{account}/timeline");
    let admin_view = w.get(&timeline_uri, &w.admin).await.text();
    assert!(admin_view.contains("credit_limit") && admin_view.contains("13700000000"));
    let reply = w.get(&timeline_uri, &w.analyst).await;
    let text = reply.text();
    assert_no_secrets("timeline", &text);
    assert!(
        !text.contains("12345600") && !text.contains("13700000000"),
        "{text}"
    );
    // The phone change stays; the update of the credit limit alone is gone entirely.
    assert!(text.contains("0755-7654321"), "{text}");
    let admin_events = w.get(&timeline_uri, &w.admin).await.json()["data"]
        .as_array()
        .unwrap()
        .len();
    let analyst_events = reply.json()["data"].as_array().unwrap().len();
    assert_eq!(analyst_events, admin_events - 2);
    // The 360 page and the contact page show the same.
    let page = w
        .get(&format!("/accounts/{account}"), &w.analyst)
        .await
        .text();
    assert!(page.contains("0755-7654321"));
    assert!(
        !page.contains("123,456") && !page.contains("13700000000"),
        "{page}"
    );
    let page = w
        .get(&format!("/contacts/{contact}"), &w.analyst)
        .await
        .text();
    assert!(
        !page.contains("13700000000") && !page.contains(MOBILE),
        "{page}"
    );
}

async fn hidden_fields_are_absent_from_html_pages(db: Db) {
    let w = world(db).await;
    let (account, contact) = (w.account_id, w.contact_id);
    let admin_page = w
        .get(&format!("/accounts/{account}"), &w.admin)
        .await
        .text();
    assert!(admin_page.contains("Credit limit") && admin_page.contains(WECHAT));
    for uri in [
        format!("/accounts/{account}"),
        format!("/accounts/{account}/edit"),
        "/accounts".to_string(),
        format!("/contacts/{contact}"),
        format!("/contacts/{contact}/edit"),
        "/contacts".to_string(),
    ] {
        let page = w.get(&uri, &w.analyst).await.text();
        for secret in [
            CREDIT_TEXT,
            "987,654",
            WECHAT,
            MOBILE,
            "Credit limit",
            "WeChat",
            ">Mobile<",
        ] {
            assert!(!page.contains(secret), "{uri} shows {secret}");
        }
    }
    // The 360 page still shows what is not hidden.
    let page = w
        .get(&format!("/accounts/{account}"), &w.analyst)
        .await
        .text();
    assert!(page.contains("深圳") && page.contains("张伟"));
    // The list page refuses a hidden sort and filter instead of applying them.
    let page = w
        .get(
            "/accounts?sort=-credit_limit&credit_limit__gte=1",
            &w.analyst,
        )
        .await
        .text();
    assert!(!page.contains("华为技术有限公司"), "{page}");
}

async fn read_only_fields_are_refused_by_name_and_shown_disabled(db: Db) {
    let w = world(db).await;
    let account = w.account_id;
    let before = sql::row_snapshot(&w.db, "accounts", account).await;
    let events = sql::scalar(&w.db, "SELECT COUNT(*) FROM events").await;
    let uri = format!("/api/v1/accounts/{account}");
    for (body, field, code) in [
        (
            json!({"version": 1, "city": "上海"}),
            "city",
            "field_read_only",
        ),
        (
            json!({"version": 1, "city": "上海", "description": "x"}),
            "city",
            "field_read_only",
        ),
        (
            json!({"version": 1, "credit_limit": 1}),
            "credit_limit",
            "field_hidden",
        ),
        (
            json!({"version": 1, "custom": {"wechat": "w"}}),
            "custom.wechat",
            "field_hidden",
        ),
    ] {
        let reply = w.call("PATCH", &uri, &w.analyst, Some(body.clone())).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            reply.text()
        );
        assert_eq!(
            reply.json()["error"]["fields"][field]["code"],
            json!(code),
            "{body}"
        );
    }
    assert_eq!(sql::row_snapshot(&w.db, "accounts", account).await, before);
    assert_eq!(
        sql::scalar(&w.db, "SELECT COUNT(*) FROM events").await,
        events
    );
    // The form shows the city, disabled, and says why.
    let form = w
        .get(&format!("/accounts/{account}/edit"), &w.analyst)
        .await
        .text();
    let city = form
        .split("<input")
        .find(|input| input.contains("name=\"city\""))
        .expect("the city is shown");
    assert!(city.contains("disabled") && city.contains("深圳"), "{city}");
    assert!(form.contains("Read-only for your role"));
    let description = form
        .split("<textarea")
        .find(|input| input.contains("name=\"description\""))
        .expect("the description is editable");
    assert!(!description.contains("disabled"));
    // Posting the form with the read-only city anyway is refused, and nothing is written.
    let posted = w
        .post_form(
            &format!("/accounts/{account}/edit"),
            &w.analyst,
            &[
                ("version".to_string(), "1".to_string()),
                ("city".to_string(), "上海".to_string()),
            ],
        )
        .await;
    assert_eq!(posted.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(posted
        .text()
        .contains("your role may not change this field"));
    assert_eq!(sql::row_snapshot(&w.db, "accounts", account).await, before);
    // The admin's form is all editable.
    let form = w
        .get(&format!("/accounts/{account}/edit"), &w.admin)
        .await
        .text();
    assert!(!form.contains("Read-only for your role"));
}

async fn a_rule_change_applies_to_the_next_request(db: Db) {
    let w = world(db).await;
    let uri = format!("/api/v1/accounts/{}", w.account_id);
    // Cached permissions at this point show the phone.
    assert_eq!(
        w.get(&uri, &w.analyst).await.json()["phone"],
        json!("0755-1234567")
    );
    let mut rules = analyst_rules();
    rules.set("account", "phone", FieldAccess::Hidden);
    field_security::replace(&w.db, &Origin::default(), w.analyst_role, &rules)
        .await
        .unwrap();
    let shown = w.get(&uri, &w.analyst).await.json();
    assert!(shown.as_object().unwrap().get("phone").is_none(), "{shown}");
    // And lifting every rule shows everything again.
    field_security::replace(
        &w.db,
        &Origin::default(),
        w.analyst_role,
        &FieldRules::default(),
    )
    .await
    .unwrap();
    let shown = w.get(&uri, &w.analyst).await.json();
    assert_eq!(shown["credit_limit"], json!(CREDIT_LIMIT));
}

async fn admins_set_field_security_in_the_role_editor(db: Db) {
    let w = world(db).await;
    let role = roles::list(&w.db)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.name == "sales_rep")
        .unwrap();
    let uri = format!("/admin/roles/{}", role.id);
    // The editor lists the securable fields with the three choices, in both languages.
    let page = w.get(&uri, &w.admin).await.text();
    assert!(page.contains("Field security"), "{page}");
    assert!(page.contains("name=\"fls.account.credit_limit\""));
    assert!(page.contains("name=\"fls.account.custom.wechat\""));
    assert!(page.contains("name=\"fls.contact.mobile\""));
    assert!(!page.contains("name=\"fls.account.owner_id\""));
    assert!(page.contains("Visible and editable") && page.contains("Read-only"));
    let request = support::bearer("GET", &uri, &w.admin).header(header::ACCEPT_LANGUAGE, "zh-CN");
    let zh = support::send(&w.app, support::with_json(request, None))
        .await
        .text();
    assert!(zh.contains("字段权限") && zh.contains("可见可编辑"), "{zh}");
    // The analyst cannot reach it.
    assert_eq!(
        w.call("GET", &uri, &w.analyst, None).await.status,
        StatusCode::NOT_FOUND
    );
    // Save: the matrix as it was, plus a hidden credit limit and a read-only mobile.
    let mut pairs: Vec<(String, String)> = vec![("version".into(), role.version.to_string())];
    for (entity, actions) in &role.grants.0 {
        for (action, scope) in actions {
            pairs.push((
                format!("{entity}.{}", action.as_str()),
                scope.as_str().into(),
            ));
        }
    }
    pairs.push(("fls.account.credit_limit".into(), "hidden".into()));
    pairs.push(("fls.contact.mobile".into(), "read_only".into()));
    pairs.push(("fls.account.city".into(), "editable".into()));
    let saved = w.post_form(&uri, &w.admin, &pairs).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());
    let rules = field_security::for_role(&w.db, role.id).await.unwrap();
    assert_eq!(rules.access("account", "credit_limit"), FieldAccess::Hidden);
    assert_eq!(rules.access("contact", "mobile"), FieldAccess::ReadOnly);
    assert_eq!(rules.entries().count(), 2);
    // The grants are unchanged, and the change is in the audit log.
    let after = roles::list(&w.db)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.id == role.id)
        .unwrap();
    assert_eq!(after.grants, role.grants);
    let audit = w.get("/api/v1/audit?entity=role", &w.admin).await.text();
    assert!(audit.contains("field.account.credit_limit"), "{audit}");
    // The editor shows the saved choice.
    let page = w.get(&uri, &w.admin).await.text();
    let select = page
        .split("<select")
        .find(|s| s.contains("name=\"fls.account.credit_limit\""))
        .unwrap();
    assert!(select.contains("value=\"hidden\" selected"), "{select}");
}

async fn hidden_fields_are_absent_from_personal_data_exports(db: Db) {
    let w = world(db).await;
    let contact = w.contact_id;
    let uri = format!("/api/v1/contacts/{contact}/personal-data");
    // The admin's export has the mobile, in the record and in its history.
    let full = w.get(&uri, &w.admin).await.text();
    assert!(full.contains(MOBILE), "{full}");
    let masked = w.get(&uri, &w.analyst).await.text();
    assert_no_secrets(&uri, &masked);
    assert!(
        masked.contains("zw@huawei.example.com"),
        "the rest is there"
    );
}
