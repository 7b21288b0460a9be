//! The fixtures of the cluster's nodes: named node groups (their sizes, architectures, taints,
//! names), the seed's pool beside them, the add-ons, and services placed on the groups. Listed
//! in `INVALID`, `WARNINGS` and `VALID` of `specs/mod.rs` by name.

use super::Edit::{InsertAfter, RemoveLine, Replace};
use super::{AFTER_THE_SERVICE, Fixture, fixture};

/// The starter's nodes: the seed's pool, under `[defaults.eks]`.
const POOL: &str = "instance_types = [\"t3.medium\"]\ndesired_size = 2\nmin_size = 1\nmax_size = 4\nspot = false\nspot_percentage = 0\n";
/// The last key of the starter's `[defaults.eks]`: node groups go after it.
const END_OF_EKS: &str = r#"public_access_cidrs = ["203.0.113.0/24"]"#;
/// The prod environment's cluster, an inline table.
const PROD_EKS: &str = "eks = { endpoint_public_access = false, public_access_cidrs = [] }";

/// The starter's `[defaults.eks]` with named node groups instead of the pool: a `general` group
/// and `extra`, each a table of its own.
macro_rules! node_groups {
    ($($extra:expr),* $(; $($edit:expr),+)? $(,)?) => {
        &[
            Replace(POOL, ""),
            InsertAfter(
                END_OF_EKS,
                concat!(
                    "\n[defaults.eks.node_groups.general]\ninstance_types = [\"t3.medium\"]\n",
                    "desired_size = 2\nmin_size = 1\nmax_size = 4"
                    $(, "\n\n", $extra)*
                ),
            ),
            $($($edit),+)?
        ]
    };
}

/// A memory-optimized group on AWS Graviton, labelled and tainted for analytics.
macro_rules! analytics_group {
    () => {
        concat!(
            "[defaults.eks.node_groups.memory-optimized]\ninstance_types = [\"r6g.large\"]\n",
            "ami_type = \"AL2023_ARM_64_STANDARD\"\ndesired_size = 1\nmin_size = 1\nmax_size = 3\n",
            "labels = { workload = \"analytics\" }\n",
            "taints = [{ key = \"workload\", value = \"analytics\", effect = \"NoSchedule\" }]"
        )
    };
}

pub(super) const ARCHITECTURE_MISMATCH: Fixture = fixture(
    "node_group_architecture_mismatch",
    "a Graviton instance type on the default x86_64 AMI, and an x86_64 one on the arm64 AMI",
    node_groups!(
        "[defaults.eks.node_groups.memory]\ninstance_types = [\"r6g.large\"]\ndesired_size = 1\nmin_size = 1\nmax_size = 3",
        "[defaults.eks.node_groups.compute]\ninstance_types = [\"c7g.large\", \"m5.large\"]\nami_type = \"AL2023_ARM_64_STANDARD\"\ndesired_size = 1\nmin_size = 0\nmax_size = 2",
    ),
);

pub(super) const SIZES_OUT_OF_ORDER: Fixture = fixture(
    "node_group_sizes_out_of_order",
    "a node group whose desired size is above its maximum in prod",
    node_groups!(; Replace(PROD_EKS, concat!(
        "eks = { endpoint_public_access = false, public_access_cidrs = [], ",
        "node_groups = { general = { desired_size = 6 } } }"
    ))),
);

pub(super) const UNKNOWN_TAINT_EFFECT: Fixture = fixture(
    "taint_effect_unknown",
    "a taint effect Kubernetes does not have",
    node_groups!(concat!(
        "[defaults.eks.node_groups.batch]\ninstance_types = [\"m5.large\"]\ndesired_size = 0\n",
        "min_size = 0\nmax_size = 2\nlabels = { workload = \"batch\" }\n",
        "taints = [{ key = \"workload\", value = \"batch\", effect = \"NoScheduling\" }]"
    )),
);

pub(super) const EVERY_GROUP_TAINTED: Fixture = fixture(
    "every_node_group_tainted",
    "a cluster whose only node group is tainted, so CoreDNS has nowhere to run",
    &[
        Replace(POOL, ""),
        InsertAfter(END_OF_EKS, concat!("\n", analytics_group!())),
    ],
);

pub(super) const POOL_AND_GROUPS: Fixture = fixture(
    "node_groups_beside_the_pool",
    "named node groups in prod beside the seed's pool in [defaults]",
    &[Replace(
        PROD_EKS,
        concat!(
            "eks = { endpoint_public_access = false, public_access_cidrs = [], node_groups = { ",
            "general = { instance_types = [\"t3.large\"], desired_size = 2, min_size = 2, max_size = 6 } } }"
        ),
    )],
);

pub(super) const NO_NODES: Fixture = fixture(
    "cluster_without_nodes",
    "a cluster with neither node groups nor the seed's pool",
    &[Replace(POOL, "")],
);

