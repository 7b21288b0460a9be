//! The platform's secrets: how the store names them, each declared secret, the variables each
//! service reads from them, and what each service's own role may reach by name.

use std::collections::BTreeMap;

use super::routes::service_path;
use crate::diagnostic::{Code, Diagnostic};
use crate::model::{self, Environment, Secret, SecretVariable};
use crate::resolve::{Layer, Resolved};
use crate::source::Path;
use crate::spec::{self, Spec};

/// Whether the store's prefix names each environment's secrets apart, with only the
/// placeholders it knows, and its refresh interval is a duration.
pub(super) fn store(spec: &Spec, out: &mut Vec<Diagnostic>) {
    let at = Path::root().child("secret_store");
    let prefix = &spec.secret_store.prefix;
    let filled = prefix.replace("{project}", "").replace("{environment}", "");
    if filled.contains(['{', '}']) {
        out.push(
            Diagnostic::error(
                Code::BadFormat,
                format!(
                    "`{prefix}` holds a placeholder other than `{{project}}` and `{{environment}}`"
                ),
            )
            .at_path(at.child("prefix"))
            .on_value()
            .help(
                "use only `{project}` and `{environment}`, for example `{environment}/{project}`",
            ),
        );
    } else if !prefix.contains("{environment}") {
        out.push(
            Diagnostic::error(
                Code::Inconsistent,
                format!("`{prefix}` names every environment's secrets alike"),
            )
            .at_path(at.child("prefix"))
            .on_value()
            .help("put `{environment}` in it, for example `{project}/{environment}`"),
        );
    }
    let interval = &spec.secret_store.refresh_interval;
    if interval.chars().all(|c| !c.is_ascii_digit() || c == '0') {
        out.push(
            Diagnostic::error(
                Code::InvalidDuration,
                format!("refresh interval `{interval}` is no time at all"),
            )
            .at_path(at.child("refresh_interval"))
            .on_value()
            .help("write how often to read the secrets again, for example `1h` or `15m`"),
        );
    }
}

/// Whether each declared secret has a name of its own and keys named once.
pub(super) fn declared(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (name, secret) in &spec.secrets {
        let at = Path::root().child("secrets").child(name);
        if Secret::named(name).is_some() {
            out.push(
                Diagnostic::error(
                    Code::DuplicateName,
                    format!(
                        "`{name}` is the name of the secret the platform makes for the runtime"
                    ),
                )
                .at_path(at.clone())
                .help(format!("name it otherwise, for example `{name}-app`")),
            );
        }
        for (index, key) in secret.keys.iter().enumerate() {
            if secret.keys[..index].contains(key) {
                out.push(
                    Diagnostic::error(Code::DuplicateName, format!("key `{key}` is listed twice"))
                        .at_path(at.child("keys").index(index))
                        .on_value()
                        .help("remove the second one"),
                );
            }
        }
    }
}

