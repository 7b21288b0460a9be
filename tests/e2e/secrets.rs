//! No generated file holds a secret value: every artifact both example specs render, and every
//! committed file under `generated/` and `.github/`, is scanned for credentials (AWS keys,
//! private keys, tokens, passwords assigned literal values, URLs with passwords, random-looking
//! values under secret-ish keys). Secrets are referenced (`${{ secrets.X }}`, an ExternalSecret
//! key), never written. The scanner is tested on planted samples so a clean result means
//! something.

use std::path::{Path, PathBuf};

use crate::support::{example_specs, render_spec, workspace};
use testkit::{Test, test};

/// This module's tests, and what each needs besides the workspace.
pub(crate) fn tests() -> Vec<Test> {
    vec![
        test!(no_rendered_artifact_of_either_example_spec_holds_a_secret),
        test!(no_committed_generated_file_or_workflow_holds_a_secret),
        test!(the_scanner_finds_planted_secrets_and_ignores_references),
        test!(a_password_planted_in_a_rendered_artifact_is_found),
    ]
}

/// One suspicious value.
#[derive(Debug, PartialEq, Eq)]
struct Finding {
    line: usize,
    rule: &'static str,
    excerpt: String,
}

/// Key names whose literal value would be a credential (compared lowercased, without `_`, `-`
/// and `.`), by suffix: `DB_PWD`, `redis_auth_token`, `slackWebhookUrl`, `client-secret`, ...
const SECRET_KEY_SUFFIXES: [&str; 14] = [
    "password",
    "passwd",
    "pwd",
    "passphrase",
    "secret",
    "secretkey",
    "secretaccesskey",
    "token",
    "apikey",
    "accesskey",
    "privatekey",
    "credentials",
    "webhookurl",
    "connectionstring",
];

/// Key names that merely contain a secret-ish word but name something else.
fn secret_key(key: &str) -> bool {
    let normalized: String = key
        .chars()
        .filter(|c| !matches!(c, '_' | '-' | '.'))
        .flat_map(char::to_lowercase)
        .collect();
    SECRET_KEY_SUFFIXES
        .iter()
        .any(|suffix| normalized.ends_with(suffix))
}

/// A value that points at a secret instead of holding it, or holds nothing.
fn reference_or_empty(value: &str) -> bool {
    let lowered = value.to_ascii_lowercase();
    value.is_empty()
        || value.contains("${{")
        || value.contains("${")
        || value.contains("{{")
        || value.starts_with('$')
        || value.starts_with("arn:")
        || value.chars().all(|c| c == '*')
        || matches!(
            lowered.as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "none" | "~" | "0" | "1"
            // GitHub permission levels (`id-token: write`).
            | "read" | "write"
        )
}

/// Shannon entropy in bits per character.
fn entropy(text: &str) -> f64 {
    let mut counts = std::collections::BTreeMap::new();
    for c in text.chars() {
        *counts.entry(c).or_insert(0_u32) += 1;
    }
    let length = f64::from(u32::try_from(text.chars().count()).unwrap_or(u32::MAX));
    counts
        .values()
        .map(|&n| {
            let p = f64::from(n) / length;
            -p * p.log2()
        })
        .sum()
}

fn token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '_' | '-')
}

/// Maximal runs of token characters in a line.
fn tokens(line: &str) -> impl Iterator<Item = &str> {
    line.split(|c: char| !token_char(c))
        .filter(|t| !t.is_empty())
}

/// `key: value`, `key = value`, `"key": "value"`, `export KEY=value`: the key and the literal.
fn assignment(line: &str) -> Option<(&str, &str)> {
    let trimmed = line.trim_start().trim_start_matches("- ").trim_start();
    let trimmed = trimmed.strip_prefix("export ").unwrap_or(trimmed);
    let at = trimmed.find([':', '='])?;
    let key = trimmed[..at].trim().trim_matches('"').trim_matches('\'');
    if key.is_empty()
        || !key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        return None;
    }
    let mut value = trimmed[at + 1..].trim();
    // A URL's `://` is not an assignment.
    if value.starts_with("//") {
        return None;
    }
    // A table, list or block scalar follows: no literal on this line.
    if value.starts_with(['{', '[', '|', '>']) {
        return None;
    }
    // Drop a trailing comma (JSON, HCL lists) and a trailing comment after a quoted value.
    value = value.trim_end_matches(',').trim();
    let value = if let Some(inner) = value.strip_prefix('"') {
        inner.split('"').next().unwrap_or("")
    } else if let Some(inner) = value.strip_prefix('\'') {
        inner.split('\'').next().unwrap_or("")
    } else {
        value.split(" #").next().unwrap_or(value).trim()
    };
    Some((key, value))
}

