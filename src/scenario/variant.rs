//! `[[variants]]`: strategies written as changes to a scenario, taking over
//! from a month (docs/SCENARIO.md, docs/MODEL.md §10).

use std::collections::HashSet;

use super::file::ScenarioFile;
use super::keypath::{KeyPath, Segment};
use super::resolve::Invalid;
use crate::calendar::Month;
use crate::model::{ChangeFrom, Model};

/// When a variant's changes take over, as written in `from`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VariantFrom {
    /// `from = "start"`: the since-the-start counterfactual.
    Start,
    /// `from = "YYYY-MM"`.
    Month(Month),
    /// Not written: the month after the last observed one (the start when
    /// nothing is observed), so no variant rewrites the observed past.
    AfterHistory,
}

impl VariantFrom {
    pub fn parse(text: Option<&str>) -> Result<VariantFrom, String> {
        match text.map(str::trim) {
            None => Ok(VariantFrom::AfterHistory),
            Some(text) if text.eq_ignore_ascii_case("start") => Ok(VariantFrom::Start),
            Some(text) => text.parse().map(VariantFrom::Month),
        }
    }

    /// The month index (from the simulation start) of the first changed
    /// month for a scenario starting at `model.start` with `model`'s history.
    pub fn month_index(self, model: &Model) -> usize {
        match self {
            VariantFrom::Start => 0,
            VariantFrom::Month(month) => month.since(model.start).max(0) as usize,
            VariantFrom::AfterHistory => model.after_history(),
        }
    }
}

/// Checks the `[[variants]]` tables themselves: names, and `from`.
pub fn check(file: &ScenarioFile) -> Result<(), Invalid> {
    let mut names = HashSet::from([file.name.trim().to_lowercase()]);
    for (index, variant) in file.variants.iter().enumerate() {
        let path = KeyPath::root().key("variants").index(index);
        if variant.name.trim().is_empty() {
            return Err(Invalid {
                path: path.key("name"),
                message: "the variant name is empty".into(),
                help: Some("give the strategy a short descriptive name".into()),
            });
        }
        if !names.insert(variant.name.trim().to_lowercase()) {
            return Err(Invalid {
                path: path.key("name"),
                message: format!(
                    "two strategies are named `{}` (the scenario's own name counts)",
                    variant.name
                ),
                help: Some("strategy names must be unique: they label the comparison".into()),
            });
        }
        let from = VariantFrom::parse(variant.from.as_deref()).map_err(|message| Invalid {
            path: path.key("from"),
            message,
            help: Some(
                "write the month the changes start, e.g. from = \"2026-05\", or from = \"start\""
                    .into(),
            ),
        })?;
        if let VariantFrom::Month(month) = from
            && month < file.simulation.start
        {
            return Err(Invalid {
                path: path.key("from"),
                message: format!(
                    "the variant starts in {}, before the simulation does ({})",
                    month.long(),
                    file.simulation.start.long()
                ),
                help: Some("use from = \"start\" for a change from the first month".into()),
            });
        }
    }
    Ok(())
}

/// Renames an error in a variant's own content entry (appended after the
/// file's `base_content` entries) to where the user wrote it.
pub fn name_in_variant(mut invalid: Invalid, base_content: usize, variant: usize) -> Invalid {
    if let [Segment::Key(key), Segment::Index(index), rest @ ..] = invalid.path.0.as_slice()
        && key == "content"
        && *index >= base_content
    {
        let mut segments = vec![
            Segment::Key("variants".into()),
            Segment::Index(variant),
            Segment::Key("content".into()),
            Segment::Index(index - base_content),
        ];
        segments.extend(rest.iter().cloned());
        invalid.path = KeyPath(segments);
    }
    invalid
}

