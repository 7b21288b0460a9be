//! `generated/<env>/helm-values/<service>.yaml`: the values the chart (`runtime/chart/`)
//! consumes, one release per service, built from the Model into the contract
//! ([`HelmValues`], in `contract`), and the chart's values schema derived from it.

mod contract;

use std::collections::BTreeMap;

pub use contract::*;

use super::artifact::{Artifact, RenderError, Request};
use super::template::render_template;
use super::{dashboards, prometheus_rules};
use crate::model::{
    self, COST_DASHBOARD_UID, Environment, HealthCheckPath, Model, POOLER_NAME, POOLER_PORT,
    Pooler, Secret, Service,
};

/// ElastiCache's port, in every environment.
const REDIS_PORT: u16 = 6379;
/// The service account annotation EKS reads the pods' IAM role from.
pub const IRSA_ANNOTATION: &str = "eks.amazonaws.com/role-arn";
/// The AWS APIs (S3, Secrets Manager, STS).
const HTTPS_PORT: u16 = 443;

/// The chart values of one service in one environment, as the model decides them: without the
/// files a release carries (see [`release_values`]).
pub fn values(model: &Model, environment: &Environment, service: &Service) -> HelmValues {
    let settings = environment;
    // The service's own sizing and configuration in this environment.
    let sizing = environment.settings_of(service);
    // Behind PgBouncer, the services reach its Service, each as a database entry of its own
    // (render::pgbouncer); else the instance, whose address only the secret knows.
    let pooler = settings.database.pooler.as_ref();
    let database_port = match pooler {
        Some(_) => POOLER_PORT,
        None => settings.database.engine.port(),
    };
    let pooled = |key: &str| -> Option<String> {
        pooler?;
        match key {
            "host" => Some(Pooler::host(&environment.namespace)),
            "port" => Some(POOLER_PORT.to_string()),
            "dbname" => Some(service.name.clone()),
            _ => None,
        }
    };
    let runtime = service.api().is_some();
    // One release of the environment installs its rules and dashboards.
    let carrier = model.observability_service().name == service.name;
    let mut config = sizing.config.clone();
    let mut data = Vec::new();
    if runtime {
        config.extend([
            ("SERVICE".to_string(), service.name.clone()),
            ("ENVIRONMENT".to_string(), environment.name.clone()),
            (
                "LISTEN_ADDR".to_string(),
                format!("0.0.0.0:{}", sizing.port),
            ),
            (
                "DB_DATABASE".to_string(),
                pooled("dbname").unwrap_or_else(|| settings.database.name.clone()),
            ),
            ("DB_PORT".to_string(), database_port.to_string()),
            ("REDIS_PORT".to_string(), REDIS_PORT.to_string()),
            (
                "REDIS_TLS".to_string(),
                settings.cache.transit_encryption.to_string(),
            ),
            // Behind the ALB the client address is in X-Forwarded-For; rate limits key on it.
            ("TRUST_X_FORWARDED_FOR".to_string(), "true".to_string()),
        ]);
        // A Redis Cluster: the runtime's cluster client, seeded with the configuration
        // endpoint the secret's host holds, and every key under one hash tag.
        if settings.cache.topology.is_cluster() {
            config.insert("REDIS_CLUSTER".to_string(), "true".to_string());
        }
        let reference = |env: &str, secret: Secret, property: &str| SecretReference {
            env: env.to_string(),
            remote_key: model.secret_name(environment, secret),
            property: Some(property.to_string()),
        };
        match pooled("host") {
            Some(host) => {
                config.insert("DB_HOST".to_string(), host);
            }
            None => data.push(reference("DB_HOST", Secret::Database, "host")),
        }
        data.extend([
            reference("DB_USER", Secret::Database, "username"),
            reference("DB_PWD", Secret::Database, "password"),
            reference("REDIS_HOST", Secret::Redis, "host"),
        ]);
        if settings.cache.auth_token {
            data.push(reference("REDIS_AUTH_TOKEN", Secret::Redis, "auth_token"));
        }
    }
    for read in environment.secret_variables_of(service) {
        // The database's address, where PgBouncer stands in for it, is configuration.
        let database = Secret::named(&read.secret) == Some(Secret::Database);
        match read.key.as_deref().filter(|_| database).and_then(pooled) {
            Some(value) => {
                config.insert(read.variable.clone(), value);
            }
            None => data.push(SecretReference {
                env: read.variable.clone(),
                remote_key: model.platform_secret_name(environment, &read.secret),
                property: read.key.clone(),
            }),
        }
    }
    let tracing = environment.tracing.as_ref();
    if let Some(tracing) = tracing {
        config.extend(tracing.variables(&service.name, &environment.name));
    }
    let egress = &sizing.egress;
    // A role that reaches buckets or secrets reaches them through the AWS APIs (and STS for the
    // role's token) over HTTPS, whose addresses are AWS's to change.
    let aws_apis = !sizing.access.buckets.is_empty() || !sizing.access.secrets.is_empty();
    let mut egress_ports: Vec<u16> = [
        (egress.database, database_port),
        (egress.cache, REDIS_PORT),
        (aws_apis, HTTPS_PORT),
    ]
    .into_iter()
    .filter_map(|(reached, port)| reached.then_some(port))
    .collect();
    // The tracing collector, wherever it runs.
    if let Some(tracing) = tracing
        && !egress_ports.contains(&tracing.port)
    {
        egress_ports.push(tracing.port);
    }
    let mut egress_services: Vec<EgressService> = egress
        .services
        .iter()
        .filter_map(|name| model.service(name))
        .map(|other| EgressService {
            name: other.name.clone(),
            port: environment.settings_of(other).port,
        })
        .collect();
    // PgBouncer's pods, not the database's port at any address.
    if egress.database && pooler.is_some() {
        egress_ports.retain(|&port| port != database_port);
        egress_services.push(EgressService {
            name: POOLER_NAME.to_string(),
            port: POOLER_PORT,
        });
    }
    let placement = environment.placement_of(service);
    let node_selector = placement
        .map(|group| group.labels.clone())
        .unwrap_or_default();
    let tolerations = placement
        .map(|group| {
            group
                .taints
                .iter()
                .map(|taint| Toleration {
                    key: taint.key.clone(),
                    operator: TolerationOperator::Equal,
                    value: taint.value.clone(),
                    effect: taint.effect,
                })
                .collect()
        })
        .unwrap_or_default();
    let mut annotations = BTreeMap::from([
        (
            "alb.ingress.kubernetes.io/scheme".to_string(),
            "internet-facing".to_string(),
        ),
        (
            "alb.ingress.kubernetes.io/target-type".to_string(),
            "ip".to_string(),
        ),
        (
            "alb.ingress.kubernetes.io/certificate-arn".to_string(),
            settings.ingress.certificate_arn.clone(),
        ),
        (
            "alb.ingress.kubernetes.io/listen-ports".to_string(),
            r#"[{"HTTP": 80}, {"HTTPS": 443}]"#.to_string(),
        ),
        (
            "alb.ingress.kubernetes.io/ssl-redirect".to_string(),
            "443".to_string(),
        ),
        (
            "alb.ingress.kubernetes.io/ssl-policy".to_string(),
            "ELBSecurityPolicy-TLS13-1-2-2021-06".to_string(),
        ),
        // Every service's Ingress of the environment on one load balancer, one host.
        (
            "alb.ingress.kubernetes.io/group.name".to_string(),
            model.resource_name(environment),
        ),
    ]);
    annotations.extend(load_balancer_annotations(model, environment, service));
    HelmValues {
        name_override: service.name.clone(),
        part_of: model.project.name.clone(),
        environment: environment.name.clone(),
        image: Image {
            registry: String::new(),
            repository: sizing.image_repository.clone(),
            tag: String::new(),
            pull_policy: PullPolicy::IfNotPresent,
        },
        replica_count: sizing.replicas,
        container_port: sizing.port,
        colour: Colour::None,
        service: ServiceValues {
            kind: ServiceType::ClusterIP,
            port: sizing.port,
            active_colour: Colour::None,
        },
        resources: ResourceValues {
            requests: Quantities {
                cpu: sizing.resources.cpu_request.clone(),
                memory: sizing.resources.memory_request.clone(),
            },
            limits: Quantities {
                cpu: sizing.resources.cpu_limit.clone(),
                memory: sizing.resources.memory_limit.clone(),
            },
        },
        probes: Probes {
            liveness: probe(&sizing.health_path, sizing.probes.liveness),
            readiness: probe(&sizing.readiness_path, sizing.probes.readiness),
            startup: probe(&sizing.health_path, sizing.probes.startup),
        },
        termination_grace_period_seconds: service.shutdown_grace_seconds + 10,
        rollout: RolloutValues {
            max_surge: sizing.rollout.max_surge,
            max_unavailable: sizing.rollout.max_unavailable,
        },
        config,
        secrets: Secrets {
            name: format!("{}-secrets", service.name),
            existing: false,
            external_secret: ExternalSecret {
                enabled: !data.is_empty(),
                secret_store: model::SECRET_STORE.to_string(),
                secret_store_kind: SecretStoreKind::ClusterSecretStore,
                refresh_interval: model.secret_store.refresh_interval.clone(),
                data,
            },
        },
        autoscaling: AutoscalingValues {
            enabled: sizing.autoscaling.max_replicas > sizing.autoscaling.min_replicas,
            min_replicas: sizing.autoscaling.min_replicas,
            max_replicas: sizing.autoscaling.max_replicas,
            target_cpu_utilization_percentage: sizing.autoscaling.cpu_target_percent,
            target_memory_utilization_percentage: sizing.autoscaling.memory_target_percent,
            behavior: ScalingBehavior {
                scale_up: scaling_rules(sizing.autoscaling.scale_up),
                scale_down: scaling_rules(sizing.autoscaling.scale_down),
            },
        },
        pod_disruption_budget: PodDisruptionBudget {
            enabled: sizing.autoscaling.min_replicas > 1,
            min_available: sizing.disruption_budget.min_available,
        },
        spread: Spread {
            across_nodes: true,
            across_zones: true,
            max_skew: 1,
        },
        node_selector,
        tolerations,
        ingress: IngressValues {
            enabled: !sizing.ingress_paths.is_empty(),
            class_name: "alb".to_string(),
            host: settings.ingress.host.clone(),
            paths: sizing.ingress_paths.clone(),
            annotations,
        },
        service_monitor: ServiceMonitor {
            enabled: true,
            interval: "30s".to_string(),
            path: sizing.metrics_path.clone(),
            labels: BTreeMap::from([("release".to_string(), "prometheus".to_string())]),
        },
        prometheus_rule: PrometheusRule {
            enabled: carrier,
            file: String::new(),
        },
        grafana_dashboards: GrafanaDashboards {
            enabled: carrier,
            sidecar_label: "grafana_dashboard".to_string(),
            files: BTreeMap::new(),
        },
        spec: None,
        pod_annotations: BTreeMap::from([
            ("prometheus.io/scrape".to_string(), "true".to_string()),
            ("prometheus.io/port".to_string(), sizing.port.to_string()),
            (
                "prometheus.io/path".to_string(),
                sizing.metrics_path.clone(),
            ),
        ]),
        // IRSA: the pods assume the service's own role. Where the spec names no account, the
        // deploy workflow sets the annotation from the GitHub environment's account.
        service_account: ServiceAccount {
            create: true,
            name: String::new(),
            annotations: model
                .service_role_arn(environment, &service.name)
                .map(|arn| (IRSA_ANNOTATION.to_string(), arn))
                .into_iter()
                .collect(),
        },
        // The distroless `nonroot` user of the runtime image (runtime/Dockerfile).
        security_context: SecurityContext {
            run_as_user: 65532,
            run_as_group: 65532,
        },
        network_policy: NetworkPolicy {
            enabled: true,
            egress_ports,
            egress_services,
        },
    }
}

