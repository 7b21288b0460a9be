//! The rendered manifests, read back as data, agree with the spec and the runtime: port, probes,
//! variables, sizing, rollout, hardening, ingress and monitoring, in every environment.

use std::collections::BTreeSet;

use super::{
    Example, Rendered, artifact, container, dashboard_uids, environment, of_kind, one,
    render_every_environment, runtime_reads,
};
use generator::model::{HealthCheckPath, POOLER_PORT, Pooler, Secret};
use serde_json::{Value, json};

pub(super) fn the_rendered_manifests_agree_with_the_spec_and_the_runtime() {
    let (examples, rendered) = render_every_environment();
    for Rendered {
        example,
        install,
        manifests,
        ..
    } in rendered
    {
        let Example {
            model, artifacts, ..
        } = &examples[*example];
        let label = &install.label;
        let env = &install.environment;
        let service = model.service(&install.service).expect("service");
        let app = environment(model, env).settings_of(service);
        let deployment = one(manifests, "Deployment");
        let pod = &deployment["spec"]["template"]["spec"];
        let container = container(deployment);

        // Port and probes: what the runtime listens on and serves, at the environment's timings.
        assert_eq!(container["ports"][0]["containerPort"], app.port, "{label}");
        assert_eq!(container["ports"][0]["name"], "http");
        assert_eq!(
            container["livenessProbe"]["httpGet"]["path"],
            app.health_path.as_str()
        );
        assert_eq!(
            container["readinessProbe"]["httpGet"]["path"],
            app.readiness_path.as_str()
        );
        assert_eq!(container["livenessProbe"]["httpGet"]["port"], "http");
        assert_eq!(
            container["startupProbe"]["httpGet"]["path"],
            app.health_path.as_str()
        );
        for (probe, timing) in [
            ("livenessProbe", app.probes.liveness),
            ("readinessProbe", app.probes.readiness),
            ("startupProbe", app.probes.startup),
        ] {
            let rendered = &container[probe];
            assert_eq!(
                [
                    &rendered["initialDelaySeconds"],
                    &rendered["periodSeconds"],
                    &rendered["timeoutSeconds"],
                    &rendered["failureThreshold"],
                ],
                [
                    timing.initial_delay_seconds,
                    timing.period_seconds,
                    timing.timeout_seconds,
                    timing.failure_threshold,
                ],
                "{label}: {probe}"
            );
        }
        let svc = one(manifests, "Service");
        assert_eq!(svc["spec"]["ports"][0]["targetPort"], "http");
        assert_eq!(svc["spec"]["ports"][0]["port"], app.port);

        // The pod gets its ConfigMap: for the runtime, only variables it reads, and its
        // secrets; for a service on its own image, exactly its configuration here.
        let config_map = manifests
            .iter()
            .find(|m| {
                m["kind"] == "ConfigMap"
                    && m["metadata"]["name"] == format!("{}-config", service.name)
            })
            .expect("the service's ConfigMap");
        assert_eq!(
            container["envFrom"],
            json!([{ "configMapRef": { "name": config_map["metadata"]["name"] } }])
        );
        let config = config_map["data"].as_object().expect("ConfigMap data");
        if service.api().is_some() {
            let secret_env: Vec<&str> = container["env"]
                .as_array()
                .expect("env")
                .iter()
                .map(|v| v["name"].as_str().expect("name"))
                .collect();
            for name in config
                .keys()
                .map(String::as_str)
                .chain(secret_env.iter().copied())
            {
                assert!(
                    runtime_reads(name),
                    "{label}: the Deployment sets {name}, which the runtime does not read"
                );
            }
            assert_eq!(config["ENVIRONMENT"], env.as_str());
            assert_eq!(config["SERVICE"], service.name.as_str(), "{label}");
            assert_eq!(config["LISTEN_ADDR"], format!("0.0.0.0:{}", app.port));
            // A Redis Cluster is reached with the runtime's cluster client, and only then.
            let cluster = environment(model, env).cache.topology.is_cluster();
            assert_eq!(
                config.get("REDIS_CLUSTER").and_then(Value::as_str),
                cluster.then_some("true"),
                "{label}: the runtime is told whether its Redis is a cluster"
            );
            for needed in ["DB_USER", "DB_PWD", "REDIS_HOST"] {
                assert!(
                    secret_env.contains(&needed),
                    "{label}: {needed} reaches the pod"
                );
            }
            // The database's address: the secret's, or behind PgBouncer its Service's.
            let here = environment(model, env);
            match &here.database.pooler {
                None => assert!(secret_env.contains(&"DB_HOST"), "{label}: DB_HOST"),
                Some(_) => {
                    assert!(!secret_env.contains(&"DB_HOST"), "{label}: DB_HOST");
                    assert_eq!(config["DB_HOST"], Pooler::host(&here.namespace), "{label}");
                    assert_eq!(config["DB_PORT"], POOLER_PORT.to_string(), "{label}");
                    assert_eq!(config["DB_DATABASE"], service.name.as_str(), "{label}");
                }
            }
        } else {
            // Its configuration, and where the environment traces, the SDK's variables.
            let tracing = environment(model, env)
                .tracing
                .iter()
                .flat_map(|tracing| tracing.variables(&service.name, env));
            // Behind PgBouncer, what it reads of the database's address is its Service's.
            let here = environment(model, env);
            let pooled: Vec<(String, String)> = here
                .database
                .pooler
                .iter()
                .flat_map(|_| here.secret_variables_of(service))
                .filter(|read| read.secret == Secret::Database.as_str())
                .filter_map(|read| {
                    let value = match read.key.as_deref()? {
                        "host" => Pooler::host(&here.namespace),
                        "port" => POOLER_PORT.to_string(),
                        "dbname" => service.name.clone(),
                        _ => return None,
                    };
                    Some((read.variable.clone(), value))
                })
                .collect();
            let wanted: serde_json::Map<String, Value> = app
                .config
                .clone()
                .into_iter()
                .chain(tracing)
                .chain(pooled.iter().cloned())
                .map(|(k, v)| (k, Value::from(v)))
                .collect();
            assert_eq!(config, &wanted, "{label}");
            // Exactly the secrets the spec gives it, each from the release's Secret.
            let secret_env: BTreeSet<&str> = container["env"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|v| {
                    assert!(v["valueFrom"]["secretKeyRef"].is_object(), "{label}: {v}");
                    v["name"].as_str().expect("name")
                })
                .collect();
            let wanted: BTreeSet<&str> = environment(model, env)
                .secret_variables_of(service)
                .iter()
                .map(|s| s.variable.as_str())
                .filter(|variable| pooled.iter().all(|(name, _)| name != variable))
                .collect();
            assert_eq!(
                secret_env, wanted,
                "{label}: its secrets, and only those, reach it"
            );
        }

        // Sizing: the spec's figures.
        let resources = &container["resources"];
        assert_eq!(
            resources["requests"]["cpu"],
            app.resources.cpu_request.as_str()
        );
        assert_eq!(
            resources["requests"]["memory"],
            app.resources.memory_request.as_str()
        );
        assert_eq!(resources["limits"]["cpu"], app.resources.cpu_limit.as_str());
        assert_eq!(
            resources["limits"]["memory"],
            app.resources.memory_limit.as_str()
        );
        let hpa = one(manifests, "HorizontalPodAutoscaler");
        assert_eq!(
            hpa["spec"]["minReplicas"], app.autoscaling.min_replicas,
            "{label}"
        );
        assert_eq!(
            hpa["spec"]["maxReplicas"], app.autoscaling.max_replicas,
            "{label}"
        );
        let targets: Vec<(&str, u64)> = hpa["spec"]["metrics"]
            .as_array()
            .expect("the HPA's metrics")
            .iter()
            .map(|metric| {
                let resource = &metric["resource"];
                let name = resource["name"].as_str().expect("a resource metric");
                let target = resource["target"]["averageUtilization"].as_u64();
                (name, target.expect("a utilization target"))
            })
            .collect();
        let wanted: Vec<(&str, u64)> = [("cpu", Some(app.autoscaling.cpu_target_percent))]
            .into_iter()
            .chain([("memory", app.autoscaling.memory_target_percent)])
            .filter_map(|(name, target)| Some((name, u64::from(target?))))
            .collect();
        assert_eq!(targets, wanted, "{label}");
        assert_eq!(
            hpa["spec"]["scaleTargetRef"]["name"],
            deployment["metadata"]["name"]
        );
        // With the HPA on, the Deployment leaves replicas to it (an upgrade would reset them).
        assert!(deployment["spec"].get("replicas").is_none(), "{label}");
        let pdbs = of_kind(manifests, "PodDisruptionBudget");
        assert_eq!(
            pdbs.len(),
            usize::from(app.autoscaling.min_replicas > 1),
            "{label}"
        );
        for pdb in pdbs {
            assert_eq!(
                pdb["spec"]["minAvailable"], app.disruption_budget.min_available,
                "{label}"
            );
            assert!(
                pdb["spec"]["minAvailable"].as_u64()
                    < Some(u64::from(app.autoscaling.min_replicas))
            );
        }
        let behavior = &hpa["spec"]["behavior"];
        for (direction, scaling) in [
            ("scaleUp", app.autoscaling.scale_up),
            ("scaleDown", app.autoscaling.scale_down),
        ] {
            let rendered = &behavior[direction];
            assert_eq!(
                [
                    &rendered["policies"][0]["value"],
                    &rendered["policies"][0]["periodSeconds"],
                    &rendered["stabilizationWindowSeconds"],
                ],
                [
                    scaling.percent,
                    scaling.period_seconds,
                    scaling.stabilization_seconds,
                ],
                "{label}: {direction}"
            );
        }

        // Rollout and hardening.
        let strategy = &deployment["spec"]["strategy"]["rollingUpdate"];
        assert_eq!(
            (
                strategy["maxSurge"].clone(),
                strategy["maxUnavailable"].clone()
            ),
            (
                json!(app.rollout.max_surge),
                json!(app.rollout.max_unavailable)
            )
        );
        assert!(
            pod["terminationGracePeriodSeconds"].as_u64()
                > Some(u64::from(service.shutdown_grace_seconds))
        );
        assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
        assert_eq!(
            pod["securityContext"]["seccompProfile"]["type"],
            "RuntimeDefault"
        );
        let hardening = &container["securityContext"];
        assert_eq!(hardening["readOnlyRootFilesystem"], true);
        assert_eq!(hardening["allowPrivilegeEscalation"], false);
        assert_eq!(hardening["capabilities"]["drop"], json!(["ALL"]));
        // /tmp, writable; and for the runtime, the spec it serves, read-only (`release`).
        let mut mounts = vec![json!({ "name": "tmp", "mountPath": "/tmp" })];
        if service.api().is_some() {
            mounts.push(json!({ "name": "spec", "mountPath": "/etc/platform", "readOnly": true }));
        }
        assert_eq!(container["volumeMounts"], json!(mounts), "{label}");
        assert!(pod["volumes"][0]["emptyDir"].is_object());
        let annotations = &deployment["spec"]["template"]["metadata"]["annotations"];
        assert!(
            annotations["checksum/config"]
                .as_str()
                .is_some_and(|s| s.len() == 64)
        );
        assert_eq!(annotations["prometheus.io/port"], app.port.to_string());
        let selector = &deployment["spec"]["selector"]["matchLabels"];
        assert_eq!(
            pod["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
                [0]["podAffinityTerm"],
            json!({ "topologyKey": "kubernetes.io/hostname", "labelSelector": { "matchLabels": selector } })
        );
        assert_eq!(
            pod["topologySpreadConstraints"][0]["topologyKey"],
            "topology.kubernetes.io/zone"
        );
        assert_eq!(
            pod["topologySpreadConstraints"][0]["labelSelector"]["matchLabels"],
            *selector
        );

        // Placement: the pods select the nodes of the group the spec places the service on, and
        // tolerate exactly its taints; a service placed nowhere has neither.
        let group = environment(model, env).placement_of(service);
        assert_eq!(
            pod["nodeSelector"],
            group.map_or(Value::Null, |group| json!(group.labels)),
            "{label}"
        );
        let tolerations: Vec<Value> = group
            .map(|group| {
                group
                    .taints
                    .iter()
                    .map(|taint| {
                        json!({ "key": taint.key, "operator": "Equal", "value": taint.value, "effect": taint.effect.as_str() })
                    })
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(
            pod.get("tolerations").cloned().unwrap_or(json!([])),
            json!(tolerations),
            "{label}"
        );

        // NetworkPolicy egress: each service the spec lets it reach, by its pods' name, on its
        // port.
        let policy = one(manifests, "NetworkPolicy");
        let rules = policy["spec"]["egress"].as_array().expect("egress rules");
        for other in &app.egress.services {
            let port = environment(model, env)
                .settings_of(model.service(other).expect("a service"))
                .port;
            assert!(
                rules.iter().any(|rule| {
                    rule["to"][0]["podSelector"]["matchLabels"]["app.kubernetes.io/name"] == *other
                        && rule["ports"][0]["port"] == port
                }),
                "{label}: no egress rule to {other}:{port} in {rules:?}"
            );
        }

        // Ingress: the environment's host and the seed's ALB annotations, to the Service; none
        // for a service off the ingress.
        if app.ingress_paths.is_empty() {
            assert!(of_kind(manifests, "Ingress").is_empty(), "{label}");
        } else {
            let ingress = one(manifests, "Ingress");
            let settings = environment(model, env);
            assert_eq!(ingress["spec"]["ingressClassName"], "alb");
            assert_eq!(
                ingress["spec"]["rules"][0]["host"],
                settings.ingress.host.as_str()
            );
            let ingress_annotations = &ingress["metadata"]["annotations"];
            assert_eq!(
                ingress_annotations["alb.ingress.kubernetes.io/certificate-arn"],
                settings.ingress.certificate_arn.as_str()
            );
            // The load balancer checks the path the spec's health check names, which the pods
            // serve.
            let checked = match settings
                .ingress
                .health_check
                .as_ref()
                .map(|check| check.path)
            {
                Some(HealthCheckPath::Health) => &app.health_path,
                _ => &app.readiness_path,
            };
            assert_eq!(
                ingress_annotations["alb.ingress.kubernetes.io/healthcheck-path"],
                checked.as_str()
            );
            assert_eq!(
                ingress_annotations["alb.ingress.kubernetes.io/target-type"],
                "ip"
            );
            // One load balancer for the environment's services, each on its own prefixes.
            assert_eq!(
                ingress_annotations["alb.ingress.kubernetes.io/group.name"],
                format!("{}-{env}", model.project.name).as_str()
            );
            let paths = ingress["spec"]["rules"][0]["http"]["paths"]
                .as_array()
                .expect("paths");
            let prefixes: Vec<&str> = paths.iter().filter_map(|p| p["path"].as_str()).collect();
            assert_eq!(prefixes, app.ingress_paths, "{label}");
            for path in paths {
                assert_eq!(path["pathType"], "Prefix");
                let backend = &path["backend"]["service"];
                assert_eq!(backend["name"], svc["metadata"]["name"]);
            }
        }

        // Monitoring: Prometheus scrapes the runtime's metrics as job="<service name>", the job
        // the generated rules and dashboards select; the rules and dashboards arrive unchanged.
        let monitor = one(manifests, "ServiceMonitor");
        assert_eq!(monitor["spec"]["endpoints"][0]["port"], "http");
        assert_eq!(
            monitor["spec"]["endpoints"][0]["path"],
            app.metrics_path.as_str()
        );
        assert_eq!(
            monitor["spec"]["selector"]["matchLabels"],
            svc["spec"]["selector"]
        );
        let job_label = monitor["spec"]["jobLabel"].as_str().expect("jobLabel");
        assert_eq!(svc["metadata"]["labels"][job_label], service.name.as_str());
        assert_eq!(monitor["metadata"]["labels"]["release"], "prometheus");
        // The environment's rules and dashboards, with the first service's release only.
        if model.observability_service().name != service.name {
            assert!(of_kind(manifests, "PrometheusRule").is_empty(), "{label}");
            continue;
        }
        let rule = one(manifests, "PrometheusRule");
        let generated: Value = serde_norway::from_str(
            &artifact(artifacts, &format!("generated/{env}/prometheus-rules.yaml")).contents,
        )
        .expect("generated rules");
        assert_eq!(
            rule["spec"], generated["spec"],
            "{label}: the chart deploys the generated rules"
        );
        assert_eq!(rule["metadata"]["labels"]["release"], "prometheus");
        let rules_text = serde_json::to_string(&rule["spec"]).expect("JSON");
        if let Ok((runtime, _)) = model.runtime_service(None) {
            assert!(rules_text.contains(&format!("job=\\\"{}\\\"", runtime.name)));
        }
        let dashboards: Vec<&Value> = of_kind(manifests, "ConfigMap")
            .into_iter()
            .filter(|m| m["metadata"]["labels"]["grafana_dashboard"] == "1")
            .collect();
        let uids = dashboard_uids(model);
        assert_eq!(dashboards.len(), uids.len(), "{label}");
        for uid in uids {
            let file = format!("{uid}.json");
            let generated =
                &artifact(artifacts, &format!("generated/{env}/dashboards/{file}")).contents;
            let deployed = dashboards
                .iter()
                .find_map(|m| m["data"][&file].as_str())
                .unwrap_or_else(|| panic!("{label}: no ConfigMap holds {file}"));
            assert_eq!(
                deployed,
                generated.trim_end(),
                "{label}: {file} arrives unchanged"
            );
        }
    }
}
