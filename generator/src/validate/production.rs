//! The production rules: what every `tier = "production"` environment must hold (multi-AZ
//! database, cache failover, backups, private endpoint, deletion protection, NAT per zone,
//! approval before deploy), each lifted only by a visible waiver with a reason.

use std::collections::BTreeMap;

use super::values::path;
use crate::diagnostic::{Code, Diagnostic};
use crate::resolve::{Layer, Resolved};
use crate::source::Path;
use crate::spec::{self, NatMode, ProductionRule, Tier};

/// Whether an environment breaks a production rule, with the key to point at.
fn violation(settings: &spec::Environment, rule: ProductionRule) -> Option<(String, Path)> {
    let (broken, message, at) = match rule {
        ProductionRule::DatabaseMultiAz => (
            !settings.database.multi_az,
            "the production database must run in several zones",
            "database.multi_az",
        ),
        ProductionRule::CacheFailover => (
            !settings.cache.automatic_failover,
            "the production cache must fail over automatically",
            "cache.automatic_failover",
        ),
        ProductionRule::BackupRetention => (
            settings.database.backup_retention_days < 7,
            "production backups must be kept at least 7 days",
            "database.backup_retention_days",
        ),
        ProductionRule::PrivateEksEndpoint => (
            settings.eks.endpoint_public_access,
            "the production EKS API endpoint must be private",
            "eks.endpoint_public_access",
        ),
        ProductionRule::DeletionProtection => (
            !settings.database.deletion_protection,
            "the production database must have deletion protection",
            "database.deletion_protection",
        ),
        ProductionRule::NatPerAz => (
            settings.network.nat != NatMode::PerAz,
            "production needs one NAT gateway per zone",
            "network.nat",
        ),
        ProductionRule::ApprovalRequired => (
            !settings.deploy.approval_required,
            "production deploys must wait for an approval",
            "deploy.approval_required",
        ),
    };
    broken.then(|| (message.to_string(), path(at)))
}

const PRODUCTION_RULES: [ProductionRule; 7] = [
    ProductionRule::DatabaseMultiAz,
    ProductionRule::CacheFailover,
    ProductionRule::BackupRetention,
    ProductionRule::PrivateEksEndpoint,
    ProductionRule::DeletionProtection,
    ProductionRule::NatPerAz,
    ProductionRule::ApprovalRequired,
];

/// What a waiver's reason starts with until someone writes the real one.
const REASON_PLACEHOLDER: &str = "TODO";

/// How to waive `rule` in `environment`, as TOML to paste: a `[[...waivers]]` table, or an
/// entry for the `waivers` list the environment already writes.
fn waiver_hint(
    environment: &Resolved,
    settings: &spec::Environment,
    rule: ProductionRule,
) -> String {
    let name = &environment.name;
    let reason = format!("{REASON_PLACEHOLDER}: why {name} may break this rule, and until when");
    let what = "the reason is at least 10 characters saying why the rule does not apply here; \
                reviews show it, and validation refuses it while it starts with `TODO`";
    if environment.layer_of(&path("waivers")) == Layer::Environment && !settings.waivers.is_empty()
    {
        format!(
            "fix the value, or waive the rule visibly by adding this entry to the `waivers` list \
             of [environments.{name}] ({what}):\n{{ rule = \"{}\", reason = \"{reason}\" }}",
            rule.as_str()
        )
    } else {
        format!(
            "fix the value, or waive the rule visibly by adding this to the spec ({what}):\n\
             [[environments.{name}.waivers]]\nrule = \"{}\"\nreason = \"{reason}\"",
            rule.as_str()
        )
    }
}

pub(super) fn rules(
    environment: &Resolved,
    settings: &spec::Environment,
    out: &mut Vec<Diagnostic>,
) {
    for (index, waiver) in settings.waivers.iter().enumerate() {
        if waiver.reason.trim_start().starts_with(REASON_PLACEHOLDER) {
            out.push(
                environment.diagnostic(
                    Diagnostic::error(
                        Code::Inconsistent,
                        format!(
                            "the waiver of `{}` still has the placeholder reason",
                            waiver.rule.as_str()
                        ),
                    )
                    .on_value()
                    .label("write why the rule does not apply")
                    .help("replace it with the real reason, which reviews will read"),
                    &path("waivers").index(index).child("reason"),
                ),
            );
        }
    }
    let production = settings.tier == Tier::Production;
    let waived: BTreeMap<ProductionRule, usize> = settings
        .waivers
        .iter()
        .enumerate()
        .map(|(index, waiver)| (waiver.rule, index))
        .collect();
    for rule in PRODUCTION_RULES {
        let broken = violation(settings, rule);
        let waiver = waived.get(&rule);
        match (production, broken, waiver) {
            (true, Some((message, at)), None) => out.push(
                environment.diagnostic(
                    Diagnostic::error(
                        Code::ProductionRule,
                        format!("{message} (rule `{}`)", rule.as_str()),
                    )
                    .note(format!(
                        "environment `{}` has tier = \"production\"",
                        environment.name
                    ))
                    .help(waiver_hint(environment, settings, rule)),
                    &at,
                ),
            ),
            (true, None, Some(index)) => out.push(
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
            (false, _, Some(index)) => out.push(
                environment.diagnostic(
                    Diagnostic::warning(
                        Code::UnusedWaiver,
                        format!(
                            "waivers only matter in production-tier environments; `{}` is not one",
                            environment.name
                        ),
                    )
                    .help("remove the waiver"),
                    &path("waivers").index(*index),
                ),
            ),
            _ => {}
        }
    }
}