/// The values file of one service's release in one environment: [`values`], plus the files the
/// release deploys, so that the values file alone installs it. A runtime release carries the
/// spec it serves; the environment's carrier release carries the rules and dashboards, the very
/// text of `generated/<env>/prometheus-rules.yaml` and `generated/<env>/dashboards/<uid>.json`.
pub fn release_values(
    request: &Request<'_>,
    environment: &Environment,
    service: &Service,
) -> Result<HelmValues, RenderError> {
    let mut values = values(request.model, environment, service);
    if service.api().is_some() {
        values.spec = Some(ServedSpec {
            file: request.spec_text.to_string(),
            sha256: sha256_hex(request.spec_text),
        });
    }
    if values.prometheus_rule.enabled {
        values.prometheus_rule.file = prometheus_rules::rules_file(request, environment)?.contents;
    }
    if values.grafana_dashboards.enabled {
        let mut files = request
            .model
            .dashboards
            .iter()
            .map(|dashboard| {
                let file = dashboards::dashboard_file(request, environment, dashboard)?;
                Ok((dashboard.uid.clone(), file.contents))
            })
            .collect::<Result<BTreeMap<_, _>, RenderError>>()?;
        let cost = dashboards::cost_dashboard_file(request, environment)?;
        files.insert(COST_DASHBOARD_UID.to_string(), cost.contents);
        values.grafana_dashboards.files = files;
    }
    Ok(values)
}

