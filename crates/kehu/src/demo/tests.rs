//! Loading the demo company on a fresh SQLite file and, when `KEHU_TEST_PG_URL` names a
//! server, on a fresh PostgreSQL database.

use super::*;
use argon2::password_hash::{PasswordHash, PasswordVerifier};
use kehu_core::permission::Action;
use kehu_core::FieldValue;
use std::collections::BTreeSet;
use std::time::Instant;

fn search(entity: &'static EntityDef, text: &str) -> ListQuery {
    ListQuery {
        text: Some(text.to_string()),
        limit: 200,
        ..all_of(entity, false)
    }
}

async fn count(
    db: &Db,
    entity: &'static EntityDef,
    visibility: &Visibility,
    query: &ListQuery,
) -> u64 {
    records::count(db, entity, visibility, query, 1_000_000)
        .await
        .expect("count")
        .0
}

async fn check_demo(db: &Db) {
    let started = Instant::now();
    let summary = load_demo(db, 2024)
        .await
        .expect("demo loads into an empty database");
    let elapsed = started.elapsed();
    eprintln!(
        "demo loaded on {:?} in {:.2} s",
        db.backend(),
        elapsed.as_secs_f64()
    );
    let everything = Visibility::Everything;

    // Customers and contacts.
    let customers = count(db, &ACCOUNT, &everything, &all_of(&ACCOUNT, false)).await;
    let contacts = count(db, &CONTACT, &everything, &all_of(&CONTACT, false)).await;
    assert!(customers >= 2_000, "{customers} customers");
    assert!(contacts >= 4_000, "{contacts} contacts");
    assert_eq!(
        (summary.customers as u64, summary.contacts as u64),
        (customers, contacts)
    );

    // Orders: a few years of history in which every RFM segment and lifecycle stage has
    // customers, and cancelled orders that analytics leave out.
    // The job the server runs on them, stored as the pages read it.
    let today = Utc::now().date_naive();
    kehu_jobs::customer_values::recompute(
        db,
        today,
        &kehu_jobs::customer_values::ValueSettings::default(),
        None,
    )
    .await
    .unwrap();
    let run = kehu_db::customer_values::latest_run(db)
        .await
        .unwrap()
        .expect("a complete run");
    assert!(
        summary.orders as i64 > run.purchases,
        "some orders are cancelled"
    );
    assert!(run.purchases > 5_000, "{} purchases", run.purchases);
    let groups =
        |grouping| kehu_db::customer_values::group_totals(db, &everything, run.id, grouping);
    let segments: BTreeSet<String> = groups(kehu_db::customer_values::Grouping::Segment)
        .await
        .unwrap()
        .into_iter()
        .map(|g| g.key)
        .collect();
    assert_eq!(
        segments.len(),
        10,
        "every segment is populated: {segments:?}"
    );
    let stages: BTreeSet<String> = groups(kehu_db::customer_values::Grouping::Lifecycle)
        .await
        .unwrap()
        .into_iter()
        .map(|g| g.key)
        .collect();
    assert_eq!(
        stages.len(),
        5,
        "every lifecycle stage is populated: {stages:?}"
    );
    assert!(run.model["bgnbd"]["params"].is_object(), "{}", run.model);
    let clvs = kehu_db::customer_values::clv_values(db, &everything, run.id)
        .await
        .unwrap();
    assert_eq!(clvs.len() as i64, run.customers, "every customer has a CLV");

    // Teams: a sales department with two sales teams, and service.
    let all_teams = teams::list(db).await.unwrap();
    let sales = all_teams
        .iter()
        .find(|t| t.name == "销售部")
        .expect("sales department");
    let mut sales_teams: Vec<&str> = all_teams
        .iter()
        .filter(|t| t.parent_id == Some(sales.id))
        .map(|t| t.name.as_str())
        .collect();
    sales_teams.sort_unstable();
    assert_eq!(sales_teams, ["华东销售组", "华南销售组"]);
    assert!(all_teams.iter().any(|t| t.name == "客服部"));

    // Users of every role, each with a working password.
    let all_users = users::list(db).await.unwrap();
    let has_roles: BTreeSet<String> = all_users.iter().flat_map(|u| u.roles.clone()).collect();
    let every_role: BTreeSet<String> = roles::list(db)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(has_roles, every_role);
    assert_eq!(summary.admin_username, "admin");
    let (admin, hash) = users::with_password_hash(db, "admin")
        .await
        .unwrap()
        .expect("admin exists");
    assert_eq!(admin.roles, ["admin"]);
    assert!(hash.starts_with("$argon2id$"));
    let parsed = PasswordHash::new(&hash).unwrap();
    assert!(Argon2::default()
        .verify_password(summary.admin_password.as_bytes(), &parsed)
        .is_ok());
    assert!(Argon2::default()
        .verify_password(b"wrong password", &parsed)
        .is_err());
    let passwords: BTreeSet<&str> = summary.users.iter().map(|u| u.password.as_str()).collect();
    assert_eq!(
        passwords.len(),
        summary.users.len(),
        "every user has a password of their own"
    );
    assert!(
        !format!("{summary:?}").contains(&summary.admin_password),
        "Debug hides passwords"
    );

    // Owners: each rep has a realistic book of customers, managers fewer.
    for user in &summary.users {
        match user.role.as_str() {
            "sales_rep" => assert!(
                (150..=320).contains(&user.customers),
                "{} owns {}",
                user.username,
                user.customers
            ),
            "sales_manager" if user.team.as_deref() != Some("销售部") => {
                assert!(
                    (80..=220).contains(&user.customers),
                    "{} owns {}",
                    user.username,
                    user.customers
                )
            }
            _ => assert_eq!(user.customers, 0, "{} owns customers", user.username),
        }
    }
    let total: u64 = summary.users.iter().map(|u| u.customers).sum();
    assert_eq!(total, customers);

    // Team scopes: the East China manager sees the east team's customers only, the sales
    // director both teams', the read-only user all.
    let actor = |username: &str| {
        let user = all_users
            .iter()
            .find(|u| u.username == username)
            .unwrap()
            .clone();
        async move { users::actor(db, &user).await.unwrap() }
    };
    let east = actor("wang.qiang")
        .await
        .visibility("account", Action::Read);
    let director = actor("chen.jing").await.visibility("account", Action::Read);
    let reader = actor("zhou.jie").await.visibility("account", Action::Read);
    let east_count = count(db, &ACCOUNT, &east, &all_of(&ACCOUNT, false)).await;
    assert!(
        east_count > 700 && east_count < 1_300,
        "east team: {east_count}"
    );
    assert_eq!(
        count(db, &ACCOUNT, &director, &all_of(&ACCOUNT, false)).await,
        customers
    );
    assert_eq!(
        count(db, &ACCOUNT, &reader, &all_of(&ACCOUNT, false)).await,
        customers
    );

    // Search: a common word of company names, a contact's two-character name.
    let tech = count(db, &ACCOUNT, &everything, &search(&ACCOUNT, "科技")).await;
    assert!(tech > 100, "searching 科技 found {tech}");
    let page = records::list(
        db,
        &CONTACT,
        &everything,
        &ListQuery {
            limit: 200,
            ..all_of(&CONTACT, false)
        },
        &[
            CONTACT.field("name").unwrap(),
            CONTACT.field("reports_to_id").unwrap(),
        ],
    )
    .await
    .unwrap();
    let two_character = page
        .records
        .iter()
        .find(|r| {
            r.text("name")
                .is_some_and(|n| n.chars().count() == 2 && !n.is_ascii())
        })
        .expect("a contact with a two-character name");
    let name = two_character.text("name").unwrap();
    let found = records::list(db, &CONTACT, &everything, &search(&CONTACT, name), &[])
        .await
        .unwrap();
    assert!(
        found.records.iter().any(|r| r.id == two_character.id),
        "searching {name} finds contact {}",
        two_character.id
    );

    // Reporting lines stay within a customer, and contacts share their customer's owner.
    let staff = page
        .records
        .iter()
        .find(|r| r.int("reports_to_id").is_some())
        .expect("someone reports to someone");
    let staff = records::get(db, &CONTACT, &everything, staff.id)
        .await
        .unwrap();
    let boss = records::get(
        db,
        &CONTACT,
        &everything,
        staff.int("reports_to_id").unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(boss.int("account_id"), staff.int("account_id"));
    let customer = records::get(db, &ACCOUNT, &everything, staff.int("account_id").unwrap())
        .await
        .unwrap();
    assert_eq!(
        (staff.owner_id, staff.team_id),
        (customer.owner_id, customer.team_id)
    );
    assert!(matches!(customer.get("created_at"), FieldValue::Timestamp(at) if *at < Utc::now()));
    assert!(
        customer.custom.contains_key("employees") || customer.text("kind") == Some("individual")
    );

    // A second load is refused and changes nothing.
    let error = load_demo(db, 2024)
        .await
        .expect_err("a second load is refused");
    assert!(error.to_string().contains("already has"), "{error}");
    assert_eq!(
        count(db, &ACCOUNT, &everything, &all_of(&ACCOUNT, false)).await,
        customers
    );
    assert_eq!(users::list(db).await.unwrap().len(), all_users.len());
}

#[tokio::test]
async fn demo_on_sqlite() {
    let path = std::env::temp_dir().join(format!(
        "kehu_demo_{}_{:016x}.db",
        std::process::id(),
        rand::random::<u64>()
    ));
    let _cleanup = RemoveFiles(path.clone());
    let db = Db::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    db.migrate().await.unwrap();
    check_demo(&db).await;
    db.close().await;
}

#[tokio::test]
async fn demo_on_postgres() {
    let Ok(admin_url) = std::env::var("KEHU_TEST_PG_URL") else {
        eprintln!("demo_on_postgres SKIPPED: KEHU_TEST_PG_URL is not set");
        return;
    };
    let name = format!(
        "kehu_demo_{}_{:016x}",
        std::process::id(),
        rand::random::<u64>()
    );
    let admin = Db::connect(&admin_url).await.expect("PostgreSQL server");
    admin
        .conn()
        .execute_raw(&format!("CREATE DATABASE \"{name}\""))
        .await
        .unwrap();
    admin.close().await;
    let _cleanup = DropDatabase {
        admin_url: admin_url.clone(),
        name: name.clone(),
    };
    let url = match admin_url.rsplit_once('/') {
        Some((server, _)) if !server.ends_with('/') => format!("{server}/{name}"),
        _ => format!("{}/{name}", admin_url.trim_end_matches('/')),
    };
    let db = Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    check_demo(&db).await;
    db.close().await;
}

/// Removes a SQLite database and its WAL files when dropped.
struct RemoveFiles(std::path::PathBuf);

impl Drop for RemoveFiles {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut file = self.0.clone().into_os_string();
            file.push(suffix);
            let _ = std::fs::remove_file(file);
        }
    }
}

/// Drops a PostgreSQL test database when dropped, even while a failed test unwinds.
struct DropDatabase {
    admin_url: String,
    name: String,
}

impl Drop for DropDatabase {
    fn drop(&mut self) {
        let (url, sql) = (
            self.admin_url.clone(),
            format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name),
        );
        // A runtime of its own on a thread of its own: this runs inside the test's runtime.
        let outcome = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let admin = Db::connect(&url).await?;
                admin.conn().execute_raw(&sql).await?;
                admin.close().await;
                anyhow::Ok(())
            })
        })
        .join();
        if !matches!(outcome, Ok(Ok(()))) {
            eprintln!("warning: could not drop the test database {}", self.name);
        }
    }
}
