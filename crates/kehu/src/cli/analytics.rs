//! `kehu analytics …`: customer value analytics on CSV files, without a
//! database — RFM/ABC tables, probabilistic CLV (BG/NBD or Pareto/NBD with
//! Gamma-Gamma spend) and the yearly cash-flow CLV calculator.
//!
//! Every command reads and computes everything before printing, so bad
//! input gives an error (naming file, line and column) and no partial
//! output.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use chrono::NaiveDate;
use clap::{ArgGroup, Args, Subcommand, ValueEnum};
use kehu_analytics::input::{read_purchases, read_rfm_measures, read_summaries, CustomerId};
use kehu_analytics::{
    abc_classes, build_summaries, cash_flow_clv, customer_lifetime_value, fit_bgnbd,
    fit_gamma_gamma, fit_pareto_nbd, rfm_scores, AbcThresholds, CashFlowInputs, ClvSettings,
    CustomerSummary, GammaGammaParams, ModelFit, ModelParameters, Period, RepeatPurchaseModel,
    RfmConfig, SegmentMap,
};
use serde::Serialize;

/// `kehu analytics …`
#[derive(Debug, Args)]
pub struct AnalyticsArgs {
    #[command(subcommand)]
    command: AnalyticsCommand,
}

#[derive(Debug, Subcommand)]
enum AnalyticsCommand {
    /// RFM scores, segment and ABC class per customer, from purchases.
    Rfm(RfmArgs),
    /// Fit BG/NBD or Pareto/NBD (and Gamma-Gamma) and predict per customer:
    /// expected purchases, P(alive), expected spend, CLV.
    Clv(ClvArgs),
    /// The yearly cash-flow CLV calculator (planning numbers, no data needed).
    ClvCashflow(CashFlowArgs),
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Csv,
    Json,
}

#[derive(Debug, Args)]
struct RfmArgs {
    /// Purchases CSV with a header: customer_id,date,amount[,quantity] (any order, extra columns ignored).
    #[arg(long, value_name = "FILE.csv")]
    transactions: PathBuf,
    /// Day the analysis looks back from; later purchases are ignored.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    as_of: NaiveDate,
    /// Output format; amounts are printed with 2 decimals.
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    format: Format,
    /// Number of score classes (scores run 1…N; segments map them onto the 5×5 grid).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u8).range(1..=100))]
    classes: u8,
    /// ABC: cumulative revenue share closing class A.
    #[arg(long, default_value_t = 0.8)]
    abc_a: f64,
    /// ABC: cumulative revenue share closing class B.
    #[arg(long, default_value_t = 0.95)]
    abc_b: f64,
}

/// Repeat-purchase model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ModelArg {
    /// BG/NBD (Fader, Hardie & Lee 2005).
    Bgnbd,
    /// Pareto/NBD (Schmittlein, Morrison & Colombo 1987).
    #[value(alias = "pareto-nbd")]
    Pnbd,
}

/// Spend-per-purchase model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SpendArg {
    /// Gamma-Gamma (Fader & Hardie 2013).
    GammaGamma,
}

/// Time unit of recency, T and the horizon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum PeriodArg {
    Day,
    Week,
    /// 365.25/12 = 30.4375 days.
    Month,
}

