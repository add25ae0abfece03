//! `records::bulk_insert`: many rows in one transaction, readable, searchable and owned
//! like records made one by one; on SQLite and PostgreSQL.
//!
//! How fast a load is, is measured by `kehu-bench generate` (BENCHMARKS.md), not here.

mod common;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use common::fixtures::{self, search};
use common::sql::{self, scalar};
use kehu_core::entity::{ACCOUNT, CONTACT};
use kehu_core::permission::{Action, Visibility};
use kehu_core::validation::{Mode, Schema};
use kehu_core::FieldValue;
use kehu_db::records::{self, BulkLoad, BulkRow, Strategy};
use kehu_db::{custom_fields, picklists, Backend, Db, DbError, DbResult};
use serde_json::{json, Value as Json};

backend_tests!(
    rows_are_readable_searchable_and_owned,
    contacts_can_report_to_contacts_of_an_earlier_load,
    one_summary_event_per_load,
    a_refused_row_loads_nothing,
    a_failing_statement_rolls_back_every_chunk,
    an_empty_load_does_nothing,
    a_load_into_empty_tables_gives_the_database_of_a_row_by_row_load,
    a_failed_load_into_an_empty_table_keeps_every_index,
    other_insert_triggers_still_run,
);

/// Checks API-style input once and turns it into a bulk row, as a loader would.
fn row(
    schema: &Schema<'_>,
    owner_id: i64,
    input: Json,
    created_at: Option<DateTime<Utc>>,
) -> BulkRow {
    let changes = schema
        .from_json(input.as_object().expect("object"), Mode::Create)
        .unwrap_or_else(|e| panic!("invalid input {input}: {e:?}"));
    BulkRow {
        created_at,
        ..BulkRow::from_changes(owner_id, changes)
    }
}

async fn load_accounts(db: &Db, actor: Option<i64>, rows: Vec<BulkRow>) -> Vec<i64> {
    records::bulk_insert(db, &ACCOUNT, actor, rows)
        .await
        .expect("bulk insert")
}

fn micros(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(at.timestamp_micros()).expect("in range")
}

