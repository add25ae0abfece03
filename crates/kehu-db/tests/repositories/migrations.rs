//! Migrations: they apply to an empty database, a second run changes nothing, servers
//! starting together do not trip over each other, and the two dialects' schemas agree.

use crate::common::{fixtures, sql, TestDb};
use kehu_core::entity::{ACCOUNT, ENTITIES};
use kehu_core::permission::Visibility;
use kehu_db::{records, Db};
use std::collections::{BTreeMap, BTreeSet};

backend_tests!(
    unmigrated: migrations_apply_to_a_fresh_database_and_are_idempotent,
    servers_starting_together_both_migrate
);

mod upgrades {
    backend_tests!(migration_15_takes_email_addresses_out_of_the_contact_points);
    use super::migration_15_takes_email_addresses_out_of_the_contact_points;
}

mod catalogue {
    backend_tests!(catalogue_matches_the_schema);
    use super::catalogue_matches_the_schema;
}

const TABLES: &[&str] = &[
    "schema_migrations",
    "teams",
    "roles",
    "users",
    "user_roles",
    "sessions",
    "api_tokens",
    "login_throttle",
    "picklist_values",
    "custom_field_defs",
    "accounts",
    "contacts",
    "events",
    "saved_filters",
    "jobs",
    "team_managers",
    "record_shares",
    "orders",
    "analytics_runs",
    "customer_values",
    "auth_epoch",
    "field_security",
    "consents",
    "order_lines",
    "analytics_settings",
];

async fn migrations_apply_to_a_fresh_database_and_are_idempotent(db: Db) {
    assert!(
        sql::schema(&db).await.is_empty(),
        "a fresh database has no tables"
    );
    db.migrate()
        .await
        .expect("migrations apply to an empty database");
    let schema = sql::schema(&db).await;
    let tables: BTreeSet<&str> = schema.keys().map(String::as_str).collect();
    assert_eq!(
        tables,
        TABLES.iter().copied().collect(),
        "tables after migrating"
    );
    assert_eq!(
        sql::scalar(&db, "SELECT COUNT(*) FROM schema_migrations").await,
        kehu_db::migration_versions(db.backend()).len() as i64
    );

    // Data written before a second run (a restart) is untouched by it.
    fixtures::seed(&db).await;
    let admin = fixtures::admin(&db).await;
    let customer = fixtures::named_account(&db, &admin, "北京华为科技有限公司").await;
    let before = sql::row_snapshot(&db, "accounts", customer.id).await;
    db.migrate().await.expect("a second run is a no-op");
    db.migrate().await.expect("and a third");
    assert_eq!(sql::schema(&db).await, schema, "the schema did not change");
    assert_eq!(
        sql::scalar(&db, "SELECT COUNT(*) FROM schema_migrations").await,
        kehu_db::migration_versions(db.backend()).len() as i64
    );
    assert_eq!(
        sql::row_snapshot(&db, "accounts", customer.id).await,
        before
    );
    let read = records::get(&db, &ACCOUNT, &Visibility::Everything, customer.id)
        .await
        .unwrap();
    assert_eq!(read.text("name"), Some("北京华为科技有限公司"));
}

/// Several `kehu serve` processes on one database start at the same moment.
async fn servers_starting_together_both_migrate(db: Db) {
    let (a, b, c) = tokio::join!(db.migrate(), db.migrate(), db.migrate());
    a.expect("first server migrates");
    b.expect("second server migrates");
    c.expect("third server migrates");
    assert_eq!(
        sql::scalar(&db, "SELECT COUNT(*) FROM schema_migrations").await,
        kehu_db::migration_versions(db.backend()).len() as i64
    );
    let tables: BTreeSet<String> = sql::schema(&db).await.into_keys().collect();
    assert_eq!(tables.len(), TABLES.len());
}

