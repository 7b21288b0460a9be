//! `generated/DEPLOYMENT.md`: the ordered commands that take each environment of the spec from
//! an empty AWS account to a serving platform (state bucket, infrastructure, the secrets' values,
//! the cluster add-ons, alert routing, images, releases, smoke test), then hand the deploys to
//! the generated workflows. Every name in a command comes from the model or is read from
//! Terraform's outputs, as the workflows and `bootstrap.sh` read them: nothing to copy by hand.

use serde::Serialize;

use super::artifact::{Artifact, RenderError, Request};
use super::template::{render_template, shell_word};
use super::workflows::HELM_CHART;
use super::{addons, alertmanager, count, helm_values, pgbouncer, tfvars};
use crate::model::{
    Architecture, BLUE_GREEN_COLOURS, DeployTrigger, Environment, Model, POOLER_NAME, Receiver,
    Strategy,
};

pub const PATH: &str = "generated/DEPLOYMENT.md";

#[derive(Serialize)]
struct Context {
    project: String,
    region: String,
    spec: String,
    repository: String,
    environments: Vec<Section>,
}

/// One environment: its facts, then its steps in order.
#[derive(Serialize)]
struct Section {
    name: String,
    account: Option<String>,
    cluster: String,
    namespace: String,
    host: String,
    steps: Vec<Step>,
}

/// One step: why, in a line or two, and the commands, each a line of a shell block.
#[derive(Serialize)]
struct Step {
    title: String,
    notes: Vec<String>,
    commands: Vec<String>,
}

impl Step {
    fn new(title: &str, notes: &[String], commands: Vec<String>) -> Self {
        Step {
            title: title.to_string(),
            notes: notes.to_vec(),
            commands,
        }
    }
}

/// `terraform -chdir=<root> output ...` of the environment's root.
fn output(environment: &Environment, rest: &str) -> String {
    format!(
        "terraform -chdir={} output {rest}",
        tfvars::terraform_root(environment)
    )
}

fn credentials(model: &Model, environment: &Environment) -> Step {
    let mut commands = vec![
        format!(
            "export AWS_REGION={}",
            shell_word(&model.project.aws_region)
        ),
        r#"account="$(aws sts get-caller-identity --query Account --output text)""#.to_string(),
    ];
    let notes = match &environment.account_id {
        Some(id) => {
            commands.push(format!(
                r#"[ "$account" = {id} ] || {{ echo "these credentials are for $account; {} is in {id}" >&2; false; }}"#,
                environment.name
            ));
            vec![format!(
                "Credentials of account {id} with administrator rights (the first apply creates \
                 the roles everything later assumes). The provider refuses any other account."
            )]
        }
        None => vec![
            "Credentials with administrator rights in the account this environment lives in \
             (the spec names none: `account_id`); the first apply creates the roles everything \
             later assumes."
                .to_string(),
        ],
    };
    Step::new("Credentials", &notes, commands)
}

fn state(model: &Model) -> Step {
    let project = &model.project.name;
    Step::new(
        "Terraform state (once per account)",
        &[
            "The state bucket, its lock table and key, in a workspace named after the account \
             (skip it when an earlier environment is in the same account)."
                .to_string(),
        ],
        vec![
            "terraform -chdir=terraform/bootstrap init".to_string(),
            r#"terraform -chdir=terraform/bootstrap workspace select -or-create "$account""#
                .to_string(),
            format!(
                "terraform -chdir=terraform/bootstrap apply -var project_name={} -var aws_region={}",
                shell_word(project),
                shell_word(&model.project.aws_region)
            ),
        ],
    )
}