impl From<PeriodArg> for Period {
    fn from(p: PeriodArg) -> Self {
        match p {
            PeriodArg::Day => Period::Day,
            PeriodArg::Week => Period::Week,
            PeriodArg::Month => Period::Month,
        }
    }
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("input").required(true).args(["summary", "transactions"])))]
struct ClvArgs {
    /// Customer summaries CSV: customer_id,frequency,recency,T[,monetary_value], times in --period units.
    #[arg(long, value_name = "FILE.csv")]
    summary: Option<PathBuf>,
    /// Purchases CSV (customer_id,date,amount), summarised up to --calibration-end; same-day purchases count once.
    #[arg(long, value_name = "FILE.csv", requires = "calibration_end")]
    transactions: Option<PathBuf>,
    /// Last day of the calibration period (with --transactions).
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date, requires = "transactions")]
    calibration_end: Option<NaiveDate>,
    /// Time unit of recency, T and --horizon.
    #[arg(long, value_enum, default_value_t = PeriodArg::Week)]
    period: PeriodArg,
    /// Repeat-purchase model.
    #[arg(long, value_enum)]
    model: ModelArg,
    /// Spend model; adds expected_avg_spend and clv (needs monetary values).
    #[arg(long, value_enum)]
    spend: Option<SpendArg>,
    /// Periods ahead for expected_purchases [default: one year: 365 days, 52 weeks or 12 months].
    #[arg(long, value_name = "N")]
    horizon: Option<f64>,
    /// Months summed in the CLV.
    #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..=1200))]
    clv_months: u32,
    /// Monthly discount rate of the CLV (0.01 = 1 % a month; an annual rate R is (1+R)^(1/12) − 1).
    #[arg(long, default_value_t = 0.01)]
    discount_rate: f64,
    /// Output format (csv puts the fitted parameters in leading `#` lines).
    #[arg(long, value_enum, default_value_t = Format::Json)]
    format: Format,
}

#[derive(Debug, Args)]
struct CashFlowArgs {
    /// Cost of acquiring the customer (year 0).
    #[arg(long)]
    acquisition_cost: f64,
    /// Value of the first purchase (year 0).
    #[arg(long, default_value_t = 0.0)]
    first_purchase_value: f64,
    /// Revenue from a retained customer in year 1.
    #[arg(long)]
    yearly_revenue: f64,
    /// Yearly increase of that revenue (0.05 = 5 %).
    #[arg(long, default_value_t = 0.0)]
    revenue_growth_rate: f64,
    /// Yearly cost of serving a retained customer.
    #[arg(long, default_value_t = 0.0)]
    yearly_service_cost: f64,
    /// Probability that an active customer stays another year (0…1).
    #[arg(long)]
    retention_rate: f64,
    /// Yearly discount rate (0.1 = 10 %).
    #[arg(long, default_value_t = 0.1)]
    discount_rate: f64,
    /// Years after the acquisition year.
    #[arg(long, default_value_t = 5)]
    years: u32,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    format: Format,
}

/// Runs `kehu analytics …`, printing the result to standard output only
/// once it is complete.
pub fn run(args: AnalyticsArgs) -> anyhow::Result<()> {
    let output = render(args)?;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(output.as_bytes())
        .and_then(|()| stdout.flush())
    {
        // The reader stopped early (`… | head`): not an error for a filter.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        result => Ok(result?),
    }
}

/// The complete output of a command.
pub(crate) fn render(args: AnalyticsArgs) -> anyhow::Result<String> {
    match args.command {
        AnalyticsCommand::Rfm(args) => rfm(&args),
        AnalyticsCommand::Clv(args) => clv(&args),
        AnalyticsCommand::ClvCashflow(args) => clv_cashflow(&args),
    }
}

fn parse_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .filter(|_| text.len() == 10)
        .ok_or_else(|| format!("\"{text}\" is not a date (expected YYYY-MM-DD)"))
}

fn open(path: &Path) -> anyhow::Result<File> {
    File::open(path).with_context(|| format!("cannot open {}", path.display()))
}

/// Rounds for printing; the same rounded value goes to CSV and JSON.
fn round(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
}

/// A number as CSV text with a fixed number of decimals.
fn fixed(value: f64, decimals: usize) -> String {
    format!("{value:.decimals$}")
}

fn csv_text(
    write: impl FnOnce(&mut csv::Writer<Vec<u8>>) -> csv::Result<()>,
) -> anyhow::Result<String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    write(&mut writer)?;
    let bytes = writer
        .into_inner()
        .map_err(|e| anyhow::anyhow!("writing CSV: {e}"))?;
    Ok(String::from_utf8(bytes)?)
}

fn json_text(value: &impl Serialize) -> anyhow::Result<String> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    Ok(text)
}

// ---------------------------------------------------------------- rfm