/// The variables `service` reads from the declared secrets, each checked against the secret
/// and against the names the service's config and the platform set; `None` if any is wrong.
pub(super) fn variables(
    spec: &Spec,
    name: &str,
    service: &spec::Service,
    out: &mut Vec<Diagnostic>,
) -> Option<Vec<SecretVariable>> {
    let mut variables = Vec::new();
    let mut wrong = false;
    for (variable, reference) in &service.secrets {
        let at = service_path(name).child("secrets").child(variable);
        let mut problem = |diagnostic: Diagnostic| {
            wrong = true;
            out.push(diagnostic.at_path(at.clone()));
        };
        if service.config.contains_key(variable) {
            problem(
                Diagnostic::error(
                    Code::DuplicateName,
                    format!("`{variable}` is also set in `{name}`'s config"),
                )
                .help("keep one: config for plain values, secrets for secret ones"),
            );
            continue;
        }
        if service.runtime.is_some() && model::PLATFORM_VARIABLES.contains(&variable.as_str()) {
            problem(
                Diagnostic::error(
                    Code::Inconsistent,
                    format!("`{variable}` is set by the platform for the runtime of `{name}`"),
                )
                .help("name the variable otherwise"),
            );
            continue;
        }
        let (secret_name, key) = match reference.split_once('.') {
            Some((secret, key)) => (secret, Some(key)),
            None => (reference.as_str(), None),
        };
        // The platform's own secrets are there to read too, with the keys Terraform writes.
        let keys: Vec<String> = match Secret::named(secret_name) {
            Some(platform) => platform.keys().iter().map(ToString::to_string).collect(),
            None => match spec.secrets.get(secret_name) {
                Some(secret) => secret.keys.clone(),
                None => Vec::new(),
            },
        };
        if Secret::named(secret_name).is_none() && !spec.secrets.contains_key(secret_name) {
            problem(
                Diagnostic::error(
                    Code::UnknownValue,
                    format!("`{name}` reads `{secret_name}`, which `[secrets]` does not declare"),
                )
                .on_value()
                .help(declare_hint(spec, secret_name, true)),
            );
            continue;
        }
        match (key, keys.is_empty()) {
            (Some(key), true) => problem(
                Diagnostic::error(
                    Code::Inconsistent,
                    format!("`{secret_name}` is one value, with no key `{key}`"),
                )
                .on_value()
                .help(format!(
                    "read it whole as `\"{secret_name}\"`, or list its keys in \
                     [secrets.{secret_name}] keys"
                )),
            ),
            (None, false) => problem(
                Diagnostic::error(
                    Code::MissingKey,
                    format!("`{secret_name}` holds keys; `{variable}` must read one of them"),
                )
                .on_value()
                .help(format!(
                    "write `\"{secret_name}.<key>\"`, one of {}",
                    listed(&keys)
                )),
            ),
            (Some(key), false) if !keys.iter().any(|k| k == key) => problem(
                Diagnostic::error(
                    Code::UnknownValue,
                    format!("`{secret_name}` has no key `{key}`"),
                )
                .on_value()
                .help(format!("read one of {}", listed(&keys))),
            ),
            _ => variables.push(SecretVariable {
                variable: variable.clone(),
                secret: secret_name.to_string(),
                key: key.map(str::to_string),
            }),
        }
    }
    (!wrong).then_some(variables)
}

/// Whether every bucket a service's role reaches is one every environment has, every secret
/// one the spec declares, and every environment writes the Redis token a service reads.
pub(super) fn access(
    spec: &Spec,
    environments: &BTreeMap<String, Environment>,
    out: &mut Vec<Diagnostic>,
) {
    for (name, service) in &spec.services {
        auth_token_read(name, service, environments, out);
        let at = service_path(name).child("access");
        for purpose in service.access.buckets.keys() {
            let lacking: Vec<&str> = environments
                .values()
                .filter(|environment| !environment.buckets.contains_key(purpose))
                .map(|environment| environment.name.as_str())
                .collect();
            if !lacking.is_empty() {
                out.push(
                    Diagnostic::error(
                        Code::UnknownValue,
                        format!(
                            "`{name}` reaches the `{purpose}` bucket, which {} {} not have",
                            listed(&lacking),
                            if lacking.len() == 1 { "does" } else { "do" },
                        ),
                    )
                    .at_path(at.child("buckets").child(purpose))
                    .help(format!(
                        "add [defaults.buckets.{purpose}] (or one per environment), or remove it"
                    )),
                );
            }
        }
        for (index, secret) in service.access.secrets.iter().enumerate() {
            if !spec.secrets.contains_key(secret) {
                out.push(
                    Diagnostic::error(
                        Code::UnknownValue,
                        format!("`{name}` reaches `{secret}`, which `[secrets]` does not declare"),
                    )
                    .at_path(at.child("secrets").index(index))
                    .on_value()
                    .help(declare_hint(spec, secret, false)),
                );
            }
        }
    }
}

