//! The environment's edge and storage: the account its ARNs name, its S3 buckets (names S3
//! accepts, lifecycles in order, CORS origins), the load balancer's access logs and health
//! check, and the WAF's allow list of countries.

use std::collections::BTreeMap;

use super::countries::{EU, countries};
use super::values::path;
use crate::diagnostic::{Code, Diagnostic, did_you_mean};
use crate::model::Waf;
use crate::resolve::Resolved;
use crate::spec::{self, BucketEncryption, Spec};

/// S3's longest bucket name.
const BUCKET_NAME_MAX: usize = 63;

pub(super) fn edge(
    spec: &Spec,
    resolved: &Resolved,
    settings: &spec::Environment,
    out: &mut Vec<Diagnostic>,
) {
    account(resolved, settings, out);
    buckets(spec, resolved, settings, out);
    ingress(resolved, settings, out);
}

/// The ARNs the spec writes by hand name the environment's account.
fn account(resolved: &Resolved, settings: &spec::Environment, out: &mut Vec<Diagnostic>) {
    let Some(account) = &settings.account_id else {
        return;
    };
    let arn = &settings.ingress.certificate_arn;
    if let Some(other) = arn.split(':').nth(4).filter(|other| other != account) {
        out.push(
            resolved.diagnostic(
                Diagnostic::error(
                    Code::Inconsistent,
                    format!(
                        "the certificate is in account {other}, but the environment is in account {account}"
                    ),
                )
                .help("the load balancer can only use a certificate of its own account: import or request it there"),
                &path("ingress.certificate_arn"),
            ),
        );
    }
}

fn buckets(
    spec: &Spec,
    resolved: &Resolved,
    settings: &spec::Environment,
    out: &mut Vec<Diagnostic>,
) {
    for (purpose, bucket) in &settings.buckets {
        let at = path("buckets").child(purpose);
        let name = format!("{}-{}-{purpose}", spec.project.name, resolved.name);
        if name.len() > BUCKET_NAME_MAX {
            out.push(resolved.diagnostic(
                Diagnostic::error(
                    Code::OutOfRange,
                    format!(
                        "the bucket's name `{name}` is {} characters; S3 allows {BUCKET_NAME_MAX}",
                        name.len()
                    ),
                )
                .help("shorten the purpose (the name is `<project>-<environment>-<purpose>`)"),
                &at,
            ));
        }
        if let (Some(glacier), Some(expire)) = (bucket.glacier_after_days, bucket.expire_after_days)
            && glacier >= expire
        {
            out.push(resolved.diagnostic(
                Diagnostic::error(
                    Code::SizeOrder,
                    format!(
                        "objects would expire after {expire} days, before or when they move to Glacier after {glacier}"
                    ),
                )
                .help("move to Glacier earlier than expiry, or drop one of the two"),
                &at.child("glacier_after_days"),
            ));
        }
        for (index, origin) in bucket.cors_origins.iter().enumerate() {
            if let Err(reason) = check_origin(origin) {
                out.push(
                    resolved.diagnostic(
                        Diagnostic::error(
                            Code::BadFormat,
                            format!("`{origin}` is not a CORS origin: {reason}"),
                        )
                        .help("write a scheme and a host, such as `https://app.example.com`"),
                        &at.child("cors_origins").index(index),
                    ),
                );
            }
        }
    }
}

/// `https://host[:port]`, or `http://` for development; no path, no wildcard in the scheme.
fn check_origin(origin: &str) -> Result<(), &'static str> {
    let host = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .ok_or("it must start with `https://` or `http://`")?;
    if host.is_empty() {
        return Err("it has no host");
    }
    if host.contains('/') {
        return Err("an origin has no path");
    }
    Ok(())
}