fn infrastructure(model: &Model, environment: &Environment) -> Step {
    let project = shell_word(&model.project.name);
    let root = tfvars::terraform_root(environment);
    Step::new(
        "Infrastructure",
        &[format!(
            "Everything of `{}` in dependency order, from the generated values (about 30 \
             minutes; the EKS cluster and RDS take most of it).",
            environment.name
        )],
        vec![
            format!("terraform -chdir={root} init -input=false \\"),
            format!(r#"  -backend-config="bucket={project}-terraform-state-$account" \"#),
            format!(
                "  -backend-config=region={} \\",
                shell_word(&model.project.aws_region)
            ),
            format!("  -backend-config=dynamodb_table={project}-terraform-locks \\"),
            format!("  -backend-config=kms_key_id=alias/{project}-terraform-state"),
            format!(
                r#"terraform -chdir={root} apply -var-file="$PWD/{}""#,
                tfvars::path(environment)
            ),
        ],
    )
}

/// The values of the spec's own secrets, which Terraform creates empty.
fn secret_values(model: &Model, environment: &Environment) -> Option<Step> {
    if model.secrets.is_empty() {
        return None;
    }
    let commands = model
        .secrets
        .iter()
        .map(|(name, secret)| {
            let value = if secret.keys.is_empty() {
                "'<value>'".to_string()
            } else {
                let fields: Vec<String> = secret
                    .keys
                    .iter()
                    .map(|key| format!(r#""{key}":"…""#))
                    .collect();
                shell_word(&format!("{{{}}}", fields.join(",")))
            };
            format!(
                "aws secretsmanager put-secret-value --secret-id {} --secret-string {value}",
                shell_word(&model.platform_secret_name(environment, name))
            )
        })
        .collect();
    Some(Step::new(
        "The secrets' values",
        &[
            "Terraform creates the spec's `[secrets]` empty; give each its value once (the \
           ExternalSecrets reading one wait until it has one). Type the values from your \
           password manager, never into a file in the repository."
                .to_string(),
        ],
        commands,
    ))
}

fn cluster_access(model: &Model, environment: &Environment) -> Step {
    let cluster = model.resource_name(environment);
    let update = format!(
        "aws eks update-kubeconfig --name {cluster} --region {} --alias {cluster}",
        shell_word(&model.project.aws_region)
    );
    let eks = &environment.eks;
    if eks.endpoint_public_access {
        let from = if eks.public_access_cidrs.is_empty() {
            "anywhere".to_string()
        } else {
            let cidrs: Vec<String> = eks
                .public_access_cidrs
                .iter()
                .map(|cidr| format!("`{cidr}`"))
                .collect();
            format!("an address in {}", cidrs.join(", "))
        };
        return Step::new(
            "The cluster",
            &[format!(
                "The EKS API of `{cluster}` is public to {from}: run the rest from there. \
                 Terraform's credentials are the cluster's administrator."
            )],
            vec![update],
        );
    }
    let mut notes = vec![format!(
        "The EKS API of `{cluster}` is private (`eks.endpoint_public_access = false`): reach \
         it from inside the VPC."
    )];
    if !environment.bastion.enabled {
        notes.push(
            "This environment has no bastion: run the rest from a machine inside the VPC \
             (a VPN, or a host in a private subnet)."
                .to_string(),
        );
        return Step::new("The cluster", &notes, vec![update]);
    }
    notes.push(
        "Through the bastion, with Session Manager (the AWS CLI's session-manager-plugin): \
         forward a local port to the endpoint, leave the session open, and point kubectl at it."
            .to_string(),
    );
    Step::new(
        "The cluster",
        &notes,
        vec![
            update,
            format!(r#"bastion="$({})""#, output(environment, "-raw bastion_instance_id")),
            format!(
                r#"endpoint="$(aws eks describe-cluster --name {cluster} --query cluster.endpoint --output text)""#
            ),
            r#"aws ssm start-session --target "$bastion" --document-name AWS-StartPortForwardingSessionToRemoteHost \"#
                .to_string(),
            r#"  --parameters "host=${endpoint#https://},portNumber=443,localPortNumber=8443" &"#
                .to_string(),
            format!(
                r#"kubectl config set-cluster "$(kubectl config view --minify --context {cluster} -o jsonpath='{{.clusters[0].name}}')" \"#
            ),
            r#"  --server=https://127.0.0.1:8443 --tls-server-name="${endpoint#https://}""#
                .to_string(),
        ],
    )
}

fn cluster_addons(environment: &Environment) -> Step {
    Step::new(
        "Cluster add-ons",
        &[
            "The load balancer controller, kube-prometheus-stack, External Secrets, \
           metrics-server, the cluster autoscaler and Fluent Bit at their pinned versions, the \
           ClusterSecretStore, and the namespace (it reads the roles from Terraform's outputs)."
                .to_string(),
        ],
        vec![format!("bash {}", addons::bootstrap_path(environment))],
    )
}

/// PgBouncer, where the environment runs one: after the add-ons (its ExternalSecret needs the
/// operator and the store), before the releases (whose pods connect through it).
fn pooler(environment: &Environment) -> Option<Step> {
    let pooler = environment.database.pooler.as_ref()?;
    let namespace = shell_word(&environment.namespace);
    Some(Step::new(
        "PgBouncer",
        &[format!(
            "{} in front of the database ({} mode, {} server connections per service each), \
             which the services connect to; ready before the releases start.",
            count(pooler.replicas, "PgBouncer replica"),
            pooler.mode.as_str(),
            pooler.pool_size_per_service
        )],
        vec![
            format!("kubectl apply -f {}", pgbouncer::path(environment)),
            format!(
                "kubectl -n {namespace} wait externalsecret/{} --for=condition=Ready --timeout=5m",
                pgbouncer::UPSTREAM_SECRET
            ),
            format!("kubectl -n {namespace} rollout status deployment/{POOLER_NAME} --timeout=5m"),
        ],
    ))
}

fn alert_routing(model: &Model, environment: &Environment) -> Step {
    let namespace = shell_word(&environment.namespace);
    let receivers = alertmanager::receivers_used(model);
    let literals: Vec<String> = [
        (
            Receiver::Pagerduty,
            alertmanager::PAGERDUTY_ROUTING_KEY,
            "PAGERDUTY_ROUTING_KEY",
        ),
        (
            Receiver::Slack,
            alertmanager::SLACK_WEBHOOK_URL,
            "SLACK_WEBHOOK_URL",
        ),
        (
            Receiver::Email,
            alertmanager::SMTP_PASSWORD,
            "SMTP_PASSWORD",
        ),
    ]
    .into_iter()
    .filter(|(receiver, _, _)| receivers.contains(receiver))
    .map(|(_, key, variable)| format!(r#"  --from-literal={key}="${variable}" \"#))
    .collect();
    let mut commands = Vec::new();
    let mut notes = vec!["The routes by severity.".to_string()];
    if !literals.is_empty() {
        notes = vec![
            "The receivers' credentials (exported beforehand from your password manager), then \
             the routes by severity."
                .to_string(),
        ];
        commands.push(format!(
            "kubectl create secret generic {} -n {namespace} \\",
            alertmanager::RECEIVERS_SECRET
        ));
        commands.extend(literals);
        commands.push("  --dry-run=client -o yaml | kubectl apply -f -".to_string());
    }
    commands.push(format!(
        "kubectl apply -n {namespace} -f {}",
        alertmanager::paths(environment).0
    ));
    Step::new("Alert routing", &notes, commands)
}

fn images(model: &Model, environment: &Environment) -> Step {
    let region = shell_word(&model.project.aws_region);
    let mut commands = vec![
        format!(
            r#"registry="$({} | jq -r 'first(.[]) | split("/")[0]')""#,
            output(environment, "-json ecr_repository_urls")
        ),
        format!(
            r#"aws ecr get-login-password --region {region} | docker login --username AWS --password-stdin "$registry""#
        ),
        r#"tag="$(git rev-parse HEAD)""#.to_string(),
    ];
    let platforms = |service| {
        environment
            .architectures_of(service)
            .into_iter()
            .map(Architecture::linux_platform)
            .collect::<Vec<_>>()
    };
    // The docker driver builds one platform at a time; an image index of several needs a
    // builder of its own.
    if model
        .services
        .iter()
        .any(|service| platforms(service).len() > 1)
    {
        commands.push(format!(
            "docker buildx use {builder} || docker buildx create --use --name {builder} --driver docker-container",
            builder = shell_word(&format!("{}-images", model.project.name))
        ));
    }
    for service in &model.services {
        let repository = &environment.settings_of(service).image_repository;
        let image = format!(r#""$registry/{repository}:$tag""#);
        commands.push(format!(
            "docker buildx build --platform {} --file {} --tag {image} --push {}",
            platforms(service).join(","),
            shell_word(&service.build.dockerfile),
            shell_word(&service.build.context)
        ));
    }
    Step::new(
        "Images",
        &[
            "Each service's image, built from this commit for the CPU architectures of the nodes \
             its pods may run on here (`--platform`) and pushed to the environment's ECR (tags \
             are immutable: a commit's image is pushed once per account). BuildKit emulates an \
             architecture other than this machine's with QEMU: Docker Desktop has it; elsewhere \
             install it once with `docker run --privileged --rm tonistiigi/binfmt --install all`."
                .to_string(),
        ],
        commands,
    )
}

fn releases(model: &Model, environment: &Environment) -> Step {
    let namespace = shell_word(&environment.namespace);
    let image = r#"  --set-string image.registry="$registry" --set-string image.tag="$tag" --wait --timeout 10m"#;
    // Blue-green: the release without a colour (the Service selecting the first colour, and
    // all the colours share), then the first colour's own release, as a first deploy of the
    // workflow installs them.
    let first_colour = match environment.deploy.strategy {
        Strategy::Rolling => None,
        Strategy::BlueGreen { .. } => Some(BLUE_GREEN_COLOURS[0]),
    };
    let mut commands = Vec::new();
    let mut read_roles = false;
    for service in &model.services {
        let release = shell_word(&service.name);
        let values = helm_values::path(environment, service);
        commands.push(format!(
            "helm upgrade --install {release} {HELM_CHART} -n {namespace} \\"
        ));
        commands.push(format!("  -f {values} \\"));
        if model.service_role_arn(environment, &service.name).is_none() {
            read_roles = true;
            commands.push(format!(
                r#"  --set-string "serviceAccount.annotations.{}=$(jq -r '.["{}"]' <<< "$roles")" \"#,
                helm_values::IRSA_ANNOTATION.replace('.', "\\."),
                service.name
            ));
        }
        if let Some(colour) = first_colour {
            commands.push(format!("  --set-string service.activeColour={colour} \\"));
        }
        commands.push(image.to_string());
        if let Some(colour) = first_colour {
            commands.push(format!(
                "helm upgrade --install {release}-{colour} {HELM_CHART} -n {namespace} \\"
            ));
            commands.push(format!("  -f {values} \\"));
            commands.push(format!("  --set-string colour={colour} \\"));
            commands.push(image.to_string());
        }
    }
    let mut notes = vec![format!(
        "One values file per release: it carries the spec{}, so only the image is given here.",
        if has_carrier(model) {
            ", and the first release the environment's rules and dashboards"
        } else {
            ""
        }
    )];
    if let Some(colour) = first_colour {
        notes.push(format!(
            "`{}` deploys blue-green: each service is a release that holds its Service \
             (selecting the live colour) and what the colours share, and one release per \
             colour; the first is {colour}, and later deploys alternate.",
            environment.name
        ));
    }
    if read_roles {
        notes.push(
            "The spec names no account, so the service accounts' IAM roles are read from \
             Terraform's outputs."
                .to_string(),
        );
        commands.insert(
            0,
            format!(
                r#"roles="$({})""#,
                output(environment, "-json service_role_arns")
            ),
        );
    }
    Step::new("Releases", &notes, commands)
}

fn has_carrier(model: &Model) -> bool {
    !model.alerts.is_empty() || !model.dashboards.is_empty() || !model.slos.is_empty()
}

fn smoke_test(environment: &Environment, model: &Model) -> Step {
    let host = &environment.ingress.host;
    let mut commands = vec![format!(
        r#"kubectl get ingress -n {} -o jsonpath='{{.items[0].status.loadBalancer.ingress[0].hostname}}{{"\n"}}'"#,
        shell_word(&environment.namespace)
    )];
    for service in &model.services {
        let smoke = service.smoke_paths(environment);
        for path in smoke.health.into_iter().chain(smoke.api) {
            commands.push(format!(
                "curl --fail --silent --show-error --max-time 10 https://{host}{path}"
            ));
        }
    }
    Step::new(
        "DNS and a smoke test",
        &[format!(
            "Point `{host}` at the load balancer the first command prints (a CNAME, or a Route \
             53 alias), then call each service on it."
        )],
        commands,
    )
}

fn handover(model: &Model, environment: &Environment) -> Step {
    let repository = shell_word(&model.project.github_repository);
    let name = shell_word(&environment.name);
    let mut notes = vec![format!(
        "From here the generated workflows deploy `{}`: its GitHub environment holds the \
         account (and the Slack webhook the deploy notifies).",
        environment.name
    )];
    if environment.deploy.approval_required {
        notes.push(format!(
            "Add the reviewers who approve each deploy to the environment (Settings, \
             Environments, {}): the workflows wait for them.",
            environment.name
        ));
    }
    if !environment.deploy.runner.is_empty() {
        let labels: Vec<String> = environment
            .deploy
            .runner
            .iter()
            .map(|label| label.0.clone())
            .collect();
        notes.push(format!(
            "Its deploys run on a self-hosted runner labelled `{}` that reaches the EKS API \
             (register one with the token of Settings, Actions, Runners).",
            labels.join(",")
        ));
    }
    if model.delivery.terraform.is_some() {
        notes.push(
            "Infrastructure changes go through `.github/workflows/terraform.yml` from now on: \
             planned on pull requests, applied by the environment's deploy trigger."
                .to_string(),
        );
    }
    let trigger = match &environment.deploy.trigger {
        DeployTrigger::Branch(branch) => format!("git push origin {}", shell_word(branch)),
        DeployTrigger::Tag(glob) => {
            let tag = shell_word(&glob.replace('*', "1.0.0"));
            format!("git tag {tag} && git push origin {tag}")
        }
    };
    Step::new(
        "Hand the deploys to CI",
        &notes,
        vec![
            format!("gh api --method PUT repos/{repository}/environments/{name}"),
            format!(
                r#"gh secret set AWS_ACCOUNT_ID --repo {repository} --env {name} --body "$account""#
            ),
            format!(
                r#"gh secret set SLACK_WEBHOOK_URL --repo {repository} --env {name} --body "$SLACK_WEBHOOK_URL""#
            ),
            trigger,
        ],
    )
}

fn section(model: &Model, environment: &Environment) -> Section {
    let mut steps = vec![
        credentials(model, environment),
        state(model),
        infrastructure(model, environment),
    ];
    steps.extend(secret_values(model, environment));
    steps.extend([
        cluster_access(model, environment),
        cluster_addons(environment),
        alert_routing(model, environment),
        images(model, environment),
    ]);
    steps.extend(pooler(environment));
    steps.extend([
        releases(model, environment),
        smoke_test(environment, model),
        handover(model, environment),
    ]);
    Section {
        name: environment.name.clone(),
        account: environment.account_id.clone(),
        cluster: model.resource_name(environment),
        namespace: environment.namespace.clone(),
        host: environment.ingress.host.clone(),
        steps,
    }
}

/// Renders the deployment guide of every environment of the spec.
pub fn render(request: &Request<'_>) -> Result<Vec<Artifact>, RenderError> {
    let model = request.model;
    let context = Context {
        project: model.project.name.clone(),
        region: model.project.aws_region.clone(),
        spec: request.spec_path.to_string(),
        repository: model.project.github_repository.clone(),
        environments: model
            .environments
            .values()
            .map(|environment| section(model, environment))
            .collect(),
    };
    let body = render_template("DEPLOYMENT.md.j2", &context)?;
    Ok(vec![Artifact {
        path: PATH.to_string(),
        contents: format!("<!--\n{}-->\n{body}", request.header("")),
    }])
}
