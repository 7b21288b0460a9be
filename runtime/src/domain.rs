//! Domain values: a transaction's amount, description and id, parsed from request JSON so that
//! an invalid value cannot exist past the edge.

use std::fmt;

use serde::Serialize;
use serde_json::value::RawValue;

/// Largest accepted amount, in whole units.
pub const MAX_AMOUNT_UNITS: i64 = 1_000_000_000;
/// Longest accepted description, in characters (the column is VARCHAR(255)).
pub const MAX_DESCRIPTION_CHARS: usize = 255;

/// States the limits these parsers enforce in the OpenAPI document, so that clients and
/// generated tests (schemathesis) know which values are valid: `amount` in (0, 1e9] with at most
/// two fractional digits, `description` 1 to 255 characters, a page `limit` of at least 1, an
/// `Idempotency-Key` of 1 to 255 visible ASCII characters.
/// Done on the built document because schema attributes take literals, not these constants.
pub fn document_limits(openapi: salvo::oapi::OpenApi) -> salvo::oapi::OpenApi {
    let Ok(mut document) = serde_json::to_value(&openapi) else {
        return openapi;
    };
    let body = "/components/schemas/NewTransaction/properties";
    if let Some(amount) = document.pointer_mut(&format!("{body}/amount")) {
        amount["exclusiveMinimum"] = 0.into();
        amount["maximum"] = MAX_AMOUNT_UNITS.into();
        amount["multipleOf"] = 0.01.into();
    }
    if let Some(description) = document.pointer_mut(&format!("{body}/description")) {
        description["minLength"] = 1.into();
        description["maxLength"] = MAX_DESCRIPTION_CHARS.into();
    }
    if let Some(paths) = document.get_mut("paths").and_then(|p| p.as_object_mut()) {
        let parameters = paths
            .values_mut()
            .filter_map(|item| item.as_object_mut())
            .flat_map(|item| item.values_mut())
            .filter_map(|operation| operation.get_mut("parameters")?.as_array_mut())
            .flatten();
        for parameter in parameters {
            document_integer_range(&mut parameter["schema"]);
            if parameter["name"] == "limit" && parameter["in"] == "query" {
                parameter["schema"]["minimum"] = 1.into();
            }
            if parameter["name"] == "Idempotency-Key" && parameter["in"] == "header" {
                parameter["schema"]["minLength"] = 1.into();
                parameter["schema"]["maxLength"] = 255.into();
                parameter["schema"]["pattern"] = "^[!-~]+$".into();
            }
        }
    }
    serde_json::from_value(document).unwrap_or(openapi)
}

/// States the range of an integer parameter's format (`int64`, `uint32`) as `minimum` and
/// `maximum`: JSON Schema does not bound integers by their format, so without them a client (or
/// a fuzzer) may send a documented-valid number the parameter's type cannot hold. A `minimum`
/// already documented (a tighter one) stays.
fn document_integer_range(schema: &mut serde_json::Value) {
    let (minimum, maximum): (serde_json::Value, serde_json::Value) = match schema["format"].as_str()
    {
        Some("int64") => (i64::MIN.into(), i64::MAX.into()),
        Some("uint32") => (0.into(), u32::MAX.into()),
        _ => return,
    };
    if schema.get("minimum").is_none() {
        schema["minimum"] = minimum;
    }
    schema["maximum"] = maximum;
}

/// One failed check of one input field, in the FastAPI / pydantic shape.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, salvo::oapi::ToSchema)]
#[salvo(schema(name = FieldError))]
pub struct FieldError {
    pub loc: Vec<Loc>,
    pub msg: String,
    #[serde(rename = "type")]
    #[salvo(schema(rename = "type"))]
    pub kind: &'static str,
}

/// One step of an error location: `"body"`, `"amount"`, or an index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, salvo::oapi::ToSchema)]
#[serde(untagged)]
#[salvo(schema(name = Loc))]
pub enum Loc {
    Name(String),
    Index(u64),
}

