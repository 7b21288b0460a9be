//! The whole environment root, planned by real Terraform: for every environment of every example
//! spec, a copy of the root (`terraform/stack` with `terraform/modules`) takes the generated
//! tfvars and `terraform test` plans it against a mocked AWS API (every test file of
//! `terraform/stack/tests/`, whose assertions must hold too; `plan.tftest.hcl`'s plan is the one
//! read here); `-json -verbose` prints the plan as JSON, and the
//! tests here check that the planned resources carry the **spec's** values, read from the model,
//! not from the tfvars: spec -> generator -> tfvars -> stack -> modules -> resources in one step.
//!
//! The password's generation depends on the day of the plan (modules/rotation-clock), which
//! `rotation` checks against this machine's clock.
//!
//! The one module a mocked provider cannot plan, `terraform/modules/password` (an ephemeral
//! resource; Terraform 1.11 mocks none), is swapped for `terraform/stack/tests/doubles/password`.

mod access;
mod addons;
mod datastores;
mod edge;
mod nodes;
mod plan;
mod rotation;

use access::{
    every_service_role_reaches_the_buckets_its_access_names,
    the_planned_platform_secrets_are_the_specs, the_terraform_roles_trust_only_the_specs_subjects,
};
use addons::every_add_on_role_trusts_the_service_account_its_values_annotate;
use edge::{
    the_load_balancer_annotations_name_what_terraform_creates, the_planned_buckets_are_the_specs,
    the_planned_web_acl_allows_only_the_specs_countries,
};

use std::collections::BTreeSet;

use serde_json::Value;

use crate::support::{assert_success, run, tool, tool_command, workspace};
use datastores::{
    the_planned_cache_is_the_specs, the_planned_database_and_its_replicas_are_the_specs,
};
use generator::model::{NatMode, Secret};
use generator::render::helm_values::IRSA_ANNOTATION;
use nodes::{
    the_planned_add_ons_and_autoscaler_are_the_specs, the_planned_node_groups_are_the_specs,
};
use plan::{copy_dir, planned, text};
use rotation::the_planned_password_rotates_as_the_spec_says;
use testkit::{Need, Test, test};

/// This module's tests, and what each needs besides the workspace.
pub(crate) fn tests() -> Vec<Test> {
    vec![
        test!(
            the_environment_root_validates_with_every_module,
            Need::Tool("terraform-aws")
        ),
        test!(
            the_planned_network_is_the_specs,
            Need::Tool("terraform-aws")
        ),
        test!(
            the_planned_cluster_is_the_specs,
            Need::Tool("terraform-aws")
        ),
        test!(
            the_planned_node_groups_are_the_specs,
            Need::Tool("terraform-aws")
        ),
        test!(
            the_planned_add_ons_and_autoscaler_are_the_specs,
            Need::Tool("terraform-aws")
        ),
        test!(
            the_planned_database_and_its_replicas_are_the_specs,
            Need::Tool("terraform-aws")
        ),
        test!(
            the_planned_password_rotates_as_the_spec_says,
            Need::Tool("terraform-aws")
        ),
        test!(the_planned_cache_is_the_specs, Need::Tool("terraform-aws")),
        test!(
            every_service_gets_its_repository_and_role,
            Need::Tool("terraform-aws")
        ),
        test!(
            the_planned_secrets_waf_and_budget_are_the_specs,
            Need::Tool("terraform-aws")
        ),
        test!(
            the_planned_buckets_are_the_specs,
            Need::Tool("terraform-aws")
        ),
        test!(
            the_load_balancer_annotations_name_what_terraform_creates,
            Need::Tool("terraform-aws")
        ),
        test!(
            the_planned_platform_secrets_are_the_specs,
            Need::Tool("terraform-aws")
        ),
        test!(
            every_service_role_reaches_the_buckets_its_access_names,
            Need::Tool("terraform-aws")
        ),
        test!(
            the_planned_web_acl_allows_only_the_specs_countries,
            Need::Tool("terraform-aws")
        ),
        test!(
            the_terraform_roles_trust_only_the_specs_subjects,
            Need::Tool("terraform-aws")
        ),
        test!(
            every_add_on_role_trusts_the_service_account_its_values_annotate,
            Need::Tool("terraform-aws")
        ),
    ]
}

