//! `kehu import orders FILE.csv`: loads purchase history (`customer_id,date,amount[,quantity]`).
//!
//! The customer is matched by its id or its customer code. Every row is read and matched
//! before anything is written, and the rows are then written in one transaction, so a
//! bad row (reported by line and column) leaves the database as it was.

use anyhow::Context;
use clap::{Args, Subcommand};
use kehu_core::entity::ORDER;
use kehu_core::permission::Visibility;
use kehu_core::FieldValue;
use kehu_db::records::{self, BulkRow};
use kehu_db::{orders, Db};
use kehu_io::orders_csv::{read_order_rows, OrderRow, RowError};
use std::path::{Path, PathBuf};

/// `kehu import …`
#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(subcommand)]
    what: ImportCommand,
}

#[derive(Debug, Subcommand)]
enum ImportCommand {
    /// Orders from CSV with a header: customer_id,date,amount[,quantity] (extra columns
    /// ignored). customer_id is a customer's id or customer code; amounts in major units
    /// (12.50). Orders are numbered FILE-LINE and owned by the customer's owner.
    Orders {
        /// The CSV file.
        file: PathBuf,
    },
}

/// Runs `kehu import`.
pub async fn run(args: ImportArgs, db: Db) -> anyhow::Result<()> {
    let ImportCommand::Orders { file } = args.what;
    let outcome = import_orders(&db, &file).await;
    db.close().await;
    let imported = outcome?;
    println!("imported {imported} orders from {}", file.display());
    Ok(())
}

/// Reads, checks and writes the orders of one file; gives how many were written.
pub async fn import_orders(db: &Db, file: &Path) -> anyhow::Result<usize> {
    let name = file.display().to_string();
    let reader = std::fs::File::open(file).with_context(|| format!("cannot open {name}"))?;
    let rows = read_order_rows(reader).map_err(|e| anyhow::anyhow!("{name} {e}"))?;
    let bulk = match_customers(db, file, &rows)
        .await?
        .map_err(|e| anyhow::anyhow!("{name} {e}"))?;
    let count = bulk.len();
    records::bulk_insert(db, &ORDER, None, bulk).await?;
    Ok(count)
}

