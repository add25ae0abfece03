//! The customer value job: reads the purchase history, runs the kehu-analytics models
//! (RFM, ABC, BG/NBD with Gamma-Gamma CLV and P(alive), lifecycle stages) and stores the
//! results per customer.
//!
//! The purchases are read a range of customers per statement (so no read is long, and
//! on SQLite they run on reader connections, which writers do not wait for) and summed
//! per customer as they come; the results are made a chunk of customers at a time and
//! written in short transactions (see [`kehu_db::customer_values`]), so the SQLite write
//! lock is never held for longer than one of them (about 25 ms).
//!
//! The job analyses every customer of the installation. Scores are relative to all
//! customers (a "champion" is one whatever the viewer's scope), and each reader sees the
//! stored rows of the customers they may see.

mod compute;
mod predict;
mod read;

use chrono::NaiveDate;
use kehu_analytics::{AbcThresholds, AnalyticsSettings, LifecycleRules, RfmConfig};
use kehu_db::customer_values;
use kehu_db::Db;
use serde::Serialize;
use std::time::{Duration, Instant};

pub use compute::{compute_values, Analysis, ComputedValues};
pub use read::{CustomerPurchases, PurchaseSums};

pub use kehu_db::customer_values::JOB_KIND;

/// The business day's time zone, UTC+8: the same as the pages'
/// (`kehu_web::pages::format::DISPLAY_OFFSET_SECONDS`; follow it when it becomes a setting).
/// Recency is counted in these days, and the nightly run starts after midnight there
/// rather than at 08:00 when the UTC date changes.
const BUSINESS_OFFSET_SECONDS: i32 = 8 * 3600;

/// Today in the business time zone.
pub fn business_today() -> NaiveDate {
    let offset =
        chrono::FixedOffset::east_opt(BUSINESS_OFFSET_SECONDS).expect("offset is in range");
    chrono::Utc::now().with_timezone(&offset).date_naive()
}

/// Settings of one computation; the defaults are the defaults.
#[derive(Debug, Clone, Serialize)]
pub struct ValueSettings {
    /// RFM classes and segment names.
    pub rfm: RfmConfig,
    /// ABC thresholds (80 % / 95 %).
    pub abc: AbcThresholds,
    /// Lifecycle stages by days since the last purchase or by P(alive).
    pub lifecycle: LifecycleRules,
    /// CLV horizon in months.
    pub horizon_months: u32,
    /// CLV discount rate per month.
    pub monthly_discount_rate: f64,
}

impl Default for ValueSettings {
    fn default() -> Self {
        ValueSettings {
            rfm: RfmConfig::default(),
            abc: AbcThresholds::default(),
            lifecycle: LifecycleRules::default(),
            horizon_months: 12,
            monthly_discount_rate: 0.01,
        }
    }
}

impl ValueSettings {
    /// The computation's settings from the administrators' settings; the CLV horizon
    /// and discount rate are not theirs to set yet and keep their defaults.
    pub fn from_admin(admin: &AnalyticsSettings) -> ValueSettings {
        ValueSettings {
            rfm: RfmConfig {
                classes: admin.rfm_classes,
                ..RfmConfig::default()
            },
            abc: admin.abc,
            lifecycle: admin.lifecycle,
            ..ValueSettings::default()
        }
    }
}

/// The administrators' analytics settings; defaults when none were saved, or when the
/// stored document no longer reads or validates (logged, so the nightly run still
/// happens rather than failing every night).
pub async fn load_settings(db: &Db) -> anyhow::Result<AnalyticsSettings> {
    let Some(stored) = kehu_db::analytics_settings::load(db).await? else {
        return Ok(AnalyticsSettings::default());
    };
    match serde_json::from_value::<AnalyticsSettings>(stored) {
        Ok(settings) if settings.validate().is_empty() => Ok(settings),
        Ok(_) | Err(_) => {
            tracing::warn!("stored analytics settings are not valid; using the defaults");
            Ok(AnalyticsSettings::default())
        }
    }
}

