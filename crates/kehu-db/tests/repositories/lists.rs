//! List views: filters, sorting, keyset pagination and capped counts.

use crate::common::fixtures::{self, account};
use crate::common::sql;
use chrono::{DateTime, Duration, TimeZone, Utc};
use kehu_core::entity::ACCOUNT;
use kehu_core::filter::parse_filters;
use kehu_core::permission::Visibility;
use kehu_core::validation::{Mode, Schema};
use kehu_core::FieldValue;
use kehu_db::records::{self, BulkRow, Cursor, ListQuery, Record};
use kehu_db::{custom_fields, Db, DbError};
use serde_json::json;
use std::cmp::Ordering;

backend_tests!(
    keyset_pages_return_every_record_once_in_order,
    filters_narrow_the_list,
    date_filters_cover_whole_days,
    custom_field_filters,
    counts_are_capped,
    forged_cursors_are_refused,
    common_and_rare_filter_values_list_in_order_for_every_scope
);

/// The order a list promises: by the sort column (empty values last, whichever the
/// direction), ties broken by id in the same direction.
fn expected_order(records: &[Record], sort: &str) -> Vec<i64> {
    let (descending, field) = match sort.strip_prefix('-') {
        Some(field) => (true, field),
        None => (false, sort),
    };
    let compare_values = |a: &FieldValue, b: &FieldValue| -> Ordering {
        match (a, b) {
            (FieldValue::Text(a), FieldValue::Text(b)) => a.cmp(b),
            (FieldValue::Int(a), FieldValue::Int(b)) => a.cmp(b),
            (FieldValue::Timestamp(a), FieldValue::Timestamp(b)) => a.cmp(b),
            (a, b) => panic!("cannot compare {a:?} and {b:?}"),
        }
    };
    let mut sorted: Vec<&Record> = records.iter().collect();
    sorted.sort_by(|a, b| {
        let (va, vb) = if field == "id" {
            (FieldValue::Int(a.id), FieldValue::Int(b.id))
        } else {
            (a.get(field).clone(), b.get(field).clone())
        };
        let by_value = match (va.is_empty(), vb.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => return Ordering::Greater,
            (false, true) => return Ordering::Less,
            (false, false) => compare_values(&va, &vb),
        };
        let order = by_value.then(a.id.cmp(&b.id));
        if descending {
            order.reverse()
        } else {
            order
        }
    });
    sorted.into_iter().map(|r| r.id).collect()
}

