//! Permissions inside the queries: what a user cannot see is not found, not listed, not
//! counted, not searched, and cannot be changed; managers see their sub-teams.

use crate::common::fixtures::{self, account, contact, reads, search, try_create, try_update};
use crate::common::sql;
use kehu_core::entity::{EntityDef, ACCOUNT, CONTACT};
use kehu_core::permission::{Action, Actor};
use kehu_db::records::{self, ListQuery};
use kehu_db::users::{self, UserChanges};
use kehu_db::{events, Db, DbError};
use serde_json::json;

backend_tests!(
    sales_reps_cannot_reach_other_teams_customers,
    managers_see_their_sub_teams,
    read_only_and_service_roles,
    team_scopes_follow_people,
    timeline_shows_only_visible_contacts
);

/// 销售部 with sub-teams 华北 (A) and 华南 (B); a rep in each, a manager of each sub-team
/// and of the parent, and an admin.
pub(crate) struct Org {
    pub(crate) team_a: i64,
    pub(crate) team_b: i64,
    pub(crate) admin: Actor,
    pub(crate) rep_a: Actor,
    pub(crate) rep_b: Actor,
    pub(crate) manager_a: Actor,
    pub(crate) head: Actor,
}

pub(crate) async fn org(db: &Db) -> Org {
    fixtures::seed(db).await;
    let sales = fixtures::team(db, "销售部", None).await;
    let team_a = fixtures::team(db, "华北", Some(sales)).await;
    let team_b = fixtures::team(db, "华南", Some(sales)).await;
    Org {
        team_a,
        team_b,
        admin: fixtures::admin(db).await,
        rep_a: fixtures::user(db, "rep.a", Some(team_a), &["sales_rep"]).await,
        rep_b: fixtures::user(db, "rep.b", Some(team_b), &["sales_rep"]).await,
        manager_a: fixtures::user(db, "manager.a", Some(team_a), &["sales_manager"]).await,
        head: fixtures::user(db, "head", Some(sales), &["sales_manager"]).await,
    }
}

/// Whether a user finds the record by every read path: get, list pages, count, search.
pub(crate) async fn sees(
    db: &Db,
    actor: &Actor,
    entity: &'static EntityDef,
    id: i64,
    name: &str,
) -> bool {
    let visibility = reads(actor, entity);
    let got = match records::get(db, entity, &visibility, id).await {
        Ok(_) => true,
        Err(DbError::NotFound) => false,
        Err(other) => panic!("get: {other:?}"),
    };
    let listed = fixtures::all_pages(
        db,
        entity,
        &visibility,
        fixtures::query(entity, "name", &[], 3),
    )
    .await
    .iter()
    .any(|r| r.id == id);
    let by_id = fixtures::query(entity, "id", &[("id", &id.to_string())], 10);
    let counted = records::count(db, entity, &visibility, &by_id, 100)
        .await
        .unwrap()
        .0
        == 1;
    let found = records::list(db, entity, &visibility, &search(entity, name), &[])
        .await
        .unwrap()
        .records
        .iter()
        .any(|r| r.id == id);
    assert!(
        got == listed && listed == counted && counted == found,
        "read paths disagree for user {}: get {got}, list {listed}, count {counted}, search {found}",
        actor.user_id
    );
    got
}

