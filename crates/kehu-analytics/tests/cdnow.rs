//! The published CDNOW results (Fader, Hardie & Lee 2005; Fader & Hardie's
//! Gamma-Gamma note) reproduced from the shared data set, which every clone
//! keeps in `testdata/cdnow`.

use std::fs::File;
use std::path::PathBuf;

use kehu_analytics::input::{read_purchases, read_summaries, CustomerId};
use kehu_analytics::{
    build_summaries, fit_bgnbd, fit_gamma_gamma, fit_pareto_nbd, BgNbdParams, CustomerSummary,
    Period, RepeatPurchaseModel,
};

fn data_file(name: &str) -> File {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/cdnow")
        .join(name);
    File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn sample_summary() -> Vec<(CustomerId, CustomerSummary)> {
    read_summaries(
        data_file("cdnow_sample_summary.csv"),
        "cdnow_sample_summary.csv",
    )
    .expect("the shared summary parses")
    .rows
}

fn customers() -> Vec<CustomerSummary> {
    sample_summary().into_iter().map(|(_, s)| s).collect()
}

/// Published values have 3–4 significant digits; "to 3 significant digits"
/// means within half a unit of the third one.
fn assert_three_significant_digits(name: &str, estimate: f64, published: f64) {
    let unit = 10f64.powf(published.abs().log10().floor() - 2.0);
    assert!(
        (estimate - published).abs() <= 0.5 * unit,
        "{name}: estimate {estimate} vs published {published}"
    );
}

fn assert_log_likelihood(estimate: f64, published: f64) {
    assert!(
        (estimate - published).abs() <= 0.1,
        "log-likelihood {estimate} vs published {published}"
    );
}

#[test]
fn bgnbd_fit_reproduces_fader_hardie_lee() {
    let fit = fit_bgnbd(&customers()).expect("fit");
    assert!(fit.converged);
    assert_eq!(fit.customers, 2357);
    let p = fit.params;
    assert_three_significant_digits("r", p.r, 0.243);
    assert_three_significant_digits("alpha", p.alpha, 4.414);
    assert_three_significant_digits("a", p.a, 0.793);
    assert_three_significant_digits("b", p.b, 2.426);
    assert_log_likelihood(fit.log_likelihood, -9582.4);
    let se = fit.standard_errors.expect("positive definite Hessian");
    for (name, value) in [("r", se.r), ("alpha", se.alpha), ("a", se.a), ("b", se.b)] {
        assert!(value.is_finite() && value > 0.0, "se({name}) = {value}");
    }
}

#[test]
fn bgnbd_predictions_match_the_published_examples() {
    let customer_1 = CustomerSummary {
        frequency: 2,
        recency: 30.43,
        age: 38.86,
        monetary_value: 0.0,
    };
    let fitted = fit_bgnbd(&customers()).expect("fit").params;
    let expected = fitted.expected_purchases(&customer_1, 39.0);
    assert!((expected - 1.226).abs() < 0.0005, "customer 1: {expected}");
    let new_customer = fitted.expected_purchases_new_customer(78.0);
    assert!(
        (new_customer - 1.858).abs() < 0.0005,
        "new customer: {new_customer}"
    );

    // The published, rounded parameters give the same log-likelihood and
    // customer-1 forecast; E[X(78)] is more sensitive to the rounding
    // (1.8605 instead of 1.8580, checked against mpmath).
    let published = BgNbdParams {
        r: 0.243,
        alpha: 4.414,
        a: 0.793,
        b: 2.426,
    };
    let expected = published.expected_purchases(&customer_1, 39.0);
    assert!((expected - 1.226).abs() < 0.0005, "customer 1: {expected}");
    let new_customer = published.expected_purchases_new_customer(78.0);
    assert!(
        (new_customer - 1.860_519_057_942_77).abs() < 1e-10,
        "new customer: {new_customer}"
    );
    let ll = published.log_likelihood(&customers()).expect("valid");
    assert_log_likelihood(ll, -9582.4);
}

#[test]
fn pareto_nbd_fit_reproduces_the_published_estimates() {
    let fit = fit_pareto_nbd(&customers()).expect("fit");
    assert!(fit.converged);
    let p = fit.params;
    assert_three_significant_digits("r", p.r, 0.553);
    assert_three_significant_digits("alpha", p.alpha, 10.578);
    assert_three_significant_digits("s", p.s, 0.606);
    assert_three_significant_digits("beta", p.beta, 11.669);
    assert_log_likelihood(fit.log_likelihood, -9595.0);
    assert!(fit.standard_errors.is_some());
}

#[test]
fn gamma_gamma_fit_reproduces_the_published_estimates() {
    let fit = fit_gamma_gamma(&customers()).expect("fit");
    assert!(fit.converged);
    assert_eq!(fit.customers, 946);
    let p = fit.params;
    assert_three_significant_digits("p", p.p, 6.25);
    assert_three_significant_digits("q", p.q, 3.74);
    assert_three_significant_digits("v", p.v, 15.44);
    assert_log_likelihood(fit.log_likelihood, -4055.9);
    assert!(fit.standard_errors.is_some());
}

#[test]
fn summary_built_from_transactions_matches_the_published_summary() {
    let purchases = read_purchases(
        data_file("cdnow_sample_transactions.csv"),
        "cdnow_sample_transactions.csv",
    )
    .expect("the shared transactions parse");
    let end = "1997-09-30".parse().expect("date");
    let built = build_summaries(&purchases, end, Period::Week);
    let published = sample_summary();
    assert_eq!(built.len(), published.len());
    // Transaction ids are zero-padded ("0001"), summary ids are not ("1");
    // the natural order of CustomerId puts both in the same sequence.
    for ((built_id, b), (published_id, p)) in built.iter().zip(&published) {
        let number = |id: &CustomerId| id.as_str().parse::<u32>().expect("numeric id");
        assert_eq!(number(built_id), number(published_id));
        assert_eq!(b.frequency, p.frequency, "customer {published_id}");
        // The published file rounds to 2 decimals.
        assert!(
            (b.recency - p.recency).abs() <= 0.005 + 1e-9,
            "customer {published_id}"
        );
        assert!(
            (b.age - p.age).abs() <= 0.005 + 1e-9,
            "customer {published_id}"
        );
        assert!(
            (b.monetary_value - p.monetary_value).abs() <= 0.005 + 1e-9,
            "customer {published_id}"
        );
    }
    let first = built[0].1;
    assert!((first.age - 272.0 / 7.0).abs() < 1e-12); // 38.857 weeks
}
