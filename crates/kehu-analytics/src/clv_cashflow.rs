//! The classic cash-flow CLV calculator: what a customer is worth given an
//! acquisition cost, yearly revenue and cost, a retention rate and a
//! discount rate — for planning, when there is no purchase history to fit a
//! model on.

use serde::{Deserialize, Serialize};

use crate::AnalyticsError;

/// Inputs of [`cash_flow_clv`]. Money in any one currency; rates as
/// fractions (0.1 = 10 %).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CashFlowInputs {
    /// AC: cost of acquiring the customer, paid in year 0.
    pub acquisition_cost: f64,
    /// F: value of the first purchase, received in year 0.
    pub first_purchase_value: f64,
    /// R₁: revenue from a retained customer in year 1.
    pub yearly_revenue: f64,
    /// g: yearly increase of that revenue (R_t = R₁ (1+g)^(t−1)).
    pub revenue_growth_rate: f64,
    /// C: yearly cost of serving a retained customer.
    pub yearly_service_cost: f64,
    /// ρ: probability that a customer active in one year is still active
    /// the next (0…1).
    pub retention_rate: f64,
    /// d: yearly discount rate (cost of capital).
    pub discount_rate: f64,
    /// N: number of years after the acquisition year.
    pub years: u32,
}

/// One row of the yearly table.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CashFlowYear {
    /// t: 0 = acquisition year.
    pub year: u32,
    /// S_t = ρ^t: probability the customer is still active in year t.
    pub survival: f64,
    /// Revenue of a customer active in year t (F in year 0, R_t after).
    pub revenue: f64,
    /// Cost for a customer active in year t (AC in year 0, C after).
    pub cost: f64,
    /// Expected net cash flow S_t · (revenue − cost).
    pub net: f64,
    /// 1 / (1+d)^t.
    pub discount_factor: f64,
    /// net · discount factor.
    pub discounted_net: f64,
    /// Sum of discounted net up to and including year t.
    pub cumulative: f64,
}

/// The CLV and the table it is the sum of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CashFlowClv {
    /// Discounted customer lifetime value (the last row's `cumulative`).
    pub clv: f64,
    /// Years 0…N.
    pub years: Vec<CashFlowYear>,
}

/// Discounted CLV of one customer over N years:
///
/// CLV = (F − AC) + Σ_{t=1..N} ρ^t · (R₁(1+g)^(t−1) − C) / (1+d)^t
///
/// Year 0 is the acquisition: the first purchase F is received and the
/// acquisition cost AC paid, certainly and undiscounted. Each later year
/// the customer is still active with probability ρ^t (retained t times),
/// brings the revenue R_t = R₁(1+g)^(t−1) and costs C; the expected net
/// ρ^t(R_t − C) is discounted to year 0 at rate d as if received at the
/// year's end.
///
/// Errors when a value is not finite, money is negative, ρ is outside
/// 0…1, g or d is ≤ −1, or N > 200.
pub fn cash_flow_clv(inputs: &CashFlowInputs) -> Result<CashFlowClv, AnalyticsError> {
    validate(inputs)?;
    let mut years = Vec::with_capacity(inputs.years as usize + 1);
    let first_net = inputs.first_purchase_value - inputs.acquisition_cost;
    years.push(CashFlowYear {
        year: 0,
        survival: 1.0,
        revenue: inputs.first_purchase_value,
        cost: inputs.acquisition_cost,
        net: first_net,
        discount_factor: 1.0,
        discounted_net: first_net,
        cumulative: first_net,
    });
    let mut cumulative = first_net;
    for year in 1..=inputs.years {
        let t = i32::try_from(year).unwrap_or(i32::MAX);
        let survival = inputs.retention_rate.powi(t);
        let revenue = inputs.yearly_revenue * (1.0 + inputs.revenue_growth_rate).powi(t - 1);
        let net = survival * (revenue - inputs.yearly_service_cost);
        let discount_factor = (1.0 + inputs.discount_rate).powi(-t);
        let discounted_net = net * discount_factor;
        cumulative += discounted_net;
        years.push(CashFlowYear {
            year,
            survival,
            revenue,
            cost: inputs.yearly_service_cost,
            net,
            discount_factor,
            discounted_net,
            cumulative,
        });
    }
    Ok(CashFlowClv {
        clv: cumulative,
        years,
    })
}

