//! The rules an environment holds unless a visible waiver with a reason lifts them: the
//! production rules, in every `tier = "production"` environment (multi-AZ database, cache
//! failover, backups, private endpoint, deletion protection, NAT per zone, approval before
//! deploy, the WAF, Performance Insights), and the recovery rules, wherever `[recovery]` sets
//! targets (what the settings need to keep them: point-in-time recovery, a multi-AZ standby,
//! backup copies in another region).

use std::collections::BTreeMap;
use std::time::Duration;

use super::values::path;
use crate::date::Day;
use crate::diagnostic::{Code, Diagnostic};
use crate::model::{self, Recovery};
use crate::resolve::{Layer, Resolved};
use crate::source::Path;
use crate::spec::{self, NatMode, Rule, Tier, Waiver};

/// How far behind the latest write an RDS point-in-time restore can be: RDS uploads the
/// transaction logs to S3 every 5 minutes.
const RESTORE_GRANULARITY: Duration = Duration::from_secs(5 * 60);

/// How long an RDS Multi-AZ failover may take: typically 60-120 seconds (RDS user guide,
/// "Failing over a Multi-AZ DB instance").
const RDS_FAILOVER_TIME: Duration = Duration::from_secs(2 * 60);

/// Every rule, in the order they are checked.
const RULES: [Rule; 14] = [
    Rule::DatabaseMultiAz,
    Rule::CacheFailover,
    Rule::BackupRetention,
    Rule::PrivateEksEndpoint,
    Rule::DeletionProtection,
    Rule::NatPerAz,
    Rule::ApprovalRequired,
    Rule::WafEnabled,
    Rule::PerformanceInsights,
    Rule::RpoNeedsPointInTimeRecovery,
    Rule::RpoWithinRestoreGranularity,
    Rule::FailoverNeedsMultiAz,
    Rule::FailoverWithinRdsFailoverTime,
    Rule::RegionLossNeedsBackupCopies,
];

/// Whether `rule` is a production rule (the others are recovery rules).
fn is_production_rule(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::DatabaseMultiAz
            | Rule::CacheFailover
            | Rule::BackupRetention
            | Rule::PrivateEksEndpoint
            | Rule::DeletionProtection
            | Rule::NatPerAz
            | Rule::ApprovalRequired
            | Rule::WafEnabled
            | Rule::PerformanceInsights
    )
}

/// Why `rule` applies to the environment `name` (the note its violation carries), or `None`.
fn applies(name: &str, tier: Tier, recovery: Option<&Recovery>, rule: Rule) -> Option<String> {
    if is_production_rule(rule) {
        return (tier == Tier::Production)
            .then(|| format!("environment `{name}` has tier = \"production\""));
    }
    let recovery = recovery?;
    let promise = match rule {
        Rule::FailoverNeedsMultiAz | Rule::FailoverWithinRdsFailoverTime => {
            format!("failover = \"{}\"", recovery.failover.as_ref()?)
        }
        Rule::RegionLossNeedsBackupCopies => {
            if !recovery.region_loss {
                return None;
            }
            "region_loss = true".to_string()
        }
        _ => format!("rpo = \"{}\"", recovery.rpo),
    };
    Some(format!(
        "environment `{name}` promises {promise} in its [recovery] targets"
    ))
}

/// The keys of an environment each rule reads: the ones `violation` points at.
fn keys(rule: Rule) -> &'static [&'static str] {
    match rule {
        Rule::DatabaseMultiAz | Rule::FailoverNeedsMultiAz => &["database.multi_az"],
        Rule::CacheFailover => &["cache.automatic_failover", "cache.replicas_per_shard"],
        Rule::BackupRetention | Rule::RpoNeedsPointInTimeRecovery => {
            &["database.backup_retention_days"]
        }
        Rule::PrivateEksEndpoint => &["eks.endpoint_public_access"],
        Rule::DeletionProtection => &["database.deletion_protection"],
        Rule::NatPerAz => &["network.nat"],
        Rule::ApprovalRequired => &["deploy.approval_required"],
        Rule::WafEnabled => &["waf.enabled"],
        Rule::PerformanceInsights => &["database.performance_insights"],
        Rule::RpoWithinRestoreGranularity => &["recovery.rpo"],
        Rule::FailoverWithinRdsFailoverTime => &["recovery.failover"],
        Rule::RegionLossNeedsBackupCopies => {
            &["recovery.region_loss", "database.backup_copy_region"]
        }
    }
}

