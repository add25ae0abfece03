//! Small unconstrained minimisers for the likelihood fits: Nelder–Mead with
//! restarts (robust, needs only function values), a damped Newton method for
//! polishing (fast, needs a Hessian), finite-difference derivatives, and the
//! Cholesky solves both need. Dimensions are tiny (3–4), so plain `Vec`s do.

/// A square matrix stored as rows; only used for 3×3 and 4×4 systems.
pub type Matrix = Vec<Vec<f64>>;

/// Where a minimiser stopped.
#[derive(Debug, Clone, PartialEq)]
pub struct Minimum {
    /// The best point found.
    pub x: Vec<f64>,
    /// The objective at `x`.
    pub value: f64,
    /// How many times the objective (or its derivatives) was evaluated.
    pub evaluations: usize,
    /// Whether the stopping test was met (rather than an iteration limit).
    pub converged: bool,
}

/// Settings of [`nelder_mead`].
#[derive(Debug, Clone, PartialEq)]
pub struct NelderMeadOptions {
    /// Edge length of the first simplex around the start point.
    pub initial_step: f64,
    /// Edge length of the fresh simplex built at each restart.
    pub restart_step: f64,
    /// Stop when the simplex's values differ by less than this, relative to
    /// the best value.
    pub f_tol: f64,
    /// …and its vertices lie within this distance (max-norm) of the best.
    pub x_tol: f64,
    /// Evaluation budget over all restarts.
    pub max_evaluations: usize,
    /// Restarts after the first convergence; a restart that improves the
    /// value by less than `f_tol` ends the search.
    pub max_restarts: usize,
}

impl Default for NelderMeadOptions {
    fn default() -> Self {
        Self {
            initial_step: 0.5,
            restart_step: 0.1,
            f_tol: 1e-12,
            x_tol: 1e-8,
            max_evaluations: 20_000,
            max_restarts: 5,
        }
    }
}

/// Minimises `f` from `x0` by Nelder–Mead, restarting with a fresh simplex at
/// the best point until a restart no longer improves the value.
///
/// Restarts guard against the method's known false convergence on a
/// collapsed simplex. Non-finite values are treated as +∞, so an objective
/// may return NaN or ∞ outside its domain. Uses the dimension-adapted
/// coefficients of Gao & Han (2012), which behave better than the classic
/// ones from three parameters up.
pub fn nelder_mead<F>(mut f: F, x0: &[f64], options: &NelderMeadOptions) -> Minimum
where
    F: FnMut(&[f64]) -> f64,
{
    let mut evaluations = 0;
    let mut best = one_nelder_mead_run(&mut f, x0, options.initial_step, options, &mut evaluations);
    for _ in 0..options.max_restarts {
        if evaluations >= options.max_evaluations {
            break;
        }
        let next = one_nelder_mead_run(
            &mut f,
            &best.x,
            options.restart_step,
            options,
            &mut evaluations,
        );
        let improvement = best.value - next.value;
        let improved = next.value < best.value;
        if improved {
            best = next;
        }
        if !improved || improvement <= options.f_tol * (best.value.abs() + options.f_tol) {
            best.converged = best.converged && best.value.is_finite();
            break;
        }
    }
    best.evaluations = evaluations;
    best
}

fn finite_or_infinity(value: f64) -> f64 {
    if value.is_finite() {
        value
    } else {
        f64::INFINITY
    }
}