async fn keyset_pages_return_every_record_once_in_order(db: Db) {
    fixtures::seed(&db).await;
    let admin = fixtures::admin(&db).await;
    let base = Utc.with_ymd_and_hms(2024, 5, 1, 8, 0, 0).unwrap();
    let levels = [Some("VIP"), Some("普通"), None];
    let statuses = ["potential", "active", "dormant", "lost"];
    let mut ids = Vec::new();
    for i in 0..60i64 {
        // Duplicate names, empty credit limits and levels, and creation times that are
        // neither unique nor in id order: the cases keyset pagination gets wrong.
        let mut input = json!({
            "name": format!("Customer {:02}", (i * 7) % 20),
            "lifecycle_status": statuses[(i % 4) as usize],
        });
        if i % 4 != 0 {
            input["credit_limit"] = json!(((i * 37) % 11) * 1000);
        }
        if let Some(level) = levels[(i % 3) as usize] {
            input["level"] = json!(level);
        }
        let record = account(&db, &admin, input).await;
        let at = base + Duration::minutes((i * 13) % 30) + Duration::microseconds(i % 2);
        sql::set_timestamp(&db, "accounts", "created_at", "id", record.id, at).await;
        ids.push(record.id);
    }
    let mut all = Vec::new();
    for id in &ids {
        all.push(
            records::get(&db, &ACCOUNT, &Visibility::Everything, *id)
                .await
                .unwrap(),
        );
    }
    let sorts = [
        "-id",
        "id",
        "name",
        "-name",
        "created_at",
        "-created_at",
        "credit_limit",
        "-credit_limit",
        "level",
        "-level",
        "lifecycle_status",
        "-lifecycle_status",
        "owner_id",
        "-updated_at",
    ];
    for sort in sorts {
        for page_size in [7, 6, 60, 200] {
            let query = fixtures::query(&ACCOUNT, sort, &[], page_size);
            let mut pages = 0;
            let mut walked = Vec::new();
            let mut query_now = query.clone();
            loop {
                let page = records::list(&db, &ACCOUNT, &Visibility::Everything, &query_now, &[])
                    .await
                    .unwrap_or_else(|e| panic!("sort {sort}, page {pages}: {e:?}"));
                pages += 1;
                assert!(!page.records.is_empty(), "sort {sort}: no empty pages");
                walked.extend(page.records.iter().map(|r| r.id));
                match page.next_cursor {
                    Some(token) => {
                        query_now.cursor = Some(Cursor::decode(&token).expect("cursor decodes"))
                    }
                    None => break,
                }
                assert!(pages < 100, "sort {sort}: pagination does not end");
            }
            assert_eq!(
                walked,
                expected_order(&all, sort),
                "sort {sort}, pages of {page_size}"
            );
            assert_eq!(
                pages,
                60usize.div_ceil(page_size as usize),
                "sort {sort}, pages of {page_size}"
            );
        }
    }
    // Lists select only what is shown (plus what every read needs).
    let page = records::list(
        &db,
        &ACCOUNT,
        &Visibility::Everything,
        &fixtures::query(&ACCOUNT, "name", &[], 5),
        &[ACCOUNT.field("level").unwrap()],
    )
    .await
    .unwrap();
    let shown: Vec<&str> = page.records[0].values.keys().copied().collect();
    assert_eq!(
        shown,
        ["id", "level", "name", "owner_id", "team_id", "version"]
    );
}

struct Sample {
    huawei: Record,
    shanghai: Record,
    acme: Record,
    shenzhen: Record,
}

async fn sample(db: &Db) -> (kehu_core::permission::Actor, Sample) {
    fixtures::seed(db).await;
    fixtures::define_custom_fields(db).await;
    let admin = fixtures::admin(db).await;
    let huawei = account(
        db,
        &admin,
        json!({"name": "北京华为科技有限公司", "industry": "制造", "level": "VIP", "credit_limit": 5_000_000, "tags": ["重点", "华北"], "province": "北京",
               "custom": {"employees": 1200, "wechat": "huawei_bj"}}),
    )
    .await;
    let shanghai = account(
        db,
        &admin,
        json!({"name": "上海科技发展有限公司", "industry": "软件", "level": "普通", "credit_limit": 100_000, "province": "上海", "custom": {"employees": 80}}),
    )
    .await;
    let acme = account(
        db,
        &admin,
        json!({"name": "Acme Tech Ltd", "industry": "零售", "level": "VIP", "tags": ["重点客户"], "custom": {"employees": 12, "wechat": "acme_100%"}}),
    )
    .await;
    let shenzhen = account(
        db,
        &admin,
        json!({"name": "深圳贸易公司_50%", "credit_limit": 10_000_000}),
    )
    .await;
    (
        admin,
        Sample {
            huawei,
            shanghai,
            acme,
            shenzhen,
        },
    )
}

/// Names of the customers a filtered list shows, in id order.
async fn filtered(db: &Db, params: &[(&str, &str)]) -> Vec<String> {
    let custom = custom_fields::for_entity(db, "account").await.unwrap();
    let query = ListQuery {
        filters: parse_filters(&ACCOUNT, &custom, params.iter().copied())
            .unwrap_or_else(|e| panic!("{params:?}: {e:?}")),
        ..fixtures::query(&ACCOUNT, "id", &[], 200)
    };
    let names = fixtures::names(db, &ACCOUNT, &Visibility::Everything, &query).await;
    let (count, capped) = records::count(db, &ACCOUNT, &Visibility::Everything, &query, 1000)
        .await
        .unwrap();
    assert_eq!(
        (count as usize, capped),
        (names.len(), false),
        "count agrees with the list for {params:?}"
    );
    names
}

