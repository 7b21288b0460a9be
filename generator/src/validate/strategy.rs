//! An environment's deploy strategy: rolling, or blue-green with the time the previous colour is
//! kept, parsed and held within what one deploy job can watch.

use std::time::Duration;

use super::values::{duration_error, path};
use crate::diagnostic::{Code, Diagnostic};
use crate::duration::PromDuration;
use crate::model::{Layer, Strategy};
use crate::resolve::Resolved;
use crate::spec::{Deploy, DeployStrategy};

/// The devops guide's "monitor for 10 minutes", where a blue-green environment names no time.
const DEFAULT_KEEP_PREVIOUS: &str = "10m";
/// Shorter, and the watch after the switch sees too few checks to judge the new colour.
const MIN_KEEP_PREVIOUS: Duration = Duration::from_secs(60);
/// Longer, and the watch outlives the AWS session it runs in: the deploy role's sessions last
/// an hour (`terraform/modules/oidc`, `max_session_duration`), and the deploy refreshes its
/// credentials only around the watch, not inside it.
const MAX_KEEP_PREVIOUS: Duration = Duration::from_secs(45 * 60);

/// The strategy of the environment's deploys; `None` when `keep_previous` is not a duration in
/// bounds (the diagnostic is in `out`). A `keep_previous` of a rolling environment is refused
/// where the environment writes it, and only warned about where it inherits it from
/// `[defaults]`, which an environment cannot unset.
pub(super) fn strategy(
    resolved: &Resolved,
    deploy: &Deploy,
    out: &mut Vec<Diagnostic>,
) -> Option<Strategy> {
    let at = path("deploy.keep_previous");
    match (deploy.strategy, &deploy.keep_previous) {
        (DeployStrategy::Rolling, None) => Some(Strategy::Rolling),
        (DeployStrategy::Rolling, Some(_)) => {
            let message = "`keep_previous` is the time a blue-green deploy keeps the previous \
                           colour, but this environment deploys with `strategy = \"rolling\"`, \
                           which keeps no previous version";
            let help = "remove `keep_previous`, or set `strategy = \"blue-green\"`";
            let diagnostic = match resolved.layer_of(&at) {
                Layer::Environment => Diagnostic::error(Code::Inconsistent, message),
                Layer::Defaults | Layer::Service => {
                    Diagnostic::warning(Code::Inconsistent, message)
                }
            };
            out.push(resolved.diagnostic(diagnostic.help(help), &at));
            Some(Strategy::Rolling)
        }
        (DeployStrategy::BlueGreen, written) => {
            let text = written.as_deref().unwrap_or(DEFAULT_KEEP_PREVIOUS);
            let keep_previous = match PromDuration::parse(text) {
                Ok(duration) => duration,
                Err(error) => {
                    let diagnostic = duration_error(&error, at.clone()).on_value();
                    out.push(resolved.diagnostic(diagnostic, &at));
                    return None;
                }
            };
            let value = keep_previous.value();
            if !(MIN_KEEP_PREVIOUS..=MAX_KEEP_PREVIOUS).contains(&value) {
                let why = if value < MIN_KEEP_PREVIOUS {
                    "too short for the watch after the switch to judge the new colour (it checks \
                     every 30 seconds)"
                } else {
                    "longer than the deploy can watch the new colour: the watch runs in one AWS \
                     session of the deploy role, which lasts an hour"
                };
                out.push(
                    resolved.diagnostic(
                        Diagnostic::error(
                            Code::OutOfRange,
                            format!("`keep_previous = \"{keep_previous}\"` is {why}"),
                        )
                        .on_value()
                        .help("keep the previous colour from `1m` to `45m`, for example `30m`"),
                        &at,
                    ),
                );
                return None;
            }
            Some(Strategy::BlueGreen { keep_previous })
        }
    }
}
