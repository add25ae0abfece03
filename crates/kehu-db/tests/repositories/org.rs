//! Roles, teams, users and the permission view built from them; picklists and custom
//! field definitions that admins edit.

use crate::common::fixtures;
use kehu_core::entity::{CustomFieldDef, CustomFieldKind};
use kehu_core::permission::{default_roles, Action, Scope};
use kehu_db::users::{self, NewUser, UserChanges};
use kehu_db::{custom_fields, picklists, roles, teams, Db, DbError};

backend_tests!(
    default_roles_are_created_once,
    teams_form_a_tree,
    users_have_roles,
    actor_merges_grants_and_covers_sub_teams,
    picklists_keep_order_and_refuse_duplicates,
    custom_fields_are_defined_per_entity,
    unknown_teams_and_taken_role_names_are_field_errors,
    teams_are_deleted_only_when_empty,
    passwords_and_languages_are_kept
);

fn field_code(error: DbError, field: &str) -> String {
    match error {
        DbError::Invalid(errors) => errors
            .get(field)
            .unwrap_or_else(|| panic!("no error on {field}: {errors:?}"))
            .code
            .clone(),
        other => panic!("expected a field error on {field}, got {other:?}"),
    }
}

async fn default_roles_are_created_once(db: Db) {
    roles::ensure_defaults(&db).await.unwrap();
    roles::ensure_defaults(&db)
        .await
        .expect("a second start adds nothing");
    let roles = roles::list(&db).await.unwrap();
    let names: Vec<&str> = roles.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "admin",
            "read_only",
            "sales_manager",
            "sales_rep",
            "service_agent"
        ]
    );
    for (name, grants) in default_roles() {
        let role = roles.iter().find(|r| r.name == name).unwrap();
        assert_eq!(
            role.grants, grants,
            "grants of {name} survive the round trip"
        );
        assert_eq!(role.version, 1);
    }

    // An admin's edit is kept across restarts, and stale edits are refused.
    let rep = roles.iter().find(|r| r.name == "sales_rep").unwrap();
    let mut grants = rep.grants.clone();
    grants.set("account", Action::Read, Scope::Team);
    let edited = roles::update_grants(&db, &kehu_db::events::Origin::default(), rep.id, 1, &grants)
        .await
        .unwrap();
    assert_eq!(edited.version, 2);
    // The change is in the audit log, as "account.read: own → team".
    let logged = kehu_db::events::record_history(&db, "role", rep.id, 5)
        .await
        .unwrap();
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0].changes[0].field, "account.read");
    assert_eq!(
        (&logged[0].changes[0].old, &logged[0].changes[0].new),
        (&serde_json::json!("own"), &serde_json::json!("team"))
    );
    assert!(matches!(
        roles::update_grants(&db, &kehu_db::events::Origin::default(), rep.id, 1, &grants).await,
        Err(DbError::StaleVersion { current: 2 })
    ));
    roles::ensure_defaults(&db).await.unwrap();
    let again = roles::list(&db).await.unwrap();
    assert_eq!(again.len(), 5);
    assert_eq!(
        again
            .iter()
            .find(|r| r.name == "sales_rep")
            .unwrap()
            .grants
            .scope("account", Action::Read),
        Scope::Team
    );
}

async fn teams_form_a_tree(db: Db) {
    let sales = fixtures::team(&db, "销售部", None).await;
    let north = fixtures::team(&db, "华北区", Some(sales)).await;
    let beijing = fixtures::team(&db, "北京组", Some(north)).await;
    let service = fixtures::team(&db, "Service", None).await;
    let all = teams::list(&db).await.unwrap();
    assert_eq!(all.len(), 4);
    assert_eq!(
        teams::get(&db, beijing).await.unwrap().parent_id,
        Some(north)
    );
    assert_eq!(
        teams::by_name(&db, "Service").await.unwrap().unwrap().id,
        service
    );

    assert_eq!(
        field_code(
            teams::create(&db, "销售部", None).await.unwrap_err(),
            "name"
        ),
        "taken"
    );
    assert_eq!(
        field_code(teams::create(&db, "  ", None).await.unwrap_err(), "name"),
        "required"
    );
    assert_eq!(
        field_code(
            teams::create(&db, "X", Some(9999)).await.unwrap_err(),
            "parent_id"
        ),
        "unknown_team"
    );
    // A team cannot be moved under itself or its own sub-team.
    assert_eq!(
        field_code(
            teams::update(&db, sales, 1, &changes("销售部", Some(beijing)))
                .await
                .unwrap_err(),
            "parent_id"
        ),
        "cycle"
    );
    assert_eq!(
        field_code(
            teams::update(&db, sales, 1, &changes("销售部", Some(sales)))
                .await
                .unwrap_err(),
            "parent_id"
        ),
        "cycle"
    );
    let moved = teams::update(&db, beijing, 1, &changes("北京组", Some(sales)))
        .await
        .unwrap();
    assert_eq!((moved.parent_id, moved.version), (Some(sales), 2));
    assert!(matches!(
        teams::update(&db, beijing, 1, &changes("北京", None)).await,
        Err(DbError::StaleVersion { current: 2 })
    ));
    assert!(matches!(
        teams::get(&db, 9999).await,
        Err(DbError::NotFound)
    ));
}

