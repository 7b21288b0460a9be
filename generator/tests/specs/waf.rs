//! The fixtures of the WAF and the production rules that hold it and the database to the
//! guide's production promises: the allow list of countries (codes, duplicates through `EU`,
//! an empty list, a list without a WAF), the `waf-enabled` and `performance-insights` rules and
//! their waivers. Listed in `INVALID`, `WARNINGS` and `VALID` of `specs/mod.rs` by name.

use super::Edit::{InsertAfter, Replace};
use super::{DEV_DEPLOY, Fixture, PROD_DEPLOY, WAF_RATE, fixture};

/// The prod database's Performance Insights, in its inline table.
const PROD_INSIGHTS: &str = "performance_insights = true, ";

pub(super) const UNKNOWN_COUNTRIES: Fixture = fixture(
    "waf_unknown_countries",
    "an allow list with the guide's `UK` (ISO writes GB), a code in lower case and one ISO does not assign",
    &[InsertAfter(
        WAF_RATE,
        r#"allowed_countries = ["US", "ca", "UK", "ZZ", "EU"]"#,
    )],
);

pub(super) const COUNTRY_TWICE: Fixture = fixture(
    "waf_country_twice",
    "an allow list naming a country twice, and France besides the EU it is a member of",
    &[InsertAfter(
        WAF_RATE,
        r#"allowed_countries = ["US", "EU", "US", "FR"]"#,
    )],
);

pub(super) const NO_COUNTRY: Fixture = fixture(
    "waf_no_country",
    "an empty allow list, which would block every request",
    &[InsertAfter(WAF_RATE, "allowed_countries = []")],
);

pub(super) const WAF_OFF_IN_PRODUCTION: Fixture = fixture(
    "production_rule_waf",
    "a production environment without its WAF, no waiver",
    &[InsertAfter(PROD_DEPLOY, "waf = { enabled = false }")],
);

pub(super) const NO_INSIGHTS_IN_PRODUCTION: Fixture = fixture(
    "production_rule_performance_insights",
    "a production database without Performance Insights, no waiver",
    &[Replace(PROD_INSIGHTS, "")],
);

pub(super) const COUNTRIES_WITHOUT_WAF: Fixture = fixture(
    "waf_countries_without_waf",
    "an allow list of countries in an environment whose WAF is off",
    &[
        InsertAfter(WAF_RATE, r#"allowed_countries = ["US", "CA"]"#),
        InsertAfter(DEV_DEPLOY, "waf = { enabled = false }"),
    ],
);

pub(super) const GUIDE_COUNTRIES: Fixture = fixture(
    "waf_guide_countries",
    "the guide's allow list: US, CA, the UK (GB) and the EU's member states",
    &[InsertAfter(
        WAF_RATE,
        r#"allowed_countries = ["US", "CA", "GB", "EU"]"#,
    )],
);

pub(super) const WAIVED_WAF: Fixture = fixture(
    "waived_waf_rule",
    "a production environment without its WAF, lifted by an explicit waiver",
    &[InsertAfter(
        PROD_DEPLOY,
        concat!(
            "waf = { enabled = false }\n",
            r#"waivers = [{ rule = "waf-enabled", reason = "an internal API behind the corporate VPN; no public traffic reaches it", owner = "platform-team", expires = "2999-01-01" }]"#
        ),
    )],
);

pub(super) const WAIVED_INSIGHTS: Fixture = fixture(
    "waived_performance_insights",
    "a production database without Performance Insights, lifted by an explicit waiver",
    &[
        Replace(PROD_INSIGHTS, ""),
        InsertAfter(
            PROD_DEPLOY,
            r#"waivers = [{ rule = "performance-insights", reason = "the slow query log covers the pilot's load; revisit at GA", owner = "platform-team", expires = "2999-01-01" }]"#,
        ),
    ],
);