fn one_nelder_mead_run<F>(
    f: &mut F,
    x0: &[f64],
    step: f64,
    options: &NelderMeadOptions,
    evaluations: &mut usize,
) -> Minimum
where
    F: FnMut(&[f64]) -> f64,
{
    let n = x0.len();
    let nf = n as f64;
    let (reflect, expand, contract, shrink) = if n >= 3 {
        (1.0, 1.0 + 2.0 / nf, 0.75 - 0.5 / nf, 1.0 - 1.0 / nf)
    } else {
        (1.0, 2.0, 0.5, 0.5)
    };
    let mut eval = |x: &[f64], count: &mut usize| {
        *count += 1;
        finite_or_infinity(f(x))
    };

    let mut points: Vec<Vec<f64>> = Vec::with_capacity(n + 1);
    let mut values: Vec<f64> = Vec::with_capacity(n + 1);
    points.push(x0.to_vec());
    values.push(eval(x0, evaluations));
    for i in 0..n {
        let mut p = x0.to_vec();
        p[i] += step;
        values.push(eval(&p, evaluations));
        points.push(p);
    }

    let mut order: Vec<usize> = (0..=n).collect();
    let mut centroid = vec![0.0; n];
    let mut trial = vec![0.0; n];
    let mut trial2 = vec![0.0; n];
    let mut converged = false;
    while *evaluations < options.max_evaluations {
        order.sort_by(|&i, &j| values[i].total_cmp(&values[j]));
        let (best, second_worst, worst) = (order[0], order[n - 1], order[n]);
        let spread = values[worst] - values[best];
        let size = points
            .iter()
            .flat_map(|p| p.iter().zip(&points[best]).map(|(a, b)| (a - b).abs()))
            .fold(0.0, f64::max);
        if values[best].is_finite()
            && spread <= options.f_tol * (values[best].abs() + options.f_tol)
            && size <= options.x_tol
        {
            converged = true;
            break;
        }

        centroid.iter_mut().for_each(|c| *c = 0.0);
        for &i in &order[..n] {
            for (c, p) in centroid.iter_mut().zip(&points[i]) {
                *c += p / nf;
            }
        }
        let along = |coef: f64, out: &mut Vec<f64>, points: &[Vec<f64>]| {
            for k in 0..n {
                out[k] = centroid[k] + coef * (points[worst][k] - centroid[k]);
            }
        };

        along(-reflect, &mut trial, &points);
        let f_reflect = eval(&trial, evaluations);
        if f_reflect < values[best] {
            along(-reflect * expand, &mut trial2, &points);
            let f_expand = eval(&trial2, evaluations);
            if f_expand < f_reflect {
                points[worst].copy_from_slice(&trial2);
                values[worst] = f_expand;
            } else {
                points[worst].copy_from_slice(&trial);
                values[worst] = f_reflect;
            }
            continue;
        }
        if f_reflect < values[second_worst] {
            points[worst].copy_from_slice(&trial);
            values[worst] = f_reflect;
            continue;
        }
        // Contract towards the better of the worst point and its reflection.
        let outside = f_reflect < values[worst];
        let coef = if outside {
            -reflect * contract
        } else {
            contract
        };
        along(coef, &mut trial2, &points);
        let f_contract = eval(&trial2, evaluations);
        let limit = if outside { f_reflect } else { values[worst] };
        if f_contract < limit {
            points[worst].copy_from_slice(&trial2);
            values[worst] = f_contract;
            continue;
        }
        // Shrink every vertex towards the best one.
        let anchor = points[best].clone();
        for i in 0..=n {
            if i == best {
                continue;
            }
            for k in 0..n {
                points[i][k] = anchor[k] + shrink * (points[i][k] - anchor[k]);
            }
            values[i] = eval(&points[i], evaluations);
        }
    }
    let best = (0..=n)
        .min_by(|&i, &j| values[i].total_cmp(&values[j]))
        .unwrap_or(0);
    Minimum {
        x: points[best].clone(),
        value: values[best],
        evaluations: *evaluations,
        converged,
    }
}

/// Objective value, gradient and Hessian at one point.
#[derive(Debug, Clone, PartialEq)]
pub struct Derivatives {
    /// f(x).
    pub value: f64,
    /// ∇f(x).
    pub gradient: Vec<f64>,
    /// ∇²f(x), symmetric.
    pub hessian: Matrix,
}

/// Settings of [`newton_minimize`].
#[derive(Debug, Clone, PartialEq)]
pub struct NewtonOptions {
    /// Iteration limit.
    pub max_iterations: usize,
    /// Converged when half the Newton decrement gᵀH⁻¹g (the predicted
    /// decrease) is below this, relative to 1 + |f|.
    pub decrement_tol: f64,
    /// …or when the accepted step is below this (max-norm).
    pub step_tol: f64,
}