async fn rows_are_readable_searchable_and_owned(db: Db) {
    fixtures::seed(&db).await;
    fixtures::define_custom_fields(&db).await;
    let admin = fixtures::admin(&db).await;
    let east = fixtures::team(&db, "华东销售组", None).await;
    let south = fixtures::team(&db, "华南销售组", None).await;
    let li = fixtures::user(&db, "li.na", Some(east), &["sales_rep"]).await;
    let huang = fixtures::user(&db, "huang.min", Some(south), &["sales_rep"]).await;
    let lists = picklists::all(&db).await.unwrap();
    let custom = custom_fields::for_entity(&db, "account").await.unwrap();
    let schema = Schema {
        entity: &ACCOUNT,
        custom_fields: &custom,
        picklists: &lists,
    };
    let long_ago = micros(Utc::now() - Duration::days(700));
    // More rows than fit in one statement on either backend, with rows that set
    // different fields (so that the loader has to split statements) and rows of owners
    // in other teams or none.
    let total = 2_345;
    let mut rows = Vec::new();
    for i in 0..total {
        let (owner, created_at) = match i % 3 {
            0 => (li.user_id, Some(long_ago + Duration::minutes(i as i64))),
            1 => (huang.user_id, None),
            _ => (admin.user_id, None),
        };
        let input = if i % 7 == 3 {
            json!({ "name": format!("Bulk Person {i}"), "kind": "individual" })
        } else if i % 11 == 5 {
            json!({ "name": format!("Northwind Traders {}", letters(i)) })
        } else {
            json!({
                "name": format!("杭州云帆{i}号科技有限公司"),
                "code": format!("KH-{i:06}"),
                "industry": "软件",
                "level": if i % 10 == 0 { "VIP" } else { "普通" },
                "province": "上海",
                "city": "上海",
                "phone": format!("+86 139{i:08}"),
                "email": format!("sales{i}@yunfan.example"),
                "lifecycle_status": "active",
                "credit_limit": 1_000_000 + i as i64,
                "tags": ["老客户", "重点跟进"],
                "custom": { "employees": 50 + i, "wechat": format!("wx_yunfan_{i}") },
            })
        };
        rows.push(row(&schema, owner, input, created_at));
    }
    let started = now_micros();
    let ids = load_accounts(&db, Some(admin.user_id), rows).await;
    assert_eq!(ids.len(), total);
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "ids come back in row order"
    );

    let everything = Visibility::Everything;
    for (i, id) in ids.iter().enumerate() {
        if i % 97 != 0 && i + 1 != total {
            continue;
        }
        let record = records::get(&db, &ACCOUNT, &everything, *id)
            .await
            .expect("inserted row is readable");
        assert_eq!(record.version, 1);
        assert_eq!(record.get("created_by"), &FieldValue::Int(admin.user_id));
        assert_eq!(record.get("updated_by"), &FieldValue::Int(admin.user_id));
        match i % 3 {
            0 => {
                assert_eq!((record.owner_id, record.team_id), (li.user_id, Some(east)));
                let at = long_ago + Duration::minutes(i as i64);
                assert_eq!(record.get("created_at"), &FieldValue::Timestamp(at));
                assert_eq!(record.get("updated_at"), &FieldValue::Timestamp(at));
            }
            1 => {
                assert_eq!(
                    (record.owner_id, record.team_id),
                    (huang.user_id, Some(south))
                );
                let FieldValue::Timestamp(at) = record.get("created_at") else {
                    panic!("no created_at")
                };
                assert!(*at >= started - Duration::seconds(1), "defaults to now");
            }
            _ => assert_eq!((record.owner_id, record.team_id), (admin.user_id, None)),
        }
        if i % 7 == 3 {
            assert_eq!(record.text("kind"), Some("individual"));
            assert_eq!(
                record.text("lifecycle_status"),
                Some("potential"),
                "column default applies"
            );
        } else if i % 11 == 5 {
            assert_eq!(
                record.text("kind"),
                Some("company"),
                "column default applies"
            );
            assert_eq!(record.get("code"), &FieldValue::Null);
        } else {
            assert_eq!(
                record.text("name"),
                Some(format!("杭州云帆{i}号科技有限公司").as_str())
            );
            assert_eq!(record.text("code"), Some(format!("KH-{i:06}").as_str()));
            assert_eq!(
                record.get("credit_limit"),
                &FieldValue::Int(1_000_000 + i as i64)
            );
            assert_eq!(
                record.get("tags"),
                &FieldValue::List(vec!["老客户".into(), "重点跟进".into()])
            );
            assert_eq!(record.custom.get("employees"), Some(&json!(50 + i)));
            assert_eq!(
                record.custom.get("wechat"),
                Some(&json!(format!("wx_yunfan_{i}")))
            );
        }
    }

    // Full-text tokens (Chinese bigrams, Latin words, tags, custom text) and contact
    // points (phone digits, e-mail fragments) were filled as on create.
    let found = |names: Vec<String>, expected: &str| {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} not in {names:?}"
        );
    };
    found(
        fixtures::names(&db, &ACCOUNT, &everything, &search(&ACCOUNT, "云帆 1234")).await,
        "杭州云帆1234号科技有限公司",
    );
    found(
        fixtures::names(&db, &ACCOUNT, &everything, &search(&ACCOUNT, "bcdh")).await,
        "Northwind Traders bcdh",
    );
    found(
        fixtures::names(&db, &ACCOUNT, &everything, &search(&ACCOUNT, "00001234")).await,
        "杭州云帆1234号科技有限公司",
    );
    found(
        fixtures::names(&db, &ACCOUNT, &everything, &search(&ACCOUNT, "sales1234@")).await,
        "杭州云帆1234号科技有限公司",
    );
    found(
        fixtures::names(
            &db,
            &ACCOUNT,
            &everything,
            &search(&ACCOUNT, "wx_yunfan_1234"),
        )
        .await,
        "杭州云帆1234号科技有限公司",
    );
    found(
        fixtures::names(&db, &ACCOUNT, &everything, &search(&ACCOUNT, "KH-001234")).await,
        "杭州云帆1234号科技有限公司",
    );
    let (northwind, _) = records::count(
        &db,
        &ACCOUNT,
        &everything,
        &search(&ACCOUNT, "northwind"),
        10_000,
    )
    .await
    .unwrap();
    let expected = (0..total).filter(|i| i % 7 != 3 && i % 11 == 5).count() as u64;
    assert_eq!(
        northwind, expected,
        "every Latin name is in the full-text index"
    );
    let (tagged, _) = records::count(
        &db,
        &ACCOUNT,
        &everything,
        &search(&ACCOUNT, "重点跟进"),
        10_000,
    )
    .await
    .unwrap();
    let companies = (0..total).filter(|i| i % 7 != 3 && i % 11 != 5).count() as u64;
    assert_eq!(
        tagged, companies,
        "every tagged row is in the full-text index"
    );

    // Permissions see bulk rows like any others: by owner and by team.
    let reps_view = li.visibility("account", Action::Read);
    let (own, _) = records::count(
        &db,
        &ACCOUNT,
        &reps_view,
        &fixtures::query(&ACCOUNT, "-id", &[], 50),
        10_000,
    )
    .await
    .unwrap();
    assert_eq!(own, (0..total).filter(|i| i % 3 == 0).count() as u64);
    let east_manager = fixtures::user(&db, "wang.qiang", Some(east), &["sales_manager"]).await;
    let team_view = east_manager.visibility("account", Action::Read);
    let names = fixtures::names(&db, &ACCOUNT, &team_view, &search(&ACCOUNT, "杭州云帆")).await;
    assert!(!names.is_empty());
    let page = records::list(
        &db,
        &ACCOUNT,
        &team_view,
        &search(&ACCOUNT, "杭州云帆"),
        &[],
    )
    .await
    .unwrap();
    assert!(
        page.records.iter().all(|r| r.team_id == Some(east)),
        "team scope covers the owner's team"
    );
}

