//! Mass update through the router, on SQLite and PostgreSQL: the API (`ids` or the list's
//! `filters`, preview and apply, every refusal with its status and field, nothing written
//! by a refusal) and the pages (boxes on the list, the form, the preview, the notice after
//! applying), in English and Chinese. Who may change which records is the access matrix's.

#[path = "../../kehu-db/tests/common/mod.rs"]
mod common;
mod support;

use axum::http::{header, StatusCode};
use axum::Router;
use common::{fixtures, sql};
use kehu_core::field_security::{FieldAccess, FieldRules};
use kehu_core::mass_update::MAX_RECORDS;
use kehu_db::events::Origin;
use kehu_db::{auth, field_security, roles, Db};
use kehu_web::{router, AppState, WebConfig};
use serde_json::{json, Value as Json};
use support::Reply;

backend_tests!(
    the_api_changes_chosen_or_filtered_records,
    the_api_refuses_bad_requests_by_field_and_writes_nothing,
    the_list_page_leads_to_a_preview_and_then_the_change,
    the_pages_speak_chinese_and_are_offered_only_to_those_who_may
);

struct World {
    app: Router,
    db: Db,
    admin: String,
    rep: String,
    rep_id: i64,
    colleague_id: i64,
    reader: String,
    /// The rep's customers: two 普通 in 北京, one VIP in 上海.
    customers: [i64; 3],
    /// A customer of another team's rep.
    other: i64,
}

async fn world(db: Db) -> World {
    fixtures::seed(&db).await;
    fixtures::define_custom_fields(&db).await;
    let team = fixtures::team(&db, "华东销售组", None).await;
    let other_team = fixtures::team(&db, "华南销售组", None).await;
    let admin = fixtures::admin(&db).await;
    let rep = fixtures::user(&db, "rep", Some(team), &["sales_rep"]).await;
    let colleague = fixtures::user(&db, "colleague", Some(team), &["sales_rep"]).await;
    let outsider = fixtures::user(&db, "outsider", Some(other_team), &["sales_rep"]).await;
    let reader = fixtures::user(&db, "reader", Some(team), &["read_only"]).await;
    let mut customers = [0; 3];
    for (slot, input) in customers.iter_mut().zip([
        json!({"name": "北京一号店", "province": "北京", "level": "普通"}),
        json!({"name": "北京二号店", "province": "北京", "level": "普通"}),
        json!({"name": "上海旗舰店", "province": "上海", "level": "VIP"}),
    ]) {
        *slot = fixtures::account(&db, &rep, input).await.id;
    }
    fixtures::contact(&db, &rep, customers[0], json!({"name": "王店长"})).await;
    let other = fixtures::named_account(&db, &outsider, "华南的客户")
        .await
        .id;
    let token = |id| auth::create_api_token(&db, id, "t");
    World {
        app: router(AppState::new(db.clone(), WebConfig::default())),
        admin: token(admin.user_id).await.unwrap(),
        rep: token(rep.user_id).await.unwrap(),
        rep_id: rep.user_id,
        colleague_id: colleague.user_id,
        reader: token(reader.user_id).await.unwrap(),
        customers,
        other,
        db,
    }
}

impl World {
    async fn call(&self, method: &str, uri: &str, token: &str, body: Option<Json>) -> Reply {
        let request = support::bearer(method, uri, token).header(header::ACCEPT_LANGUAGE, "en");
        support::send(&self.app, support::with_json(request, body)).await
    }

    async fn page(&self, uri: &str, token: &str, language: &str) -> Reply {
        let request = support::bearer("GET", uri, token).header(header::ACCEPT_LANGUAGE, language);
        support::send(&self.app, support::with_json(request, None)).await
    }

    async fn post_form(
        &self,
        uri: &str,
        token: &str,
        language: &str,
        pairs: &[(&str, String)],
    ) -> Reply {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        let request = support::bearer("POST", uri, token).header(header::ACCEPT_LANGUAGE, language);
        support::send(&self.app, support::with_form(request, &pairs)).await
    }

    async fn account(&self, id: i64) -> Json {
        let reply = self
            .call("GET", &format!("/api/v1/accounts/{id}"), &self.admin, None)
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        reply.json()
    }
}