/// Turns rows into orders of known customers, or names the first row whose customer is
/// unknown.
async fn match_customers(
    db: &Db,
    file: &Path,
    rows: &[OrderRow],
) -> anyhow::Result<Result<Vec<BulkRow>, RowError>> {
    let keys: Vec<&str> = rows.iter().map(|r| r.customer.as_str()).collect();
    // The command line acts for the whole installation, like `kehu demo`.
    let customers = orders::customers_by_key(db, &Visibility::Everything, &keys).await?;
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "import".into());
    let field = |name| ORDER.field(name).expect("orders have this field");
    let mut bulk = Vec::with_capacity(rows.len());
    for row in rows {
        let Some(customer) = customers.get(&row.customer) else {
            return Ok(Err(RowError::cell(
                row.line,
                "customer_id",
                format!(
                    "{:?} is neither the id nor the code of a customer",
                    row.customer
                ),
            )));
        };
        let mut fields = vec![
            (
                field("name"),
                FieldValue::Text(format!("{stem}-{}", row.line)),
            ),
            (field("account_id"), FieldValue::Int(customer.id)),
            (field("order_date"), FieldValue::Date(row.date)),
            (field("total"), FieldValue::Int(row.total)),
        ];
        if let Some(quantity) = row.quantity {
            fields.push((field("quantity"), FieldValue::Int(quantity)));
        }
        bulk.push(BulkRow {
            owner_id: customer.owner_id,
            fields,
            ..BulkRow::default()
        });
    }
    Ok(Ok(bulk))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kehu_core::entity::ACCOUNT;
    use kehu_db::records::ListQuery;

    struct TempDir(PathBuf);
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// A migrated SQLite database with a user and two customers, one with code `C-2`.
    async fn database(dir: &Path) -> (Db, i64, i64) {
        let db = Db::connect(&format!("sqlite://{}", dir.join("kehu.db").display()))
            .await
            .unwrap();
        db.migrate().await.unwrap();
        kehu_db::roles::ensure_defaults(&db).await.unwrap();
        let user = kehu_db::users::create(
            &db,
            kehu_db::users::NewUser {
                username: "owner".into(),
                display_name: "Owner".into(),
                email: None,
                password_hash: "x".into(),
                team_id: None,
                roles: vec!["admin".into()],
            },
        )
        .await
        .unwrap()
        .id;
        let field = |name| ACCOUNT.field(name).unwrap();
        let ids = records::bulk_insert(
            &db,
            &ACCOUNT,
            None,
            vec![
                BulkRow {
                    owner_id: user,
                    fields: vec![(field("name"), FieldValue::Text("一号".into()))],
                    ..BulkRow::default()
                },
                BulkRow {
                    owner_id: user,
                    fields: vec![
                        (field("name"), FieldValue::Text("二号".into())),
                        (field("code"), FieldValue::Text("C-2".into())),
                    ],
                    ..BulkRow::default()
                },
            ],
        )
        .await
        .unwrap();
        (db, ids[0], ids[1])
    }

    async fn order_count(db: &Db) -> u64 {
        let query = ListQuery {
            text: None,
            filters: Vec::new(),
            sort: kehu_core::filter::Sort {
                field: ORDER.field("id").unwrap(),
                descending: false,
            },
            limit: 200,
            cursor: None,
            in_recycle_bin: false,
            whole_words: false,
        };
        records::count(db, &ORDER, &Visibility::Everything, &query, 1_000)
            .await
            .unwrap()
            .0
    }

    fn temp_dir() -> TempDir {
        let dir = std::env::temp_dir().join(format!("kehu-import-{:016x}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    #[tokio::test]
    async fn imports_orders_matched_by_id_or_code() {
        let dir = temp_dir();
        let (db, first, second) = database(&dir.0).await;
        let file = dir.0.join("shop.csv");
        std::fs::write(
            &file,
            format!("customer_id,date,amount,quantity\n{first},2024-01-02,99.90,3\nC-2,2024-02-03,\"1,000\",\n"),
        )
        .unwrap();
        assert_eq!(import_orders(&db, &file).await.unwrap(), 2);
        let purchases = orders::purchases(
            &db,
            &Visibility::Everything,
            &Visibility::Everything,
            chrono::NaiveDate::from_ymd_opt(2030, 1, 1).unwrap(),
        )
        .await
        .unwrap();
        let got: Vec<(i64, i64)> = purchases.iter().map(|p| (p.account_id, p.total)).collect();
        assert_eq!(got, [(first, 9_990), (second, 100_000)]);
        db.close().await;
    }

    #[tokio::test]
    async fn a_bad_row_names_line_and_column_and_writes_nothing() {
        let dir = temp_dir();
        let (db, first, _) = database(&dir.0).await;
        for (content, expected) in [
            (
                format!("customer_id,date,amount\n{first},2024-01-02,5\n{first},2024-01-03,five\n"),
                "line 3, column \"amount\"",
            ),
            (
                format!("customer_id,date,amount\n{first},2024-01-02,5\n{first},03/01/2024,5\n"),
                "line 3, column \"date\"",
            ),
            (
                format!("customer_id,date,amount\n{first},2024-01-02,5\nnobody,2024-01-03,5\n"),
                "line 3, column \"customer_id\"",
            ),
            (
                "customer,date,amount\n1,2024-01-02,5\n".to_string(),
                "line 1, column \"customer_id\"",
            ),
        ] {
            let file = dir.0.join("bad.csv");
            std::fs::write(&file, &content).unwrap();
            let error = import_orders(&db, &file).await.unwrap_err().to_string();
            assert!(error.contains(expected), "{error:?} should say {expected}");
            assert_eq!(order_count(&db).await, 0, "nothing written for {content:?}");
        }
        db.close().await;
    }

    /// The analytics command line's RFM table of a CSV file, as JSON rows by customer id.
    fn cli_rfm(file: &Path, as_of: &str) -> Vec<serde_json::Value> {
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            args: crate::cli::analytics::AnalyticsArgs,
        }
        let file = file.display().to_string();
        let argv = [
            "kehu",
            "rfm",
            "--transactions",
            &file,
            "--as-of",
            as_of,
            "--format",
            "json",
        ];
        let cli = <Cli as clap::Parser>::try_parse_from(argv).unwrap();
        let output = crate::cli::analytics::render(cli.args).unwrap();
        serde_json::from_str(&output).unwrap()
    }

    #[tokio::test]
    async fn the_app_scores_imported_orders_as_the_command_line_scores_the_file() {
        let dir = temp_dir();
        let (db, first, _) = database(&dir.0).await;
        let owner = kehu_db::users::list(&db).await.unwrap()[0].id;
        // 60 more customers, so that every class has several and edges fall on ties.
        let more = records::bulk_insert(
            &db,
            &ACCOUNT,
            None,
            (0..60)
                .map(|n| BulkRow {
                    owner_id: owner,
                    fields: vec![(
                        ACCOUNT.field("name").unwrap(),
                        FieldValue::Text(format!("客户{n}")),
                    )],
                    ..BulkRow::default()
                })
                .collect(),
        )
        .await
        .unwrap();
        let mut csv = String::from("customer_id,date,amount\n");
        let customers: Vec<i64> = std::iter::once(first).chain(more).collect();
        for (n, id) in customers.iter().enumerate() {
            let n = n as i64;
            // Varied counts, days (some twice a day) and totals, many of them equal
            // (n % 7 buys the same) and amounts in cents that floats do not hold exactly.
            for k in 0..=(n % 9) {
                let day = chrono::NaiveDate::from_ymd_opt(2023, 1, 1).unwrap()
                    + chrono::Duration::days((n * 37 + k * 53) % 700);
                let cents = 1_999 + (n % 7) * 1_010 + k * 10;
                csv.push_str(&format!("{id},{day},{}.{:02}\n", cents / 100, cents % 100));
                if k == 1 {
                    csv.push_str(&format!("{id},{day},0.10\n"));
                }
            }
        }
        // After the as-of day: counted by neither.
        csv.push_str(&format!("{first},2025-06-01,500.00\n"));
        let file = dir.0.join("orders.csv");
        std::fs::write(&file, &csv).unwrap();
        import_orders(&db, &file).await.unwrap();
        let as_of = chrono::NaiveDate::from_ymd_opt(2024, 12, 31).unwrap();
        kehu_jobs::customer_values::recompute(
            &db,
            as_of,
            &kehu_jobs::customer_values::ValueSettings::default(),
            None,
        )
        .await
        .unwrap();

        let cli = cli_rfm(&file, "2024-12-31");
        assert_eq!(cli.len(), customers.len());
        for row in cli {
            let id: i64 = row["customer_id"].as_str().unwrap().parse().unwrap();
            let stored =
                kehu_db::customer_values::value_of_account(&db, &Visibility::Everything, id)
                    .await
                    .unwrap()
                    .unwrap_or_else(|| panic!("customer {id} was analysed"));
            let app = serde_json::json!({
                "customer_id": id.to_string(),
                "recency": stored.recency_days,
                "frequency": stored.frequency,
                "monetary": stored.monetary as f64 / 100.0,
                "r": stored.r_score,
                "f": stored.f_score,
                "m": stored.m_score,
                "segment": stored.segment,
                "abc": stored.abc_class,
            });
            assert_eq!(app, row, "customer {id}");
        }
        db.close().await;
    }
}