fn names(records: &[&Record]) -> Vec<String> {
    records
        .iter()
        .map(|r| r.text("name").unwrap().to_string())
        .collect()
}

async fn filters_narrow_the_list(db: Db) {
    let (_, s) = sample(&db).await;
    let (huawei, shanghai, acme, shenzhen) = (&s.huawei, &s.shanghai, &s.acme, &s.shenzhen);
    assert_eq!(
        filtered(&db, &[("level", "VIP")]).await,
        names(&[huawei, acme])
    );
    assert_eq!(
        filtered(&db, &[("name__contains", "科技")]).await,
        names(&[huawei, shanghai])
    );
    assert_eq!(
        filtered(&db, &[("name__contains", "TECH")]).await,
        names(&[acme]),
        "contains ignores Latin case"
    );
    assert_eq!(
        filtered(&db, &[("name__contains", "%")]).await,
        names(&[shenzhen]),
        "% is a character, not a wildcard"
    );
    assert_eq!(
        filtered(&db, &[("name__contains", "_5")]).await,
        names(&[shenzhen]),
        "_ is a character, not a wildcard"
    );
    assert_eq!(
        filtered(&db, &[("name__contains", "司_")]).await,
        names(&[shenzhen])
    );
    assert!(filtered(&db, &[("name__contains", "华为_")])
        .await
        .is_empty());
    assert_eq!(
        filtered(&db, &[("credit_limit__gte", "1000.00")]).await,
        names(&[huawei, shanghai, shenzhen])
    );
    assert_eq!(
        filtered(&db, &[("credit_limit__lte", "1000")]).await,
        names(&[shanghai])
    );
    assert_eq!(
        filtered(
            &db,
            &[
                ("credit_limit__gte", "1000"),
                ("credit_limit__lte", "50000")
            ]
        )
        .await,
        names(&[huawei, shanghai])
    );
    assert_eq!(
        filtered(&db, &[("credit_limit", "50000")]).await,
        names(&[huawei])
    );
    assert_eq!(
        filtered(&db, &[("industry__in", "制造,零售")]).await,
        names(&[huawei, acme])
    );
    assert_eq!(
        filtered(&db, &[("industry__in", "制造，软件")]).await,
        names(&[huawei, shanghai]),
        "full-width comma"
    );
    assert_eq!(
        filtered(&db, &[("tags", "重点")]).await,
        names(&[huawei]),
        "a tag matches whole tags only"
    );
    assert_eq!(
        filtered(&db, &[("tags__in", "重点客户,华北")]).await,
        names(&[huawei, acme])
    );
    assert_eq!(
        filtered(&db, &[("province", "北京"), ("level", "VIP")]).await,
        names(&[huawei])
    );
    assert!(filtered(&db, &[("province", "上海"), ("level", "VIP")])
        .await
        .is_empty());
    assert_eq!(
        filtered(&db, &[("id", &acme.id.to_string())]).await,
        names(&[acme])
    );
}

async fn date_filters_cover_whole_days(db: Db) {
    let (_, s) = sample(&db).await;
    let at = |text: &str| {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    };
    for (record, created) in [
        (&s.huawei, "2024-03-01T23:59:59.999999Z"),
        (&s.shanghai, "2024-03-02T00:00:00Z"),
        (&s.acme, "2024-03-02T23:59:59.999999Z"),
        (&s.shenzhen, "2024-03-03T00:00:00Z"),
    ] {
        sql::set_timestamp(&db, "accounts", "created_at", "id", record.id, at(created)).await;
    }
    let (huawei, shanghai, acme, shenzhen) = (&s.huawei, &s.shanghai, &s.acme, &s.shenzhen);
    assert_eq!(
        filtered(&db, &[("created_at__gte", "2024-03-02")]).await,
        names(&[shanghai, acme, shenzhen])
    );
    assert_eq!(
        filtered(&db, &[("created_at__lte", "2024-03-02")]).await,
        names(&[huawei, shanghai, acme])
    );
    assert_eq!(
        filtered(
            &db,
            &[
                ("created_at__gte", "2024-03-02"),
                ("created_at__lte", "2024-03-02")
            ]
        )
        .await,
        names(&[shanghai, acme])
    );
    assert_eq!(
        filtered(&db, &[("created_at", "2024-03-02")]).await,
        names(&[shanghai, acme])
    );
    assert_eq!(
        filtered(&db, &[("created_at__in", "2024-03-01,2024-03-03")]).await,
        names(&[huawei, shenzhen])
    );
    assert!(filtered(&db, &[("created_at__lte", "2024-02-29")])
        .await
        .is_empty());
    // Sorting by the moved creation times agrees.
    let query = fixtures::query(&ACCOUNT, "-created_at", &[], 10);
    assert_eq!(
        fixtures::names(&db, &ACCOUNT, &Visibility::Everything, &query).await,
        names(&[shenzhen, acme, shanghai, huawei])
    );
}

