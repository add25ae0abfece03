//! `/`: the user's own numbers (my customers, new this month, my contacts), the
//! customers they touched last and what happened to them recently.

use super::ctx::{Ctx, Layout};
use super::format::{datetime, today, Names};
use super::lookup;
use super::records::list::{group_thousands, COUNT_CAP};
use super::render::{render, OrPage, PageError, PageResult};
use super::timeline::{custom_defs, from_events, TimelineItem};
use super::url::with_query;
use crate::i18n::Tr;
use crate::lists::parse_list_request;
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use chrono::Datelike;
use kehu_core::entity::{EntityDef, ACCOUNT, CONTACT};
use kehu_core::field_security::FieldRules;
use kehu_core::permission::{Action, Visibility};
use kehu_db::{events, records};

/// One number on the home page.
pub struct Stat {
    /// What it counts.
    pub label: String,
    /// The number ("10,000+" when capped).
    pub value: String,
    /// The list it counts.
    pub link: String,
}

/// A customer the user worked on recently.
pub struct RecentAccount {
    /// Link.
    pub link: String,
    /// Name.
    pub name: String,
    /// Last change.
    pub updated: String,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    l: Layout,
    t: Tr,
    greeting: String,
    stats: Vec<Stat>,
    recent: Vec<RecentAccount>,
    timeline: Vec<TimelineItem>,
    more_link: Option<String>,
    new_account_link: Option<String>,
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

async fn stat(
    state: &AppState,
    ctx: &Ctx,
    entity: &'static EntityDef,
    label: &str,
    params: Vec<(String, String)>,
) -> Result<Stat, PageError> {
    // The home page's own queries filter and sort on owner and dates, not on what a user
    // typed, so they reveal nothing hidden.
    let query = parse_list_request(entity, &FieldRules::default(), &[], &params, 1)
        .map_err(|_| ctx.internal("home filter did not parse"))?;
    let visibility = ctx.actor().visibility(entity.name, Action::Read);
    let (count, capped) = records::count(&state.db, entity, &visibility, &query, COUNT_CAP)
        .await
        .or_page(ctx)?;
    let value = if capped {
        format!("{}+", group_thousands(count))
    } else {
        group_thousands(count)
    };
    Ok(Stat {
        label: ctx.t.t(label).to_string(),
        value,
        link: with_query(&format!("/{}", entity.table), &params),
    })
}

/// `GET /`.
pub async fn home(ctx: Ctx, State(state): State<AppState>) -> PageResult {
    let t = ctx.t;
    let me = ctx.auth.user.id.to_string();
    let month_start = today()
        .with_day(1)
        .unwrap_or_else(today)
        .format("%Y-%m-%d")
        .to_string();
    let stats = vec![
        stat(
            &state,
            &ctx,
            &ACCOUNT,
            "home.my_accounts",
            pairs(&[("owner_id__in", &me)]),
        )
        .await?,
        stat(
            &state,
            &ctx,
            &ACCOUNT,
            "home.new_this_month",
            pairs(&[("owner_id__in", &me), ("created_at__gte", &month_start)]),
        )
        .await?,
        stat(
            &state,
            &ctx,
            &CONTACT,
            "home.my_contacts",
            pairs(&[("owner_id__in", &me)]),
        )
        .await?,
    ];

    let recent_query = parse_list_request(
        &ACCOUNT,
        &FieldRules::default(),
        &[],
        &pairs(&[("owner_id", &me), ("sort", "-updated_at")]),
        8,
    )
    .map_err(|_| ctx.internal("home query did not parse"))?;
    let columns = [
        ACCOUNT.field("name").expect("customers have names"),
        ACCOUNT
            .field("updated_at")
            .expect("records have updated_at"),
    ];
    let visibility = ctx.actor().visibility("account", Action::Read);
    let mut recent_accounts =
        records::list(&state.db, &ACCOUNT, &visibility, &recent_query, &columns)
            .await
            .or_page(&ctx)?
            .records;
    for account in &mut recent_accounts {
        account.mask(&ctx.actor().fields);
    }
    let recent = recent_accounts
        .iter()
        .map(|r| RecentAccount {
            link: format!("/accounts/{}", r.id),
            name: r.text("name").unwrap_or_default().to_string(),
            updated: match r.get("updated_at") {
                kehu_core::FieldValue::Timestamp(at) => datetime(*at),
                _ => String::new(),
            },
        })
        .collect();

    // What happened lately to the customers the user worked on: a few events of each, merged.
    let contact_visibility = ctx.actor().visibility("contact", Action::Read);
    let mut recent_events = Vec::new();
    for account in recent_accounts.iter().take(5) {
        recent_events.extend(
            events::account_timeline(&state.db, account.id, &contact_visibility, None, 5)
                .await
                .or_page(&ctx)?,
        );
    }
    let mut recent_events = events::mask(recent_events, &ctx.actor().fields);
    recent_events.sort_by_key(|event| std::cmp::Reverse(event.id));
    recent_events.truncate(10);
    let names: Names = lookup::people(&state.db).await.or_page(&ctx)?;
    let custom = custom_defs(&state.db).await.or_page(&ctx)?;
    let timeline = from_events(t, &recent_events, &custom, &names);

    let page = HomePage {
        l: ctx.layout(t.t("nav.home"), "home"),
        t,
        greeting: t.fmt("home.greeting", &[("name", &ctx.auth.user.display_name)]),
        stats,
        recent,
        timeline,
        more_link: None,
        new_account_link: (ctx.actor().visibility("account", Action::Create)
            != Visibility::Nothing)
            .then(|| "/accounts/new".to_string()),
    };
    Ok(render(&page))
}