#[derive(Debug, Serialize)]
struct RfmOutputRow {
    customer_id: String,
    recency: i64,
    frequency: u32,
    monetary: f64,
    r: u8,
    f: u8,
    m: u8,
    segment: String,
    abc: &'static str,
}

fn rfm(args: &RfmArgs) -> anyhow::Result<String> {
    let source = args.transactions.display().to_string();
    // Aggregated while reading: ten million purchases need not be held at once.
    let measures = read_rfm_measures(open(&args.transactions)?, &source, args.as_of)?;
    let config = RfmConfig {
        classes: args.classes,
        segments: SegmentMap::default(),
    };
    let table = rfm_scores(measures, &config)?;
    let thresholds = AbcThresholds {
        a: args.abc_a,
        b: args.abc_b,
    };
    let revenues: Vec<(usize, f64)> = table
        .iter()
        .enumerate()
        .map(|(i, row)| (i, row.measures.monetary))
        .collect();
    let mut abc = vec![""; table.len()];
    // Rows are in customer-id order, so their index breaks revenue ties by id.
    for row in abc_classes(revenues, &thresholds)? {
        abc[row.customer] = row.class.as_str();
    }
    let rows: Vec<RfmOutputRow> = table
        .into_iter()
        .zip(abc)
        .map(|(row, abc)| RfmOutputRow {
            customer_id: row.measures.customer.0,
            recency: row.measures.recency_days,
            frequency: row.measures.frequency,
            monetary: round(row.measures.monetary, 2),
            r: row.r,
            f: row.f,
            m: row.m,
            segment: row.segment,
            abc,
        })
        .collect();
    match args.format {
        Format::Json => json_text(&rows),
        Format::Csv => csv_text(|w| {
            w.write_record([
                "customer_id",
                "recency",
                "frequency",
                "monetary",
                "r",
                "f",
                "m",
                "segment",
                "abc",
            ])?;
            for row in &rows {
                w.write_record([
                    row.customer_id.clone(),
                    row.recency.to_string(),
                    row.frequency.to_string(),
                    fixed(row.monetary, 2),
                    row.r.to_string(),
                    row.f.to_string(),
                    row.m.to_string(),
                    row.segment.clone(),
                    row.abc.to_owned(),
                ])?;
            }
            Ok(())
        }),
    }
}

// ---------------------------------------------------------------- clv

/// One fitted parameter as printed.
#[derive(Debug, Serialize)]
struct ParameterOutput {
    name: &'static str,
    estimate: f64,
    std_error: Option<f64>,
}

/// A fitted model as printed.
#[derive(Debug, Serialize)]
struct FitOutput {
    model: &'static str,
    customers: usize,
    log_likelihood: f64,
    converged: bool,
    parameters: Vec<ParameterOutput>,
}

impl FitOutput {
    fn new<P: ModelParameters>(model: &'static str, fit: &ModelFit<P>) -> Self {
        let errors = fit.standard_errors.map(|s| s.to_vec());
        let parameters = P::NAMES
            .iter()
            .zip(fit.params.to_vec())
            .enumerate()
            .map(|(i, (name, estimate))| ParameterOutput {
                name,
                estimate,
                std_error: errors.as_ref().map(|e| e[i]),
            })
            .collect();
        if !fit.converged {
            eprintln!("warning: the {model} fit did not meet its convergence test; treat the estimates with care");
        }
        Self {
            model,
            customers: fit.customers,
            log_likelihood: fit.log_likelihood,
            converged: fit.converged,
            parameters,
        }
    }
}

#[derive(Debug, Serialize)]
struct ClvCustomerOutput {
    customer_id: String,
    frequency: u32,
    recency: f64,
    #[serde(rename = "T")]
    age: f64,
    monetary_value: f64,
    expected_purchases: f64,
    p_alive: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    expected_avg_spend: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    clv: Option<f64>,
}

#[derive(Debug, Serialize)]
struct ClvOutput {
    period: &'static str,
    horizon: f64,
    fit: FitOutput,
    expected_purchases_new_customer: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    spend_fit: Option<FitOutput>,
    #[serde(skip_serializing_if = "Option::is_none")]
    clv_settings: Option<ClvSettings>,
    customers: Vec<ClvCustomerOutput>,
}