fn ingress(resolved: &Resolved, settings: &spec::Environment, out: &mut Vec<Diagnostic>) {
    if let Some(purpose) = &settings.ingress.access_logs_bucket {
        let at = path("ingress.access_logs_bucket");
        match settings.buckets.get(purpose) {
            None => {
                let diagnostic = Diagnostic::error(
                    Code::UnknownValue,
                    format!("there is no bucket `{purpose}` in this environment"),
                );
                let diagnostic =
                    match did_you_mean(purpose, settings.buckets.keys().map(String::as_str)) {
                        Some(suggestion) => {
                            diagnostic.help(format!("did you mean `{suggestion}`?"))
                        }
                        None => diagnostic.help(format!(
                            "declare it: `[environments.{}.buckets.{purpose}]` or `[defaults.buckets.{purpose}]`",
                            resolved.name
                        )),
                    };
                out.push(resolved.diagnostic(diagnostic, &at));
            }
            Some(bucket) if bucket.encryption != BucketEncryption::SseS3 => {
                out.push(
                    resolved.diagnostic(
                        Diagnostic::error(
                            Code::Inconsistent,
                            format!(
                                "the load balancer cannot write access logs to `{purpose}`: it is encrypted with `sse-kms`"
                            ),
                        )
                        .help("ALB log delivery supports only S3-managed keys: set the bucket's `encryption = \"sse-s3\"`, or log to another bucket"),
                        &at,
                    ),
                );
            }
            Some(_) => {}
        }
    }
    if let Some(check) = &settings.ingress.health_check
        && check.timeout_seconds >= check.interval_seconds
    {
        out.push(resolved.diagnostic(
            Diagnostic::error(
                Code::SizeOrder,
                format!(
                    "the health check's timeout ({} s) must be shorter than its interval ({} s)",
                    check.timeout_seconds, check.interval_seconds
                ),
            ),
            &path("ingress.health_check.timeout_seconds"),
        ));
    }
}

/// The web ACL, its allow list checked and resolved: every entry a country code (or `EU`), none
/// twice (`EU` counts as each of its members), and not empty where given.
pub(super) fn waf(
    resolved: &Resolved,
    settings: &spec::Environment,
    out: &mut Vec<Diagnostic>,
) -> Option<Waf> {
    let waf = &settings.waf;
    let at = path("waf.allowed_countries");
    let errors = |out: &[Diagnostic]| out.iter().filter(|d| d.is_error()).count();
    let errors_before = errors(out);
    // Each country, and the entry of the list that names it.
    let mut allowed: BTreeMap<&str, (usize, &str)> = BTreeMap::new();
    let written = waf.allowed_countries.as_deref();
    if written.is_some_and(<[String]>::is_empty) {
        out.push(resolved.diagnostic(
            Diagnostic::error(
                Code::OutOfRange,
                "an empty allow list would block every request",
            )
            .on_value()
            .help("list the countries requests may come from, or remove `allowed_countries` for no geo rule"),
            &at,
        ));
    }
    for (index, code) in written.unwrap_or_default().iter().enumerate() {
        let entry = at.index(index);
        let named = match countries(code) {
            Ok(named) => named,
            Err(help) => {
                out.push(
                    resolved.diagnostic(
                        Diagnostic::error(
                            Code::UnknownValue,
                            format!("`{code}` is not an ISO 3166-1 alpha-2 country code"),
                        )
                        .on_value()
                        .help(help),
                        &entry,
                    ),
                );
                continue;
            }
        };
        for country in named {
            if let Some(&(first, by)) = allowed.get(country) {
                // Written twice as it is, or named once by `EU` and once on its own.
                let other = if by == country { code.as_str() } else { by };
                let (already, help) = if code == by {
                    (
                        format!("`{code}` is listed twice"),
                        "list each country once".to_string(),
                    )
                } else {
                    (
                        format!("`{country}` is listed twice: `{other}` names it too"),
                        format!(
                            "`{EU}` names the European Union's 27 member states: drop `{country}`, or list the members one by one without `{EU}`"
                        ),
                    )
                };
                out.push(
                    resolved.diagnostic(
                        Diagnostic::error(Code::DuplicateName, already)
                            .on_value()
                            .help(help)
                            .related(resolved.source_of(&at.index(first)), "first here", true),
                        &entry,
                    ),
                );
                break;
            }
            allowed.insert(country, (index, code));
        }
    }
    if written.is_some() && !waf.enabled {
        out.push(
            resolved.diagnostic(
                Diagnostic::warning(
                    Code::Inconsistent,
                    "the allow list of countries has no effect: the WAF is disabled",
                )
                .help("set `waf.enabled = true`, or remove `allowed_countries`"),
                &at,
            ),
        );
    }
    (errors(out) == errors_before).then(|| Waf {
        enabled: waf.enabled,
        rate_limit_per_5min: waf.rate_limit_per_5min,
        allowed_countries: allowed.into_keys().map(str::to_string).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::check_origin;

    #[test]
    fn an_origin_is_a_scheme_and_a_host() {
        assert!(check_origin("https://app.example.com").is_ok());
        assert!(check_origin("http://localhost:3000").is_ok());
        assert!(check_origin("app.example.com").is_err());
        assert!(check_origin("https://").is_err());
        assert!(check_origin("https://app.example.com/path").is_err());
    }
}
