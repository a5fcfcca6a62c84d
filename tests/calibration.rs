//! Calibration to observed history: simulation-based calibration of the ABC
//! posterior, the no-observation identity, implausible histories, thread
//! independence, and the `--observed` command line.
//!
//! Sizes are small because CI runs these in a debug build on two cores.

mod common;
use common::{q4, run};

use affsim::calibrate::{self, Calibration};
use affsim::model::{Metric, Model, Observed};
use affsim::report::Summary;
use affsim::stats;

fn earned(values: &[f64], model: &Model) -> Observed {
    Observed {
        start: model.start,
        series: vec![(Metric::Earned, values.to_vec())],
    }
}

/// Three months of earnings, as in the story.
#[test]
fn simulation_based_calibration_covers_the_truth() {
    sbc(&[Metric::Earned]);
}

/// A richer dashboard: clicks and new paying referrals too, which separate
/// traffic from conversion and so test the distance across metrics.
#[test]
fn simulation_based_calibration_with_clicks_and_referrals() {
    sbc(&[Metric::Earned, Metric::Clicks, Metric::NewReferrals]);
}

/// Draws true inputs from the prior, simulates a three-month history from
/// each, conditions on it, and counts how often the posterior 50% and 90%
/// intervals contain the truth. A calibrated posterior covers at the nominal
/// rates; the ABC kernel's tolerance may make it a little conservative.
fn sbc(metrics: &[Metric]) {
    const PRIOR: usize = 4000;
    const REPLICATIONS: usize = 100;
    const OBSERVED_MONTHS: usize = 3;
    let mut model = q4();
    model.observed = None;
    model.months = 4;
    let mut prior = run(&model, PRIOR, 7);

    let (truths, histories) = common::truths_and_histories(&model, REPLICATIONS, 7);

    let inputs = model.inputs.len();
    let index = |key: &str| model.inputs.iter().position(|i| i.key == key).unwrap();
    // The blog's paying referrals per visit at peak, the combination three
    // months of earnings pin down best; single inputs are barely identified.
    let blog = [
        index("funnel.signup_rate"),
        index("funnel.paid_rate"),
        index("content[0].visits"),
        index("content[0].ctr"),
    ];
    let blog_rate = |p: &[f64]| blog.iter().map(|i| p[*i]).product::<f64>();
    // Extra checks: the blog combination, and the posterior predictive of the
    // first unobserved month's MRR (which tests the conditioning on the path
    // state as well as on the inputs).
    let (mut in_50, mut in_90) = (vec![0usize; inputs + 2], vec![0usize; inputs + 2]);
    let mut widths = [0.0; 2];
    let mut ess = Vec::new();
    for r in 0..REPLICATIONS {
        let observed = Observed {
            start: model.start,
            series: metrics
                .iter()
                .map(|metric| {
                    let values = histories.path_series(r, *metric)[..OBSERVED_MONTHS]
                        .iter()
                        .map(|v| *v as f64)
                        .collect();
                    (*metric, values)
                })
                .collect(),
        };
        let points = calibrate::points(&model, &observed);
        let fit = calibrate::fit(&calibrate::distances(&prior, &points));
        ess.push(fit.effective_sample_size);
        prior.weights = Some(fit.weights);
        let wanted = [5.0, 25.0, 75.0, 95.0];
        let mut check = |i: usize, q: &[f64], truth: f64| {
            in_50[i] += usize::from(q[1] <= truth && truth <= q[2]);
            in_90[i] += usize::from(q[0] <= truth && truth <= q[3]);
        };
        for i in 0..inputs {
            let q = calibrate::posterior_quantiles(&prior, i, &wanted);
            check(i, &q, truths.parameters_of(r)[i]);
        }
        let mut pairs: Vec<(f32, f64)> = stats::weighted_paths(&prior)
            .into_iter()
            .map(|(p, w)| (blog_rate(prior.parameters_of(p)) as f32, w))
            .collect();
        let q = stats::weighted_percentiles(&mut pairs, &wanted);
        check(inputs, &q, blog_rate(truths.parameters_of(r)));
        let mut unweighted: Vec<f32> = pairs.iter().map(|p| p.0).collect();
        let prior_q = stats::percentiles(&mut unweighted, &[5.0, 95.0]);
        widths[0] += (q[3] - q[0]) / (prior_q[1] - prior_q[0]) / REPLICATIONS as f64;
        let q = stats::column_percentiles(&prior, Metric::Mrr, OBSERVED_MONTHS, &wanted);
        check(
            inputs + 1,
            &q,
            histories.value(r, Metric::Mrr, OBSERVED_MONTHS) as f64,
        );
        let weights = prior.weights.take();
        let prior_q = stats::column_percentiles(&prior, Metric::Mrr, OBSERVED_MONTHS, &wanted);
        widths[1] += (q[3] - q[0]) / (prior_q[3] - prior_q[0]) / REPLICATIONS as f64;
        prior.weights = weights;
    }
    eprintln!("SBC on {metrics:?}");
    eprintln!(
        "SBC: posterior/prior 90% width: blog referrals per visit {:.2}, next month's MRR {:.2}",
        widths[0], widths[1]
    );

    let n = REPLICATIONS as f64;
    let bound = |p: f64| 4.0 * (p * (1.0 - p) / n).sqrt();
    let mean_ess = ess.iter().sum::<f64>() / n;
    eprintln!("SBC: mean ESS {mean_ess:.0} of {PRIOR} paths");
    let labels = model.inputs.iter().map(|i| i.label.as_str()).chain([
        "blog paying referrals per visit",
        "MRR in the first unobserved month",
    ]);
    for (i, label) in labels.enumerate() {
        let (c50, c90) = (in_50[i] as f64 / n, in_90[i] as f64 / n);
        eprintln!("SBC: {label:<70} 50%: {c50:.2}  90%: {c90:.2}");
        assert!(
            (c50 - 0.5).abs() <= bound(0.5),
            "{label}: 50% interval covers {c50}"
        );
        assert!(
            (c90 - 0.9).abs() <= bound(0.9),
            "{label}: 90% interval covers {c90}"
        );
    }
    let pooled50 = in_50[..inputs].iter().sum::<usize>() as f64 / (n * inputs as f64);
    let pooled90 = in_90[..inputs].iter().sum::<usize>() as f64 / (n * inputs as f64);
    eprintln!("SBC: pooled 50%: {pooled50:.3}  90%: {pooled90:.3}");
}

