//! The generator's tests, one binary: the command line (`cli`), blue-green deploys
//! (`blue_green`), every kind of mistake in a spec (`diagnostics`, on the fixture specs of
//! `specs`), the rendered artifacts read back (`render`, `render_dashboards`, `render_workflows`,
//! the platforms each deploy builds its image for `image_platforms`, the Terraform workflow
//! `render_terraform` and its rotations of the database password `rotation`, and what a
//! release's values file carries, `release`), the cost estimate (`cost`) and what it renders
//! (`cost_artifacts`), the comparison of two environments (`diff`), the guide's platform
//! (`money_tracking`), a service's port, image and paths per environment (`per_environment`),
//! what `generate --check` reports (`check`), `explain`'s JSON (`explain`), the shells'
//! completions and the pre-commit hook (`integrations`), and the language server driven as an
//! editor drives it (`lsp`).

mod architecture;
mod blue_green;
mod check;
mod cli;
mod cost;
mod cost_artifacts;
mod diagnostics;
mod diff;
mod explain;
mod image_platforms;
mod integrations;
mod lsp;
mod money_tracking;
mod per_environment;
mod release;
mod render;
mod render_dashboards;
mod render_terraform;
mod render_workflows;
mod rotation;
mod specs;
mod support;