/// The customers to predict for, from a summary file or from purchases.
fn load_summaries(args: &ClvArgs) -> anyhow::Result<(Vec<(CustomerId, CustomerSummary)>, bool)> {
    if let Some(path) = &args.summary {
        let table = read_summaries(open(path)?, &path.display().to_string())?;
        return Ok((table.rows, table.has_monetary_value));
    }
    let (Some(path), Some(end)) = (&args.transactions, args.calibration_end) else {
        bail!("give --summary FILE.csv, or --transactions FILE.csv with --calibration-end DATE");
    };
    let purchases = read_purchases(open(path)?, &path.display().to_string())?;
    let rows = build_summaries(&purchases, end, args.period.into());
    if rows.is_empty() {
        bail!(
            "{} has no purchases on or before the calibration end {end}",
            path.display()
        );
    }
    Ok((rows, true))
}

fn clv(args: &ClvArgs) -> anyhow::Result<String> {
    let period = Period::from(args.period);
    let horizon = args.horizon.unwrap_or(match period {
        Period::Day => 365.0,
        Period::Week => 52.0,
        Period::Month => 12.0,
    });
    if !(horizon.is_finite() && horizon > 0.0) {
        bail!("--horizon must be a positive number of periods, not {horizon}");
    }
    let (rows, has_money) = load_summaries(args)?;
    let summaries: Vec<CustomerSummary> = rows.iter().map(|(_, s)| *s).collect();
    let output = match args.model {
        ModelArg::Bgnbd => {
            let fit = fit_bgnbd(&summaries)?;
            predict(
                args,
                period,
                horizon,
                &rows,
                has_money,
                FitOutput::new("bgnbd", &fit),
                &fit.params,
            )?
        }
        ModelArg::Pnbd => {
            let fit = fit_pareto_nbd(&summaries)?;
            predict(
                args,
                period,
                horizon,
                &rows,
                has_money,
                FitOutput::new("pnbd", &fit),
                &fit.params,
            )?
        }
    };
    match args.format {
        Format::Json => json_text(&output),
        Format::Csv => clv_csv(&output),
    }
}

fn predict(
    args: &ClvArgs,
    period: Period,
    horizon: f64,
    rows: &[(CustomerId, CustomerSummary)],
    has_money: bool,
    fit: FitOutput,
    model: &impl RepeatPurchaseModel,
) -> anyhow::Result<ClvOutput> {
    let spend: Option<(ModelFit<GammaGammaParams>, ClvSettings)> = match args.spend {
        None => None,
        Some(SpendArg::GammaGamma) => {
            if !has_money {
                bail!(
                    "--spend gamma-gamma needs a monetary_value column in {}",
                    args.summary
                        .as_deref()
                        .unwrap_or(Path::new("the summary"))
                        .display()
                );
            }
            let summaries: Vec<CustomerSummary> = rows.iter().map(|(_, s)| *s).collect();
            let settings = ClvSettings {
                months: args.clv_months,
                periods_per_month: period.per_month(),
                monthly_discount_rate: args.discount_rate,
            };
            Some((fit_gamma_gamma(&summaries)?, settings))
        }
    };
    let mut customers = Vec::with_capacity(rows.len());
    for (id, s) in rows {
        let (expected_avg_spend, clv) = match &spend {
            None => (None, None),
            Some((spend_fit, settings)) => {
                let avg = spend_fit.params.expected_average_spend(s)?;
                (
                    Some(round(avg, 2)),
                    Some(round(customer_lifetime_value(model, s, avg, settings)?, 2)),
                )
            }
        };
        customers.push(ClvCustomerOutput {
            customer_id: id.0.clone(),
            frequency: s.frequency,
            recency: round(s.recency, 4),
            age: round(s.age, 4),
            monetary_value: round(s.monetary_value, 2),
            expected_purchases: round(model.expected_purchases(s, horizon), 6),
            p_alive: round(model.p_alive(s), 6),
            expected_avg_spend,
            clv,
        });
    }
    Ok(ClvOutput {
        period: period.name(),
        horizon,
        expected_purchases_new_customer: round(model.expected_purchases_new_customer(horizon), 6),
        fit,
        spend_fit: spend
            .as_ref()
            .map(|(f, _)| FitOutput::new("gamma-gamma", f)),
        clv_settings: spend.map(|(_, settings)| settings),
        customers,
    })
}

