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

/// Whether every variable `service` reads from the declared secrets is right: checked against
/// the secret and against the names the service's config and the platform set.
pub(super) fn variables(
    spec: &Spec,
    name: &str,
    service: &spec::Service,
    out: &mut Vec<Diagnostic>,
) -> bool {
    let mut right = true;
    for (variable, reference) in &service.secrets {
        if let Err(problem) = read(spec, name, service, &service.config, variable, reference) {
            right = false;
            let at = service_path(name).child("secrets").child(variable);
            out.push((*problem).at_path(at));
        }
    }
    right
}

/// The variables each service reads in an environment: its own, with the environment's layers'
/// additions and replacements, each of those checked as the service's own are (and its Redis
/// token against this environment's cache), on the key that wrote it; `None` if any is wrong.
pub(super) fn variables_here(
    spec: &Spec,
    resolved: &Resolved,
    settings: &spec::Environment,
    out: &mut Vec<Diagnostic>,
) -> Option<BTreeMap<String, Vec<SecretVariable>>> {
    let mut all = BTreeMap::new();
    let mut wrong = false;
    for (name, service) in &spec.services {
        let here = settings.services.get(name);
        let mut config = service.config.clone();
        let mut reads = service.secrets.clone();
        if let Some(here) = here {
            config.extend(here.config.clone());
            reads.extend(here.secrets.clone());
        }
        let mut variables = Vec::new();
        for (variable, reference) in &reads {
            let written_here = here.is_some_and(|here| here.secrets.contains_key(variable));
            let at = Path::root()
                .child("services")
                .child(name)
                .child("secrets")
                .child(variable);
            let checked =
                read(spec, name, service, &config, variable, reference).and_then(|read| {
                    let token = read.secret == Secret::Redis.as_str()
                        && read.key.as_deref() == Some(Secret::AUTH_TOKEN);
                    // The service's own read of the token is checked against every environment
                    // once, with the service.
                    if token && written_here && !settings.cache.auth_token {
                        return Err(Box::new(Diagnostic::error(
                        Code::Inconsistent,
                        format!(
                            "`{variable}` reads the Redis AUTH token, which `{}` does not have \
                             (its cache has `auth_token = false`)",
                            resolved.name
                        ),
                    )
                    .on_value()
                    .help("turn `cache.auth_token` on here, or read no token")));
                    }
                    Ok(read)
                });
            let config_here = here.is_some_and(|here| here.config.contains_key(variable));
            match checked {
                Ok(read) => variables.push(read),
                Err(problem) if written_here => {
                    wrong = true;
                    out.push(resolved.diagnostic(*problem, &at));
                }
                // The service's own read, which the environment's config shadows.
                Err(_) if config_here => {
                    wrong = true;
                    let config = Path::root().child("services").child(name).child("config");
                    let problem = Diagnostic::error(
                        Code::DuplicateName,
                        format!("`{variable}` is also read from a secret by `{name}`"),
                    )
                    .help("keep one: config for plain values, secrets for secret ones");
                    out.push(resolved.diagnostic(problem, &config.child(variable)));
                }
                // The service's own reads are checked once, with the service.
                Err(_) => wrong = true,
            }
        }
        all.insert(name.clone(), variables);
    }
    (!wrong).then_some(all)
}

/// One variable read from a secret: a name neither the service's `config` nor the platform
/// sets, of a declared secret (or the platform's own), whole or by one of its keys.
fn read(
    spec: &Spec,
    name: &str,
    service: &spec::Service,
    config: &BTreeMap<String, String>,
    variable: &str,
    reference: &str,
) -> Result<SecretVariable, Box<Diagnostic>> {
    if config.contains_key(variable) {
        return Err(Box::new(
            Diagnostic::error(
                Code::DuplicateName,
                format!("`{variable}` is also set in `{name}`'s config"),
            )
            .help("keep one: config for plain values, secrets for secret ones"),
        ));
    }
    if service.runtime.is_some() && model::PLATFORM_VARIABLES.contains(&variable) {
        return Err(Box::new(
            Diagnostic::error(
                Code::Inconsistent,
                format!("`{variable}` is set by the platform for the runtime of `{name}`"),
            )
            .help("name the variable otherwise"),
        ));
    }
    let (secret_name, key) = match reference.split_once('.') {
        Some((secret, key)) => (secret, Some(key)),
        None => (reference, None),
    };
    // The platform's own secrets are there to read too, with the keys Terraform writes.
    let keys: Vec<String> =
        match Secret::named(secret_name) {
            Some(platform) => platform.keys().iter().map(ToString::to_string).collect(),
            None => {
                match spec.secrets.get(secret_name) {
                    Some(secret) => secret.keys.clone(),
                    None => {
                        return Err(Box::new(Diagnostic::error(
                    Code::UnknownValue,
                    format!("`{name}` reads `{secret_name}`, which `[secrets]` does not declare"),
                )
                .on_value()
                .help(declare_hint(spec, secret_name, true))));
                    }
                }
            }
        };
    match (key, keys.is_empty()) {
        (Some(key), true) => Err(Box::new(Diagnostic::error(
            Code::Inconsistent,
            format!("`{secret_name}` is one value, with no key `{key}`"),
        )
        .on_value()
        .help(format!(
            "read it whole as `\"{secret_name}\"`, or list its keys in [secrets.{secret_name}] keys"
        )))),
        (None, false) => Err(Box::new(Diagnostic::error(
            Code::MissingKey,
            format!("`{secret_name}` holds keys; `{variable}` must read one of them"),
        )
        .on_value()
        .help(format!(
            "write `\"{secret_name}.<key>\"`, one of {}",
            listed(&keys)
        )))),
        (Some(key), false) if !keys.iter().any(|k| k == key) => Err(Box::new(Diagnostic::error(
            Code::UnknownValue,
            format!("`{secret_name}` has no key `{key}`"),
        )
        .on_value()
        .help(format!("read one of {}", listed(&keys))))),
        _ => Ok(SecretVariable {
            variable: variable.to_string(),
            secret: secret_name.to_string(),
            key: key.map(str::to_string),
        }),
    }
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