/// A rule in force on a key of an environment, and the waiver that lifts it there, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleOnKey {
    pub rule: Rule,
    /// Why the rule applies in the environment (its tier, or a recovery target).
    pub why: String,
    /// The index in the environment's `waivers` of the waiver of this rule.
    pub waiver: Option<usize>,
}

/// Every rule in force in `environment` that reads the key at `relative` or a key under it.
pub fn rules_on(environment: &model::Environment, relative: &Path) -> Vec<RuleOnKey> {
    RULES
        .into_iter()
        .filter(|&rule| {
            keys(rule)
                .iter()
                .any(|key| path(key).0.starts_with(&relative.0))
        })
        .filter_map(|rule| {
            let why = applies(
                &environment.name,
                environment.tier,
                environment.recovery.as_ref(),
                rule,
            )?;
            let waiver = environment.waivers.iter().position(|w| w.rule == rule);
            Some(RuleOnKey { rule, why, waiver })
        })
        .collect()
}

/// Whether the environment breaks `rule`: the message and the key to point at.
fn violation(
    settings: &spec::Environment,
    recovery: Option<&Recovery>,
    rule: Rule,
) -> Option<(String, Path)> {
    let database = &settings.database;
    let failover = recovery.and_then(|recovery| recovery.failover.as_ref());
    let (broken, message, at) = match rule {
        Rule::DatabaseMultiAz => (
            !database.multi_az,
            "the production database must run in several zones".to_string(),
            "database.multi_az",
        ),
        Rule::CacheFailover => {
            let cache = &settings.cache;
            // Failover promotes a replica: a shard without one has nothing to fail over to
            // (without cluster mode, failover on one node is refused on its own).
            if cache.automatic_failover && cache.cluster_mode {
                (
                    cache.replicas_per_shard == Some(0),
                    "the production cache must fail over automatically, and a shard without a \
                     replica has nothing to fail over to"
                        .to_string(),
                    "cache.replicas_per_shard",
                )
            } else {
                (
                    !cache.automatic_failover,
                    "the production cache must fail over automatically".to_string(),
                    "cache.automatic_failover",
                )
            }
        }
        Rule::BackupRetention => (
            database.backup_retention_days < 7,
            "production backups must be kept at least 7 days".to_string(),
            "database.backup_retention_days",
        ),
        Rule::PrivateEksEndpoint => (
            settings.eks.endpoint_public_access,
            "the production EKS API endpoint must be private".to_string(),
            "eks.endpoint_public_access",
        ),
        Rule::DeletionProtection => (
            !database.deletion_protection,
            "the production database must have deletion protection".to_string(),
            "database.deletion_protection",
        ),
        Rule::NatPerAz => (
            settings.network.nat != NatMode::PerAz,
            "production needs one NAT gateway per zone".to_string(),
            "network.nat",
        ),
        Rule::ApprovalRequired => (
            !settings.deploy.approval_required,
            "production deploys must wait for an approval".to_string(),
            "deploy.approval_required",
        ),
        Rule::WafEnabled => (
            !settings.waf.enabled,
            "production traffic must pass the WAF (rate limit per IP, AWS managed rules)"
                .to_string(),
            "waf.enabled",
        ),
        Rule::PerformanceInsights => (
            !database.performance_insights,
            "the production database must have Performance Insights on".to_string(),
            "database.performance_insights",
        ),
        Rule::RpoNeedsPointInTimeRecovery => (
            database.backup_retention_days == 0,
            "a recovery point objective needs automated backups with point-in-time recovery, \
             which `backup_retention_days = 0` turns off"
                .to_string(),
            "database.backup_retention_days",
        ),
        Rule::RpoWithinRestoreGranularity => {
            let rpo = &recovery?.rpo;
            (
                rpo.value() < RESTORE_GRANULARITY,
                format!(
                    "an RPO of {rpo} is shorter than a restore from backup can keep: RDS \
                     uploads the transaction logs every 5 minutes, so a point-in-time restore \
                     may lose the last 5 minutes of writes"
                ),
                "recovery.rpo",
            )
        }
        Rule::FailoverNeedsMultiAz => (
            !database.multi_az,
            "a failover that loses no write needs a multi-AZ database (a synchronous standby \
             in another zone)"
                .to_string(),
            "database.multi_az",
        ),
        Rule::FailoverWithinRdsFailoverTime => {
            let failover = failover?;
            (
                failover.value() < RDS_FAILOVER_TIME,
                format!(
                    "a failover target of {failover} is shorter than an RDS Multi-AZ failover \
                     takes (typically 60 to 120 seconds)"
                ),
                "recovery.failover",
            )
        }
        Rule::RegionLossNeedsBackupCopies => (
            database.backup_copy_region.is_none(),
            "recovering from the loss of the region needs the backups copied to another \
             region: set `database.backup_copy_region`"
                .to_string(),
            "recovery.region_loss",
        ),
    };
    broken.then(|| (message, path(at)))
}