/// CSV: the fit summary as leading `#` comment lines, then one row per
/// customer (read it with e.g. pandas `read_csv(…, comment="#")`).
fn clv_csv(output: &ClvOutput) -> anyhow::Result<String> {
    let mut text = String::new();
    for fit in std::iter::once(&output.fit).chain(&output.spend_fit) {
        text.push_str(&format!(
            "# model,{},customers,{},log_likelihood,{},converged,{}\n",
            fit.model, fit.customers, fit.log_likelihood, fit.converged
        ));
        for p in &fit.parameters {
            let se = p.std_error.map_or_else(String::new, |se| se.to_string());
            text.push_str(&format!("# {},{},{}\n", p.name, p.estimate, se));
        }
    }
    text.push_str(&format!(
        "# period,{},horizon,{},expected_purchases_new_customer,{}\n",
        output.period, output.horizon, output.expected_purchases_new_customer
    ));
    if let Some(s) = &output.clv_settings {
        text.push_str(&format!(
            "# clv_months,{},monthly_discount_rate,{}\n",
            s.months, s.monthly_discount_rate
        ));
    }
    let with_spend = output.spend_fit.is_some();
    text.push_str(&csv_text(|w| {
        let mut header = vec![
            "customer_id",
            "frequency",
            "recency",
            "T",
            "monetary_value",
            "expected_purchases",
            "p_alive",
        ];
        if with_spend {
            header.extend(["expected_avg_spend", "clv"]);
        }
        w.write_record(&header)?;
        for c in &output.customers {
            let mut record = vec![
                c.customer_id.clone(),
                c.frequency.to_string(),
                c.recency.to_string(),
                c.age.to_string(),
                fixed(c.monetary_value, 2),
                fixed(c.expected_purchases, 6),
                fixed(c.p_alive, 6),
            ];
            if let (Some(spend), Some(clv)) = (c.expected_avg_spend, c.clv) {
                record.extend([fixed(spend, 2), fixed(clv, 2)]);
            }
            w.write_record(&record)?;
        }
        Ok(())
    })?);
    Ok(text)
}

// ---------------------------------------------------------------- clv-cashflow