async fn contacts_can_report_to_contacts_of_an_earlier_load(db: Db) {
    fixtures::seed(&db).await;
    let admin = fixtures::admin(&db).await;
    let team = fixtures::team(&db, "华南销售组", None).await;
    let rep = fixtures::user(&db, "chen.hao", Some(team), &["sales_rep"]).await;
    let lists = picklists::all(&db).await.unwrap();
    let accounts_schema = Schema {
        entity: &ACCOUNT,
        custom_fields: &[],
        picklists: &lists,
    };
    let contacts_schema = Schema {
        entity: &CONTACT,
        custom_fields: &[],
        picklists: &lists,
    };
    let account_rows = (0..300)
        .map(|i| {
            row(
                &accounts_schema,
                rep.user_id,
                json!({ "name": format!("深圳前海{i}贸易有限公司") }),
                None,
            )
        })
        .collect();
    let accounts = load_accounts(&db, None, account_rows).await;
    let bosses: Vec<BulkRow> = accounts
        .iter()
        .enumerate()
        .map(|(i, account)| {
            let input = json!({
                "account_id": account, "name": if i == 7 { "王芳".to_string() } else { format!("老板{i}") },
                "title": "总经理", "mobile": format!("138{i:08}"), "email": format!("boss{i}@qianhai.example"),
                "birthday": "1975-04-30",
            });
            row(&contacts_schema, rep.user_id, input, None)
        })
        .collect();
    let boss_ids = records::bulk_insert(&db, &CONTACT, None, bosses)
        .await
        .expect("bosses");
    let staff: Vec<BulkRow> = accounts
        .iter()
        .zip(&boss_ids)
        .enumerate()
        .map(|(i, (account, boss))| {
            let input = json!({
                "account_id": account, "name": if i == 7 { "张伟".to_string() } else { format!("采购{i}") },
                "title": "采购经理", "department": "采购部", "reports_to_id": boss,
            });
            row(&contacts_schema, rep.user_id, input, None)
        })
        .collect();
    let staff_ids = records::bulk_insert(&db, &CONTACT, None, staff)
        .await
        .expect("staff");

    let everything = Visibility::Everything;
    let zhang = records::get(&db, &CONTACT, &everything, staff_ids[7])
        .await
        .unwrap();
    assert_eq!(zhang.text("name"), Some("张伟"));
    assert_eq!(zhang.int("account_id"), Some(accounts[7]));
    assert_eq!(zhang.int("reports_to_id"), Some(boss_ids[7]));
    assert_eq!((zhang.owner_id, zhang.team_id), (rep.user_id, Some(team)));
    assert_eq!(
        zhang.get("created_by"),
        &FieldValue::Int(rep.user_id),
        "the owner when no actor is given"
    );
    let wang = records::get(&db, &CONTACT, &everything, boss_ids[7])
        .await
        .unwrap();
    assert_eq!(
        wang.get("birthday"),
        &FieldValue::Date(NaiveDate::from_ymd_opt(1975, 4, 30).unwrap())
    );
    for name in ["张伟", "王芳"] {
        let names = fixtures::names(&db, &CONTACT, &everything, &search(&CONTACT, name)).await;
        assert_eq!(names, [name], "searching {name}");
    }
    for fragment in ["13800000007", "boss7@qianhai"] {
        let names = fixtures::names(&db, &CONTACT, &everything, &search(&CONTACT, fragment)).await;
        assert!(
            names.iter().any(|n| n == "王芳"),
            "searching {fragment} gave {names:?}"
        );
    }
    // Contacts made one by one afterwards can still report to bulk-loaded ones.
    let later = fixtures::contact(
        &db,
        &admin,
        accounts[7],
        json!({ "name": "李娜", "reports_to_id": staff_ids[7] }),
    )
    .await;
    assert_eq!(later.int("reports_to_id"), Some(staff_ids[7]));

    // A reference to a record that does not exist is refused by the foreign keys.
    let dangling = row(
        &contacts_schema,
        rep.user_id,
        json!({ "account_id": 999_999, "name": "无名" }),
        None,
    );
    assert!(records::bulk_insert(&db, &CONTACT, None, vec![dangling])
        .await
        .is_err());
}