impl FieldError {
    pub fn new(loc: &[&str], kind: &'static str, msg: impl Into<String>) -> Self {
        Self {
            loc: loc
                .iter()
                .map(|part| Loc::Name((*part).to_owned()))
                .collect(),
            msg: msg.into(),
            kind,
        }
    }

    /// The location as `body.amount`, for the human-readable message.
    pub fn dotted_loc(&self) -> String {
        self.loc
            .iter()
            .map(|loc| match loc {
                Loc::Name(name) => name.clone(),
                Loc::Index(i) => i.to_string(),
            })
            .collect::<Vec<_>>()
            .join(".")
    }
}

/// An exact, positive amount with at most two fractional digits, held as integer cents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Amount(i64);

impl Amount {
    pub fn from_cents(cents: i64) -> Self {
        Self(cents)
    }

    pub fn cents(self) -> i64 {
        self.0
    }

    /// Parses the JSON literal of an amount: a number, or a string holding one (pydantic's lax
    /// mode accepts both). The literal is read digit by digit, never through a float.
    pub fn parse_json(raw: &RawValue, loc: &[&str]) -> Result<Self, FieldError> {
        let text = raw.get().trim();
        if text.starts_with('"') {
            let Ok(unquoted) = serde_json::from_str::<String>(text) else {
                return Err(FieldError::new(loc, "float_parsing", NOT_A_NUMBER_STRING));
            };
            return Self::parse_literal(unquoted.trim()).map_err(|kind| kind.into_error(loc, true));
        }
        if !text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
            return Err(FieldError::new(
                loc,
                "float_type",
                "Input should be a valid number",
            ));
        }
        Self::parse_literal(text).map_err(|kind| kind.into_error(loc, false))
    }

    fn parse_literal(literal: &str) -> Result<Self, AmountProblem> {
        let (negative, unsigned) = match literal.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, literal.strip_prefix('+').unwrap_or(literal)),
        };
        let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
            Some(at) => {
                let exponent: i64 = unsigned[at + 1..]
                    .parse()
                    .map_err(|_bad_exponent| AmountProblem::NotANumber)?;
                (&unsigned[..at], exponent)
            }
            None => (unsigned, 0),
        };
        let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() && fraction.is_empty() || !all_digits(whole) || !all_digits(fraction) {
            return Err(AmountProblem::NotANumber);
        }
        // value = digits * 10^(exponent - fraction.len()); strip zeros that carry no value.
        let digits = format!("{whole}{fraction}");
        let digits = digits.trim_start_matches('0');
        let significant = digits.trim_end_matches('0');
        let mut scale =
            i64::try_from(fraction.len()).map_err(|_too_long| AmountProblem::TooLarge)? - exponent;
        scale -= i64::try_from(digits.len() - significant.len())
            .map_err(|_too_long| AmountProblem::TooLarge)?;
        if significant.is_empty() {
            return Err(AmountProblem::NotPositive);
        }
        if negative {
            return Err(AmountProblem::NotPositive);
        }
        if scale > 2 {
            return Err(AmountProblem::TooManyPlaces);
        }
        // cents = significant * 10^(2 - scale); bounded well before i64 overflows.
        let shift = 2 - scale;
        let magnitude =
            i64::try_from(significant.len()).map_err(|_too_long| AmountProblem::TooLarge)? + shift;
        if magnitude > 13 {
            return Err(AmountProblem::TooLarge);
        }
        let mut cents: i64 = significant
            .parse()
            .map_err(|_overflow| AmountProblem::TooLarge)?;
        for _ in 0..shift {
            cents = cents.checked_mul(10).ok_or(AmountProblem::TooLarge)?;
        }
        if cents > MAX_AMOUNT_UNITS * 100 {
            return Err(AmountProblem::TooLarge);
        }
        Ok(Self(cents))
    }
}

const NOT_A_NUMBER_STRING: &str =
    "Input should be a valid number, unable to parse string as a number";

enum AmountProblem {
    NotANumber,
    NotPositive,
    TooManyPlaces,
    TooLarge,
}