/// The strategy `variant` (its scenario as if written since the start)
/// taking over from month index `month` of `base`, the scenario as written.
/// From the start (0), it is `variant` itself. Otherwise every month before
/// `month` is the base's, and from `month` on the variant's settings apply
/// to the same paths: the same drawn inputs where the variant leaves them
/// as they were, the same streams, the referrals and traffic built up so far.
///
/// Copies published before `month` stay as the base published them (a
/// strategy cannot publish in the past): a changed `repeat` publishes its
/// copies from `month` on, and an added entry's copies before `month` are
/// left out. What a path cannot change mid-way is refused, with the fix.
pub fn take_over(base: &Model, mut variant: Model, month: usize) -> Result<Model, String> {
    if month == 0 {
        return Ok(variant);
    }
    let when = base.month(month.min(base.months - 1)).long();
    let refuse = |what: String| {
        Err(format!(
            "{what}, which a path cannot change from {when} on; write from = \"start\" to compare it since the start, or leave that change out"
        ))
    };
    if variant.start != base.start || variant.months != base.months {
        return refuse("it changes the simulated months".into());
    }
    let same_names = |a: &[String], b: &[String]| a == b;
    let names =
        |model: &Model| -> Vec<String> { model.programs.iter().map(|p| p.name.clone()).collect() };
    if !same_names(&names(base), &names(&variant)) {
        return refuse("it changes the programs".into());
    }
    for (before, after) in base.programs.iter().zip(&variant.programs) {
        let plans = |p: &crate::model::Program| -> Vec<String> {
            p.plans.iter().map(|plan| plan.name.clone()).collect()
        };
        if plans(before) != plans(after) {
            return refuse(format!("it changes the plans of `{}`", before.name));
        }
        if let Some(plan) = before
            .plans
            .iter()
            .zip(&after.plans)
            .find_map(|(old, new)| (old.billing != new.billing).then_some(old))
        {
            return refuse(format!(
                "it changes the billing of `{}` plan `{}`",
                before.name, plan.name
            ));
        }
        let lag = |p: &crate::model::Program| {
            crate::model::commission::hold_months(p.hold_days) + p.payout.lag_months
        };
        if lag(before) != lag(after) {
            return refuse(format!(
                "it changes when `{}` pays (hold_days or payout_schedule)",
                before.name
            ));
        }
        let (old_ages, new_ages) = (
            before.merged_ages(base.months),
            after.merged_ages(base.months),
        );
        if let Some(k) = (0..old_ages.len()).find(|&k| new_ages[k] > old_ages[k]) {
            return refuse(format!(
                "it makes churn or the recurring rate of `{}` plan `{}` depend on age where it did not",
                before.name, before.plans[k].name
            ));
        }
    }
    if variant.sources.len() < base.sources.len() {
        return refuse("it removes content entries".into());
    }
    for (before, after) in base.sources.iter().zip(&mut variant.sources) {
        if before.name != after.name {
            return refuse(format!("it renames content `{}`", before.name));
        }
        let programs = |source: &crate::model::Source| -> Vec<usize> {
            source.links.iter().map(|link| link.program).collect()
        };
        if programs(before) != programs(after) || before.trial_months != after.trial_months {
            return refuse(format!(
                "it changes the program or trial of content `{}`",
                before.name
            ));
        }
        let mut copies: Vec<i32> = before
            .copies
            .iter()
            .copied()
            .filter(|&c| c < month as i32)
            .collect();
        copies.extend(after.copies.iter().copied().filter(|&c| c >= month as i32));
        after.copies = copies;
    }
    for added in variant.sources.iter_mut().skip(base.sources.len()) {
        added.copies.retain(|&c| c >= month as i32);
        if added.copies.is_empty() && month < base.months {
            return Err(format!(
                "content `{}` publishes nothing from {when} on; write publish = \"{}\" or later",
                added.name,
                base.month(month.min(base.months - 1))
            ));
        }
    }
    variant.change_from = Some(Box::new(ChangeFrom {
        month,
        base: base.clone(),
    }));
    Ok(variant)
}
