//! The steps of a blue-green deploy (`deploy.strategy = "blue-green"`), from the cluster's
//! kubeconfig to the previous colour's removal: read which colour the Service selects, update
//! what the colours share (traffic unchanged), install the new version as the other colour's
//! release, smoke-test it through a port-forward, switch the Service to it, smoke-test the live
//! path, watch it for `keep_previous` with the previous colour still running, then remove the
//! previous colour. On a failure once the shared release changed, return it to its revision
//! before the deploy (switching back where the switch happened), and remove the failed colour.
//!
//! Each colour is a Helm release of its own (`<service>-blue`, `<service>-green`, the chart's
//! `colour` value) beside the release without a colour (`<service>`), which holds the Service
//! and everything else the colours share and selects the live colour (`service.activeColour`).
//! Two releases rather than one with both colours in its values: a colour keeps exactly the
//! values (config, spec, image) it was installed with while the other colour is upgraded, and
//! removing a colour is `helm uninstall` of its release.
//!
//! The watch runs in the deploy job itself, between two refreshes of its AWS credentials: the
//! job already holds the environment's approval, its secrets and its concurrency group, which a
//! later job or a scheduled workflow would each need again (a second approval where the
//! environment requires one); a job on a GitHub-hosted runner may run 6 hours, and validation
//! bounds `keep_previous` by the hour an AWS session of the deploy role lasts.

use super::context::{HELM_CHART, Step};
use super::deploy::{configure_aws_credentials, with_service_role};
use crate::model::{Environment, Model, PromDuration, Service};

