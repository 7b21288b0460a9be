//! PgBouncer of every environment of every example spec that runs one
//! (`generated/<env>/pgbouncer/pgbouncer.yaml`): its manifests pass `kubernetes-validate --strict`
//! against Kubernetes 1.28, its ExternalSecret the operator's CRD models and its ServiceMonitor
//! the Prometheus operator's; it fits the releases: it reads the database secret Terraform
//! writes, under the keys Terraform writes; each service that reaches the database is one of its
//! database entries, lets it in, and is pointed at its Service (host, port, its own entry) by
//! its values; the runtime's release reaches its pods and not the database's port. Its exporter
//! is scraped (the monitor selects its Service and port, Prometheus may reach it), and a real
//! PgBouncer on the rendered configuration lets the exporter's user read the admin console from
//! the loopback address without a password, and from nowhere else, and no one else at all.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::chart::documents_of;
use crate::support::{assert_success, example_specs, render_spec, run, tool, tool_command};
use generator::model::{POOLER_NAME, POOLER_PORT, PROMETHEUS_RELEASE, Pooler, Secret};
use generator::render::helm_values::{self, HelmValues};
use generator::render::pgbouncer;
use testkit::{Need, Test, test};

pub(crate) fn tests() -> Vec<Test> {
    vec![
        test!(
            every_pgbouncer_passes_the_kubernetes_1_28_schemas_and_the_external_secrets_models,
            Need::Tool("kubernetes-validate"),
            Need::Tool("external-secrets-check"),
            Need::Tool("promop-check")
        ),
        test!(every_service_behind_pgbouncer_is_one_of_its_entries_and_connects_to_its_service),
        test!(prometheus_scrapes_every_pgbouncers_exporter),
        test!(
            only_the_exporter_beside_pgbouncer_reads_its_admin_console_and_without_a_password,
            Need::Tool("pgbouncer-instance"),
            Need::Tool("psql")
        ),
    ]
}

/// One environment's PgBouncer: a label naming the spec and the environment, the model, the
/// environment's name, and the documents (as written, and parsed).
struct Rendered {
    label: String,
    model: generator::Model,
    environment: String,
    documents: Vec<(String, Value)>,
}

/// The PgBouncer of every environment of every example spec that runs one.
fn rendered() -> Vec<Rendered> {
    let mut all = Vec::new();
    for spec in example_specs() {
        let (model, artifacts) = render_spec(&spec);
        for environment in model.environments.values() {
            let path = pgbouncer::path(environment);
            let file = artifacts.iter().find(|artifact| artifact.path == path);
            assert_eq!(
                file.is_some(),
                environment.database.pooler.is_some(),
                "{path}: rendered exactly where the environment runs a pooler"
            );
            if let Some(file) = file {
                let label = format!("{}/{}", spec.display(), environment.name);
                all.push(Rendered {
                    label,
                    model: model.clone(),
                    environment: environment.name.clone(),
                    documents: documents_of(&file.contents),
                });
            }
        }
    }
    assert!(
        !all.is_empty(),
        "no example spec runs PgBouncer (money-tracking should)"
    );
    all
}

fn of_kind<'a>(documents: &'a [(String, Value)], kind: &str) -> Vec<&'a Value> {
    documents
        .iter()
        .map(|(_, value)| value)
        .filter(|value| value["kind"] == kind)
        .collect()
}