/// A URL with a password in its user info: `scheme://user:password@host`.
fn url_password(line: &str) -> Option<&str> {
    let mut rest = line;
    while let Some(at) = rest.find("://") {
        let after = &rest[at + 3..];
        let authority_end = after
            .find(|c: char| c == '/' || c == '"' || c == '\'' || c.is_whitespace())
            .unwrap_or(after.len());
        let authority = &after[..authority_end];
        if let Some((user_info, _host)) = authority.rsplit_once('@')
            && let Some((_user, password)) = user_info.split_once(':')
            && !reference_or_empty(password)
        {
            return Some(password);
        }
        rest = after;
    }
    None
}

/// A URL that holds no credential: no password in its user info (a URL with one is its own
/// finding) and no query parameter named like a secret (`?token=`), such as a connection string
/// naming only a user that the server trusts by address.
fn passwordless_url(value: &str) -> bool {
    let Some((_, rest)) = value.split_once("://") else {
        return false;
    };
    let query = rest.split_once('?').map_or("", |(_, query)| query);
    url_password(value).is_none()
        && !query
            .split('&')
            .filter_map(|pair| pair.split_once('=').map(|(key, _)| key))
            .any(secret_key)
}

/// Every suspicious value in `text`.
fn scan(text: &str) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let mut flag = |rule: &'static str| {
            findings.push(Finding {
                line: index + 1,
                rule,
                excerpt: line.trim().chars().take(120).collect(),
            });
        };
        if line.contains("-----BEGIN") && line.contains("PRIVATE KEY") {
            flag("private key block");
        }
        for token in tokens(line) {
            let upper_alnum = |s: &str| {
                s.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            };
            if token.len() == 20
                && ["AKIA", "ASIA", "AIDA", "AROA", "ANPA"]
                    .iter()
                    .any(|p| token.starts_with(p))
                && upper_alnum(token)
            {
                flag("AWS access key id");
            }
            if ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"]
                .iter()
                .any(|p| token.starts_with(p) && token.len() >= p.len() + 30)
            {
                flag("GitHub token");
            }
            if ["xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-"]
                .iter()
                .any(|p| token.starts_with(p))
            {
                flag("Slack token");
            }
            // Random-looking runs: base64 keys (AWS secret keys are 40 characters). Hex (a
            // commit SHA, a digest) stays under 4 bits per character.
            let mixed = token.chars().any(|c| c.is_ascii_uppercase())
                && token.chars().any(|c| c.is_ascii_lowercase())
                && token.chars().any(|c| c.is_ascii_digit());
            if token.len() >= 32 && mixed && entropy(token) > 4.5 {
                flag("high-entropy string");
            }
        }
        for dotted in line.split(|c: char| !(token_char(c) || c == '.')) {
            let parts: Vec<&str> = dotted.split('.').collect();
            if dotted.starts_with("eyJ") && parts.len() == 3 && parts.iter().all(|p| p.len() >= 10)
            {
                flag("JSON Web Token");
            }
        }
        if line.contains("hooks.slack.com/services/") {
            flag("Slack webhook URL");
        }
        if url_password(line).is_some() {
            flag("URL with a password");
        }
        if let Some((key, value)) = assignment(line)
            && secret_key(key)
            && !reference_or_empty(value)
            && !passwordless_url(value)
        {
            flag("literal value of a secret key");
        }
    }
    findings
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return files;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

fn report(found: &[(String, Finding)]) -> String {
    found
        .iter()
        .map(|(file, f)| format!("{file}:{}: {}: {}", f.line, f.rule, f.excerpt))
        .collect::<Vec<_>>()
        .join("\n")
}

fn no_rendered_artifact_of_either_example_spec_holds_a_secret() {
    let mut found = Vec::new();
    let mut scanned = 0;
    for spec in example_specs() {
        let (_, artifacts) = render_spec(&spec);
        for artifact in &artifacts {
            scanned += 1;
            found.extend(
                scan(&artifact.contents)
                    .into_iter()
                    .map(|f| (format!("{} ({})", artifact.path, spec.display()), f)),
            );
        }
    }
    assert!(scanned >= 20, "only {scanned} artifacts rendered");
    assert!(
        found.is_empty(),
        "secret-looking values:\n{}",
        report(&found)
    );
}

fn no_committed_generated_file_or_workflow_holds_a_secret() {
    let root = workspace();
    let mut files = files_under(&root.join("generated"));
    files.extend(files_under(&root.join(".github")));
    files.extend(files_under(&root.join("examples")));
    files.push(root.join("runtime/chart/values.schema.json"));
    assert!(files.len() >= 20, "only {} files found", files.len());
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file)
            .unwrap_or_else(|error| panic!("{} is text: {error}", file.display()));
        let name = file
            .strip_prefix(&root)
            .unwrap_or(file)
            .display()
            .to_string();
        found.extend(scan(&text).into_iter().map(|f| (name.clone(), f)));
    }
    assert!(
        found.is_empty(),
        "secret-looking values:\n{}",
        report(&found)
    );
}

