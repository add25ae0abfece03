//! The search box (`ListQuery.text`): Chinese and English names, e-mail fragments, phone
//! digits, and input that must neither break the SQL nor match everything.

use crate::common::fixtures::{self, account, contact, names, search};
use kehu_core::entity::{ACCOUNT, CONTACT};
use kehu_core::permission::{Actor, Visibility};
use kehu_core::validation::{Mode, Schema};
use kehu_db::records::{self, BulkRow, ListQuery};
use kehu_db::Db;
use serde_json::json;

backend_tests!(
    finds_customers_by_chinese_and_english_names,
    finds_contacts_by_name_email_and_phone,
    nothing_matches_nothing,
    hostile_input_is_just_text,
    search_follows_changes_and_the_recycle_bin,
    search_pages_in_id_order_give_every_visible_match_once,
    search_follows_the_owner_and_the_team,
    a_rep_finds_what_they_own_in_any_team
);

async fn customers(db: &Db) -> Actor {
    fixtures::seed(db).await;
    let admin = fixtures::admin(db).await;
    for input in [
        json!({"name": "北京华为科技有限公司", "city": "北京", "code": "KH-2024-0001", "phone": "010-6234-5678"}),
        json!({"name": "上海科技发展有限公司", "city": "上海", "tags": ["重点客户"]}),
        json!({"name": "深圳腾讯计算机系统有限公司", "email": "bd@tencent.example.com"}),
        json!({"name": "Acme Trading Ltd", "city": "Hong Kong", "email": "sales@acme-trading.example.com"}),
        json!({"name": "Müller Maschinenbau GmbH"}),
    ] {
        account(db, &admin, input).await;
    }
    admin
}

async fn find(db: &Db, entity: &'static kehu_core::entity::EntityDef, text: &str) -> Vec<String> {
    let mut found = names(db, entity, &Visibility::Everything, &search(entity, text)).await;
    found.sort();
    let (count, _) = records::count(
        db,
        entity,
        &Visibility::Everything,
        &search(entity, text),
        1000,
    )
    .await
    .unwrap();
    assert_eq!(
        count as usize,
        found.len(),
        "count of {text:?} agrees with the list"
    );
    found
}

async fn finds_customers_by_chinese_and_english_names(db: Db) {
    customers(&db).await;
    let huawei = "北京华为科技有限公司";
    let shanghai = "上海科技发展有限公司";
    let tencent = "深圳腾讯计算机系统有限公司";
    let acme = "Acme Trading Ltd";
    assert_eq!(
        find(&db, &ACCOUNT, "科技").await,
        [shanghai, huawei],
        "a two-character word"
    );
    assert_eq!(
        find(&db, &ACCOUNT, "华为科技").await,
        [huawei],
        "a four-character substring"
    );
    assert_eq!(
        find(&db, &ACCOUNT, "为科技有").await,
        [huawei],
        "a substring across jieba's words"
    );
    assert_eq!(find(&db, &ACCOUNT, "腾讯").await, [tencent]);
    assert_eq!(find(&db, &ACCOUNT, "计算机系统").await, [tencent]);
    assert_eq!(find(&db, &ACCOUNT, "有限公司").await.len(), 3);
    assert_eq!(
        find(&db, &ACCOUNT, "北京 科技").await,
        [huawei],
        "every word must match"
    );
    assert_eq!(
        find(&db, &ACCOUNT, "华为，科技").await,
        [huawei],
        "Chinese punctuation separates words"
    );
    assert_eq!(
        find(&db, &ACCOUNT, "重点客户").await,
        [shanghai],
        "tags are searchable"
    );
    assert_eq!(find(&db, &ACCOUNT, "acme").await, [acme]);
    assert_eq!(
        find(&db, &ACCOUNT, "ACME trading").await,
        [acme],
        "English is case-insensitive"
    );
    assert_eq!(
        find(&db, &ACCOUNT, "Trad").await,
        [acme],
        "English words match by prefix"
    );
    assert_eq!(
        find(&db, &ACCOUNT, "hong kong").await,
        [acme],
        "the city is searchable"
    );
    assert_eq!(
        find(&db, &ACCOUNT, "muller").await,
        ["Müller Maschinenbau GmbH"],
        "diacritics are ignored"
    );
    assert_eq!(
        find(&db, &ACCOUNT, "MÜLLER").await,
        ["Müller Maschinenbau GmbH"]
    );
    assert_eq!(
        find(&db, &ACCOUNT, "５６７８").await,
        [huawei],
        "full-width digits from an IME"
    );
    assert_eq!(
        find(&db, &ACCOUNT, "kh-2024").await,
        [huawei],
        "customer codes by substring"
    );
    assert_eq!(
        find(&db, &ACCOUNT, "acme-trading").await,
        [acme],
        "e-mail domains by substring"
    );
    assert_eq!(find(&db, &ACCOUNT, "tencent.example").await, [tencent]);
    assert_eq!(find(&db, &ACCOUNT, "腾").await.len(), 1, "one character");
    assert_eq!(
        find(&db, &ACCOUNT, "讯").await.len(),
        1,
        "one character that starts no word"
    );
    assert_eq!(
        find(&db, &ACCOUNT, "acme a").await,
        [acme],
        "a one-letter word does not widen the search"
    );
}

