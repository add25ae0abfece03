//! `/api/v1/analytics/…`: the stored customer values of the latest complete run (RFM grid
//! and segments, ABC classes, CLV, lifecycle stages and the at-risk list), limited to the
//! customers the caller may see, and `POST /runs` to have them recomputed.

use crate::auth::ApiAuth;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use kehu_core::permission::{Action, Visibility};
use kehu_core::FieldErrors;
use kehu_db::customer_values::{
    self, AnalyticsRun, GroupTotal, Grouping, NamedValue, ValueFilter, ValueOrder,
};
use serde::Deserialize;
use serde_json::{json, Value};

/// The analytics routes, nested at `/api/v1/analytics`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/rfm", get(rfm))
        .route("/abc", get(abc))
        .route("/clv", get(clv))
        .route("/lifecycle", get(lifecycle))
        .route("/runs", post(request_run))
        .route("/settings", get(read_settings).put(write_settings))
}

/// Only administrators of settings see or change the analytics settings.
fn require_settings_admin(auth: &crate::auth::Auth) -> Result<(), ApiError> {
    if auth.actor.may_administer("settings") {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

/// `GET /analytics/settings`: RFM classes, segment names, ABC thresholds (shares
/// 0–1), lifecycle rules.
async fn read_settings(
    ApiAuth(auth): ApiAuth,
    State(state): State<AppState>,
) -> Result<Json<Value>, ApiError> {
    require_settings_admin(&auth)?;
    let settings = crate::analytics_settings::current(&state)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(json!({
        "settings": settings,
        "segment_keys": kehu_analytics::SEGMENT_KEYS,
    })))
}

/// `PUT /analytics/settings`: replaces the settings (missing keys take defaults); 422
/// naming each bad field, nothing written. Saving queues a recomputation.
async fn write_settings(
    ApiAuth(auth): ApiAuth,
    State(state): State<AppState>,
    ip: crate::api::records::ClientIp,
    body: Result<Json<Value>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    require_settings_admin(&auth)?;
    let Ok(Json(body)) = body else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "the body must be a JSON object",
        ));
    };
    let settings: kehu_analytics::AnalyticsSettings =
        serde_json::from_value(body).map_err(|error| {
            let mut fields = FieldErrors::default();
            fields.add("settings", "invalid", error.to_string());
            ApiError::invalid(fields)
        })?;
    crate::analytics_settings::check(&settings).map_err(ApiError::invalid)?;
    let origin = kehu_db::events::Origin::user(auth.user.id, ip.0);
    let queued = crate::analytics_settings::save(&state, &settings, &origin).await?;
    Ok(Json(json!({
        "settings": settings,
        "recompute_queued": queued,
    })))
}

/// Filters and size of a customer list.
#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    /// Only this RFM segment.
    pub segment: Option<String>,
    /// Only this recency score.
    pub r: Option<String>,
    /// Only this frequency score.
    pub f: Option<String>,
    /// Only this ABC class.
    pub class: Option<String>,
    /// Only this lifecycle stage.
    pub stage: Option<String>,
    /// How many customers (1–1000, default 100).
    pub limit: Option<String>,
}

impl ListParams {
    /// The repository filter and limit, or field errors naming the bad parameters.
    pub fn parse(&self) -> Result<(ValueFilter, u64), FieldErrors> {
        let mut errors = FieldErrors::default();
        let mut score = |name: &str, raw: &Option<String>| -> Option<i64> {
            let raw = raw.as_deref()?;
            match raw.parse::<i64>() {
                Ok(value) if (1..=100).contains(&value) => Some(value),
                _ => {
                    errors.add(name, "invalid_filter", "must be a score from 1 to 100");
                    None
                }
            }
        };
        let filter = ValueFilter {
            segment: self.segment.clone(),
            abc_class: self.class.clone(),
            lifecycle: self.stage.clone(),
            r_score: score("r", &self.r),
            f_score: score("f", &self.f),
        };
        let limit = match self.limit.as_deref().map(str::parse::<u64>) {
            None => 100,
            Some(Ok(limit)) if (1..=1000).contains(&limit) => limit,
            Some(_) => {
                errors.add("limit", "invalid_limit", "must be a number from 1 to 1000");
                100
            }
        };
        if errors.0.is_empty() {
            Ok((filter, limit))
        } else {
            Err(errors)
        }
    }
}

fn run_json(run: &Option<AnalyticsRun>) -> Value {
    match run {
        Some(run) => json!({
            "id": run.id,
            "computed_at": run.computed_at.map(|t| t.to_rfc3339()),
            "as_of": run.as_of.to_string(),
            "customers": run.customers,
            "purchases": run.purchases,
            "parameters": run.parameters,
        }),
        None => Value::Null,
    }
}

fn group_json(totals: &[GroupTotal], key_name: &str) -> Vec<Value> {
    totals
        .iter()
        .map(|t| {
            let mut row = json!({
                "customers": t.customers,
                "revenue": t.revenue,
                "clv": t.clv,
            });
            match (t.r_score, t.f_score) {
                (Some(r), Some(f)) => {
                    row["r"] = r.into();
                    row["f"] = f.into();
                }
                _ => row[key_name] = t.key.clone().into(),
            }
            row
        })
        .collect()
}

