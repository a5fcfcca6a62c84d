//! The quantities tracked per path and month.

use std::str::FromStr;

use serde::Serialize;

/// Every per-path monthly series the engine stores. The order is the storage
/// order of a path's record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    Visits,
    Clicks,
    Signups,
    NewReferrals,
    ActiveReferrals,
    Mrr,
    FirstOrder,
    Recurring,
    Upgrade,
    Bounty,
    Clawback,
    Earned,
    CumulativeEarned,
    Paid,
    CumulativePaid,
}

impl Metric {
    pub const ALL: [Metric; 15] = [
        Metric::Visits,
        Metric::Clicks,
        Metric::Signups,
        Metric::NewReferrals,
        Metric::ActiveReferrals,
        Metric::Mrr,
        Metric::FirstOrder,
        Metric::Recurring,
        Metric::Upgrade,
        Metric::Bounty,
        Metric::Clawback,
        Metric::Earned,
        Metric::CumulativeEarned,
        Metric::Paid,
        Metric::CumulativePaid,
    ];
    pub const COUNT: usize = Metric::ALL.len();

    /// The commission kinds, whose sum is `Earned`.
    pub const KINDS: [Metric; 5] = [
        Metric::FirstOrder,
        Metric::Recurring,
        Metric::Upgrade,
        Metric::Bounty,
        Metric::Clawback,
    ];

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn key(self) -> &'static str {
        match self {
            Metric::Visits => "visits",
            Metric::Clicks => "clicks",
            Metric::Signups => "signups",
            Metric::NewReferrals => "new_referrals",
            Metric::ActiveReferrals => "active_referrals",
            Metric::Mrr => "mrr",
            Metric::FirstOrder => "first_order",
            Metric::Recurring => "recurring",
            Metric::Upgrade => "upgrade",
            Metric::Bounty => "bounty",
            Metric::Clawback => "clawback",
            Metric::Earned => "earned",
            Metric::CumulativeEarned => "cumulative_earned",
            Metric::Paid => "paid",
            Metric::CumulativePaid => "cumulative_paid",
        }
    }

    /// How the metric reads in a sentence: "recurring MRR is at least $500".
    pub fn phrase(self) -> &'static str {
        match self {
            Metric::Visits => "visits",
            Metric::Clicks => "affiliate-link clicks",
            Metric::Signups => "sign-ups",
            Metric::NewReferrals => "new paying referrals",
            Metric::ActiveReferrals => "active paying referrals",
            Metric::Mrr => "recurring commission MRR",
            Metric::FirstOrder => "first-order commission",
            Metric::Recurring => "recurring commission earned",
            Metric::Upgrade => "upgrade commission",
            Metric::Bounty => "bounty commission",
            Metric::Clawback => "clawbacks",
            Metric::Earned => "commission earned",
            Metric::CumulativeEarned => "cumulative commission earned",
            Metric::Paid => "cash paid out",
            Metric::CumulativePaid => "cumulative cash paid out",
        }
    }

    pub fn is_money(self) -> bool {
        !matches!(
            self,
            Metric::Visits
                | Metric::Clicks
                | Metric::Signups
                | Metric::NewReferrals
                | Metric::ActiveReferrals
        )
    }

    /// Metrics a target or headline may name.
    pub const TARGETABLE: [Metric; 8] = [
        Metric::Mrr,
        Metric::Earned,
        Metric::Recurring,
        Metric::Paid,
        Metric::CumulativeEarned,
        Metric::CumulativePaid,
        Metric::ActiveReferrals,
        Metric::NewReferrals,
    ];
}

impl FromStr for Metric {
    type Err = String;

    fn from_str(text: &str) -> Result<Metric, String> {
        let wanted = text.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        let alias = match wanted.as_str() {
            "run_rate" | "recurring_mrr" => "mrr",
            "total" | "commission" => "earned",
            "cash" | "payout" | "payouts" => "paid",
            "cumulative" => "cumulative_earned",
            other => other,
        };
        Metric::ALL
            .into_iter()
            .find(|m| m.key() == alias)
            .ok_or_else(|| {
                let names: Vec<&str> = Metric::TARGETABLE.iter().map(|m| m.key()).collect();
                format!("unknown metric `{text}`; use one of {}", names.join(", "))
            })
    }
}
