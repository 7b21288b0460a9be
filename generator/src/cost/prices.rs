//! The committed price tables (`generator/prices/<region>.toml`) and usage assumptions
//! (`generator/prices/usage.toml`), embedded at build time and read into typed tables.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

use super::CostError;
use super::usd::Usd;
use crate::model::{Engine, Tier};

/// Where the price tables live, as a maintainer finds them from the repository root.
pub const PRICES_DIR: &str = "generator/prices";

/// Each region's price table, by region.
const TABLES: &[(&str, &str)] = &[
    ("eu-west-1", include_str!("../../prices/eu-west-1.toml")),
    ("us-east-1", include_str!("../../prices/us-east-1.toml")),
];

const USAGE: &str = include_str!("../../prices/usage.toml");

/// One region's prices, as its file writes them (hourly, per GB, per month).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceTable {
    pub region: String,
    /// The day the prices were last checked against `source`.
    pub as_of: String,
    pub source: String,
    pub eks: Eks,
    pub ec2: Ec2,
    pub rds: Rds,
    pub elasticache: Elasticache,
    pub nat: Nat,
    pub vpc_endpoint: VpcEndpoint,
    pub alb: Alb,
    pub waf: Waf,
    pub secrets_manager: SecretsManager,
    pub s3: S3,
    pub cloudwatch: Cloudwatch,
    pub data_transfer: DataTransfer,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Eks {
    #[serde(deserialize_with = "price")]
    pub cluster_hour: Usd,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ec2 {
    /// The discount assumed off the on-demand price of a spot instance.
    pub spot_discount_percent: u8,
    #[serde(deserialize_with = "price")]
    pub gp3_gb_month: Usd,
    #[serde(deserialize_with = "price")]
    pub public_ipv4_hour: Usd,
    #[serde(deserialize_with = "prices")]
    pub instance_hour: BTreeMap<String, Usd>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rds {
    #[serde(deserialize_with = "price")]
    pub gp2_gb_month: Usd,
    #[serde(deserialize_with = "price")]
    pub gp3_gb_month: Usd,
    /// gp3 IOPS provisioned above the baseline, per IOPS a month (Single-AZ).
    #[serde(deserialize_with = "price")]
    pub gp3_iops_month: Usd,
    /// gp3 throughput provisioned above the baseline, per MiB/s a month (Single-AZ).
    #[serde(deserialize_with = "price")]
    pub gp3_mibps_month: Usd,
    #[serde(deserialize_with = "price")]
    pub backup_gb_month: Usd,
    /// Single-AZ instance hours, by engine.
    pub instance_hour: RdsInstances,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RdsInstances {
    #[serde(deserialize_with = "prices")]
    pub mysql: BTreeMap<String, Usd>,
    #[serde(deserialize_with = "prices")]
    pub postgres: BTreeMap<String, Usd>,
}

impl RdsInstances {
    pub fn of(&self, engine: Engine) -> &BTreeMap<String, Usd> {
        match engine {
            Engine::Mysql => &self.mysql,
            Engine::Postgres => &self.postgres,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Elasticache {
    #[serde(deserialize_with = "prices")]
    pub node_hour: BTreeMap<String, Usd>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Nat {
    #[serde(deserialize_with = "price")]
    pub hour: Usd,
    #[serde(deserialize_with = "price")]
    pub processed_gb: Usd,
}

/// Interface endpoints bill per endpoint per zone (one network interface in each).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VpcEndpoint {
    #[serde(deserialize_with = "price")]
    pub interface_zone_hour: Usd,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alb {
    #[serde(deserialize_with = "price")]
    pub hour: Usd,
    #[serde(deserialize_with = "price")]
    pub lcu_hour: Usd,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Waf {
    #[serde(deserialize_with = "price")]
    pub web_acl_month: Usd,
    #[serde(deserialize_with = "price")]
    pub rule_month: Usd,
    #[serde(deserialize_with = "price")]
    pub million_requests: Usd,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretsManager {
    #[serde(deserialize_with = "price")]
    pub secret_month: Usd,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3 {
    #[serde(deserialize_with = "price")]
    pub standard_gb_month: Usd,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cloudwatch {
    #[serde(deserialize_with = "price")]
    pub logs_ingested_gb: Usd,
    #[serde(deserialize_with = "price")]
    pub logs_stored_gb_month: Usd,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataTransfer {
    #[serde(deserialize_with = "price")]
    pub internet_out_gb: Usd,
}

/// The monthly usage assumed for an environment of one tier: what a spec cannot state.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Usage {
    pub nat_processed_gb: u64,
    pub alb_lcus: u64,
    pub waf_million_requests: u64,
    pub s3_gb: u64,
    pub logs_ingested_gb: u64,
    pub internet_out_gb: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct UsageByTier {
    development: Usage,
    staging: Usage,
    production: Usage,
}

impl PriceTable {
    /// The price table of `region`.
    pub fn of_region(region: &str) -> Result<PriceTable, CostError> {
        let Some((_, text)) = TABLES.iter().find(|(name, _)| *name == region) else {
            return Err(CostError::NoPrices {
                region: region.to_string(),
                available: regions().map(|r| format!("{r}.toml")).collect(),
            });
        };
        let table: PriceTable = toml::from_str(text).map_err(|error| CostError::Malformed {
            file: file_of(region),
            message: error.to_string(),
        })?;
        if table.region != region {
            return Err(CostError::Malformed {
                file: file_of(region),
                message: format!("it says `region = \"{}\"`", table.region),
            });
        }
        Ok(table)
    }

    /// The file this table was read from, from the repository root.
    pub fn file(&self) -> String {
        file_of(&self.region)
    }
}

impl Usage {
    /// The usage assumed for an environment of `tier`.
    pub fn of_tier(tier: Tier) -> Result<Usage, CostError> {
        let all: UsageByTier = toml::from_str(USAGE).map_err(|error| CostError::Malformed {
            file: format!("{PRICES_DIR}/usage.toml"),
            message: error.to_string(),
        })?;
        Ok(match tier {
            Tier::Development => all.development,
            Tier::Staging => all.staging,
            Tier::Production => all.production,
        })
    }
}

/// The regions with a price table.
pub fn regions() -> impl Iterator<Item = &'static str> {
    TABLES.iter().map(|(region, _)| *region)
}

fn file_of(region: &str) -> String {
    format!("{PRICES_DIR}/{region}.toml")
}

fn price<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Usd, D::Error> {
    let dollars = f64::deserialize(deserializer)?;
    Usd::from_price(dollars).ok_or_else(|| {
        serde::de::Error::custom(format!("{dollars} is not a price (USD, 0 or more)"))
    })
}

fn prices<'de, D: Deserializer<'de>>(deserializer: D) -> Result<BTreeMap<String, Usd>, D::Error> {
    BTreeMap::<String, f64>::deserialize(deserializer)?
        .into_iter()
        .map(|(name, dollars)| match Usd::from_price(dollars) {
            Some(price) => Ok((name, price)),
            None => Err(serde::de::Error::custom(format!(
                "`{name}` = {dollars} is not a price (USD, 0 or more)"
            ))),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_price_table_reads_and_names_its_own_region() {
        for region in regions() {
            let table = PriceTable::of_region(region).unwrap_or_else(|error| panic!("{error}"));
            assert_eq!(table.region, region);
            assert!(table.source.starts_with("https://"), "{region}");
            assert!(table.ec2.spot_discount_percent <= 100, "{region}");
        }
        for tier in [Tier::Development, Tier::Staging, Tier::Production] {
            Usage::of_tier(tier).unwrap_or_else(|error| panic!("{error}"));
        }
    }

    #[test]
    fn a_region_without_a_table_is_an_error_naming_it_and_where_tables_live() {
        let error = PriceTable::of_region("ap-south-1").expect_err("no table");
        assert_eq!(
            error.to_string(),
            "no price table for the region `ap-south-1` (generator/prices/ has eu-west-1.toml, \
             us-east-1.toml)"
        );
    }
}
