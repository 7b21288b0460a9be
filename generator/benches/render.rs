//! Rendering speed: every artifact of the example spec, and of synthetic specs with many
//! environments (to show growth is linear); and the daily commands `cost` and `diff` on the
//! example spec, each as `platformgen` runs it (the file read and checked, then the command).
//! Run with `cargo bench -p generator --bench render`.

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use generator::Model;
use generator::cli::{Command, CostFormat, Format, Output, run};
use generator::render::{Request, render_all};

const EXAMPLE: &str = include_str!("../../specs/expense.toml");
const EXAMPLE_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../specs/expense.toml");

/// The example spec with its three environments replaced by `count` (at most 256) copies of
/// staging, each with its own VPC range and deploy tag.
fn spec_with_environments(count: usize) -> String {
    let start = EXAMPLE.find("[environments.dev]").expect("dev");
    let end = EXAMPLE.find("# Routes of the runtime").expect("routes");
    let mut text = EXAMPLE[..start].to_string();
    for index in 0..count {
        let _ = write!(
            text,
            r#"
[environments.env{index}]
tier = "staging"
network = {{ vpc_cidr = "10.{index}.0.0/16", availability_zones = ["us-east-1a", "us-east-1b"], public_subnets = ["10.{index}.1.0/24", "10.{index}.2.0/24"], private_subnets = ["10.{index}.11.0/24", "10.{index}.12.0/24"], database_subnets = ["10.{index}.21.0/24", "10.{index}.22.0/24"] }}
eks = {{ instance_types = ["t3.medium"], desired_size = 2, min_size = 1, max_size = 4, spot = false, spot_percentage = 0 }}
database = {{ instance_class = "db.t3.small", allocated_storage_gb = 50, multi_az = true, backup_retention_days = 7 }}
cache = {{ node_type = "cache.t3.small", nodes = 2, automatic_failover = true }}
app = {{ cache_ttl_seconds = 120, log_retention_days = 30 }}
budget = {{ monthly_usd = 300 }}
ingress = {{ host = "api.env{index}.example.com", certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-0000-4000-8000-000000000009" }}
deploy = {{ tag = "v*-env{index}" }}
"#
        );
    }
    text.push_str(&EXAMPLE[end..]);
    text
}

fn render(model: &Model, spec_text: &str) -> usize {
    let request = Request {
        model,
        spec_path: "specs/expense.toml",
        spec_text,
        only_environment: None,
    };
    render_all(&request)
        .map(|artifacts| artifacts.len())
        .unwrap_or_default()
}

/// Runs a command as `platformgen` would, its output kept in memory; returns its size.
fn command(command: Command) -> usize {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run(
        command,
        &mut Output {
            out: &mut out,
            err: &mut err,
            styled: false,
        },
    );
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&err));
    out.len()
}

fn benchmarks(c: &mut Criterion) {
    c.bench_function(
        "platformgen cost (the example spec, every environment)",
        |b| {
            b.iter(|| {
                command(Command::Cost {
                    spec: EXAMPLE_PATH.into(),
                    env: None,
                    format: black_box(CostFormat::Text),
                    compare: None,
                })
            });
        },
    );
    c.bench_function("platformgen diff staging prod (the example spec)", |b| {
        b.iter(|| {
            command(Command::Diff {
                a: "staging".into(),
                b: "prod".into(),
                spec: EXAMPLE_PATH.into(),
                format: black_box(Format::Human),
            })
        });
    });
    let example = Model::load_str("specs/expense.toml", EXAMPLE).expect("example spec");
    c.bench_function(
        "the budget check of the example spec (part of loading it)",
        |b| {
            b.iter(|| generator::cost::over_budget(black_box(&example)).len());
        },
    );
    c.bench_function("render every artifact of the example spec", |b| {
        b.iter(|| render(black_box(&example), EXAMPLE));
    });
    c.bench_function("load and validate the example spec", |b| {
        b.iter(|| {
            Model::load_str("specs/expense.toml", black_box(EXAMPLE)).map(|m| m.environments.len())
        });
    });
    let mut group = c.benchmark_group("render by environment count");
    for count in [10, 50, 100] {
        let text = spec_with_environments(count);
        let model = Model::load_str("synthetic.toml", &text)
            .unwrap_or_else(|error| panic!("synthetic spec: {error}"));
        group.throughput(Throughput::Elements(count as u64));
        group.bench_with_input(BenchmarkId::from_parameter(count), &model, |b, model| {
            b.iter(|| render(black_box(model), &text));
        });
    }
    group.finish();
}

criterion_group!(benches, benchmarks);
criterion_main!(benches);