async fn sales_reps_cannot_reach_other_teams_customers(db: Db) {
    let o = org(&db).await;
    let theirs = account(
        &db,
        &o.rep_b,
        json!({"name": "华南科技有限公司", "level": "VIP", "phone": "020-1234-5678"}),
    )
    .await;
    assert_eq!(
        (theirs.owner_id, theirs.team_id),
        (o.rep_b.user_id, Some(o.team_b))
    );
    let mine = fixtures::named_account(&db, &o.rep_a, "华北贸易有限公司").await;
    assert!(sees(&db, &o.rep_a, &ACCOUNT, mine.id, "华北贸易").await);
    assert!(!sees(&db, &o.rep_a, &ACCOUNT, theirs.id, "华南科技").await);
    assert!(!sees(&db, &o.rep_b, &ACCOUNT, mine.id, "华北贸易").await);
    // Not by phone digits either, nor in the recycle bin.
    let digits = records::list(
        &db,
        &ACCOUNT,
        &reads(&o.rep_a, &ACCOUNT),
        &search(&ACCOUNT, "5678"),
        &[],
    )
    .await
    .unwrap();
    assert!(digits.records.is_empty());

    let before = sql::row_snapshot(&db, "accounts", theirs.id).await;
    let events_before = sql::scalar(&db, "SELECT COUNT(*) FROM events").await;
    let update = try_update(
        &db,
        &ACCOUNT,
        &o.rep_a,
        theirs.id,
        1,
        json!({"name": "被改了", "level": "普通"}),
    )
    .await;
    assert!(matches!(update, Err(DbError::NotFound)), "{update:?}");
    let take = try_update(
        &db,
        &ACCOUNT,
        &o.rep_a,
        theirs.id,
        1,
        json!({"owner_id": o.rep_a.user_id}),
    )
    .await;
    assert!(matches!(take, Err(DbError::NotFound)), "{take:?}");
    let delete = records::soft_delete(&db, &ACCOUNT, &o.rep_a, None, theirs.id).await;
    assert!(matches!(delete, Err(DbError::NotFound)), "{delete:?}");
    assert_eq!(
        sql::row_snapshot(&db, "accounts", theirs.id).await,
        before,
        "the row is byte-for-byte unchanged"
    );
    assert_eq!(
        sql::scalar(&db, "SELECT COUNT(*) FROM events").await,
        events_before,
        "and nothing was logged as done"
    );

    // Their deleted customers stay out of reach too.
    records::soft_delete(&db, &ACCOUNT, &o.rep_b, None, theirs.id)
        .await
        .unwrap();
    let bin = ListQuery {
        in_recycle_bin: true,
        ..fixtures::query(&ACCOUNT, "-id", &[], 50)
    };
    assert!(
        records::list(&db, &ACCOUNT, &reads(&o.rep_a, &ACCOUNT), &bin, &[])
            .await
            .unwrap()
            .records
            .is_empty()
    );
    let deleted = sql::row_snapshot(&db, "accounts", theirs.id).await;
    assert!(matches!(
        records::restore(&db, &ACCOUNT, &o.rep_a, None, theirs.id).await,
        Err(DbError::NotFound)
    ));
    assert_eq!(sql::row_snapshot(&db, "accounts", theirs.id).await, deleted);
    records::restore(&db, &ACCOUNT, &o.rep_b, None, theirs.id)
        .await
        .unwrap();

    // Nor can they hang a contact on it, or see its contacts.
    let added = try_create(
        &db,
        &CONTACT,
        &o.rep_a,
        json!({"name": "偷偷加", "account_id": theirs.id}),
    )
    .await;
    assert!(
        matches!(added, Err(DbError::Invalid(ref e)) if e.get("account_id").is_some()),
        "{added:?}"
    );
    let person = contact(
        &db,
        &o.rep_b,
        theirs.id,
        json!({"name": "陈经理", "mobile": "137-0000-2222"}),
    )
    .await;
    assert!(!sees(&db, &o.rep_a, &CONTACT, person.id, "陈经理").await);
    assert!(sees(&db, &o.rep_b, &CONTACT, person.id, "陈经理").await);

    // And they cannot hand their own customer to someone outside their scope.
    let give = try_update(
        &db,
        &ACCOUNT,
        &o.rep_a,
        mine.id,
        1,
        json!({"owner_id": o.rep_b.user_id}),
    )
    .await;
    assert!(
        matches!(give, Err(DbError::Invalid(ref e)) if e.get("owner_id").is_some()),
        "{give:?}"
    );
    assert_eq!(
        records::get(&db, &ACCOUNT, &reads(&o.rep_a, &ACCOUNT), mine.id)
            .await
            .unwrap()
            .version,
        1
    );
}

