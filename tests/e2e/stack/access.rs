//! The spec's own secrets and what each service's role reaches, planned: every declared secret
//! is created under the name the releases read, and each service's role may reach exactly the
//! buckets its `access` names, by the names the spec gives them.

use std::collections::BTreeMap;

use serde_json::Value;

use super::plan::{planned, text};
use generator::model::BucketAccess;

pub(super) fn the_planned_platform_secrets_are_the_specs() {
    let mut declared = 0;
    for case in planned() {
        let (plan, label, model) = (&case.plan, &case.label, &case.model);
        let environment = case.environment();
        let planned: BTreeMap<String, (String, String)> = plan
            .of_type("aws_secretsmanager_secret")
            .filter(|(address, _)| address.starts_with("module.secrets."))
            .map(|(address, secret)| {
                let key = address
                    .split_once("[\"")
                    .and_then(|(_, rest)| rest.strip_suffix("\"]"))
                    .unwrap_or_else(|| panic!("{label}: {address} is keyed by name"));
                (
                    key.to_string(),
                    (text(&secret["name"]), text(&secret["description"])),
                )
            })
            .collect();
        let expected: BTreeMap<String, (String, String)> = model
            .secrets
            .iter()
            .map(|(name, secret)| {
                (
                    name.clone(),
                    (
                        model.platform_secret_name(environment, name),
                        secret.description.clone(),
                    ),
                )
            })
            .collect();
        assert_eq!(planned, expected, "{label}: the spec's secrets");
        declared += expected.len();
    }
    assert!(
        declared > 0,
        "no example spec declares a secret: nothing was checked"
    );
}

pub(super) fn every_service_role_reaches_the_buckets_its_access_names() {
    let mut reached = 0;
    for case in planned() {
        let (plan, label, model) = (&case.plan, &case.label, &case.model);
        let environment = case.environment();
        for service in &model.services {
            let address = format!(
                "module.service_role[\"{}\"].aws_iam_role_policy.buckets[0]",
                service.name
            );
            let policy = plan
                .of_type("aws_iam_role_policy")
                .find(|(a, _)| *a == address)
                .map(|(_, policy)| policy);
            let buckets = &environment.settings_of(service).access.buckets;
            let Some(policy) = policy else {
                assert!(
                    buckets.is_empty(),
                    "{label}: {} reaches {buckets:?} but its role has no bucket policy",
                    service.name
                );
                continue;
            };
            let document: Value =
                serde_json::from_str(&text(&policy["policy"])).expect("the policy is JSON");
            // Statement id -> (actions, the resources' ends after `:s3:::`).
            let statements: BTreeMap<String, (Vec<String>, Vec<String>)> = document["Statement"]
                .as_array()
                .expect("statements")
                .iter()
                .map(|statement| {
                    let strings = |value: &Value| -> Vec<String> {
                        value.as_array().expect("a list").iter().map(text).collect()
                    };
                    assert_eq!(statement["Effect"], "Allow", "{label}");
                    let resources = strings(&statement["Resource"])
                        .into_iter()
                        .map(|arn| {
                            // The partition is the mocked API's.
                            arn.split_once(":s3:::")
                                .map(|(_, name)| name.to_string())
                                .unwrap_or_else(|| panic!("{label}: {arn} is an S3 ARN"))
                        })
                        .collect();
                    (
                        text(&statement["Sid"]),
                        (strings(&statement["Action"]), resources),
                    )
                })
                .collect();
            let names = |access: BucketAccess, suffix: &str| -> Vec<String> {
                let mut names: Vec<String> = buckets
                    .iter()
                    .filter(|(_, a)| **a == access)
                    .map(|(purpose, _)| {
                        format!("{}{suffix}", model.bucket_name(environment, purpose))
                    })
                    .collect();
                names.sort();
                names
            };
            let mut listed: Vec<String> = buckets
                .keys()
                .map(|purpose| model.bucket_name(environment, purpose))
                .collect();
            listed.sort();
            let mut expected = BTreeMap::from([(
                "ListBuckets".to_string(),
                (vec!["s3:ListBucket".to_string()], listed),
            )]);
            let read = names(BucketAccess::Read, "/*");
            if !read.is_empty() {
                expected.insert(
                    "ReadObjects".to_string(),
                    (vec!["s3:GetObject".to_string()], read),
                );
            }
            let read_write = names(BucketAccess::ReadWrite, "/*");
            if !read_write.is_empty() {
                let actions = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"];
                expected.insert(
                    "ReadWriteObjects".to_string(),
                    (actions.map(str::to_string).to_vec(), read_write),
                );
            }
            assert_eq!(statements, expected, "{label}: {}'s buckets", service.name);
            reached += 1;
        }
    }
    assert!(
        reached > 0,
        "no example service reaches a bucket: nothing was checked"
    );
}

