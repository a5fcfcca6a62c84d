//! `affsim init`: a commented starter scenario a newcomer edits into their own.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;

use crate::app::Failure;
use crate::calendar::Month;

#[derive(Args, Debug, Clone)]
pub struct InitArgs {
    /// The scenario file to create; its name (without .toml) names the scenario
    #[arg(default_value = "scenario.toml")]
    pub file: PathBuf,
    /// First simulated month, YYYY-MM (default: this month)
    #[arg(long, value_name = "YYYY-MM")]
    pub start: Option<Month>,
}

/// The starter scenario, with `{NAME}`, `{START}`, `{END}`, `{TARGET}` and
/// `{TARGET_LONG}` filled in by [`starter`]. Every section is present, with
/// numbers typical of a small creator promoting a SaaS program, so the file
/// runs as written and each comment says what to change.
const TEMPLATE: &str = r#"# A starter affsim scenario: edit the numbers to describe your own content and program.
#
#   affsim check {FILE}   validate it and print it with every default filled in
#   affsim run {FILE}     simulate it: the odds of each target, bands, charts
#
# Numbers you are unsure of are written as a range, "low..high": a 90% interval, meaning
# "I am 90% sure the true value lies between low and high" (5% chance it is lower, 5% higher).
# affsim draws the true value once per simulated future, so the results show both what you
# do not know (your real click-through rate, say) and month-to-month luck. Plain numbers are
# known for certain. Rates are fractions or percentages: 0.25, "25%", "2%..4%".
# Every field is documented in docs/SCENARIO.md of the affsim repository.

name = "{NAME}"                  # results go to output/{NAME}/; charts are titled with it
description = "My affiliate income: one blog post, one video, a newsletter"

[simulation]
start = "{START}"              # first month simulated (YYYY-MM), usually this month
end = "{END}"                # last month simulated (or: months = 12)
paths = 100000                 # simulated futures; more paths = smaller ± on every chance
seed = 1                       # the same seed gives the same numbers
headline = "mrr"               # the metric tabulated month by month (mrr = recurring run-rate)

[funnel]
# Defaults for every [[content]] entry below (an entry may set its own).
signup_rate = "0.10..0.25"     # share of the people clicking your link who sign up
paid_rate = "0.20..0.40"       # share of sign-ups who become paying customers
trial_months = 0               # months between sign-up and first payment (free trial)

[[programs]]
name = "My program"            # the affiliate program you promote
first_order_rate = 0.20        # 20% of a new customer's first payment
recurring_rate = 0.20          # 20% of every renewal ...
# recurring_months = 12        # ... only for the first 12 renewals (omit: for life)
upgrade_rate = 0.10            # 10% of the new plan's price when a customer upgrades
refund_rate = 0.03             # share of new customers who refund: their commission is clawed back
hold_days = 30                 # commission is held this long before it can be paid
payout_schedule = "monthly"    # "monthly", "net-15", "net-30", "net-60" or "15th of next month"
payout_minimum = 50            # balances below this carry over to the next payout

# A bonus tier (optional): from the 10th new paying referral in a month, 25% on first orders.
# [[programs.tiers]]
# after = 10
# per = "month"
# first_order_rate = 0.25

[[programs.plans]]
name = "Basic"
price = 29                     # $ per month
share = 0.8                    # share of new paying customers choosing this plan
churn = "0.04..0.10"           # share of customers cancelling each month
upgrade_to = "Team"
upgrade_probability = 0.01     # share of renewing Basic customers who upgrade each month

[[programs.plans]]
name = "Team"
price = 99
share = 0.2
# Churn that falls as customers stay (shifted-beta-geometric: the fickle leave first);
# alpha = 1, beta = 12 means about 8% leave at the first renewal.
churn_sbg = { alpha = 1.0, beta = "8..16" }

[[content]]
name = "Blog: my review of the product"
kind = "blog"
publish = "{START}"
visits = "1000..4000"          # monthly visits once the post ranks
ramp_months = 3                # search traffic takes about three months to reach its peak
half_life_months = 24          # then slowly declines: half the traffic after two years
ctr = "0.02..0.05"             # share of readers who click the affiliate link
noise = 0.3                    # how much traffic swings month to month (0.3 = ±30%)

[[content]]
name = "Video: tutorial"
kind = "video"
publish = "{SECOND}"
visits = "500..3000"           # views in its best month
ramp_months = 1                # videos peak at once ...
half_life_months = 4           # ... and fade: half the views every four months
ctr = "0.01..0.03"             # viewers who click the link in the description
# repeat = { every_months = 1, count = 6 }   # publish a new one every month, six in all