/// SHA-256 of `text` in lowercase hex, as Helm's `sha256sum` prints it.
pub(crate) fn sha256_hex(text: &str) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Where the chart's values schema is written.
pub const SCHEMA_PATH: &str = "runtime/chart/values.schema.json";

/// One direction of the autoscaler's behaviour, as the spec states it.
fn scaling_rules(scaling: model::Scaling) -> ScalingRules {
    ScalingRules {
        stabilization_window_seconds: scaling.stabilization_seconds,
        policies: vec![ScalingPolicy {
            kind: ScalingPolicyType::Percent,
            value: scaling.percent,
            period_seconds: scaling.period_seconds,
        }],
    }
}

/// A probe of `path` with the spec's timing.
fn probe(path: &str, timing: model::Probe) -> Probe {
    Probe {
        path: path.to_string(),
        initial_delay_seconds: timing.initial_delay_seconds,
        period_seconds: timing.period_seconds,
        timeout_seconds: timing.timeout_seconds,
        failure_threshold: timing.failure_threshold,
    }
}

/// The JSON Schema of the chart's values, derived from [`HelmValues`], so Helm itself rejects a
/// values file the generator would never write (wrong type, unknown key, negative replicas).
pub fn schema() -> serde_json::Value {
    let mut schema = schemars::generate::SchemaSettings::draft2020_12()
        .for_deserialize()
        .into_generator()
        .into_root_schema_for::<HelmValues>()
        .to_value();
    if let Some(root) = schema.as_object_mut() {
        root.insert(
            "description".into(),
            "Values of the expense-backend chart. Generated by platformgen from the types that render generated/<env>/helm-values/<service>.yaml; do not edit.".into(),
        );
    }
    schema
}