impl AmountProblem {
    fn into_error(self, loc: &[&str], from_string: bool) -> FieldError {
        match self {
            AmountProblem::NotANumber if from_string => {
                FieldError::new(loc, "float_parsing", NOT_A_NUMBER_STRING)
            }
            AmountProblem::NotANumber => {
                FieldError::new(loc, "float_type", "Input should be a valid number")
            }
            AmountProblem::NotPositive => {
                FieldError::new(loc, "greater_than", "Input should be greater than 0")
            }
            AmountProblem::TooManyPlaces => FieldError::new(
                loc,
                "decimal_max_places",
                "Decimal input should have no more than 2 decimal places",
            ),
            AmountProblem::TooLarge => FieldError::new(
                loc,
                "less_than_equal",
                format!("Input should be less than or equal to {MAX_AMOUNT_UNITS}"),
            ),
        }
    }
}

impl Amount {
    /// The shortest exact decimal, written into `buf` digit by digit (no `fmt`, no float): `100`
    /// for whole amounts, `12.5` / `12.34` otherwise, `-0.05` below zero. Every list row
    /// writes one.
    pub fn text(self, buf: &mut [u8; 24]) -> &str {
        let cents = self.0.unsigned_abs();
        let (mut whole, fraction) = (cents / 100, cents % 100);
        let mut start = buf.len();
        let mut put = |digit: u64| {
            start -= 1;
            // A single decimal digit.
            buf[start] = b'0' + (digit % 10) as u8;
        };
        if fraction != 0 {
            if fraction % 10 != 0 {
                put(fraction);
            }
            put(fraction / 10);
            start -= 1;
            buf[start] = b'.';
        }
        loop {
            start -= 1;
            buf[start] = b'0' + (whole % 10) as u8;
            whole /= 10;
            if whole == 0 {
                break;
            }
        }
        if self.0 < 0 {
            start -= 1;
            buf[start] = b'-';
        }
        // Only ASCII digits, '.' and '-' were written.
        std::str::from_utf8(&buf[start..]).unwrap_or("0")
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text(&mut [0; 24]))
    }
}

impl Serialize for Amount {
    /// A JSON number written from the exact decimal text, never through a float.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut buf = [0; 24];
        let raw: &RawValue =
            serde_json::from_str(self.text(&mut buf)).map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

/// A description of 1 to 255 characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Description(String);

impl Description {
    pub fn parse_json(raw: &RawValue, loc: &[&str]) -> Result<Self, FieldError> {
        let Ok(text) = serde_json::from_str::<String>(raw.get()) else {
            return Err(FieldError::new(
                loc,
                "string_type",
                "Input should be a valid string",
            ));
        };
        Self::parse(text, loc)
    }