/// How long before its expiry a waiver warns.
const WAIVER_WARNING_DAYS: i64 = 14;

/// An expired waiver is an error (the rule holds again), one that expires within 14 days a
/// warning.
fn expiry(environment: &Resolved, waiver: &Waiver, at: &Path, out: &mut Vec<Diagnostic>) {
    let rule = waiver.rule.as_str();
    let days = Day::parse(&waiver.expires)
        .and_then(|expires| Day::today().map(|today| today.days_until(expires)));
    let diagnostic = match days {
        Err(reason) => Diagnostic::error(Code::BadFormat, reason),
        Ok(days) if days <= 0 => Diagnostic::error(
            Code::ExpiredWaiver,
            format!("the waiver of `{rule}` expired on {}", waiver.expires),
        )
        .help("fix what the rule asks for, or renew the waiver with its owner's agreement and a new date"),
        Ok(days) if days <= WAIVER_WARNING_DAYS => Diagnostic::warning(
            Code::ExpiredWaiver,
            format!(
                "the waiver of `{rule}` expires on {} (in {days} day{})",
                waiver.expires,
                if days == 1 { "" } else { "s" }
            ),
        )
        .help(format!(
            "{} should fix what the rule asks for, or renew the waiver",
            waiver.owner
        )),
        Ok(_) => return,
    };
    out.push(environment.diagnostic(diagnostic.on_value(), at));
}

/// What a waiver's reason starts with until someone writes the real one.
const REASON_PLACEHOLDER: &str = "TODO";

/// How to waive `rule` in `environment`, as TOML to paste: a `[[...waivers]]` table, or an
/// entry for the `waivers` list the environment already writes.
fn waiver_hint(environment: &Resolved, settings: &spec::Environment, rule: Rule) -> String {
    let name = &environment.name;
    let reason = format!("{REASON_PLACEHOLDER}: why {name} may break this rule");
    let owner = format!("{REASON_PLACEHOLDER}: who answers for it");
    let expires = format!("{REASON_PLACEHOLDER}: the day it ends, YYYY-MM-DD");
    let what = "the reason is at least 10 characters saying why the rule does not apply here, \
                the owner who answers for it, and from the day it `expires` the rule holds \
                again; reviews show them, and validation refuses them while they start with `TODO`";
    if environment.layer_of(&path("waivers")) == Layer::Environment && !settings.waivers.is_empty()
    {
        format!(
            "fix the value, or waive the rule visibly by adding this entry to the `waivers` list \
             of [environments.{name}] ({what}):\n{{ rule = \"{}\", reason = \"{reason}\", \
             owner = \"{owner}\", expires = \"{expires}\" }}",
            rule.as_str()
        )
    } else {
        format!(
            "fix the value, or waive the rule visibly by adding this to the spec ({what}):\n\
             [[environments.{name}.waivers]]\nrule = \"{}\"\nreason = \"{reason}\"\n\
             owner = \"{owner}\"\nexpires = \"{expires}\"",
            rule.as_str()
        )
    }
}

