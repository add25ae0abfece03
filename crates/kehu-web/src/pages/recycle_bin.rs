//! `/recycle-bin`: deleted customers and contacts the user may delete, with restore.

use super::ctx::{Ctx, Layout};
use super::format::{datetime, Names};
use super::render::{render, see_other, OrPage, PageResult};
use super::{lookup, Notice};
use crate::api::records::ClientIp;
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use kehu_core::entity::{entity_by_name, ACCOUNT, CONTACT};
use kehu_core::filter::Sort;
use kehu_core::permission::Action;
use kehu_db::records::{self, ListQuery};
use kehu_db::DbError;

/// Records shown per entity.
const LIMIT: u64 = 200;

/// A deleted record.
pub struct BinRow {
    /// `customer` / `contact`, translated.
    pub kind: String,
    /// Name.
    pub name: String,
    /// For contacts, their customer.
    pub parent: String,
    /// Owner.
    pub owner: String,
    /// When it was deleted.
    pub deleted_at: String,
    /// Where the restore form posts.
    pub restore_action: String,
    /// The erasure page, for a person and someone who may erase.
    pub erase_link: Option<String>,
}

#[derive(Template)]
#[template(path = "recycle_bin.html")]
struct BinPage {
    l: Layout,
    t: Tr,
    csrf: String,
    rows: Vec<BinRow>,
    notice: Option<String>,
}

/// `GET /recycle-bin`.
pub async fn list(
    ctx: Ctx,
    State(state): State<AppState>,
    Query(params): Query<Vec<(String, String)>>,
) -> PageResult {
    let t = ctx.t;
    let mut names: Names = lookup::people(&state.db).await.or_page(&ctx)?;
    let mut rows = Vec::new();
    for entity in [&ACCOUNT, &CONTACT] {
        let query = ListQuery {
            text: None,
            filters: Vec::new(),
            sort: Sort {
                field: entity.field("updated_at").expect("records have updated_at"),
                descending: true,
            },
            limit: LIMIT,
            cursor: None,
            in_recycle_bin: true,
            whole_words: false,
        };
        let columns: Vec<_> = entity.fields.iter().collect();
        let visibility = ctx.actor().visibility(entity.name, Action::Delete);
        let mut page = records::list(&state.db, entity, &visibility, &query, &columns)
            .await
            .or_page(&ctx)?;
        for record in &mut page.records {
            record.mask(&ctx.actor().fields);
        }
        // A deleted customer's contacts are not readable as live records, so name it from the bin.
        if entity.name == "account" {
            names.accounts.extend(
                page.records
                    .iter()
                    .map(|r| (r.id, r.text("name").unwrap_or_default().to_string())),
            );
        } else {
            lookup::add_references(&state.db, ctx.actor(), &mut names, &page.records)
                .await
                .or_page(&ctx)?;
        }
        rows.extend(page.records.iter().map(|r| {
            BinRow {
                kind: t.entity(entity.name),
                name: r.text("name").unwrap_or_default().to_string(),
                parent: r
                    .int("account_id")
                    .map(|id| names.reference(kehu_core::entity::FieldKind::AccountRef, id))
                    .unwrap_or_default(),
                owner: names.user(r.owner_id),
                deleted_at: r.deleted_at.map(datetime).unwrap_or_default(),
                restore_action: format!("/recycle-bin/{}/{}/restore", entity.table, r.id),
                erase_link: (kehu_db::consent::is_person(r)
                    && super::personal_data::may_erase(&ctx, entity))
                .then(|| format!("/{}/{}/erase", entity.table, r.id)),
            }
        }));
    }
    let page = BinPage {
        l: ctx.layout(t.t("recycle.title"), "recycle"),
        t,
        csrf: ctx.csrf(),
        rows,
        notice: Notice::from_params(t, &params),
    };
    Ok(render(&page))
}

/// `POST /recycle-bin/{table}/{id}/restore`.
pub async fn restore(
    ctx: Ctx,
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path((table, id)): Path<(String, i64)>,
) -> PageResult {
    let Some(entity) = entity_by_name(&table).filter(|e| e.table == table) else {
        return Err(ctx.not_found());
    };
    match records::restore(&state.db, entity, ctx.actor(), ip.as_deref(), id).await {
        Ok(_) => Ok(see_other("/recycle-bin?notice=restored")),
        Err(DbError::Invalid(errors)) if errors.get("account_id").is_some() => {
            Ok(see_other("/recycle-bin?notice=restore_account_first"))
        }
        Err(other) => Err(ctx.fail(other)),
    }
}