/// The Terraform workflow's two roles, planned: named as the spec says, each trusting exactly
/// the OIDC subjects the generator derives from the spec (pull requests and the deploying
/// branches for the plan role, this environment's GitHub environment alone for the apply role),
/// only with the STS audience, through GitHub's provider in the account.
pub(super) fn the_terraform_roles_trust_only_the_specs_subjects() {
    let mut checked = 0;
    for case in planned() {
        let (plan, label, model) = (&case.plan, &case.label, &case.model);
        let Some(roles) = &model.delivery.terraform else {
            assert_eq!(
                plan.of_type("aws_iam_role")
                    .filter(|(address, _)| address.starts_with("module.terraform_roles"))
                    .count(),
                0,
                "{label}: roles without the workflow"
            );
            continue;
        };
        let repository = &model.project.github_repository;
        let mut plan_subjects = vec![format!("repo:{repository}:pull_request")];
        plan_subjects.extend(
            model
                .deploying_branches()
                .iter()
                .map(|branch| format!("repo:{repository}:ref:refs/heads/{branch}")),
        );
        let apply_subjects = vec![format!(
            "repo:{repository}:environment:{}",
            case.environment
        )];
        for (role, name, subjects, policy) in [
            (
                "plan",
                &roles.plan_role_name,
                plan_subjects,
                "ReadOnlyAccess",
            ),
            (
                "apply",
                &roles.apply_role_name,
                apply_subjects,
                "AdministratorAccess",
            ),
        ] {
            let planned = plan.at(&format!("module.terraform_roles[0].aws_iam_role.{role}"));
            assert_eq!(text(&planned["name"]), *name, "{label}: {role} role name");
            let trust: Value = serde_json::from_str(&text(&planned["assume_role_policy"]))
                .unwrap_or_else(|e| panic!("{label}: the {role} trust is known JSON: {e}"));
            let statements = trust["Statement"].as_array().expect("statements");
            assert_eq!(statements.len(), 1, "{label}: {role}");
            let statement = &statements[0];
            assert_eq!(statement["Effect"], "Allow");
            assert_eq!(statement["Action"], "sts:AssumeRoleWithWebIdentity");
            // The spec's account where it names one, else the mocked credentials'.
            let account = case
                .environment()
                .account_id
                .as_deref()
                .unwrap_or("123456789012");
            assert_eq!(
                statement["Principal"]["Federated"],
                format!("arn:aws:iam::{account}:oidc-provider/token.actions.githubusercontent.com"),
                "{label}: {role}"
            );
            let condition = statement["Condition"].as_object().expect("a condition");
            assert_eq!(
                condition.keys().collect::<Vec<_>>(),
                ["StringEquals"],
                "{label}: {role}: exact subjects, no wildcard match"
            );
            let equals = &condition["StringEquals"];
            assert_eq!(
                equals["token.actions.githubusercontent.com:aud"],
                "sts.amazonaws.com"
            );
            assert_eq!(
                equals["token.actions.githubusercontent.com:sub"],
                serde_json::json!(subjects),
                "{label}: {role} subjects"
            );
            let attachment = plan.at(&format!(
                "module.terraform_roles[0].aws_iam_role_policy_attachment.{}",
                if role == "plan" {
                    "plan_read_only"
                } else {
                    "apply_administrator"
                }
            ));
            assert_eq!(
                text(&attachment["policy_arn"]),
                format!("arn:aws:iam::aws:policy/{policy}"),
                "{label}: {role}"
            );
        }
        checked += 1;
    }
    assert!(checked > 0, "no example spec has the Terraform workflow");
}
