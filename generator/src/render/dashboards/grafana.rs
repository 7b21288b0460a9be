//! The Grafana dashboard JSON model, as far as these dashboards use it: typed values that serde
//! writes in the form Grafana exports.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

/// The Grafana dashboard JSON model, as far as these dashboards use it. Fields are declared in
/// alphabetical order, the order Grafana exports them in, so the file is serde's pretty form.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct GrafanaDashboard {
    pub(super) description: String,
    pub(super) editable: bool,
    pub(super) graph_tooltip: u8,
    pub(super) links: Vec<Link>,
    pub(super) panels: Vec<GrafanaPanel>,
    pub(super) refresh: &'static str,
    pub(super) schema_version: u32,
    pub(super) tags: Vec<String>,
    pub(super) templating: Templating,
    pub(super) time: TimeRange,
    pub(super) timezone: &'static str,
    pub(super) title: String,
    pub(super) uid: String,
    pub(super) version: u32,
}

/// The menu of the other dashboards (those carrying `tags`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Link {
    pub(super) as_dropdown: bool,
    pub(super) icon: &'static str,
    pub(super) include_vars: bool,
    pub(super) keep_time: bool,
    pub(super) tags: Vec<String>,
    pub(super) target_blank: bool,
    pub(super) title: &'static str,
    pub(super) tooltip: &'static str,
    #[serde(rename = "type")]
    pub(super) kind: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct DataSource {
    #[serde(rename = "type")]
    pub(super) kind: &'static str,
    pub(super) uid: String,
}

/// The Grafana panel plugin of a panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum Visualization {
    /// A graph over time.
    Timeseries,
    /// The latest value, large, with a sparkline.
    Stat,
    /// The latest value on a dial between `min` and `max`.
    Gauge,
    /// Markdown, no query.
    Text,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct GrafanaPanel {
    /// None for a text panel, which queries nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) datasource: Option<DataSource>,
    pub(super) description: String,
    pub(super) field_config: FieldConfig,
    pub(super) grid_pos: GridPos,
    pub(super) id: u32,
    pub(super) options: PanelOptions,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) targets: Vec<Query>,
    pub(super) title: String,
    #[serde(rename = "type")]
    pub(super) kind: Visualization,
}

#[derive(Debug, Serialize)]
pub(super) struct FieldConfig {
    pub(super) defaults: FieldDefaults,
    pub(super) overrides: [(); 0],
}

#[derive(Debug, Serialize)]
pub(super) struct FieldDefaults {
    pub(super) color: ColorMode,
    /// The panel plugin's own field options (a time series' threshold lines).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) custom: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) max: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) min: Option<u32>,
    pub(super) thresholds: Thresholds,
    pub(super) unit: &'static str,
}

#[derive(Debug, Serialize)]
pub(super) struct ColorMode {
    pub(super) mode: &'static str,
}