async fn the_api_changes_chosen_or_filtered_records(db: Db) {
    let w = world(db).await;
    let [first, second, third] = w.customers;
    // By ids: the other team's customer is left out without being named.
    let body = json!({"ids": [first, w.other], "changes": {"level": "VIP", "custom": {"wechat": "shop-1"}}});
    let preview = w
        .call(
            "POST",
            "/api/v1/accounts/mass-update/preview",
            &w.rep,
            Some(body.clone()),
        )
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.text());
    assert_eq!(
        preview.json(),
        json!({"matched": 1, "changed": 1, "moved_with": {}})
    );
    assert_eq!(
        w.account(first).await["version"],
        1,
        "a preview changes nothing"
    );
    let done = w
        .call("POST", "/api/v1/accounts/mass-update", &w.rep, Some(body))
        .await;
    assert_eq!(done.json(), preview.json());
    let changed = w.account(first).await;
    assert_eq!(
        (
            &changed["level"],
            &changed["custom"]["wechat"],
            &changed["version"]
        ),
        (&json!("VIP"), &json!("shop-1"), &json!(2))
    );
    assert_eq!(w.account(w.other).await["version"], 1);

    // By the list's filters: every 北京 customer of the rep, given to a colleague with its
    // contact.
    let body = json!({"filters": {"province": "北京", "q": "店"}, "changes": {"owner_id": w.colleague_id, "lifecycle_status": "active"}});
    let done = w
        .call("POST", "/api/v1/accounts/mass-update", &w.admin, Some(body))
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text());
    assert_eq!(
        done.json(),
        json!({"matched": 2, "changed": 2, "moved_with": {"contact": 1}})
    );
    for id in [first, second] {
        assert_eq!(w.account(id).await["owner_id"], w.colleague_id);
    }
    assert_eq!(w.account(third).await["owner_id"], w.rep_id);

    // The customer's timeline tells who changed what from what.
    let timeline = w
        .call(
            "GET",
            &format!("/api/v1/accounts/{first}/timeline"),
            &w.admin,
            None,
        )
        .await
        .json();
    let updates: Vec<&Json> = timeline["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["entity"] == "account" && e["action"] == "updated")
        .collect();
    assert!(updates.iter().any(|e| e["changes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["field"] == "level" && c["old"] == "普通" && c["new"] == "VIP")));
    assert!(updates.iter().any(|e| e["changes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["field"] == "owner_id" && c["new"] == w.colleague_id)));
    // The audit log holds one entry per action, with the counts.
    let audit = w
        .call("GET", "/api/v1/audit?action=mass_updated", &w.admin, None)
        .await
        .json();
    let entries = audit["data"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{audit}");
    let summary: Json = serde_json::from_str(entries[0]["summary"].as_str().unwrap()).unwrap();
    assert_eq!(summary["moved_with"]["contact"], 1);
}

async fn the_api_refuses_bad_requests_by_field_and_writes_nothing(db: Db) {
    let w = world(db).await;
    let mut rules = FieldRules::default();
    rules.set("account", "credit_limit", FieldAccess::Hidden);
    rules.set("account", "city", FieldAccess::ReadOnly);
    let rep_role = roles::list(&w.db)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.name == "sales_rep")
        .unwrap();
    field_security::replace(&w.db, &Origin::default(), rep_role.id, &rules)
        .await
        .unwrap();
    let first = w.customers[0];
    let too_many: Vec<i64> = (1..=MAX_RECORDS as i64 + 1).collect();
    let cases: Vec<(&str, Json, StatusCode, &str, &str)> = vec![
        (
            "rep",
            json!({"ids": [first], "changes": {"credit_limit": 5}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "credit_limit",
            "field_hidden",
        ),
        (
            "rep",
            json!({"ids": [first], "changes": {"city": "南京"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "city",
            "field_read_only",
        ),
        (
            "rep",
            json!({"ids": [first], "changes": {"name": "同名"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "name",
            "not_mass_updatable",
        ),
        (
            "rep",
            json!({"ids": [first], "changes": {"level": "钻石"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "level",
            "not_in_list",
        ),
        (
            "rep",
            json!({"ids": [first], "changes": {"email": "not an address"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "email",
            "invalid_email",
        ),
        (
            "rep",
            json!({"ids": [first], "changes": {}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "changes",
            "no_changes",
        ),
        (
            "rep",
            json!({"ids": [first], "changes": {"owner_id": w.colleague_id}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "owner_id",
            "not_allowed",
        ),
        (
            "rep",
            json!({"ids": [], "changes": {"level": "VIP"}}),
            StatusCode::BAD_REQUEST,
            "ids",
            "no_records",
        ),
        (
            "rep",
            json!({"ids": ["x"], "changes": {"level": "VIP"}}),
            StatusCode::BAD_REQUEST,
            "ids",
            "not_id",
        ),
        (
            "rep",
            json!({"ids": too_many, "changes": {"level": "VIP"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "ids",
            "too_many_records",
        ),
        (
            "rep",
            json!({"changes": {"level": "VIP"}}),
            StatusCode::BAD_REQUEST,
            "ids",
            "one_selection",
        ),
        (
            "rep",
            json!({"ids": [first], "filters": {}, "changes": {"level": "VIP"}}),
            StatusCode::BAD_REQUEST,
            "ids",
            "one_selection",
        ),
        (
            "rep",
            json!({"filters": {"cursor": "x"}, "changes": {"level": "VIP"}}),
            StatusCode::BAD_REQUEST,
            "filters.cursor",
            "unknown_filter",
        ),
        (
            "rep",
            json!({"filters": {"colour": "red"}, "changes": {"level": "VIP"}}),
            StatusCode::BAD_REQUEST,
            "colour",
            "unknown_filter",
        ),
        (
            "rep",
            json!({"filters": {"credit_limit__gte": "1"}, "changes": {"level": "VIP"}}),
            StatusCode::BAD_REQUEST,
            "credit_limit",
            "field_hidden",
        ),
        (
            "rep",
            json!({"ids": [first], "changes": "VIP"}),
            StatusCode::BAD_REQUEST,
            "changes",
            "not_object",
        ),
        (
            "rep",
            json!({"ids": [first], "changes": {"level": "VIP", "version": 1}}),
            StatusCode::BAD_REQUEST,
            "version",
            "unknown_field",
        ),
        (
            "rep",
            json!({"ids": [first], "changes": {"colour": "red"}}),
            StatusCode::BAD_REQUEST,
            "colour",
            "unknown_field",
        ),
        (
            "rep",
            json!({"ids": [first], "changes": {"level": "VIP"}, "dry_run": true}),
            StatusCode::BAD_REQUEST,
            "dry_run",
            "unknown_field",
        ),
        (
            "reader",
            json!({"ids": [first], "changes": {"level": "VIP"}}),
            StatusCode::FORBIDDEN,
            "",
            "",
        ),
    ];
    let before = sql::dump(&w.db).await;
    for (who, body, status, field, code) in cases {
        let token = if who == "rep" { &w.rep } else { &w.reader };
        for uri in [
            "/api/v1/accounts/mass-update/preview",
            "/api/v1/accounts/mass-update",
        ] {
            let reply = w.call("POST", uri, token, Some(body.clone())).await;
            assert_eq!(reply.status, status, "{uri} {body}: {}", reply.text());
            if !field.is_empty() {
                assert_eq!(
                    reply.json()["error"]["fields"][field]["code"],
                    code,
                    "{uri} {body}: {}",
                    reply.text()
                );
            }
        }
    }
    assert_eq!(sql::dump(&w.db).await, before, "no refusal wrote anything");
}

async fn the_list_page_leads_to_a_preview_and_then_the_change(db: Db) {
    let w = world(db).await;
    let [first, second, third] = w.customers;
    // The list has a box per row and the two ways in.
    let list = w
        .page("/accounts?province=%E5%8C%97%E4%BA%AC", &w.rep, "en")
        .await
        .text();
    assert!(list.contains("id=\"mass-select\""), "{list}");
    assert!(list.contains(&format!("name=\"ids\" value=\"{first}\"")));
    assert!(list.contains("Change selected"));
    assert!(
        list.contains("/accounts/mass-update?all=1&#38;province=%E5%8C%97%E4%BA%AC"),
        "{list}"
    );
    assert!(list.contains("Change all 2"));

    // The ticked rows: the form names them and offers the fields the rep may set.
    let uri =
        format!("/accounts/mass-update?ids={first}&ids={third}&list=province%3D%E5%8C%97%E4%BA%AC");
    let form = w.page(&uri, &w.rep, "en").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text());
    let form = form.text();
    assert!(form.contains("Change several customers"), "{form}");
    assert!(form.contains("Selected: 2 customers"), "{form}");
    assert!(form.contains("name=\"new.level\""));
    assert!(form.contains("name=\"new.custom.wechat\""));
    assert!(
        form.contains("name=\"new.owner_id\""),
        "a rep may give records to themselves"
    );
    assert!(
        !form.contains("name=\"new.name\""),
        "names are not set on many records"
    );
    assert!(
        form.contains("href=\"/accounts?province=%E5%8C%97%E4%BA%AC\""),
        "back to the list"
    );

    let ticked = |step: &str| {
        vec![
            ("ids", first.to_string()),
            ("ids", third.to_string()),
            ("list", "province=%E5%8C%97%E4%BA%AC".to_string()),
            ("set", "level".to_string()),
            ("new.level", "VIP".to_string()),
            // Not ticked: left as it is.
            ("new.city", "南京".to_string()),
            ("step", step.to_string()),
        ]
    };
    let preview = w
        .post_form("/accounts/mass-update", &w.rep, "en", &ticked("preview"))
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.text());
    let preview = preview.text();
    assert!(preview.contains("Will change"), "{preview}");
    assert!(
        preview.contains("1 customer<"),
        "the 上海 customer is VIP already: {preview}"
    );
    assert!(preview.contains("Already have these values"));
    assert!(preview.contains("Apply to 1 customer"));
    assert!(
        preview.contains("<dt>Level</dt><dd>VIP</dd>"),
        "the preview repeats the new values: {preview}"
    );
    assert!(!preview.contains("<dt>City</dt>"), "only ticked fields");
    assert_eq!(
        w.account(first).await["version"],
        1,
        "a preview changes nothing"
    );

    let applied = w
        .post_form("/accounts/mass-update", &w.rep, "en", &ticked("apply"))
        .await;
    assert_eq!(applied.status, StatusCode::SEE_OTHER, "{}", applied.text());
    let back = applied.location().to_string();
    assert!(
        back.starts_with("/accounts?province=%E5%8C%97%E4%BA%AC&notice=mass_updated&changed=1"),
        "{back}"
    );
    let list = w.page(&back, &w.rep, "en").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text());
    assert!(
        list.text().contains("Changed 1 customer."),
        "{}",
        list.text()
    );
    let changed = w.account(first).await;
    assert_eq!(
        (&changed["level"], &changed["city"]),
        (&json!("VIP"), &Json::Null)
    );
    assert_eq!(w.account(second).await["version"], 1);

    // The customer's page shows the change in its timeline.
    let page = w
        .page(&format!("/accounts/{first}"), &w.rep, "en")
        .await
        .text();
    assert!(page.contains("VIP"), "{page}");

    // A problem is shown on the form, under the field, and nothing changes.
    let before = sql::dump(&w.db).await;
    let bad = vec![
        ("all", "1".to_string()),
        ("province", "北京".to_string()),
        ("set", "lifecycle_status".to_string()),
        ("new.lifecycle_status", String::new()),
        ("step", "apply".to_string()),
    ];
    let refused = w
        .post_form("/accounts/mass-update", &w.rep, "en", &bad)
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().contains("field-error"), "{}", refused.text());
    let nothing_ticked = vec![("ids", first.to_string()), ("step", "preview".to_string())];
    let refused = w
        .post_form("/accounts/mass-update", &w.rep, "en", &nothing_ticked)
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.text().contains("tick at least one field to change"),
        "{}",
        refused.text()
    );
    let nothing_chosen = w.page("/accounts/mass-update", &w.rep, "en").await;
    assert_eq!(nothing_chosen.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(nothing_chosen
        .text()
        .contains("choose at least one record on the list first"));
    assert_eq!(sql::dump(&w.db).await, before);

    // The audit page states the action in words.
    let audit = w
        .page("/admin/audit?action=mass_updated", &w.admin, "en")
        .await
        .text();
    assert!(audit.contains("Changed 1 customer."), "{audit}");
    assert!(audit.contains("Level: — → VIP"), "{audit}");
}

async fn the_pages_speak_chinese_and_are_offered_only_to_those_who_may(db: Db) {
    let w = world(db).await;
    let [first, second, _] = w.customers;
    let list = w.page("/accounts", &w.rep, "zh-CN").await.text();
    assert!(
        list.contains("批量修改所选") && list.contains("修改全部 3 条"),
        "{list}"
    );
    let form = w
        .page(
            "/accounts/mass-update?all=1&province=%E5%8C%97%E4%BA%AC",
            &w.rep,
            "zh-CN",
        )
        .await
        .text();
    assert!(
        form.contains("批量修改客户") && form.contains("列表全部：2 个客户"),
        "{form}"
    );
    let pairs = vec![
        ("all", "1".to_string()),
        ("province", "北京".to_string()),
        ("set", "industry".to_string()),
        ("new.industry", "零售".to_string()),
        ("step", "apply".to_string()),
    ];
    let applied = w
        .post_form("/accounts/mass-update", &w.rep, "zh-CN", &pairs)
        .await;
    assert_eq!(applied.status, StatusCode::SEE_OTHER, "{}", applied.text());
    let list = w.page(applied.location(), &w.rep, "zh-CN").await.text();
    assert!(list.contains("已修改 2 个客户。"), "{list}");
    for id in [first, second] {
        assert_eq!(w.account(id).await["industry"], "零售");
    }
    // The contact list has the same, for contacts.
    let contacts = w.page("/contacts", &w.rep, "en").await.text();
    assert!(contacts.contains("Change all 1"), "{contacts}");
    assert!(w
        .page("/contacts/mass-update?all=1", &w.rep, "en")
        .await
        .text()
        .contains("Change several contacts"));

    // A read-only user sees no boxes, and the form is not found.
    let list = w.page("/accounts", &w.reader, "en").await.text();
    assert!(!list.contains("mass-select") && !list.contains("Change selected"));
    let form = w
        .page(
            &format!("/accounts/mass-update?ids={first}"),
            &w.reader,
            "en",
        )
        .await;
    assert_eq!(form.status, StatusCode::NOT_FOUND);
}
