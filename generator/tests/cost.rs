//! The cost estimate: each example spec's estimate in its three layouts, every line held to the
//! price table, the budgets it warns about, the errors that name what a table lacks, and
//! `platformgen cost` as users run it.

use generator::cost::{self, HOURS_PER_MONTH, Line, PriceTable, Usd, report};
use generator::diagnostic::Code;
use generator::load::load_file;
use generator::model::Storage;

use crate::cli::{fixture_file, platformgen, text};
use crate::support::{example, load, workspace};

const EXAMPLES: [(&str, &str); 2] = [
    ("expense", "specs/expense.toml"),
    ("ledger", "specs/ledger.toml"),
];

fn line<'l>(lines: &'l [Line], item: &str) -> &'l Line {
    lines
        .iter()
        .find(|line| line.item.starts_with(item))
        .unwrap_or_else(|| panic!("no line `{item}...` in {lines:#?}"))
}

/// An hourly price for the month, to the cent.
fn month(hour: Usd, count: u64) -> Usd {
    hour.times(HOURS_PER_MONTH).times(count).to_cents()
}

#[test]
fn each_example_spec_is_estimated_as_text_json_and_markdown() {
    for (name, spec) in EXAMPLES {
        let estimate =
            cost::estimate(&load(spec), None).unwrap_or_else(|error| panic!("{spec}: {error}"));
        insta::assert_snapshot!(format!("{name}_text"), report::text(&estimate));
        insta::assert_snapshot!(format!("{name}_json"), report::json(&estimate));
        insta::assert_snapshot!(format!("{name}_markdown"), report::markdown(&estimate));
    }
}

#[test]
fn each_line_is_a_price_of_the_table_times_what_the_spec_deploys() {
    let prices = PriceTable::of_region("us-east-1").expect("the us-east-1 table reads");
    let estimate = cost::estimate(&example(), None).expect("the example is priced");
    let prod = &estimate.environments["prod"].lines;
    // prod: db.t3.small, Multi-AZ (the primary and its standby), 100 GB stored twice.
    let rds = prices.rds.instance_hour.mysql["db.t3.small"];
    assert_eq!(line(prod, "RDS db.t3.small").monthly, month(rds, 2));
    assert_eq!(line(prod, "RDS db.t3.small").monthly.to_string(), "49.64");
    assert_eq!(
        line(prod, "RDS gp3 storage").monthly,
        prices.rds.gp3_gb_month.times(100 * 2).to_cents()
    );
    // 4 on-demand t3.large (spot off), 3 cache.t3.medium, a NAT gateway in each of 3 zones.
    let node = prices.ec2.instance_hour["t3.large"];
    assert_eq!(line(prod, "EKS nodes, on-demand").monthly, month(node, 4));
    let cache = prices.elasticache.node_hour["cache.t3.medium"];
    assert_eq!(line(prod, "ElastiCache").monthly, month(cache, 3));
    assert_eq!(
        line(prod, "NAT gateways").monthly,
        month(prices.nat.hour, 3)
    );
    assert_eq!(line(prod, "EKS control plane").monthly.to_string(), "73.00");
    // dev: 2 nodes, 80 % spot: Terraform rounds the on-demand share up, so 1 and 1.
    let dev = &estimate.environments["dev"].lines;
    let medium = prices.ec2.instance_hour["t3.medium"];
    assert_eq!(line(dev, "EKS nodes, on-demand").quantity, 1);
    let spot = line(dev, "EKS nodes, spot");
    assert_eq!(spot.quantity, 1);
    let discount = prices.ec2.spot_discount_percent;
    assert_eq!(
        spot.unit,
        medium.percent(100 - discount).times(HOURS_PER_MONTH)
    );
    assert_eq!(line(dev, "RDS db.t3.micro").quantity, 1, "Single-AZ");
}

