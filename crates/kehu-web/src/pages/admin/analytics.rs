//! `/admin/analytics`: the customer analytics settings — RFM classes, segment display
//! names (English and Chinese), ABC thresholds and lifecycle rules. A form with a
//! mistake comes back (422) with the error under each field and nothing saved.

use super::{require, tabs, Tab};
use crate::analytics_settings::{check, current, save};
use crate::api::records::ClientIp;
use crate::i18n::Tr;
use crate::pages::ctx::{Ctx, Layout};
use crate::pages::render::{render, render_status, see_other, OrPage, PageResult};
use crate::pages::{FormErrors, Notice};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use kehu_analytics::lifecycle::{AliveStageRules, RecencyStageRules};
use kehu_analytics::{
    AbcThresholds, AnalyticsSettings, LifecycleRules, SegmentNames, SEGMENT_KEYS,
};
use kehu_core::FieldErrors;
use kehu_db::events::Origin;
use std::collections::HashMap;

/// One segment's row of name inputs.
pub struct SegmentInput {
    /// Segment key.
    pub key: String,
    /// The built-in name in the user's language.
    pub default_name: String,
    /// Typed English name.
    pub en: String,
    /// Typed Chinese name.
    pub zh_cn: String,
}

#[derive(Template)]
#[template(path = "admin/analytics.html")]
struct SettingsPage {
    l: Layout,
    t: Tr,
    tabs: Vec<Tab>,
    csrf: String,
    notice: Option<String>,
    /// Form values by field name, as typed or stored.
    v: HashMap<String, String>,
    basis_p_alive: bool,
    segments: Vec<SegmentInput>,
    errors: FormErrors,
}

impl SettingsPage {
    fn value(&self, field: &str) -> &str {
        self.v.get(field).map(String::as_str).unwrap_or("")
    }
}

/// Percent text for a share: 0.8 → "80".
fn percent(share: f64) -> String {
    let p = (share * 1000.0).round() / 10.0;
    if p.fract() == 0.0 {
        format!("{p:.0}")
    } else {
        format!("{p}")
    }
}

/// The form's values for stored settings; the rules not in use show their defaults.
fn values_of(settings: &AnalyticsSettings) -> HashMap<String, String> {
    let (recency, alive) = match settings.lifecycle {
        LifecycleRules::Recency(r) => (
            r,
            AliveStageRules {
                new_within_days: r.new_within_days,
                ..AliveStageRules::default()
            },
        ),
        LifecycleRules::PAlive(a) => (
            RecencyStageRules {
                new_within_days: a.new_within_days,
                ..RecencyStageRules::default()
            },
            a,
        ),
    };
    let mut v = HashMap::new();
    let mut put = |k: &str, value: String| {
        v.insert(k.to_string(), value);
    };
    put("rfm_classes", settings.rfm_classes.to_string());
    put("abc_a", percent(settings.abc.a));
    put("abc_b", percent(settings.abc.b));
    put("new_within_days", recency.new_within_days.to_string());
    put("active_within_days", recency.active_within_days.to_string());
    put(
        "at_risk_within_days",
        recency.at_risk_within_days.to_string(),
    );
    put(
        "dormant_within_days",
        recency.dormant_within_days.to_string(),
    );
    put("active_min", percent(alive.active_min));
    put("at_risk_min", percent(alive.at_risk_min));
    put("dormant_min", percent(alive.dormant_min));
    for key in SEGMENT_KEYS {
        let names = settings.segment_names.get(key).cloned().unwrap_or_default();
        put(&format!("segment.{key}.en"), names.en);
        put(&format!("segment.{key}.zh_cn"), names.zh_cn);
    }
    v
}