#[test]
fn without_observations_the_posterior_is_the_prior() {
    let mut model = q4();
    model.observed = None;
    let prior = run(&model, 1500, 3);
    let mut sim = prior.clone();
    assert!(calibrate::calibrate(&model, &mut sim, "none").is_none());
    assert!(sim.weights.is_none());
    assert_eq!(sim.mean, prior.mean);
    let before = affsim::report::json::render(&Summary::build(&model, &prior));
    let after = affsim::report::json::render(&Summary::build(&model, &sim));
    assert_eq!(before, after);

    // Observed months all outside the horizon are no observation either.
    model.observed = Some(Observed {
        start: model.end().plus(1),
        series: vec![(Metric::Earned, vec![10.0])],
    });
    assert!(calibrate::calibrate(&model, &mut sim, "none").is_none());
}

#[test]
fn uniform_weights_reproduce_the_unweighted_statistics() {
    let model = q4();
    let plain = run(&model, 1024, 5);
    let mut weighted = plain.clone();
    weighted.weights = Some(vec![1.0 / 1024.0; 1024]);
    calibrate::reweight_means(&model, &mut weighted, &vec![1.0 / 1024.0; 1024]);
    // `mean` is rebuilt from the stored f32 series, the breakdowns from
    // exact re-runs of the paths.
    for (a, b) in plain.mean.iter().zip(&weighted.mean) {
        assert!((a - b).abs() <= 1e-6 * a.abs().max(1.0), "{a} vs {b}");
    }
    for (a, b) in plain
        .mean_by_source
        .iter()
        .zip(&weighted.mean_by_source)
        .chain(plain.mean_by_program.iter().zip(&weighted.mean_by_program))
    {
        assert!((a - b).abs() <= 1e-9 * a.abs().max(1.0), "{a} vs {b}");
    }
    for target in &model.targets {
        let (a, b) = (
            stats::target(&model, &plain, target),
            stats::target(&model, &weighted, target),
        );
        assert!((a.in_month.value - b.in_month.value).abs() < 1e-12);
        assert!((a.in_month.standard_error - b.in_month.standard_error).abs() < 1e-12);
        assert_eq!(a.median_first_month, b.median_first_month);
    }
    let (a, b) = (
        stats::first_payout(&model, &plain),
        stats::first_payout(&model, &weighted),
    );
    assert_eq!(a.median_month, b.median_month);
    // Percentile definitions differ slightly (type 7 against weighted
    // midpoints), but not by more than a neighbouring order statistic.
    let pa = stats::bands(&model, &plain, &[Metric::Mrr]);
    let pb = stats::bands(&model, &weighted, &[Metric::Mrr]);
    for (month, (x, y)) in pa[0].1.iter().zip(&pb[0].1).enumerate() {
        let mut sorted: Vec<f64> = plain.column(Metric::Mrr, month).map(f64::from).collect();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        for ((u, v), p) in x
            .percentiles
            .iter()
            .zip(&y.percentiles)
            .zip(stats::PERCENTILES)
        {
            let h = ((n - 1) as f64 * p / 100.0).round() as usize;
            let (low, high) = (sorted[h.saturating_sub(2)], sorted[(h + 2).min(n - 1)]);
            assert!(
                low <= *v && *v <= high,
                "P{p} in month {month}: {v} outside [{low}, {high}] around {u}"
            );
        }
    }
}

