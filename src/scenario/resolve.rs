//! Validation: turns a [`ScenarioFile`] into a [`Model`] or says, with the
//! key path of the offending field, what is wrong and how to fix it.

use std::collections::HashSet;

use super::file::*;
use super::input::{DistKind, DistSpec, InputSpec};
use super::keypath::KeyPath;
use crate::calendar::Month;
use crate::model::dist::{self, Dist};
use crate::model::*;

pub const DEFAULT_PATHS: usize = 100_000;
pub const MAX_PATHS: usize = 100_000_000;
pub const MAX_MONTHS: usize = 600;
const MAX_VISITS: f64 = 1e9;
/// The share of a repeating entry's size uncertainty that is each copy's own
/// when the scenario does not say (docs/MODEL.md §3 gives the reasons).
pub const DEFAULT_COPY_SPREAD: f64 = 0.5;
const MAX_PRICE: f64 = 1e6;

/// A problem found while resolving, located by key path.
#[derive(Clone, Debug)]
pub struct Invalid {
    pub path: KeyPath,
    pub message: String,
    pub help: Option<String>,
}

fn invalid(path: &KeyPath, message: impl Into<String>) -> Invalid {
    Invalid {
        path: path.clone(),
        message: message.into(),
        help: None,
    }
}

impl Invalid {
    fn help(mut self, help: impl Into<String>) -> Invalid {
        self.help = Some(help.into());
        self
    }
}

type Result<T> = std::result::Result<T, Invalid>;

/// What a field measures: fixes its allowed range and what an interval means.
#[derive(Clone, Copy, Debug)]
struct Domain {
    min: f64,
    /// Whether `min` itself is allowed.
    min_inclusive: bool,
    max: f64,
    unit: Unit,
}

impl Domain {
    const RATE: Domain = Domain {
        min: 0.0,
        min_inclusive: true,
        max: 1.0,
        unit: Unit::Rate,
    };
    const fn amount(max: f64) -> Domain {
        Domain {
            min: 0.0,
            min_inclusive: false,
            max,
            unit: Unit::Dollars,
        }
    }
    const fn non_negative(max: f64, unit: Unit) -> Domain {
        Domain {
            min: 0.0,
            min_inclusive: true,
            max,
            unit,
        }
    }
    const fn positive(max: f64, unit: Unit) -> Domain {
        Domain {
            min: 0.0,
            min_inclusive: false,
            max,
            unit,
        }
    }

    fn contains(&self, x: f64) -> bool {
        x.is_finite() && (x > self.min || (self.min_inclusive && x == self.min)) && x <= self.max
    }

    fn describe_short(&self) -> String {
        match self.unit {
            Unit::Rate => format!("from {} to {}", self.min, self.max),
            _ => self.describe(),
        }
    }

    fn describe(&self) -> String {
        let low = if self.min_inclusive {
            format!("from {}", self.min)
        } else {
            format!("above {}", self.min)
        };
        match self.unit {
            Unit::Rate if self.min == 0.0 => "a rate from 0 to 1 (e.g. 0.15 for 15%)".to_string(),
            Unit::Rate => format!(
                "a rate from {} to {} (e.g. 0.02 for 2%)",
                self.min, self.max
            ),
            _ if self.max.is_finite() && self.max < f64::MAX => {
                format!("{low} up to {}", fmt_number(self.max))
            }
            _ => low,
        }
    }
}