async fn users_have_roles(db: Db) {
    roles::ensure_defaults(&db).await.unwrap();
    let team = fixtures::team(&db, "华北区", None).await;
    let actor = fixtures::user(&db, "zhang.wei", Some(team), &["sales_rep", "read_only"]).await;
    let user = users::get(&db, actor.user_id).await.unwrap();
    assert_eq!(user.username, "zhang.wei");
    assert_eq!(user.team_id, Some(team));
    assert_eq!(user.roles, ["read_only", "sales_rep"]);
    assert!(user.active);
    let (found, hash) = users::with_password_hash(&db, "zhang.wei")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found, user);
    assert!(hash.starts_with("$argon2id$"));
    assert!(
        users::with_password_hash(&db, "Zhang.Wei")
            .await
            .unwrap()
            .is_none(),
        "sign-in names are case-sensitive"
    );

    let new = |username: &str, roles: &[&str]| NewUser {
        username: username.into(),
        display_name: "X".into(),
        email: None,
        password_hash: "h".into(),
        team_id: None,
        roles: roles.iter().map(|r| r.to_string()).collect(),
    };
    assert_eq!(
        field_code(
            users::create(&db, new("zhang.wei", &[])).await.unwrap_err(),
            "username"
        ),
        "taken"
    );
    assert_eq!(
        field_code(
            users::create(&db, new("a b", &[])).await.unwrap_err(),
            "username"
        ),
        "invalid_username"
    );
    assert_eq!(
        field_code(
            users::create(&db, new("li.na", &["emperor"]))
                .await
                .unwrap_err(),
            "roles"
        ),
        "unknown_role"
    );
    assert!(
        users::with_password_hash(&db, "li.na")
            .await
            .unwrap()
            .is_none(),
        "a refused user is not half-created"
    );

    // Roles are replaced; a stale edit changes nothing.
    let changed = users::update(
        &db,
        &kehu_db::events::Origin::default(),
        user.id,
        user.version,
        UserChanges {
            roles: Some(vec!["sales_manager".into()]),
            display_name: Some("张伟".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        (
            changed.roles.as_slice(),
            changed.display_name.as_str(),
            changed.version
        ),
        (&["sales_manager".to_string()][..], "张伟", 2)
    );
    let stale = users::update(
        &db,
        &kehu_db::events::Origin::default(),
        user.id,
        1,
        UserChanges {
            roles: Some(vec![]),
            ..Default::default()
        },
    )
    .await;
    assert!(
        matches!(stale, Err(DbError::StaleVersion { current: 2 })),
        "{stale:?}"
    );
    assert_eq!(
        users::get(&db, user.id).await.unwrap().roles,
        ["sales_manager"]
    );
    let listed = users::list(&db).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].roles, ["sales_manager"]);
}

