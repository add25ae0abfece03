//! The maximum-likelihood recipe shared by the CLV models: Nelder–Mead with
//! restarts on log-parameters, a Newton polish, and standard errors from the
//! inverted Hessian of the negative log-likelihood at the optimum.

use serde::Serialize;

use crate::optimize::{
    invert_positive_definite, nelder_mead, newton_minimize, numerical_derivatives, Derivatives,
    Matrix, NelderMeadOptions, NewtonOptions,
};
use crate::AnalyticsError;

/// A model's parameter set, convertible to the vector the optimiser works on.
pub trait ModelParameters: Sized + Copy {
    /// Parameter names in vector order, as printed in reports.
    const NAMES: &'static [&'static str];
    /// The parameters in [`Self::NAMES`] order.
    fn to_vec(&self) -> Vec<f64>;
    /// Inverse of [`Self::to_vec`]; `values` has `NAMES.len()` entries.
    fn from_slice(values: &[f64]) -> Self;
}

/// A fitted model: estimates, fit quality and uncertainty.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelFit<P> {
    /// Maximum-likelihood estimates.
    pub params: P,
    /// Log-likelihood at the estimates (the model's full log-likelihood,
    /// comparable with published values; see each model for its convention).
    pub log_likelihood: f64,
    /// Asymptotic standard errors: square roots of the diagonal of
    /// [`Self::covariance`]. `None` when the Hessian is not positive
    /// definite (the estimate sits on a flat ridge or a boundary).
    pub standard_errors: Option<P>,
    /// Inverse of the Hessian of −log-likelihood at the estimates, in the
    /// parameters' natural units and [`ModelParameters::NAMES`] order.
    pub covariance: Option<Matrix>,
    /// Number of customers the model was fitted on.
    pub customers: usize,
    /// Likelihood evaluations used (a cost measure for benchmarks).
    pub evaluations: usize,
    /// Whether the optimiser met its convergence test.
    pub converged: bool,
}

/// Negative log-likelihood (or its derivatives) in natural parameters.
pub(crate) type NegLogLikelihood<'a> = &'a dyn Fn(&[f64]) -> f64;
/// Value, gradient and Hessian of the negative log-likelihood in natural
/// parameters.
pub(crate) type NegLogLikelihoodDerivatives<'a> = &'a dyn Fn(&[f64]) -> Derivatives;

/// The objective of one fit.
pub(crate) struct FitProblem<'a> {
    pub model: &'static str,
    /// Customers the likelihood covers.
    pub customers: usize,
    /// A cheap approximation of `nll` (e.g. on a sample of rows) for the
    /// Nelder–Mead stage; may simply be `nll`.
    pub first_stage: NegLogLikelihood<'a>,
    /// The exact objective.
    pub nll: NegLogLikelihood<'a>,
    /// Analytic derivatives of `nll`, if the model has them; otherwise
    /// central differences are used.
    pub derivatives: Option<NegLogLikelihoodDerivatives<'a>>,
}

fn natural(phi: &[f64]) -> Vec<f64> {
    phi.iter().map(|p| p.exp()).collect()
}

/// Derivatives in natural parameters θ turned into derivatives in φ = ln θ:
/// g_φ = θ∘g_θ, H_φ = diag(θ) H_θ diag(θ) + diag(θ∘g_θ).
fn to_log_space(theta: &[f64], d: Derivatives) -> Derivatives {
    let n = theta.len();
    let gradient: Vec<f64> = (0..n).map(|i| theta[i] * d.gradient[i]).collect();
    let mut hessian = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..n {
            hessian[i][j] = theta[i] * theta[j] * d.hessian[i][j];
        }
        hessian[i][i] += gradient[i];
    }
    Derivatives {
        value: d.value,
        gradient,
        hessian,
    }
}