/// Where the chart values of a service in an environment are written.
pub fn path(environment: &Environment, service: &Service) -> String {
    format!(
        "generated/{}/helm-values/{}.yaml",
        environment.name, service.name
    )
}

/// Renders the values of each service in each environment, and the chart's values schema.
pub fn render(request: &Request<'_>) -> Result<Vec<Artifact>, RenderError> {
    let model = request.model;
    let mut artifacts = Vec::new();
    for environment in request.environments() {
        for service in &model.services {
            let body = render_template(
                "helm-values.yaml.j2",
                &release_values(request, environment, service)?,
            )?;
            artifacts.push(Artifact {
                path: path(environment, service),
                contents: format!("{}{body}", request.header("#")),
            });
        }
    }
    let mut schema_text = serde_json::to_string_pretty(&schema()).unwrap_or_default();
    schema_text.push('\n');
    artifacts.push(Artifact {
        path: SCHEMA_PATH.to_string(),
        contents: schema_text,
    });
    Ok(artifacts)
}

/// The annotations that set up the environment's load balancer beyond routing: its health check
/// of the service's pods, its access logs, its web ACL. Every Ingress of the group carries the
/// same load balancer attributes, so they never conflict.
fn load_balancer_annotations(
    model: &Model,
    environment: &Environment,
    service: &Service,
) -> Vec<(String, String)> {
    let annotation = |key: &str, value: String| (format!("alb.ingress.kubernetes.io/{key}"), value);
    let ingress = &environment.ingress;
    let sizing = environment.settings_of(service);
    let mut annotations = Vec::new();
    match &ingress.health_check {
        None => annotations.push(annotation(
            "healthcheck-path",
            sizing.readiness_path.clone(),
        )),
        Some(check) => {
            let path = match check.path {
                HealthCheckPath::Health => &sizing.health_path,
                HealthCheckPath::Readiness => &sizing.readiness_path,
            };
            annotations.extend([
                annotation("healthcheck-path", path.clone()),
                annotation(
                    "healthcheck-interval-seconds",
                    check.interval_seconds.to_string(),
                ),
                annotation(
                    "healthcheck-timeout-seconds",
                    check.timeout_seconds.to_string(),
                ),
                annotation(
                    "healthy-threshold-count",
                    check.healthy_threshold.to_string(),
                ),
                annotation(
                    "unhealthy-threshold-count",
                    check.unhealthy_threshold.to_string(),
                ),
            ]);
        }
    }
    if let Some(purpose) = &ingress.access_logs_bucket {
        annotations.push(annotation(
            "load-balancer-attributes",
            format!(
                "access_logs.s3.enabled=true,access_logs.s3.bucket={},access_logs.s3.prefix=alb",
                model.bucket_name(environment, purpose)
            ),
        ));
    }
    // The web ACL Terraform creates (terraform/modules/waf), by the name it gives it.
    if environment.waf.enabled {
        annotations.push(annotation(
            "wafv2-acl-name",
            format!("{}-waf", model.resource_name(environment)),
        ));
    }
    annotations
}