async fn finds_contacts_by_name_email_and_phone(db: Db) {
    let admin = customers(&db).await;
    let page = records::list(
        &db,
        &ACCOUNT,
        &Visibility::Everything,
        &fixtures::query(&ACCOUNT, "id", &[], 10),
        &[],
    )
    .await
    .unwrap();
    let (huawei, acme) = (page.records[0].id, page.records[3].id);
    contact(&db, &admin, huawei, json!({"name": "张伟", "title": "采购经理", "mobile": "138-1234-5678", "email": "zhang.wei@huawei.example.com"})).await;
    contact(
        &db,
        &admin,
        huawei,
        json!({"name": "张三", "mobile": "+86 139 0000 1111"}),
    )
    .await;
    contact(
        &db,
        &admin,
        huawei,
        json!({"name": "李小明", "phone": "010-8888-9999", "email": "li_xm@huawei.example.com"}),
    )
    .await;
    contact(&db, &admin, acme, json!({"name": "John Smith", "email": "John.Smith@Acme-Trading.example.com", "mobile": "+852 9123 5678"})).await;
    contact(
        &db,
        &admin,
        acme,
        json!({"name": "王芳", "phone": "021-5555-6666"}),
    )
    .await;

    assert_eq!(
        find(&db, &CONTACT, "张伟").await,
        ["张伟"],
        "a two-character person name"
    );
    assert_eq!(
        find(&db, &CONTACT, "张").await,
        ["张三", "张伟"],
        "a surname"
    );
    assert_eq!(
        find(&db, &CONTACT, "小明").await,
        ["李小明"],
        "a given name"
    );
    assert_eq!(
        find(&db, &CONTACT, "明").await,
        ["李小明"],
        "the last character of a name"
    );
    assert_eq!(
        find(&db, &CONTACT, "采购").await,
        ["张伟"],
        "the job title is searchable"
    );
    assert_eq!(find(&db, &CONTACT, "smith").await, ["John Smith"]);
    assert_eq!(find(&db, &CONTACT, "JOHN SMITH").await, ["John Smith"]);
    assert_eq!(
        find(&db, &CONTACT, "zhang.wei").await,
        ["张伟"],
        "the local part of an e-mail address"
    );
    assert_eq!(
        find(&db, &CONTACT, "zhangwei").await,
        ["张伟"],
        "the local part without its dot"
    );
    assert_eq!(
        find(&db, &CONTACT, "li_xm").await,
        ["李小明"],
        "an underscore is a character, not a wildcard"
    );
    assert!(find(&db, &CONTACT, "lixxm").await.is_empty());
    assert_eq!(
        find(&db, &CONTACT, "john.smith@acme").await,
        ["John Smith"],
        "e-mail fragments ignore case"
    );
    assert_eq!(
        find(&db, &CONTACT, "huawei.example.com").await,
        ["张伟", "李小明"]
    );
    assert_eq!(
        find(&db, &CONTACT, "5678").await,
        ["John Smith", "张伟"],
        "the last four digits of a phone"
    );
    assert_eq!(find(&db, &CONTACT, "9999").await, ["李小明"]);
    assert_eq!(
        find(&db, &CONTACT, "138 1234 5678").await,
        ["张伟"],
        "a number typed in groups"
    );
    assert_eq!(
        find(&db, &CONTACT, "13812345678").await,
        ["张伟"],
        "a number typed without separators"
    );
    assert_eq!(
        find(&db, &CONTACT, "+8613900001111").await,
        ["张三"],
        "an E.164 number"
    );
    assert_eq!(
        find(&db, &CONTACT, "张伟 5678").await,
        ["张伟"],
        "a name and the end of their number"
    );
    assert!(
        find(&db, &CONTACT, "李小明 5678").await.is_empty(),
        "both parts must match the same person"
    );
    assert!(find(&db, &CONTACT, "王芳 9999").await.is_empty());
    assert_eq!(find(&db, &CONTACT, "smith 9123").await, ["John Smith"]);
}