async fn custom_field_filters(db: Db) {
    let (_, s) = sample(&db).await;
    let (huawei, shanghai, acme) = (&s.huawei, &s.shanghai, &s.acme);
    assert_eq!(
        filtered(&db, &[("custom.employees__gte", "100")]).await,
        names(&[huawei])
    );
    assert_eq!(
        filtered(&db, &[("custom.employees__lte", "100")]).await,
        names(&[shanghai, acme])
    );
    assert_eq!(
        filtered(&db, &[("custom.employees", "80")]).await,
        names(&[shanghai])
    );
    assert_eq!(
        filtered(&db, &[("custom.employees__in", "80,12")]).await,
        names(&[shanghai, acme])
    );
    assert_eq!(
        filtered(&db, &[("custom.employees__contains", "12")]).await,
        names(&[huawei, acme])
    );
    assert_eq!(
        filtered(&db, &[("custom.wechat", "acme_100%")]).await,
        names(&[acme])
    );
    assert_eq!(
        filtered(&db, &[("custom.wechat__contains", "HUAWEI")]).await,
        names(&[huawei])
    );
    assert_eq!(
        filtered(&db, &[("custom.wechat__contains", "0%")]).await,
        names(&[acme])
    );
    assert!(filtered(&db, &[("custom.wechat__contains", "huawei%")])
        .await
        .is_empty());
}

async fn counts_are_capped(db: Db) {
    fixtures::seed(&db).await;
    let admin = fixtures::admin(&db).await;
    for i in 0..12 {
        account(
            &db,
            &admin,
            json!({"name": format!("客户{i}"), "level": if i % 2 == 0 { "VIP" } else { "普通" }}),
        )
        .await;
    }
    let all = fixtures::query(&ACCOUNT, "-id", &[], 20);
    let everything = Visibility::Everything;
    assert_eq!(
        records::count(&db, &ACCOUNT, &everything, &all, 5)
            .await
            .unwrap(),
        (5, true),
        "10,000+ style"
    );
    assert_eq!(
        records::count(&db, &ACCOUNT, &everything, &all, 11)
            .await
            .unwrap(),
        (11, true)
    );
    assert_eq!(
        records::count(&db, &ACCOUNT, &everything, &all, 12)
            .await
            .unwrap(),
        (12, false)
    );
    assert_eq!(
        records::count(&db, &ACCOUNT, &everything, &all, 10_000)
            .await
            .unwrap(),
        (12, false)
    );
    let vip = fixtures::query(&ACCOUNT, "-id", &[("level", "VIP")], 20);
    assert_eq!(
        records::count(&db, &ACCOUNT, &everything, &vip, 100)
            .await
            .unwrap(),
        (6, false)
    );
    assert_eq!(
        records::count(&db, &ACCOUNT, &everything, &vip, 3)
            .await
            .unwrap(),
        (3, true)
    );
    assert_eq!(
        records::count(&db, &ACCOUNT, &Visibility::Nothing, &all, 100)
            .await
            .unwrap(),
        (0, false)
    );
    assert!(
        records::list(&db, &ACCOUNT, &Visibility::Nothing, &all, &[])
            .await
            .unwrap()
            .records
            .is_empty()
    );
}

