//! Team managers and shares widen what a user reaches, through the same SQL predicate as
//! roles: a shared record is found by every read path, a revoked one by none.

use super::permissions::{org, sees};
use crate::common::fixtures::{self, try_update};
use crate::common::sql;
use kehu_core::entity::ACCOUNT;
use kehu_db::shares::{self, ShareAccess, ShareTarget};
use kehu_db::{events, teams, users, Db, DbError};
use serde_json::json;

backend_tests!(
    a_team_manager_reaches_the_managed_team_without_being_admin,
    a_shared_record_appears_everywhere_and_goes_when_revoked,
    a_team_share_reaches_members_of_sub_teams,
    only_the_owner_or_a_manager_shares,
    the_audit_log_cannot_be_changed_or_deleted
);

async fn a_team_manager_reaches_the_managed_team_without_being_admin(db: Db) {
    let o = org(&db).await;
    let theirs = fixtures::named_account(&db, &o.rep_b, "华南科技有限公司").await;
    // A sales rep elsewhere (team A) becomes manager of team B's parent-less copy: here
    // of team B itself.
    let lead = fixtures::user(&db, "lead.b", Some(o.team_a), &["sales_rep"]).await;
    assert!(!sees(&db, &lead, &ACCOUNT, theirs.id, "华南科技").await);
    let team = teams::get(&db, o.team_b).await.unwrap();
    let changes = teams::TeamChanges {
        name: team.name.clone(),
        parent_id: team.parent_id,
        manager_id: Some(lead.user_id),
    };
    teams::update(&db, o.team_b, team.version, &changes)
        .await
        .unwrap();
    let user = users::get(&db, lead.user_id).await.unwrap();
    let lead = users::actor(&db, &user).await.unwrap();
    assert!(!lead.may_administer("team"));
    assert!(sees(&db, &lead, &ACCOUNT, theirs.id, "华南科技").await);
    let edited = try_update(
        &db,
        &ACCOUNT,
        &lead,
        theirs.id,
        theirs.version,
        json!({"level": "VIP"}),
    )
    .await
    .expect("a manager edits the team's customers");
    assert_eq!(edited.text("level"), Some("VIP"));
    // Managing widens the records, not the actions: a sales rep may not delete others'.
    assert!(matches!(
        kehu_db::records::soft_delete(&db, &ACCOUNT, &lead, None, theirs.id).await,
        Err(DbError::NotFound)
    ));
    // An unknown manager is a field error and changes nothing.
    let team = teams::get(&db, o.team_b).await.unwrap();
    let bad = teams::TeamChanges {
        manager_id: Some(99_999),
        ..changes
    };
    assert!(matches!(
        teams::update(&db, o.team_b, team.version, &bad).await,
        Err(DbError::Invalid(_))
    ));
    assert_eq!(teams::get(&db, o.team_b).await.unwrap(), team);
}

async fn a_shared_record_appears_everywhere_and_goes_when_revoked(db: Db) {
    let o = org(&db).await;
    let theirs = fixtures::named_account(&db, &o.rep_b, "华南科技有限公司").await;
    assert!(!sees(&db, &o.rep_a, &ACCOUNT, theirs.id, "华南科技").await);

    let share = shares::share(
        &db,
        &ACCOUNT,
        &o.rep_b,
        Some("10.0.0.1"),
        theirs.id,
        ShareTarget::User(o.rep_a.user_id),
        ShareAccess::Read,
    )
    .await
    .unwrap();
    assert_eq!(share.target_name, "rep.a (display)");
    assert!(sees(&db, &o.rep_a, &ACCOUNT, theirs.id, "华南科技").await);
    // Read-only: the change is refused (not found for editing) and writes nothing.
    let before = sql::row_snapshot(&db, "accounts", theirs.id).await;
    assert!(matches!(
        try_update(
            &db,
            &ACCOUNT,
            &o.rep_a,
            theirs.id,
            1,
            json!({"level": "VIP"})
        )
        .await,
        Err(DbError::NotFound)
    ));
    assert_eq!(sql::row_snapshot(&db, "accounts", theirs.id).await, before);
    // Nor may the sharee share it on.
    assert!(matches!(
        shares::share(
            &db,
            &ACCOUNT,
            &o.rep_a,
            None,
            theirs.id,
            ShareTarget::User(o.manager_a.user_id),
            ShareAccess::Read,
        )
        .await,
        Err(DbError::Forbidden)
    ));

    // Upgraded to read-write: the same share, now editable.
    let write = shares::share(
        &db,
        &ACCOUNT,
        &o.rep_b,
        None,
        theirs.id,
        ShareTarget::User(o.rep_a.user_id),
        ShareAccess::Write,
    )
    .await
    .unwrap();
    assert_eq!(write.id, share.id);
    try_update(
        &db,
        &ACCOUNT,
        &o.rep_a,
        theirs.id,
        1,
        json!({"level": "VIP"}),
    )
    .await
    .expect("a read-write share allows edits");
    // But not giving the record away: that is the assign action, which shares never grant.
    let before = sql::row_snapshot(&db, "accounts", theirs.id).await;
    let taken = try_update(
        &db,
        &ACCOUNT,
        &o.rep_a,
        theirs.id,
        2,
        json!({"owner_id": o.rep_a.user_id}),
    )
    .await;
    assert!(matches!(taken, Err(DbError::Invalid(_))), "{taken:?}");
    assert_eq!(sql::row_snapshot(&db, "accounts", theirs.id).await, before);
    let listed = shares::list(&db, &ACCOUNT, &o.rep_a, theirs.id)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);

    shares::revoke(&db, &ACCOUNT, &o.rep_b, None, theirs.id, share.id)
        .await
        .unwrap();
    assert!(!sees(&db, &o.rep_a, &ACCOUNT, theirs.id, "华南科技").await);
    let history = events::record_history(&db, "account", theirs.id, 10)
        .await
        .unwrap();
    let actions: Vec<&str> = history.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["unshared", "updated", "shared", "shared", "created"]
    );
}