fn customer_json(named: &NamedValue) -> Value {
    let v = &named.value;
    json!({
        "account_id": v.account_id,
        "name": named.name,
        "owner_id": named.owner_id,
        "first_order_date": v.first_order_date.to_string(),
        "last_order_date": v.last_order_date.to_string(),
        "recency_days": v.recency_days,
        "frequency": v.frequency,
        "monetary": v.monetary,
        "r": v.r_score,
        "f": v.f_score,
        "m": v.m_score,
        "segment": v.segment,
        "abc_class": v.abc_class,
        "expected_purchases": v.expected_purchases,
        "p_alive": v.p_alive,
        "expected_avg_spend": v.expected_avg_spend,
        "clv": v.clv,
        "value_at_risk": v.value_at_risk().map(f64::round),
        "lifecycle": v.lifecycle,
    })
}

/// What one analytics response needs: the caller's customer scope and the latest run.
struct Scope {
    visibility: Visibility,
    run: Option<AnalyticsRun>,
}

async fn scope(state: &AppState, auth: &crate::auth::Auth) -> Result<Scope, ApiError> {
    Ok(Scope {
        visibility: auth.actor.visibility("account", Action::Read),
        run: customer_values::latest_run(&state.db).await?,
    })
}

impl Scope {
    async fn groups(
        &self,
        state: &AppState,
        grouping: Grouping,
    ) -> Result<Vec<GroupTotal>, ApiError> {
        match &self.run {
            Some(run) => {
                Ok(
                    customer_values::group_totals(&state.db, &self.visibility, run.id, grouping)
                        .await?,
                )
            }
            None => Ok(Vec::new()),
        }
    }

    async fn customers(
        &self,
        state: &AppState,
        filter: &ValueFilter,
        order: ValueOrder,
        limit: u64,
    ) -> Result<Vec<Value>, ApiError> {
        let Some(run) = &self.run else {
            return Ok(Vec::new());
        };
        let rows =
            customer_values::list_values(&state.db, &self.visibility, run.id, filter, order, limit)
                .await?;
        Ok(rows.iter().map(customer_json).collect())
    }
}

/// `GET /analytics/rfm`: the R × F grid, the segments, and the customers matching
/// `segment`, `r`, `f` (by revenue).
async fn rfm(
    ApiAuth(auth): ApiAuth,
    State(state): State<AppState>,
    Query(params): Query<ListParams>,
) -> Result<Json<Value>, ApiError> {
    let (filter, limit) = params.parse().map_err(ApiError::bad_request)?;
    let scope = scope(&state, &auth).await?;
    Ok(Json(json!({
        "run": run_json(&scope.run),
        "grid": group_json(&scope.groups(&state, Grouping::RfmCell).await?, "cell"),
        "segments": group_json(&scope.groups(&state, Grouping::Segment).await?, "segment"),
        "customers": scope.customers(&state, &filter, ValueOrder::Monetary, limit).await?,
    })))
}

/// `GET /analytics/abc`: customers and revenue per class, and customers by revenue.
async fn abc(
    ApiAuth(auth): ApiAuth,
    State(state): State<AppState>,
    Query(params): Query<ListParams>,
) -> Result<Json<Value>, ApiError> {
    let (filter, limit) = params.parse().map_err(ApiError::bad_request)?;
    let scope = scope(&state, &auth).await?;
    Ok(Json(json!({
        "run": run_json(&scope.run),
        "classes": group_json(&scope.groups(&state, Grouping::AbcClass).await?, "class"),
        "customers": scope.customers(&state, &filter, ValueOrder::Monetary, limit).await?,
    })))
}

/// `GET /analytics/clv`: the fitted models and the customers by CLV.
async fn clv(
    ApiAuth(auth): ApiAuth,
    State(state): State<AppState>,
    Query(params): Query<ListParams>,
) -> Result<Json<Value>, ApiError> {
    let (filter, limit) = params.parse().map_err(ApiError::bad_request)?;
    let scope = scope(&state, &auth).await?;
    let model = scope
        .run
        .as_ref()
        .map(|r| r.model.clone())
        .unwrap_or(Value::Null);
    Ok(Json(json!({
        "run": run_json(&scope.run),
        "model": model,
        "customers": scope.customers(&state, &filter, ValueOrder::Clv, limit).await?,
    })))
}

/// `GET /analytics/lifecycle`: customers per stage and the at-risk list, by CLV × (1 − P(alive)).
async fn lifecycle(
    ApiAuth(auth): ApiAuth,
    State(state): State<AppState>,
    Query(params): Query<ListParams>,
) -> Result<Json<Value>, ApiError> {
    let (filter, limit) = params.parse().map_err(ApiError::bad_request)?;
    let scope = scope(&state, &auth).await?;
    Ok(Json(json!({
        "run": run_json(&scope.run),
        "stages": group_json(&scope.groups(&state, Grouping::Lifecycle).await?, "stage"),
        "at_risk": scope.customers(&state, &filter, ValueOrder::ValueAtRisk, limit).await?,
    })))
}

/// `POST /analytics/runs`: queue a recomputation (202), unless one is already queued
/// (200 with `"queued": false`). Anyone who may read customers may ask; the work is
/// the same whoever asks, and a second request while one waits adds nothing.
async fn request_run(
    ApiAuth(auth): ApiAuth,
    State(state): State<AppState>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    if auth.actor.visibility("account", Action::Read) == Visibility::Nothing {
        return Err(ApiError::forbidden());
    }
    match customer_values::request_recompute(&state.db, Some(auth.user.id)).await? {
        Some(job_id) => Ok((
            StatusCode::ACCEPTED,
            Json(json!({"queued": true, "job_id": job_id})),
        )),
        None => Ok((StatusCode::OK, Json(json!({"queued": false})))),
    }
}