impl Default for NewtonOptions {
    fn default() -> Self {
        Self {
            max_iterations: 50,
            decrement_tol: 1e-15,
            step_tol: 1e-11,
        }
    }
}

/// Minimises by Newton's method with Levenberg–Marquardt damping (added to
/// the Hessian until it is positive definite) and a backtracking line search
/// on `value`. `derivatives` is only called at accepted points.
///
/// Meant to polish a Nelder–Mead result: near a minimum it converges
/// quadratically, where Nelder–Mead crawls.
pub fn newton_minimize<V, D>(
    mut value: V,
    mut derivatives: D,
    x0: &[f64],
    options: &NewtonOptions,
) -> Minimum
where
    V: FnMut(&[f64]) -> f64,
    D: FnMut(&[f64]) -> Derivatives,
{
    let n = x0.len();
    let mut x = x0.to_vec();
    let mut d = derivatives(&x);
    let mut evaluations = 1;
    let mut converged = false;
    if !d.value.is_finite() {
        return Minimum {
            x,
            value: d.value,
            evaluations,
            converged,
        };
    }
    let mut trial = vec![0.0; n];
    'iterations: for _ in 0..options.max_iterations {
        if d.gradient.iter().all(|g| *g == 0.0) {
            converged = true;
            break;
        }
        let diag_scale = (0..n).map(|i| d.hessian[i][i].abs()).fold(0.0, f64::max);
        let mut lambda = 0.0;
        loop {
            let mut damped = d.hessian.clone();
            for (i, row) in damped.iter_mut().enumerate() {
                row[i] += lambda;
            }
            let minus_gradient: Vec<f64> = d.gradient.iter().map(|g| -g).collect();
            if let Some(step) = cholesky_solve(&damped, &minus_gradient) {
                let decrement: f64 = -step
                    .iter()
                    .zip(&d.gradient)
                    .map(|(s, g)| s * g)
                    .sum::<f64>();
                if lambda == 0.0 && 0.5 * decrement <= options.decrement_tol * (1.0 + d.value.abs())
                {
                    converged = true;
                    break 'iterations;
                }
                // Backtracking line search (Armijo condition).
                let mut t = 1.0;
                for _ in 0..40 {
                    for k in 0..n {
                        trial[k] = x[k] + t * step[k];
                    }
                    let f_trial = value(&trial);
                    evaluations += 1;
                    if f_trial.is_finite() && f_trial <= d.value - 1e-4 * t * decrement {
                        let moved = step.iter().map(|s| (t * s).abs()).fold(0.0, f64::max);
                        x.copy_from_slice(&trial);
                        d = derivatives(&x);
                        evaluations += 1;
                        if moved <= options.step_tol {
                            converged = true;
                            break 'iterations;
                        }
                        continue 'iterations;
                    }
                    t *= 0.5;
                }
                // No decrease even for tiny steps while the predicted gain is
                // at rounding level: we are at the minimum to working accuracy.
                if lambda == 0.0 && 0.5 * decrement <= 1e-9 * (1.0 + d.value.abs()) {
                    converged = true;
                    break 'iterations;
                }
            }
            // Not positive definite, or no decrease along the step: damp
            // harder, which turns the step towards steepest descent.
            lambda = if lambda == 0.0 {
                1e-8 * (1.0 + diag_scale)
            } else {
                lambda * 10.0
            };
            if lambda > 1e10 * (1.0 + diag_scale) {
                break 'iterations;
            }
        }
    }
    Minimum {
        value: d.value,
        x,
        evaluations,
        converged,
    }
}

/// Central-difference step for second derivatives at a coordinate of size
/// `x`: ε^(1/4) balances truncation (∝ h²) against rounding (∝ ε/h²).
fn hessian_step(x: f64) -> f64 {
    1e-4 * x.abs().max(1.0)
}

/// Central-difference step for first derivatives: ε^(1/3) balances
/// truncation (∝ h²) against rounding (∝ ε/h).
fn gradient_step(x: f64) -> f64 {
    6e-6 * x.abs().max(1.0)
}