async fn nothing_matches_nothing(db: Db) {
    customers(&db).await;
    for text in [
        "不存在的公司",
        "zzzz",
        "98765",
        "nobody@nowhere.example",
        "华为 腾讯",
        "acme 科技",
    ] {
        assert!(
            find(&db, &ACCOUNT, text).await.is_empty(),
            "{text:?} matches nothing"
        );
    }
    for text in [
        "!!!",
        "，。、",
        "...",
        "---",
        "()",
        "😀",
        "%",
        "_",
        "%%",
        "*",
        "\\",
    ] {
        assert!(
            find(&db, &ACCOUNT, text).await.is_empty(),
            "punctuation {text:?} matches nothing, not everything"
        );
    }
    // An empty search box is no search.
    assert_eq!(find(&db, &ACCOUNT, "   ").await.len(), 5);
}

async fn hostile_input_is_just_text(db: Db) {
    customers(&db).await;
    for text in [
        "\"",
        "\"华为",
        "华为\"",
        "acme*",
        "*acme",
        "a\" OR \"b",
        "acme OR x",
        "acme AND NOT trading",
        "NEAR(acme trading)",
        "name:acme",
        "'; DROP TABLE accounts; --",
        "acme' OR '1'='1",
        "acme & !trading | x <-> y",
        "'acme':*",
        "\\'",
        "$1",
        "?",
        "%acme%",
        "^acme",
        "{acme}",
        "[0-9]",
        "\u{0}",
        "x".repeat(5000).as_str(),
    ] {
        let result = records::list(
            &db,
            &ACCOUNT,
            &Visibility::Everything,
            &search(&ACCOUNT, text),
            &[],
        )
        .await;
        assert!(result.is_ok(), "{text:?}: {result:?}");
        let count = records::count(
            &db,
            &ACCOUNT,
            &Visibility::Everything,
            &search(&ACCOUNT, text),
            100,
        )
        .await;
        assert!(count.is_ok(), "{text:?}: {count:?}");
    }
    assert_eq!(find(&db, &ACCOUNT, "acme*").await, ["Acme Trading Ltd"]);
    assert_eq!(
        find(&db, &ACCOUNT, "\"acme trading\"").await,
        ["Acme Trading Ltd"]
    );
    assert!(
        find(&db, &ACCOUNT, "acme OR 华为").await.is_empty(),
        "OR is a word, not an operator"
    );
    assert_eq!(
        fixtures::names(
            &db,
            &ACCOUNT,
            &Visibility::Everything,
            &fixtures::query(&ACCOUNT, "id", &[], 50)
        )
        .await
        .len(),
        5
    );
}

