//! `.github/`: this repository's own CI (`workflows/ci.yml`), one deploy workflow per service
//! and environment (`workflows/deploy-<service>-<env>.yml`), the Terraform workflow
//! (`workflows/terraform.yml`), the pull requests' cost comment (`workflows/cost.yml`) and the
//! Dependabot configuration (`dependabot.yml`), rendered from the spec's services, `[delivery]`
//! and environments.
//!
//! Every decision (which jobs, which steps, their environment variables, the pinned `uses:`
//! references, the triggers) is made here; the templates only lay the context out as YAML.
//! Two rules keep the workflows safe whatever the spec says:
//! - a `run:` script holds only text written in this file (`&'static str` lines); spec values and
//!   `${{ }}` expressions reach a script through `env:` and are read as `"$VAR"`, so nothing a
//!   spec or an event says can be interpolated into shell code;
//! - every spec value is printed through the template's YAML (JSON) escaping, and a spec value
//!   holding `${{` is refused, because GitHub would evaluate it as an expression.

mod blue_green;
mod ci;
mod comment;
mod context;
mod cost;
mod dependabot;
mod deploy;
mod image;
mod rotation;
mod supply_chain;
mod terraform;
pub(crate) use context::HELM_CHART;
pub(crate) use terraform::PATH as TERRAFORM_WORKFLOW;

use super::artifact::{Artifact, RenderError, Request};
use super::template::render_workflow;

const CI_TEMPLATE: &str = "workflows/ci.yml.j2";
const DEPLOY_TEMPLATE: &str = "workflows/deploy.yml.j2";
const DEPENDABOT_TEMPLATE: &str = "workflows/dependabot.yml.j2";
const TERRAFORM_TEMPLATE: &str = "workflows/terraform.yml.j2";
const COST_TEMPLATE: &str = "workflows/cost.yml.j2";

pub fn render(request: &Request<'_>) -> Result<Vec<Artifact>, RenderError> {
    let header = request.header("#");
    let mut artifacts = vec![
        deploy::actionlint_config(request.model, &header),
        Artifact {
            path: ".github/workflows/ci.yml".to_string(),
            contents: format!(
                "{header}{}",
                render_workflow(
                    CI_TEMPLATE,
                    &ci::ci_workflow(request.model, request.spec_path)
                )?
            ),
        },
    ];
    if let Some(updates) = &request.model.delivery.dependency_updates {
        let dependabot = dependabot::dependabot(request.model, updates);
        artifacts.push(Artifact {
            path: dependabot::PATH.to_string(),
            contents: format!(
                "{header}{}",
                render_workflow(DEPENDABOT_TEMPLATE, &dependabot)?
            ),
        });
    }
    if let Some(roles) = &request.model.delivery.terraform {
        let workflow = terraform::terraform_workflow(request.model, roles);
        artifacts.push(Artifact {
            path: terraform::PATH.to_string(),
            contents: format!(
                "{header}{}",
                render_workflow(TERRAFORM_TEMPLATE, &workflow)?
            ),
        });
    }
    if request.model.delivery.cost_comment {
        let workflow = cost::cost_workflow(request.model, request.spec_path);
        artifacts.push(Artifact {
            path: cost::PATH.to_string(),
            contents: format!("{header}{}", render_workflow(COST_TEMPLATE, &workflow)?),
        });
    }
    for environment in request.environments() {
        for service in &request.model.services {
            let workflow = deploy::deploy_workflow(request.model, environment, service);
            artifacts.push(Artifact {
                path: deploy::path(environment, service),
                contents: format!("{header}{}", render_workflow(DEPLOY_TEMPLATE, &workflow)?),
            });
        }
    }
    Ok(artifacts)
}