async fn one_summary_event_per_load(db: Db) {
    fixtures::seed(&db).await;
    let admin = fixtures::admin(&db).await;
    let lists = picklists::all(&db).await.unwrap();
    let schema = Schema {
        entity: &ACCOUNT,
        custom_fields: &[],
        picklists: &lists,
    };
    let rows = (0..1_500)
        .map(|i| {
            row(
                &schema,
                admin.user_id,
                json!({ "name": format!("Acme {i}") }),
                None,
            )
        })
        .collect();
    let ids = load_accounts(&db, Some(admin.user_id), rows).await;
    assert_eq!(
        scalar(&db, "SELECT COUNT(*) FROM events").await,
        1,
        "no per-record events"
    );
    assert_eq!(
        scalar(
            &db,
            "SELECT COUNT(*) FROM events WHERE action = 'bulk_created' AND entity = 'account'"
        )
        .await,
        1
    );
    assert_eq!(
        scalar(
            &db,
            &format!(
                "SELECT COUNT(*) FROM events WHERE actor_id = {}",
                admin.user_id
            )
        )
        .await,
        1
    );
    let changes: Vec<String> = sql::texts(&db, "SELECT changes FROM events").await;
    let changes: Json = serde_json::from_str(&changes[0]).unwrap();
    assert_eq!(
        changes,
        json!([
            { "field": "count", "old": null, "new": 1_500 },
            { "field": "first_id", "old": null, "new": ids[0] },
            { "field": "last_id", "old": null, "new": ids[1_499] },
        ])
    );
    assert_eq!(
        sql::texts(&db, "SELECT summary FROM events").await,
        ["1500"]
    );
}

async fn a_refused_row_loads_nothing(db: Db) {
    fixtures::seed(&db).await;
    let admin = fixtures::admin(&db).await;
    let lists = picklists::all(&db).await.unwrap();
    let schema = Schema {
        entity: &ACCOUNT,
        custom_fields: &[],
        picklists: &lists,
    };
    let good = |i: usize| {
        row(
            &schema,
            admin.user_id,
            json!({ "name": format!("Good {i}") }),
            None,
        )
    };

    let mut rows: Vec<BulkRow> = (0..1_200).map(good).collect();
    rows[1_100]
        .fields
        .push((ACCOUNT.field("team_id").unwrap(), FieldValue::Int(1)));
    match records::bulk_insert(&db, &ACCOUNT, None, rows).await {
        Err(DbError::Invalid(errors)) => {
            assert_eq!(errors.get("rows[1100].team_id").unwrap().code, "read_only")
        }
        other => panic!("expected a field error, got {other:?}"),
    }

    let mut rows: Vec<BulkRow> = (0..10).map(good).collect();
    rows[3].fields.push((
        CONTACT.field("title").unwrap(),
        FieldValue::Text("CEO".into()),
    ));
    match records::bulk_insert(&db, &ACCOUNT, None, rows).await {
        Err(DbError::Invalid(errors)) => {
            assert_eq!(errors.get("rows[3].title").unwrap().code, "unknown_field")
        }
        other => panic!("expected a field error, got {other:?}"),
    }

    let mut rows: Vec<BulkRow> = (0..10).map(good).collect();
    rows[9].owner_id = 4_242;
    match records::bulk_insert(&db, &ACCOUNT, None, rows).await {
        Err(DbError::Invalid(errors)) => {
            assert_eq!(errors.get("rows[9].owner_id").unwrap().code, "unknown_user")
        }
        other => panic!("expected a field error, got {other:?}"),
    }
    assert_eq!(scalar(&db, "SELECT COUNT(*) FROM accounts").await, 0);
    assert_eq!(scalar(&db, "SELECT COUNT(*) FROM events").await, 0);
}

async fn a_failing_statement_rolls_back_every_chunk(db: Db) {
    fixtures::seed(&db).await;
    let admin = fixtures::admin(&db).await;
    let lists = picklists::all(&db).await.unwrap();
    let schema = Schema {
        entity: &ACCOUNT,
        custom_fields: &[],
        picklists: &lists,
    };
    // Customer codes are unique: the duplicate sits in the third statement.
    let rows = (0..2_500)
        .map(|i| {
            let code = if i == 2_400 {
                "KH-0".to_string()
            } else {
                format!("KH-{i}")
            };
            row(
                &schema,
                admin.user_id,
                json!({ "name": format!("Dup {i}"), "code": code }),
                None,
            )
        })
        .collect();
    assert!(records::bulk_insert(&db, &ACCOUNT, None, rows)
        .await
        .is_err());
    assert_eq!(scalar(&db, "SELECT COUNT(*) FROM accounts").await, 0);
    assert_eq!(scalar(&db, "SELECT COUNT(*) FROM events").await, 0);
    let names = fixtures::names(
        &db,
        &ACCOUNT,
        &Visibility::Everything,
        &search(&ACCOUNT, "Dup"),
    )
    .await;
    assert!(
        names.is_empty(),
        "nothing left in the search index: {names:?}"
    );
    // The database is usable afterwards.
    let rows = vec![row(
        &schema,
        admin.user_id,
        json!({ "name": "After" }),
        None,
    )];
    assert_eq!(load_accounts(&db, None, rows).await.len(), 1);
}