/// Reads the form into settings; a number that does not parse is a field error.
fn settings_from_form(
    v: &HashMap<String, String>,
    p_alive: bool,
) -> Result<AnalyticsSettings, FieldErrors> {
    let mut errors = FieldErrors::default();
    let mut number = |field: &str| -> f64 {
        let raw = v.get(field).map(|s| s.trim()).unwrap_or("");
        match raw.parse::<f64>() {
            Ok(n) if n.is_finite() => n,
            _ => {
                errors.add(field, "not_number", "must be a number");
                0.0
            }
        }
    };
    let classes = number("rfm_classes");
    let abc = AbcThresholds {
        a: number("abc_a") / 100.0,
        b: number("abc_b") / 100.0,
    };
    let new_within_days = number("new_within_days") as i64;
    let lifecycle = if p_alive {
        LifecycleRules::PAlive(AliveStageRules {
            new_within_days,
            active_min: number("active_min") / 100.0,
            at_risk_min: number("at_risk_min") / 100.0,
            dormant_min: number("dormant_min") / 100.0,
        })
    } else {
        LifecycleRules::Recency(RecencyStageRules {
            new_within_days,
            active_within_days: number("active_within_days") as i64,
            at_risk_within_days: number("at_risk_within_days") as i64,
            dormant_within_days: number("dormant_within_days") as i64,
        })
    };
    let mut segment_names = std::collections::BTreeMap::new();
    for key in SEGMENT_KEYS {
        let name = |lang: &str| {
            v.get(&format!("segment.{key}.{lang}"))
                .map(|s| s.trim().to_string())
                .unwrap_or_default()
        };
        let names = SegmentNames {
            en: name("en"),
            zh_cn: name("zh_cn"),
        };
        if names != SegmentNames::default() {
            segment_names.insert(key.to_string(), names);
        }
    }
    let settings = AnalyticsSettings {
        // Out-of-range class counts (fractions, 300) are reported by `check`, not cut.
        rfm_classes: if classes.fract() == 0.0 && (0.0..=255.0).contains(&classes) {
            classes as u8
        } else {
            0
        },
        segment_names,
        abc,
        lifecycle,
    };
    if let Err(more) = check(&settings) {
        for (field, error) in more.0 {
            errors.0.entry(field).or_insert(error);
        }
    }
    errors.into_result().map(|()| settings)
}

/// Field errors in the user's language, one message per field.
fn translate(t: Tr, errors: &FieldErrors) -> FormErrors {
    FormErrors(
        errors
            .0
            .iter()
            .map(|(field, error)| {
                let key = if field.starts_with("segment.") {
                    "admin_analytics.error_segment_name".to_string()
                } else if error.code == "not_number" {
                    "error.not_number".to_string()
                } else {
                    format!("admin_analytics.error_{field}")
                };
                let text = t.lookup(&key).map(str::to_string);
                (field.clone(), text.unwrap_or_else(|| t.error(error)))
            })
            .collect(),
    )
}

fn page(
    ctx: &Ctx,
    v: HashMap<String, String>,
    basis_p_alive: bool,
    errors: FormErrors,
    notice: Option<String>,
) -> SettingsPage {
    let t = ctx.t;
    let segments = SEGMENT_KEYS
        .iter()
        .map(|key| SegmentInput {
            key: key.to_string(),
            default_name: t.t(&format!("analytics.segment.{key}")).to_string(),
            en: v
                .get(&format!("segment.{key}.en"))
                .cloned()
                .unwrap_or_default(),
            zh_cn: v
                .get(&format!("segment.{key}.zh_cn"))
                .cloned()
                .unwrap_or_default(),
        })
        .collect();
    SettingsPage {
        l: ctx.layout(t.t("admin_analytics.title"), "admin"),
        t,
        tabs: tabs(ctx, "analytics"),
        csrf: ctx.csrf(),
        notice,
        v,
        basis_p_alive,
        segments,
        errors,
    }
}

/// `GET /admin/analytics`.
pub async fn form(
    ctx: Ctx,
    State(state): State<AppState>,
    Query(params): Query<Vec<(String, String)>>,
) -> PageResult {
    require(&ctx, "settings")?;
    let settings = current(&state).await.map_err(|e| ctx.internal(e))?;
    let notice = Notice::from_params(ctx.t, &params);
    let p_alive = matches!(settings.lifecycle, LifecycleRules::PAlive(_));
    Ok(render(&page(
        &ctx,
        values_of(&settings),
        p_alive,
        FormErrors::default(),
        notice,
    )))
}

/// `POST /admin/analytics`.
pub async fn update(
    ctx: Ctx,
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    require(&ctx, "settings")?;
    let v: HashMap<String, String> = pairs.into_iter().collect();
    let p_alive = v.get("lifecycle_basis").map(String::as_str) == Some("p_alive");
    let settings = match settings_from_form(&v, p_alive) {
        Ok(settings) => settings,
        Err(errors) => {
            let errors = translate(ctx.t, &errors);
            return Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &page(&ctx, v, p_alive, errors, None),
            ));
        }
    };
    let origin = Origin::user(ctx.auth.user.id, ip);
    save(&state, &settings, &origin).await.or_page(&ctx)?;
    Ok(see_other(
        "/admin/analytics?notice=analytics_settings_saved",
    ))
}
