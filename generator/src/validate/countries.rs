//! The countries a WAF allow list may name: ISO 3166-1 alpha-2 codes (what AWS WAF's geo match
//! statement takes), the `EU` shorthand for the European Union's member states, and the fixes
//! for codes people write that ISO does not assign.

/// Every officially assigned ISO 3166-1 alpha-2 code (249; the list of the tz database's
/// `iso3166.tab`, which AWS WAF's `CountryCode` values match).
const ISO_3166_ALPHA_2: [&str; 249] = [
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];

/// What `EU` stands for: the 27 member states of the European Union (since 1 February 2020).
pub(super) const EU_MEMBERS: [&str; 27] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT",
    "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
];

/// The shorthand for the European Union's member states.
pub(super) const EU: &str = "EU";

/// Codes often written for a country whose ISO code is another: the code, and why.
const MISTAKES: [(&str, &str, &str); 2] = [
    ("UK", "GB", "the United Kingdom's ISO 3166-1 code is `GB`"),
    (
        "EL",
        "GR",
        "the EU writes Greece as `EL`, ISO 3166-1 as `GR`",
    ),
];

/// The countries `code` stands for (one, or the EU's members), or the help for a code that
/// names none.
pub(super) fn countries(code: &str) -> Result<Vec<&'static str>, String> {
    if code == EU {
        return Ok(EU_MEMBERS.to_vec());
    }
    if let Some(known) = ISO_3166_ALPHA_2
        .iter()
        .copied()
        .find(|known| *known == code)
    {
        return Ok(vec![known]);
    }
    if let Some((_, fix, why)) = MISTAKES.iter().find(|(wrong, _, _)| *wrong == code) {
        return Err(format!("did you mean `{fix}`? ({why})"));
    }
    let upper = code.to_ascii_uppercase();
    if upper != code && (upper == EU || ISO_3166_ALPHA_2.contains(&upper.as_str())) {
        return Err(format!("write it in capitals: `{upper}`"));
    }
    Err(
        "write an ISO 3166-1 alpha-2 code, such as `US`, `CA` or `GB`, or `EU` for the \
         European Union's member states"
            .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::{EU_MEMBERS, ISO_3166_ALPHA_2, countries};

    #[test]
    fn the_codes_are_sorted_and_every_eu_member_is_one() {
        assert!(ISO_3166_ALPHA_2.windows(2).all(|pair| pair[0] < pair[1]));
        assert!(EU_MEMBERS.windows(2).all(|pair| pair[0] < pair[1]));
        assert!(
            EU_MEMBERS
                .iter()
                .all(|member| ISO_3166_ALPHA_2.contains(member))
        );
    }

    #[test]
    fn a_code_names_its_country_eu_its_members_and_a_mistake_gets_its_fix() {
        assert_eq!(countries("GB"), Ok(vec!["GB"]));
        assert_eq!(countries("EU").map(|members| members.len()), Ok(27));
        assert!(countries("UK").is_err_and(|help| help.contains("`GB`")));
        assert!(countries("us").is_err_and(|help| help.contains("`US`")));
        assert!(countries("ZZ").is_err());
    }
}