async fn an_empty_load_does_nothing(db: Db) {
    fixtures::seed(&db).await;
    assert_eq!(
        records::bulk_insert(&db, &ACCOUNT, None, Vec::new())
            .await
            .unwrap(),
        Vec::<i64>::new()
    );
    assert_eq!(scalar(&db, "SELECT COUNT(*) FROM events").await, 0);
}

// ---------------------------------------------------------------------------------------
// The fast path: into an empty table, indexes (full-text tables, foreign keys) are built
// after the rows. It must give the database a row-by-row load gives.

/// A second fresh, migrated database on the same backend as `db`.
async fn twin(db: &Db) -> common::TestDb {
    let backend = db.backend();
    // Made on a blocking thread: the harness's database creation is not a `Send` future,
    // which the test body must be.
    let twin = tokio::task::spawn_blocking(move || {
        tokio::runtime::Handle::current().block_on(async move {
            match backend {
                Backend::Sqlite => common::TestDb::sqlite().await,
                Backend::Postgres => common::TestDb::postgres()
                    .await
                    .expect("the PostgreSQL variant runs with a server"),
            }
        })
    })
    .await
    .expect("creating the second database");
    twin.db.migrate().await.expect("migrations");
    twin
}

/// Every schema object as text: on SQLite all of `sqlite_master` (tables, indexes,
/// triggers, the full-text tables and their shadow tables); on PostgreSQL every index,
/// constraint and trigger with its definition.
async fn schema_objects(db: &Db) -> Vec<String> {
    let sql = match db.backend() {
        Backend::Sqlite => {
            "SELECT type || ' ' || name || ' on ' || tbl_name || ': ' || COALESCE(sql, '') \
             FROM sqlite_master WHERE name NOT LIKE 'sqlite_stat%' ORDER BY 1"
        }
        Backend::Postgres => {
            "SELECT 'index ' || indexname || ': ' || indexdef FROM pg_indexes WHERE schemaname = 'public' \
             UNION ALL SELECT 'constraint ' || conrelid::regclass::text || '.' || conname || ': ' \
               || pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = 'public'::regnamespace \
             UNION ALL SELECT 'trigger ' || tgrelid::regclass::text || '.' || tgname || ': ' \
               || pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal \
             ORDER BY 1"
        }
    };
    sql::texts(db, sql).await
}

/// Every entry of a SQLite full-text table (term, row, column, position), read through
/// an `fts5vocab` table on one connection.
async fn fts_entries(db: &Db, fts: &str) -> Vec<String> {
    let Db::Sqlite(pool) = db else {
        unreachable!("SQLite only")
    };
    // A temporary table is seen by its connection only: one connection of the test's own.
    let conn = rusqlite::Connection::open(pool.path()).unwrap();
    conn.execute_batch(&format!(
        "CREATE VIRTUAL TABLE temp.vocab_{fts} USING fts5vocab(main, {fts}, 'instance')"
    ))
    .unwrap();
    let entries = conn
        .prepare(&format!(
            // Words tables keep no positions (`detail=none`): no column, no offset.
            "SELECT term || ' ' || doc || ' ' || coalesce(col, '') || ' ' || coalesce(offset, '') \
             FROM temp.vocab_{fts} ORDER BY term, doc, col, offset"
        ))
        .unwrap()
        .query_map([], |row| row.get::<_, String>(0))
        .unwrap()
        .collect::<rusqlite::Result<Vec<String>>>()
        .unwrap();
    conn.execute_batch(&format!("DROP TABLE temp.vocab_{fts}"))
        .unwrap();
    entries
}

/// The same organisation in any database: ids and names are equal in every copy.
async fn organisation(db: &Db) -> (i64, Vec<i64>) {
    fixtures::seed(db).await;
    fixtures::define_custom_fields(db).await;
    let admin = fixtures::admin(db).await;
    let east = fixtures::team(db, "华东销售组", None).await;
    let mut owners = vec![admin.user_id];
    for name in ["li.na", "wang.wei", "chen.hao"] {
        owners.push(
            fixtures::user(db, name, Some(east), &["sales_rep"])
                .await
                .user_id,
        );
    }
    (admin.user_id, owners)
}

/// A fixed creation time per row, so that copies of a load are equal.
fn fixed_time(i: usize) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(1_700_000_000 + 60 * i as i64, 0)
}

