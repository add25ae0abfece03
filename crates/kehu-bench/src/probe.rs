//! `kehu-bench probe`: the repository calls behind the list and search scenarios, one at
//! a time (no HTTP, no concurrency), each shape timed as the median of a few calls, for
//! each kind of user. It tells which filter/sort combinations or search terms make a
//! percentile slow, so that their query plans can be looked at.

use crate::generate;
use crate::target::Target;
use anyhow::Context as _;
use kehu_core::entity::{EntityDef, ACCOUNT, CONTACT};
use kehu_core::filter::{parse_filters, parse_sort};
use kehu_core::permission::{Action, Visibility};
use kehu_db::records::{self, ListQuery};
use kehu_db::{custom_fields, users, Db};
use std::time::Instant;

/// The list filters of the wrk script (and one more), and its sorts (and credit_limit,
/// which the catalogue marks sortable).
const FILTERS: &[(&str, &str)] = &[
    ("level", "VIP"),
    ("level", "重要"),
    ("level", "普通"),
    ("lifecycle_status", "active"),
    ("lifecycle_status", "lost"),
    ("province", "广东"),
    ("province", "海外"),
    ("industry", "医疗"),
    ("created_at__gte", "2025-01-01"),
];
const SORTS: &[&str] = &["-created_at", "-updated_at", "name", "-id", "-credit_limit"];
/// The search terms of `bench/kehu.lua` (the wrk mix), and a single common surname.
const TERMS: &[&str] = &[
    "科技",
    "贸易",
    "物流",
    "电子",
    "制造",
    "餐饮",
    "华信",
    "鼎盛",
    "恒通",
    "金桥",
    "瑞丰",
    "宏达",
    "张伟",
    "王芳",
    "李娜",
    "刘洋",
    "陈静",
    "王磊",
    "李强",
    "张敏",
    "欧阳",
    "深圳",
    "杭州",
    "苏州",
    "深圳 科技",
    "上海 贸易",
    "张伟 经理",
    "138",
    "1391234",
    "0755",
    "8613",
    "5678",
    "186 2",
    "sales@",
    "huaxin",
    "wang.li",
    "zhangwei",
    "Smith",
    "Northwind",
    "trading",
    "John",
    "李",
];

pub async fn run(target: &Target, reps: usize, only: Option<&str>) -> anyhow::Result<()> {
    let db = Db::connect(target.url()).await?;
    let mut people = Vec::new();
    for name in [
        generate::ADMIN,
        generate::DIRECTOR,
        generate::MANAGER,
        generate::REP,
    ] {
        let (user, _) = users::with_password_hash(&db, name)
            .await?
            .with_context(|| format!("no user {name}"))?;
        let actor = users::actor(&db, &user).await?;
        people.push((name, actor));
    }
    let custom = custom_fields::for_entity(&db, "account").await?;
    println!(
        "{} — median of {reps} calls, milliseconds",
        target.backend_name()
    );
    println!();
    let header = people
        .iter()
        .map(|(n, _)| format!("{n:>14}"))
        .collect::<Vec<_>>()
        .join("");
    if only.is_none_or(|o| o == "list") {
        println!("{:<44}{header}", "accounts list (50 rows)");
        for (field, value) in FILTERS {
            for sort in SORTS {
                let query = ListQuery {
                    text: None,
                    filters: parse_filters(&ACCOUNT, &custom, [(*field, *value)])
                        .map_err(|e| anyhow::anyhow!("{e:?}"))?,
                    sort: parse_sort(&ACCOUNT, Some(sort)).map_err(|e| anyhow::anyhow!("{e:?}"))?,
                    limit: 50,
                    cursor: None,
                    in_recycle_bin: false,
                    whole_words: false,
                };
                let mut line = format!("{:<44}", format!("{field}={value}&sort={sort}"));
                for (_, actor) in &people {
                    let visibility = actor.visibility("account", Action::Read);
                    let ms = time(reps, || list(&db, &ACCOUNT, &visibility, &query)).await?;
                    line.push_str(&format!("{ms:>14.2}"));
                }
                println!("{line}");
            }
        }
        println!();
    }
    if only.is_none_or(|o| o == "search") {
        println!(
            "{:<44}{header}",
            "global search (customers + contacts, 20 each)"
        );
        for term in TERMS {
            let mut line = format!("{:<44}", format!("q={term}"));
            for (_, actor) in &people {
                let ms = time(reps, || async {
                    for entity in [&ACCOUNT, &CONTACT] {
                        let query = ListQuery {
                            text: Some(term.to_string()),
                            filters: Vec::new(),
                            sort: parse_sort(entity, Some("-id"))
                                .map_err(|e| anyhow::anyhow!("{e:?}"))?,
                            limit: 20,
                            cursor: None,
                            in_recycle_bin: false,
                            whole_words: false,
                        };
                        list(
                            &db,
                            entity,
                            &actor.visibility(entity.name, Action::Read),
                            &query,
                        )
                        .await?;
                    }
                    Ok(())
                })
                .await?;
                line.push_str(&format!("{ms:>14.2}"));
            }
            println!("{line}");
        }
    }
    db.close().await;
    Ok(())
}

async fn list(
    db: &Db,
    entity: &'static EntityDef,
    visibility: &Visibility,
    query: &ListQuery,
) -> anyhow::Result<()> {
    let columns: Vec<_> = entity.fields.iter().collect();
    records::list(db, entity, visibility, query, &columns).await?;
    Ok(())
}

async fn time<F, Fut>(reps: usize, mut call: F) -> anyhow::Result<f64>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let mut samples = Vec::with_capacity(reps);
    for _ in 0..reps.max(1) {
        let started = Instant::now();
        call().await?;
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    samples.sort_by(|a, b| a.total_cmp(b));
    Ok(samples[samples.len() / 2])
}