async fn search_follows_changes_and_the_recycle_bin(db: Db) {
    let admin = customers(&db).await;
    let created = account(
        &db,
        &admin,
        json!({"name": "杭州阿里巴巴网络技术有限公司", "phone": "0571-8502-2088"}),
    )
    .await;
    assert_eq!(find(&db, &ACCOUNT, "阿里巴巴").await.len(), 1);
    let renamed = fixtures::try_update(
        &db,
        &ACCOUNT,
        &admin,
        created.id,
        1,
        json!({"name": "蚂蚁集团", "phone": "0571-2688-8888"}),
    )
    .await
    .unwrap();
    assert!(
        find(&db, &ACCOUNT, "阿里巴巴").await.is_empty(),
        "the old name is no longer found"
    );
    assert!(
        find(&db, &ACCOUNT, "2088").await.is_empty(),
        "nor the old number"
    );
    assert_eq!(find(&db, &ACCOUNT, "蚂蚁").await, ["蚂蚁集团"]);
    assert_eq!(find(&db, &ACCOUNT, "8888").await, ["蚂蚁集团"]);
    records::soft_delete(&db, &ACCOUNT, &admin, None, renamed.id)
        .await
        .unwrap();
    assert!(
        find(&db, &ACCOUNT, "蚂蚁").await.is_empty(),
        "deleted records are not found"
    );
    let bin = records::ListQuery {
        in_recycle_bin: true,
        ..search(&ACCOUNT, "蚂蚁")
    };
    assert_eq!(
        names(&db, &ACCOUNT, &Visibility::Everything, &bin).await,
        ["蚂蚁集团"],
        "except in the recycle bin"
    );
    records::restore(&db, &ACCOUNT, &admin, None, renamed.id)
        .await
        .unwrap();
    assert_eq!(find(&db, &ACCOUNT, "蚂蚁").await, ["蚂蚁集团"]);
    // Search combines with filters and sorting.
    let query = records::ListQuery {
        text: Some("有限公司".into()),
        ..fixtures::query(&ACCOUNT, "-name", &[("city", "北京")], 10)
    };
    assert_eq!(
        names(&db, &ACCOUNT, &Visibility::Everything, &query).await,
        ["北京华为科技有限公司"]
    );
}

/// Enough customers that a search in id order (the search box's order) is read from the
/// full-text matches as they come, per way of matching and per part of the user's scope
/// (SQLite): page after page, it must give every visible match once, in order, for an
/// admin, a team manager, a sales rep with shares and one without, and leave deleted
/// records out.
async fn search_pages_in_id_order_give_every_visible_match_once(db: Db) {
    fixtures::seed(&db).await;
    let east = fixtures::team(&db, "East", None).await;
    let west = fixtures::team(&db, "West", None).await;
    let admin = fixtures::admin(&db).await;
    let manager = fixtures::user(&db, "east.manager", Some(east), &["sales_manager"]).await;
    let rep = fixtures::user(&db, "east.rep", Some(east), &["sales_rep"]).await;
    let other = fixtures::user(&db, "west.rep", Some(west), &["sales_rep"]).await;
    let owners = [rep.user_id, manager.user_id, other.user_id];
    let lists = kehu_db::picklists::all(&db).await.unwrap();
    let schema = Schema {
        entity: &ACCOUNT,
        custom_fields: &[],
        picklists: &lists,
    };
    let rows: Vec<BulkRow> = (0..900i64)
        .map(|i| {
            let name = match i % 4 {
                0 => format!("深圳{i}科技有限公司"),
                1 => format!("Northwind Trading {i}"),
                2 => format!("张伟{i}商行"),
                _ => format!("李记{i}贸易"),
            };
            let phone = if i % 2 == 0 {
                format!("138{i:08}")
            } else {
                format!("0755-{i:08}")
            };
            let input = json!({
                "name": name,
                "phone": phone,
                "email": format!("sales{}@x{i}.example.com", i % 5),
            });
            let changes = schema
                .from_json(input.as_object().unwrap(), Mode::Create)
                .expect("valid row");
            BulkRow::from_changes(owners[(i % 3) as usize], changes)
        })
        .collect();
    let ids = records::bulk_insert(&db, &ACCOUNT, Some(admin.user_id), rows)
        .await
        .expect("load");
    // Two of west.rep's customers are shared with east.rep; two customers are deleted.
    for shared in [ids[2], ids[806]] {
        kehu_db::shares::share(
            &db,
            &ACCOUNT,
            &admin,
            None,
            shared,
            kehu_db::shares::ShareTarget::User(rep.user_id),
            kehu_db::shares::ShareAccess::Read,
        )
        .await
        .expect("share");
    }
    for deleted in [ids[0], ids[897]] {
        records::soft_delete(&db, &ACCOUNT, &admin, None, deleted)
            .await
            .unwrap();
    }
    for (who, actor) in [
        ("admin", &admin),
        ("manager", &manager),
        ("rep", &rep),
        ("unshared rep", &other),
    ] {
        let visibility = fixtures::reads(actor, &ACCOUNT);
        for text in [
            "科技",
            "138",
            "0755",
            "sales1@",
            "张伟 138",
            "northwind",
            "李",
            "深圳 13800000",
        ] {
            // What matches, from the query SQLite's planner runs (sorted by name).
            let by_name = ListQuery {
                text: Some(text.to_string()),
                ..fixtures::query(&ACCOUNT, "name", &[], 200)
            };
            let mut expected: Vec<i64> = fixtures::all_pages(&db, &ACCOUNT, &visibility, by_name)
                .await
                .iter()
                .map(|r| r.id)
                .collect();
            expected.sort_unstable_by(|a, b| b.cmp(a));
            assert!(!expected.is_empty(), "{who} finds something for {text:?}");
            assert!(!expected.contains(&ids[0]) && !expected.contains(&ids[897]));
            for sort in ["-id", "id"] {
                let by_id = ListQuery {
                    text: Some(text.to_string()),
                    ..fixtures::query(&ACCOUNT, sort, &[], 7)
                };
                let walked: Vec<i64> = fixtures::all_pages(&db, &ACCOUNT, &visibility, by_id)
                    .await
                    .iter()
                    .map(|r| r.id)
                    .collect();
                let mut want = expected.clone();
                if sort == "id" {
                    want.reverse();
                }
                assert_eq!(walked, want, "{who}, {text:?}, sort {sort}");
            }
        }
        // West.rep's customer shared with east.rep: the east manager does not find it.
        let shared_found =
            names(&db, &ACCOUNT, &visibility, &search(&ACCOUNT, "张伟806商行")).await;
        assert_eq!(
            shared_found,
            if who == "manager" {
                Vec::<String>::new()
            } else {
                vec!["张伟806商行".to_string()]
            },
            "{who} searching for a shared customer"
        );
    }
}