/// Whether every environment writes the Redis AUTH token a service reads: only one whose
/// cache requires AUTH does.
fn auth_token_read(
    name: &str,
    service: &spec::Service,
    environments: &BTreeMap<String, Environment>,
    out: &mut Vec<Diagnostic>,
) {
    let wanted = format!("{}.{}", Secret::Redis.as_str(), Secret::AUTH_TOKEN);
    for (variable, reference) in &service.secrets {
        if *reference != wanted {
            continue;
        }
        let lacking: Vec<&str> = environments
            .values()
            .filter(|environment| !environment.cache.auth_token)
            .map(|environment| environment.name.as_str())
            .collect();
        if !lacking.is_empty() {
            out.push(
                Diagnostic::error(
                    Code::Inconsistent,
                    format!(
                        "`{variable}` reads the Redis AUTH token, which {} do{} not have \
                         (their cache has `auth_token = false`)",
                        listed(&lacking),
                        if lacking.len() == 1 { "es" } else { "" },
                    ),
                )
                .at_path(service_path(name).child("secrets").child(variable))
                .on_value()
                .help("turn `cache.auth_token` on in every environment, or read no token"),
            );
        }
    }
}

/// A declared secret no service reads is created, paid for and filled for nothing: read by a
/// service's variables, its role's `access`, or an environment's change of that access.
pub(super) fn unused(
    spec: &Spec,
    environments: &BTreeMap<String, (Resolved, spec::Environment)>,
    out: &mut Vec<Diagnostic>,
) {
    for name in spec.secrets.keys() {
        let read = spec.services.values().any(|service| {
            service
                .secrets
                .values()
                .any(|reference| reference.split('.').next() == Some(name.as_str()))
        }) || environments.values().any(|(_, settings)| {
            settings
                .services
                .values()
                .any(|here| here.access.secrets.contains(name))
        }) || spec
            .services
            .values()
            .any(|service| service.access.secrets.contains(name));
        if !read {
            out.push(
                Diagnostic::warning(
                    Code::UnusedSecret,
                    format!("no service reads the secret `{name}`"),
                )
                .at_path(Path::root().child("secrets").child(name))
                .help("read it in a service's `secrets` or `access.secrets`, or remove it"),
            );
        }
    }
}

/// The buckets and secrets an environment's layers let a service's role reach are the
/// environment's and the spec's (what the service's own table names is checked once, by
/// [`access`]).
pub(super) fn access_here(
    spec: &Spec,
    resolved: &Resolved,
    settings: &spec::Environment,
    name: &str,
    here: &spec::ServiceSettings,
    out: &mut Vec<Diagnostic>,
) {
    let at = Path::root().child("services").child(name).child("access");
    for purpose in here.access.buckets.keys() {
        let key = at.child("buckets").child(purpose);
        if resolved.layer_of(&key) == Layer::Service || settings.buckets.contains_key(purpose) {
            continue;
        }
        let problem = Diagnostic::error(
            Code::UnknownValue,
            format!(
                "`{name}` reaches the `{purpose}` bucket, which `{}` does not have",
                resolved.name
            ),
        )
        .help(format!(
            "add [environments.{}.buckets.{purpose}] (or [defaults.buckets.{purpose}]), or remove it",
            resolved.name
        ));
        out.push(resolved.diagnostic(problem, &key));
    }
    for (index, secret) in here.access.secrets.iter().enumerate() {
        let key = at.child("secrets").index(index);
        if resolved.layer_of(&key) == Layer::Service || spec.secrets.contains_key(secret) {
            continue;
        }
        let problem = Diagnostic::error(
            Code::UnknownValue,
            format!("`{name}` reaches `{secret}`, which `[secrets]` does not declare"),
        )
        .on_value()
        .help(declare_hint(spec, secret, false));
        out.push(resolved.diagnostic(problem, &key));
    }
}

/// How to name a secret that is not there: one the spec declares (and, for a variable, one of
/// the platform's, which only the External Secrets Operator reads), or declare it.
fn declare_hint(spec: &Spec, secret: &str, platform_too: bool) -> String {
    let mut names: Vec<&str> = Vec::new();
    if platform_too {
        names.extend(Secret::ALL.map(Secret::as_str));
    }
    names.extend(spec.secrets.keys().map(String::as_str));
    if names.is_empty() {
        format!("declare it: [secrets.{secret}] with its description")
    } else {
        format!(
            "name one of {}, or declare it: [secrets.{secret}]",
            listed(&names)
        )
    }
}

fn listed(names: &[impl AsRef<str>]) -> String {
    names
        .iter()
        .map(|name| format!("`{}`", name.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}