#[derive(Debug, Serialize)]
pub(super) struct Thresholds {
    pub(super) mode: &'static str,
    pub(super) steps: Vec<Threshold>,
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct Threshold {
    pub(super) color: &'static str,
    /// `None` is the base step (Grafana writes `-Infinity` as `null`).
    pub(super) value: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(super) struct GridPos {
    pub(super) h: u32,
    pub(super) w: u32,
    pub(super) x: u32,
    pub(super) y: u32,
}

/// Each visualization's own options.
#[derive(Debug, Serialize)]
#[serde(untagged, rename_all_fields = "camelCase")]
pub(super) enum PanelOptions {
    Timeseries {
        legend: Legend,
        tooltip: Tooltip,
    },
    Stat {
        color_mode: &'static str,
        graph_mode: &'static str,
        justify_mode: &'static str,
        orientation: &'static str,
        reduce_options: ReduceOptions,
        text_mode: &'static str,
    },
    Gauge {
        orientation: &'static str,
        reduce_options: ReduceOptions,
        show_threshold_labels: bool,
        show_threshold_markers: bool,
    },
    Text {
        content: String,
        mode: &'static str,
    },
}

impl PanelOptions {
    pub(super) fn of(kind: Visualization) -> Self {
        match kind {
            Visualization::Timeseries => PanelOptions::Timeseries {
                legend: Legend {
                    calcs: [],
                    display_mode: "list",
                    placement: "bottom",
                    show_legend: true,
                },
                tooltip: Tooltip {
                    mode: "multi",
                    sort: "desc",
                },
            },
            Visualization::Stat => PanelOptions::Stat {
                color_mode: "value",
                graph_mode: "area",
                justify_mode: "auto",
                orientation: "auto",
                reduce_options: ReduceOptions::LAST,
                text_mode: "auto",
            },
            Visualization::Gauge => PanelOptions::Gauge {
                orientation: "auto",
                reduce_options: ReduceOptions::LAST,
                show_threshold_labels: false,
                show_threshold_markers: true,
            },
            Visualization::Text => PanelOptions::markdown(String::new()),
        }
    }

    /// A text panel showing `content`, Markdown.
    pub(super) fn markdown(content: String) -> Self {
        PanelOptions::Text {
            content,
            mode: "markdown",
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Legend {
    pub(super) calcs: [&'static str; 0],
    pub(super) display_mode: &'static str,
    pub(super) placement: &'static str,
    pub(super) show_legend: bool,
}

#[derive(Debug, Serialize)]
pub(super) struct Tooltip {
    pub(super) mode: &'static str,
    pub(super) sort: &'static str,
}

/// The panel shows the last value of each series.
#[derive(Debug, Serialize)]
pub(super) struct ReduceOptions {
    pub(super) calcs: [&'static str; 1],
    pub(super) fields: &'static str,
    pub(super) values: bool,
}

impl ReduceOptions {
    pub(super) const LAST: ReduceOptions = ReduceOptions {
        calcs: ["lastNotNull"],
        fields: "",
        values: false,
    };
}

/// One query of a panel, in its data source's own form.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub(super) enum Query {
    Prometheus(Target),
    CloudWatch(CloudWatchTarget),
}

/// One PromQL query of a panel.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Target {
    pub(super) datasource: DataSource,
    pub(super) editor_mode: &'static str,
    pub(super) expr: String,
    pub(super) legend_format: String,
    pub(super) range: bool,
    pub(super) ref_id: String,
}

/// One CloudWatch metrics query of a panel (the data source's metric search, built by fields).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CloudWatchTarget {
    pub(super) datasource: DataSource,
    /// Dimension -> value; `*` matches every value (one series each).
    pub(super) dimensions: BTreeMap<&'static str, String>,
    pub(super) expression: &'static str,
    pub(super) id: &'static str,
    /// The series' name; `${PROP('Dim.<name>')}` names it by a dimension's value.
    pub(super) label: String,
    /// Only metrics with exactly these dimensions.
    pub(super) match_exact: bool,
    /// 0: built by fields, not written as an expression.
    pub(super) metric_editor_mode: u8,
    pub(super) metric_name: &'static str,
    /// 0: metric search.
    pub(super) metric_query_type: u8,
    pub(super) namespace: &'static str,
    /// Seconds per point.
    pub(super) period: &'static str,
    pub(super) query_mode: &'static str,
    pub(super) ref_id: String,
    pub(super) region: &'static str,
    pub(super) statistic: &'static str,
}

/// The data source variable the dashboard offers.
#[derive(Debug, Serialize)]
pub(super) struct Templating {
    pub(super) list: Vec<Variable>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Variable {
    pub(super) hide: u8,
    pub(super) include_all: bool,
    pub(super) label: &'static str,
    pub(super) multi: bool,
    pub(super) name: &'static str,
    pub(super) query: &'static str,
    pub(super) refresh: u8,
    pub(super) regex: &'static str,
    #[serde(rename = "type")]
    pub(super) kind: &'static str,
}

#[derive(Debug, Serialize)]
pub(super) struct TimeRange {
    pub(super) from: &'static str,
    pub(super) to: &'static str,
}