/// Reads the colour the Service selects (none before the first blue-green deploy, or while the
/// release still deploys with a rolling update); the other colour is the one to deploy. Records
/// the shared release's revision before the deploy changes it: what a switch back returns to.
const FIND_LIVE_COLOUR: &[&str] = &[
    r#"live="$(kubectl get service "$RELEASE" --namespace "$NAMESPACE" --ignore-not-found --output 'jsonpath={.spec.selector.colour}')""#,
    r#"case "$live" in"#,
    "  blue) idle=green ;;",
    "  green) idle=blue ;;",
    r#"  "") idle=blue ;;"#,
    "  *)",
    r#"    echo "::error::the Service $RELEASE selects colour=$live, which is neither blue nor green""#,
    "    exit 1",
    "    ;;",
    "esac",
    r#"echo "live colour: ${live:-none}; deploying the $idle colour""#,
    r#"echo "live=$live" >> "$GITHUB_OUTPUT""#,
    r#"echo "idle=$idle" >> "$GITHUB_OUTPUT""#,
    r#"if history="$(helm history "$RELEASE" --namespace "$NAMESPACE" --max 1 --output json 2> /dev/null)"; then"#,
    r#"  echo "from=$(jq '.[0].revision' <<< "$history")" >> "$GITHUB_OUTPUT""#,
    "fi",
];
/// What the colours share (the Service, Ingress, ServiceAccount, ExternalSecret, policies, rules
/// and dashboards) takes the new values before the new colour starts, which may need a new
/// secret key or egress rule; the Service keeps selecting the live colour. A release that still
/// deploys with a rolling update keeps serving from its own Deployment until the switch.
const UPDATE_SHARED: &[&str] = &[
    r#"if [ -n "$LIVE" ]; then"#,
    r#"  colour="$LIVE""#,
    r#"elif helm status "$RELEASE" --namespace "$NAMESPACE" > /dev/null 2>&1; then"#,
    r#"  echo "$RELEASE deploys with a rolling update until now: its Deployment serves until the switch""#,
    "  exit 0",
    "else",
    r#"  colour="$IDLE""#,
    r#"  echo "no release of $RELEASE yet: its Service selects the $colour colour, which serves nothing before the switch""#,
    "fi",
    r#"helm upgrade --install "$RELEASE" "$CHART" \"#,
    r#"  --namespace "$NAMESPACE" --create-namespace \"#,
    r#"  -f "$VALUES_FILE" \"#,
    r#"  --set-string image.registry="$IMAGE_REGISTRY" \"#,
    r#"  --set-string image.tag="$IMAGE_TAG" \"#,
    r#"  --set-string service.activeColour="$colour" \"#,
    "  --wait --timeout 10m",
];
/// The new version as the idle colour's release, beside the live one.
const DEPLOY_IDLE: &[&str] = &[
    r#"helm upgrade --install "$RELEASE-$COLOUR" "$CHART" \"#,
    r#"  --namespace "$NAMESPACE" \"#,
    r#"  -f "$VALUES_FILE" \"#,
    r#"  --set-string image.registry="$IMAGE_REGISTRY" \"#,
    r#"  --set-string image.tag="$IMAGE_TAG" \"#,
    r#"  --set-string colour="$COLOUR" \"#,
    "  --wait --timeout 10m",
];
/// GETs the health path (and the API's list route, where the service has one) of `$TARGET`
/// through a port-forward on a free local port: the idle colour's Deployment before the switch,
/// which nothing else reaches, and the Service after it.
const SMOKE_PORT_FORWARD: &[&str] = &[
    r#"log="$RUNNER_TEMP/port-forward-$RANDOM.log""#,
    r#"kubectl port-forward --namespace "$NAMESPACE" "$TARGET" ":$PORT" > "$log" 2>&1 &"#,
    "forward=$!",
    r#"trap 'kill "$forward" 2> /dev/null || true' EXIT"#,
    r#"local_port="""#,
    "for _ in $(seq 30); do",
    r#"  local_port="$(sed -n 's/^Forwarding from 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$log")""#,
    r#"  if [ -n "$local_port" ]; then break; fi"#,
    "  sleep 1",
    "done",
    r#"if [ -z "$local_port" ]; then"#,
    r#"  cat "$log""#,
    r#"  echo "::error::no port-forward to $TARGET""#,
    "  exit 1",
    "fi",
    r#"base="http://127.0.0.1:$local_port""#,
    r#"curl --fail --silent --show-error --max-time 10 --retry 10 --retry-delay 3 --retry-all-errors --output /dev/null "$base$HEALTH_PATH""#,
    r#"if [ -n "$API_PATH" ]; then"#,
    r#"  curl --fail --silent --show-error --max-time 10 --output /dev/null "$base$API_PATH""#,
    "fi",
];
/// Points the Service at the new colour.
const SWITCH: &[&str] = &[
    r#"helm upgrade --install "$RELEASE" "$CHART" \"#,
    r#"  --namespace "$NAMESPACE" \"#,
    r#"  -f "$VALUES_FILE" \"#,
    r#"  --set-string image.registry="$IMAGE_REGISTRY" \"#,
    r#"  --set-string image.tag="$IMAGE_TAG" \"#,
    r#"  --set-string service.activeColour="$COLOUR" \"#,
    "  --wait --timeout 10m",
];
/// Every 30 seconds until `$WATCH_SECONDS` have passed: a restart of one of the new colour's
/// containers (a crash, an out-of-memory kill, a failed liveness probe) fails the watch at once;
/// three checks in a row without a ready pod of the colour, or without an answer on the health
/// path through the ingress (where it routes it), fail it too.
const WATCH: &[&str] = &[
    r#"deadline=$((SECONDS + WATCH_SECONDS))"#,
    r#"selector="app.kubernetes.io/instance=$RELEASE-$COLOUR""#,
    r#"restarts="""#,
    "failures=0",
    r#"while [ "$SECONDS" -lt "$deadline" ]; do"#,
    "  healthy=true",
    r#"  if counts="$(kubectl get pods --namespace "$NAMESPACE" --selector "$selector" --output 'jsonpath={.items[*].status.containerStatuses[*].restartCount}')"; then"#,
    "    total=0",
    "    for count in $counts; do total=$((total + count)); done",
    r#"    if [ -n "$restarts" ] && [ "$total" -gt "$restarts" ]; then"#,
    r#"      echo "::error::a container of $RELEASE-$COLOUR restarted during the watch""#,
    "      exit 1",
    "    fi",
    r#"    restarts="$total""#,
    "  else",
    "    healthy=false",
    "  fi",
    r#"  ready="$(kubectl get deployment "$RELEASE-$COLOUR" --namespace "$NAMESPACE" --output 'jsonpath={.status.readyReplicas}')" || ready="""#,
    r#"  if [ -z "$ready" ] || [ "$ready" -eq 0 ]; then healthy=false; fi"#,
    r#"  if [ -n "$HEALTH_URL" ] && ! curl --fail --silent --show-error --max-time 10 --output /dev/null "$HEALTH_URL"; then"#,
    "    healthy=false",
    "  fi",
    r#"  if [ "$healthy" = true ]; then"#,
    "    failures=0",
    "  else",
    "    failures=$((failures + 1))",
    r#"    echo "::warning::check $failures of 3 of $RELEASE-$COLOUR failed""#,
    "  fi",
    r#"  if [ "$failures" -ge 3 ]; then"#,
    r#"    echo "::error::$RELEASE-$COLOUR failed 3 checks in a row""#,
    "    exit 1",
    "  fi",
    "  sleep 30",
    "done",
    r#"echo "$RELEASE-$COLOUR stayed healthy for $WATCH""#,
];
/// Back to the shared release's revision before the deploy: the Service selects the previous
/// colour again, with what the colours share as it was (on the first blue-green deploy of a
/// rolling release, its Deployment returns).
const SWITCH_BACK: &[&str] = &[
    r#"if [ -z "$FROM" ] || [ "$FROM" = null ]; then"#,
    r#"  echo "::error::$RELEASE had no revision before this deploy: nothing to switch back to""#,
    "  exit 1",
    "fi",
    r#"helm rollback "$RELEASE" "$FROM" --namespace "$NAMESPACE" --wait --timeout 10m"#,
];
/// `$COLOUR`'s release, unless the Service selects it: the live colour is never removed.
const REMOVE_COLOUR: &[&str] = &[
    r#"live="$(kubectl get service "$RELEASE" --namespace "$NAMESPACE" --ignore-not-found --output 'jsonpath={.spec.selector.colour}')""#,
    r#"if [ "$live" = "$COLOUR" ]; then"#,
    r#"  echo "::warning::the Service selects the $COLOUR colour: $RELEASE-$COLOUR is kept""#,
    "  exit 0",
    "fi",
    r#"if helm status "$RELEASE-$COLOUR" --namespace "$NAMESPACE" > /dev/null 2>&1; then"#,
    r#"  helm uninstall "$RELEASE-$COLOUR" --namespace "$NAMESPACE" --wait --timeout 10m"#,
    "else",
    r#"  echo "no release $RELEASE-$COLOUR to remove""#,
    "fi",
];