fn clv_cashflow(args: &CashFlowArgs) -> anyhow::Result<String> {
    let inputs = CashFlowInputs {
        acquisition_cost: args.acquisition_cost,
        first_purchase_value: args.first_purchase_value,
        yearly_revenue: args.yearly_revenue,
        revenue_growth_rate: args.revenue_growth_rate,
        yearly_service_cost: args.yearly_service_cost,
        retention_rate: args.retention_rate,
        discount_rate: args.discount_rate,
        years: args.years,
    };
    let result = cash_flow_clv(&inputs)?;
    match args.format {
        Format::Json => json_text(&result),
        Format::Csv => csv_text(|w| {
            w.write_record([
                "year",
                "survival",
                "revenue",
                "cost",
                "net",
                "discount_factor",
                "discounted_net",
                "cumulative",
            ])?;
            for y in &result.years {
                w.write_record([
                    y.year.to_string(),
                    fixed(y.survival, 6),
                    fixed(y.revenue, 2),
                    fixed(y.cost, 2),
                    fixed(y.net, 2),
                    fixed(y.discount_factor, 6),
                    fixed(y.discounted_net, 2),
                    fixed(y.cumulative, 2),
                ])?;
            }
            Ok(())
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// The subcommand as the binary parses it.
    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        args: AnalyticsArgs,
    }

    fn output(argv: &[&str]) -> anyhow::Result<String> {
        let cli =
            Cli::try_parse_from(std::iter::once("kehu-analytics").chain(argv.iter().copied()))?;
        render(cli.args)
    }

    fn error(argv: &[&str]) -> String {
        format!("{:#}", output(argv).expect_err("should fail"))
    }

    /// A CSV file in a fresh temporary directory, removed on drop.
    struct TempCsv {
        dir: PathBuf,
        path: PathBuf,
    }

    impl TempCsv {
        fn new(name: &str, content: &str) -> Self {
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let dir =
                std::env::temp_dir().join(format!("kehu-analytics-cli-{}-{n}", std::process::id()));
            std::fs::create_dir_all(&dir).expect("temp dir");
            let path = dir.join(name);
            std::fs::write(&path, content).expect("write temp file");
            Self { dir, path }
        }

        fn arg(&self) -> &str {
            self.path.to_str().expect("utf-8 path")
        }
    }

    impl Drop for TempCsv {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    fn cdnow(name: &str) -> String {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/cdnow")
            .join(name);
        path.to_str().expect("utf-8 path").to_owned()
    }

    const PURCHASES: &str = "customer_id,date,amount,note\n\
        10,2024-01-05,100.00,x\n\
        2,2024-03-01,20.50,y\n\
        2,2024-03-20,30.00,\n\
        3,2024-02-01,5.00,\n\
        10,2024-03-30,200.00,\n\
        4,2024-04-15,1.00,after as-of\n";

    #[test]
    fn rfm_csv_has_one_row_per_customer_in_id_order() {
        let file = TempCsv::new("purchases.csv", PURCHASES);
        let text =
            output(&["rfm", "--transactions", file.arg(), "--as-of", "2024-03-31"]).expect("runs");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "customer_id,recency,frequency,monetary,r,f,m,segment,abc"
        );
        assert_eq!(lines.len(), 4, "{text}");
        // Recency 11, 59, 1 days → R 3, 1, 5; F by (frequency, id) → ranks 2, 1, 3.
        // ABC: 300 of 355.50 is A (the top customer always is), 350.50 is
        // already 98.6 % of revenue, so customer 2 is C.
        assert_eq!(lines[1], "2,11,2,50.50,3,3,3,need_attention,C");
        assert_eq!(lines[2], "3,59,1,5.00,1,1,1,hibernating,C");
        assert_eq!(lines[3], "10,1,2,300.00,5,5,5,champions,A");
    }

    #[test]
    fn rfm_json_carries_the_same_values() {
        let file = TempCsv::new("purchases.csv", PURCHASES);
        let text = output(&[
            "rfm",
            "--transactions",
            file.arg(),
            "--as-of",
            "2024-03-31",
            "--format",
            "json",
        ])
        .expect("runs");
        let rows: serde_json::Value = serde_json::from_str(&text).expect("json");
        assert_eq!(rows[0]["customer_id"], "2");
        assert_eq!(rows[0]["monetary"], 50.5);
        assert_eq!(rows[2]["segment"], "champions");
        assert_eq!(rows[2]["abc"], "A");
    }

    #[test]
    fn bad_date_names_file_line_and_column() {
        let file = TempCsv::new(
            "transactions.csv",
            "customer_id,date,amount\n1,1997-01-01,1\n1,1997-13-01,2\n",
        );
        let message = error(&["rfm", "--transactions", file.arg(), "--as-of", "1997-12-31"]);
        assert_eq!(
            message,
            format!(
                "{} line 3, column \"date\": \"1997-13-01\" is not a date (expected YYYY-MM-DD)",
                file.arg()
            )
        );
    }

    #[test]
    fn bad_amount_and_missing_column_are_reported() {
        let file = TempCsv::new(
            "transactions.csv",
            "customer_id,date,amount\n1,1997-01-01,12.x\n",
        );
        let message = error(&["rfm", "--transactions", file.arg(), "--as-of", "1997-12-31"]);
        assert!(
            message.ends_with(
                "line 2, column \"amount\": \"12.x\" is not a number (expected e.g. 12.50)"
            ),
            "{message}"
        );
        let file = TempCsv::new("no-date.csv", "customer_id,amount\n1,12\n");
        let message = error(&["rfm", "--transactions", file.arg(), "--as-of", "1997-12-31"]);
        assert!(
            message
                .ends_with("line 1: missing column \"date\" (the header has: customer_id, amount)"),
            "{message}"
        );
        let message = error(&[
            "rfm",
            "--transactions",
            "/nonexistent/t.csv",
            "--as-of",
            "1997-12-31",
        ]);
        assert!(
            message.starts_with("cannot open /nonexistent/t.csv"),
            "{message}"
        );
    }

    #[test]
    fn bad_command_line_values_are_rejected_by_clap() {
        let message = error(&["rfm", "--transactions", "t.csv", "--as-of", "1997-02-30"]);
        assert!(
            message.contains("\"1997-02-30\" is not a date"),
            "{message}"
        );
        let message = error(&["clv", "--model", "bgnbd"]);
        assert!(message.contains("--summary"), "{message}");
        let message = error(&["clv", "--model", "bgnbd", "--transactions", "t.csv"]);
        assert!(message.contains("--calibration-end"), "{message}");
        let message = error(&[
            "rfm",
            "--transactions",
            "t.csv",
            "--as-of",
            "1997-01-01",
            "--classes",
            "0",
        ]);
        assert!(message.contains("--classes"), "{message}");
    }

    #[test]
    fn clv_on_the_cdnow_summary_prints_the_published_bgnbd_fit() {
        let summary = cdnow("cdnow_sample_summary.csv");
        let text = output(&[
            "clv",
            "--summary",
            &summary,
            "--model",
            "bgnbd",
            "--spend",
            "gamma-gamma",
            "--horizon",
            "39",
        ])
        .expect("runs");
        let json: serde_json::Value = serde_json::from_str(&text).expect("json");
        let fit = &json["fit"];
        assert_eq!(fit["model"], "bgnbd");
        assert_eq!(fit["customers"], 2357);
        let ll = fit["log_likelihood"].as_f64().expect("number");
        assert!((ll - -9582.4).abs() < 0.1, "{ll}");
        let estimate = |fit: &serde_json::Value, i: usize| {
            fit["parameters"][i]["estimate"].as_f64().expect("number")
        };
        for (i, (name, published)) in [("r", 0.243), ("alpha", 4.414), ("a", 0.793), ("b", 2.426)]
            .iter()
            .enumerate()
        {
            assert_eq!(fit["parameters"][i]["name"], *name);
            assert!(
                (estimate(fit, i) - published).abs() < 0.0006 * published.max(1.0),
                "{name}"
            );
            assert!(fit["parameters"][i]["std_error"].as_f64().expect("se") > 0.0);
        }
        let spend = &json["spend_fit"];
        assert_eq!(spend["customers"], 946);
        assert!((spend["log_likelihood"].as_f64().expect("number") - -4055.9).abs() < 0.1);
        assert!((estimate(spend, 0) - 6.25).abs() < 0.005);
        // Customer 1 (x = 2, tₓ = 30.43, T = 38.86): 1.226 purchases in 39 weeks.
        let first = &json["customers"][0];
        assert_eq!(first["customer_id"], "1");
        assert!((first["expected_purchases"].as_f64().expect("number") - 1.226).abs() < 0.0005);
        assert!(first["clv"].as_f64().expect("number") > 0.0);
        assert_eq!(json["customers"].as_array().expect("array").len(), 2357);
    }

    #[test]
    fn clv_csv_with_pareto_nbd_has_comment_header_and_rows() {
        let summary = cdnow("cdnow_sample_summary.csv");
        let text = output(&[
            "clv",
            "--summary",
            &summary,
            "--model",
            "pnbd",
            "--format",
            "csv",
        ])
        .expect("runs");
        let mut lines = text.lines();
        let head = lines.next().expect("line");
        assert!(
            head.starts_with("# model,pnbd,customers,2357,log_likelihood,-9594.9"),
            "{head}"
        );
        let r: f64 = lines
            .next()
            .expect("line")
            .split(',')
            .nth(1)
            .expect("estimate")
            .parse()
            .expect("number");
        assert!((r - 0.553).abs() < 0.0005, "{r}");
        let header = text.lines().find(|l| !l.starts_with('#')).expect("header");
        assert_eq!(
            header,
            "customer_id,frequency,recency,T,monetary_value,expected_purchases,p_alive"
        );
        assert_eq!(text.lines().filter(|l| !l.starts_with('#')).count(), 2358);
    }

    #[test]
    fn clv_from_transactions_builds_the_summary_first() {
        let transactions = cdnow("cdnow_sample_transactions.csv");
        let text = output(&[
            "clv",
            "--transactions",
            &transactions,
            "--calibration-end",
            "1997-09-30",
            "--period",
            "week",
            "--model",
            "bgnbd",
        ])
        .expect("runs");
        let json: serde_json::Value = serde_json::from_str(&text).expect("json");
        let ll = json["fit"]["log_likelihood"].as_f64().expect("number");
        // The file rounds times to 0.01 week; unrounded times move the
        // log-likelihood only slightly.
        assert!((ll - -9582.4).abs() < 1.0, "{ll}");
        assert_eq!(json["customers"][0]["customer_id"], "0001");
        assert_eq!(json["period"], "week");
        assert_eq!(json["horizon"], 52.0);
    }

    #[test]
    fn clv_input_problems_are_explained() {
        let no_money = TempCsv::new(
            "summary.csv",
            "customer_id,frequency,recency,T\n1,2,3,4\n2,0,0,4\n",
        );
        let message = error(&[
            "clv",
            "--summary",
            no_money.arg(),
            "--model",
            "bgnbd",
            "--spend",
            "gamma-gamma",
        ]);
        assert!(
            message.starts_with("--spend gamma-gamma needs a monetary_value column"),
            "{message}"
        );
        let bad = TempCsv::new(
            "bad-summary.csv",
            "customer_id,frequency,recency,T\n1,2,5,4\n",
        );
        let message = error(&["clv", "--summary", bad.arg(), "--model", "bgnbd"]);
        assert!(message.ends_with(
            "line 2, column \"recency\": 5 is greater than T (4); recency cannot exceed T"
        ));
        let one_timers = TempCsv::new(
            "one-timers.csv",
            "customer_id,frequency,recency,T\n1,0,0,4\n",
        );
        let message = error(&["clv", "--summary", one_timers.arg(), "--model", "pnbd"]);
        assert_eq!(
            message,
            "the Pareto/NBD model needs at least one customer with a repeat purchase"
        );
        let early = TempCsv::new("early.csv", PURCHASES);
        let message = error(&[
            "clv",
            "--transactions",
            early.arg(),
            "--calibration-end",
            "2000-01-01",
            "--model",
            "bgnbd",
        ]);
        assert!(
            message.ends_with("has no purchases on or before the calibration end 2000-01-01"),
            "{message}"
        );
    }

    #[test]
    fn cash_flow_table() {
        let text = output(&[
            "clv-cashflow",
            "--acquisition-cost",
            "100",
            "--first-purchase-value",
            "60",
            "--yearly-revenue",
            "200",
            "--revenue-growth-rate",
            "0.05",
            "--yearly-service-cost",
            "50",
            "--retention-rate",
            "0.8",
            "--discount-rate",
            "0.1",
            "--years",
            "3",
        ])
        .expect("runs");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "year,survival,revenue,cost,net,discount_factor,discounted_net,cumulative"
        );
        assert_eq!(
            lines[1],
            "0,1.000000,60.00,100.00,-40.00,1.000000,-40.00,-40.00"
        );
        assert_eq!(
            lines[2],
            "1,0.800000,200.00,50.00,120.00,0.909091,109.09,69.09"
        );
        assert_eq!(lines.len(), 5);
        let message = error(&[
            "clv-cashflow",
            "--acquisition-cost",
            "1",
            "--yearly-revenue",
            "1",
            "--retention-rate",
            "2",
        ]);
        assert_eq!(message, "invalid retention_rate: 2 must be between 0 and 1");
    }
}