/// The guide's data stores (specs/money-tracking.toml): each read replica is an instance with its
/// own storage, every node of every shard is billed, and gp3 IOPS or throughput above the
/// baseline are lines of their own (Multi-AZ bills the standby's too).
#[test]
fn replicas_every_cache_node_and_storage_above_the_baseline_are_priced() {
    let prices = PriceTable::of_region("us-east-1").expect("the us-east-1 table reads");
    let mut model = load("specs/money-tracking.toml");
    let estimate = cost::estimate(&model, Some("prod")).expect("priced");
    let prod = &estimate.environments["prod"].lines;
    let replica = prices.rds.instance_hour.postgres["db.r6g.large"];
    for index in [1, 2] {
        let instance = line(prod, &format!("RDS read replica {index} db.r6g.large"));
        assert_eq!(
            (instance.quantity, instance.monthly),
            (1, month(replica, 1))
        );
        assert_eq!(
            line(prod, &format!("RDS read replica {index} gp3 storage")).monthly,
            prices.rds.gp3_gb_month.times(500).to_cents()
        );
    }
    let nodes = line(
        prod,
        "ElastiCache cache.r6g.large nodes: 3 shards x (1 primary + 1 replica)",
    );
    let node = prices.elasticache.node_hour["cache.r6g.large"];
    assert_eq!((nodes.quantity, nodes.monthly), (6, month(node, 6)));
    // 12,000 IOPS and 500 MiB/s are the baseline of 500 GB: nothing above it to bill.
    assert!(
        !prod
            .iter()
            .any(|line| line.item.starts_with("RDS gp3 IOPS"))
    );

    let database = &mut model.environments.get_mut("prod").expect("prod").database;
    database.storage = Storage::Gp3 {
        iops: Some(16_000),
        throughput_mibps: Some(1_000),
    };
    let estimate = cost::estimate(&model, Some("prod")).expect("priced");
    let prod = &estimate.environments["prod"].lines;
    let iops = line(
        prod,
        "RDS gp3 IOPS above the 12000 of the baseline x 2 (Multi-AZ)",
    );
    assert_eq!(
        (iops.quantity, iops.unit),
        (8_000, prices.rds.gp3_iops_month)
    );
    let throughput = line(
        prod,
        "RDS gp3 MiB/s above the 500 of the baseline x 2 (Multi-AZ)",
    );
    assert_eq!(
        (throughput.quantity, throughput.unit),
        (1_000, prices.rds.gp3_mibps_month)
    );
}

#[test]
fn interface_endpoints_are_priced_per_endpoint_service_and_zone() {
    let prices = PriceTable::of_region("us-east-1").expect("the us-east-1 table reads");
    let mut model = load("specs/money-tracking.toml");
    let estimate = cost::estimate(&model, Some("prod")).expect("priced");
    // ecr (ecr.api + ecr.dkr), logs, monitoring in each of three zones.
    let endpoints = line(
        &estimate.environments["prod"].lines,
        "VPC interface endpoints (ecr.api, ecr.dkr, logs, monitoring)",
    );
    let hour = prices.vpc_endpoint.interface_zone_hour;
    assert_eq!(
        (endpoints.quantity, endpoints.monthly),
        (12, month(hour, 12))
    );

    let prod = model.environments.get_mut("prod").expect("prod");
    prod.network.interface_endpoints.clear();
    let estimate = cost::estimate(&model, Some("prod")).expect("priced");
    assert!(
        !estimate.environments["prod"]
            .lines
            .iter()
            .any(|line| line.item.starts_with("VPC interface endpoints")),
        "no endpoints, no line"
    );
}

