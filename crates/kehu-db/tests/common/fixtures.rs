//! Building a small organisation (roles, teams, users, picklists) and records the way the
//! web layer does: user input validated by `kehu_core::validation::Schema`, then written by
//! the repositories.

use kehu_core::entity::{CustomFieldDef, CustomFieldKind, EntityDef, ACCOUNT, CONTACT};
use kehu_core::filter::{parse_filters, parse_sort};
use kehu_core::permission::{Action, Actor, Visibility};
use kehu_core::validation::{Changes, Mode, Schema};
use kehu_db::records::{self, ListQuery, Record};
use kehu_db::users::{self, NewUser};
use kehu_db::{custom_fields, picklists, roles, teams, Db, DbError};
use serde_json::{json, Value as Json};

/// Default roles plus the picklist values the tests' records use.
pub async fn seed(db: &Db) {
    roles::ensure_defaults(db).await.expect("default roles");
    for (list, values) in [
        ("industry", &["制造", "零售", "软件"][..]),
        ("level", &["VIP", "普通"][..]),
        ("region", &["北京", "上海"][..]),
        ("source", &["展会", "官网"][..]),
    ] {
        for value in values {
            picklists::add(db, list, value)
                .await
                .expect("picklist value");
        }
    }
}

/// A team.
pub async fn team(db: &Db, name: &str, parent: Option<i64>) -> i64 {
    teams::create(db, name, parent).await.expect("team").id
}

/// A user with roles, and their permission view.
pub async fn user(db: &Db, username: &str, team_id: Option<i64>, roles: &[&str]) -> Actor {
    let user = users::create(
        db,
        NewUser {
            username: username.to_string(),
            display_name: format!("{username} (display)"),
            email: Some(format!("{username}@example.com")),
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
            team_id,
            roles: roles.iter().map(|r| r.to_string()).collect(),
        },
    )
    .await
    .expect("user");
    users::actor(db, &user).await.expect("actor")
}

/// An admin in no team, after seeding.
pub async fn admin(db: &Db) -> Actor {
    user(db, "admin", None, &["admin"]).await
}

/// The custom field `employees` (number) and `wechat` (text) on customers.
pub async fn define_custom_fields(db: &Db) {
    for (key, kind, en, zh) in [
        (
            "employees",
            CustomFieldKind::Number,
            "Employees",
            "员工人数",
        ),
        ("wechat", CustomFieldKind::Text, "WeChat", "微信"),
    ] {
        custom_fields::create(
            db,
            &CustomFieldDef {
                id: 0,
                entity: "account".into(),
                key: key.into(),
                label_en: en.into(),
                label_zh: zh.into(),
                kind,
                options: vec![],
            },
        )
        .await
        .expect("custom field");
    }
}

/// Validates API input against the entity, its custom fields and the picklists.
pub async fn changes(db: &Db, entity: &'static EntityDef, input: Json, mode: Mode) -> Changes {
    let picklists = picklists::all(db).await.expect("picklists");
    let custom = custom_fields::for_entity(db, entity.name)
        .await
        .expect("custom fields");
    let schema = Schema {
        entity,
        custom_fields: &custom,
        picklists: &picklists,
    };
    schema
        .from_json(input.as_object().expect("input is an object"), mode)
        .unwrap_or_else(|e| panic!("invalid test input {input}: {e:?}"))
}

/// Creates a record from API input.
pub async fn try_create(
    db: &Db,
    entity: &'static EntityDef,
    actor: &Actor,
    input: Json,
) -> Result<Record, DbError> {
    let changes = changes(db, entity, input, Mode::Create).await;
    records::create(db, entity, actor, Some("127.0.0.1"), changes).await
}

/// Creates a customer from API input.
pub async fn account(db: &Db, actor: &Actor, input: Json) -> Record {
    try_create(db, &ACCOUNT, actor, input.clone())
        .await
        .unwrap_or_else(|e| panic!("creating {input}: {e:?}"))
}

/// Creates a customer with just a name.
pub async fn named_account(db: &Db, actor: &Actor, name: &str) -> Record {
    account(db, actor, json!({ "name": name })).await
}

/// Creates a contact of a customer from API input (`account_id` is added).
pub async fn contact(db: &Db, actor: &Actor, account_id: i64, mut input: Json) -> Record {
    input["account_id"] = json!(account_id);
    try_create(db, &CONTACT, actor, input.clone())
        .await
        .unwrap_or_else(|e| panic!("creating {input}: {e:?}"))
}

/// Applies API input to a record.
pub async fn try_update(
    db: &Db,
    entity: &'static EntityDef,
    actor: &Actor,
    id: i64,
    version: i64,
    input: Json,
) -> Result<Record, DbError> {
    let changes = changes(db, entity, input, Mode::Update).await;
    records::update(db, entity, actor, Some("127.0.0.1"), id, version, changes).await
}

/// A list query as the web layer builds it from query parameters.
pub fn query(
    entity: &'static EntityDef,
    sort: &str,
    filters: &[(&str, &str)],
    limit: u64,
) -> ListQuery {
    ListQuery {
        text: None,
        filters: parse_filters(entity, &[], filters.iter().copied())
            .unwrap_or_else(|e| panic!("filters {filters:?}: {e:?}")),
        sort: parse_sort(entity, Some(sort)).expect("sort"),
        limit,
        cursor: None,
        in_recycle_bin: false,
        whole_words: false,
    }
}

/// A search-box query, newest first.
pub fn search(entity: &'static EntityDef, text: &str) -> ListQuery {
    ListQuery {
        text: Some(text.to_string()),
        ..query(entity, "-id", &[], 200)
    }
}

/// Reads every page of a list; gives the records in the order shown.
pub async fn all_pages(
    db: &Db,
    entity: &'static EntityDef,
    visibility: &Visibility,
    mut query: ListQuery,
) -> Vec<Record> {
    let mut out = Vec::new();
    for _ in 0..1000 {
        let page = records::list(db, entity, visibility, &query, &[])
            .await
            .expect("list page");
        assert!(
            page.records.len() as u64 <= query.limit,
            "page larger than asked for"
        );
        out.extend(page.records);
        match page.next_cursor {
            Some(token) => {
                query.cursor = Some(records::Cursor::decode(&token).expect("cursor decodes"))
            }
            None => return out,
        }
    }
    panic!("pagination does not end");
}

/// Names of the records a list shows (one page of up to 200).
pub async fn names(
    db: &Db,
    entity: &'static EntityDef,
    visibility: &Visibility,
    query: &ListQuery,
) -> Vec<String> {
    let page = records::list(
        db,
        entity,
        visibility,
        query,
        &[entity.field("name").unwrap()],
    )
    .await
    .unwrap_or_else(|e| panic!("list {:?}: {e:?}", query.text));
    page.records
        .iter()
        .map(|r| r.text("name").unwrap_or_default().to_string())
        .collect()
}

/// What the actor may read.
pub fn reads(actor: &Actor, entity: &EntityDef) -> Visibility {
    actor.visibility(entity.name, Action::Read)
}