/// Checks every rule that applies to the environment, and every waiver: a placeholder reason,
/// and a waiver that lifts nothing.
pub(super) fn rules(
    environment: &Resolved,
    settings: &spec::Environment,
    recovery: Option<&Recovery>,
    out: &mut Vec<Diagnostic>,
) {
    for (index, waiver) in settings.waivers.iter().enumerate() {
        for (key, value, label) in [
            (
                "reason",
                &waiver.reason,
                "write why the rule does not apply",
            ),
            ("owner", &waiver.owner, "name who answers for the exception"),
            (
                "expires",
                &waiver.expires,
                "write the day the exception ends",
            ),
        ] {
            if value.trim_start().starts_with(REASON_PLACEHOLDER) {
                out.push(
                    environment.diagnostic(
                        Diagnostic::error(
                            Code::Inconsistent,
                            format!(
                                "the waiver of `{}` still has the placeholder {key}",
                                waiver.rule.as_str()
                            ),
                        )
                        .on_value()
                        .label(label)
                        .help(format!(
                            "replace it with the real {key}, which reviews will read"
                        )),
                        &path("waivers").index(index).child(key),
                    ),
                );
            }
        }
        if !waiver.expires.starts_with(REASON_PLACEHOLDER) {
            let at = path("waivers").index(index).child("expires");
            expiry(environment, waiver, &at, out);
        }
    }
    let waived: BTreeMap<Rule, usize> = settings
        .waivers
        .iter()
        .enumerate()
        .map(|(index, waiver)| (waiver.rule, index))
        .collect();
    for rule in RULES {
        let applies = applies(&environment.name, settings.tier, recovery, rule);
        let broken = applies
            .is_some()
            .then(|| violation(settings, recovery, rule))
            .flatten();
        let waiver = waived.get(&rule);
        match (applies, broken, waiver) {
            (Some(why), Some((message, at)), None) => {
                let code = if is_production_rule(rule) {
                    Code::ProductionRule
                } else {
                    Code::RecoveryRule
                };
                out.push(
                    environment.diagnostic(
                        Diagnostic::error(code, format!("{message} (rule `{}`)", rule.as_str()))
                            .note(why)
                            .help(waiver_hint(environment, settings, rule)),
                        &at,
                    ),
                );
            }
            (Some(_), None, Some(index)) => out.push(
                environment.diagnostic(
                    Diagnostic::warning(
                        Code::UnusedWaiver,
                        format!(
                            "the waiver of `{}` is not needed: the rule holds",
                            rule.as_str()
                        ),
                    )
                    .help("remove the waiver"),
                    &path("waivers").index(*index),
                ),
            ),
            (None, _, Some(index)) => {
                let message = if is_production_rule(rule) {
                    format!(
                        "waivers only matter in production-tier environments; `{}` is not one",
                        environment.name
                    )
                } else {
                    format!(
                        "the waiver of `{}` is not needed: `{}` sets no recovery target it \
                         applies to",
                        rule.as_str(),
                        environment.name
                    )
                };
                out.push(environment.diagnostic(
                    Diagnostic::warning(Code::UnusedWaiver, message).help("remove the waiver"),
                    &path("waivers").index(*index),
                ));
            }
            _ => {}
        }
    }
}