fn validate(inputs: &CashFlowInputs) -> Result<(), AnalyticsError> {
    let money = [
        ("acquisition_cost", inputs.acquisition_cost),
        ("first_purchase_value", inputs.first_purchase_value),
        ("yearly_revenue", inputs.yearly_revenue),
        ("yearly_service_cost", inputs.yearly_service_cost),
    ];
    for (name, value) in money {
        if !(value.is_finite() && value >= 0.0) {
            return Err(AnalyticsError::invalid(
                name,
                format!("{value} must be a number ≥ 0"),
            ));
        }
    }
    let r = inputs.retention_rate;
    if !(0.0..=1.0).contains(&r) {
        return Err(AnalyticsError::invalid(
            "retention_rate",
            format!("{r} must be between 0 and 1"),
        ));
    }
    for (name, value) in [
        ("revenue_growth_rate", inputs.revenue_growth_rate),
        ("discount_rate", inputs.discount_rate),
    ] {
        if !(value.is_finite() && value > -1.0) {
            return Err(AnalyticsError::invalid(
                name,
                format!("{value} must be a number > -1"),
            ));
        }
    }
    if inputs.years > 200 {
        return Err(AnalyticsError::invalid(
            "years",
            format!("{} is more than 200", inputs.years),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs() -> CashFlowInputs {
        CashFlowInputs {
            acquisition_cost: 100.0,
            first_purchase_value: 60.0,
            yearly_revenue: 200.0,
            revenue_growth_rate: 0.05,
            yearly_service_cost: 50.0,
            retention_rate: 0.8,
            discount_rate: 0.1,
            years: 3,
        }
    }

    #[test]
    fn table_follows_the_formula() {
        let result = cash_flow_clv(&inputs()).expect("valid");
        assert_eq!(result.years.len(), 4);
        let y0 = result.years[0];
        assert_eq!((y0.net, y0.cumulative), (-40.0, -40.0));
        // Year 2: 0.64 · (210 − 50) / 1.21
        let y2 = result.years[2];
        assert!((y2.revenue - 210.0).abs() < 1e-12);
        assert!((y2.net - 0.64 * 160.0).abs() < 1e-12);
        assert!((y2.discounted_net - 0.64 * 160.0 / 1.21).abs() < 1e-12);
        let expected =
            -40.0 + 0.8 * 150.0 / 1.1 + 0.64 * 160.0 / 1.21 + 0.512 * (220.5 - 50.0) / 1.331;
        assert!((result.clv - expected).abs() < 1e-9);
        assert_eq!(result.clv, result.years[3].cumulative);
    }

    #[test]
    fn long_horizon_converges_to_the_perpetuity() {
        // No growth: Σ ρ^t m/(1+d)^t → m ρ / (1 + d − ρ).
        let long = CashFlowInputs {
            revenue_growth_rate: 0.0,
            years: 200,
            ..inputs()
        };
        let clv = cash_flow_clv(&long).expect("valid").clv;
        let perpetuity = -40.0 + 150.0 * 0.8 / (1.1 - 0.8);
        assert!((clv - perpetuity).abs() < 1e-6);
    }

    #[test]
    fn zero_years_and_invalid_inputs() {
        let zero = CashFlowInputs {
            years: 0,
            ..inputs()
        };
        assert_eq!(cash_flow_clv(&zero).expect("valid").clv, -40.0);
        let bad_retention = CashFlowInputs {
            retention_rate: 1.2,
            ..inputs()
        };
        let err = cash_flow_clv(&bad_retention).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid retention_rate: 1.2 must be between 0 and 1"
        );
        let bad_cost = CashFlowInputs {
            yearly_service_cost: f64::NAN,
            ..inputs()
        };
        assert!(cash_flow_clv(&bad_cost).is_err());
        let bad_rate = CashFlowInputs {
            discount_rate: -1.0,
            ..inputs()
        };
        assert!(cash_flow_clv(&bad_rate).is_err());
    }
}