fn every_pgbouncer_passes_the_kubernetes_1_28_schemas_and_the_external_secrets_models() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut external_secrets = Vec::new();
    for (
        index,
        Rendered {
            label, documents, ..
        },
    ) in rendered().into_iter().enumerate()
    {
        let kinds: BTreeSet<&str> = documents
            .iter()
            .filter_map(|(_, value)| value["kind"].as_str())
            .collect();
        assert_eq!(
            kinds,
            BTreeSet::from([
                "ConfigMap",
                "Deployment",
                "ExternalSecret",
                "NetworkPolicy",
                "PodDisruptionBudget",
                "Service",
                "ServiceMonitor"
            ]),
            "{label}"
        );
        // kubernetes-validate knows no custom resources (it would only warn): the ExternalSecret
        // goes to its operator's models instead, the ServiceMonitor to the Prometheus operator's.
        let (monitors, documents): (Vec<_>, Vec<_>) = documents
            .into_iter()
            .partition(|(_, value)| value["kind"] == "ServiceMonitor");
        let monitor_file = dir.path().join(format!("pgbouncer-{index}-monitor.yaml"));
        let texts: Vec<String> = monitors.into_iter().map(|(text, _)| text).collect();
        std::fs::write(&monitor_file, texts.join("---\n")).expect("write the monitor");
        let checked = run(tool_command(&tool("promop-check")).arg(&monitor_file));
        assert_success(
            &checked,
            &format!("promop-check of {label}'s ServiceMonitor"),
        );
        let (custom, core): (Vec<_>, Vec<_>) = documents
            .into_iter()
            .partition(|(_, value)| value["kind"] == "ExternalSecret");
        let manifest = dir.path().join(format!("pgbouncer-{index}.yaml"));
        let texts: Vec<String> = core.into_iter().map(|(text, _)| text).collect();
        std::fs::write(&manifest, texts.join("---\n")).expect("write the manifests");
        let checked = run(tool_command(&tool("kubernetes-validate"))
            .args(["--strict", "--kubernetes-version", "1.28"])
            .arg(&manifest));
        assert_success(&checked, &format!("kubernetes-validate of {label}"));
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&checked.stdout),
            String::from_utf8_lossy(&checked.stderr)
        );
        assert!(
            !said.contains("Couldn't find schema"),
            "{label}: a kind kubernetes-validate does not know:\n{said}"
        );
        external_secrets.extend(custom.into_iter().map(|(_, value)| value));
    }
    let input = dir.path().join("external-secrets.json");
    std::fs::write(
        &input,
        serde_json::to_string(&external_secrets).expect("JSON"),
    )
    .expect("write");
    let output = run(tool_command(&tool("external-secrets-check")).arg(&input));
    assert_success(
        &output,
        "external-secrets-check of PgBouncer's ExternalSecrets",
    );
}

fn every_service_behind_pgbouncer_is_one_of_its_entries_and_connects_to_its_service() {
    for Rendered {
        label,
        model,
        environment,
        documents,
    } in rendered()
    {
        let environment = model.environment(&environment).expect("environment");
        // The upstream: the database secret Terraform writes, by the keys it writes.
        let [external] = of_kind(&documents, "ExternalSecret")[..] else {
            panic!("{label}: one ExternalSecret");
        };
        let remote = model.secret_name(environment, Secret::Database);
        assert_eq!(
            external["spec"]["dataFrom"],
            serde_json::json!([{ "extract": { "key": remote } }]),
            "{label}"
        );
        let templates = &external["spec"]["target"]["template"]["data"];
        let mut used = BTreeSet::new();
        for file in ["databases.ini", "userlist.txt"] {
            let text = templates[file].as_str().expect("template");
            for reference in text.split("{{ .").skip(1) {
                used.insert(reference.split(' ').next().expect("key").to_string());
            }
        }
        for key in &used {
            assert!(
                Secret::Database.keys().contains(&key.as_str()),
                "{label}: `{key}` is not a key Terraform writes"
            );
        }
        assert_eq!(
            used,
            ["dbname", "host", "password", "port", "username"]
                .map(String::from)
                .into(),
            "{label}"
        );
        let [service] = of_kind(&documents, "Service")[..] else {
            panic!("{label}: one Service");
        };
        assert_eq!(service["metadata"]["name"], POOLER_NAME, "{label}");
        assert_eq!(service["spec"]["ports"][0]["port"], POOLER_PORT, "{label}");
        let host = format!(
            "{}.{}.svc.cluster.local",
            service["metadata"]["name"].as_str().expect("name"),
            service["metadata"]["namespace"]
                .as_str()
                .expect("namespace")
        );
        assert_eq!(host, Pooler::host(&environment.namespace), "{label}");
        let databases = external["spec"]["target"]["template"]["data"]["databases.ini"]
            .as_str()
            .expect("databases.ini");
        let entries: BTreeSet<&str> = databases
            .lines()
            .filter_map(|line| line.split_once(" = ").map(|(name, _)| name))
            .collect();
        let [policy] = of_kind(&documents, "NetworkPolicy")[..] else {
            panic!("{label}: one NetworkPolicy");
        };
        let admitted: BTreeSet<&str> =
            policy["spec"]["ingress"][0]["from"][0]["podSelector"]["matchExpressions"][0]["values"]
                .as_array()
                .expect("values")
                .iter()
                .filter_map(Value::as_str)
                .collect();
        let mut behind = BTreeSet::new();
        for release in &model.services {
            let values: HelmValues = helm_values::values(&model, environment, release);
            let config = &values.config;
            let reaches = environment.settings_of(release).egress.database;
            let pointed = config.get("DB_HOST") == Some(&host);
            if release.api().is_some() {
                // The runtime's release: configured by the platform.
                assert_eq!(pointed, reaches, "{label}/{}: DB_HOST", release.name);
            }
            if !pointed {
                continue;
            }
            behind.insert(release.name.as_str());
            assert!(
                values
                    .network_policy
                    .egress_services
                    .iter()
                    .any(|to| to.name == POOLER_NAME && to.port == POOLER_PORT),
                "{label}/{}: its pods may reach PgBouncer's",
                release.name
            );
            assert!(
                !values
                    .network_policy
                    .egress_ports
                    .contains(&environment.database.engine.port()),
                "{label}/{}: not the database's port",
                release.name
            );
            let port = config.get("DB_PORT").map(String::as_str);
            assert_eq!(port, Some("6432"), "{label}/{}", release.name);
            let database = config
                .get("DB_DATABASE")
                .or_else(|| config.get("DB_NAME"))
                .map(String::as_str);
            assert_eq!(
                database,
                Some(release.name.as_str()),
                "{label}/{}: its own entry",
                release.name
            );
        }
        assert_eq!(
            behind, entries,
            "{label}: every entry is a release's, and back"
        );
        assert_eq!(
            behind, admitted,
            "{label}: PgBouncer lets in its clients only"
        );
    }
}