/// The colours, as the step `colour` found them.
const LIVE: &str = "${{ steps.colour.outputs.live }}";
const IDLE: &str = "${{ steps.colour.outputs.idle }}";

/// What a blue-green deploy's steps need to know of the service, the environment and the job.
pub(super) struct BlueGreen<'a> {
    pub(super) model: &'a Model,
    pub(super) environment: &'a Environment,
    pub(super) service: &'a Service,
    pub(super) keep_previous: &'a PromDuration,
    /// The chart's values file of the service here.
    pub(super) values: String,
    /// The image helm deploys: `IMAGE_TAG`, the verified digest with the supply chain on.
    pub(super) image_tag: &'static str,
    /// The smoke tests through the ingress, where it routes their paths.
    pub(super) ingress_smoke_tests: Vec<Step>,
    /// The path of the API's list route, where the service has one.
    pub(super) api_path: Option<String>,
    /// `https://<host>`.
    pub(super) base_url: String,
}

impl BlueGreen<'_> {
    /// The job's minutes: the rolling deploy's hour, two more helm waits, and the watch.
    pub(super) fn timeout_minutes(&self) -> u32 {
        let watch = self.keep_previous.value().as_secs().div_ceil(60);
        80 + u32::try_from(watch).unwrap_or(u32::MAX)
    }

    /// The steps after the kubeconfig, before the notification.
    pub(super) fn steps(self) -> Vec<Step> {
        let release = self.service.name.clone();
        let namespace = self.environment.namespace.clone();
        let here = self.environment.settings_of(self.service);
        let port = u32::from(here.port);
        let helm = |step: Step| {
            step.env("RELEASE", release.clone())
                .env("CHART", HELM_CHART)
                .env("NAMESPACE", namespace.clone())
                .env("VALUES_FILE", self.values.clone())
                .env("IMAGE_REGISTRY", "${{ steps.ecr.outputs.registry }}")
                .env("IMAGE_TAG", self.image_tag)
        };
        // The release without a colour holds the service account.
        let shared =
            |step: Step| with_service_role(step, self.model, self.environment, self.service);
        let cluster = |step: Step| {
            step.env("RELEASE", release.clone())
                .env("NAMESPACE", namespace.clone())
        };
        let smoke = |name: &str, target: String| {
            cluster(Step::run(name, SMOKE_PORT_FORWARD))
                .env("TARGET", target)
                .env("PORT", port)
                .env("HEALTH_PATH", here.health_path.clone())
                .env("API_PATH", self.api_path.clone().unwrap_or_default())
        };
        let health_path = &here.health_path;
        let health_url = if self
            .service
            .routes_on_ingress(self.environment, health_path)
        {
            format!("{}{health_path}", self.base_url)
        } else {
            String::new()
        };
        let keep = self.keep_previous;

        let mut steps = vec![
            cluster(Step::run("Find the live colour", FIND_LIVE_COLOUR)).id("colour"),
            shared(helm(Step::run(
                "Update what the colours share (the Service keeps the live colour)",
                UPDATE_SHARED,
            )))
            .id("shared")
            .env("LIVE", LIVE)
            .env("IDLE", IDLE),
            helm(Step::run("Deploy the idle colour", DEPLOY_IDLE))
                .id("idle")
                .env("COLOUR", IDLE),
            smoke(
                "Smoke test the idle colour",
                format!("deployment/{release}-{IDLE}"),
            ),
            shared(helm(Step::run(
                "Switch the Service to the new colour",
                SWITCH,
            )))
            .id("switch")
            .env("COLOUR", IDLE),
            smoke("Smoke test: the Service", format!("service/{release}")),
        ];
        steps.extend(self.ingress_smoke_tests);
        steps.extend([
            // A new session of the deploy role: the job's first may end during the watch.
            configure_aws_credentials(
                self.model,
                self.environment,
                "Refresh AWS credentials for the watch",
            ),
            cluster(Step::run(
                &format!("Watch the new colour for {keep}"),
                WATCH,
            ))
            .id("watch")
            .env("COLOUR", IDLE)
            .env("WATCH", keep.as_str())
            .env("WATCH_SECONDS", keep.value().as_secs())
            .env("HEALTH_URL", health_url),
            configure_aws_credentials(self.model, self.environment, "Refresh AWS credentials")
                .when("!cancelled() && steps.idle.outcome != 'skipped'"),
            cluster(Step::run("Switch back to the previous colour", SWITCH_BACK))
                .when("failure() && steps.shared.outcome != 'skipped'")
                .env("FROM", "${{ steps.colour.outputs.from }}"),
            cluster(Step::run("Remove the failed colour", REMOVE_COLOUR))
                .when("failure() && steps.idle.outcome != 'skipped'")
                .env("COLOUR", IDLE),
            cluster(Step::run(
                &format!("Remove the previous colour (kept {keep})"),
                REMOVE_COLOUR,
            ))
            .when("success() && steps.colour.outputs.live != ''")
            .env("COLOUR", LIVE),
        ]);
        steps
    }
}
