//! `copy_spread`: how much of a repeating entry's size uncertainty is each
//! copy's own (docs/MODEL.md §3).

use affsim::engine::{self, RunOptions};
use affsim::model::{Metric, Model};
use affsim::scenario;
use affsim::sim::Breakdown;

/// Six copies, all live from month 4 at full size (ramp 1, no decay, no
/// noise): a month's visits are Poisson(S), S the sum of the six sizes.
fn model(spread: Option<f64>) -> Model {
    sized(r#""1000..3000""#, spread)
}

/// The six copies of [`model`] with their visits written as `visits`.
fn sized(visits: &str, spread: Option<f64>) -> Model {
    let spread = spread.map_or(String::new(), |s| format!("copy_spread = {s}\n"));
    let text = format!(
        r#"name = "copies"
[simulation]
start = "2026-01"
months = 6
[funnel]
signup_rate = 0.2
paid_rate = 0.3
[[programs]]
name = "P"
first_order_rate = 0.1
[[programs.plans]]
name = "Only"
price = 10
churn = 0.1
[[content]]
name = "Videos"
publish = "2026-01"
repeat = {{ every_months = 1, count = 6 }}
visits = {visits}
ctr = 0.05
noise = 0
{spread}"#
    );
    scenario::parse("copies.toml", text.into_bytes(), &[])
        .map_err(|e| e.render(false))
        .unwrap()
        .model
}

/// The last month's visits over many paths: mean and variance with the
/// standard error of the variance.
fn visits(model: &Model, paths: usize) -> (f64, f64, f64) {
    let sim = engine::run(
        model,
        &RunOptions {
            paths: Some(paths),
            seed: Some(9),
            breakdown: Breakdown::Skipped,
            ..RunOptions::default()
        },
    )
    .unwrap();
    let values: Vec<f64> = sim.column(Metric::Visits, 5).map(f64::from).collect();
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let m4 = values.iter().map(|v| (v - mean).powi(4)).sum::<f64>() / n;
    (mean, var, ((m4 - var * var) / n).sqrt())
}

#[test]
fn copies_share_the_stated_uncertainty_as_copy_spread_says() {
    let (k, paths) = (6.0, 20_000);
    let (low, high): (f64, f64) = (1000.0, 3000.0);
    let z95 = 1.6448536269514722;
    let mu = (low.ln() + high.ln()) / 2.0;
    let sigma = (high.ln() - low.ln()) / (2.0 * z95);
    let mut variances = Vec::new();
    for spread in [0.0, 0.5, 1.0] {
        let model = model(Some(spread));
        let (mean, var, var_se) = visits(&model, paths);
        let e_x = (mu + sigma * sigma / 2.0).exp();
        let var_x = (2.0 * mu + sigma * sigma).exp() * ((sigma * sigma).exp() - 1.0);
        let cov = (2.0 * mu + sigma * sigma).exp() * (((1.0 - spread) * sigma * sigma).exp() - 1.0);
        // Poisson visits around S: Var = E[S] + Var(S).
        let expected = k * e_x + k * var_x + k * (k - 1.0) * cov;
        assert!(
            (mean - k * e_x).abs() < 4.0 * (var / paths as f64).sqrt(),
            "copy_spread {spread}: mean {mean}, expected {}",
            k * e_x
        );
        assert!(
            (var - expected).abs() < 4.0 * var_se,
            "copy_spread {spread}: variance {var}, closed form {expected} ± {var_se}"
        );
        variances.push(var);
    }
    assert!(variances[0] > variances[1] && variances[1] > variances[2]);
}

/// One copy's size keeps the stated 90% interval whatever the spread.
#[test]
fn one_copys_marginal_is_the_stated_interval() {
    for spread in [0.0, 0.3, 0.7, 1.0] {
        let model = model(Some(spread));
        let Some(per_copy) = model.sources[0].per_copy else {
            assert_eq!(spread, 0.0);
            continue;
        };
        let input = &model.inputs[per_copy.input];
        // Deterministic grid of (shared, own) standard normals: quantiles by
        // the probability integral transform.
        let n = 400;
        let normal = |i: usize| {
            let p = (i as f64 + 0.5) / n as f64;
            affsim::model::Dist::Normal {
                mean: 0.0,
                sd: 1.0,
                min: f64::NEG_INFINITY,
                max: f64::INFINITY,
            }
            .quantile(p)
        };
        let mut sizes = Vec::new();
        for i in 0..n {
            let drawn_size = (per_copy.mu + per_copy.sigma * normal(i)).exp();
            let mut drawn = vec![0.0; per_copy.input + 1];
            drawn[per_copy.input] = drawn_size;
            for j in 0..n {
                sizes.push(drawn_size * per_copy.factor(&drawn, normal((j * 7 + i) % n)));
            }
        }
        let below = sizes.iter().filter(|s| **s < 1000.0).count() as f64 / sizes.len() as f64;
        let above = sizes.iter().filter(|s| **s > 3000.0).count() as f64 / sizes.len() as f64;
        assert!(
            (below - 0.05).abs() < 0.01,
            "{spread}: {below} below 1,000 ({})",
            input.key
        );
        assert!((above - 0.05).abs() < 0.01, "{spread}: {above} above 3,000");
    }
}

#[test]
fn copy_spread_zero_is_the_shared_draw_bit_for_bit() {
    let run = |model: &Model| {
        engine::run(
            model,
            &RunOptions {
                paths: Some(500),
                seed: Some(2),
                ..RunOptions::default()
            },
        )
        .unwrap()
    };
    // Every copy sharing one draw, as before copies could differ.
    let mut shared = model(Some(0.7));
    shared.sources[0].per_copy = None;
    let zero = model(Some(0.0));
    assert!(zero.sources[0].per_copy.is_none());
    let (a, b) = (run(&zero), run(&shared));
    assert_eq!(a.series, b.series);
    assert_eq!(a.mean_by_source, b.mean_by_source);
    // The default splits the uncertainty: other draws.
    assert_ne!(run(&model(None)).series, a.series);
}

#[test]
fn check_says_which_copies_share_one_draw_and_why() {
    // Six copies with a gamma size: copy_spread does not split it.
    let check = |visits: &str| {
        let model = sized(visits, None);
        assert_eq!(model.sources[0].per_copy.is_some(), visits.contains(".."));
        affsim::report::describe::render(&model)
    };
    let shared = check(r#"{ dist = "gamma", shape = 2, scale = 1500 }"#);
    assert!(
        shared.contains("all 6 copies share one draw of their size")
            && shared.contains("gamma distribution"),
        "{shared}"
    );
    let fixed = check("3000");
    assert!(fixed.contains("visits are a fixed number"), "{fixed}");
    let split = check(r#""1000..3000""#);
    assert!(
        split.contains("of the size's log-variance is each copy's own"),
        "{split}"
    );
}
