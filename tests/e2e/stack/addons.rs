//! The cluster add-ons' side of the plan: every add-on that calls AWS has a role, under the name
//! the model gives it, trusting exactly the service account its values file renders (in the
//! namespace bootstrap.sh installs it into) and annotated there with that role's ARN where the
//! spec names the account, else set by bootstrap.sh from an output the stack declares; and the
//! containers' log group carries the environment's retention under the name Fluent Bit writes.

use serde_json::Value;

use super::plan::{planned, text};
use crate::support::workspace;
use generator::model::Addon;
use generator::render::addons::{bootstrap_path, role_output, values_path};
use generator::render::helm_values::IRSA_ANNOTATION;

/// Where the plan has each add-on's role.
fn role_address(addon: Addon) -> Option<&'static str> {
    match addon {
        Addon::LoadBalancerController => {
            Some("module.cluster_addons.module.load_balancer_controller_role.aws_iam_role.this")
        }
        Addon::FluentBit => Some("module.cluster_addons.module.fluent_bit_role.aws_iam_role.this"),
        Addon::ClusterAutoscaler => Some("module.eks.aws_iam_role.irsa[\"autoscaler\"]"),
        Addon::ExternalSecrets => Some("module.external_secrets_role.aws_iam_role.this"),
        Addon::KubePrometheusStack | Addon::MetricsServer => None,
    }
}

pub(super) fn every_add_on_role_trusts_the_service_account_its_values_annotate() {
    let outputs = std::fs::read_to_string(workspace().join("terraform/stack/outputs.tf"))
        .expect("terraform/stack/outputs.tf");
    let mut checked = 0;
    for case in planned() {
        let (plan, label, model) = (&case.plan, &case.label, &case.model);
        let environment = case.environment();
        let file = |path: &str| -> &str {
            &case
                .addons
                .iter()
                .find(|a| a.path == path)
                .unwrap_or_else(|| panic!("{label}: {path} is rendered"))
                .contents
        };
        let bootstrap = file(&bootstrap_path(environment));
        for addon in Addon::ALL {
            let Some(address) = role_address(addon) else {
                assert_eq!(
                    addon.service_account(),
                    None,
                    "{label}: {addon:?} has no role"
                );
                continue;
            };
            let role = plan.at(address);
            let name = text(&role["name"]);
            assert_eq!(
                Some(name.clone()),
                model.addon_role_name(environment, addon),
                "{label}: {addon:?}'s role name"
            );
            let values: Value = serde_norway::from_str(file(&values_path(environment, addon)))
                .expect("the add-on's values parse");
            let account = match addon {
                Addon::ClusterAutoscaler => &values["rbac"]["serviceAccount"],
                _ => &values["serviceAccount"],
            };
            let service_account = account["name"].as_str().expect("a service account name");
            let trust: Value = serde_json::from_str(&text(&role["assume_role_policy"]))
                .unwrap_or_else(|e| panic!("{label}: {addon:?}'s trust is known JSON: {e}"));
            let statements = trust["Statement"].as_array().expect("statements");
            assert_eq!(statements.len(), 1, "{label}: {addon:?}");
            let statement = &statements[0];
            assert_eq!(statement["Effect"], "Allow");
            assert_eq!(statement["Action"], "sts:AssumeRoleWithWebIdentity");
            assert!(
                text(&statement["Principal"]["Federated"]).contains(":oidc-provider/oidc.eks."),
                "{label}: {addon:?} trusts the cluster's OIDC provider"
            );
            let equals = statement["Condition"]["StringEquals"]
                .as_object()
                .expect("StringEquals");
            let subjects: Vec<&Value> = equals
                .iter()
                .filter(|(key, _)| key.ends_with(":sub"))
                .map(|(_, value)| value)
                .collect();
            assert_eq!(
                subjects,
                [&Value::from(format!(
                    "system:serviceaccount:{}:{service_account}",
                    addon.namespace()
                ))],
                "{label}: {addon:?}'s role trusts the service account its values render, in its namespace"
            );
            assert!(
                bootstrap.contains(&format!(" -n {} ", addon.namespace())),
                "{label}: bootstrap.sh installs {addon:?} in {}",
                addon.namespace()
            );
            let annotation = account["annotations"][IRSA_ANNOTATION].as_str();
            match &environment.account_id {
                Some(account) => assert_eq!(
                    annotation,
                    Some(format!("arn:aws:iam::{account}:role/{name}").as_str()),
                    "{label}: {addon:?}'s service account names the planned role"
                ),
                None => {
                    assert_eq!(annotation, None, "{label}: {addon:?}");
                    let output = role_output(addon).expect("an output");
                    assert!(
                        outputs.contains(&format!("output \"{output}\" {{")),
                        "{label}: bootstrap.sh reads the output {output}, which the stack lacks"
                    );
                    assert!(
                        bootstrap.contains(&format!("=\"$(output {output})\"")),
                        "{label}: bootstrap.sh sets {addon:?}'s role from {output}"
                    );
                }
            }
            checked += 1;
        }
        // The containers' log group: the name Fluent Bit writes, the environment's retention.
        let group = plan.at("module.cluster_addons.aws_cloudwatch_log_group.containers");
        assert_eq!(
            text(&group["name"]),
            model.container_log_group(environment),
            "{label}: the containers' log group"
        );
        assert_eq!(
            group["retention_in_days"], environment.app.log_retention_days,
            "{label}: its retention"
        );
        let fluent_bit: Value =
            serde_norway::from_str(file(&values_path(environment, Addon::FluentBit)))
                .expect("Fluent Bit's values parse");
        assert_eq!(
            text(&fluent_bit["cloudWatchLogs"]["logGroupName"]),
            text(&group["name"]),
            "{label}: Fluent Bit writes the planned group"
        );
        let policy = plan.at(
            "module.cluster_addons.module.fluent_bit_role.aws_iam_role_policy.extra[\"ship-container-logs\"]",
        );
        let document: Value = serde_json::from_str(&text(&policy["policy"])).expect("JSON");
        for resource in document["Statement"][0]["Resource"]
            .as_array()
            .expect("resources")
        {
            assert!(
                text(resource).contains(&format!(":log-group:{}", text(&group["name"]))),
                "{label}: Fluent Bit may write only its group, not {resource}"
            );
        }
    }
    assert!(checked > 0, "no add-on role was checked");
}
