//! The HTML pages through the router, as a browser uses them: sign-in cookie, CSRF token
//! in forms, POST-redirect-GET, inline errors, languages and permissions. Every test runs
//! on a fresh SQLite file and a fresh PostgreSQL database.

#[path = "../../kehu-db/tests/common/mod.rs"]
mod common;

use axum::body::{to_bytes, Body};
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::{middleware, Router};
use common::{fixtures, sql};
use kehu_core::entity::ACCOUNT;
use kehu_core::permission::Actor;
use kehu_db::users::{self, NewUser};
use kehu_db::{records, teams, Db};
use kehu_web::auth::csrf::require_csrf_token;
use kehu_web::auth::password::hash_password;
use kehu_web::pages::page_routes;
use kehu_web::pages::url::query_string;
use kehu_web::{AppState, WebConfig};
use serde_json::json;
use tower::ServiceExt;

const PASSWORD: &str = "correct horse battery";

/// The pages with the same CSRF layer the application router puts around them.
fn app(db: &Db) -> Router {
    let state = AppState::new(db.clone(), WebConfig::default());
    Router::new()
        .merge(page_routes())
        .layer(middleware::from_fn_with_state(
            state.clone(),
            require_csrf_token,
        ))
        .with_state(state)
}

/// What came back.
struct Page {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Page {
    fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    fn set_cookie(&self) -> Option<&str> {
        self.headers
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
    }
}

/// A browser: its session cookie, CSRF token and language.
#[derive(Clone, Default)]
struct Browser {
    cookie: Option<String>,
    csrf: String,
    language: String,
}

struct World {
    app: Router,
    db: Db,
    rep_a: Actor,
    rep_b: Actor,
}

async fn person(
    db: &Db,
    username: &str,
    display: &str,
    team: Option<i64>,
    roles: &[&str],
) -> Actor {
    let user = users::create(
        db,
        NewUser {
            username: username.into(),
            display_name: display.into(),
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

/// Two sales teams with a rep each, and an admin.
async fn world(db: Db) -> World {
    fixtures::seed(&db).await;
    let east = teams::create(&db, "华东销售组", None).await.unwrap().id;
    let south = teams::create(&db, "华南销售组", None).await.unwrap().id;
    // The admin signs in by name in the tests that need one.
    person(&db, "boss", "老板", None, &["admin"]).await;
    World {
        app: app(&db),
        rep_a: person(&db, "wang", "王芳", Some(east), &["sales_rep"]).await,
        rep_b: person(&db, "li", "李强", Some(south), &["sales_rep"]).await,
        db,
    }
}

impl World {
    async fn send(
        &self,
        browser: &Browser,
        request: axum::http::request::Builder,
        body: Body,
    ) -> Page {
        let mut request = request;
        if let Some(cookie) = &browser.cookie {
            request = request.header(header::COOKIE, cookie);
        }
        if !browser.language.is_empty() {
            request = request.header(header::ACCEPT_LANGUAGE, &browser.language);
        }
        let response = self
            .app
            .clone()
            .oneshot(request.body(body).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        Page {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn get(&self, browser: &Browser, uri: &str) -> Page {
        self.send(browser, Request::builder().uri(uri), Body::empty())
            .await
    }

    async fn htmx_get(&self, browser: &Browser, uri: &str) -> Page {
        self.send(
            browser,
            Request::builder().uri(uri).header("HX-Request", "true"),
            Body::empty(),
        )
        .await
    }

    /// Posts a form as the browser would, with the page's CSRF token.
    async fn post(&self, browser: &Browser, uri: &str, fields: &[(&str, &str)]) -> Page {
        let mut pairs: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        pairs.push(("csrf_token".into(), browser.csrf.clone()));
        self.post_raw(browser, uri, &pairs).await
    }

    async fn post_raw(&self, browser: &Browser, uri: &str, pairs: &[(String, String)]) -> Page {
        let request = Request::builder()
            .method("POST")
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        self.send(browser, request, Body::from(query_string(pairs)))
            .await
    }

    /// Signs in through the form and reads the CSRF token from the page's `<meta>`.
    async fn sign_in(&self, username: &str, language: &str) -> Browser {
        let mut browser = Browser {
            language: language.into(),
            ..Browser::default()
        };
        let page = self
            .post(
                &browser,
                "/login",
                &[
                    ("username", username),
                    ("password", PASSWORD),
                    ("next", "/"),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
        let cookie = page.set_cookie().expect("a session cookie");
        browser.cookie = Some(cookie.split(';').next().unwrap().to_string());
        let home = self.get(&browser, "/").await;
        assert_eq!(home.status, StatusCode::OK, "{}", home.body);
        browser.csrf = meta_content(&home.body, "csrf-token").expect("csrf meta");
        browser
    }
}

fn meta_content(html: &str, name: &str) -> Option<String> {
    let marker = format!("<meta name=\"{name}\" content=\"");
    let start = html.find(&marker)? + marker.len();
    Some(html[start..].split('"').next()?.to_string())
}

async fn account_count(db: &Db) -> i64 {
    let query = fixtures::query(&ACCOUNT, "-id", &[], 200);
    records::list(
        db,
        &ACCOUNT,
        &kehu_core::permission::Visibility::Everything,
        &query,
        &[],
    )
    .await
    .unwrap()
    .records
    .len() as i64
}

// ---------------------------------------------------------------- sign-in

async fn signing_in_sets_an_http_only_session_cookie(db: Db) {
    let w = world(db).await;
    let browser = Browser {
        language: "en".into(),
        ..Browser::default()
    };
    let form = w.get(&browser, "/login?next=/accounts").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.body.contains("name=\"next\" value=\"/accounts\""),
        "{}",
        form.body
    );

    let page = w
        .post(
            &browser,
            "/login",
            &[
                ("username", "wang"),
                ("password", PASSWORD),
                ("next", "/accounts?level=VIP"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/accounts?level=VIP");
    let cookie = page.set_cookie().unwrap();
    assert!(cookie.starts_with("kehu_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "plain-HTTP default config: {cookie}"
    );

    // `next` must stay on this site.
    for evil in [
        "//evil.example/x",
        "https://evil.example",
        "/\\evil.example",
    ] {
        let page = w
            .post(
                &browser,
                "/login",
                &[("username", "wang"), ("password", PASSWORD), ("next", evil)],
            )
            .await;
        assert_eq!(page.location(), "/", "{evil}");
    }
}

async fn a_wrong_password_shows_an_error_and_sets_no_cookie(db: Db) {
    let w = world(db).await;
    let browser = Browser {
        language: "zh-CN".into(),
        ..Browser::default()
    };
    let page = w
        .post(
            &browser,
            "/login",
            &[("username", "wang"), ("password", "wrong password")],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.set_cookie().is_none());
    assert!(page.body.contains("用户名或密码错误"), "{}", page.body);
    assert!(
        page.body.contains("value=\"wang\""),
        "the name stays filled in"
    );
    assert!(page.body.contains("<html lang=\"zh-CN\">"));

    // After five failures the name is locked, and the page says until when.
    for _ in 0..5 {
        w.post(
            &browser,
            "/login",
            &[("username", "wang"), ("password", "still wrong")],
        )
        .await;
    }
    let locked = w
        .post(
            &browser,
            "/login",
            &[("username", "wang"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(locked.set_cookie().is_none());
    assert!(locked.body.contains("尝试次数过多"), "{}", locked.body);
}

async fn pages_need_a_session_and_sign_out_ends_it(db: Db) {
    let w = world(db).await;
    let anonymous = Browser::default();
    let page = w.get(&anonymous, "/accounts?level__in=VIP").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/login?next=/accounts%3Flevel__in%3DVIP");

    let browser = w.sign_in("wang", "en").await;
    let out = w.post(&browser, "/logout", &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.location(), "/login");
    assert!(
        out.set_cookie().unwrap().contains("kehu_session=;"),
        "{:?}",
        out.set_cookie()
    );
    // The old cookie no longer works: the session is gone from the database.
    let page = w.get(&browser, "/").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(page.location().starts_with("/login"));
}

// ---------------------------------------------------------------- CSRF

async fn a_post_without_the_csrf_token_is_refused_and_writes_nothing(db: Db) {
    let w = world(db).await;
    let browser = w.sign_in("wang", "en").await;
    let pairs = vec![("name".to_string(), "没有令牌的客户".to_string())];
    let page = w.post_raw(&browser, "/accounts", &pairs).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let forged = Browser {
        csrf: "forged".into(),
        ..browser.clone()
    };
    let page = w
        .post(&forged, "/accounts", &[("name", "伪造令牌的客户")])
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert_eq!(account_count(&w.db).await, 0);
}

// ---------------------------------------------------------------- customers

async fn creating_a_customer_leads_to_its_360_page(db: Db) {
    let w = world(db).await;
    let browser = w.sign_in("wang", "en").await;
    let form = w.get(&browser, "/accounts/new").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("name=\"csrf_token\""));
    assert!(
        form.body.contains("<option value=\"VIP\">VIP</option>"),
        "picklist values are offered"
    );

    let page = w
        .post(
            &browser,
            "/accounts",
            &[
                ("name", "北京华为科技有限公司"),
                ("kind", "company"),
                ("level", "VIP"),
                ("lifecycle_status", "potential"),
                ("credit_limit", "5,000.50"),
                ("email", ""),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let location = page.location().to_string();
    assert!(location.starts_with("/accounts/"), "{location}");

    let detail = w.get(&browser, &location).await;
    assert_eq!(detail.status, StatusCode::OK);
    assert!(detail.body.contains("北京华为科技有限公司"));
    assert!(detail.body.contains("5,000.50"), "money in major units");
    assert!(
        detail.body.contains("timeline__item--created"),
        "a created entry in the timeline"
    );
    assert!(detail.body.contains("王芳</span>"), "who created it");
    assert!(
        detail.body.contains(">created customer<"),
        "{}",
        detail.body
    );

    // The list shows it, and htmx gets only the results fragment.
    let list = w.get(&browser, "/accounts?q=华为").await;
    assert!(list.body.contains("北京华为科技有限公司"));
    assert!(list.body.contains("1 customer<"));
    let fragment = w.htmx_get(&browser, "/accounts?level__in=VIP").await;
    assert!(fragment.body.contains("北京华为科技有限公司"));
    assert!(!fragment.body.contains("<html"), "a fragment, not a page");
    let none = w
        .htmx_get(&browser, "/accounts?level__in=%E6%99%AE%E9%80%9A")
        .await;
    assert!(!none.body.contains("北京华为科技有限公司"));
}

async fn an_invalid_email_shows_the_error_under_the_field_and_keeps_the_input(db: Db) {
    let w = world(db).await;
    let browser = w.sign_in("wang", "zh-CN").await;
    let page = w
        .post(
            &browser,
            "/accounts",
            &[
                ("name", "上海<测试>贸易"),
                ("kind", "company"),
                ("lifecycle_status", "active"),
                ("email", "not-an-email"),
                ("city", "上海"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("请填写有效的邮箱地址"), "{}", page.body);
    assert!(page
        .body
        .contains("aria-invalid=\"true\" aria-describedby=\"f-email-error\""));
    assert!(
        page.body.contains("value=\"not-an-email\""),
        "typed e-mail kept"
    );
    assert!(
        page.body.contains("value=\"上海&#60;测试&#62;贸易\"")
            || page.body.contains("value=\"上海&lt;测试&gt;贸易\""),
        "typed name kept, escaped"
    );
    assert!(
        page.body.contains("<option value=\"active\" selected>"),
        "choice kept"
    );
    assert_eq!(account_count(&w.db).await, 0);
}

async fn a_stale_edit_shows_the_conflict_and_does_not_overwrite(db: Db) {
    let w = world(db).await;
    let record = fixtures::account(
        &w.db,
        &w.rep_a,
        json!({"name": "深圳前海贸易", "city": "深圳"}),
    )
    .await;
    let browser = w.sign_in("wang", "en").await;
    let form = w
        .get(&browser, &format!("/accounts/{}/edit", record.id))
        .await;
    assert!(form.body.contains("name=\"version\" value=\"1\""));

    // Someone else saves first.
    fixtures::try_update(
        &w.db,
        &ACCOUNT,
        &w.rep_a,
        record.id,
        1,
        json!({"city": "广州"}),
    )
    .await
    .unwrap();

    let page = w
        .post(
            &browser,
            &format!("/accounts/{}/edit", record.id),
            &[
                ("version", "1"),
                ("name", "深圳前海贸易"),
                ("kind", "company"),
                ("lifecycle_status", "potential"),
                ("city", "东莞"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    assert!(
        page.body
            .contains("Someone else changed this customer while you were editing"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("<td>广州</td><td>东莞</td>"),
        "their value next to mine"
    );
    assert!(
        page.body.contains("value=\"东莞\""),
        "my input is kept in the form"
    );
    assert!(
        page.body.contains("name=\"version\" value=\"2\""),
        "saving again is a deliberate overwrite"
    );
    let stored = records::get(
        &w.db,
        &ACCOUNT,
        &kehu_core::permission::Visibility::Everything,
        record.id,
    )
    .await
    .unwrap();
    assert_eq!(stored.text("city"), Some("广州"));
    assert_eq!(stored.version, 2);

    // Saving again on purpose works and is shown in the timeline with old → new.
    let page = w
        .post(
            &browser,
            &format!("/accounts/{}/edit", record.id),
            &[
                ("version", "2"),
                ("name", "深圳前海贸易"),
                ("kind", "company"),
                ("lifecycle_status", "potential"),
                ("city", "东莞"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let detail = w.get(&browser, &format!("/accounts/{}", record.id)).await;
    assert!(
        detail.body.contains(
            "<del class=\"change__old\">广州</del> → <ins class=\"change__new\">东莞</ins>"
        ),
        "{}",
        detail.body
    );
}

async fn labels_follow_accept_language_and_the_saved_choice(db: Db) {
    let w = world(db).await;
    let chinese = w.sign_in("wang", "zh-CN,zh;q=0.9,en;q=0.8").await;
    let page = w.get(&chinese, "/accounts").await;
    assert!(page.body.contains("<html lang=\"zh-CN\">"));
    assert!(
        page.body.contains("新建客户")
            && page.body.contains("客户级别")
            && page.body.contains("生命周期"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("New customer"));

    let english = Browser {
        language: "en-US,en;q=0.9".into(),
        ..chinese.clone()
    };
    let page = w.get(&english, "/accounts").await;
    assert!(page.body.contains("<html lang=\"en\">"));
    assert!(
        page.body.contains("New customer") && page.body.contains(">Lifecycle<"),
        "{}",
        page.body
    );

    // The user menu's switch wins over the browser from then on.
    let switched = w
        .post(
            &english,
            "/settings/locale",
            &[("locale", "zh-CN"), ("back", "/contacts")],
        )
        .await;
    assert_eq!(switched.status, StatusCode::SEE_OTHER);
    assert_eq!(switched.location(), "/contacts");
    let page = w.get(&english, "/contacts").await;
    assert!(page.body.contains("新建联系人"), "{}", page.body);
}

async fn a_sales_rep_gets_not_found_for_another_teams_customer(db: Db) {
    let w = world(db).await;
    let theirs = fixtures::account(&w.db, &w.rep_b, json!({"name": "广州南方机密客户"})).await;
    let browser = w.sign_in("wang", "en").await;
    for uri in [
        format!("/accounts/{}", theirs.id),
        format!("/accounts/{}/edit", theirs.id),
        format!("/accounts/{}/timeline", theirs.id),
    ] {
        let page = w.get(&browser, &uri).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(!page.body.contains("广州南方机密客户"), "{uri}");
        assert!(page.body.contains("Not found"));
    }
    let page = w
        .post(&browser, &format!("/accounts/{}/delete", theirs.id), &[])
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let list = w.get(&browser, "/accounts").await;
    assert!(!list.body.contains("广州南方机密客户"));
    let search = w.get(&browser, "/search?q=机密").await;
    assert!(!search.body.contains("广州南方机密客户"));
    // The owner sees it.
    let owner = w.sign_in("li", "en").await;
    assert_eq!(
        w.get(&owner, &format!("/accounts/{}", theirs.id))
            .await
            .status,
        StatusCode::OK
    );
}

// ---------------------------------------------------------------- contacts, search, recycle bin

async fn contacts_show_their_customer_and_reporting_line(db: Db) {
    let w = world(db).await;
    let account = fixtures::account(&w.db, &w.rep_a, json!({"name": "杭州云栖科技"})).await;
    let boss = fixtures::contact(
        &w.db,
        &w.rep_a,
        account.id,
        json!({"name": "张总", "title": "总经理"}),
    )
    .await;
    let browser = w.sign_in("wang", "zh-CN").await;
    let form = w
        .get(
            &browser,
            &format!("/contacts/new?account_id={}", account.id),
        )
        .await;
    assert!(
        form.body.contains(&format!(
            "<option value=\"{}\" selected>杭州云栖科技</option>",
            account.id
        )),
        "{}",
        form.body
    );
    assert!(
        form.body
            .contains(&format!("<option value=\"{}\">张总</option>", boss.id)),
        "reports-to choices"
    );

    let page = w
        .post(
            &browser,
            "/contacts",
            &[
                ("account_id", &account.id.to_string()),
                ("name", "李经理"),
                ("mobile", "138 0013 8000"),
                ("reports_to_id", &boss.id.to_string()),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let detail = w.get(&browser, page.location()).await;
    assert!(detail.body.contains("李经理") && detail.body.contains("杭州云栖科技"));
    assert!(detail
        .body
        .contains(&format!("<a href=\"/contacts/{}\">张总</a>", boss.id)));

    let account_page = w.get(&browser, &format!("/accounts/{}", account.id)).await;
    assert!(
        account_page.body.contains("tree-depth-1"),
        "the report is indented under the boss"
    );
    assert!(account_page.body.contains("上级：张总"));

    let boss_page = w.get(&browser, &format!("/contacts/{}", boss.id)).await;
    assert!(
        boss_page.body.contains("李经理"),
        "direct reports are listed"
    );

    let search = w.get(&browser, "/search?q=13800138000").await;
    assert!(search.body.contains("李经理"), "{}", search.body);
    assert!(
        search.body.contains("138 0013 8000"),
        "the matching phone number is shown"
    );
}

async fn deleted_records_can_be_restored_from_the_recycle_bin(db: Db) {
    let w = world(db).await;
    let account = fixtures::account(&w.db, &w.rep_a, json!({"name": "回收测试公司"})).await;
    let browser = w.sign_in("wang", "en").await;
    let page = w
        .post(&browser, &format!("/accounts/{}/delete", account.id), &[])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/accounts?notice=deleted");
    assert_eq!(
        w.get(&browser, &format!("/accounts/{}", account.id))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let list = w.get(&browser, page.location()).await;
    assert!(list.body.contains("Moved to the recycle bin."));

    let bin = w.get(&browser, "/recycle-bin").await;
    assert!(bin.body.contains("回收测试公司"));
    let page = w
        .post(
            &browser,
            &format!("/recycle-bin/accounts/{}/restore", account.id),
            &[],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(
        w.get(&browser, &format!("/accounts/{}", account.id))
            .await
            .status,
        StatusCode::OK
    );
}

async fn saved_filters_reproduce_a_list(db: Db) {
    let w = world(db).await;
    fixtures::account(
        &w.db,
        &w.rep_a,
        json!({"name": "重要客户甲", "level": "VIP"}),
    )
    .await;
    fixtures::account(
        &w.db,
        &w.rep_a,
        json!({"name": "普通客户乙", "level": "普通"}),
    )
    .await;
    let browser = w.sign_in("wang", "en").await;
    let page = w
        .post(
            &browser,
            "/accounts/saved-filters",
            &[("name", "我的VIP"), ("query", "level__in=VIP&sort=name")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let list = w.get(&browser, page.location()).await;
    assert!(list.body.contains("Filter saved."));
    assert!(list.body.contains("重要客户甲") && !list.body.contains("普通客户乙"));
    assert!(
        list.body.contains("我的VIP"),
        "the saved filter is in the dropdown"
    );
    assert!(
        list.body.contains("/api/v1/accounts/export?"),
        "export link with the same filter"
    );

    let bad = w.get(&browser, "/accounts?colour=red").await;
    assert_eq!(bad.status, StatusCode::OK);
    assert!(
        bad.body.contains("is not a filter of this list"),
        "{}",
        bad.body
    );
}

// ---------------------------------------------------------------- administration

async fn admin_pages_exist_only_for_administrators(db: Db) {
    let w = world(db).await;
    let rep = w.sign_in("wang", "en").await;
    for uri in [
        "/admin",
        "/admin/users",
        "/admin/teams",
        "/admin/roles",
        "/admin/picklists",
        "/admin/custom-fields",
        "/admin/audit",
    ] {
        assert_eq!(
            w.get(&rep, uri).await.status,
            StatusCode::NOT_FOUND,
            "{uri}"
        );
    }
    assert_eq!(
        w.post(&rep, "/admin/picklists/level/add", &[("value", "黑名单")])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let home = w.get(&rep, "/").await;
    assert!(!home.body.contains("href=\"/admin\""));

    let admin = w.sign_in("boss", "zh-CN").await;
    let home = w.get(&admin, "/").await;
    assert!(home.body.contains("href=\"/admin\""));
    let users_page = w.get(&admin, "/admin/users").await;
    assert_eq!(users_page.status, StatusCode::OK);
    assert!(users_page.body.contains("王芳") && users_page.body.contains("销售代表"));

    // Create a user through the form; a short password is refused inline first.
    let fields = [
        ("username", "zhao"),
        ("display_name", "赵敏"),
        ("password", "short"),
        ("role", "sales_manager"),
    ];
    let page = w.post(&admin, "/admin/users", &fields).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("至少 10 个字符"));
    assert!(page.body.contains("value=\"赵敏\""));
    let fields = [
        ("username", "zhao"),
        ("display_name", "赵敏"),
        ("password", PASSWORD),
        ("role", "sales_manager"),
    ];
    let page = w.post(&admin, "/admin/users", &fields).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let new_user = w.sign_in("zhao", "zh-CN").await;
    assert_eq!(w.get(&new_user, "/").await.status, StatusCode::OK);

    // Picklist values and custom fields appear in the customer form.
    assert_eq!(
        w.post(&admin, "/admin/picklists/level/add", &[("value", "战略")])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let custom = [
        ("entity", "account"),
        ("key", "wechat_id"),
        ("label_zh", "微信号"),
        ("label_en", "WeChat ID"),
        ("kind", "text"),
    ];
    assert_eq!(
        w.post(&admin, "/admin/custom-fields", &custom).await.status,
        StatusCode::SEE_OTHER
    );
    let form = w.get(&admin, "/accounts/new").await;
    assert!(form.body.contains("<option value=\"战略\">战略</option>"));
    assert!(form.body.contains("微信号") && form.body.contains("name=\"custom.wechat_id\""));

    // Roles: the matrix saves with its version; a stale save is refused.
    let roles = kehu_db::roles::list(&w.db).await.unwrap();
    let rep_role = roles.iter().find(|r| r.name == "sales_rep").unwrap();
    let uri = format!("/admin/roles/{}", rep_role.id);
    let matrix = w.get(&admin, &uri).await;
    assert!(matrix.body.contains("name=\"account.read\""));
    let version = rep_role.version.to_string();
    let page = w
        .post(
            &admin,
            &uri,
            &[
                ("version", &version),
                ("account.read", "team"),
                ("account.edit", "own"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let page = w
        .post(
            &admin,
            &uri,
            &[("version", &version), ("account.read", "all")],
        )
        .await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    let saved = kehu_db::roles::list(&w.db)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.name == "sales_rep")
        .unwrap();
    assert_eq!(
        saved
            .grants
            .scope("account", kehu_core::permission::Action::Read),
        kehu_core::permission::Scope::Team
    );
}

/// The audit log page shows sign-ins and failed sign-ins with the address, in both
/// languages, and searches by action; what it shows is escaped.
async fn the_audit_log_page_finds_failed_sign_ins(db: Db) {
    let w = world(db).await;
    let failed = w
        .post(
            &Browser::default(),
            "/login",
            &[
                ("username", "<b>mallory</b>"),
                ("password", "wrong"),
                ("next", "/"),
            ],
        )
        .await;
    assert_ne!(failed.status, StatusCode::SEE_OTHER);
    let admin = w.sign_in("boss", "zh-CN").await;
    let page = w.get(&admin, "/admin/audit?action=sign_in_failed").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("审计日志"));
    assert!(page.body.contains("mallory"), "{}", page.body);
    assert!(!page.body.contains("<b>mallory"));
    assert!(
        !page.body.contains("<td>老板</td>"),
        "only failed sign-ins are listed"
    );
    let english = Browser {
        language: "en".into(),
        ..admin.clone()
    };
    let page = w.get(&english, "/admin/audit?action=signed_in").await;
    assert!(page.body.contains("Audit log"));
    assert!(
        page.body.contains("<td>老板</td>"),
        "the admin's own sign-in"
    );
    let bad = w.get(&english, "/admin/audit?record_id=abc").await;
    assert_eq!(bad.status, StatusCode::OK);
    assert!(bad.body.contains("Check the search"));
}

/// The owner shares a customer from its page; the colleague then finds it in the list and
/// sees who it is shared with, but may not share it on; revoking hides it again.
async fn sharing_from_the_customer_page(db: Db) {
    let w = world(db).await;
    let theirs = fixtures::account(&w.db, &w.rep_b, json!({"name": "广州共享客户"})).await;
    let owner = w.sign_in("li", "zh-CN").await;
    let page = w.get(&owner, &format!("/accounts/{}", theirs.id)).await;
    assert!(page.body.contains("尚未共享给任何人"), "{}", page.body);
    let target = format!("user:{}", w.rep_a.user_id);
    let shared = w
        .post(
            &owner,
            &format!("/accounts/{}/shares", theirs.id),
            &[("target", target.as_str()), ("access", "read")],
        )
        .await;
    assert_eq!(shared.status, StatusCode::SEE_OTHER);
    let page = w.get(&owner, shared.location()).await;
    assert!(page.body.contains("已共享"));
    assert!(page.body.contains("王芳"));
    assert!(page.body.contains("取消共享"));

    let colleague = w.sign_in("wang", "en").await;
    let list = w.get(&colleague, "/accounts").await;
    assert!(list.body.contains("广州共享客户"));
    let page = w.get(&colleague, &format!("/accounts/{}", theirs.id)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Shared with") && page.body.contains("View"));
    assert!(
        !page.body.contains("Stop sharing"),
        "only the owner revokes"
    );
    assert!(!page.body.contains("name=\"target\""), "nor shares on");
    let edit_link = format!("href=\"/accounts/{}/edit\"", theirs.id);
    assert!(!page.body.contains(&edit_link), "a read-only share");
    let refused = w
        .post(
            &colleague,
            &format!("/accounts/{}/shares", theirs.id),
            &[("target", "user:1"), ("access", "write")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // Upgraded to view-and-edit, the colleague gets the edit button and form.
    w.post(
        &owner,
        &format!("/accounts/{}/shares", theirs.id),
        &[("target", target.as_str()), ("access", "write")],
    )
    .await;
    let page = w.get(&colleague, &format!("/accounts/{}", theirs.id)).await;
    assert!(page.body.contains(&edit_link));
    let form = w
        .get(&colleague, &format!("/accounts/{}/edit", theirs.id))
        .await;
    assert_eq!(form.status, StatusCode::OK);

    let share_id = sql::scalar(&w.db, "SELECT id FROM record_shares").await;
    let revoked = w
        .post(
            &owner,
            &format!("/accounts/{}/shares/{share_id}/revoke", theirs.id),
            &[],
        )
        .await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER);
    let page = w.get(&colleague, &format!("/accounts/{}", theirs.id)).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
}

/// Deactivating a rep leads to the transfer page, which previews the counts and then
/// moves the customers with their contacts to a colleague.
async fn deactivating_a_rep_leads_to_transferring_their_customers(db: Db) {
    let w = world(db).await;
    let customer = fixtures::account(&w.db, &w.rep_a, json!({"name": "离职客户甲"})).await;
    fixtures::contact(&w.db, &w.rep_a, customer.id, json!({"name": "联系人乙"})).await;
    let admin = w.sign_in("boss", "zh-CN").await;
    let rep_a = users::get(&w.db, w.rep_a.user_id).await.unwrap();
    let deactivated = w
        .post(
            &admin,
            &format!("/admin/users/{}/active", rep_a.id),
            &[("active", "false"), ("version", &rep_a.version.to_string())],
        )
        .await;
    assert_eq!(deactivated.status, StatusCode::SEE_OTHER);
    assert!(deactivated
        .location()
        .starts_with("/admin/transfer?from_user_id="));
    let page = w.get(&admin, deactivated.location()).await;
    assert!(page.body.contains("客户转移") && page.body.contains("用户已停用"));
    let audit = w
        .get(&admin, "/admin/audit?entity=user&action=deactivated")
        .await;
    assert!(audit.body.contains("<td>老板</td>"), "{}", audit.body);
    assert!(audit.body.contains("active: true → false"));

    let preview_uri = format!(
        "/admin/transfer?from_user_id={}&to_user_id={}&level=",
        w.rep_a.user_id, w.rep_b.user_id
    );
    let preview = w.get(&admin, &preview_uri).await;
    assert!(
        preview.body.contains("将转移 1 个客户和 1 个联系人"),
        "{}",
        preview.body
    );
    let moved_before = records::get(
        &w.db,
        &ACCOUNT,
        &kehu_core::permission::Visibility::Everything,
        customer.id,
    )
    .await
    .unwrap();
    assert_eq!(
        moved_before.owner_id, w.rep_a.user_id,
        "a preview moves nothing"
    );
    let from = w.rep_a.user_id.to_string();
    let to = w.rep_b.user_id.to_string();
    let done = w
        .post(
            &admin,
            "/admin/transfer",
            &[("from_user_id", &from), ("to_user_id", &to), ("level", "")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let result = w.get(&admin, done.location()).await;
    assert!(
        result
            .body
            .contains("已将 1 个客户和 1 个联系人转移给李强。"),
        "the page says what moved: {}",
        result.body
    );
    let moved = records::get(
        &w.db,
        &ACCOUNT,
        &kehu_core::permission::Visibility::Everything,
        customer.id,
    )
    .await
    .unwrap();
    assert_eq!(moved.owner_id, w.rep_b.user_id);
    let rep_b = w.sign_in("li", "en").await;
    let list = w.get(&rep_b, "/contacts").await;
    assert!(list.body.contains("联系人乙"));
    // Only administrators have the page.
    assert_eq!(
        w.get(&rep_b, "/admin/transfer").await.status,
        StatusCode::NOT_FOUND
    );
}

/// An admin names a team's manager on the team form; the tree shows it and the manager
/// then finds that team's customers without any admin rights.
async fn a_manager_named_on_the_team_form_sees_the_teams_customers(db: Db) {
    let w = world(db).await;
    fixtures::account(&w.db, &w.rep_b, json!({"name": "华南经理可见客户"})).await;
    let manager = w.sign_in("wang", "zh-CN").await;
    let list = w.get(&manager, "/accounts").await;
    assert!(!list.body.contains("华南经理可见客户"));
    let admin = w.sign_in("boss", "zh-CN").await;
    let south = teams::by_name(&w.db, "华南销售组").await.unwrap().unwrap();
    let manager_id = w.rep_a.user_id.to_string();
    let saved = w
        .post(
            &admin,
            &format!("/admin/teams/{}", south.id),
            &[
                ("name", "华南销售组"),
                ("parent_id", ""),
                ("manager_id", &manager_id),
                ("version", &south.version.to_string()),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let sub_team = teams::create(&w.db, "华南大客户组", Some(south.id))
        .await
        .unwrap();
    let tree = w.get(&admin, "/admin/teams").await;
    assert!(tree.body.contains("经理：王芳"), "{}", tree.body);
    let south_item = tree
        .body
        .split("<li>")
        .find(|item| item.contains(&format!("/admin/teams/{}\"", south.id)))
        .unwrap();
    assert!(
        south_item.contains("<ul>")
            && tree
                .body
                .contains(&format!("/admin/teams/{}\"", sub_team.id)),
        "the sub-team is nested in its parent's item: {}",
        tree.body
    );
    let list = w.get(&manager, "/accounts").await;
    assert!(list.body.contains("华南经理可见客户"));
    assert_eq!(
        w.get(&manager, "/admin/teams").await.status,
        StatusCode::NOT_FOUND
    );
}

backend_tests!(
    the_analytics_settings_page_checks_saves_and_is_used,
    the_customer_page_shows_order_lines_and_an_honest_clv,
    a_manager_named_on_the_team_form_sees_the_teams_customers,
    deactivating_a_rep_leads_to_transferring_their_customers,
    sharing_from_the_customer_page,
    the_audit_log_page_finds_failed_sign_ins,
    signing_in_sets_an_http_only_session_cookie,
    a_wrong_password_shows_an_error_and_sets_no_cookie,
    pages_need_a_session_and_sign_out_ends_it,
    a_post_without_the_csrf_token_is_refused_and_writes_nothing,
    creating_a_customer_leads_to_its_360_page,
    an_invalid_email_shows_the_error_under_the_field_and_keeps_the_input,
    a_stale_edit_shows_the_conflict_and_does_not_overwrite,
    labels_follow_accept_language_and_the_saved_choice,
    a_sales_rep_gets_not_found_for_another_teams_customer,
    contacts_show_their_customer_and_reporting_line,
    deleted_records_can_be_restored_from_the_recycle_bin,
    saved_filters_reproduce_a_list,
    admin_pages_exist_only_for_administrators,
    the_analytics_pages_show_the_users_own_customers_in_both_languages,
    the_cash_flow_calculator_shows_each_year_and_field_errors,
);

/// Customers of two reps with orders, and a computed analytics run.
async fn customers_with_orders(w: &World) -> (i64, i64) {
    let mine = fixtures::account(&w.db, &w.rep_a, serde_json::json!({"name": "王芳的茶庄"})).await;
    let theirs =
        fixtures::account(&w.db, &w.rep_b, serde_json::json!({"name": "李强的酒楼"})).await;
    for (owner, account, count) in [(&w.rep_a, mine.id, 4), (&w.rep_b, theirs.id, 2)] {
        for n in 0..count {
            fixtures::try_create(
                &w.db,
                &kehu_core::entity::ORDER,
                owner,
                serde_json::json!({
                    "name": format!("SO-{account}-{n}"),
                    "account_id": account,
                    "order_date": format!("2024-0{}-15", n + 1),
                    "total": 123_400,
                }),
            )
            .await
            .unwrap();
        }
    }
    kehu_jobs::customer_values::recompute(
        &w.db,
        chrono::NaiveDate::from_ymd_opt(2024, 6, 30).unwrap(),
        &kehu_jobs::customer_values::ValueSettings::default(),
        None,
    )
    .await
    .unwrap();
    (mine.id, theirs.id)
}

async fn the_analytics_pages_show_the_users_own_customers_in_both_languages(db: Db) {
    let w = world(db).await;
    let (mine, _) = customers_with_orders(&w).await;
    // Last order 2024-04-15, 76 days before the as-of day: active.
    for (language, heading, stage) in [("zh-CN", "RFM 矩阵", "活跃"), ("en", "RFM grid", "Active")]
    {
        let browser = w.sign_in("wang", language).await;
        let page = w.get(&browser, "/analytics").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains(heading), "{language}: {}", page.body);
        assert!(page.body.contains("echarts"), "the chart script is loaded");
        assert!(page.body.contains("王芳的茶庄"), "own customer listed");
        assert!(
            !page.body.contains("李强的酒楼"),
            "another rep's customer is not"
        );
        // The one analysed customer sits in one heat-map cell, which opens the customer
        // list filtered on that cell.
        let cell = page
            .body
            .split("href=\"/accounts?rfm_r__in=")
            .skip(1)
            .find(|cell| cell.contains("<strong>1</strong>"))
            .expect("a cell with one customer");
        let query: String = cell.split('"').next().unwrap().replace("&amp;", "&");
        let list = w
            .get(&browser, &format!("/accounts?rfm_r__in={query}"))
            .await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
        assert!(list.body.contains("王芳的茶庄"), "{}", list.body);
        assert!(list.body.contains(&format!("/accounts/{mine}")));
        assert!(!list.body.contains("李强的酒楼"));
        // The lifecycle stage filters the customer list, within the user's scope.
        let active = w
            .get(&browser, "/accounts?lifecycle_stage__in=active")
            .await;
        assert!(active.body.contains("王芳的茶庄"), "{}", active.body);
        let lost = w.get(&browser, "/accounts?lifecycle_stage__in=lost").await;
        assert!(!lost.body.contains("王芳的茶庄"), "{}", lost.body);
        let boss = w.sign_in("boss", language).await;
        // 李强's customer last bought 136 days before the as-of day: at risk.
        let at_risk = w.get(&boss, "/accounts?lifecycle_stage__in=at_risk").await;
        assert!(at_risk.body.contains("李强的酒楼") && !at_risk.body.contains("王芳的茶庄"));
        let mine_at_risk = w
            .get(&browser, "/accounts?lifecycle_stage__in=at_risk")
            .await;
        assert!(
            !mine_at_risk.body.contains("李强的酒楼"),
            "not in wang's scope"
        );
        // The stage's row on the analytics page links to the same list.
        assert!(page
            .body
            .contains("href=\"/accounts?lifecycle_stage__in=active\""));

        let customer = w.get(&browser, &format!("/accounts/{mine}")).await;
        assert!(
            customer.body.contains(&format!(
                "<span class=\"badge badge--primary\">{stage}</span>"
            )),
            "lifecycle stage on the 360 page: {}",
            customer.body
        );
        assert!(customer.body.contains("SO-"), "orders on the 360 page");
        assert!(customer.body.contains("¥1,234.00"));
    }
}

async fn the_cash_flow_calculator_shows_each_year_and_field_errors(db: Db) {
    let w = world(db).await;
    let browser = w.sign_in("wang", "en").await;
    let page = w
        .get(
            &browser,
            "/analytics/clv-calculator?acquisition_cost=100&first_purchase_value=100&yearly_revenue=110\
             &revenue_growth_rate=0&yearly_service_cost=0&retention_rate=100&discount_rate=10&years=1",
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    // (100 − 100) + 110 / 1.1 = 100.
    assert!(
        page.body.contains("Customer lifetime value: ¥100.00"),
        "{}",
        page.body
    );
    let page = w
        .get(
            &browser,
            "/analytics/clv-calculator?retention_rate=120&years=0&acquisition_cost=-5",
        )
        .await;
    assert!(page.body.contains("must be a percentage from 0 to 100"));
    assert!(page
        .body
        .contains("must be a whole number of years from 1 to 50"));
    assert!(page.body.contains("must not be negative"));
    assert!(
        !page.body.contains("Customer lifetime value:"),
        "no result from bad input"
    );
}

async fn the_analytics_settings_page_checks_saves_and_is_used(db: Db) {
    let w = world(db).await;
    let (mine, _) = customers_with_orders(&w).await;
    let rep = w.sign_in("wang", "zh-CN").await;
    assert_eq!(
        w.get(&rep, "/admin/analytics").await.status,
        StatusCode::NOT_FOUND
    );
    let admin = w.sign_in("boss", "zh-CN").await;
    let form = w.get(&admin, "/admin/analytics").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(form.body.contains("客户分析设置"));
    assert!(
        form.body.contains("name=\"abc_a\" value=\"80\""),
        "{}",
        form.body
    );

    let value = kehu_db::customer_values::value_of_account(
        &w.db,
        &kehu_core::permission::Visibility::Everything,
        mine,
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(value.lifecycle, "active", "76 days since the last order");
    let segment_field = format!("segment.{}.zh_cn", value.segment);
    let mut fields = vec![
        ("rfm_classes", "5"),
        ("abc_a", "95"),
        ("abc_b", "90"),
        ("lifecycle_basis", "recency"),
        ("new_within_days", "30"),
        ("active_within_days", "60"),
        ("at_risk_within_days", "180"),
        ("dormant_within_days", "365"),
        ("active_min", "70"),
        ("at_risk_min", "40"),
        ("dormant_min", "15"),
        (segment_field.as_str(), "重点维护"),
    ];
    let refused = w.post(&admin, "/admin/analytics", &fields).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("必须高于 A 类阈值且不超过 100%"),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("value=\"重点维护\""),
        "typed values stay"
    );
    assert!(kehu_db::analytics_settings::load(&w.db)
        .await
        .unwrap()
        .is_none());

    fields[1] = ("abc_a", "80");
    let saved = w.post(&admin, "/admin/analytics", &fields).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(
        sql::scalar(
            &w.db,
            "SELECT COUNT(*) FROM events WHERE entity = 'analytics_settings'"
        )
        .await,
        1,
        "audited"
    );
    // The job computes with what the admin saved.
    let settings = kehu_jobs::customer_values::load_settings(&w.db)
        .await
        .unwrap();
    kehu_jobs::customer_values::recompute(
        &w.db,
        chrono::NaiveDate::from_ymd_opt(2024, 6, 30).unwrap(),
        &kehu_jobs::customer_values::ValueSettings::from_admin(&settings),
        None,
    )
    .await
    .unwrap();
    let customer = w.get(&rep, &format!("/accounts/{mine}")).await;
    assert!(
        customer
            .body
            .contains("<span class=\"badge badge--primary\">有风险</span>"),
        "active only within 60 days now: {}",
        customer.body
    );
    assert!(customer.body.contains("重点维护"), "the renamed segment");
    let overview = w.get(&rep, "/analytics").await;
    assert!(overview.body.contains("重点维护"));
    assert!(
        overview.body.contains("60 天内为活跃"),
        "the rules shown are the ones used"
    );
}

async fn the_customer_page_shows_order_lines_and_an_honest_clv(db: Db) {
    let w = world(db).await;
    customers_with_orders(&w).await;
    // A one-time buyer, ten days before the as-of day, with two order lines.
    let buyer = fixtures::account(&w.db, &w.rep_a, serde_json::json!({"name": "新来的花店"})).await;
    let checked = kehu_core::order_lines::check_lines(
        &serde_json::json!([
            {"product": "玫瑰花束", "quantity": 3, "unit_price": 20_000},
            {"product": "花瓶", "quantity": 1, "unit_price": 8_800}
        ]),
        None,
    )
    .unwrap();
    let changes = fixtures::changes(
        &w.db,
        &kehu_core::entity::ORDER,
        serde_json::json!({"name": "SO-FLOWER", "account_id": buyer.id,
                           "order_date": "2024-06-20", "total": checked.total}),
        kehu_core::validation::Mode::Create,
    )
    .await;
    kehu_db::orders::create_with_lines(&w.db, &w.rep_a, None, changes, &checked.lines)
        .await
        .unwrap();
    kehu_jobs::customer_values::recompute(
        &w.db,
        chrono::NaiveDate::from_ymd_opt(2024, 6, 30).unwrap(),
        &kehu_jobs::customer_values::ValueSettings::default(),
        None,
    )
    .await
    .unwrap();

    let browser = w.sign_in("wang", "zh-CN").await;
    let page = w.get(&browser, &format!("/accounts/{}", buyer.id)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("玫瑰花束 × 3 · ¥600.00"),
        "{}",
        page.body
    );
    assert!(page.body.contains("花瓶 × 1 · ¥88.00"));
    assert!(
        page.body.contains("<td class=\"nowrap\">已完成</td>"),
        "the status does not wrap"
    );
    // Stage "new" and segment "new customers" no longer read the same.
    assert!(page
        .body
        .contains("<span class=\"badge badge--primary\">新客</span>"));
    assert_eq!(page.body.matches("新客户").count(), 1, "{}", page.body);
    // Three customers are too few for the spend model: the CLV prices future orders at
    // the buyer's own order and the page says so.
    assert!(
        page.body.contains("该客户自己的平均订单金额（¥688.00）"),
        "{}",
        page.body
    );
    let value = kehu_db::customer_values::value_of_account(
        &w.db,
        &kehu_core::permission::Visibility::Everything,
        buyer.id,
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(value.expected_avg_spend, Some(688.0));
    let expected = format!("{:.1}", value.expected_purchases.unwrap());
    assert!(
        page.body.contains(&format!("预计购买次数（{expected}，")),
        "the note names the expected purchases the CLV rests on"
    );
}