async fn actor_merges_grants_and_covers_sub_teams(db: Db) {
    roles::ensure_defaults(&db).await.unwrap();
    let sales = fixtures::team(&db, "销售部", None).await;
    let north = fixtures::team(&db, "华北区", Some(sales)).await;
    let beijing = fixtures::team(&db, "北京组", Some(north)).await;
    let south = fixtures::team(&db, "华南区", Some(sales)).await;
    let other = fixtures::team(&db, "Service", None).await;

    let manager = fixtures::user(&db, "manager", Some(north), &["sales_manager"]).await;
    let mut visible = manager.visible_team_ids.clone();
    visible.sort();
    assert_eq!(
        visible,
        [north, beijing],
        "a team and its sub-teams, not siblings or parents"
    );
    assert!(
        !manager.visible_team_ids.contains(&south) && !manager.visible_team_ids.contains(&other)
    );
    assert_eq!(manager.scope("account", Action::Edit), Scope::Team);
    assert!(!manager.may_administer("user"));

    let head = fixtures::user(&db, "head", Some(sales), &["sales_manager"]).await;
    let mut visible = head.visible_team_ids.clone();
    visible.sort();
    assert_eq!(visible, [sales, north, beijing, south]);

    // sales_rep + read_only: reads everything, edits only their own.
    let rep = fixtures::user(&db, "rep", Some(beijing), &["sales_rep", "read_only"]).await;
    assert_eq!(rep.scope("account", Action::Read), Scope::All);
    assert_eq!(rep.scope("account", Action::Edit), Scope::Own);
    assert_eq!(rep.scope("contact", Action::Delete), Scope::Own);
    assert_eq!(rep.team_id, Some(beijing));

    let admin = fixtures::user(&db, "root", None, &["admin"]).await;
    assert!(admin.may_administer("settings"));
    assert!(admin.visible_team_ids.is_empty());
    let nobody = fixtures::user(&db, "nobody", None, &[]).await;
    assert_eq!(nobody.scope("account", Action::Read), Scope::None);
}

async fn picklists_keep_order_and_refuse_duplicates(db: Db) {
    for value in ["制造", "零售", "软件"] {
        picklists::add(&db, "industry", value).await.unwrap();
    }
    let lists = picklists::all(&db).await.unwrap();
    assert_eq!(lists["industry"], ["制造", "零售", "软件"]);
    assert!(lists["level"].is_empty(), "every built-in list is present");
    assert_eq!(
        field_code(
            picklists::add(&db, "industry", " 零售 ").await.unwrap_err(),
            "value"
        ),
        "taken"
    );
    assert!(matches!(
        picklists::add(&db, "colour", "red").await,
        Err(DbError::NotFound)
    ));
    picklists::remove(&db, "industry", "零售").await.unwrap();
    picklists::add(&db, "industry", "金融").await.unwrap();
    assert_eq!(
        picklists::all(&db).await.unwrap()["industry"],
        ["制造", "软件", "金融"]
    );
    assert!(matches!(
        picklists::remove(&db, "industry", "零售").await,
        Err(DbError::NotFound)
    ));
}

async fn custom_fields_are_defined_per_entity(db: Db) {
    let def = |entity: &str, key: &str, kind: CustomFieldKind, options: &[&str]| CustomFieldDef {
        id: 0,
        entity: entity.into(),
        key: key.into(),
        label_en: "Label".into(),
        label_zh: "标签".into(),
        kind,
        options: options.iter().map(|o| o.to_string()).collect(),
    };
    let created = custom_fields::create(
        &db,
        &def(
            "account",
            "grade",
            CustomFieldKind::Select,
            &["A", " B ", ""],
        ),
    )
    .await
    .unwrap();
    assert_eq!(created.options, ["A", "B"]);
    custom_fields::create(&db, &def("account", "wechat", CustomFieldKind::Text, &[]))
        .await
        .unwrap();
    custom_fields::create(&db, &def("contact", "wechat", CustomFieldKind::Text, &[]))
        .await
        .unwrap();
    let keys: Vec<String> = custom_fields::for_entity(&db, "account")
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.key)
        .collect();
    assert_eq!(keys, ["grade", "wechat"]);
    assert_eq!(
        custom_fields::for_entity(&db, "contact")
            .await
            .unwrap()
            .len(),
        1
    );

    let err = custom_fields::create(&db, &def("account", "wechat", CustomFieldKind::Text, &[]))
        .await
        .unwrap_err();
    assert_eq!(field_code(err, "key"), "taken");
    let err = custom_fields::create(&db, &def("account", "name", CustomFieldKind::Text, &[]))
        .await
        .unwrap_err();
    assert_eq!(
        field_code(err, "key"),
        "taken",
        "built-in fields cannot be shadowed"
    );
    let err = custom_fields::create(&db, &def("account", "Bad-Key", CustomFieldKind::Text, &[]))
        .await
        .unwrap_err();
    assert_eq!(field_code(err, "key"), "invalid_key");
    let err = custom_fields::create(&db, &def("account", "tier", CustomFieldKind::Select, &[]))
        .await
        .unwrap_err();
    assert_eq!(field_code(err, "options"), "required");
    let err = custom_fields::create(&db, &def("invoices", "x", CustomFieldKind::Text, &[]))
        .await
        .unwrap_err();
    assert_eq!(field_code(err, "entity"), "unknown_entity");

    custom_fields::delete(&db, created.id).await.unwrap();
    assert_eq!(
        custom_fields::for_entity(&db, "account")
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(matches!(
        custom_fields::delete(&db, created.id).await,
        Err(DbError::NotFound)
    ));
}