/// Fits by maximum likelihood with every parameter constrained positive
/// through φ = ln θ:
///
/// 1. Nelder–Mead with restarts on `first_stage`, from `start`;
/// 2. damped Newton on `nll` (analytic or finite-difference derivatives),
///    falling back to Nelder–Mead on `nll` if Newton cannot converge;
/// 3. covariance = H⁻¹ with H the Hessian of −log L in natural parameters at
///    the optimum (equal to D⁻¹ H_φ D⁻¹, D = diag θ, because the gradient
///    vanishes there).
pub(crate) fn fit_positive_parameters<P: ModelParameters>(
    problem: &FitProblem<'_>,
    start: P,
) -> Result<ModelFit<P>, AnalyticsError> {
    let phi_start: Vec<f64> = start.to_vec().iter().map(|v| v.ln()).collect();
    let first = |phi: &[f64]| (problem.first_stage)(&natural(phi));
    let full = |phi: &[f64]| (problem.nll)(&natural(phi));
    let full_derivatives = |phi: &[f64]| match problem.derivatives {
        Some(analytic) => {
            let theta = natural(phi);
            to_log_space(&theta, analytic(&theta))
        }
        None => numerical_derivatives(full, phi),
    };

    let nm_options = NelderMeadOptions {
        // The Newton polish finishes the job (quadratically), so the simplex
        // stage only needs to get within about 1 % of the optimum.
        f_tol: 1e-6,
        x_tol: 1e-2,
        ..NelderMeadOptions::default()
    };
    let coarse = nelder_mead(first, &phi_start, &nm_options);
    let mut evaluations = coarse.evaluations;
    let newton_options = NewtonOptions::default();
    let mut polished = newton_minimize(full, full_derivatives, &coarse.x, &newton_options);
    evaluations += polished.evaluations;
    if !polished.converged || !polished.value.is_finite() {
        // Newton can stall far from the optimum (the first stage ran on an
        // approximation); the simplex on the exact objective cannot.
        let careful = nelder_mead(full, &polished.x, &NelderMeadOptions::default());
        evaluations += careful.evaluations;
        polished = newton_minimize(full, full_derivatives, &careful.x, &newton_options);
        evaluations += polished.evaluations;
        if !polished.value.is_finite() || careful.value < polished.value {
            polished.x = careful.x;
            polished.value = careful.value;
            polished.converged = careful.converged;
        }
    }
    if !polished.value.is_finite() {
        return Err(AnalyticsError::NotConverged {
            model: problem.model,
        });
    }

    let theta = natural(&polished.x);
    let covariance = match problem.derivatives {
        Some(analytic) => invert_positive_definite(&analytic(&theta).hessian),
        None => {
            let log_hessian = numerical_derivatives(full, &polished.x).hessian;
            evaluations += 2 * theta.len() * (theta.len() + 1) + 1;
            invert_positive_definite(&log_hessian).map(|c| {
                (0..theta.len())
                    .map(|i| {
                        (0..theta.len())
                            .map(|j| theta[i] * theta[j] * c[i][j])
                            .collect()
                    })
                    .collect()
            })
        }
    };
    let standard_errors = covariance.as_ref().and_then(|c| {
        let diagonal: Vec<f64> = (0..theta.len()).map(|i| c[i][i].sqrt()).collect();
        diagonal
            .iter()
            .all(|v| v.is_finite())
            .then(|| P::from_slice(&diagonal))
    });
    Ok(ModelFit {
        params: P::from_slice(&theta),
        log_likelihood: -polished.value,
        standard_errors,
        covariance,
        customers: problem.customers,
        evaluations,
        converged: polished.converged,
    })
}

/// Returns `Some(values)` when all are finite and positive, for the
/// likelihoods' domain check.
pub(crate) fn positive_finite<const N: usize>(values: &[f64]) -> Option<[f64; N]> {
    let array: [f64; N] = values.try_into().ok()?;
    array
        .iter()
        .all(|v| v.is_finite() && *v > 0.0)
        .then_some(array)
}