#[test]
fn each_node_group_is_priced_at_its_instance_type_size_and_capacity() {
    let prices = PriceTable::of_region("us-east-1").expect("the us-east-1 table reads");
    let estimate =
        cost::estimate(&load("specs/money-tracking.toml"), None).expect("the guide is priced");
    let hour = |instance: &str| prices.ec2.instance_hour[instance];
    // prod: the guide's 3 general-purpose t3.xlarge and 1 memory-optimized r6g.large, on demand.
    let prod = &estimate.environments["prod"].lines;
    assert_eq!(
        line(
            prod,
            "EKS nodes, general-purpose group: on-demand t3.xlarge"
        )
        .monthly,
        month(hour("t3.xlarge"), 3)
    );
    assert_eq!(
        line(
            prod,
            "EKS nodes, memory-optimized group: on-demand r6g.large"
        )
        .monthly,
        month(hour("r6g.large"), 1)
    );
    assert_eq!(
        line(prod, "EBS gp3 root volumes").quantity,
        4 * 50 + 20,
        "every node's root volume and the bastion's"
    );
    // dev: both groups on spot, each at its own type and the assumed discount.
    let dev = &estimate.environments["dev"].lines;
    let discount = prices.ec2.spot_discount_percent;
    for (item, instance, count) in [
        (
            "EKS nodes, general-purpose group: spot t3.large",
            "t3.large",
            2,
        ),
        (
            "EKS nodes, memory-optimized group: spot r6g.medium",
            "r6g.medium",
            1,
        ),
    ] {
        let priced = line(dev, item);
        assert_eq!(priced.quantity, count, "{item}");
        assert_eq!(
            priced.unit,
            hour(instance)
                .percent(100 - discount)
                .times(HOURS_PER_MONTH),
            "{item}"
        );
    }
}

#[test]
fn every_line_is_its_quantity_times_its_unit_and_every_total_their_sum() {
    for (_, spec) in EXAMPLES {
        let estimate = cost::estimate(&load(spec), None).expect("priced");
        for (name, environment) in &estimate.environments {
            for line in &environment.lines {
                assert!(line.quantity > 0, "{spec} {name}: {line:?}");
                assert_eq!(line.monthly, line.unit.times(line.quantity).to_cents());
            }
            let sum = environment.lines.iter().map(|line| line.monthly).sum();
            assert_eq!(environment.total(), sum, "{spec} {name}");
        }
    }
}

#[test]
fn the_example_budgets_below_their_estimates_are_warned_about_on_the_budget_key() {
    for (spec, over) in [
        ("specs/expense.toml", &["dev", "prod"][..]),
        ("specs/ledger.toml", &["staging"][..]),
    ] {
        let loaded = load_file(&workspace().join(spec)).expect("valid");
        let warned: Vec<String> = loaded
            .warnings
            .iter()
            .filter(|warning| warning.code == Code::OverBudget)
            .map(|warning| {
                warning
                    .path
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default()
            })
            .collect();
        let expected: Vec<String> = over
            .iter()
            .map(|env| format!("environments.{env}.budget.monthly_usd"))
            .collect();
        assert_eq!(warned, expected, "{spec}");
        let estimate = cost::estimate(&loaded.model, None).expect("priced");
        for (name, environment) in &estimate.environments {
            assert_eq!(
                environment.over_budget().is_some(),
                over.contains(&name.as_str())
            );
        }
    }
}

#[test]
fn a_type_the_price_table_lacks_is_an_error_naming_it_the_environment_and_the_file() {
    let mut model = example();
    let prod = model.environments.get_mut("prod").expect("prod");
    prod.cache.node_type = "cache.x9.huge".to_string();
    let error = cost::estimate(&model, None).expect_err("unpriced");
    assert_eq!(
        error.to_string(),
        "environment `prod`: the ElastiCache node type `cache.x9.huge` has no price in \
         generator/prices/us-east-1.toml"
    );
    assert_eq!(
        error.help(),
        "add `\"cache.x9.huge\" = <USD per hour>` to generator/prices/us-east-1.toml, from its \
         `source`"
    );
    let mut model = example();
    let dev = model.environments.get_mut("dev").expect("dev");
    dev.database.instance_class = "db.t3.mystery".to_string();
    let error = cost::estimate(&model, Some("dev")).expect_err("unpriced");
    assert!(
        error
            .to_string()
            .starts_with("environment `dev`: the RDS instance class `db.t3.mystery`"),
        "{error}"
    );
    // Only the environment asked for is priced.
    assert!(cost::estimate(&model, Some("prod")).is_ok());
}