async fn forged_cursors_are_refused(db: Db) {
    fixtures::seed(&db).await;
    let admin = fixtures::admin(&db).await;
    for name in ["a", "b", "c"] {
        fixtures::named_account(&db, &admin, name).await;
    }
    assert_eq!(Cursor::decode("not a cursor"), None);
    let by = |sort: &str, value: serde_json::Value| ListQuery {
        cursor: Some(Cursor { value, id: 1 }),
        ..fixtures::query(&ACCOUNT, sort, &[], 2)
    };
    for (sort, value) in [
        ("created_at", json!("yesterday")),
        ("credit_limit", json!("lots")),
        ("name", json!({"x": 1})),
    ] {
        let result = records::list(
            &db,
            &ACCOUNT,
            &Visibility::Everything,
            &by(sort, value.clone()),
            &[],
        )
        .await;
        assert!(
            matches!(result, Err(DbError::Invalid(_))),
            "{sort} after {value}: {result:?}"
        );
    }
    // A cursor made by a page is accepted.
    let first = records::list(
        &db,
        &ACCOUNT,
        &Visibility::Everything,
        &fixtures::query(&ACCOUNT, "name", &[], 2),
        &[],
    )
    .await
    .unwrap();
    let token = first.next_cursor.expect("a second page");
    let next = ListQuery {
        cursor: Cursor::decode(&token),
        ..fixtures::query(&ACCOUNT, "name", &[], 2)
    };
    let second = records::list(&db, &ACCOUNT, &Visibility::Everything, &next, &[])
        .await
        .unwrap();
    assert_eq!(second.records.len(), 1);
    assert_eq!(second.records[0].text("name"), Some("c"));
}