fn the_planned_network_is_the_specs() {
    for case in planned() {
        let (plan, network, label) = (&case.plan, &case.environment().network, &case.label);
        assert_eq!(
            text(&plan.at("module.vpc.aws_vpc.this")["cidr_block"]),
            network.vpc.to_string(),
            "{label}: VPC"
        );
        for (kind, cidrs) in [
            ("public", &network.public_subnets),
            ("private", &network.private_subnets),
            ("database", &network.database_subnets),
        ] {
            for (index, (cidr, zone)) in cidrs.iter().zip(&network.availability_zones).enumerate() {
                let subnet = plan.at(&format!("module.vpc.aws_subnet.{kind}[{index}]"));
                assert_eq!(
                    text(&subnet["cidr_block"]),
                    cidr.to_string(),
                    "{label}: {kind} subnet {index}"
                );
                assert_eq!(
                    text(&subnet["availability_zone"]),
                    *zone,
                    "{label}: {kind} subnet {index}"
                );
            }
            assert_eq!(
                plan.of_type("aws_subnet")
                    .filter(|(address, _)| address
                        .starts_with(&format!("module.vpc.aws_subnet.{kind}[")))
                    .count(),
                cidrs.len(),
                "{label}: {kind} subnets"
            );
        }
        let gateways = match network.nat {
            NatMode::Single => 1,
            NatMode::PerAz => network.availability_zones.len(),
        };
        assert_eq!(
            plan.of_type("aws_nat_gateway").count(),
            gateways,
            "{label}: NAT gateways"
        );
        let endpoints: BTreeSet<String> = plan
            .of_type("aws_vpc_endpoint")
            .filter(|(_, endpoint)| endpoint["vpc_endpoint_type"] == "Interface")
            // com.amazonaws.<region>.<service>; the mocked API names the region at random.
            .filter_map(|(_, endpoint)| {
                let name = text(&endpoint["service_name"]);
                let (_, service) = name.strip_prefix("com.amazonaws.")?.split_once('.')?;
                Some(service.to_string())
            })
            .collect();
        let expected: BTreeSet<String> = network
            .interface_endpoints
            .iter()
            .flat_map(|endpoint| endpoint.services().iter())
            .map(|service| (*service).to_string())
            .collect();
        assert_eq!(endpoints, expected, "{label}: interface endpoints");
        assert_eq!(
            plan.of_type("aws_flow_log").count(),
            usize::from(network.flow_logs),
            "{label}: flow logs"
        );
    }
}

fn the_planned_cluster_is_the_specs() {
    for case in planned() {
        let (plan, eks, label) = (&case.plan, &case.environment().eks, &case.label);
        let cluster = plan.at("module.eks.aws_eks_cluster.this");
        assert_eq!(
            text(&cluster["version"]),
            eks.version,
            "{label}: EKS version"
        );
        assert_eq!(
            cluster["name"],
            case.model.resource_name(case.environment()).as_str(),
            "{label}"
        );
        let access = &cluster["vpc_config"][0];
        assert_eq!(
            access["endpoint_private_access"], eks.endpoint_private_access,
            "{label}"
        );
        assert_eq!(
            access["endpoint_public_access"], eks.endpoint_public_access,
            "{label}"
        );
    }
}

fn every_service_gets_its_repository_and_role() {
    for case in planned() {
        let (plan, label, model) = (&case.plan, &case.label, &case.model);
        let repositories: BTreeSet<String> = plan
            .of_type("aws_ecr_repository")
            .map(|(_, repository)| text(&repository["name"]))
            .collect();
        let images: BTreeSet<String> = model
            .services
            .iter()
            .map(|s| case.environment().settings_of(s).image_repository.clone())
            .collect();
        assert_eq!(
            repositories, images,
            "{label}: one ECR repository per image"
        );
        for service in &model.services {
            let role = plan.at(&format!(
                "module.service_role[\"{}\"].aws_iam_role.this",
                service.name
            ));
            assert_eq!(
                text(&role["name"]),
                model.service_role_name(case.environment(), &service.name),
                "{label}: {}'s role",
                service.name
            );
            // Its release annotates the service account with that role, where the spec names
            // the account (the role's ARN is the account's).
            let release = case
                .releases
                .iter()
                .find(|values| values.name_override == service.name)
                .expect("the service's release");
            let annotation = release
                .service_account
                .annotations
                .get(IRSA_ANNOTATION)
                .cloned();
            let expected = case
                .environment()
                .account_id
                .as_ref()
                .map(|account| format!("arn:aws:iam::{account}:role/{}", text(&role["name"])));
            assert_eq!(
                annotation, expected,
                "{label}: {}'s service account",
                service.name
            );
        }
        assert_eq!(
            plan.of_type("aws_iam_role")
                .filter(|(address, _)| address.starts_with("module.service_role["))
                .count(),
            model.services.len(),
            "{label}: one role per service"
        );
    }
}