#[test]
fn a_region_without_a_price_table_is_an_error_naming_it_and_the_tables() {
    let mut model = example();
    model.project.aws_region = "ap-south-1".to_string();
    let error = cost::estimate(&model, None).expect_err("no table");
    assert_eq!(
        error.to_string(),
        "no price table for the region `ap-south-1` (generator/prices/ has eu-west-1.toml, \
         us-east-1.toml)"
    );
    assert!(cost::over_budget(&model).is_empty(), "validation skips it");
}

#[test]
fn cost_prints_every_environment_or_the_one_asked_in_the_format_asked() {
    let all = platformgen(&["cost"]);
    assert_eq!(all.status.code(), Some(0), "{}", text(&all.stderr));
    let shown = text(&all.stdout);
    for env in ["dev: $", "prod: $", "staging: $", "Prices: us-east-1"] {
        assert!(shown.contains(env), "{env}: {shown}");
    }

    let json = platformgen(&["cost", "--env", "prod", "--format", "json"]);
    assert_eq!(json.status.code(), Some(0), "{}", text(&json.stderr));
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    let keys = |value: &serde_json::Value| -> Vec<String> {
        value
            .as_object()
            .map(|map| map.keys().cloned().collect())
            .unwrap_or_default()
    };
    assert_eq!(keys(&report), ["environments", "prices"]);
    assert_eq!(keys(&report["environments"]), ["prod"]);
    assert_eq!(keys(&report["prices"]), ["as_of", "region"]);
    let prod = &report["environments"]["prod"];
    assert_eq!(keys(prod), ["budget_usd", "lines", "total_monthly_usd"]);
    assert_eq!(prod["budget_usd"], 500.0);
    assert_eq!(
        keys(&prod["lines"][0]),
        ["item", "monthly_usd", "quantity", "unit_usd"]
    );

    let markdown = platformgen(&["cost", "--format", "markdown", "--env", "dev"]);
    assert_eq!(markdown.status.code(), Some(0));
    assert!(text(&markdown.stdout).starts_with("### Estimated monthly AWS cost of `expense`\n"));
}