fn customer_input(i: usize) -> Json {
    if i % 9 == 4 {
        json!({ "name": format!("Northwind Traders {}", letters(i)), "kind": "individual" })
    } else {
        json!({
            "name": format!("深圳前海{i}号贸易有限公司"),
            "code": format!("KH-{i:05}"),
            "industry": "软件",
            "level": if i % 10 == 0 { "VIP" } else { "普通" },
            "province": if i % 2 == 0 { "北京" } else { "上海" },
            "phone": format!("+86 139{i:08}"),
            "email": format!("sales{i}@qianhai.example"),
            "tags": ["老客户"],
            "custom": { "employees": i, "wechat": format!("wx_qh_{i}") },
        })
    }
}

fn contact_input(i: usize, account_id: i64, reports_to: Option<i64>) -> Json {
    let mut input = json!({
        "account_id": account_id,
        "name": if i % 5 == 0 { format!("张伟{i}") } else { format!("Ann Lee {}", letters(i)) },
        "title": "采购经理",
        "mobile": format!("138{i:08}"),
        "email": format!("ann{i}@qianhai.example"),
        "birthday": "1980-02-29",
    });
    if let Some(boss) = reports_to {
        input["reports_to_id"] = json!(boss);
    }
    input
}

/// A load of all `rows` with `strategy`, in parts of `part` rows; gives their ids.
async fn load_all(
    db: &Db,
    entity: &'static kehu_core::entity::EntityDef,
    strategy: Strategy,
    rows: Vec<BulkRow>,
    part: usize,
) -> DbResult<Vec<i64>> {
    let mut load = BulkLoad::begin(db, entity, None, strategy).await?;
    let mut ids = Vec::new();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        ids.extend(load.insert(rows.by_ref().take(part).collect()).await?);
    }
    load.finish().await?;
    Ok(ids)
}

/// Whether a load into the entity's table with `strategy` would build indexes after.
async fn builds_after(
    db: &Db,
    entity: &'static kehu_core::entity::EntityDef,
    strategy: Strategy,
) -> bool {
    BulkLoad::begin(db, entity, None, strategy)
        .await
        .unwrap()
        .builds_indexes_after()
}

/// Customers, contacts (in two loads, the second into a table that has rows) and orders,
/// loaded with `strategy`.
async fn load_everything(db: &Db, strategy: Strategy) {
    let (_, owners) = organisation(db).await;
    let lists = picklists::all(db).await.unwrap();
    let custom = custom_fields::for_entity(db, "account").await.unwrap();
    let owner = |i: usize| owners[i % owners.len()];
    let rows: Vec<BulkRow> = {
        let schema = Schema {
            entity: &ACCOUNT,
            custom_fields: &custom,
            picklists: &lists,
        };
        (0..2_600)
            .map(|i| row(&schema, owner(i), customer_input(i), fixed_time(i)))
            .collect()
    };
    assert_eq!(
        builds_after(db, &ACCOUNT, strategy).await,
        strategy == Strategy::Auto
    );
    let accounts = load_all(db, &ACCOUNT, strategy, rows, 1_100).await.unwrap();

    let contacts_schema = Schema {
        entity: &CONTACT,
        custom_fields: &[],
        picklists: &lists,
    };
    let bosses: Vec<BulkRow> = (0..1_500)
        .map(|i| {
            let input = contact_input(i, accounts[i % accounts.len()], None);
            row(&contacts_schema, owner(i), input, fixed_time(i))
        })
        .collect();
    assert_eq!(
        builds_after(db, &CONTACT, strategy).await,
        strategy == Strategy::Auto
    );
    let boss_ids = load_all(db, &CONTACT, strategy, bosses, 1_500)
        .await
        .unwrap();
    let staff: Vec<BulkRow> = (1_500..2_200)
        .map(|i| {
            let input = contact_input(
                i,
                accounts[i % accounts.len()],
                Some(boss_ids[i % boss_ids.len()]),
            );
            row(&contacts_schema, owner(i), input, fixed_time(i))
        })
        .collect();
    assert!(
        !builds_after(db, &CONTACT, strategy).await,
        "the table has rows now"
    );
    load_all(db, &CONTACT, strategy, staff, 700).await.unwrap();

    let orders: Vec<BulkRow> = {
        let schema = Schema {
            entity: &kehu_core::entity::ORDER,
            custom_fields: &[],
            picklists: &lists,
        };
        (0..800)
            .map(|i| {
                let input = json!({
                    "name": format!("SO-2024-{i:05}"), "account_id": accounts[i % 97],
                    "order_date": "2024-03-01", "total": 1_000 + i, "quantity": 1 + i % 4,
                });
                row(&schema, owner(i), input, fixed_time(i))
            })
            .collect()
    };
    load_all(db, &kehu_core::entity::ORDER, strategy, orders, 800)
        .await
        .unwrap();
}