/// How long each phase of a run took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Phases {
    /// Summing the purchases in the database.
    pub read: Duration,
    /// Scores, classes, the model fits and their CLV curves: everything that takes all
    /// customers at once.
    pub compute: Duration,
    /// Each customer's values (predictions, lifecycle stage) and writing them, side by
    /// side, until the run is the one readers see.
    pub store: Duration,
    /// Deleting the runs it replaced.
    pub cleanup: Duration,
}

impl Phases {
    /// From the start until readers saw the new values.
    pub fn until_visible(&self) -> Duration {
        self.read + self.compute + self.store
    }
}

/// A stored run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recomputed {
    /// The run's id.
    pub run_id: i64,
    /// Where the time went.
    pub phases: Phases,
}

/// Customers whose values are made and handed to the writer at a time: a few
/// milliseconds of work, a couple of megabytes.
const VALUES_PER_CHUNK: usize = 10_000;

/// Reads the purchases, computes and stores a new run, then deletes the older ones.
pub async fn recompute(
    db: &Db,
    as_of: NaiveDate,
    settings: &ValueSettings,
    requested_by: Option<i64>,
) -> anyhow::Result<Recomputed> {
    let started = Instant::now();
    let totals = read::purchase_totals(db, as_of).await?;
    let read = started.elapsed();
    let parameters = serde_json::to_value(settings)?;
    let run_id = customer_values::start_run(db, as_of, &parameters, requested_by).await?;
    let owned = settings.clone();
    let analysis =
        tokio::task::spawn_blocking(move || Analysis::new(totals, as_of, &owned)).await?;
    let compute = started.elapsed() - read;
    let analysis = match analysis {
        Ok(analysis) => analysis,
        Err(error) => {
            customer_values::discard_run(db, run_id).await?;
            return Err(error);
        }
    };
    let (customers, purchases) = (analysis.len(), analysis.purchases());
    let model = analysis.model.clone();
    if let Err(error) = store(db, run_id, analysis).await {
        customer_values::discard_run(db, run_id).await?;
        return Err(error);
    }
    customer_values::finish_run(db, run_id, &model, customers as i64, purchases as i64).await?;
    let store = started.elapsed() - read - compute;
    {
        let _checkpoints = db.checkpoint_in_background()?;
        customer_values::discard_older_runs(db, run_id).await?;
    }
    let phases = Phases {
        read,
        compute,
        store,
        cleanup: started.elapsed() - read - compute - store,
    };
    // How long each phase took, so that slow runs on big databases can be told apart.
    tracing::info!(
        run_id,
        customers,
        purchases,
        read_ms = phases.read.as_millis() as u64,
        compute_ms = phases.compute.as_millis() as u64,
        store_ms = phases.store.as_millis() as u64,
        cleanup_ms = phases.cleanup.as_millis() as u64,
        "customer values computed"
    );
    Ok(Recomputed { run_id, phases })
}

/// Writes every customer's values, made a chunk at a time on a blocking thread while the
/// chunk before is written: on SQLite the writing is one thread's work (one writer), so
/// making the values beside it, and copying the log into the database on a third thread,
/// take no time of their own on a machine of two cores.
async fn store(db: &Db, run_id: i64, analysis: Analysis) -> anyhow::Result<()> {
    let (chunks, mut made) = tokio::sync::mpsc::channel(2);
    let maker = tokio::task::spawn_blocking(move || {
        for start in (0..analysis.len()).step_by(VALUES_PER_CHUNK) {
            let end = (start + VALUES_PER_CHUNK).min(analysis.len());
            let chunk = analysis.values(start..end);
            let failed = chunk.is_err();
            // A closed channel means the writer failed; it reports why.
            if chunks.blocking_send(chunk).is_err() || failed {
                return;
            }
        }
    });
    let _checkpoints = db.checkpoint_in_background()?;
    while let Some(chunk) = made.recv().await {
        customer_values::store_values(db, run_id, &chunk?).await?;
    }
    maker.await?;
    Ok(())
}