/// An index a migration adds to a database the planner has statistics for gets its own
/// statistics at once: without them SQLite passed the new index over for the old ones.
#[tokio::test]
async fn indexes_added_to_an_analysed_database_are_analysed() {
    let sqlite = TestDb::sqlite().await;
    let db = &sqlite.db;
    db.migrate().await.expect("migrates");
    fixtures::seed(db).await;
    let owner = fixtures::user(db, "rep", None, &["admin"]).await;
    for i in 0..20 {
        fixtures::named_account(db, &owner, &format!("客户{i}")).await;
    }
    db.refresh_statistics(true).await.expect("ANALYZE");
    let analysed = "SELECT COUNT(*) FROM sqlite_stat1 WHERE idx = 'accounts_team_province'";
    assert_eq!(sql::scalar(db, analysed).await, 1);
    // Migration 14 again, as if this database had been made before it.
    sql::execute(
        db,
        "DROP INDEX accounts_team_created_at; DROP INDEX accounts_team_updated_at; \
         DROP INDEX accounts_team_name; DROP INDEX accounts_team_province; \
         DELETE FROM sqlite_stat1 WHERE idx LIKE 'accounts_team_%'; \
         DELETE FROM schema_migrations WHERE version = 14",
    )
    .await;
    assert_eq!(sql::scalar(db, analysed).await, 0);
    db.migrate().await.expect("migration 14 applies again");
    assert_eq!(
        sql::scalar(db, analysed).await,
        1,
        "the new index has statistics"
    );
}