pub(super) const POOL_INCOMPLETE: Fixture = fixture(
    "pool_without_its_maximum",
    "the seed's pool without `max_size`",
    &[RemoveLine("max_size = 4")],
);

pub(super) const GROUP_NAME_TOO_LONG: Fixture = fixture(
    "node_group_name_too_long",
    "a node group whose EKS name, with the cluster's, is longer than EKS allows",
    node_groups!(
        "[defaults.eks.node_groups.memory-optimized-for-analytics-x]\ninstance_types = [\"m5.large\"]\ndesired_size = 1\nmin_size = 1\nmax_size = 2";
        Replace(r#"name = "myapp""#, r#"name = "myapp-with-a-long-project-name""#),
    ),
);

pub(super) const KUBE_PROXY_VERSION: Fixture = fixture(
    "kube_proxy_of_another_kubernetes",
    "a kube-proxy add-on built for another Kubernetes version than the cluster's",
    &[InsertAfter(
        END_OF_EKS,
        r#"addons = { coredns = "v1.10.1-eksbuild.13", kube-proxy = "v1.29.3-eksbuild.2" }"#,
    )],
);

pub(super) const UNKNOWN_GROUP: Fixture = fixture(
    "service_on_an_unknown_node_group",
    "a service placed on a misspelt node group, and in prod on one the cluster does not have",
    node_groups!(analytics_group!();
        InsertAfter("shutdown_grace_seconds = 20", r#"node_group = "memory-optimised""#),
        InsertAfter(
            super::PROD_DEPLOY,
            r#"services = { myapp-backend = { node_group = "gpu" } }"#,
        ),
    ),
);

pub(super) const UNLABELLED_GROUP: Fixture = fixture(
    "service_on_an_unlabelled_node_group",
    "a service placed on a node group without labels to select its nodes by",
    node_groups!(; InsertAfter(
        "shutdown_grace_seconds = 20",
        r#"node_group = "general""#,
    )),
);

pub(super) const LABELS_SELECT_ANOTHER_GROUP: Fixture = fixture(
    "node_group_labels_select_another_group",
    "a service placed on a group whose labels another untainted group's nodes also carry",
    node_groups!(
        "[defaults.eks.node_groups.batch]\ninstance_types = [\"m5.large\"]\ndesired_size = 1\nmin_size = 1\nmax_size = 3\nlabels = { tier = \"batch\" }",
        "[defaults.eks.node_groups.batch-spot]\ninstance_types = [\"m5.large\"]\ndesired_size = 0\nmin_size = 0\nmax_size = 3\ncapacity_type = \"spot\"\nlabels = { tier = \"batch\", lifecycle = \"spot\" }";
        InsertAfter(
            AFTER_THE_SERVICE,
            concat!(
                "\n[services.myapp-worker]\nport = 8081\nimage_repository = \"myapp-worker\"\n",
                "health_path = \"/health\"\nreadiness_path = \"/ready\"\nmetrics_path = \"/metrics\"\n",
                "shutdown_grace_seconds = 20\ningress_paths = []\nsource = \"services/worker\"\n",
                "node_group = \"batch\""
            ),
        ),
        InsertAfter(r#"uid = "myapp-api""#, r#"service = "myapp-backend""#),
        Replace("monthly_usd = 450", "monthly_usd = 600"),
    ),
);

pub(super) const PLACED: Fixture = fixture(
    "service_placed_on_a_tainted_group",
    "node groups, add-ons, and a second service on a tainted Graviton group (dev overrides it)",
    node_groups!(
        analytics_group!(),
        concat!(
            "[defaults.eks.addons]\ncoredns = \"v1.10.1-eksbuild.13\"\n",
            "kube-proxy = \"v1.28.15-eksbuild.4\"\nvpc-cni = \"v1.19.0-eksbuild.1\"\n",
            "aws-ebs-csi-driver = \"v1.37.0-eksbuild.1\""
        );
        Replace(
            "instance_types = [\"t3.medium\"]\ndesired_size = 2",
            "labels = { workload = \"general\" }\ninstance_types = [\"t3.medium\"]\ndesired_size = 2",
        ),
        InsertAfter(
            AFTER_THE_SERVICE,
            concat!(
                "\n[services.myapp-analytics]\nport = 8081\nimage_repository = \"myapp-analytics\"\n",
                "health_path = \"/health\"\nreadiness_path = \"/ready\"\nmetrics_path = \"/metrics\"\n",
                "shutdown_grace_seconds = 20\ningress_paths = []\nsource = \"services/analytics\"\n",
                "node_group = \"memory-optimized\""
            ),
        ),
        InsertAfter(
            super::DEV_DEPLOY,
            r#"services = { myapp-analytics = { node_group = "general" } }"#,
        ),
        InsertAfter(r#"uid = "myapp-api""#, r#"service = "myapp-backend""#),
        Replace("monthly_usd = 450", "monthly_usd = 600"),
    ),
);