/// A sales rep's and a manager's search read their own part of the full-text index
/// (SQLite marks each record's indexed text with its owner and team): when a customer
/// changes hands, the new owner and their manager find it by name and by phone digits,
/// and the old ones no longer do.
async fn search_follows_the_owner_and_the_team(db: Db) {
    fixtures::seed(&db).await;
    let east = fixtures::team(&db, "East", None).await;
    let west = fixtures::team(&db, "West", None).await;
    let admin = fixtures::admin(&db).await;
    let east_manager = fixtures::user(&db, "east.manager", Some(east), &["sales_manager"]).await;
    let east_rep = fixtures::user(&db, "east.rep", Some(east), &["sales_rep"]).await;
    let west_rep = fixtures::user(&db, "west.rep", Some(west), &["sales_rep"]).await;
    let customer = account(
        &db,
        &admin,
        json!({"name": "前海微众科技", "phone": "0755-8888-1234", "owner_id": east_rep.user_id}),
    )
    .await;
    let finds = |actor: &Actor, text: &str| {
        let visibility = fixtures::reads(actor, &ACCOUNT);
        let query = search(&ACCOUNT, text);
        let db = db.clone();
        async move { names(&db, &ACCOUNT, &visibility, &query).await }
    };
    let found = ["前海微众科技".to_string()];
    for text in ["前海", "88881234"] {
        assert_eq!(finds(&east_rep, text).await, found, "owner, {text}");
        assert_eq!(finds(&east_manager, text).await, found, "manager, {text}");
        assert!(
            finds(&west_rep, text).await.is_empty(),
            "other team, {text}"
        );
    }
    fixtures::try_update(
        &db,
        &ACCOUNT,
        &admin,
        customer.id,
        customer.version,
        json!({"owner_id": west_rep.user_id}),
    )
    .await
    .expect("reassigned");
    for text in ["前海", "88881234"] {
        assert_eq!(finds(&west_rep, text).await, found, "new owner, {text}");
        assert!(finds(&east_rep, text).await.is_empty(), "old owner, {text}");
        assert!(
            finds(&east_manager, text).await.is_empty(),
            "old manager, {text}"
        );
    }
}

