//! `affsim check`: the scenario as affsim understood it, defaults filled in.

use std::fmt::Write;

use super::format::{count, money};
use super::input_value;
use crate::model::traffic::lifetime_per_peak;
use crate::model::{Billing, Churn, Model, Param, TierPeriod, Traffic, Unit};

fn param(model: &Model, value: Param, unit: Unit) -> String {
    match value {
        // A fixed value is the scenario's own figure: shown as written.
        Param::Fixed(v) if unit == Unit::Dollars => super::format::amount(v),
        Param::Fixed(v) => input_value(unit, v),
        Param::Drawn(i) if i < model.inputs.len() => {
            let input = &model.inputs[i];
            format!(
                "uncertain: {}",
                input.dist.describe(|v| input_value(input.unit, v))
            )
        }
        Param::Drawn(_) => "uncertain (plan mix)".into(),
    }
}

pub fn render(model: &Model) -> String {
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(w, "Scenario `{}` is valid.", model.name);
    let _ = writeln!(w, "\n[simulation]");
    let futures = match model.precision {
        Some(precision) => format!(
            "as many paths as it takes for the first target's chance to be within ±{} (one standard error; `precision = {precision}`)",
            crate::format::points(precision)
        ),
        None => format!("{} paths", count(model.paths as f64)),
    };
    let _ = writeln!(
        w,
        "  {} to {} ({} months), {futures}, seed {}",
        model.start.long(),
        model.end().long(),
        model.months,
        model.seed
    );
    let _ = writeln!(w, "  headline metric: {}", model.headline.key());

    for program in &model.programs {
        let _ = writeln!(w, "\nProgram `{}`", program.name);
        if program.plans.is_empty() {
            let _ = writeln!(
                w,
                "  bounty only: {} per new paying referral; refunds: {}\n  no plans, so no first-order, recurring or upgrade commission: it adds $0 to MRR and recurring commission",
                param(model, program.bounty, Unit::Dollars),
                param(model, program.refund_rate, Unit::Rate)
            );
            let _ = writeln!(
                w,
                "  payout: {} (hold {} days), minimum {}",
                program.payout.label,
                program.hold_days,
                money(program.payout_minimum)
            );
            continue;
        }
        let _ = writeln!(
            w,
            "  first order: {}",
            param(model, program.first_order_rate, Unit::Rate)
        );
        for (i, (length, value)) in program.recurring.steps.iter().enumerate() {
            let scope = match length {
                Some(n) => format!("next {n} renewals"),
                None if i == 0 => "every renewal".to_string(),
                None => "later renewals".to_string(),
            };
            let _ = writeln!(
                w,
                "  recurring ({scope}): {}",
                param(model, *value, Unit::Rate)
            );
        }
        match program.recurring.for_renewals {
            Some(n) => {
                let _ = writeln!(w, "  recurring commission stops after {n} renewals");
            }
            None => {
                let _ = writeln!(w, "  recurring commission is paid for life");
            }
        }
        let _ = writeln!(
            w,
            "  upgrades: {}; bounty: {}; refunds: {}",
            param(model, program.upgrade_rate, Unit::Rate),
            param(model, program.bounty, Unit::Dollars),
            param(model, program.refund_rate, Unit::Rate)
        );
        for tier in &program.tiers {
            let period = if tier.period == TierPeriod::Month {
                "in a month"
            } else {
                "in total"
            };
            let mut rates = Vec::new();
            if let Some(r) = tier.first_order_rate {
                rates.push(format!("first order {}", param(model, r, Unit::Rate)));
            }
            if let Some(r) = tier.recurring_rate {
                rates.push(format!("recurring {}", param(model, r, Unit::Rate)));
            }
            let _ = writeln!(
                w,
                "  tier: from {} referrals {period}: {}",
                tier.after,
                rates.join(", ")
            );
        }
        let _ = writeln!(
            w,
            "  payout: {} (hold {} days), minimum {}",
            program.payout.label,
            program.hold_days,
            money(program.payout_minimum)
        );
        for (k, plan) in program.plans.iter().enumerate() {
            if plan.billing == Billing::OneTime {
                let _ = writeln!(
                    w,
                    "  plan `{}`: price {} one-time, share {}; charged once: first-order commission only, no renewals, not in MRR",
                    plan.name,
                    param(model, plan.price, Unit::Dollars),
                    param(model, program.mix[k], Unit::Rate)
                );
                continue;
            }
            let churn = match plan.churn {
                Churn::Constant(c) => format!("monthly churn {}", param(model, c, Unit::Rate)),
                Churn::Sbg { alpha, beta } => format!(
                    "sBG churn alpha {}, beta {}",
                    param(model, alpha, Unit::Count),
                    param(model, beta, Unit::Count)
                ),
                Churn::Weibull { scale, shape } => format!(
                    "Weibull lifetime scale {}, shape {}",
                    param(model, scale, Unit::Months),
                    param(model, shape, Unit::Count)
                ),
            };
            let _ = writeln!(
                w,
                "  plan `{}`: price {}/month, share {}, {churn}",
                plan.name,
                param(model, plan.price, Unit::Dollars),
                param(model, program.mix[k], Unit::Rate)
            );
            if let Some(up) = plan.upgrade {
                let _ = writeln!(
                    w,
                    "    upgrades to `{}` with monthly probability {}",
                    program.plans[up.to].name,
                    param(model, up.probability, Unit::Rate)
                );
            }
        }
    }

    for source in &model.sources {
        let months: Vec<String> = source
            .copies
            .iter()
            .map(|c| model.start.plus(*c).short())
            .collect();
        let programs: Vec<String> = match source.links.as_slice() {
            [only] => vec![format!("`{}`", model.programs[only.program].name)],
            links => links
                .iter()
                .map(|link| {
                    format!(
                        "`{}` ({} of its clicks)",
                        model.programs[link.program].name,
                        input_value(Unit::Rate, link.share)
                    )
                })
                .collect(),
        };
        let _ = writeln!(
            w,
            "\nContent `{}` ({:?}) → {}",
            source.name,
            source.kind,
            programs.join(", ")
        );
        let _ = writeln!(w, "  published: {}", months.join(", "));
        match source.traffic {
            Traffic::Page {
                visits,
                lifetime,
                ramp_months,
                half_life_months,
            } => {
                if lifetime {
                    // The peak month follows from the lifetime: say by how much.
                    let peak = match half_life_months {
                        Some(Param::Fixed(half_life)) => {
                            let per_peak = lifetime_per_peak(ramp_months, half_life);
                            match visits {
                                Param::Fixed(total) => format!(
                                    "a peak month of {} (lifetime ÷ {per_peak:.2})",
                                    count(total / per_peak)
                                ),
                                _ => format!("each future's peak month is its lifetime ÷ {per_peak:.2}"),
                            }
                        }
                        _ => "each future's peak month is its lifetime ÷ ((ramp + 1)/2 + d/(1 − d)), d = 0.5^(1/half-life)".to_string(),
                    };
                    let _ = writeln!(
                        w,
                        "  visits over its lifetime: {}; {peak}",
                        param(model, visits, Unit::Count)
                    );
                } else {
                    let _ = writeln!(w, "  visits at peak: {}", param(model, visits, Unit::Count));
                }
                let half_life =
                    half_life_months.map_or("none".to_string(), |h| param(model, h, Unit::Months));
                let months = if ramp_months == 1 { "month" } else { "months" };
                let _ = writeln!(
                    w,
                    "  ramp-up: {ramp_months} {months}; half-life: {half_life}"
                );
                let _ = writeln!(
                    w,
                    "  click-through: {}",
                    param(model, source.click_rate, Unit::Rate)
                );
            }
            Traffic::Newsletter {
                subscribers,
                growth,
                sends_per_month,
                open_rate,
            } => {
                let _ = writeln!(
                    w,
                    "  subscribers: {}, growing {} a month",
                    param(model, subscribers, Unit::Count),
                    param(model, growth, Unit::Rate)
                );
                let _ = writeln!(
                    w,
                    "  {sends_per_month} sends a month, open rate {}, click rate {}",
                    param(model, open_rate, Unit::Rate),
                    param(model, source.click_rate, Unit::Rate)
                );
            }
        }
        let _ = writeln!(
            w,
            "  traffic noise (CV): {}",
            param(model, source.noise, Unit::Count)
        );
        if let Some(per_copy) = &source.per_copy {
            // Each copy's own factor spans exp(±1.645·σ·√spread) at 90%.
            let own = (1.645 * per_copy.sigma * per_copy.spread.sqrt()).exp();
            let _ = writeln!(
                w,
                "  copy_spread {}: {:.0}% of the size's log-variance is each copy's own (one copy is\n    within ×/÷ {own:.1} of what all copies share, 90% of the time); the rest all {} copies share",
                per_copy.spread,
                per_copy.spread * 100.0,
                source.copies.len()
            );
        } else if source.copies.len() > 1 {
            let size = match source.traffic {
                Traffic::Page { lifetime: true, .. } => "lifetime visits",
                Traffic::Page { .. } => "visits",
                Traffic::Newsletter { .. } => "subscribers",
            };
            let why = match source.traffic.size() {
                _ if source.copy_spread == 0.0 => "copy_spread 0".to_string(),
                Param::Fixed(_) => format!(
                    "their {size} are a fixed number, so only traffic noise tells them apart"
                ),
                Param::Drawn(i) => format!(
                    "copy_spread {} applies only to an interval or lognormal, and their {size} are a {} distribution, whose single draw every copy keeps; write the {size} as an interval (\"low..high\") to give each copy its own part",
                    source.copy_spread,
                    model.inputs[i].dist.family()
                ),
            };
            let _ = writeln!(
                w,
                "  all {} copies share one draw of their size: {why}",
                source.copies.len()
            );
        }
        let _ = writeln!(
            w,
            "  sign-up rate: {}; paid conversion: {}; trial: {} months",
            param(model, source.signup_rate, Unit::Rate),
            param(model, source.paid_rate, Unit::Rate),
            source.trial_months
        );
    }

    if !model.targets.is_empty() {
        let _ = writeln!(w, "\nTargets");
        for target in &model.targets {
            let _ = writeln!(w, "  {}", target.label);
            if target.threshold > 0.0
                && let Some(why) = model.never_earns(target.metric)
            {
                let _ = writeln!(w, "    warning: this target cannot be reached: {why}");
            }
        }
    }
    if let Some(observed) = &model.observed {
        let _ = writeln!(
            w,
            "\nObserved history from {} (calibrates every run)",
            observed.start.long()
        );
        for (metric, values) in &observed.series {
            let values: Vec<String> = values
                .iter()
                .map(|v| super::money_or_count(*metric, *v))
                .collect();
            let _ = writeln!(w, "  {}: {}", metric.key(), values.join(", "));
        }
    }
    out
}

/// One `[[variants]]` entry as `check` lists it: when it takes over, what it
/// sets and the content it adds.
pub fn variant(name: &str, set: &[String], model: &Model) -> String {
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(w, "  {name}: {}", strategy_start(model));
    if !set.is_empty() {
        let _ = writeln!(w, "    sets {}", set.join(", "));
    }
    for source in model.sources.iter().filter(|s| s.own_streams) {
        let first = source.copies.first().map_or(0, |c| *c);
        let _ = writeln!(
            w,
            "    adds `{}`: {} {}, first in {}",
            source.name,
            source.copies.len(),
            if source.copies.len() == 1 {
                "copy"
            } else {
                "copies"
            },
            model.start.plus(first).long()
        );
    }
    out
}

/// When a strategy's changes apply, in words: from a month on (the months
/// before are the scenario as written), or since the start.
pub fn strategy_start(model: &Model) -> String {
    match model.takes_over() {
        0 => "changes since the start (a what-if from the first month)".to_string(),
        month if month >= model.months => format!(
            "changes from {}, after the simulation ends: the scenario as written",
            model.month(model.months - 1).plus(1).long()
        ),
        month => format!(
            "changes from {} on (earlier months are the scenario as written)",
            model.month(month).long()
        ),
    }
}