fn prometheus_scrapes_every_pgbouncers_exporter() {
    for Rendered {
        label, documents, ..
    } in rendered()
    {
        let [monitor] = of_kind(&documents, "ServiceMonitor")[..] else {
            panic!("{label}: one ServiceMonitor");
        };
        let [service] = of_kind(&documents, "Service")[..] else {
            panic!("{label}: one Service");
        };
        let [deployment] = of_kind(&documents, "Deployment")[..] else {
            panic!("{label}: one Deployment");
        };
        let [policy] = of_kind(&documents, "NetworkPolicy")[..] else {
            panic!("{label}: one NetworkPolicy");
        };
        // kube-prometheus-stack selects monitors by its release's label, in any namespace.
        assert_eq!(
            monitor["metadata"]["labels"]["release"], PROMETHEUS_RELEASE,
            "{label}"
        );
        assert_eq!(
            monitor["metadata"]["namespace"], service["metadata"]["namespace"],
            "{label}"
        );
        // The monitor selects the Service, whose `metrics` port is the exporter's.
        let selector = monitor["spec"]["selector"]["matchLabels"]
            .as_object()
            .expect("matchLabels");
        for (key, value) in selector {
            assert_eq!(&service["metadata"]["labels"][key], value, "{label}: {key}");
        }
        assert_eq!(
            monitor["spec"]["endpoints"][0]["port"], "metrics",
            "{label}"
        );
        let port = service["spec"]["ports"]
            .as_array()
            .expect("ports")
            .iter()
            .find(|port| port["name"] == "metrics")
            .unwrap_or_else(|| panic!("{label}: the Service's metrics port"));
        assert_eq!(port["port"], pgbouncer::METRICS_PORT, "{label}");
        let containers = deployment["spec"]["template"]["spec"]["containers"]
            .as_array()
            .expect("containers");
        let exporter = containers
            .iter()
            .find(|container| container["image"] == pgbouncer::EXPORTER_IMAGE)
            .unwrap_or_else(|| panic!("{label}: the exporter beside PgBouncer"));
        assert_eq!(
            exporter["ports"][0],
            serde_json::json!({ "name": "metrics", "containerPort": pgbouncer::METRICS_PORT, "protocol": "TCP" }),
            "{label}"
        );
        // It reads PgBouncer in its own pod, as the stats user, with no password anywhere.
        let args: Vec<&str> = exporter["args"]
            .as_array()
            .expect("args")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(
            args.contains(&format!(
                "--pgBouncer.connectionString=postgres://{}@127.0.0.1:{POOLER_PORT}/pgbouncer?sslmode=disable",
                pgbouncer::STATS_USER
            )
            .as_str()),
            "{label}: {args:?}"
        );
        assert!(
            exporter.get("env").is_none(),
            "{label}: no variables, no secret"
        );
        // Prometheus (the monitoring namespace's) reaches the metrics port; nothing else does.
        let admitted: Vec<&Value> = policy["spec"]["ingress"]
            .as_array()
            .expect("ingress")
            .iter()
            .filter(|rule| rule["ports"][0]["port"] == pgbouncer::METRICS_PORT)
            .collect();
        assert_eq!(
            admitted,
            [&serde_json::json!({
                "from": [{
                    "namespaceSelector": { "matchLabels": { "kubernetes.io/metadata.name": "monitoring" } },
                    "podSelector": { "matchLabels": { "app.kubernetes.io/name": "prometheus" } },
                }],
                "ports": [{ "port": pgbouncer::METRICS_PORT, "protocol": "TCP" }],
            })],
            "{label}"
        );
    }
}