async fn a_team_share_reaches_members_of_sub_teams(db: Db) {
    let o = org(&db).await;
    let theirs = fixtures::named_account(&db, &o.rep_b, "华南科技有限公司").await;
    let parent = teams::get(&db, o.team_a).await.unwrap().parent_id.unwrap();
    // Shared with the parent team 销售部: rep A (in the sub-team 华北) sees it.
    shares::share(
        &db,
        &ACCOUNT,
        &o.admin,
        None,
        theirs.id,
        ShareTarget::Team(parent),
        ShareAccess::Read,
    )
    .await
    .unwrap();
    assert!(sees(&db, &o.rep_a, &ACCOUNT, theirs.id, "华南科技").await);
    // A user in no team is not reached by a team share.
    let loner = fixtures::user(&db, "loner", None, &["sales_rep"]).await;
    assert!(!sees(&db, &loner, &ACCOUNT, theirs.id, "华南科技").await);
}

async fn only_the_owner_or_a_manager_shares(db: Db) {
    let o = org(&db).await;
    let theirs = fixtures::named_account(&db, &o.rep_b, "华南科技有限公司").await;
    let share_as = |actor| {
        let db = db.clone();
        async move {
            shares::share(
                &db,
                &ACCOUNT,
                actor,
                None,
                theirs.id,
                ShareTarget::User(o.rep_a.user_id),
                ShareAccess::Read,
            )
            .await
        }
    };
    // Someone who cannot see it: not found, as if it did not exist.
    assert!(matches!(
        share_as(&o.manager_a).await,
        Err(DbError::NotFound)
    ));
    // The head of the parent team manages team B by role scope: allowed.
    share_as(&o.head).await.expect("the manager shares");
    // Sharing with the owner or with nobody real is a field error.
    for target in [
        ShareTarget::User(o.rep_b.user_id),
        ShareTarget::Team(99_999),
    ] {
        assert!(matches!(
            shares::share(
                &db,
                &ACCOUNT,
                &o.rep_b,
                None,
                theirs.id,
                target,
                ShareAccess::Read
            )
            .await,
            Err(DbError::Invalid(_))
        ));
    }
    assert_eq!(
        sql::scalar(&db, "SELECT COUNT(*) FROM record_shares").await,
        1
    );
}

async fn the_audit_log_cannot_be_changed_or_deleted(db: Db) {
    let o = org(&db).await;
    fixtures::named_account(&db, &o.rep_a, "华北贸易有限公司").await;
    let count = sql::scalar(&db, "SELECT COUNT(*) FROM events").await;
    assert!(count > 0);
    for statement in ["UPDATE events SET summary = 'forged'", "DELETE FROM events"] {
        let refused = db.conn().execute_raw(statement).await;
        assert!(refused.is_err(), "{statement} was allowed");
    }
    assert_eq!(sql::scalar(&db, "SELECT COUNT(*) FROM events").await, count);
    let search = events::search(
        &db,
        &events::AuditQuery {
            actor_id: Some(o.rep_a.user_id),
            action: Some("created".into()),
            ..Default::default()
        },
        50,
    )
    .await
    .unwrap();
    assert_eq!(search.len(), 1);
    assert_eq!(search[0].summary, "华北贸易有限公司");
    assert_eq!(search[0].source_ip.as_deref(), Some("127.0.0.1"));
    let tomorrow = chrono::Utc::now() + chrono::Duration::days(1);
    let later = events::search(
        &db,
        &events::AuditQuery {
            from: Some(tomorrow),
            ..Default::default()
        },
        50,
    )
    .await
    .unwrap();
    assert!(later.is_empty());
}