#[test]
fn cost_fails_with_what_to_add_for_an_unpriced_type_a_region_or_an_unknown_environment() {
    let (_dir, spec) = fixture_file("unpriced_instance_type");
    let output = platformgen(&["cost", "--spec", spec.to_str().expect("utf-8 path")]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        text(&output.stderr),
        "error: environment `dev`: the EC2 instance type `t3.mystery` has no price in \
         generator/prices/us-east-1.toml\n  help: add `\"t3.mystery\" = <USD per hour>` to \
         generator/prices/us-east-1.toml, from its `source`\n"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let spec = dir.path().join("mumbai.toml");
    let spec = spec.to_str().expect("utf-8 path");
    let init = platformgen(&["init", spec, "--region", "ap-south-1"]);
    assert_eq!(init.status.code(), Some(0), "{}", text(&init.stderr));
    let output = platformgen(&["cost", "--spec", spec]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).starts_with(
            "error: no price table for the region `ap-south-1` (generator/prices/ has \
             eu-west-1.toml, us-east-1.toml)\n  help: add generator/prices/ap-south-1.toml"
        ),
        "{}",
        text(&output.stderr)
    );

    let unknown = platformgen(&["cost", "--env", "qa"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(text(&unknown.stderr).starts_with("error: there is no environment `qa`"));
    let format = platformgen(&["cost", "--format", "yaml"]);
    assert_eq!(format.status.code(), Some(2));
}

/// generator/COST.md compares the seeds' figures with ours: it quotes the current totals.
#[test]
fn the_cost_note_quotes_the_example_spec_s_current_estimate() {
    let note = std::fs::read_to_string(workspace().join("generator/COST.md")).expect("COST.md");
    let estimate = cost::estimate(&example(), None).expect("priced");
    for (name, environment) in &estimate.environments {
        let total = format!("| ${} |", environment.total());
        assert!(
            note.lines()
                .any(|line| line.starts_with(&format!("| {name} |")) && line.contains(&total)),
            "COST.md's table should give {name} {total}"
        );
    }
    assert!(note.contains(&format!("table of {}", estimate.as_of)));

    let guide = cost::estimate(&load("specs/money-tracking.toml"), Some("prod")).expect("priced");
    let total = format!(
        "--env prod` prices the whole spec at ${}",
        guide.environments["prod"].total()
    );
    assert!(
        note.replace('\n', " ").contains(&total),
        "COST.md should quote money-tracking's prod estimate: {total}"
    );
}

/// What the pull request's comment says: the base's estimate (read back from its JSON, with an
/// environment fewer and an older table) beside the head's, where prod grew by two nodes and
/// its budget was raised.
#[test]
fn a_pull_request_s_change_of_cost_is_shown_per_environment_with_the_lines_that_moved() {
    let mut base = report::Report::of(&cost::estimate(&example(), None).expect("priced"));
    base.environments.remove("staging");
    base.prices.as_of = "2026-06-01".to_string();
    let base: report::Report =
        serde_json::from_str(&serde_json::to_string(&base).expect("JSON")).expect("reads back");

    let mut head = example();
    let prod = head.environments.get_mut("prod").expect("prod");
    prod.eks.node_groups[0].desired_size += 2;
    prod.budget.monthly_usd = 900;
    let estimate = cost::estimate(&head, None).expect("priced");
    let comment = cost::compare::markdown(&base, &estimate);
    insta::assert_snapshot!("compare_markdown", comment);

    let (was, is) = (
        base.environments["prod"].total_monthly_usd,
        estimate.environments["prod"].total(),
    );
    let grown = is.above(was).expect("prod costs more");
    assert!(
        comment.contains(&format!(
            "| prod | ${was} | ${is} | +${grown} | $900.00 (was $500.00)"
        )),
        "{comment}"
    );
    assert!(
        comment.contains("| dev | $249.49 | $249.49 | $0.00 |"),
        "{comment}"
    );
    assert!(
        comment.contains("| staging |  | $382.18 | new |"),
        "{comment}"
    );
    assert!(
        !comment.contains("dev: the lines that changed"),
        "{comment}"
    );
}

#[test]
fn cost_compares_with_a_base_estimate_and_refuses_a_file_that_is_not_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let base = dir.path().join("base.json");
    let json = platformgen(&["cost", "--format", "json"]);
    assert_eq!(json.status.code(), Some(0), "{}", text(&json.stderr));
    std::fs::write(&base, &json.stdout).expect("write");
    let base = base.to_str().expect("utf-8 path");

    let same = platformgen(&["cost", "--compare", base, "--env", "prod"]);
    assert_eq!(same.status.code(), Some(0), "{}", text(&same.stderr));
    let shown = text(&same.stdout);
    assert!(
        shown.contains("| prod | $831.78 | $831.78 | $0.00 |"),
        "{shown}"
    );
    assert!(
        !shown.contains("| dev |"),
        "--env keeps one environment: {shown}"
    );
    assert!(!shown.contains("<details>"), "no line changed: {shown}");

    let not_json = dir.path().join("plan.txt");
    std::fs::write(&not_json, "no estimate here").expect("write");
    let output = platformgen(&["cost", "--compare", not_json.to_str().expect("utf-8")]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("is not an estimate")
            && text(&output.stderr).contains("help: write it with `platformgen cost --format json"),
        "{}",
        text(&output.stderr)
    );
    let missing = platformgen(&["cost", "--compare", "no/such/base.json"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).starts_with("error: cannot read `no/such/base.json`"));
    let both = platformgen(&["cost", "--compare", base, "--format", "json"]);
    assert_eq!(
        both.status.code(),
        Some(2),
        "--compare prints Markdown only"
    );
}