async fn a_load_into_empty_tables_gives_the_database_of_a_row_by_row_load(db: Db) {
    let ordinary = twin(&db).await;
    load_everything(&db, Strategy::Auto).await;
    load_everything(&ordinary.db, Strategy::Incremental).await;

    let schema = schema_objects(&db).await;
    assert_eq!(
        schema,
        schema_objects(&ordinary.db).await,
        "same schema objects"
    );
    let tables: sql::Schema = sql::schema(&db)
        .await
        .into_iter()
        .filter(|(table, _)| ["accounts", "contacts", "orders"].contains(&table.as_str()))
        .collect();
    assert_eq!(tables.len(), 3);
    assert_eq!(
        sql::dump_tables(&db, &tables).await,
        sql::dump_tables(&ordinary.db, &tables).await,
        "same rows"
    );
    let summaries = "SELECT entity || ' ' || action || ' ' || changes FROM events ORDER BY id";
    assert_eq!(
        sql::texts(&db, summaries).await,
        sql::texts(&ordinary.db, summaries).await,
        "same summary events"
    );
    let everything = Visibility::Everything;
    for (entity, term) in [
        (&ACCOUNT, "前海"),
        (&ACCOUNT, "northwind"),
        (&ACCOUNT, "00001234"),
        (&ACCOUNT, "sales123@"),
        (&ACCOUNT, "KH-00123"),
        (&ACCOUNT, "wx_qh_77"),
        (&ACCOUNT, "老客户"),
        (&CONTACT, "张伟"),
        (&CONTACT, "ann12"),
        (&CONTACT, "0001234"),
        (&kehu_core::entity::ORDER, "SO-2024-0012"),
    ] {
        let found = fixtures::names(&db, entity, &everything, &search(entity, term)).await;
        assert!(!found.is_empty(), "{term} finds something");
        assert_eq!(
            found,
            fixtures::names(&ordinary.db, entity, &everything, &search(entity, term)).await,
            "searching {term}"
        );
    }
    match db.backend() {
        Backend::Sqlite => {
            for fts in [
                "accounts_fts",
                "accounts_trgm",
                "accounts_team_fts",
                "accounts_team_trgm",
                "contacts_fts",
                "contacts_trgm",
                "contacts_team_fts",
                "contacts_team_trgm",
                "orders_fts",
                "orders_trgm",
            ] {
                // Checks the index's structure (and the rows of a table with content).
                sql::execute(
                    &db,
                    &format!("INSERT INTO {fts} ({fts}, rank) VALUES ('integrity-check', 1)"),
                )
                .await;
                let entries = fts_entries(&db, fts).await;
                assert!(!entries.is_empty());
                assert_eq!(entries, fts_entries(&ordinary.db, fts).await, "{fts}");
            }
            assert_eq!(
                sql::texts(
                    &db,
                    "SELECT stat FROM sqlite_stat1 WHERE idx = 'accounts_list_name'"
                )
                .await,
                ["2600 1 1 1 1 1 1 1 1"],
                "statistics of the rebuilt indexes"
            );
        }
        Backend::Postgres => {
            assert_eq!(
                scalar(
                    &db,
                    "SELECT reltuples::bigint FROM pg_class WHERE relname = 'accounts'"
                )
                .await,
                2_600,
                "the customers' statistics were refreshed"
            );
        }
    }

    // The comparison notices an index that is not there.
    sql::execute(&db, "DROP INDEX accounts_list_name").await;
    assert_ne!(
        schema_objects(&db).await,
        schema_objects(&ordinary.db).await
    );
}

fn customers(schema: &Schema<'_>, owner: i64, codes: &[&str]) -> Vec<BulkRow> {
    codes
        .iter()
        .map(|code| {
            let input = json!({ "name": format!("客户{code}"), "code": code });
            row(schema, owner, input, None)
        })
        .collect()
}