/// A PgBouncer of the test's own, on the configuration rendered for `rendered` (its ConfigMap's
/// `pgbouncer.ini` and `pg_hba.conf`, the ExternalSecret's templates filled with `password` for
/// the database user): only the port (free), the files' directory and, for a PgBouncer older
/// than 1.21, `max_prepared_statements` differ. Stopped on drop.
struct OwnPgBouncer {
    port: u16,
    process: std::process::Child,
    log: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl OwnPgBouncer {
    fn start(rendered: &Rendered, password: &str) -> Self {
        let environment = rendered
            .model
            .environment(&rendered.environment)
            .expect("environment");
        let [config] = of_kind(&rendered.documents, "ConfigMap")[..] else {
            panic!("{}: one ConfigMap", rendered.label);
        };
        let [external] = of_kind(&rendered.documents, "ExternalSecret")[..] else {
            panic!("{}: one ExternalSecret", rendered.label);
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let files = dir.path().display().to_string();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let templates = &external["spec"]["target"]["template"]["data"];
        let fill = |file: &str| {
            templates[file]
                .as_str()
                .expect("template")
                .replace("{{ .username }}", &environment.database.username)
                .replace("{{ .password }}", password)
                // An upstream nothing listens on: the admin console needs none.
                .replace("{{ .host }}", "127.0.0.1")
                .replace("{{ .port }}", "1")
                .replace("{{ .dbname }}", "unused")
        };
        std::fs::write(dir.path().join("userlist.txt"), fill("userlist.txt")).expect("write");
        std::fs::write(dir.path().join("databases.ini"), fill("databases.ini")).expect("write");
        std::fs::write(
            dir.path().join("pg_hba.conf"),
            config["data"]["pg_hba.conf"].as_str().expect("pg_hba.conf"),
        )
        .expect("write");
        let version = run(tool_command(&tool("pgbouncer-instance")).arg("version"));
        let version = String::from_utf8_lossy(&version.stdout).trim().to_string();
        let mut parts = version
            .split('.')
            .map(|part| part.parse::<u32>().unwrap_or(0));
        let tracks_prepared = (parts.next().unwrap_or(0), parts.next().unwrap_or(0)) >= (1, 21);
        let ini: String = config["data"]["pgbouncer.ini"]
            .as_str()
            .expect("pgbouncer.ini")
            .replace(pgbouncer::CONFIG_DIR, &files)
            .replace(pgbouncer::UPSTREAM_DIR, &files)
            .lines()
            .filter(|line| tracks_prepared || !line.starts_with("max_prepared_statements"))
            .map(|line| {
                if line.starts_with("listen_port") {
                    format!("listen_port = {port}\n")
                } else {
                    format!("{line}\n")
                }
            })
            .collect();
        let path = dir.path().join("pgbouncer.ini");
        std::fs::write(&path, ini).expect("write pgbouncer.ini");
        let log = dir.path().join("pgbouncer.log");
        let process = tool_command(&tool("pgbouncer-instance"))
            .arg("run")
            .arg(&path)
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log"))
            .spawn()
            .expect("start pgbouncer");
        let bouncer = OwnPgBouncer {
            port,
            process,
            log,
            _dir: dir,
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "pgbouncer did not listen:\n{}",
                bouncer.log()
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        bouncer
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `psql` as `user` (with `password`, if any) to `database` on `host`, running `sql`.
    fn psql(
        &self,
        host: &str,
        user: &str,
        password: Option<&str>,
        database: &str,
        sql: &str,
    ) -> std::process::Output {
        let mut command = tool_command(&tool("psql"));
        command
            .arg(format!(
                "host={host} port={} user={user} dbname={database} sslmode=disable connect_timeout=5",
                self.port
            ))
            .args(["--no-psqlrc", "--tuples-only", "--no-align", "--command", sql])
            .env_remove("PGPASSWORD")
            .env("PGPASSFILE", "/dev/null");
        if let Some(password) = password {
            command.env("PGPASSWORD", password);
        }
        run(&mut command)
    }
}

impl Drop for OwnPgBouncer {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// An address of this machine other than loopback, if it has one: a connection to it comes from
/// it, as another pod's would.
fn outside_address() -> Option<String> {
    let output = std::process::Command::new("hostname")
        .arg("-I")
        .output()
        .ok()?;
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .find(|address| {
            address
                .parse::<std::net::Ipv4Addr>()
                .is_ok_and(|ip| !ip.is_loopback())
        })
        .map(str::to_string)
}

fn only_the_exporter_beside_pgbouncer_reads_its_admin_console_and_without_a_password() {
    let all = rendered();
    let rendered = &all[0];
    let password = "Sq7vTz2kLm9wXe4R";
    let bouncer = OwnPgBouncer::start(rendered, password);
    let user = pgbouncer::STATS_USER;
    let said = |output: &std::process::Output| {
        format!(
            "{}{}\n--- pgbouncer ---\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
            bouncer.log()
        )
    };
    // What the exporter runs, from the pod's loopback address, with no password at all.
    for show in [
        "SHOW POOLS;",
        "SHOW DATABASES;",
        "SHOW STATS;",
        "SHOW LISTS;",
        "SHOW CONFIG;",
    ] {
        let output = bouncer.psql("127.0.0.1", user, None, "pgbouncer", show);
        assert!(output.status.success(), "{show}: {}", said(&output));
    }
    let environment = rendered
        .model
        .environment(&rendered.environment)
        .expect("environment");
    let databases = bouncer.psql("127.0.0.1", user, None, "pgbouncer", "SHOW DATABASES;");
    let entries = String::from_utf8_lossy(&databases.stdout).to_string();
    let clients = pgbouncer::clients(&rendered.model, environment);
    for client in &clients {
        assert!(entries.contains(&format!("{}|", client.name)), "{entries}");
    }
    let first = clients[0];
    // Read-only: a stats user may not pause or reload PgBouncer.
    let pause = bouncer.psql("127.0.0.1", user, None, "pgbouncer", "PAUSE;");
    assert!(!pause.status.success(), "{}", said(&pause));
    // Not a service's entry, even from the loopback address.
    let entry = bouncer.psql("127.0.0.1", user, None, &first.name, "SELECT 1;");
    assert!(!entry.status.success(), "{}", said(&entry));
    // The database user, with its password, may not read the console.
    let app = bouncer.psql(
        "127.0.0.1",
        &environment.database.username,
        Some(password),
        "pgbouncer",
        "SHOW POOLS;",
    );
    assert!(!app.status.success(), "{}", said(&app));
    assert!(said(&app).contains("not allowed"), "{}", said(&app));
    // From any other address (another pod's), the exporter's user is refused.
    if let Some(address) = outside_address() {
        let outside = bouncer.psql(&address, user, None, "pgbouncer", "SHOW POOLS;");
        assert!(!outside.status.success(), "{address}: {}", said(&outside));
        let guessed = bouncer.psql(&address, user, Some(""), "pgbouncer", "SHOW POOLS;");
        assert!(!guessed.status.success(), "{address}: {}", said(&guessed));
    }
}