fn fmt_number(x: f64) -> String {
    if x.abs() >= 1e5 {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

/// A number as a user wrote it, short: `1e300`, not three hundred digits.
fn fmt_value(x: f64) -> String {
    if !x.is_finite() {
        return format!("{x}");
    }
    if x != 0.0 && (x.abs() >= 1e15 || x.abs() < 1e-6) {
        let short = format!("{x:e}");
        if short.len() > 8 {
            format!("{x:.2e}")
        } else {
            short
        }
    } else {
        format!("{x}")
    }
}

/// Out-of-range help: nan and inf get their own words, and a rate written
/// as a percentage (30 for 30%) gets its fraction.
fn range_help(value: f64, domain: &Domain) -> String {
    match percent_as_fraction(value, domain) {
        Some(fraction) => format!("did you mean {fraction} ({}%)?", fmt_number(value)),
        None => limits_help(value, domain),
    }
}

/// The field's limits, in words.
fn limits_help(value: f64, domain: &Domain) -> String {
    if value.is_finite() {
        format!("use a value {}", domain.describe_short())
    } else {
        "nan and inf are not allowed; write a finite number".to_string()
    }
}

/// A rate written as a percentage, 1 < `value` ≤ 100, as the fraction it
/// likely means, with at least two decimals: 30 → "0.30", 2.5 → "0.025".
fn percent_as_fraction(value: f64, domain: &Domain) -> Option<String> {
    if domain.unit != Unit::Rate || domain.max > 1.0 || !(value > 1.0 && value <= 100.0) {
        return None;
    }
    let fraction = format!("{}", value / 100.0);
    let decimals = fraction.split_once('.').map_or(0, |(_, d)| d.len());
    Some(match decimals {
        0 => format!("{fraction}.00"),
        1 => format!("{fraction}0"),
        _ => fraction,
    })
}

pub struct Resolver {
    inputs: Vec<UncertainInput>,
    labels: Vec<(String, String)>,
    mixes: Vec<(usize, Vec<f64>, f64)>,
}

pub fn resolve(file: &ScenarioFile) -> Result<Model> {
    let mut resolver = Resolver {
        inputs: Vec::new(),
        labels: Vec::new(),
        mixes: Vec::new(),
    };
    resolver.model(file)
}

fn check_name(path: &KeyPath, name: &str, what: &str) -> Result<()> {
    if name.trim().is_empty() {
        return Err(invalid(path, format!("the {what} name is empty"))
            .help("give it a short descriptive name"));
    }
    if name.chars().count() > 120 || name.chars().any(|c| c.is_control()) {
        return Err(invalid(
            path,
            format!("the {what} name must be one line of at most 120 characters"),
        )
        // Names reach the terminal and the charts: control characters
        // (an ESC, say) could rewrite the screen.
        .help("use plain text: no line breaks, tabs or control characters"));
    }
    Ok(())
}

fn whole(path: &KeyPath, value: i64, min: i64, max: i64, what: &str) -> Result<i64> {
    if value < min || value > max {
        return Err(invalid(
            path,
            format!("{what} must be between {min} and {max}, not {value}"),
        )
        .help(format!("use a whole number from {min} to {max}")));
    }
    Ok(value)
}

fn finite(path: &KeyPath, value: f64, min: f64, max: f64, what: &str) -> Result<f64> {
    if !value.is_finite() {
        return Err(
            invalid(path, format!("{what} must be a finite number, not {value}")).help(format!(
                "nan and inf are not allowed; write a number from {} to {}",
                fmt_number(min),
                fmt_number(max)
            )),
        );
    }
    if value < min || value > max {
        return Err(invalid(
            path,
            format!(
                "{what} must be between {} and {}, not {}",
                fmt_number(min),
                fmt_number(max),
                fmt_value(value)
            ),
        ));
    }
    Ok(value)
}

impl Resolver {
    fn model(&mut self, file: &ScenarioFile) -> Result<Model> {
        let root = KeyPath::root();
        check_name(&root.key("name"), &file.name, "scenario")?;
        for (i, variant) in file.variants.iter().enumerate() {
            check_name(
                &root.key("variants").index(i).key("name"),
                &variant.name,
                "variant",
            )?;
        }
        if let Some(description) = &file.description
            && description
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            // It is printed as is; control characters could rewrite the terminal.
            return Err(invalid(
                &root.key("description"),
                "the description contains control characters",
            )
            .help("use plain text; line breaks and tabs are fine"));
        }
        let sim = &file.simulation;
        let sim_path = root.key("simulation");
        let start = sim.start;
        let months = match (sim.end, sim.months) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    &sim_path.key("months"),
                    "give either `end` or `months`, not both",
                ));
            }
            (Some(end), None) => {
                if end < start {
                    return Err(invalid(
                        &sim_path.key("end"),
                        format!(
                            "the simulation ends ({}) before it starts ({})",
                            end.long(),
                            start.long()
                        ),
                    )
                    .help("`end` must be the same month as `start` or later"));
                }
                let months = end.since(start) as usize + 1;
                if months > MAX_MONTHS {
                    return Err(invalid(
                        &sim_path.key("end"),
                        format!("the horizon is {months} months; at most {MAX_MONTHS} are allowed"),
                    )
                    .help(format!(
                        "move `end` closer to `start` ({}), or use `months` (1 to {MAX_MONTHS})",
                        start.long()
                    )));
                }
                months
            }
            (None, Some(months)) => whole(
                &sim_path.key("months"),
                months,
                1,
                MAX_MONTHS as i64,
                "`months`",
            )? as usize,
            (None, None) => 12,
        };
        let paths = match sim.paths {
            Some(paths) => whole(
                &sim_path.key("paths"),
                paths,
                1,
                MAX_PATHS as i64,
                "the number of paths",
            )? as usize,
            None => DEFAULT_PATHS,
        };
        let seed = match sim.seed {
            Some(seed) if seed < 0 => {
                return Err(invalid(
                    &sim_path.key("seed"),
                    "the seed must be zero or a positive whole number",
                ));
            }
            Some(seed) => seed as u64,
            None => 1,
        };
        let headline = match &sim.headline {
            Some(text) => Some(metric(&sim_path.key("headline"), text)?),
            None => None,
        };
        let precision = match sim.precision {
            Some(_) if sim.paths.is_some() => {
                return Err(invalid(
                    &sim_path.key("precision"),
                    "give either `paths` or `precision`, not both",
                )
                .help("precision = 0.005 runs until the first target's standard error is at most 0.5 percentage points; paths = 20000 runs exactly that many"));
            }
            Some(value) => Some(finite(
                &sim_path.key("precision"),
                value,
                1e-4,
                0.25,
                "the precision (a standard error, e.g. 0.005)",
            )?),
            None => None,
        };
        let conditioning = match sim.calibration.as_deref() {
            None | Some("sequential") => crate::model::Conditioning::Sequential,
            Some("whole-path") => crate::model::Conditioning::WholePath,
            Some(other) => {
                return Err(invalid(
                    &sim_path.key("calibration"),
                    format!("unknown calibration method \"{other}\""),
                )
                .help("use \"sequential\" (month by month, the default) or \"whole-path\""));
            }
        };

        let funnel_path = root.key("funnel");
        let trial_months = match file.funnel.trial_months {
            Some(months) => whole(
                &funnel_path.key("trial_months"),
                months,
                0,
                24,
                "`trial_months`",
            )? as usize,
            None => 0,
        };
        let default_signup = self.optional_param(
            &file.funnel.signup_rate,
            &funnel_path.key("signup_rate"),
            "Funnel: sign-up rate of clicks",
            Domain::RATE,
        )?;
        let default_paid = self.optional_param(
            &file.funnel.paid_rate,
            &funnel_path.key("paid_rate"),
            "Funnel: paid conversion of sign-ups",
            Domain::RATE,
        )?;

        if file.programs.is_empty() {
            return Err(
                invalid(&root.key("programs"), "the scenario has no `[[programs]]`")
                    .help("add a [[programs]] table with its commission rates and plans"),
            );
        }
        let mut programs = Vec::new();
        let mut program_names = HashSet::new();
        for (index, section) in file.programs.iter().enumerate() {
            let path = root.key("programs").index(index);
            if !program_names.insert(section.name.trim().to_lowercase()) {
                return Err(invalid(
                    &path.key("name"),
                    format!("two programs are named `{}`", section.name),
                )
                .help("program names must be unique"));
            }
            programs.push(self.program(section, &path, index)?);
        }

        let end = start.plus(months as i32 - 1);
        let mut sources = Vec::new();
        let mut source_names = HashSet::new();
        for (index, section) in file.content.iter().enumerate() {
            let path = root.key("content").index(index);
            if !source_names.insert(section.name.trim().to_lowercase()) {
                return Err(invalid(
                    &path.key("name"),
                    format!("two content entries are named `{}`", section.name),
                )
                .help("content names must be unique"));
            }
            sources.push(self.source(
                section,
                &path,
                file,
                start,
                end,
                default_signup,
                default_paid,
                trial_months,
            )?);
        }

        let mut targets = Vec::new();
        for (index, section) in file.targets.iter().enumerate() {
            let path = root.key("targets").index(index);
            let metric = metric(&path.key("metric"), &section.metric)?;
            let threshold = finite(
                &path.key("at_least"),
                section.at_least,
                -1e12,
                1e12,
                "`at_least`",
            )?;
            let Some(month_index) = section
                .month
                .since(start)
                .try_into()
                .ok()
                .filter(|m: &usize| *m < months)
            else {
                return Err(invalid(
                    &path.key("month"),
                    format!(
                        "the target month {} is outside the simulation ({} to {})",
                        section.month.long(),
                        start.long(),
                        end.long()
                    ),
                )
                .help("move the target month inside the horizon, or extend `simulation.end`"));
            };
            let label = match &section.label {
                Some(label) => {
                    check_name(&path.key("label"), label, "target")?;
                    label.clone()
                }
                None => format!(
                    "{} of at least {} in {}",
                    metric.phrase(),
                    crate::format::money_or_count(metric, threshold),
                    section.month.long()
                ),
            };
            targets.push(Target {
                label,
                metric,
                threshold,
                month: section.month,
                month_index,
            });
        }

        let observed = match &file.observed {
            Some(observed) => Some(self.observed(observed, &root.key("observed"), start, end)?),
            None => None,
        };

        let mut mixes = Vec::new();
        let mut first = self.inputs.len();
        for (program, shares, concentration) in self.mixes.drain(..) {
            let count = shares.len();
            for (k, param) in programs[program].mix.iter_mut().enumerate() {
                *param = Param::Drawn(first + k);
            }
            mixes.push(UncertainMix {
                program,
                shares,
                concentration,
                first,
            });
            first += count;
        }

        Ok(Model {
            name: file.name.clone(),
            description: file.description.clone(),
            start,
            months,
            paths,
            seed,
            // Unless the scenario says otherwise, the month-by-month table
            // follows what its first target asks about.
            headline: headline
                .or(targets.first().map(|t: &Target| t.metric))
                .unwrap_or(Metric::Mrr),
            precision,
            conditioning,
            inputs: std::mem::take(&mut self.inputs),
            labels: std::mem::take(&mut self.labels),
            mixes,
            programs,
            sources,
            targets,
            observed,
            change_from: None,
        })
    }

    fn program(
        &mut self,
        section: &ProgramSection,
        path: &KeyPath,
        index: usize,
    ) -> Result<Program> {
        check_name(&path.key("name"), &section.name, "program")?;
        let name = &section.name;
        let rate = |resolver: &mut Resolver, spec: &Option<InputSpec>, key: &str, label: &str| {
            resolver.param_or(
                spec,
                &path.key(key),
                &format!("{name}: {label}"),
                Domain::RATE,
                0.0,
            )
        };
        let first_order_rate = rate(
            self,
            &section.first_order_rate,
            "first_order_rate",
            "first-order commission rate",
        )?;
        let upgrade_rate = rate(
            self,
            &section.upgrade_rate,
            "upgrade_rate",
            "upgrade commission rate",
        )?;
        let refund_rate = rate(self, &section.refund_rate, "refund_rate", "refund rate")?;
        let bounty = self.param_or(
            &section.bounty,
            &path.key("bounty"),
            &format!("{name}: bounty"),
            Domain::non_negative(MAX_PRICE, Unit::Dollars),
            0.0,
        )?;

        let mut steps = Vec::new();
        if !section.recurring_schedule.is_empty() {
            if section.recurring_rate.is_some() {
                return Err(invalid(&path.key("recurring_rate"), "give either `recurring_rate` or `recurring_schedule`, not both")
                    .help("a schedule's last step (without `renewals`) is the rate for all later renewals"));
            }
            let last = section.recurring_schedule.len() - 1;
            for (i, step) in section.recurring_schedule.iter().enumerate() {
                let step_path = path.key("recurring_schedule").index(i);
                let length = match step.renewals {
                    Some(n) => Some(whole(
                        &step_path.key("renewals"),
                        n,
                        1,
                        MAX_MONTHS as i64,
                        "`renewals`",
                    )? as u32),
                    None if i == last => None,
                    None => {
                        return Err(invalid(&step_path, "only the last schedule step may leave out `renewals`")
                            .help("say how many renewals this step covers, e.g. { renewals = 3, rate = 0.4 }"));
                    }
                };
                let rate = self.param(
                    &step.rate,
                    &step_path.key("rate"),
                    &format!("{name}: recurring rate, step {}", i + 1),
                    Domain::RATE,
                )?;
                steps.push((length, rate));
            }
        } else {
            steps.push((
                None,
                rate(
                    self,
                    &section.recurring_rate,
                    "recurring_rate",
                    "recurring commission rate",
                )?,
            ));
        }
        let for_renewals = match section.recurring_months {
            Some(n) => Some(whole(
                &path.key("recurring_months"),
                n,
                1,
                MAX_MONTHS as i64,
                "`recurring_months`",
            )? as u32),
            None => None,
        };

        let mut tiers = Vec::new();
        for (i, tier) in section.tiers.iter().enumerate() {
            let tier_path = path.key("tiers").index(i);
            let after = whole(
                &tier_path.key("after"),
                tier.after,
                1,
                1_000_000_000,
                "`after`",
            )? as u64;
            let period = match tier.per.as_deref().map(str::trim) {
                None | Some("month") => TierPeriod::Month,
                Some("total") => TierPeriod::Total,
                Some(other) => {
                    return Err(invalid(
                        &tier_path.key("per"),
                        format!("unknown tier period `{other}`"),
                    )
                    .help("use \"month\" or \"total\""));
                }
            };
            if tier.first_order_rate.is_none() && tier.recurring_rate.is_none() {
                return Err(invalid(
                    &tier_path,
                    "a tier must set `first_order_rate`, `recurring_rate` or both",
                ));
            }
            let first_order_rate = self.optional_param(
                &tier.first_order_rate,
                &tier_path.key("first_order_rate"),
                &format!("{name}: tier {} first-order rate", i + 1),
                Domain::RATE,
            )?;
            let recurring_rate = self.optional_param(
                &tier.recurring_rate,
                &tier_path.key("recurring_rate"),
                &format!("{name}: tier {} recurring rate", i + 1),
                Domain::RATE,
            )?;
            tiers.push(Tier {
                after,
                period,
                first_order_rate,
                recurring_rate,
            });
        }

        let hold_days = match section.hold_days {
            Some(days) => whole(&path.key("hold_days"), days, 0, 365, "`hold_days`")? as u32,
            None => 0,
        };
        let payout = match &section.payout_schedule {
            Some(text) => PayoutSchedule::parse(text)
                .map_err(|message| invalid(&path.key("payout_schedule"), message))?,
            None => PayoutSchedule::parse("monthly").expect("valid"),
        };
        let payout_minimum = match section.payout_minimum {
            Some(minimum) => finite(
                &path.key("payout_minimum"),
                minimum,
                0.0,
                MAX_PRICE,
                "`payout_minimum`",
            )?,
            None => 0.0,
        };

        if section.plans.is_empty() {
            bounty_only(section, path)?;
        }
        let plan_names: Vec<String> = section
            .plans
            .iter()
            .map(|p| p.name.trim().to_lowercase())
            .collect();
        // Names first: an upgrade to a duplicated name would otherwise hide the real fault.
        for (i, plan) in section.plans.iter().enumerate() {
            if plan_names[..i].contains(&plan_names[i]) {
                return Err(invalid(
                    &path.key("plans").index(i).key("name"),
                    format!("two plans of `{name}` are named `{}`", plan.name),
                )
                .help("plan names must be unique within a program; rename one"));
            }
        }
        let mut plans = Vec::new();
        for (i, plan) in section.plans.iter().enumerate() {
            let plan_path = path.key("plans").index(i);
            plans.push(self.plan(plan, &plan_path, name, &section.plans)?);
        }

        let mix = self.plan_mix(section, path, index)?;

        Ok(Program {
            name: name.clone(),
            plans,
            mix,
            first_order_rate,
            recurring: RecurringRule {
                steps,
                for_renewals,
            },
            upgrade_rate,
            bounty,
            refund_rate,
            tiers,
            hold_days,
            payout,
            payout_minimum,
        })
    }

    fn plan_mix(
        &mut self,
        section: &ProgramSection,
        path: &KeyPath,
        index: usize,
    ) -> Result<Vec<Param>> {
        let plans = &section.plans;
        if plans.is_empty() {
            return Ok(Vec::new());
        }
        let shares: Vec<f64> = if plans.len() == 1 && plans[0].share.is_none() {
            vec![1.0]
        } else {
            let mut shares = Vec::new();
            for (i, plan) in plans.iter().enumerate() {
                let share_path = path.key("plans").index(i).key("share");
                let Some(share) = plan.share else {
                    return Err(invalid(&path.key("plans").index(i), format!("plan `{}` has no `share`", plan.name))
                        .help("with several plans, each needs `share`: the fraction of new referrals who choose it (the shares sum to 1)"));
                };
                shares.push(finite(&share_path, share, 0.0, 1.0, "`share`")?);
            }
            let total: f64 = shares.iter().sum();
            if (total - 1.0).abs() > 1e-6 {
                return Err(invalid(
                    &path.key("plans").index(0).key("share"),
                    format!(
                        "the plan shares of `{}` sum to {total}, not 1",
                        section.name
                    ),
                )
                .help("shares are fractions of new referrals by plan; make them add up to 1"));
            }
            shares
        };
        match section.mix_concentration {
            None => Ok(shares.into_iter().map(Param::Fixed).collect()),
            Some(concentration) => {
                let concentration = finite(
                    &path.key("mix_concentration"),
                    concentration,
                    0.01,
                    1e6,
                    "`mix_concentration`",
                )?;
                if shares.len() < 2 {
                    return Err(invalid(
                        &path.key("mix_concentration"),
                        "an uncertain mix needs at least two plans",
                    ));
                }
                if shares.iter().any(|s| *s < 1e-6) {
                    return Err(invalid(
                        &path.key("mix_concentration"),
                        "an uncertain mix needs every share above 0",
                    )
                    .help("give every plan a share of at least 0.000001, or remove `mix_concentration`"));
                }
                let placeholders = shares.iter().map(|s| Param::Fixed(*s)).collect();
                self.mixes.push((index, shares, concentration));
                Ok(placeholders)
            }
        }
    }

    fn plan(
        &mut self,
        plan: &PlanSection,
        path: &KeyPath,
        program: &str,
        siblings: &[PlanSection],
    ) -> Result<Plan> {
        check_name(&path.key("name"), &plan.name, "plan")?;
        let label = |what: &str| format!("{program} {}: {what}", plan.name);
        let billing = plan_billing(plan, path)?;
        let price = self.param(
            &plan.price,
            &path.key("price"),
            &label(match billing {
                Billing::Monthly => "monthly price",
                Billing::OneTime => "one-time price",
            }),
            Domain::amount(MAX_PRICE),
        )?;
        if billing == Billing::OneTime {
            one_time_has_no_renewals(plan, path)?;
            return Ok(Plan {
                name: plan.name.clone(),
                price,
                billing,
                // Nobody renews: what a referral is worth counts the first
                // order only.
                churn: Churn::Constant(Param::Fixed(1.0)),
                upgrade: None,
            });
        }
        let models = [
            plan.churn.is_some(),
            plan.churn_sbg.is_some(),
            plan.churn_weibull.is_some(),
        ];
        let churn = match models.iter().filter(|m| **m).count() {
            0 => {
                return Err(invalid(path, format!("plan `{}` has no churn model", plan.name))
                    .help("add `churn = 0.06` (monthly), `churn_sbg = { alpha = 1.0, beta = 12.0 }` or `churn_weibull = { scale_months = 18, shape = 0.8 }`"));
            }
            1 => {
                if let Some(spec) = &plan.churn {
                    Churn::Constant(self.param(
                        spec,
                        &path.key("churn"),
                        &label("monthly churn"),
                        Domain::RATE,
                    )?)
                } else if let Some(sbg) = &plan.churn_sbg {
                    let sbg_path = path.key("churn_sbg");
                    let shape = Domain::positive(1e6, Unit::Count);
                    Churn::Sbg {
                        alpha: self.param(
                            &sbg.alpha,
                            &sbg_path.key("alpha"),
                            &label("churn sBG alpha"),
                            shape,
                        )?,
                        beta: self.param(
                            &sbg.beta,
                            &sbg_path.key("beta"),
                            &label("churn sBG beta"),
                            shape,
                        )?,
                    }
                } else {
                    let weibull = plan.churn_weibull.as_ref().expect("counted");
                    let weibull_path = path.key("churn_weibull");
                    Churn::Weibull {
                        scale: self.param(
                            &weibull.scale_months,
                            &weibull_path.key("scale_months"),
                            &label("Weibull lifetime scale"),
                            Domain::positive(1e4, Unit::Months),
                        )?,
                        shape: self.param(
                            &weibull.shape,
                            &weibull_path.key("shape"),
                            &label("Weibull lifetime shape"),
                            Domain::positive(20.0, Unit::Count),
                        )?,
                    }
                }
            }
            _ => {
                return Err(invalid(
                    path,
                    format!("plan `{}` has more than one churn model", plan.name),
                )
                .help("keep exactly one of `churn`, `churn_sbg`, `churn_weibull`"));
            }
        };
        let upgrade = match (&plan.upgrade_to, &plan.upgrade_probability) {
            (None, None) => None,
            (Some(_), None) => {
                return Err(invalid(
                    &path.key("upgrade_to"),
                    "`upgrade_to` needs `upgrade_probability` (the monthly chance of upgrading)",
                ));
            }
            (None, Some(_)) => {
                return Err(invalid(
                    &path.key("upgrade_probability"),
                    "`upgrade_probability` needs `upgrade_to` (the plan upgraded to)",
                ));
            }
            (Some(to), Some(probability)) => {
                let names = siblings.iter().map(|p| p.name.as_str());
                let Some(target) = siblings
                    .iter()
                    .position(|p| p.name.trim().eq_ignore_ascii_case(to.trim()))
                else {
                    let mut error = invalid(
                        &path.key("upgrade_to"),
                        format!("program `{program}` has no plan named `{to}`"),
                    );
                    error.help = super::diagnostic::did_you_mean(to, names);
                    return Err(error);
                };
                if siblings[target].name == plan.name {
                    return Err(invalid(
                        &path.key("upgrade_to"),
                        "a plan cannot upgrade to itself",
                    ));
                }
                if plan_billing(&siblings[target], path).ok() == Some(Billing::OneTime) {
                    return Err(invalid(
                        &path.key("upgrade_to"),
                        format!("`{}` is a one-time plan, which nobody upgrades to", siblings[target].name),
                    )
                    .help("an upgrade moves a renewing subscriber to a dearer monthly plan; point `upgrade_to` at a monthly plan, or remove the upgrade"));
                }
                let probability = self.param(
                    probability,
                    &path.key("upgrade_probability"),
                    &label("monthly upgrade probability"),
                    Domain::RATE,
                )?;
                Some(Upgrade {
                    to: target,
                    probability,
                })
            }
        };
        Ok(Plan {
            name: plan.name.clone(),
            price,
            billing,
            churn,
            upgrade,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn source(
        &mut self,
        section: &ContentSection,
        path: &KeyPath,
        file: &ScenarioFile,
        start: Month,
        end: Month,
        default_signup: Option<Param>,
        default_paid: Option<Param>,
        trial_months: usize,
    ) -> Result<Source> {
        check_name(&path.key("name"), &section.name, "content")?;
        let name = &section.name;
        let kind = match &section.kind {
            Some(text) => ContentKind::parse(text).ok_or_else(|| {
                invalid(&path.key("kind"), format!("unknown content kind `{text}`"))
                    .help("use \"blog\", \"video\", \"newsletter\" or \"other\"")
            })?,
            None if section.subscribers.is_some() => ContentKind::Newsletter,
            None => ContentKind::Blog,
        };
        let links = links(section, path, file)?;
        if section.publish > end {
            return Err(invalid(
                &path.key("publish"),
                format!(
                    "`{name}` is published in {}, after the simulation ends ({})",
                    section.publish.long(),
                    end.long()
                ),
            )
            .help("publish it inside the horizon or extend `simulation.end`"));
        }
        if start.since(section.publish) > MAX_MONTHS as i32 {
            return Err(invalid(
                &path.key("publish"),
                format!("`{name}` is published more than {MAX_MONTHS} months before the start"),
            ));
        }

        let label = |what: &str| format!("{name}: {what}");
        let page_fields = [
            ("visits", section.visits.is_some()),
            ("lifetime_visits", section.lifetime_visits.is_some()),
            ("ramp_months", section.ramp_months.is_some()),
            ("half_life_months", section.half_life_months.is_some()),
            ("ctr", section.ctr.is_some()),
        ];
        let newsletter_fields = [
            ("subscribers", section.subscribers.is_some()),
            ("subscriber_growth", section.subscriber_growth.is_some()),
            ("sends_per_month", section.sends_per_month.is_some()),
            ("open_rate", section.open_rate.is_some()),
            ("click_rate", section.click_rate.is_some()),
        ];
        let (misplaced, kind_word) = if kind == ContentKind::Newsletter {
            (&page_fields[..], "a newsletter")
        } else {
            (&newsletter_fields[..], "a page or video")
        };
        if let Some((field, _)) = misplaced.iter().find(|(_, present)| *present) {
            return Err(invalid(&path.key(field), format!("`{field}` does not apply to {kind_word}"))
                .help(if kind == ContentKind::Newsletter {
                    "a newsletter takes subscribers, subscriber_growth, sends_per_month, open_rate and click_rate"
                } else {
                    "a page takes visits (or lifetime_visits), ramp_months, half_life_months and ctr; set kind = \"newsletter\" for a newsletter"
                }));
        }
        let required = |spec: &Option<InputSpec>, field: &str| -> Result<InputSpec> {
            spec.clone()
                .ok_or_else(|| invalid(path, format!("content `{name}` needs `{field}`")))
        };
        let (traffic, click_rate) = if kind == ContentKind::Newsletter {
            let subscribers = self.param(
                &required(&section.subscribers, "subscribers")?,
                &path.key("subscribers"),
                &label("subscribers"),
                Domain::non_negative(MAX_VISITS, Unit::Count),
            )?;
            let growth = self.param_or(
                &section.subscriber_growth,
                &path.key("subscriber_growth"),
                &label("monthly subscriber growth"),
                Domain {
                    min: -0.9,
                    min_inclusive: true,
                    max: 1.0,
                    unit: Unit::Rate,
                },
                0.0,
            )?;
            let sends = match section.sends_per_month {
                Some(sends) => finite(
                    &path.key("sends_per_month"),
                    sends,
                    0.0,
                    31.0,
                    "`sends_per_month`",
                )?,
                None => 4.0,
            };
            let open_rate = self.param(
                &required(&section.open_rate, "open_rate")?,
                &path.key("open_rate"),
                &label("open rate"),
                Domain::RATE,
            )?;
            let click_rate = self.param(
                &required(&section.click_rate, "click_rate")?,
                &path.key("click_rate"),
                &label("click rate of opens"),
                Domain::RATE,
            )?;
            (
                Traffic::Newsletter {
                    subscribers,
                    growth,
                    sends_per_month: sends,
                    open_rate,
                },
                click_rate,
            )
        } else {
            // Visits at the peak, or over the page's whole life (then the
            // peak follows from the ramp and half-life).
            let (visits, lifetime) = match (&section.visits, &section.lifetime_visits) {
                (Some(_), Some(_)) => {
                    return Err(invalid(
                        &path.key("lifetime_visits"),
                        format!("content `{name}` gives both `visits` and `lifetime_visits`"),
                    )
                    .help("give `visits` (the peak month's) or `lifetime_visits` (the total over the page's life), not both"));
                }
                (Some(spec), None) => (
                    self.param(
                        spec,
                        &path.key("visits"),
                        &label("monthly visits at peak"),
                        Domain::non_negative(MAX_VISITS, Unit::Count),
                    )?,
                    false,
                ),
                (None, Some(spec)) => {
                    if section.half_life_months.is_none() {
                        return Err(invalid(
                            &path.key("lifetime_visits"),
                            format!("`lifetime_visits` needs `half_life_months`: without decay, `{name}` would be visited for ever"),
                        )
                        .help("add half_life_months (how many months its traffic takes to halve), or give the peak month's `visits` instead"));
                    }
                    (
                        self.param(
                            spec,
                            &path.key("lifetime_visits"),
                            &label("visits over its lifetime"),
                            Domain::non_negative(MAX_VISITS, Unit::Count),
                        )?,
                        true,
                    )
                }
                (None, None) => {
                    return Err(invalid(path, format!("content `{name}` needs `visits`"))
                        .help("add `visits` (the peak month's visits) or `lifetime_visits` (the total over its life, with half_life_months)"));
                }
            };
            let ramp_months = match section.ramp_months {
                Some(months) => {
                    whole(&path.key("ramp_months"), months, 0, 60, "`ramp_months`")? as u32
                }
                None => 1,
            };
            let half_life_months = self.optional_param(
                &section.half_life_months,
                &path.key("half_life_months"),
                &label("traffic half-life (months)"),
                Domain::positive(1e4, Unit::Months),
            )?;
            let click_rate = self.param(
                &required(&section.ctr, "ctr")?,
                &path.key("ctr"),
                &label("click-through rate"),
                Domain::RATE,
            )?;
            (
                Traffic::Page {
                    visits,
                    lifetime,
                    ramp_months,
                    half_life_months,
                },
                click_rate,
            )
        };
        let noise = self.param_or(
            &section.noise,
            &path.key("noise"),
            &label("traffic noise (CV)"),
            Domain::non_negative(5.0, Unit::Count),
            0.25,
        )?;
        let signup_rate = match &section.signup_rate {
            Some(spec) => self.param(
                spec,
                &path.key("signup_rate"),
                &label("sign-up rate of clicks"),
                Domain::RATE,
            )?,
            None => default_signup.ok_or_else(|| {
                invalid(path, format!("content `{name}` has no sign-up rate"))
                    .help("set `signup_rate` under [funnel] (for all content) or on this entry")
            })?,
        };
        let paid_rate = match &section.paid_rate {
            Some(spec) => self.param(
                spec,
                &path.key("paid_rate"),
                &label("paid conversion of sign-ups"),
                Domain::RATE,
            )?,
            None => default_paid.ok_or_else(|| {
                invalid(
                    path,
                    format!("content `{name}` has no paid conversion rate"),
                )
                .help("set `paid_rate` under [funnel] (for all content) or on this entry")
            })?,
        };

        let first = section.publish.since(start);
        let copies = match &section.repeat {
            None => vec![first],
            Some(repeat) => {
                repeat_months(repeat, &path.key("repeat"), start, first, end.since(start))?
            }
        };
        let copy_spread = match section.copy_spread {
            Some(spread) => finite(&path.key("copy_spread"), spread, 0.0, 1.0, "`copy_spread`")?,
            None => DEFAULT_COPY_SPREAD,
        };
        let size = traffic.size();
        // One copy, or no spread: the copies' single draw is the entry's.
        let per_copy = match size {
            Param::Drawn(input) if copy_spread > 0.0 && copies.len() > 1 => {
                match self.inputs[input].dist {
                    Dist::Lognormal { mu, sigma } if sigma > 0.0 => Some(PerCopy {
                        input,
                        mu,
                        sigma,
                        spread: copy_spread,
                    }),
                    _ => None,
                }
            }
            _ => None,
        };
        Ok(Source {
            per_copy,
            copy_spread,
            name: name.clone(),
            kind,
            links,
            copies,
            traffic,
            click_rate,
            noise,
            signup_rate,
            paid_rate,
            trial_months,
            own_streams: false,
        })
    }

    fn observed(
        &mut self,
        observed: &ObservedSection,
        path: &KeyPath,
        start: Month,
        end: Month,
    ) -> Result<Observed> {
        if observed.start < start || observed.start > end {
            return Err(invalid(&path.key("start"), format!("observations start in {}, outside the simulation ({} to {})", observed.start.long(), start.long(), end.long()))
                .help("the observed months must lie inside the horizon; set simulation.start to the first observed month or earlier"));
        }
        let room = end.since(observed.start) as usize + 1;
        let mut series = Vec::new();
        for (key, metric, values) in [
            ("earned", Metric::Earned, &observed.earned),
            ("clicks", Metric::Clicks, &observed.clicks),
            (
                "new_referrals",
                Metric::NewReferrals,
                &observed.new_referrals,
            ),
            (
                "active_referrals",
                Metric::ActiveReferrals,
                &observed.active_referrals,
            ),
            ("paid", Metric::Paid, &observed.paid),
        ] {
            if values.is_empty() {
                continue;
            }
            if values.len() > room {
                return Err(invalid(
                    &path.key(key),
                    format!(
                        "{} observed months run past the end of the simulation",
                        values.len()
                    ),
                ));
            }
            for (i, value) in values.iter().enumerate() {
                finite(
                    &path.key(key).index(i),
                    *value,
                    0.0,
                    1e12,
                    "an observed value",
                )?;
            }
            series.push((metric, values.clone()));
        }
        if series.is_empty() {
            return Err(invalid(path, "[observed] has no series")
                .help("add e.g. `earned = [47, 112, 186]`"));
        }
        Ok(Observed {
            start: observed.start,
            series,
        })
    }

    fn optional_param(
        &mut self,
        spec: &Option<InputSpec>,
        path: &KeyPath,
        label: &str,
        domain: Domain,
    ) -> Result<Option<Param>> {
        spec.as_ref()
            .map(|spec| self.param(spec, path, label, domain))
            .transpose()
    }

    fn param_or(
        &mut self,
        spec: &Option<InputSpec>,
        path: &KeyPath,
        label: &str,
        domain: Domain,
        default: f64,
    ) -> Result<Param> {
        Ok(self
            .optional_param(spec, path, label, domain)?
            .unwrap_or(Param::Fixed(default)))
    }

    /// Checks an input against its domain; registers it as uncertain if it is.
    fn param(
        &mut self,
        spec: &InputSpec,
        path: &KeyPath,
        label: &str,
        domain: Domain,
    ) -> Result<Param> {
        self.labels.push((path.to_string(), label.to_string()));
        let dist = match spec {
            InputSpec::Fixed(value) => {
                if !domain.contains(*value) {
                    return Err(invalid(
                        path,
                        format!(
                            "{} is out of range: this field takes {}",
                            fmt_value(*value),
                            domain.describe()
                        ),
                    )
                    .help(range_help(*value, &domain)));
                }
                return Ok(Param::Fixed(*value));
            }
            InputSpec::Interval { low, high } => interval(path, *low, *high, domain)?,
            InputSpec::Dist(spec) => Some(distribution(path, spec, domain)?),
        };
        let dist = match dist {
            Some(dist) => dist,
            None => {
                let InputSpec::Interval { low, .. } = spec else {
                    unreachable!("only intervals collapse")
                };
                return Ok(Param::Fixed(*low));
            }
        };
        self.inputs.push(UncertainInput {
            key: path.to_string(),
            label: label.to_string(),
            dist,
            unit: domain.unit,
        });
        Ok(Param::Drawn(self.inputs.len() - 1))
    }
}

/// A program without plans pays a bounty per new paying referral and
/// nothing else: what would need a plan's price is refused where it is
/// written, and so is a program that would earn nothing at all.
fn bounty_only(section: &ProgramSection, path: &KeyPath) -> Result<()> {
    let name = &section.name;
    let needs_price = [
        ("first_order_rate", section.first_order_rate.is_some()),
        ("recurring_rate", section.recurring_rate.is_some()),
        ("recurring_schedule", !section.recurring_schedule.is_empty()),
        ("recurring_months", section.recurring_months.is_some()),
        ("upgrade_rate", section.upgrade_rate.is_some()),
        ("mix_concentration", section.mix_concentration.is_some()),
        ("tiers", !section.tiers.is_empty()),
    ];
    if let Some((field, _)) = needs_price.iter().find(|(_, present)| *present) {
        return Err(invalid(
            &path.key(field),
            format!("`{field}` applies to plans' prices, and program `{name}` has no plans"),
        )
        .help("add [[programs.plans]] with a name and price, or keep only `bounty` (and `refund_rate`) for a bounty-only program"));
    }
    if section.bounty.is_none() {
        return Err(invalid(path, format!("program `{name}` has no plans and no bounty, so it earns nothing"))
            .help("add [[programs.plans]] with a name, price, share and churn, or `bounty = 50` (dollars per new paying referral) for a bounty-only program"));
    }
    Ok(())
}

/// The programs a content entry promotes, with their shares of its clicks:
/// `program = "..."` (or the only program) is one link of share 1;
/// `programs = [{ name, share }, ...]` several, whose shares sum to 1.
fn links(section: &ContentSection, path: &KeyPath, file: &ScenarioFile) -> Result<Vec<Link>> {
    let name = &section.name;
    let find = |wanted: &str, at: &KeyPath| -> Result<usize> {
        file.programs
            .iter()
            .position(|p| p.name.trim().eq_ignore_ascii_case(wanted.trim()))
            .ok_or_else(|| {
                let mut error = invalid(at, format!("no program is named `{wanted}`"));
                error.help = super::diagnostic::did_you_mean(
                    wanted,
                    file.programs.iter().map(|p| p.name.as_str()),
                )
                .or_else(|| {
                    Some(format!(
                        "programs in this scenario: {}",
                        file.programs
                            .iter()
                            .map(|p| p.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                });
                error
            })
    };
    match (&section.program, &section.programs) {
        (Some(_), Some(_)) => Err(invalid(
            &path.key("programs"),
            format!("content `{name}` gives both `program` and `programs`"),
        )
        .help("keep `program = \"...\"` for one program, or `programs = [{ name = \"...\", share = 0.7 }, ...]` for several")),
        (Some(wanted), None) => Ok(vec![Link {
            program: find(wanted, &path.key("program"))?,
            share: 1.0,
        }]),
        (None, Some(shares)) => {
            let list = path.key("programs");
            if shares.is_empty() {
                return Err(invalid(&list, format!("content `{name}` promotes no program"))
                    .help("list each program with its share of the clicks: programs = [{ name = \"...\", share = 0.7 }, { name = \"...\", share = 0.3 }]"));
            }
            let mut links: Vec<Link> = Vec::new();
            for (i, entry) in shares.iter().enumerate() {
                let at = list.index(i);
                let program = find(&entry.name, &at.key("name"))?;
                if links.iter().any(|link| link.program == program) {
                    return Err(invalid(
                        &at.key("name"),
                        format!("content `{name}` lists program `{}` twice", entry.name),
                    )
                    .help("list each program once, with its whole share of the clicks"));
                }
                let share = finite(&at.key("share"), entry.share, 0.0, 1.0, "`share`")?;
                links.push(Link { program, share });
            }
            let total: f64 = links.iter().map(|link| link.share).sum();
            if (total - 1.0).abs() > 1e-6 {
                return Err(invalid(
                    &list,
                    format!(
                        "the shares of content `{name}`'s programs sum to {}, not 1",
                        (total * 1e9).round() / 1e9
                    ),
                )
                .help("each share is the fraction of the entry's clicks going to that program; make them add up to 1"));
            }
            Ok(links)
        }
        (None, None) if file.programs.len() == 1 => Ok(vec![Link {
            program: 0,
            share: 1.0,
        }]),
        (None, None) => Err(invalid(
            path,
            format!("content `{name}` does not say which program it links to"),
        )
        .help("add `program = \"...\"` naming one of the [[programs]] (or `programs = [...]` with shares for several)")),
    }
}

/// A plan's `billing`: "monthly" (the default) or "one-time".
fn plan_billing(plan: &PlanSection, path: &KeyPath) -> Result<Billing> {
    match plan.billing.as_deref().map(|text| text.trim().to_ascii_lowercase()) {
        None => Ok(Billing::Monthly),
        Some(text) if text == "monthly" => Ok(Billing::Monthly),
        Some(text) if matches!(text.as_str(), "one-time" | "one time" | "onetime" | "once") => {
            Ok(Billing::OneTime)
        }
        Some(_) => Err(invalid(
            &path.key("billing"),
            format!("unknown billing `{}`", plan.billing.as_deref().unwrap_or_default()),
        )
        .help("use \"monthly\" (a subscription that renews) or \"one-time\" (charged once, such as a course)")),
    }
}

/// A one-time plan is charged once: churn and upgrades, which happen at
/// renewals, are refused where they are written.
fn one_time_has_no_renewals(plan: &PlanSection, path: &KeyPath) -> Result<()> {
    let renewal_fields = [
        ("churn", plan.churn.is_some()),
        ("churn_sbg", plan.churn_sbg.is_some()),
        ("churn_weibull", plan.churn_weibull.is_some()),
        ("upgrade_to", plan.upgrade_to.is_some()),
        ("upgrade_probability", plan.upgrade_probability.is_some()),
    ];
    match renewal_fields.iter().find(|(_, present)| *present) {
        Some((field, _)) => Err(invalid(
            &path.key(field),
            format!(
                "plan `{}` is one-time, so it has no renewals for `{field}` to act on",
                plan.name
            ),
        )
        .help("remove it, or set billing = \"monthly\" for a subscription")),
        None => Ok(()),
    }
}

fn metric(path: &KeyPath, text: &str) -> Result<Metric> {
    let metric: Metric = text.parse().map_err(|message| invalid(path, message))?;
    if !Metric::TARGETABLE.contains(&metric) {
        let names: Vec<&str> = Metric::TARGETABLE.iter().map(|m| m.key()).collect();
        return Err(invalid(path, format!("`{text}` cannot be used here"))
            .help(format!("use one of {}", names.join(", "))));
    }
    Ok(metric)
}

/// A 90% interval: beta for rates, lognormal for everything else.
/// `None` when low == high (a fixed value written as an interval).
fn interval(path: &KeyPath, low: f64, high: f64, domain: Domain) -> Result<Option<Dist>> {
    if low > high {
        return Err(invalid(
            path,
            format!("the interval's low end ({low}) is above its high end ({high})"),
        )
        .help(format!("write it low..high: \"{high}..{low}\"")));
    }
    if let (Some(low_fraction), Some(high_fraction)) = (
        percent_as_fraction(low, &domain),
        percent_as_fraction(high, &domain),
    ) {
        return Err(invalid(
            path,
            format!(
                "the interval {}..{} is out of range: this field takes {}",
                fmt_value(low),
                fmt_value(high),
                domain.describe()
            ),
        )
        .help(format!(
            "did you mean \"{low_fraction}..{high_fraction}\" (\"{}%..{}%\")?",
            fmt_number(low),
            fmt_number(high)
        )));
    }
    for end in [low, high] {
        if !domain.contains(end) {
            return Err(invalid(
                path,
                format!(
                    "the interval end {} is out of range: this field takes {}",
                    fmt_value(end),
                    domain.describe()
                ),
            )
            .help(limits_help(end, &domain)));
        }
    }
    if low == high {
        return Ok(None);
    }
    // A growth rate may be negative; an interval reaching zero or below
    // (a list that may shrink) cannot be a beta on 0..1, so it is a normal
    // with the interval's 5th and 95th percentiles, truncated to the
    // field's range.
    if domain.unit == Unit::Rate && domain.min < 0.0 && low <= 0.0 {
        return Ok(Some(Dist::Normal {
            mean: (low + high) / 2.0,
            sd: (high - low) / (2.0 * dist::Z95),
            min: domain.min,
            max: domain.max,
        }));
    }
    if domain.unit == Unit::Rate && domain.max <= 1.0 {
        if low <= 0.0 || high >= 1.0 {
            return Err(
                invalid(path, "a rate interval must lie strictly between 0 and 1")
                    .help("e.g. \"0.02..0.06\" or \"2%..6%\""),
            );
        }
        return dist::beta_from_interval(low, high)
            .map(Some)
            .ok_or_else(|| {
                invalid(
                    path,
                    format!("no beta distribution has 90% of its mass in {low}..{high}"),
                )
                .help("widen the interval, or write a single number if the rate is known")
            });
    }
    if low <= 0.0 {
        return Err(invalid(
            path,
            "the low end of an amount's interval must be above 0 (it is read as a lognormal)",
        )
        .help("use a small positive low end, or { dist = \"uniform\", min = 0, max = ... }"));
    }
    Ok(Some(dist::lognormal_from_interval(low, high)))
}

fn distribution(path: &KeyPath, spec: &DistSpec, domain: Domain) -> Result<Dist> {
    let Some(kind) = spec.dist else {
        return Err(invalid(path, "the distribution table has no `dist`")
            .help("add dist = \"uniform\" | \"normal\" | \"lognormal\" | \"beta\" | \"gamma\" | \"triangular\" | \"pert\""));
    };
    let fields = [
        ("min", spec.min),
        ("max", spec.max),
        ("mode", spec.mode),
        ("mean", spec.mean),
        ("sd", spec.sd),
        ("median", spec.median),
        ("sigma", spec.sigma),
        ("alpha", spec.alpha),
        ("beta", spec.beta),
        ("shape", spec.shape),
        ("scale", spec.scale),
        ("p5", spec.p5),
        ("p95", spec.p95),
    ];
    for (name, value) in fields {
        if let Some(value) = value
            && !value.is_finite()
        {
            return Err(invalid(
                &path.key(name),
                format!("`{name}` must be a finite number, not {value}"),
            )
            .help("nan and inf are not allowed; write a finite number"));
        }
    }
    let name = format!("{kind:?}").to_lowercase();
    // Which combinations of fields each distribution accepts.
    let forms: &[&[&str]] = match kind {
        DistKind::Uniform => &[&["min", "max"]],
        DistKind::Normal => &[
            &["mean", "sd"],
            &["mean", "sd", "min"],
            &["mean", "sd", "max"],
            &["mean", "sd", "min", "max"],
        ],
        DistKind::Lognormal => &[&["median", "sigma"], &["mean", "sd"], &["p5", "p95"]],
        DistKind::Beta => &[&["alpha", "beta"], &["mean", "sd"], &["p5", "p95"]],
        DistKind::Gamma => &[&["shape", "scale"], &["mean", "sd"]],
        DistKind::Triangular | DistKind::Pert => &[&["min", "mode", "max"]],
    };
    let given: Vec<&str> = fields
        .iter()
        .filter(|(_, v)| v.is_some())
        .map(|(n, _)| *n)
        .collect();
    if !forms
        .iter()
        .any(|form| form.len() == given.len() && form.iter().all(|f| given.contains(f)))
    {
        let ways: Vec<String> = forms.iter().map(|form| form.join(" + ")).collect();
        return Err(invalid(
            path,
            format!(
                "a {name} distribution is given by {}, but this one has {}",
                ways.join(" or "),
                if given.is_empty() {
                    "none of them".to_string()
                } else {
                    given.join(" + ")
                }
            ),
        ));
    }
    let get = |field: &str| {
        fields
            .iter()
            .find(|(n, _)| *n == field)
            .and_then(|(_, v)| *v)
            .expect("checked form")
    };
    let positive = |field: &str| -> Result<f64> {
        let value = get(field);
        if value <= 0.0 {
            return Err(invalid(
                &path.key(field),
                format!("`{field}` must be above 0, not {value}"),
            ));
        }
        Ok(value)
    };
    let dist = match kind {
        DistKind::Uniform => {
            let (min, max) = (get("min"), get("max"));
            if min >= max {
                return Err(invalid(
                    path,
                    format!("uniform needs min < max, but min = {min} and max = {max}"),
                ));
            }
            Dist::Uniform { min, max }
        }
        DistKind::Normal => {
            let (mean, sd) = (get("mean"), positive("sd")?);
            let min = spec.min.unwrap_or(f64::NEG_INFINITY).max(domain.min);
            let max = spec.max.unwrap_or(f64::INFINITY).min(domain.max);
            if min >= max {
                return Err(invalid(
                    path,
                    format!("the normal's bounds leave nothing: min {min}, max {max}"),
                ));
            }
            let dist = Dist::Normal { mean, sd, min, max };
            let normal = statrs::distribution::Normal::new(mean, sd).expect("sd > 0");
            use statrs::distribution::ContinuousCDF;
            if normal.cdf(max) - normal.cdf(min) < 1e-6 {
                return Err(invalid(
                    path,
                    format!(
                        "a normal with mean {} and sd {} has almost no mass inside {} .. {}",
                        fmt_value(mean),
                        fmt_value(sd),
                        fmt_value(min),
                        fmt_value(max)
                    ),
                )
                .help("move the mean inside the allowed range"));
            }
            dist
        }
        DistKind::Lognormal => {
            if given.contains(&"median") {
                Dist::Lognormal {
                    mu: positive("median")?.ln(),
                    sigma: positive("sigma")?,
                }
            } else if given.contains(&"mean") {
                let (mean, sd) = (positive("mean")?, positive("sd")?);
                let sigma2 = (1.0 + (sd / mean).powi(2)).ln();
                Dist::Lognormal {
                    mu: mean.ln() - sigma2 / 2.0,
                    sigma: sigma2.sqrt(),
                }
            } else {
                let (low, high) = (positive("p5")?, positive("p95")?);
                if low >= high {
                    return Err(invalid(path, "lognormal needs p5 < p95"));
                }
                dist::lognormal_from_interval(low, high)
            }
        }
        DistKind::Beta => {
            if given.contains(&"alpha") {
                Dist::Beta {
                    alpha: positive("alpha")?,
                    beta: positive("beta")?,
                }
            } else if given.contains(&"mean") {
                let (mean, sd) = (get("mean"), get("sd"));
                dist::beta_from_moments(mean, sd).ok_or_else(|| {
                    invalid(path, format!("no beta distribution has mean {mean} and sd {sd}"))
                        .help(format!("a beta's sd must be below sqrt(mean (1 - mean)) = {:.4} and its mean strictly between 0 and 1", (mean * (1.0 - mean)).max(0.0).sqrt()))
                })?
            } else {
                let (low, high) = (get("p5"), get("p95"));
                dist::beta_from_interval(low, high).ok_or_else(|| {
                    invalid(
                        path,
                        format!("no beta distribution has 90% of its mass in {low}..{high}"),
                    )
                    .help("p5 and p95 must satisfy 0 < p5 < p95 < 1")
                })?
            }
        }
        DistKind::Gamma => {
            if given.contains(&"shape") {
                Dist::Gamma {
                    shape: positive("shape")?,
                    scale: positive("scale")?,
                }
            } else {
                let (mean, sd) = (positive("mean")?, positive("sd")?);
                Dist::Gamma {
                    shape: (mean / sd).powi(2),
                    scale: sd * sd / mean,
                }
            }
        }
        DistKind::Triangular | DistKind::Pert => {
            let (min, mode, max) = (get("min"), get("mode"), get("max"));
            if !(min <= mode && mode <= max && min < max) {
                return Err(invalid(
                    path,
                    format!(
                        "{name} needs min <= mode <= max with min < max, but has {min}, {mode}, {max}"
                    ),
                ));
            }
            if kind == DistKind::Triangular {
                Dist::Triangular { min, mode, max }
            } else {
                Dist::Pert { min, mode, max }
            }
        }
    };
    // Extreme shapes make sampling and quantiles fail or never finish
    // (a beta with alpha = 1e300 hung `affsim check`).
    let shape_ok = |x: f64| (1e-3..=1e6).contains(&x);
    match dist {
        Dist::Beta { alpha, beta } if !shape_ok(alpha) || !shape_ok(beta) => {
            return Err(invalid(
                path,
                format!(
                    "this beta is too extreme to simulate: alpha {}, beta {}",
                    fmt_value(alpha),
                    fmt_value(beta)
                ),
            )
            .help("alpha and beta must lie between 0.001 and 1e6 (for mean + sd, a larger sd); for a near-certain value write a plain number"));
        }
        Dist::Gamma { shape, scale } if !(shape_ok(shape) && scale.is_finite() && scale > 0.0) => {
            return Err(invalid(
                path,
                format!(
                    "this gamma is too extreme to simulate: shape {}, scale {}",
                    fmt_value(shape),
                    fmt_value(scale)
                ),
            )
            .help("the shape ((mean / sd)²) must lie between 0.001 and 1e6; for a near-certain value write a plain number"));
        }
        Dist::Lognormal { mu, sigma }
            if !(mu.is_finite() && sigma.is_finite() && sigma > 0.0 && sigma <= 10.0) =>
        {
            return Err(invalid(
                path,
                format!(
                    "this lognormal is too extreme to simulate: sigma {}",
                    fmt_value(sigma)
                ),
            )
            .help("sigma must lie above 0 and at most 10"));
        }
        _ => {}
    }
    // Unbounded tails (lognormal, gamma) are fine where all but a negligible
    // share of the mass lies inside the field's range.
    if matches!(dist, Dist::Lognormal { .. } | Dist::Gamma { .. })
        && domain.max.is_finite()
        && domain.min <= 0.0
    {
        let top = dist.quantile(1.0 - 1e-9);
        if !(top.is_finite() && top <= domain.max) {
            return Err(invalid(
                path,
                format!(
                    "this {name} reaches {} and beyond, outside this field's range ({})",
                    fmt_value(top),
                    domain.describe()
                ),
            )
            .help("narrow the distribution (smaller sd or sigma) or lower its median"));
        }
        return Ok(dist);
    }
    // The support must lie inside the field's domain.
    let (low, high) = match dist {
        Dist::Uniform { min, max }
        | Dist::Triangular { min, max, .. }
        | Dist::Pert { min, max, .. } => (min, max),
        Dist::Normal { .. } => (domain.min, domain.min),
        Dist::Lognormal { .. } | Dist::Gamma { .. } => (f64::MIN_POSITIVE, f64::INFINITY),
        Dist::Beta { .. } => (0.0, 1.0),
    };
    let inside = |x: f64| x >= domain.min && x <= domain.max;
    if !matches!(dist, Dist::Normal { .. })
        && !(inside(low) && (high.is_infinite() && domain.max.is_infinite() || inside(high)))
    {
        let hint = if domain.unit == Unit::Rate {
            "for a rate use beta, or uniform/triangular/pert inside 0..1"
        } else {
            "keep the distribution inside the field's range"
        };
        return Err(invalid(
            path,
            format!(
                "a {name} distribution can fall outside this field's range ({})",
                domain.describe()
            ),
        )
        .help(hint));
    }
    Ok(dist)
}

/// Month indices of each copy of a repeating entry.
fn repeat_months(
    repeat: &RepeatSection,
    path: &KeyPath,
    start: Month,
    first: i32,
    last_month: i32,
) -> Result<Vec<i32>> {
    let step_days = match (repeat.every_months, repeat.every_weeks, repeat.per_month) {
        (Some(months), None, None) => {
            whole(&path.key("every_months"), months, 1, 120, "`every_months`")? as f64 * 365.25
                / 12.0
        }
        (None, Some(weeks), None) => {
            whole(&path.key("every_weeks"), weeks, 1, 520, "`every_weeks`")? as f64 * 7.0
        }
        (None, None, Some(per_month)) => {
            365.25 / 12.0 / finite(&path.key("per_month"), per_month, 0.01, 31.0, "`per_month`")?
        }
        _ => {
            return Err(invalid(
                path,
                "a repeat needs exactly one of `every_months`, `every_weeks` or `per_month`",
            )
            .help("e.g. repeat = { every_months = 1, count = 6 } or { per_month = 2, until = \"end\" }"));
        }
    };
    let month_days = 365.25 / 12.0;
    let offset = |i: usize| first + ((i as f64 * step_days + 1e-9) / month_days).floor() as i32;
    let mut copies = Vec::new();
    match (repeat.count, &repeat.until) {
        (Some(count), None) => {
            let count = whole(&path.key("count"), count, 1, 10_000, "`count`")? as usize;
            copies.extend((0..count).map(offset).take_while(|m| *m <= last_month));
        }
        (None, Some(until)) => {
            let until_index = if until.trim().eq_ignore_ascii_case("end") {
                last_month
            } else {
                let month: Month = until.parse().map_err(|message: String| {
                    invalid(&path.key("until"), message)
                        .help("use a month such as \"2026-09\" or \"end\"")
                })?;
                let index = month.since(start);
                if index < first {
                    return Err(invalid(
                        &path.key("until"),
                        format!(
                            "the repeat ends ({}) before the first copy is published",
                            month.long()
                        ),
                    ));
                }
                index.min(last_month)
            };
            let mut i = 0;
            while offset(i) <= until_index && i < 10_000 {
                copies.push(offset(i));
                i += 1;
            }
        }
        _ => {
            return Err(
                invalid(path, "a repeat needs exactly one of `count` or `until`").help(
                    "e.g. { every_weeks = 2, until = \"end\" } or { every_months = 1, count = 6 }",
                ),
            );
        }
    }
    Ok(copies)
}