async fn managers_see_their_sub_teams(db: Db) {
    let o = org(&db).await;
    let north = fixtures::named_account(&db, &o.rep_a, "华北客户").await;
    let south = fixtures::named_account(&db, &o.rep_b, "华南客户").await;
    let outside = fixtures::named_account(&db, &o.admin, "总部直属客户").await;

    assert!(
        sees(&db, &o.head, &ACCOUNT, north.id, "华北客户").await,
        "the parent team's manager sees sub-teams"
    );
    assert!(sees(&db, &o.head, &ACCOUNT, south.id, "华南客户").await);
    assert!(
        !sees(&db, &o.head, &ACCOUNT, outside.id, "总部直属客户").await,
        "but not records outside the team"
    );
    assert!(sees(&db, &o.manager_a, &ACCOUNT, north.id, "华北客户").await);
    assert!(
        !sees(&db, &o.manager_a, &ACCOUNT, south.id, "华南客户").await,
        "a sibling team's manager does not"
    );
    for id in [north.id, south.id, outside.id] {
        assert!(
            records::get(&db, &ACCOUNT, &reads(&o.admin, &ACCOUNT), id)
                .await
                .is_ok(),
            "admin sees everything"
        );
    }
    let all = fixtures::all_pages(
        &db,
        &ACCOUNT,
        &reads(&o.head, &ACCOUNT),
        fixtures::query(&ACCOUNT, "-id", &[], 50),
    )
    .await;
    assert_eq!(all.len(), 2);
    // A manager in no team sees only their own records.
    let lone = fixtures::user(&db, "lone", None, &["sales_manager"]).await;
    let own = fixtures::named_account(&db, &lone, "自己的客户").await;
    assert!(sees(&db, &lone, &ACCOUNT, own.id, "自己的客户").await);
    assert!(!sees(&db, &lone, &ACCOUNT, north.id, "华北客户").await);
    assert!(!sees(&db, &o.head, &ACCOUNT, own.id, "自己的客户").await);

    // The head may edit and reassign within the tree, not outside it.
    let moved = try_update(
        &db,
        &ACCOUNT,
        &o.head,
        south.id,
        1,
        json!({"owner_id": o.rep_a.user_id}),
    )
    .await
    .unwrap();
    assert_eq!(
        (moved.owner_id, moved.team_id),
        (o.rep_a.user_id, Some(o.team_a))
    );
    let out = try_update(
        &db,
        &ACCOUNT,
        &o.head,
        north.id,
        1,
        json!({"owner_id": o.admin.user_id}),
    )
    .await;
    assert!(
        matches!(out, Err(DbError::Invalid(ref e)) if e.get("owner_id").is_some()),
        "{out:?}"
    );
    assert!(matches!(
        try_update(
            &db,
            &ACCOUNT,
            &o.manager_a,
            outside.id,
            1,
            json!({"name": "x"})
        )
        .await,
        Err(DbError::NotFound)
    ));
    // The sub-team manager now sees the moved customer; the parent manager still does.
    assert!(sees(&db, &o.manager_a, &ACCOUNT, south.id, "华南客户").await);
    records::soft_delete(&db, &ACCOUNT, &o.manager_a, None, south.id)
        .await
        .unwrap();
    let created = try_create(
        &db,
        &ACCOUNT,
        &o.manager_a,
        json!({"name": "代建", "owner_id": o.rep_a.user_id}),
    )
    .await
    .unwrap();
    assert_eq!(created.team_id, Some(o.team_a));
    let foreign = try_create(
        &db,
        &ACCOUNT,
        &o.manager_a,
        json!({"name": "越权", "owner_id": o.rep_b.user_id}),
    )
    .await;
    assert!(matches!(foreign, Err(DbError::Invalid(_))), "{foreign:?}");
}