    pub fn parse(text: String, loc: &[&str]) -> Result<Self, FieldError> {
        let chars = text.chars().count();
        if chars == 0 {
            return Err(FieldError::new(
                loc,
                "string_too_short",
                "String should have at least 1 character",
            ));
        }
        if chars > MAX_DESCRIPTION_CHARS {
            return Err(FieldError::new(
                loc,
                "string_too_long",
                format!("String should have at most {MAX_DESCRIPTION_CHARS} characters"),
            ));
        }
        Ok(Self(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A transaction id as a client sends it: an integer, in a body, path or query.
// A float becomes an id only when it is whole and far inside i64's range, so the cast is exact.
#[allow(clippy::cast_possible_truncation)]
pub fn parse_id_json(raw: &RawValue, loc: &[&str]) -> Result<i64, FieldError> {
    let text = raw.get().trim();
    if let Ok(id) = text.parse::<i64>() {
        return Ok(id);
    }
    if text.starts_with('"') {
        let Ok(inner) = serde_json::from_str::<String>(text) else {
            return Err(FieldError::new(
                loc,
                "int_type",
                "Input should be a valid integer",
            ));
        };
        return parse_id_text(&inner, loc);
    }
    if text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
        return match text.parse::<f64>() {
            Ok(value) if value.fract() == 0.0 && value.abs() < 9.0e15 => Ok(value as i64),
            Ok(value) if value.fract() != 0.0 => Err(FieldError::new(
                loc,
                "int_from_float",
                "Input should be a valid integer, got a number with a fractional part",
            )),
            _ => Err(FieldError::new(
                loc,
                "int_parsing_size",
                "Unable to parse input string as an integer, exceeded maximum size",
            )),
        };
    }
    Err(FieldError::new(
        loc,
        "int_type",
        "Input should be a valid integer",
    ))
}

/// An integer from text (path or query parameter).
pub fn parse_id_text(text: &str, loc: &[&str]) -> Result<i64, FieldError> {
    text.trim().parse::<i64>().map_err(|_not_an_integer| {
        FieldError::new(
            loc,
            "int_parsing",
            "Input should be a valid integer, unable to parse string as an integer",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amount(json: &str) -> Result<Amount, &'static str> {
        let raw: Box<RawValue> = serde_json::from_str(json).expect("json");
        Amount::parse_json(&raw, &["body", "amount"]).map_err(|e| e.kind)
    }

    #[test]
    fn integer_and_two_place_amounts_are_held_exactly_in_cents() {
        assert_eq!(amount("100"), Ok(Amount(10_000)));
        assert_eq!(amount("12.34"), Ok(Amount(1_234)));
        assert_eq!(amount("0.1"), Ok(Amount(10)));
        assert_eq!(amount("1e2"), Ok(Amount(10_000)));
        assert_eq!(amount("12.340"), Ok(Amount(1_234)));
        assert_eq!(amount("\"7.5\""), Ok(Amount(750)));
        assert_eq!(amount("1000000000"), Ok(Amount(100_000_000_000)));
    }

    #[test]
    fn bad_amounts_name_the_pydantic_error_type() {
        assert_eq!(amount("0"), Err("greater_than"));
        assert_eq!(amount("-5"), Err("greater_than"));
        assert_eq!(amount("12.345"), Err("decimal_max_places"));
        assert_eq!(amount("1000000000.01"), Err("less_than_equal"));
        assert_eq!(amount("1e300"), Err("less_than_equal"));
        assert_eq!(amount("true"), Err("float_type"));
        assert_eq!(amount("null"), Err("float_type"));
        assert_eq!(amount("\"abc\""), Err("float_parsing"));
    }

    #[test]
    fn amounts_print_as_the_shortest_exact_decimal() {
        assert_eq!(Amount(10_000).to_string(), "100");
        assert_eq!(Amount(1_250).to_string(), "12.5");
        assert_eq!(Amount(1_234).to_string(), "12.34");
        assert_eq!(Amount(5).to_string(), "0.05");
        assert_eq!(Amount(50).to_string(), "0.5");
        assert_eq!(Amount(0).to_string(), "0");
        assert_eq!(Amount(100_000_000_000).to_string(), "1000000000");
        assert_eq!(Amount(-1_234).to_string(), "-12.34");
        assert_eq!(Amount(-5).to_string(), "-0.05");
        assert_eq!(Amount(i64::MIN).to_string(), "-92233720368547758.08");
        assert_eq!(Amount(i64::MAX).to_string(), "92233720368547758.07");
        // The same text as the decimal arithmetic spelled out, for a sweep of values.
        for cents in (-100_000..=100_000)
            .step_by(7)
            .chain([1, 9, 10, 99, 101, 110])
        {
            let (whole, fraction) = (cents / 100, (cents % 100_i64).abs());
            let sign = if cents < 0 && whole == 0 { "-" } else { "" };
            let expected = match fraction {
                0 => format!("{whole}"),
                f if f % 10 == 0 => format!("{sign}{whole}.{}", f / 10),
                f => format!("{sign}{whole}.{f:02}"),
            };
            assert_eq!(Amount(cents).to_string(), expected, "{cents}");
            let json = serde_json::to_string(&Amount(cents)).expect("json");
            assert_eq!(json, expected);
        }
        assert_eq!(
            serde_json::to_string(&Amount(1_234)).expect("json"),
            "12.34"
        );
    }
}
