//! The environment's edge and storage, planned: the spec's buckets, the web ACL's allow list of
//! countries, and the load balancer the controller builds from the Ingress annotations attached
//! to what Terraform creates.

use std::collections::BTreeSet;

use serde_json::Value;

use super::plan::{planned, text};
use generator::model::BucketEncryption;

pub(super) fn the_planned_buckets_are_the_specs() {
    for case in planned() {
        let (plan, label, environment) = (&case.plan, &case.label, case.environment());
        let names: BTreeSet<String> = plan
            .of_type("aws_s3_bucket")
            .map(|(_, bucket)| text(&bucket["bucket"]))
            .collect();
        let expected: BTreeSet<String> = environment
            .buckets
            .keys()
            .map(|purpose| case.model.bucket_name(environment, purpose))
            .collect();
        assert_eq!(names, expected, "{label}: buckets");
        for (purpose, bucket) in &environment.buckets {
            let module = format!("module.buckets[\"{purpose}\"]");
            let blocked = plan.at(&format!("{module}.aws_s3_bucket_public_access_block.this"));
            for key in [
                "block_public_acls",
                "block_public_policy",
                "ignore_public_acls",
                "restrict_public_buckets",
            ] {
                assert_eq!(blocked[key], true, "{label}: {purpose} {key}");
            }
            let versioning: Vec<&Value> = plan
                .of_type("aws_s3_bucket_versioning")
                .filter(|(address, _)| address.starts_with(&module))
                .map(|(_, v)| v)
                .collect();
            assert_eq!(
                versioning.len(),
                usize::from(bucket.versioned),
                "{label}: {purpose} versioning"
            );
            let encryption = plan.at(&format!(
                "{module}.aws_s3_bucket_server_side_encryption_configuration.this"
            ));
            let algorithm = text(
                &encryption["rule"][0]["apply_server_side_encryption_by_default"][0]["sse_algorithm"],
            );
            let expected = match bucket.encryption {
                BucketEncryption::SseS3 => "AES256",
                BucketEncryption::SseKms => "aws:kms",
            };
            assert_eq!(algorithm, expected, "{label}: {purpose} encryption");
            let rule = &plan.at(&format!(
                "{module}.aws_s3_bucket_lifecycle_configuration.this"
            ))["rule"][0];
            let days = |block: &str, key: &str| {
                rule[block]
                    .as_array()
                    .and_then(|b| b.first())
                    .and_then(|b| b[key].as_u64())
            };
            assert_eq!(
                days("transition", "days"),
                bucket.glacier_after_days.map(u64::from),
                "{label}: {purpose} to Glacier"
            );
            assert_eq!(
                days("expiration", "days"),
                bucket.expire_after_days.map(u64::from),
                "{label}: {purpose} expiry"
            );
            let origins: Vec<String> = plan
                .of_type("aws_s3_bucket_cors_configuration")
                .filter(|(address, _)| address.starts_with(&module))
                .flat_map(|(_, cors)| {
                    cors["cors_rule"][0]["allowed_origins"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default()
                })
                .map(|origin| text(&origin))
                .collect();
            assert_eq!(origins, bucket.cors_origins, "{label}: {purpose} CORS");
        }
    }
}

/// Where the spec gives an allow list of countries, the planned web ACL blocks, before any other
/// rule, every request from a country not on it, exactly the spec's (`EU` expanded); elsewhere it
/// has no geo rule. Every rule has a priority of its own.
pub(super) fn the_planned_web_acl_allows_only_the_specs_countries() {
    let mut geo_rules = 0;
    for case in planned() {
        let (plan, label, environment) = (&case.plan, &case.label, case.environment());
        let Some((_, acl)) = plan.of_type("aws_wafv2_web_acl").next() else {
            assert!(!environment.waf.enabled, "{label}: no web ACL planned");
            continue;
        };
        let rules = acl["rule"].as_array().expect("the web ACL's rules");
        let priorities: BTreeSet<u64> = rules
            .iter()
            .map(|rule| rule["priority"].as_u64().expect("a priority"))
            .collect();
        assert_eq!(priorities.len(), rules.len(), "{label}: rule priorities");
        let geo: Vec<&Value> = rules
            .iter()
            .filter(|rule| {
                !rule["statement"][0]["not_statement"][0]["statement"][0]["geo_match_statement"]
                    .is_null()
            })
            .collect();
        let allowed = &environment.waf.allowed_countries;
        assert_eq!(
            geo.len(),
            usize::from(!allowed.is_empty()),
            "{label}: geo rules"
        );
        if let Some(rule) = geo.first() {
            geo_rules += 1;
            let codes: Vec<String> =
                rule["statement"][0]["not_statement"][0]["statement"][0]["geo_match_statement"][0]
                    ["country_codes"]
                    .as_array()
                    .expect("country codes")
                    .iter()
                    .map(text)
                    .collect();
            assert_eq!(&codes, allowed, "{label}: allowed countries");
            assert_eq!(
                rule["action"][0]["block"].as_array().map(Vec::len),
                Some(1),
                "{label}: the geo rule blocks"
            );
            assert_eq!(
                rule["priority"].as_u64(),
                priorities.first().copied(),
                "{label}: the geo rule comes first"
            );
        }
    }
    assert!(geo_rules > 0, "no example spec plans a geo rule");
}

/// The Ingress annotations of every release name the web ACL and the access-log bucket by the
/// names Terraform gives them, so the load balancer the controller builds is attached to both.
pub(super) fn the_load_balancer_annotations_name_what_terraform_creates() {
    for case in planned() {
        let (plan, label, environment) = (&case.plan, &case.label, case.environment());
        assert!(!case.releases.is_empty(), "{label}: no release");
        for release in &case.releases {
            let annotations = &release.ingress.annotations;
            let acl = annotations.get("alb.ingress.kubernetes.io/wafv2-acl-name");
            let planned: Vec<String> = plan
                .of_type("aws_wafv2_web_acl")
                .map(|(_, acl)| text(&acl["name"]))
                .collect();
            assert_eq!(
                acl.cloned().into_iter().collect::<Vec<_>>(),
                planned,
                "{label}: the web ACL the Ingress names"
            );
            let attributes = annotations.get("alb.ingress.kubernetes.io/load-balancer-attributes");
            assert_eq!(
                attributes.is_some(),
                environment.ingress.access_logs_bucket.is_some(),
                "{label}"
            );
            if let Some(attributes) = attributes {
                let bucket = attributes
                    .split(',')
                    .find_map(|pair| pair.strip_prefix("access_logs.s3.bucket="))
                    .unwrap_or_else(|| panic!("{label}: no access-log bucket in {attributes}"));
                let prefix = attributes
                    .split(',')
                    .find_map(|pair| pair.strip_prefix("access_logs.s3.prefix="))
                    .unwrap_or_default();
                let (address, _) = plan
                    .of_type("aws_s3_bucket")
                    .find(|(_, planned)| planned["bucket"] == bucket)
                    .unwrap_or_else(|| panic!("{label}: the access logs go to {bucket}, which Terraform does not create"));
                let module = address.trim_end_matches(".aws_s3_bucket.this");
                // The bucket has its policy, which (terraform/modules/s3-bucket, alb_access_logs)
                // lets the region's load balancers write under alb/: the prefix the Ingress names.
                plan.at(&format!("{module}.aws_s3_bucket_policy.this"));
                assert_eq!(prefix, "alb", "{label}: access logs under alb/ of {bucket}");
            }
        }
    }
}