async fn unknown_teams_and_taken_role_names_are_field_errors(db: Db) {
    roles::ensure_defaults(&db).await.unwrap();
    let team = fixtures::team(&db, "华北区", None).await;
    let new = NewUser {
        username: "li.na".into(),
        display_name: "李娜".into(),
        email: None,
        password_hash: "h".into(),
        team_id: Some(team + 100),
        roles: vec![],
    };
    assert_eq!(
        field_code(
            users::create(&db, new.clone()).await.unwrap_err(),
            "team_id"
        ),
        "unknown_team"
    );
    let user = users::create(
        &db,
        NewUser {
            team_id: Some(team),
            ..new
        },
    )
    .await
    .unwrap();
    let moved = users::update(
        &db,
        &kehu_db::events::Origin::default(),
        user.id,
        1,
        UserChanges {
            team_id: Some(Some(team + 100)),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(field_code(moved.unwrap_err(), "team_id"), "unknown_team");
    assert_eq!(users::get(&db, user.id).await.unwrap().team_id, Some(team));
    let left = users::update(
        &db,
        &kehu_db::events::Origin::default(),
        user.id,
        1,
        UserChanges {
            team_id: Some(None),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(left.team_id, None);

    let grants = default_roles().remove(0).1;
    assert_eq!(
        field_code(
            roles::create(&db, "admin", &grants).await.unwrap_err(),
            "name"
        ),
        "taken"
    );
    let auditor = roles::create(&db, "auditor", &grants).await.unwrap();
    assert_eq!(auditor.name, "auditor");
    assert_eq!(roles::list(&db).await.unwrap().len(), 6);
}

async fn teams_are_deleted_only_when_empty(db: Db) {
    fixtures::seed(&db).await;
    let sales = fixtures::team(&db, "销售部", None).await;
    let north = fixtures::team(&db, "华北区", Some(sales)).await;
    let empty = fixtures::team(&db, "临时组", None).await;
    let rep = fixtures::user(&db, "rep", Some(north), &["sales_rep"]).await;
    fixtures::named_account(&db, &rep, "华北客户").await;
    assert_eq!(
        field_code(teams::delete(&db, sales).await.unwrap_err(), "id"),
        "team_in_use",
        "it has a sub-team"
    );
    assert_eq!(
        field_code(teams::delete(&db, north).await.unwrap_err(), "id"),
        "team_in_use",
        "it has members"
    );
    teams::delete(&db, empty).await.unwrap();
    assert!(matches!(
        teams::get(&db, empty).await,
        Err(DbError::NotFound)
    ));
    assert!(matches!(
        teams::delete(&db, empty).await,
        Err(DbError::NotFound)
    ));
    assert_eq!(teams::list(&db).await.unwrap().len(), 2);
}

async fn passwords_and_languages_are_kept(db: Db) {
    let actor = fixtures::user(&db, "zhang.wei", None, &[]).await;
    users::set_password_hash(&db, actor.user_id, "$argon2id$new")
        .await
        .unwrap();
    let (_, hash) = users::with_password_hash(&db, "zhang.wei")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(hash, "$argon2id$new");
    users::set_locale(&db, actor.user_id, Some("zh-CN"))
        .await
        .unwrap();
    assert_eq!(
        users::get(&db, actor.user_id)
            .await
            .unwrap()
            .locale
            .as_deref(),
        Some("zh-CN")
    );
    users::set_locale(&db, actor.user_id, None).await.unwrap();
    assert_eq!(users::get(&db, actor.user_id).await.unwrap().locale, None);
}

fn changes(name: &str, parent_id: Option<i64>) -> teams::TeamChanges {
    teams::TeamChanges {
        name: name.into(),
        parent_id,
        manager_id: None,
    }
}
