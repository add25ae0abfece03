//! Sessions, API tokens, deactivation and sign-in throttling.

use crate::common::{fixtures, sql};
use chrono::Duration;
use kehu_db::auth::{self, LOCK_MINUTES, MAX_FAILURES};
use kehu_db::users::{self, UserChanges};
use kehu_db::{Db, DbError};

backend_tests!(
    sessions_are_found_until_they_end,
    api_tokens_work_until_the_user_is_deactivated,
    a_refused_deactivation_changes_nothing,
    sign_in_is_locked_after_repeated_failures,
    concurrent_failures_are_all_counted,
    a_lock_outlasts_the_counting_window
);

async fn sessions_are_found_until_they_end(db: Db) {
    let user = fixtures::user(&db, "zhang.wei", None, &[]).await;
    let (token, session) = auth::create_session(&db, user.user_id, Duration::hours(8))
        .await
        .unwrap();
    assert_eq!(session.user_id, user.user_id);
    assert_eq!(
        auth::find_session(&db, &token).await.unwrap(),
        Some(session.clone())
    );
    assert_ne!(session.csrf_token, token);
    assert!(auth::find_session(&db, "forged").await.unwrap().is_none());
    assert!(auth::find_session(&db, &format!("{token}x"))
        .await
        .unwrap()
        .is_none());
    let stored = sql::texts(&db, "SELECT token_hash FROM sessions").await;
    assert!(
        !stored.contains(&token),
        "only a hash of the token is stored"
    );

    let (expired, _) = auth::create_session(&db, user.user_id, Duration::seconds(-1))
        .await
        .unwrap();
    assert!(
        auth::find_session(&db, &expired).await.unwrap().is_none(),
        "an expired session is not found"
    );
    let (other, _) = auth::create_session(&db, user.user_id, Duration::hours(8))
        .await
        .unwrap();
    assert_eq!(auth::purge_expired_sessions(&db).await.unwrap(), 1);
    assert_eq!(sql::scalar(&db, "SELECT COUNT(*) FROM sessions").await, 2);

    auth::delete_session(&db, &token).await.unwrap();
    assert!(
        auth::find_session(&db, &token).await.unwrap().is_none(),
        "signed out"
    );
    assert!(
        auth::find_session(&db, &other).await.unwrap().is_some(),
        "other sessions continue"
    );
    auth::delete_session(&db, &token)
        .await
        .expect("signing out twice is harmless");
}

