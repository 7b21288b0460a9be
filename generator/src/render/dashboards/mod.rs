//! `generated/<env>/dashboards/<uid>.json`: one Grafana dashboard (the classic JSON model that
//! provisioning reads) per `[[dashboards]]` entry and environment, its panels taken from the
//! built-in catalogue (`catalogue`), whose PromQL reads exactly the metrics the runtime exports.
//!
//! The dashboard is a typed value (`GrafanaDashboard`) serialized by serde, keys in alphabetical
//! order as Grafana itself exports them; no template lays it out.

mod catalogue;
mod cost;
mod grafana;

use catalogue::catalogue_entry;
use grafana::{
    ColorMode, DataSource, FieldConfig, FieldDefaults, GrafanaDashboard, GrafanaPanel, GridPos,
    Link, PanelOptions, Query, Target, Templating, Threshold, Thresholds, TimeRange, Variable,
    Visualization,
};

use super::artifact::{Artifact, RenderError, Request};
use crate::model::Dashboard;
use crate::model::Environment;

/// The dashboard JSON model version written: one that every Grafana from 10.4 on reads, and that
/// newer releases migrate forward when they load it, so the files need not follow each release.
pub const SCHEMA_VERSION: u32 = 39;

/// Name of the Prometheus data source variable every panel and target reads through.
pub const DATASOURCE_VARIABLE: &str = "datasource";

/// Panel size on Grafana's 24-column grid: two panels side by side per row.
const PANEL_WIDTH: u32 = 12;
const PANEL_HEIGHT: u32 = 8;
const GRID_COLUMNS: u32 = 24;

/// Where the `index`-th panel goes: two per row, rows top to bottom.
fn grid_position(index: usize) -> GridPos {
    let per_row = GRID_COLUMNS / PANEL_WIDTH;
    let index = u32::try_from(index).unwrap_or(u32::MAX / PANEL_HEIGHT);
    GridPos {
        h: PANEL_HEIGHT,
        w: PANEL_WIDTH,
        x: (index % per_row) * PANEL_WIDTH,
        y: (index / per_row) * PANEL_HEIGHT,
    }
}

/// The reference letters Grafana gives queries: A..Z, then AA, AB, ...
fn ref_id(index: usize) -> String {
    let letter = |n: usize| char::from(b'A' + u8::try_from(n % 26).unwrap_or(0));
    if index < 26 {
        letter(index).to_string()
    } else {
        format!("{}{}", letter(index / 26 - 1), letter(index))
    }
}

fn dashboard(
    request: &Request<'_>,
    environment: &Environment,
    dashboard: &Dashboard,
) -> GrafanaDashboard {
    let model = request.model;
    let service = model
        .service(&dashboard.service)
        .unwrap_or_else(|| unreachable!("validation resolves every dashboard's service"));
    let datasource = DataSource {
        kind: "prometheus",
        uid: format!("${{{DATASOURCE_VARIABLE}}}"),
    };
    let panels = dashboard
        .panels
        .iter()
        .enumerate()
        .map(|(index, panel)| {
            let spec = catalogue_entry(model, environment, service, *panel);
            GrafanaPanel {
                datasource: Some(datasource.clone()),
                description: spec.description.to_string(),
                field_config: FieldConfig {
                    defaults: FieldDefaults {
                        // Series are told apart by colour; single values by their thresholds.
                        color: ColorMode {
                            mode: if spec.kind == Visualization::Timeseries {
                                "palette-classic"
                            } else {
                                "thresholds"
                            },
                        },
                        custom: None,
                        max: spec.max,
                        min: spec.min,
                        thresholds: Thresholds {
                            mode: "absolute",
                            steps: spec
                                .thresholds
                                .iter()
                                .map(|&(value, color)| Threshold { color, value })
                                .collect(),
                        },
                        unit: spec.unit,
                    },
                    overrides: [],
                },
                grid_pos: grid_position(index),
                id: u32::try_from(index + 1).unwrap_or(u32::MAX),
                options: PanelOptions::of(spec.kind),
                targets: spec
                    .queries
                    .into_iter()
                    .enumerate()
                    .map(|(index, (expr, legend_format))| {
                        Query::Prometheus(Target {
                            datasource: datasource.clone(),
                            editor_mode: "code",
                            expr,
                            legend_format,
                            range: true,
                            ref_id: ref_id(index),
                        })
                    })
                    .collect(),
                title: spec.title.to_string(),
                kind: spec.kind,
            }
        })
        .collect();
    frame(
        request,
        environment,
        Frame {
            uid: dashboard.uid.clone(),
            title: format!("{} ({})", dashboard.title, environment.name),
            topic: service.name.clone(),
            menu: vec!["platformgen".to_string(), service.name.clone()],
            datasource: "prometheus",
            refresh: "30s",
            from: "now-6h",
        },
        panels,
    )
}