/// The scanner finds each kind of planted secret, in each artifact syntax, and stays quiet on
/// the references and look-alikes the real artifacts hold.
fn the_scanner_finds_planted_secrets_and_ignores_references() {
    let planted = [
        (
            "aws_access_key_id = \"AKIAIOSFODNN7EXAMPLE\"",
            "AWS access key id",
        ),
        ("  key: ASIAY34FZKBOKMUTVV7A", "AWS access key id"),
        (
            "aws_secret = \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\"",
            "high-entropy string",
        ),
        ("-----BEGIN RSA PRIVATE KEY-----", "private key block"),
        ("-----BEGIN OPENSSH PRIVATE KEY-----", "private key block"),
        (
            "db_password = \"hunter22\"",
            "literal value of a secret key",
        ),
        ("  DB_PWD: \"S3cr3t!\"", "literal value of a secret key"),
        (
            "      REDIS_AUTH_TOKEN: plain-token-value",
            "literal value of a secret key",
        ),
        (
            "\"clientSecret\": \"abcdef123456\",",
            "literal value of a secret key",
        ),
        (
            "export API_KEY=abcdef123456",
            "literal value of a secret key",
        ),
        (
            "  SLACK_WEBHOOK_URL: \"https://hooks.slack.com/services/T000/B000/XXXX\"",
            "Slack webhook URL",
        ),
        (
            "database_url = \"postgres://app:s3cret@db.internal:5432/app\"",
            "URL with a password",
        ),
        (
            "  DATABASE_URL: mysql://root:root@127.0.0.1:3306/test",
            "URL with a password",
        ),
        (
            "  - \"--db.connectionString=postgres://exporter:hunter22@127.0.0.1:6432/pgbouncer\"",
            "URL with a password",
        ),
        (
            "  connection_string: \"https://api.example.com/v1?token=abcdef123456\"",
            "literal value of a secret key",
        ),
        (
            "token: ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
            "GitHub token",
        ),
        ("slack: xoxb-123456789012-abcdefghijkl", "Slack token"),
        (
            "jwt: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
            "JSON Web Token",
        ),
    ];
    for (line, rule) in planted {
        let findings = scan(&format!("# a file\n{line}\n"));
        assert!(
            findings.iter().any(|f| f.rule == rule && f.line == 2),
            "`{line}` not reported as {rule}: {findings:?}"
        );
    }
    let clean = [
        "          SLACK_WEBHOOK_URL: \"${{ secrets.SLACK_WEBHOOK_URL }}\"",
        "          role-to-assume: \"arn:aws:iam::${{ secrets.AWS_ACCOUNT_ID }}:role/Deploy\"",
        "          persist-credentials: false",
        "          MARIADB_ALLOW_EMPTY_ROOT_PASSWORD: \"1\"",
        "          POSTGRES_HOST_AUTH_METHOD: \"trust\"",
        "    secretStore: \"aws-secrets-manager\"",
        "        property: \"password\"",
        "      - env: \"REDIS_AUTH_TOKEN\"",
        "redis_auth_token_enabled = false",
        "      id-token: write",
        "  TEST_MYSQL_URL: \"mysql://root@127.0.0.1:3306/test\"",
        "  DATABASE_URL: \"postgres://app:${DB_PWD}@db:5432/app\"",
        "  url: \"postgres://app:***@db:5432/app\"",
        "            - \"--pgBouncer.connectionString=postgres://pgbouncer_exporter@127.0.0.1:6432/pgbouncer?sslmode=disable\"",
        "        uses: \"actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8\" # v5.0.0",
        "  \"expr\": \"sum(rate(http_requests_total{job=\\\"expense-backend\\\"}[5m]))\",",
        "          RUN_URL: \"${{ github.server_url }}/${{ github.repository }}/actions/runs/${{ github.run_id }}\"",
    ];
    for line in clean {
        let findings = scan(line);
        assert!(findings.is_empty(), "`{line}` reported: {findings:?}");
    }
}

/// A secret planted in a real rendered artifact is found: the scan reads what `generate` writes.
fn a_password_planted_in_a_rendered_artifact_is_found() {
    let spec = workspace().join("specs/expense.toml");
    let (_, artifacts) = render_spec(&spec);
    let values = artifacts
        .iter()
        .find(|a| a.path == "generated/prod/helm-values/expense-backend.yaml")
        .expect("prod helm values");
    let planted = values.contents.replacen(
        "  ENVIRONMENT: \"prod\"\n",
        "  ENVIRONMENT: \"prod\"\n  DB_PWD: \"correct-horse-battery\"\n",
        1,
    );
    assert_ne!(planted, values.contents);
    let findings = scan(&planted);
    assert!(
        findings
            .iter()
            .any(|f| f.rule == "literal value of a secret key" && f.excerpt.contains("DB_PWD")),
        "{findings:?}"
    );
    assert_eq!(scan(&values.contents), Vec::new());
}