/// Value, gradient and Hessian of `f` at `x` by central differences
/// (2n² + 2n + 1 evaluations). Used to polish and to get standard errors
/// where no analytic derivatives are written.
pub fn numerical_derivatives<F>(mut f: F, x: &[f64]) -> Derivatives
where
    F: FnMut(&[f64]) -> f64,
{
    let n = x.len();
    let f0 = f(x);
    let steps: Vec<f64> = x.iter().map(|&xi| hessian_step(xi)).collect();
    let mut point = x.to_vec();
    let mut at = |point: &mut Vec<f64>, moves: &[(usize, f64)]| {
        for &(i, delta) in moves {
            point[i] += delta;
        }
        let value = f(point);
        point.copy_from_slice(x);
        value
    };
    let mut gradient = vec![0.0; n];
    let mut hessian = vec![vec![0.0; n]; n];
    for i in 0..n {
        let h = steps[i];
        let g = gradient_step(x[i]);
        gradient[i] = (at(&mut point, &[(i, g)]) - at(&mut point, &[(i, -g)])) / (2.0 * g);
        let plus = at(&mut point, &[(i, h)]);
        let minus = at(&mut point, &[(i, -h)]);
        hessian[i][i] = (plus - 2.0 * f0 + minus) / (h * h);
        for j in 0..i {
            let k = steps[j];
            let pp = at(&mut point, &[(i, h), (j, k)]);
            let pm = at(&mut point, &[(i, h), (j, -k)]);
            let mp = at(&mut point, &[(i, -h), (j, k)]);
            let mm = at(&mut point, &[(i, -h), (j, -k)]);
            let value = (pp - pm - mp + mm) / (4.0 * h * k);
            hessian[i][j] = value;
            hessian[j][i] = value;
        }
    }
    Derivatives {
        value: f0,
        gradient,
        hessian,
    }
}

/// Lower-triangular Cholesky factor of a symmetric positive-definite matrix,
/// or `None` if it is not (numerically) positive definite.
pub fn cholesky(a: &Matrix) -> Option<Matrix> {
    let n = a.len();
    let mut l = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..=i {
            let dot: f64 = l[i][..j].iter().zip(&l[j][..j]).map(|(x, y)| x * y).sum();
            let sum = a[i][j] - dot;
            if i == j {
                // NaN fails both tests below.
                if sum <= 0.0 || !sum.is_finite() {
                    return None;
                }
                l[i][i] = sum.sqrt();
            } else {
                l[i][j] = sum / l[j][j];
            }
        }
    }
    Some(l)
}

/// Solves A x = b for symmetric positive-definite A; `None` if A is not.
pub fn cholesky_solve(a: &Matrix, b: &[f64]) -> Option<Vec<f64>> {
    let l = cholesky(a)?;
    let n = b.len();
    let mut y = vec![0.0; n];
    for i in 0..n {
        let sum: f64 = (0..i).map(|k| l[i][k] * y[k]).sum();
        y[i] = (b[i] - sum) / l[i][i];
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        let sum: f64 = (i + 1..n).map(|k| l[k][i] * x[k]).sum();
        x[i] = (y[i] - sum) / l[i][i];
    }
    Some(x)
}