async fn a_failed_load_into_an_empty_table_keeps_every_index(db: Db) {
    let (admin, owners) = organisation(&db).await;
    let lists = picklists::all(&db).await.unwrap();
    let schema = Schema {
        entity: &ACCOUNT,
        custom_fields: &[],
        picklists: &lists,
    };
    let before = schema_objects(&db).await;

    // A duplicate code, found when the unique index is built.
    let first = customers(&schema, owners[0], &["A1", "A2"]);
    let second = customers(&schema, owners[0], &["A3", "A1"]);
    let mut load = BulkLoad::begin(&db, &ACCOUNT, Some(admin), Strategy::Auto)
        .await
        .unwrap();
    assert!(load.builds_indexes_after());
    load.insert(first).await.unwrap();
    load.insert(second).await.unwrap();
    assert!(load.finish().await.is_err());
    assert_eq!(schema_objects(&db).await, before);
    assert_eq!(scalar(&db, "SELECT COUNT(*) FROM accounts").await, 0);
    assert_eq!(scalar(&db, "SELECT COUNT(*) FROM events").await, 0);

    // A load given up half way.
    let rows = customers(&schema, owners[0], &["B1"]);
    let mut load = BulkLoad::begin(&db, &ACCOUNT, Some(admin), Strategy::Auto)
        .await
        .unwrap();
    load.insert(rows).await.unwrap();
    drop(load);
    assert_eq!(schema_objects(&db).await, before);
    assert_eq!(scalar(&db, "SELECT COUNT(*) FROM accounts").await, 0);

    // A refused row: nothing more can be inserted and nothing is kept.
    let mut refused = customers(&schema, owners[0], &["C1"]);
    refused[0].owner_id = 4_242;
    let after_refusal = customers(&schema, owners[0], &["C2"]);
    let mut load = BulkLoad::begin(&db, &ACCOUNT, Some(admin), Strategy::Auto)
        .await
        .unwrap();
    assert!(load.insert(refused).await.is_err());
    assert!(load.insert(after_refusal).await.is_err());
    assert!(load.finish().await.is_err());
    assert_eq!(schema_objects(&db).await, before);

    // A contact of a customer that does not exist (on PostgreSQL found when the foreign
    // key is added back).
    let rows = customers(&schema, owners[0], &["DDD1"]);
    let ids = records::bulk_insert(&db, &ACCOUNT, None, rows)
        .await
        .unwrap();
    let contacts_schema = Schema {
        entity: &CONTACT,
        custom_fields: &[],
        picklists: &lists,
    };
    let dangling = vec![
        row(
            &contacts_schema,
            owners[1],
            json!({ "account_id": ids[0], "name": "王芳" }),
            None,
        ),
        row(
            &contacts_schema,
            owners[1],
            json!({ "account_id": ids[0] + 1, "name": "李娜" }),
            None,
        ),
    ];
    assert!(load_all(&db, &CONTACT, Strategy::Auto, dangling, 10)
        .await
        .is_err());
    assert_eq!(schema_objects(&db).await, before);
    assert_eq!(scalar(&db, "SELECT COUNT(*) FROM contacts").await, 0);

    // The customers' load built everything.
    let names = fixtures::names(
        &db,
        &ACCOUNT,
        &Visibility::Everything,
        &search(&ACCOUNT, "ddd1"),
    )
    .await;
    assert_eq!(names, ["客户DDD1"]);
    assert_eq!(scalar(&db, "SELECT COUNT(*) FROM events").await, 1);
}

async fn other_insert_triggers_still_run(db: Db) {
    let (admin, owners) = organisation(&db).await;
    let epoch = "SELECT value FROM auth_epoch";
    match db.backend() {
        Backend::Sqlite => {
            sql::execute(
                &db,
                "CREATE TRIGGER accounts_count AFTER INSERT ON accounts BEGIN \
                 UPDATE auth_epoch SET value = value + 1; END",
            )
            .await
        }
        Backend::Postgres => {
            sql::execute(
                &db,
                "CREATE FUNCTION count_accounts() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN UPDATE auth_epoch SET value = value + 1; RETURN NULL; END $$; \
                 CREATE TRIGGER accounts_count AFTER INSERT ON accounts \
                 FOR EACH ROW EXECUTE FUNCTION count_accounts()",
            )
            .await
        }
    }
    let before = scalar(&db, epoch).await;
    let lists = picklists::all(&db).await.unwrap();
    let schema = Schema {
        entity: &ACCOUNT,
        custom_fields: &[],
        picklists: &lists,
    };
    let rows = (0..25)
        .map(|i| {
            row(
                &schema,
                owners[1],
                json!({ "name": format!("触发{i}") }),
                None,
            )
        })
        .collect();
    let mut load = BulkLoad::begin(&db, &ACCOUNT, Some(admin), Strategy::Auto)
        .await
        .unwrap();
    // SQLite cannot replay the trigger afterwards, so it loads row by row; PostgreSQL
    // keeps triggers while it rebuilds indexes.
    assert_eq!(
        load.builds_indexes_after(),
        db.backend() == Backend::Postgres
    );
    load.insert(rows).await.unwrap();
    load.finish().await.unwrap();
    assert_eq!(scalar(&db, epoch).await, before + 25);
}

/// A number written with letters (0 → a, 1 → b, …), for unique Latin words.
fn letters(i: usize) -> String {
    i.to_string()
        .chars()
        .map(|d| char::from(b'a' + d.to_digit(10).unwrap_or(0) as u8))
        .collect()
}

fn now_micros() -> DateTime<Utc> {
    micros(Utc::now())
}