/// A record's team is its owner's: when the owner moves to another team their records
/// follow them in search too. A record whose team is not its owner's (as imported or
/// older data may have) is still found by its owner and by its own team's manager.
async fn a_rep_finds_what_they_own_in_any_team(db: Db) {
    fixtures::seed(&db).await;
    let east = fixtures::team(&db, "East", None).await;
    let west = fixtures::team(&db, "West", None).await;
    let admin = fixtures::admin(&db).await;
    let east_manager = fixtures::user(&db, "east.manager", Some(east), &["sales_manager"]).await;
    let west_manager = fixtures::user(&db, "west.manager", Some(west), &["sales_manager"]).await;
    let rep = fixtures::user(&db, "rep", Some(east), &["sales_rep"]).await;
    let first = account(
        &db,
        &admin,
        json!({"name": "前海微众科技", "phone": "0755-8888-1234", "owner_id": rep.user_id}),
    )
    .await;
    contact(
        &db,
        &admin,
        first.id,
        json!({"name": "张伟", "mobile": "13800001111", "owner_id": rep.user_id}),
    )
    .await;
    let version = kehu_db::users::get(&db, rep.user_id).await.unwrap().version;
    kehu_db::users::update(
        &db,
        &kehu_db::events::Origin::default(),
        rep.user_id,
        version,
        kehu_db::users::UserChanges {
            team_id: Some(Some(west)),
            ..Default::default()
        },
    )
    .await
    .expect("moved to West");
    let second = account(
        &db,
        &admin,
        json!({"name": "前海数据科技", "phone": "0755-8888-5678", "owner_id": rep.user_id}),
    )
    .await;
    contact(
        &db,
        &admin,
        second.id,
        json!({"name": "张伟", "mobile": "13800002222", "owner_id": rep.user_id}),
    )
    .await;

    let both = vec![second.id, first.id];
    let finds = |east_finds: Vec<i64>, west_finds: Vec<i64>| {
        [
            (&rep, "the owner", both.clone()),
            (&east_manager, "East's manager", east_finds),
            (&west_manager, "West's manager", west_finds),
        ]
    };
    let moved = finds(vec![], both.clone());
    check_team_search(&db, &moved, "after the move").await;

    // The first customer and its contact back in East, their owner staying in West.
    for table in ["accounts", "contacts"] {
        crate::common::sql::execute(
            &db,
            &format!("UPDATE {table} SET team_id = {east} WHERE owner_id = {} AND id IN (SELECT min(id) FROM {table} WHERE owner_id = {})", rep.user_id, rep.user_id),
        )
        .await;
    }
    let split = finds(vec![first.id], vec![second.id]);
    check_team_search(&db, &split, "with a record in another team").await;
}

/// Each actor's customer search finds these ids (newest first), one page at once and one
/// record a page, and as many contacts by name and by mobile.
async fn check_team_search(db: &Db, expected: &[(&Actor, &str, Vec<i64>); 3], when: &str) {
    for (actor, who, ids) in expected {
        for text in ["前海", "0755 8888", "科技"] {
            let visibility = fixtures::reads(actor, &ACCOUNT);
            let page = fixtures::all_pages(db, &ACCOUNT, &visibility, search(&ACCOUNT, text)).await;
            let found: Vec<i64> = page.iter().map(|r| r.id).collect();
            assert_eq!(&found, ids, "{who} searching {text} {when}");
            // One record a page: the cursor carries on into the next team's range.
            let one_by_one = ListQuery {
                limit: 1,
                ..search(&ACCOUNT, text)
            };
            let paged: Vec<i64> = fixtures::all_pages(db, &ACCOUNT, &visibility, one_by_one)
                .await
                .iter()
                .map(|r| r.id)
                .collect();
            assert_eq!(&paged, ids, "{who} paging through {text} {when}");
        }
        let visibility = fixtures::reads(actor, &CONTACT);
        for text in ["张伟", "1380000"] {
            let found =
                fixtures::all_pages(db, &CONTACT, &visibility, search(&CONTACT, text)).await;
            assert_eq!(found.len(), ids.len(), "{who}'s contacts by {text} {when}");
        }
    }
}