/// Inverse of a symmetric positive-definite matrix (a covariance from an
/// information matrix), or `None` if it is not positive definite.
pub fn invert_positive_definite(a: &Matrix) -> Option<Matrix> {
    let n = a.len();
    let mut inverse = vec![vec![0.0; n]; n];
    for j in 0..n {
        let mut unit = vec![0.0; n];
        unit[j] = 1.0;
        let column = cholesky_solve(a, &unit)?;
        for i in 0..n {
            inverse[i][j] = column[i];
        }
    }
    Some(inverse)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rosenbrock(x: &[f64]) -> f64 {
        (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2)
    }

    #[test]
    fn nelder_mead_finds_the_rosenbrock_minimum() {
        let result = nelder_mead(rosenbrock, &[-1.2, 1.0], &NelderMeadOptions::default());
        assert!(result.converged);
        assert!((result.x[0] - 1.0).abs() < 1e-6, "{:?}", result.x);
        assert!((result.x[1] - 1.0).abs() < 1e-6, "{:?}", result.x);
    }

    #[test]
    fn nelder_mead_minimises_a_four_dimensional_quadratic() {
        let target = [0.3, -2.0, 5.0, 1.5];
        let f = |x: &[f64]| {
            x.iter()
                .zip(&target)
                .enumerate()
                .map(|(i, (a, b))| (i as f64 + 1.0) * (a - b).powi(2))
                .sum::<f64>()
                + 0.5 * (x[0] - target[0]) * (x[1] - target[1])
        };
        let result = nelder_mead(f, &[0.0; 4], &NelderMeadOptions::default());
        for (a, b) in result.x.iter().zip(&target) {
            assert!((a - b).abs() < 1e-6, "{:?}", result.x);
        }
    }

    #[test]
    fn nelder_mead_treats_non_finite_values_as_infinite() {
        // log barrier: undefined for x ≤ 0, minimum at x = 1.
        let f = |x: &[f64]| x[0] - x[0].ln() + (x[1] - 2.0).powi(2);
        let result = nelder_mead(f, &[0.2, 0.0], &NelderMeadOptions::default());
        assert!((result.x[0] - 1.0).abs() < 1e-6 && (result.x[1] - 2.0).abs() < 1e-6);
    }

    #[test]
    fn newton_polishes_rosenbrock_from_nearby() {
        let derivatives = |x: &[f64]| numerical_derivatives(rosenbrock, x);
        let result = newton_minimize(
            rosenbrock,
            derivatives,
            &[0.8, 0.6],
            &NewtonOptions::default(),
        );
        assert!(result.converged);
        assert!((result.x[0] - 1.0).abs() < 1e-6 && (result.x[1] - 1.0).abs() < 1e-6);
    }

    #[test]
    fn newton_survives_an_indefinite_start() {
        // f = x⁴ − x² + y²: Hessian indefinite at the origin's neighbourhood.
        let f = |x: &[f64]| x[0].powi(4) - x[0].powi(2) + x[1] * x[1];
        let d = |x: &[f64]| Derivatives {
            value: f(x),
            gradient: vec![4.0 * x[0].powi(3) - 2.0 * x[0], 2.0 * x[1]],
            hessian: vec![vec![12.0 * x[0] * x[0] - 2.0, 0.0], vec![0.0, 2.0]],
        };
        let result = newton_minimize(f, d, &[0.1, 1.0], &NewtonOptions::default());
        assert!(result.converged);
        assert!((result.x[0] - 0.5f64.sqrt()).abs() < 1e-8, "{:?}", result.x);
    }

    #[test]
    fn numerical_derivatives_of_a_cubic() {
        let f = |x: &[f64]| x[0].powi(3) + 2.0 * x[0] * x[1] + 3.0 * x[1] * x[1];
        let d = numerical_derivatives(f, &[1.5, -0.5]);
        assert!((d.gradient[0] - (3.0 * 2.25 - 1.0)).abs() < 1e-7);
        assert!((d.gradient[1] - (3.0 - 3.0)).abs() < 1e-7);
        assert!((d.hessian[0][0] - 9.0).abs() < 1e-5);
        assert!((d.hessian[0][1] - 2.0).abs() < 1e-5 && (d.hessian[1][0] - 2.0).abs() < 1e-5);
        assert!((d.hessian[1][1] - 6.0).abs() < 1e-5);
    }

    #[test]
    fn inverse_of_positive_definite_matrix() {
        let a = vec![
            vec![4.0, 2.0, 0.6],
            vec![2.0, 5.0, 1.0],
            vec![0.6, 1.0, 3.0],
        ];
        let inverse = invert_positive_definite(&a).expect("positive definite");
        for (i, row) in a.iter().enumerate() {
            for j in 0..3 {
                let product: f64 = row.iter().zip(&inverse).map(|(x, inv)| x * inv[j]).sum();
                let expected = if i == j { 1.0 } else { 0.0 };
                assert!((product - expected).abs() < 1e-12);
            }
        }
        let indefinite = vec![vec![1.0, 2.0], vec![2.0, 1.0]];
        assert!(invert_positive_definite(&indefinite).is_none());
    }
}