async fn read_only_and_service_roles(db: Db) {
    let o = org(&db).await;
    let viewer = fixtures::user(&db, "viewer", Some(o.team_a), &["read_only"]).await;
    let agent = fixtures::user(&db, "agent", Some(o.team_a), &["service_agent"]).await;
    let customer = fixtures::named_account(&db, &o.rep_b, "华南客户").await;
    assert!(sees(&db, &viewer, &ACCOUNT, customer.id, "华南客户").await);
    assert!(sees(&db, &agent, &ACCOUNT, customer.id, "华南客户").await);
    let before = sql::row_snapshot(&db, "accounts", customer.id).await;
    for actor in [&viewer, &agent] {
        assert!(matches!(
            try_update(&db, &ACCOUNT, actor, customer.id, 1, json!({"name": "x"})).await,
            Err(DbError::NotFound)
        ));
        assert!(matches!(
            records::soft_delete(&db, &ACCOUNT, actor, None, customer.id).await,
            Err(DbError::NotFound)
        ));
        let created = try_create(&db, &ACCOUNT, actor, json!({"name": "不许建"})).await;
        assert!(matches!(created, Err(DbError::Invalid(_))), "{created:?}");
    }
    assert_eq!(
        sql::row_snapshot(&db, "accounts", customer.id).await,
        before
    );
    assert_eq!(
        viewer.visibility("account", Action::Edit),
        kehu_core::permission::Visibility::Nothing
    );
}

async fn team_scopes_follow_people(db: Db) {
    let o = org(&db).await;
    let customer = fixtures::named_account(&db, &o.rep_a, "华北客户").await;
    let person = contact(&db, &o.rep_a, customer.id, json!({"name": "刘总"})).await;
    assert!(sees(&db, &o.manager_a, &ACCOUNT, customer.id, "华北客户").await);
    let manager_b = fixtures::user(&db, "manager.b", Some(o.team_b), &["sales_manager"]).await;
    assert!(!sees(&db, &manager_b, &ACCOUNT, customer.id, "华北客户").await);

    // rep.a moves to 华南: their customers and contacts go with them.
    let rep = users::get(&db, o.rep_a.user_id).await.unwrap();
    users::update(
        &db,
        &kehu_db::events::Origin::default(),
        rep.id,
        rep.version,
        UserChanges {
            team_id: Some(Some(o.team_b)),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(
        sees(&db, &manager_b, &ACCOUNT, customer.id, "华北客户").await,
        "the new team's manager sees them"
    );
    assert!(sees(&db, &manager_b, &CONTACT, person.id, "刘总").await);
    assert!(
        !sees(&db, &o.manager_a, &ACCOUNT, customer.id, "华北客户").await,
        "the old team's manager no longer does"
    );
    assert!(!sees(&db, &o.manager_a, &CONTACT, person.id, "刘总").await);
    assert!(sees(&db, &o.head, &ACCOUNT, customer.id, "华北客户").await);
    let record = records::get(&db, &ACCOUNT, &reads(&o.admin, &ACCOUNT), customer.id)
        .await
        .unwrap();
    assert_eq!(
        (record.team_id, record.version),
        (Some(o.team_b), 1),
        "the team follows without a user-visible edit"
    );
    // The rep's own view is unchanged.
    let rep_now = users::actor(&db, &users::get(&db, rep.id).await.unwrap())
        .await
        .unwrap();
    assert!(sees(&db, &rep_now, &ACCOUNT, customer.id, "华北客户").await);
}

async fn timeline_shows_only_visible_contacts(db: Db) {
    let o = org(&db).await;
    let customer = fixtures::named_account(&db, &o.rep_a, "共享客户").await;
    // Someone with wider rights adds a contact owned by a rep of another team.
    let theirs = contact(
        &db,
        &o.admin,
        customer.id,
        json!({"name": "外人", "owner_id": o.rep_b.user_id}),
    )
    .await;
    let mine = contact(&db, &o.rep_a, customer.id, json!({"name": "自己人"})).await;
    let rep_view = events::account_timeline(&db, customer.id, &reads(&o.rep_a, &CONTACT), None, 50)
        .await
        .unwrap();
    let shown: Vec<(&str, Option<i64>)> = rep_view
        .iter()
        .map(|e| (e.entity.as_str(), e.record_id))
        .collect();
    assert!(
        shown.contains(&("contact", Some(mine.id)))
            && shown.contains(&("account", Some(customer.id))),
        "{shown:?}"
    );
    assert!(
        !shown.contains(&("contact", Some(theirs.id))),
        "a contact the reader cannot see stays off the timeline"
    );
    let admin_view =
        events::account_timeline(&db, customer.id, &reads(&o.admin, &CONTACT), None, 50)
            .await
            .unwrap();
    assert_eq!(admin_view.len(), 3);
}
