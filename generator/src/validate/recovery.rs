//! An environment's disaster recovery targets, parsed, and the settings they lean on that must
//! agree with each other whatever the targets (a backup copy region is another region, and has
//! backups to copy). What the targets need from the settings is a rule (`rules`), waivable.

use super::values::{duration_error, path};
use crate::diagnostic::{Code, Diagnostic};
use crate::duration::PromDuration;
use crate::model::Recovery;
use crate::resolve::Resolved;
use crate::spec;

/// The environment's targets: `Ok(None)` when it states none, `Err(())` when one is invalid
/// (the diagnostics are in `out`).
pub(super) fn recovery(
    resolved: &Resolved,
    settings: &spec::Environment,
    aws_region: &str,
    out: &mut Vec<Diagnostic>,
) -> Result<Option<Recovery>, ()> {
    backup_copies(resolved, &settings.database, aws_region, out);
    let Some(targets) = &settings.recovery else {
        return Ok(None);
    };
    let mut duration = |text: &str, key: &str| {
        PromDuration::parse(text)
            .map_err(|error| {
                let diagnostic = duration_error(&error, path(key)).on_value();
                out.push(resolved.diagnostic(diagnostic, &path(key)));
            })
            .ok()
    };
    let rto = duration(&targets.rto, "recovery.rto");
    let rpo = duration(&targets.rpo, "recovery.rpo");
    let failover = targets
        .failover
        .as_deref()
        .map(|text| duration(text, "recovery.failover"));
    match (rto, rpo, failover) {
        (Some(rto), Some(rpo), None) => Ok(Some(Recovery {
            rto,
            rpo,
            failover: None,
            region_loss: targets.region_loss,
        })),
        (Some(rto), Some(rpo), Some(Some(failover))) => {
            if failover.value() > rto.value() {
                out.push(
                    resolved.diagnostic(
                        Diagnostic::error(
                            Code::Inconsistent,
                            format!(
                                "the failover target ({failover}) is longer than the RTO ({rto}), \
                                 which covers the slower recovery: a restore from backup"
                            ),
                        )
                        .on_value()
                        .help("a failover is the fast path: make it shorter than `rto`"),
                        &path("recovery.failover"),
                    ),
                );
                return Err(());
            }
            Ok(Some(Recovery {
                rto,
                rpo,
                failover: Some(failover),
                region_loss: targets.region_loss,
            }))
        }
        _ => Err(()),
    }
}

/// A backup copy region is another region than the platform's, and has backups to copy.
fn backup_copies(
    resolved: &Resolved,
    database: &spec::Database,
    aws_region: &str,
    out: &mut Vec<Diagnostic>,
) {
    let Some(region) = &database.backup_copy_region else {
        return;
    };
    if region == aws_region {
        out.push(
            resolved.diagnostic(
                Diagnostic::error(
                    Code::Inconsistent,
                    format!(
                        "`backup_copy_region` is `{region}`, the platform's own region: a copy \
                         there is lost with the region"
                    ),
                )
                .on_value()
                .help("name another region, for example the one a restore would move to"),
                &path("database.backup_copy_region"),
            ),
        );
    }
    if database.backup_retention_days == 0 {
        out.push(
            resolved.diagnostic(
                Diagnostic::error(
                    Code::Inconsistent,
                    "`backup_copy_region` copies the automated backups, which \
                     `backup_retention_days = 0` turns off",
                )
                .help("keep backups at least one day, or remove `backup_copy_region`"),
                &path("database.backup_copy_region"),
            ),
        );
    }
}
