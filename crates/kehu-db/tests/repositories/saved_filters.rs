//! Saved filters (查询方案): each user's own named list queries.

use crate::common::fixtures;
use kehu_core::filter::SavedQuery;
use kehu_db::{saved_filters, Db, DbError};

backend_tests!(saved_filters_belong_to_their_user);

fn query(q: &str, filters: &[(&str, &str)]) -> SavedQuery {
    SavedQuery {
        q: q.into(),
        sort: "-created_at".into(),
        filters: filters
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

async fn saved_filters_belong_to_their_user(db: Db) {
    let me = fixtures::user(&db, "zhang.wei", None, &[]).await.user_id;
    let other = fixtures::user(&db, "li.na", None, &[]).await.user_id;

    let vip = saved_filters::save(
        &db,
        me,
        "account",
        "北京VIP",
        &query("", &[("level", "VIP"), ("province", "北京")]),
    )
    .await
    .unwrap();
    assert_eq!(
        vip.query,
        query("", &[("level", "VIP"), ("province", "北京")])
    );
    saved_filters::save(
        &db,
        me,
        "account",
        "A 大客户",
        &query("科技", &[("credit_limit__gte", "100000")]),
    )
    .await
    .unwrap();
    saved_filters::save(&db, me, "contact", "北京VIP", &query("", &[]))
        .await
        .unwrap();
    saved_filters::save(
        &db,
        other,
        "account",
        "北京VIP",
        &query("", &[("level", "普通")]),
    )
    .await
    .unwrap();

    let mine = saved_filters::list(&db, me, "account").await.unwrap();
    let names: Vec<&str> = mine.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        ["A 大客户", "北京VIP"],
        "by name, per user and entity"
    );
    assert_eq!(mine[0].query.q, "科技");
    assert_eq!(
        saved_filters::list(&db, me, "contact").await.unwrap().len(),
        1
    );

    // Saving under an existing name replaces it.
    let replaced = saved_filters::save(
        &db,
        me,
        "account",
        " 北京VIP ",
        &query("华为", &[("level", "VIP")]),
    )
    .await
    .unwrap();
    let mine = saved_filters::list(&db, me, "account").await.unwrap();
    assert_eq!(mine.len(), 2);
    let found = mine.iter().find(|f| f.name == "北京VIP").unwrap();
    assert_eq!(
        (found.id, &found.query),
        (replaced.id, &query("华为", &[("level", "VIP")]))
    );
    let theirs = saved_filters::list(&db, other, "account").await.unwrap();
    assert_eq!(
        theirs[0].query.filters,
        [("level".to_string(), "普通".to_string())],
        "another user's filter of that name is untouched"
    );

    // Deleting: only one's own.
    let refused = saved_filters::delete(&db, other, replaced.id).await;
    assert!(matches!(refused, Err(DbError::NotFound)), "{refused:?}");
    assert_eq!(
        saved_filters::list(&db, me, "account").await.unwrap().len(),
        2
    );
    saved_filters::delete(&db, me, replaced.id).await.unwrap();
    assert_eq!(
        saved_filters::list(&db, me, "account").await.unwrap().len(),
        1
    );
    assert!(matches!(
        saved_filters::delete(&db, me, replaced.id).await,
        Err(DbError::NotFound)
    ));
    assert_eq!(
        saved_filters::list(&db, other, "account")
            .await
            .unwrap()
            .len(),
        1
    );

    let blank = saved_filters::save(&db, me, "account", "  ", &query("", &[])).await;
    assert!(matches!(blank, Err(DbError::Invalid(_))), "{blank:?}");
}