/// Enough customers that a common picklist value is listed by walking the sort order
/// (SQLite's covering list indexes, one walk per part of the scope) and a rare one through
/// its own index: both give every visible match once, in order, for an admin, a manager
/// of a team with a sub-team, and sales reps with and without shares. What each may see
/// is worked out here from owners, teams and shares, not by the code under test.
async fn common_and_rare_filter_values_list_in_order_for_every_scope(db: Db) {
    fixtures::seed(&db).await;
    let east = fixtures::team(&db, "East", None).await;
    let north = fixtures::team(&db, "East North", Some(east)).await;
    let west = fixtures::team(&db, "West", None).await;
    let admin = fixtures::admin(&db).await;
    let manager = fixtures::user(&db, "east.manager", Some(east), &["sales_manager"]).await;
    let rep = fixtures::user(&db, "east.rep", Some(east), &["sales_rep"]).await;
    let other = fixtures::user(&db, "west.rep", Some(west), &["sales_rep"]).await;
    let north_rep = fixtures::user(&db, "north.rep", Some(north), &["sales_rep"]).await;
    let owners = [
        rep.user_id,
        manager.user_id,
        other.user_id,
        north_rep.user_id,
    ];
    let lists = kehu_db::picklists::all(&db).await.unwrap();
    let schema = Schema {
        entity: &ACCOUNT,
        custom_fields: &[],
        picklists: &lists,
    };
    let base = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    // 2,400 customers: every 8th is VIP (300, under the "rare" threshold of 1,000 rows),
    // all of them west.rep's; the rest 普通; names and creation times out of id order,
    // with repeats; a fifth in 北京.
    let rows: Vec<BulkRow> = (0..2_400i64)
        .map(|i| {
            let input = json!({
                "name": format!("客户 {:04}", (i * 7_919) % 1_500),
                "level": if i % 8 == 2 { "VIP" } else { "普通" },
                "lifecycle_status": if i % 3 == 0 { "lost" } else { "active" },
                "province": if i % 5 == 0 { "北京" } else { "上海" },
            });
            let changes = schema
                .from_json(input.as_object().unwrap(), Mode::Create)
                .expect("valid row");
            BulkRow {
                created_at: Some(base + Duration::minutes((i * 37) % 900)),
                ..BulkRow::from_changes(owners[(i % 4) as usize], changes)
            }
        })
        .collect();
    let ids = records::bulk_insert(&db, &ACCOUNT, Some(admin.user_id), rows)
        .await
        .expect("load");
    // Some of the manager's own customers sit in another team (as after a move): the
    // manager still sees them as their own.
    let moved: Vec<String> = ids.iter().skip(1).step_by(16).map(i64::to_string).collect();
    sql::execute(
        &db,
        &format!(
            "UPDATE accounts SET team_id = {west} WHERE owner_id = {} AND id IN ({})",
            manager.user_id,
            moved.join(", ")
        ),
    )
    .await;
    let outside = format!(
        "SELECT COUNT(*) FROM accounts WHERE team_id = {west} AND owner_id = {}",
        manager.user_id
    );
    assert_eq!(sql::scalar(&db, &outside).await, 150);
    // Two of west.rep's customers (a VIP and a 普通 one) are shared with the rep, and
    // appear in the rep's lists among their own.
    let shared = [ids[2], ids[6]];
    for id in shared {
        kehu_db::shares::share(
            &db,
            &ACCOUNT,
            &admin,
            None,
            id,
            kehu_db::shares::ShareTarget::User(rep.user_id),
            kehu_db::shares::ShareAccess::Read,
        )
        .await
        .expect("share");
    }
    let columns = [
        "name",
        "level",
        "lifecycle_status",
        "province",
        "created_at",
        "updated_at",
    ];
    let everything = every_record_with(&db, &Visibility::Everything, &columns).await;
    assert_eq!(everything.len(), 2_400);
    let east_teams = [east, north];
    for (who, actor) in [
        ("admin", &admin),
        ("manager", &manager),
        ("rep", &rep),
        ("unshared rep", &other),
    ] {
        let sees = |r: &Record| match who {
            "admin" => true,
            "manager" => {
                r.owner_id == manager.user_id || r.team_id.is_some_and(|t| east_teams.contains(&t))
            }
            "rep" => r.owner_id == rep.user_id || shared.contains(&r.id),
            _ => r.owner_id == other.user_id,
        };
        let visible: Vec<&Record> = everything.iter().filter(|r| sees(r)).collect();
        let expected_count = match who {
            "admin" => 2_400,
            "manager" => 1_800,
            "rep" => 602,
            _ => 600,
        };
        assert_eq!(visible.len(), expected_count, "{who} sees their scope");
        let visibility = fixtures::reads(actor, &ACCOUNT);
        for filter in [
            ("level", "普通"),
            ("level", "VIP"),
            ("lifecycle_status", "lost"),
            ("province", "北京"),
        ] {
            let matching: Vec<Record> = visible
                .iter()
                .filter(|r| r.text(filter.0) == Some(filter.1))
                .map(|r| (*r).clone())
                .collect();
            for sort in [
                "name",
                "-name",
                "-created_at",
                "created_at",
                "-updated_at",
                "-id",
            ] {
                let walked: Vec<i64> = fixtures::all_pages(
                    &db,
                    &ACCOUNT,
                    &visibility,
                    fixtures::query(&ACCOUNT, sort, &[filter], 50),
                )
                .await
                .iter()
                .map(|r| r.id)
                .collect();
                assert_eq!(
                    walked,
                    expected_order(&matching, sort),
                    "{who}, {}={}, sort {sort}",
                    filter.0,
                    filter.1
                );
            }
        }
    }
}

/// Every record the visibility covers, with the named columns, in id order.
async fn every_record_with(db: &Db, visibility: &Visibility, columns: &[&str]) -> Vec<Record> {
    let columns: Vec<_> = columns
        .iter()
        .map(|c| ACCOUNT.field(c).expect("a field"))
        .collect();
    let mut query = fixtures::query(&ACCOUNT, "id", &[], 200);
    let mut out = Vec::new();
    loop {
        let page = records::list(db, &ACCOUNT, visibility, &query, &columns)
            .await
            .expect("page");
        out.extend(page.records);
        match page.next_cursor {
            Some(token) => query.cursor = Some(Cursor::decode(&token).expect("cursor")),
            None => return out,
        }
    }
}