/// What sets one generated dashboard apart from the others, around its panels.
struct Frame {
    uid: String,
    title: String,
    /// The service it shows (or `cost`): a tag.
    topic: String,
    /// The tags of the dashboards its menu lists.
    menu: Vec<String>,
    /// The type of data source its variable offers.
    datasource: &'static str,
    refresh: &'static str,
    /// The start of its time range (until now).
    from: &'static str,
}

/// A generated dashboard of `environment`: `panels` with the header, the menu of the other
/// dashboards, the data source variable and the time range every one has.
fn frame(
    request: &Request<'_>,
    environment: &Environment,
    frame: Frame,
    panels: Vec<GrafanaPanel>,
) -> GrafanaDashboard {
    GrafanaDashboard {
        description: format!(
            "Environment: {}. Generated by platformgen from {spec}; do not edit. Regenerate with: platformgen generate --spec {spec}",
            environment.name,
            spec = request.spec_path
        ),
        editable: false,
        graph_tooltip: 1,
        links: vec![Link {
            as_dropdown: true,
            icon: "external link",
            include_vars: true,
            keep_time: true,
            tags: frame.menu,
            target_blank: false,
            title: "Dashboards",
            tooltip: "The other dashboards generated from the spec",
            kind: "dashboards",
        }],
        panels,
        refresh: frame.refresh,
        schema_version: SCHEMA_VERSION,
        tags: vec![
            "platformgen".to_string(),
            frame.topic,
            environment.name.clone(),
        ],
        templating: Templating {
            list: vec![Variable {
                hide: 0,
                include_all: false,
                label: "Data source",
                multi: false,
                name: DATASOURCE_VARIABLE,
                query: frame.datasource,
                refresh: 1,
                regex: "",
                kind: "datasource",
            }],
        },
        time: TimeRange {
            from: frame.from,
            to: "now",
        },
        timezone: "browser",
        title: frame.title,
        uid: frame.uid,
        version: 1,
    }
}

/// The cost dashboard of `environment` (`cost`).
fn cost_dashboard(request: &Request<'_>, environment: &Environment) -> GrafanaDashboard {
    let (uid, title) = cost::identity(environment);
    frame(
        request,
        environment,
        Frame {
            uid,
            title,
            topic: "cost".to_string(),
            // Every dashboard generated from the spec.
            menu: vec!["platformgen".to_string()],
            datasource: "cloudwatch",
            refresh: "1h",
            // This month so far: the bill starts from zero each month.
            from: "now/M",
        },
        cost::panels(request.model, environment),
    )
}

/// Renders every dashboard of the spec for each environment.
pub fn render(request: &Request<'_>) -> Result<Vec<Artifact>, RenderError> {
    let mut artifacts = Vec::new();
    for environment in request.environments() {
        for dashboard in &request.model.dashboards {
            artifacts.push(dashboard_file(request, environment, dashboard)?);
        }
        artifacts.push(cost_dashboard_file(request, environment)?);
    }
    Ok(artifacts)
}

/// `generated/<env>/dashboards/<uid>.json`: one dashboard of the spec in one environment.
pub fn dashboard_file(
    request: &Request<'_>,
    environment: &Environment,
    dashboard: &Dashboard,
) -> Result<Artifact, RenderError> {
    dashboard_json(
        environment,
        &self::dashboard(request, environment, dashboard),
    )
}

/// `generated/<env>/dashboards/aws-cost.json`: the environment's bill beside its estimate.
pub fn cost_dashboard_file(
    request: &Request<'_>,
    environment: &Environment,
) -> Result<Artifact, RenderError> {
    dashboard_json(environment, &cost_dashboard(request, environment))
}

fn dashboard_json(
    environment: &Environment,
    dashboard: &GrafanaDashboard,
) -> Result<Artifact, RenderError> {
    let mut contents = serde_json::to_string_pretty(dashboard).map_err(|error| RenderError {
        template: "dashboards.rs".to_string(),
        line: None,
        message: error.to_string(),
    })?;
    contents.push('\n');
    Ok(Artifact {
        path: format!(
            "generated/{}/dashboards/{}.json",
            environment.name, dashboard.uid
        ),
        contents,
    })
}