async fn deactivate(db: &Db, user_id: i64, active: bool) {
    let user = users::get(db, user_id).await.unwrap();
    let changed = users::update(
        db,
        &kehu_db::events::Origin::default(),
        user_id,
        user.version,
        UserChanges {
            active: Some(active),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(changed.active, active);
}

async fn api_tokens_work_until_the_user_is_deactivated(db: Db) {
    let user = fixtures::user(&db, "integration", None, &[]).await;
    let colleague = fixtures::user(&db, "colleague", None, &[]).await;
    let token = auth::create_api_token(&db, user.user_id, "ERP sync")
        .await
        .unwrap();
    let theirs = auth::create_api_token(&db, colleague.user_id, "mine")
        .await
        .unwrap();
    assert!(token.starts_with("kehu_"));
    assert_eq!(
        auth::find_api_token_user(&db, &token).await.unwrap(),
        Some(user.user_id)
    );
    assert_eq!(
        auth::find_api_token_user(&db, "kehu_forged").await.unwrap(),
        None
    );
    let (session, _) = auth::create_session(&db, user.user_id, Duration::hours(8))
        .await
        .unwrap();

    deactivate(&db, user.user_id, false).await;
    assert_eq!(
        auth::find_api_token_user(&db, &token).await.unwrap(),
        None,
        "no API access once deactivated"
    );
    assert!(
        auth::find_session(&db, &session).await.unwrap().is_none(),
        "and signed out everywhere"
    );
    assert_eq!(
        sql::scalar(&db, "SELECT COUNT(*) FROM sessions").await,
        0,
        "the sessions are gone, not just hidden"
    );
    assert_eq!(
        auth::find_api_token_user(&db, &theirs).await.unwrap(),
        Some(colleague.user_id),
        "others are unaffected"
    );

    // Re-activation does not bring old credentials back.
    deactivate(&db, user.user_id, true).await;
    assert_eq!(auth::find_api_token_user(&db, &token).await.unwrap(), None);
    assert!(auth::find_session(&db, &session).await.unwrap().is_none());
    let fresh = auth::create_api_token(&db, user.user_id, "new")
        .await
        .unwrap();
    assert_eq!(
        auth::find_api_token_user(&db, &fresh).await.unwrap(),
        Some(user.user_id)
    );
}

async fn a_refused_deactivation_changes_nothing(db: Db) {
    let user = fixtures::user(&db, "zhang.wei", None, &[]).await;
    let token = auth::create_api_token(&db, user.user_id, "t")
        .await
        .unwrap();
    let (session, _) = auth::create_session(&db, user.user_id, Duration::hours(1))
        .await
        .unwrap();
    let stale = users::update(
        &db,
        &kehu_db::events::Origin::default(),
        user.user_id,
        7,
        UserChanges {
            active: Some(false),
            ..Default::default()
        },
    )
    .await;
    assert!(
        matches!(stale, Err(DbError::StaleVersion { current: 1 })),
        "{stale:?}"
    );
    let invalid = users::update(
        &db,
        &kehu_db::events::Origin::default(),
        user.user_id,
        1,
        UserChanges {
            active: Some(false),
            display_name: Some(" ".into()),
            ..Default::default()
        },
    )
    .await;
    assert!(matches!(invalid, Err(DbError::Invalid(_))), "{invalid:?}");
    assert!(users::get(&db, user.user_id).await.unwrap().active);
    assert!(auth::find_session(&db, &session).await.unwrap().is_some());
    assert_eq!(
        auth::find_api_token_user(&db, &token).await.unwrap(),
        Some(user.user_id)
    );
}

async fn sign_in_is_locked_after_repeated_failures(db: Db) {
    for attempt in 1..MAX_FAILURES {
        auth::record_failure(&db, "zhang.wei").await.unwrap();
        assert!(
            auth::locked_until(&db, "zhang.wei")
                .await
                .unwrap()
                .is_none(),
            "not locked after {attempt} failures"
        );
    }
    auth::record_failure(&db, "zhang.wei").await.unwrap();
    let until = auth::locked_until(&db, "zhang.wei")
        .await
        .unwrap()
        .expect("locked after MAX_FAILURES");
    let minutes = (until - kehu_db::now()).num_minutes();
    assert!(
        (LOCK_MINUTES - 1..=LOCK_MINUTES).contains(&minutes),
        "locked for {minutes} minutes"
    );
    assert!(
        auth::locked_until(&db, "li.na").await.unwrap().is_none(),
        "other names are not locked"
    );

    auth::clear_failures(&db, "zhang.wei").await.unwrap();
    assert!(auth::locked_until(&db, "zhang.wei")
        .await
        .unwrap()
        .is_none());
    // Failures spread over more than the window do not add up.
    for _ in 1..MAX_FAILURES {
        auth::record_failure(&db, "li.na").await.unwrap();
    }
    let long_ago = kehu_db::now() - Duration::minutes(LOCK_MINUTES + 1);
    sql::set_timestamp(
        &db,
        "login_throttle",
        "first_failure_at",
        "login_key",
        "li.na",
        long_ago,
    )
    .await;
    auth::record_failure(&db, "li.na").await.unwrap();
    assert!(
        auth::locked_until(&db, "li.na").await.unwrap().is_none(),
        "the count starts again"
    );
    assert_eq!(
        sql::scalar(
            &db,
            "SELECT failures FROM login_throttle WHERE login_key = 'li.na'"
        )
        .await,
        1
    );
}

async fn concurrent_failures_are_all_counted(db: Db) {
    // A password-guessing script sends its attempts in parallel.
    let attempts = (0..2 * MAX_FAILURES).map(|_| {
        let db = db.clone();
        tokio::spawn(async move { auth::record_failure(&db, "zhang.wei").await })
    });
    for attempt in attempts.collect::<Vec<_>>() {
        attempt.await.unwrap().expect("every failure is recorded");
    }
    assert_eq!(
        sql::scalar(
            &db,
            "SELECT failures FROM login_throttle WHERE login_key = 'zhang.wei'"
        )
        .await,
        2 * MAX_FAILURES
    );
    assert!(auth::locked_until(&db, "zhang.wei")
        .await
        .unwrap()
        .is_some());
}

async fn a_lock_outlasts_the_counting_window(db: Db) {
    for _ in 0..MAX_FAILURES {
        auth::record_failure(&db, "zhang.wei").await.unwrap();
    }
    let until = auth::locked_until(&db, "zhang.wei")
        .await
        .unwrap()
        .expect("locked");
    // The window opened by the first failure has passed, the lock has not.
    let long_ago = kehu_db::now() - Duration::minutes(LOCK_MINUTES + 1);
    sql::set_timestamp(
        &db,
        "login_throttle",
        "first_failure_at",
        "login_key",
        "zhang.wei",
        long_ago,
    )
    .await;
    auth::record_failure(&db, "zhang.wei").await.unwrap();
    let still = auth::locked_until(&db, "zhang.wei").await.unwrap();
    assert!(
        still.is_some_and(|s| s >= until),
        "another failure does not lift the lock: {still:?}"
    );
    // Once the lock has expired, the name may try again.
    sql::set_timestamp(
        &db,
        "login_throttle",
        "locked_until",
        "login_key",
        "zhang.wei",
        kehu_db::now() - Duration::seconds(1),
    )
    .await;
    assert!(auth::locked_until(&db, "zhang.wei")
        .await
        .unwrap()
        .is_none());
}