#[test]
fn calibrating_q4_narrows_the_near_future_around_the_history() {
    let model = q4();
    let prior = run(&model, 4000, 2026);
    let mut sim = prior.clone();
    let calibration: Calibration = calibrate::calibrate(&model, &mut sim, "test").unwrap();
    assert!(calibration.applied);
    assert!(
        calibration.warnings.is_empty(),
        "{:?}",
        calibration.warnings
    );
    assert!((calibration.effective_sample_size - 200.0).abs() < 1.0);
    let weights = sim.weights.as_ref().unwrap();
    assert!((weights.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    // April earned: the posterior median sits near the observed $186 and
    // the band is far narrower than the prior's.
    let post = stats::column_percentiles(&sim, Metric::Earned, 2, &[10.0, 50.0, 90.0]);
    let pri = stats::column_percentiles(&prior, Metric::Earned, 2, &[10.0, 50.0, 90.0]);
    assert!((post[1] - 186.0).abs() < 15.0, "{post:?}");
    assert!(
        post[2] - post[0] < 0.5 * (pri[2] - pri[0]),
        "{post:?} vs {pri:?}"
    );
    assert_eq!(calibration.inputs.len(), model.inputs.len());
    let summary = Summary::build(&model, &sim);
    assert!(summary.totals.earned.value.is_finite());
}

#[test]
fn an_impossible_history_warns_instead_of_answering() {
    let mut model = q4();
    model.observed = Some(earned(&[1e9, 2e9, 3e9], &model));
    let prior = run(&model, 1000, 1);
    let mut sim = prior.clone();
    let calibration = calibrate::calibrate(&model, &mut sim, "test").unwrap();
    assert!(!calibration.applied);
    assert!(sim.weights.is_none(), "the prior projection is kept");
    assert_eq!(sim.mean, prior.mean);
    assert!(calibration.warnings[0].contains("implausible"));
    assert!(
        calibration
            .warnings
            .iter()
            .any(|w| w.contains("fewer than 1 in 100"))
    );
    assert!(calibration.effective_sample_size.is_finite());
    let mut summary = Summary::build(&model, &sim);
    summary.calibration = Some(calibration);
    let json: serde_json::Value =
        serde_json::from_str(&affsim::report::json::render(&summary)).unwrap();
    assert!(json["calibration"]["effective_sample_size"].is_number());
    let text = affsim::report::terminal::render(&summary);
    assert!(text.contains("WARNING") && text.contains("IGNORES your history"));
    assert!(!text.contains("NaN"));
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let model = q4();
    let once = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let mut sim = run(&model, 1500, 9);
            let calibration = calibrate::calibrate(&model, &mut sim, "test");
            let mut summary = Summary::build(&model, &sim);
            summary.calibration = calibration;
            (sim.weights.clone(), affsim::report::json::render(&summary))
        })
    };
    let (w1, s1) = once(1);
    let (w3, s3) = once(3);
    assert_eq!(w1, w3);
    assert_eq!(s1, s3);
}

mod cli {
    use assert_cmd::Command;

    fn affsim() -> Command {
        Command::cargo_bin("affsim").unwrap()
    }

    #[test]
    fn observed_csv_of_both_kinds_calibrates_the_run() {
        for file in ["scenarios/q4-commissions.csv", "scenarios/q4-history.csv"] {
            let out = tempfile::tempdir().unwrap();
            let output = affsim()
                .args(["run", "scenarios/q4.toml", "--paths", "1000", "--no-charts"])
                .args(["--observed", file, "--out"])
                .arg(out.path())
                .output()
                .unwrap();
            assert!(output.status.success(), "{output:?}");
            let stdout = String::from_utf8(output.stdout).unwrap();
            assert!(
                stdout.contains("What your observed history says"),
                "{stdout}"
            );
            assert!(stdout.contains(file), "{stdout}");
            let json = std::fs::read_to_string(out.path().join("summary.json")).unwrap();
            let json: serde_json::Value = serde_json::from_str(&json).unwrap();
            assert_eq!(json["calibration"]["applied"], true);
            assert_eq!(json["calibration"]["months"], 3);
        }
    }

    #[test]
    fn a_bad_history_row_is_an_input_error_with_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad.csv");
        std::fs::write(
            &file,
            "date,amount,status\n2026-02-03,3.00,paid\nFeb 3 2026,3,paid\n",
        )
        .unwrap();
        let output = affsim()
            .args(["run", "scenarios/q4.toml", "--paths", "100", "--no-charts"])
            .arg("--observed")
            .arg(&file)
            .arg("--out")
            .arg(dir.path().join("out"))
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2));
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(stderr.contains("bad.csv:3:"), "{stderr}");
    }
}
