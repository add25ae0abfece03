//! Transfer of ownership: a leaving rep's customers go to a colleague with their contacts,
//! in one step, previewed first, audited, and only within the actor's assign scope.

use super::permissions::org;
use crate::common::fixtures::{self, contact};
use crate::common::sql;
use kehu_core::entity::{ACCOUNT, CONTACT};
use kehu_core::filter::parse_filters;
use kehu_db::records;
use kehu_db::transfer::{self, TransferRequest};
use kehu_db::users::{self, UserChanges};
use kehu_db::{events, Db, DbError};
use serde_json::json;

backend_tests!(
    a_leaving_reps_customers_go_to_a_colleague_with_their_contacts,
    transfers_stay_within_the_actors_scope
);

async fn a_leaving_reps_customers_go_to_a_colleague_with_their_contacts(db: Db) {
    let o = org(&db).await;
    let vip = fixtures::account(&db, &o.rep_a, json!({"name": "华北贸易", "level": "VIP"})).await;
    let plain =
        fixtures::account(&db, &o.rep_a, json!({"name": "北方商店", "level": "普通"})).await;
    let person = contact(&db, &o.rep_a, vip.id, json!({"name": "李雷"})).await;
    let other_rep = fixtures::named_account(&db, &o.rep_b, "华南科技").await;
    let colleague = fixtures::user(&db, "rep.a2", Some(o.team_b), &["sales_rep"]).await;

    // The rep leaves: deactivated first, records still theirs.
    let user = users::get(&db, o.rep_a.user_id).await.unwrap();
    users::update(
        &db,
        &kehu_db::events::Origin::default(),
        user.id,
        user.version,
        UserChanges {
            active: Some(false),
            ..Default::default()
        },
    )
    .await
    .unwrap();

    let only_vip = TransferRequest {
        from_user_id: o.rep_a.user_id,
        to_user_id: colleague.user_id,
        filters: parse_filters(&ACCOUNT, &[], [("level", "VIP")]).unwrap(),
    };
    let preview = transfer::preview(&db, &o.admin, &only_vip).await.unwrap();
    assert_eq!((preview.of("account"), preview.of("contact")), (1, 1));
    let untouched = sql::row_snapshot(&db, "accounts", vip.id).await;
    assert_eq!(
        sql::row_snapshot(&db, "accounts", vip.id).await,
        untouched,
        "a preview moves nothing"
    );

    let moved = transfer::transfer(&db, &o.admin, Some("10.1.1.1"), &only_vip)
        .await
        .unwrap();
    assert_eq!(moved, preview);
    let everything = kehu_core::permission::Visibility::Everything;
    let vip = records::get(&db, &ACCOUNT, &everything, vip.id)
        .await
        .unwrap();
    assert_eq!(
        (vip.owner_id, vip.team_id, vip.version),
        (colleague.user_id, Some(o.team_b), 2)
    );
    let person = records::get(&db, &CONTACT, &everything, person.id)
        .await
        .unwrap();
    assert_eq!(person.owner_id, colleague.user_id);
    let plain = records::get(&db, &ACCOUNT, &everything, plain.id)
        .await
        .unwrap();
    assert_eq!(plain.owner_id, o.rep_a.user_id, "filtered out, stays");
    let other = records::get(&db, &ACCOUNT, &everything, other_rep.id)
        .await
        .unwrap();
    assert_eq!(other.owner_id, o.rep_b.user_id);

    let history = events::record_history(&db, "account", vip.id, 5)
        .await
        .unwrap();
    assert_eq!(history[0].action, "transferred");
    assert_eq!(history[0].actor_id, Some(o.admin.user_id));
    assert_eq!(history[0].changes[0].new, json!(colleague.user_id));

    // The rest, without a filter; then nothing is left to move.
    let all = TransferRequest {
        filters: Vec::new(),
        ..only_vip
    };
    assert_eq!(
        transfer::transfer(&db, &o.admin, None, &all)
            .await
            .unwrap()
            .of("account"),
        1
    );
    assert_eq!(
        transfer::preview(&db, &o.admin, &all)
            .await
            .unwrap()
            .of("account"),
        0
    );
}

async fn transfers_stay_within_the_actors_scope(db: Db) {
    let o = org(&db).await;
    let theirs = fixtures::named_account(&db, &o.rep_b, "华南科技").await;
    let colleague_a = fixtures::user(&db, "rep.a2", Some(o.team_a), &["sales_rep"]).await;
    let before = sql::row_snapshot(&db, "accounts", theirs.id).await;
    let events_before = sql::scalar(&db, "SELECT COUNT(*) FROM events").await;

    // Team A's manager cannot take team B's customers: there is nothing for them to move.
    let from_b = TransferRequest {
        from_user_id: o.rep_b.user_id,
        to_user_id: colleague_a.user_id,
        filters: Vec::new(),
    };
    let counts = transfer::preview(&db, &o.manager_a, &from_b).await.unwrap();
    assert_eq!(counts.of("account"), 0);
    // Nor give records to someone outside their teams.
    let to_b = TransferRequest {
        from_user_id: o.rep_a.user_id,
        to_user_id: o.rep_b.user_id,
        filters: Vec::new(),
    };
    assert!(matches!(
        transfer::transfer(&db, &o.manager_a, None, &to_b).await,
        Err(DbError::Invalid(_))
    ));
    // A rep may not hand their customers to a colleague (assign scope is their own).
    let rep_gives = TransferRequest {
        from_user_id: o.rep_a.user_id,
        to_user_id: colleague_a.user_id,
        filters: Vec::new(),
    };
    assert!(matches!(
        transfer::transfer(&db, &o.rep_a, None, &rep_gives).await,
        Err(DbError::Invalid(_))
    ));
    // Unknown users and a transfer to oneself are field errors.
    for (from, to) in [
        (99_999, colleague_a.user_id),
        (o.rep_a.user_id, 99_999),
        (o.rep_a.user_id, o.rep_a.user_id),
    ] {
        let request = TransferRequest {
            from_user_id: from,
            to_user_id: to,
            filters: Vec::new(),
        };
        assert!(matches!(
            transfer::transfer(&db, &o.admin, None, &request).await,
            Err(DbError::Invalid(_))
        ));
    }
    assert_eq!(sql::row_snapshot(&db, "accounts", theirs.id).await, before);
    assert_eq!(
        sql::scalar(&db, "SELECT COUNT(*) FROM events").await,
        events_before
    );
}