fn the_planned_secrets_waf_and_budget_are_the_specs() {
    for case in planned() {
        let (plan, label, environment) = (&case.plan, &case.label, case.environment());
        for (address, secret) in [
            (
                "module.rds.aws_secretsmanager_secret.credentials",
                Secret::Database,
            ),
            (
                "module.elasticache.aws_secretsmanager_secret.connection",
                Secret::Redis,
            ),
        ] {
            assert_eq!(
                text(&plan.at(address)["name"]),
                case.model.secret_name(environment, secret),
                "{label}: the {} secret",
                secret.as_str()
            );
        }
        let acls: Vec<&Value> = plan
            .of_type("aws_wafv2_web_acl")
            .map(|(_, acl)| acl)
            .collect();
        assert_eq!(
            acls.len(),
            usize::from(environment.waf.enabled),
            "{label}: WAF"
        );
        if let Some(acl) = acls.first() {
            let limits: Vec<u64> = acl["rule"]
                .as_array()
                .expect("rules")
                .iter()
                .filter_map(|rule| {
                    rule["statement"][0]["rate_based_statement"][0]["limit"].as_u64()
                })
                .collect();
            assert_eq!(
                limits,
                [u64::from(environment.waf.rate_limit_per_5min)],
                "{label}: WAF rate limit"
            );
        }
        let is_amounts = |address: &str| address.ends_with("aws_budgets_budget.amounts[0]");
        let budgets: Vec<&Value> = plan
            .of_type("aws_budgets_budget")
            .filter(|(address, _)| !is_amounts(address))
            .map(|(_, b)| b)
            .collect();
        // The absolute amounts: a budget of their own, an alert on actual spend per amount.
        let mut alerted: Vec<f64> = plan
            .of_type("aws_budgets_budget")
            .filter(|(address, _)| is_amounts(address))
            .flat_map(|(_, b)| b["notification"].as_array().cloned().unwrap_or_default())
            .map(|n| {
                assert_eq!(n["threshold_type"], "ABSOLUTE_VALUE", "{label}");
                n["threshold"].as_f64().expect("a threshold")
            })
            .collect();
        alerted.sort_by(f64::total_cmp);
        let expected: Vec<f64> = environment
            .budget
            .alert_amounts_usd
            .iter()
            .map(|&a| f64::from(a))
            .collect();
        assert_eq!(alerted, expected, "{label}: budget alert amounts");
        assert_eq!(
            budgets.len(),
            usize::from(!environment.budget.alert_emails.is_empty()),
            "{label}"
        );
        if let Some(budget) = budgets.first() {
            assert_eq!(
                text(&budget["limit_amount"]),
                format!("{}.00", environment.budget.monthly_usd),
                "{label}: budget"
            );
            let emails: BTreeSet<String> = budget["notification"]
                .as_array()
                .expect("notifications")
                .iter()
                .flat_map(|n| {
                    n["subscriber_email_addresses"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default()
                })
                .map(|e| text(&e))
                .collect();
            let expected: BTreeSet<String> =
                environment.budget.alert_emails.iter().cloned().collect();
            assert_eq!(emails, expected, "{label}: budget alerts");
        }
    }
}

/// `terraform validate` with the real provider's schema of the environment root (the stack, with
/// the real password module, not the plan test's double), which validates every module it calls;
/// and every module is called (by the stack or by a module it calls). A module alone is no root:
/// the one with an ephemeral output (password) and the ones taking a provider alias (rds) cannot
/// be validated on their own.
fn the_environment_root_validates_with_every_module() {
    let terraform = tool("terraform-aws");
    let copy = tempfile::tempdir().expect("tempdir");
    copy_dir(
        &workspace().join("terraform"),
        &copy.path().join("terraform"),
    );
    let root = copy.path().join("terraform/environments/prod");
    for arguments in [
        &["init", "-backend=false", "-no-color"][..],
        &["validate", "-no-color"],
    ] {
        let output = run(tool_command(&terraform).current_dir(&root).args(arguments));
        assert_success(
            &output,
            &format!("terraform {} of the environment root", arguments[0]),
        );
    }
    // `terraform init` records every module it installed, nested ones included.
    let installed: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join(".terraform/modules/modules.json"))
            .expect("modules.json"),
    )
    .expect("modules.json is JSON");
    let called: BTreeSet<String> = installed["Modules"]
        .as_array()
        .expect("Modules")
        .iter()
        .filter_map(|module| module["Dir"].as_str())
        .filter_map(|dir| {
            dir.rsplit_once("modules/")
                .map(|(_, name)| name.to_string())
        })
        .collect();
    let modules: BTreeSet<String> = std::fs::read_dir(workspace().join("terraform/modules"))
        .expect("terraform/modules")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let uncalled: Vec<&String> = modules.difference(&called).collect();
    assert!(
        uncalled.is_empty(),
        "modules the environment root never calls, so nothing validates: {uncalled:?} (called: {called:?})"
    );
}