/// The one schema written twice: same tables, columns (kind, NULL-ability, defaults),
/// indexes and foreign keys on both dialects. SQLite's FTS5 tables and PostgreSQL's GIN
/// search indexes with their stored search vectors are the only intended differences.
#[tokio::test]
async fn sqlite_and_postgres_schemas_match() {
    let sqlite = TestDb::sqlite().await;
    let Some(postgres) = TestDb::postgres().await else {
        return;
    };
    sqlite.db.migrate().await.expect("SQLite migrates");
    postgres.db.migrate().await.expect("PostgreSQL migrates");

    let lite = sql::schema(&sqlite.db).await;
    let mut pg = sql::schema(&postgres.db).await;
    for table in ["accounts", "contacts", "orders"] {
        let vector = pg
            .get_mut(table)
            .and_then(|columns| columns.remove("search_vector"));
        assert!(
            vector.is_some(),
            "PostgreSQL's stored search vector of {table}"
        );
    }
    let lite_tables: Vec<&String> = lite.keys().collect();
    let pg_tables: Vec<&String> = pg.keys().collect();
    assert_eq!(lite_tables, pg_tables, "the same tables");
    let mut differences = Vec::new();
    for (table, columns) in &lite {
        let pg_columns = &pg[table];
        let names: Vec<&String> = columns.keys().collect();
        let pg_names: Vec<&String> = pg_columns.keys().collect();
        assert_eq!(names, pg_names, "the same columns in {table}");
        for (column, definition) in columns {
            if definition != &pg_columns[column] {
                differences.push(format!(
                    "{table}.{column}: SQLite {definition:?}, PostgreSQL {:?}",
                    pg_columns[column]
                ));
            }
        }
    }
    assert!(
        differences.is_empty(),
        "column definitions differ:\n{}",
        differences.join("\n")
    );

    let pg_only: BTreeMap<String, String> = [
        ("accounts_search", "accounts(search_vector)"),
        ("accounts_contact_points", "accounts(contact_points)"),
        ("contacts_search", "contacts(search_vector)"),
        ("contacts_contact_points", "contacts(contact_points)"),
        ("orders_search", "orders(search_vector)"),
        ("orders_contact_points", "orders(contact_points)"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let mut pg_indexes = sql::indexes(&postgres.db).await;
    for (name, definition) in &pg_only {
        assert_eq!(
            pg_indexes.remove(name).as_ref(),
            Some(definition),
            "PostgreSQL search index {name}"
        );
    }
    assert_eq!(
        sql::indexes(&sqlite.db).await,
        pg_indexes,
        "the same indexes"
    );
    assert_eq!(
        sql::foreign_keys(&sqlite.db).await,
        sql::foreign_keys(&postgres.db).await,
        "the same foreign keys"
    );

    sqlite.finish().await;
    postgres.finish().await;
}

/// Optional fields whose columns are NOT NULL because they have a DEFAULT (the repositories
/// turn a blank value into the default on create and refuse it on update).
const DEFAULTED: &[(&str, &str)] = &[
    ("accounts", "kind"),
    ("accounts", "lifecycle_status"),
    ("orders", "status"),
];

/// Every field of the catalogue is a column, with the NULL-ability the repositories rely on:
/// required and system fields are NOT NULL, optional fields accept NULL unless they have a
/// default, so that keyset pagination knows which sort columns can be empty.
async fn catalogue_matches_the_schema(db: Db) {
    let schema = sql::schema(&db).await;
    for entity in ENTITIES {
        let columns = schema
            .get(entity.table)
            .unwrap_or_else(|| panic!("no table {}", entity.table));
        for extra in [
            "custom",
            "search_tokens",
            "contact_points",
            "deleted_at",
            "deleted_by",
        ] {
            assert!(columns.contains_key(extra), "{}.{extra}", entity.table);
        }
        for field in entity.fields {
            let column = columns
                .get(field.name)
                .unwrap_or_else(|| panic!("{}.{} has no column", entity.table, field.name));
            let defaulted = DEFAULTED.contains(&(entity.table, field.name));
            let expected_not_null = if field.required || field.name == "owner_id" || defaulted {
                true
            } else if field.read_only {
                // System columns: set on every write, except the team and who-did-it columns.
                !matches!(field.name, "team_id" | "created_by" | "updated_by")
            } else {
                false
            };
            assert_eq!(
                column.not_null, expected_not_null,
                "{}.{} NOT NULL",
                entity.table, field.name
            );
            if defaulted {
                assert!(
                    column.has_default,
                    "{}.{} has a DEFAULT",
                    entity.table, field.name
                );
            }
            let integer = field.kind.is_integer_column()
                || field.kind == kehu_core::entity::FieldKind::Integer;
            assert_eq!(
                column.class == "integer",
                integer,
                "{}.{} is stored as an integer",
                entity.table,
                field.name
            );
        }
    }
}

/// The statements of a migration file (comments dropped) that start with `start` and
/// contain `containing`; trigger bodies are cut at their `;` too, which is why callers
/// say what the statements they want contain.
fn migration_statements(sql: &str, start: &str, containing: &str) -> Vec<String> {
    let without_comments: Vec<&str> = sql
        .lines()
        .filter(|line| !line.trim_start().starts_with("--"))
        .collect();
    without_comments
        .join("\n")
        .split(';')
        .filter(|s| s.trim_start().starts_with(start) && s.contains(containing))
        .map(str::to_owned)
        .collect()
}

fn migration_15(db: &Db) -> &'static str {
    match db {
        Db::Sqlite(_) => include_str!("../../migrations/sqlite/0015_search_keys.sql"),
        Db::Postgres(_) => include_str!("../../migrations/postgres/0015_search_keys.sql"),
    }
}

/// Records written before migration 15 have their e-mail address among their contact
/// points; the migration removes that line and nothing else.
async fn migration_15_takes_email_addresses_out_of_the_contact_points(db: Db) {
    fixtures::seed(&db).await;
    let admin = fixtures::admin(&db).await;
    let customer = fixtures::account(
        &db,
        &admin,
        serde_json::json!({"name": "北京华为科技有限公司", "code": "KH-2024-0001", "phone": "010-6234-5678", "email": "Info@Huawei.example.com"}),
    )
    .await;
    let person = fixtures::contact(
        &db,
        &admin,
        customer.id,
        serde_json::json!({"name": "张伟", "mobile": "138-1234-5678", "email": "zhang.wei@huawei.example.com"}),
    )
    .await;
    let points = |table: &str, id: i64| {
        let db = db.clone();
        let query = format!("SELECT contact_points FROM {table} WHERE id = {id}");
        async move { sql::texts(&db, &query).await.remove(0) }
    };
    let customer_points = points("accounts", customer.id).await;
    let person_points = points("contacts", person.id).await;
    assert_eq!(customer_points, "kh20240001\nkh-2024-0001\n01062345678");
    assert_eq!(person_points, "13812345678");
    // As kehu_search::contact_points wrote them before: the address last, lower-cased.
    sql::execute(
        &db,
        &format!(
            "UPDATE accounts SET contact_points = contact_points || '\ninfo@huawei.example.com' WHERE id = {}; \
             UPDATE contacts SET contact_points = contact_points || '\nzhang.wei@huawei.example.com' WHERE id = {}",
            customer.id, person.id
        ),
    )
    .await;
    let cleanups = migration_statements(migration_15(&db), "UPDATE", "contact_points");
    assert_eq!(cleanups.len(), 2, "{cleanups:?}");
    for cleanup in cleanups {
        sql::execute(&db, &cleanup).await;
    }
    assert_eq!(points("accounts", customer.id).await, customer_points);
    assert_eq!(points("contacts", person.id).await, person_points);
}

/// Migration 15 indexes the records a database already has exactly as its triggers index
/// new ones: an upgraded database finds what a new one finds.
#[tokio::test]
async fn migration_15_indexes_existing_records_as_its_triggers_do() {
    let sqlite = TestDb::sqlite().await;
    let db = &sqlite.db;
    db.migrate().await.expect("migrates");
    fixtures::seed(db).await;
    let east = fixtures::team(db, "East", None).await;
    let rep = fixtures::user(db, "east.rep", Some(east), &["sales_rep"]).await;
    let admin = fixtures::admin(db).await;
    let mut last = None;
    for (name, owner) in [
        ("北京华为科技有限公司", rep.user_id),
        ("Acme Trading Ltd", admin.user_id),
        ("深圳腾讯计算机系统有限公司", rep.user_id),
    ] {
        let customer = fixtures::account(
            db,
            &admin,
            serde_json::json!({"name": name, "phone": "0755-8888-1234", "email": "sales@acme2024.example.com", "owner_id": owner}),
        )
        .await;
        fixtures::contact(
            db,
            &admin,
            customer.id,
            serde_json::json!({"name": "张伟", "mobile": "138-1234-5678", "owner_id": owner}),
        )
        .await;
        last = Some(customer);
    }
    fixtures::try_update(
        db,
        &ACCOUNT,
        &admin,
        last.as_ref().unwrap().id,
        last.as_ref().unwrap().version,
        serde_json::json!({"name": "深圳腾讯科技"}),
    )
    .await
    .expect("renamed");

    let tables: Vec<String> = ["accounts", "contacts"]
        .iter()
        .flat_map(|t| ["fts", "trgm", "team_fts", "team_trgm"].map(|kind| format!("{t}_{kind}")))
        .collect();
    let mut by_triggers = Vec::new();
    for fts in &tables {
        by_triggers.push(fts_entries(db, fts).await);
        sql::execute(
            db,
            &format!("INSERT INTO {fts} ({fts}) VALUES ('delete-all')"),
        )
        .await;
        assert!(fts_entries(db, fts).await.is_empty());
    }
    let fills = migration_statements(migration_15(db), "INSERT INTO", "SELECT");
    assert_eq!(fills.len(), tables.len(), "{fills:?}");
    for fill in fills {
        sql::execute(db, &fill).await;
    }
    for (fts, expected) in tables.iter().zip(by_triggers) {
        assert!(!expected.is_empty(), "{fts} has entries");
        assert_eq!(fts_entries(db, fts).await, expected, "{fts}");
    }
    sqlite.finish().await;
}

/// Every entry of a full-text table: term, row key, and (where the table keeps them)
/// column and position.
async fn fts_entries(db: &Db, fts: &str) -> Vec<String> {
    sql::execute(
        db,
        &format!("CREATE VIRTUAL TABLE vocab_{fts} USING fts5vocab({fts}, 'instance')"),
    )
    .await;
    let entries = sql::texts(
        db,
        &format!(
            "SELECT term || ' ' || doc || ' ' || coalesce(col, '') || ' ' || coalesce(offset, '') \
             FROM vocab_{fts} ORDER BY term, doc, col, offset"
        ),
    )
    .await;
    sql::execute(db, &format!("DROP TABLE vocab_{fts}")).await;
    entries
}