[[content]]
name = "Newsletter"
kind = "newsletter"
publish = "{START}"
subscribers = "800..1200"      # subscribers now
subscriber_growth = "0.01..0.04" # monthly list growth (0.02 = 2% a month)
sends_per_month = 2            # issues that carry the link
open_rate = "0.30..0.45"       # share of sends opened
click_rate = "0.005..0.02"     # share of opens that click the link

[[targets]]
label = "$300/month recurring by {TARGET_LONG}"
metric = "mrr"                 # also: earned, paid, cumulative_earned, new_referrals, ...
at_least = 300
month = "{TARGET}"

[[targets]]
label = "$1,000 in cash paid out by {END_LONG}"
metric = "cumulative_paid"
at_least = 1000
month = "{END}"

# Months you have already earned (optional): affsim then conditions every answer on them.
# Write them starting at `start`, one number per month, from your affiliate dashboard.
# [observed]
# start = "{START}"
# earned = [35, 80]

# Strategies to compare with `affsim compare {FILE}` (`affsim run` ignores them):
# each variant is this scenario with a few fields changed, in --set syntax.
[[variants]]
name = "a new video every month"
set = ["content[1].repeat={ every_months = 1, until = \"end\" }"]
"#;

/// The starter scenario for `file`, simulating twelve months from `start`.
pub fn starter(file: &Path, start: Month) -> String {
    let name = file
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .filter(|stem| !stem.trim().is_empty())
        .unwrap_or_else(|| "my-scenario".into());
    let end = start.plus(11);
    let target = start.plus(8);
    TEMPLATE
        .replace("{FILE}", &file.display().to_string())
        .replace("{NAME}", &name.replace(['"', '\\'], "_"))
        .replace("{START}", &start.to_string())
        .replace("{SECOND}", &start.plus(1).to_string())
        .replace("{END}", &end.to_string())
        .replace("{END_LONG}", &end.long())
        .replace("{TARGET}", &target.to_string())
        .replace("{TARGET_LONG}", &target.long())
}

/// Writes the starter scenario to `file`, never over an existing file.
pub fn write(file: &Path, start: Month) -> Result<(), String> {
    let text = starter(file, start);
    let mut handle = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(file)
        .map_err(|error| match error.kind() {
            std::io::ErrorKind::AlreadyExists => format!(
                "{} already exists; affsim init never overwrites a file\n  help: give another name, e.g. affsim init my-scenario.toml",
                file.display()
            ),
            _ => format!("cannot create {}: {error}", file.display()),
        })?;
    handle
        .write_all(text.as_bytes())
        .map_err(|error| format!("cannot write {}: {error}", file.display()))
}

/// `affsim init`: writes the starter and says what to do next.
pub fn run(args: &InitArgs) -> Result<(), Failure> {
    let start = args.start.unwrap_or_else(this_month);
    write(&args.file, start).map_err(|message| Failure::Input(format!("error: {message}")))?;
    let file = args.file.display();
    crate::app::deliver::print_stdout(&format!(
        "Wrote {file}, a starter scenario simulating {} to {}.\n\
         Edit its numbers (the comments say what each means), then:\n  \
         affsim check {file}   to validate it\n  \
         affsim run {file}     to simulate it",
        start.long(),
        start.plus(11).long()
    ))
}

/// This month in UTC, from the system clock.
pub fn this_month() -> Month {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    let (year, month) = civil_month(seconds / 86_400);
    Month::new(year, month).unwrap_or_else(|| Month::new(2026, 1).expect("a valid month"))
}

/// The year and month of a day counted from 1970-01-01 (Howard Hinnant's
/// days-to-civil algorithm, proleptic Gregorian calendar).
fn civil_month(days: u64) -> (i32, u32) {
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year as i32, month as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_months_of_known_days() {
        assert_eq!(civil_month(0), (1970, 1));
        assert_eq!(civil_month(31), (1970, 2));
        // 2000-02-29 and 2000-03-01
        assert_eq!(civil_month(11_016), (2000, 2));
        assert_eq!(civil_month(11_017), (2000, 3));
        // 2026-12-02
        assert_eq!(civil_month(20_789), (2026, 12));
    }

    #[test]
    fn the_name_follows_the_file() {
        let text = starter(Path::new("dir/my plan.toml"), Month::new(2026, 11).unwrap());
        assert!(text.contains("name = \"my plan\""));
        assert!(text.contains("start = \"2026-11\""));
        assert!(text.contains("end = \"2027-10\""));
        for placeholder in ["{FILE}", "{NAME}", "{START}", "{SECOND}", "{END", "{TARGET"] {
            assert!(
                !text.contains(placeholder),
                "{placeholder} left in the starter"
            );
        }
    }
}
