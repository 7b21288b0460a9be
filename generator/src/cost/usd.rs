//! Amounts of US dollars, exact to a millionth, so that a line's monthly amount is its quantity
//! times its unit price to the cent, and a total is the sum of the lines it shows.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

const MICROS: i64 = 1_000_000;

/// An amount of US dollars, held in millionths (a price per hour has at most six decimals).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Usd(i64);

impl Usd {
    /// A price as a price table writes it; `None` unless it is finite, not negative and below
    /// a million dollars.
    pub fn from_price(dollars: f64) -> Option<Usd> {
        let micros = (dollars * 1e6).round();
        if !(0.0..1e12).contains(&micros) {
            return None;
        }
        // A whole number of at most 1e12 (checked above, NaN and infinities fail it): exact.
        #[allow(clippy::cast_possible_truncation)]
        Some(Usd(micros as i64))
    }

    pub fn dollars(whole: u32) -> Usd {
        Usd(i64::from(whole) * MICROS)
    }

    /// This amount `count` times.
    pub fn times(self, count: u64) -> Usd {
        Usd(self
            .0
            .saturating_mul(i64::try_from(count).unwrap_or(i64::MAX)))
    }

    /// `percent` % of this amount, to the millionth.
    pub fn percent(self, percent: u8) -> Usd {
        Usd((self.0 * i64::from(percent) + 50) / 100)
    }

    /// Rounded to the cent, half up.
    pub fn to_cents(self) -> Usd {
        Usd((self.0 + 5_000).div_euclid(10_000) * 10_000)
    }

    /// The amount by which this one exceeds `other`, if it does.
    pub fn above(self, other: Usd) -> Option<Usd> {
        (self > other).then_some(Usd(self.0 - other.0))
    }

    pub fn as_f64(self) -> f64 {
        // Exact for amounts below 2^53 millionths (nine billion dollars).
        self.0 as f64 / 1e6
    }

    /// As a unit price: cents always, and the further digits it has (`60.736`, `73.00`).
    pub fn unit(self) -> String {
        let whole = grouped(self.0.div_euclid(MICROS));
        let fraction = format!("{:06}", self.0.rem_euclid(MICROS));
        let fraction = fraction.trim_end_matches('0');
        format!("{whole}.{fraction:0<2}")
    }
}

impl std::ops::Add for Usd {
    type Output = Usd;
    fn add(self, other: Usd) -> Usd {
        Usd(self.0.saturating_add(other.0))
    }
}

impl std::iter::Sum for Usd {
    fn sum<I: Iterator<Item = Usd>>(iter: I) -> Usd {
        iter.fold(Usd::default(), |sum, amount| sum + amount)
    }
}

/// To the cent, with thousands grouped: `1,234.56`.
impl fmt::Display for Usd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cents = self.to_cents().0 / 10_000;
        write!(
            f,
            "{}.{:02}",
            grouped(cents.div_euclid(100)),
            cents.rem_euclid(100)
        )
    }
}

/// A number as JSON: `73.0`, `60.736`.
impl Serialize for Usd {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.as_f64())
    }
}

/// A number as `platformgen cost --format json` writes it: any amount it can print (not
/// negative, below nine billion dollars), to the millionth.
impl<'de> Deserialize<'de> for Usd {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Usd, D::Error> {
        let dollars = f64::deserialize(deserializer)?;
        let micros = (dollars * 1e6).round();
        if !(0.0..9e15).contains(&micros) {
            return Err(serde::de::Error::custom(format!(
                "{dollars} is not an amount of USD (0 or more)"
            )));
        }
        // A whole number below 2^53 (checked above; NaN fails it): exact.
        #[allow(clippy::cast_possible_truncation)]
        Ok(Usd(micros as i64))
    }
}

fn grouped(whole: i64) -> String {
    let digits = whole.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(dollars: f64) -> Usd {
        Usd::from_price(dollars).expect("a price")
    }

    #[test]
    fn an_hourly_price_times_730_hours_is_exact_and_rounds_half_up_to_the_cent() {
        let month = usd(0.0225).times(730);
        assert_eq!(month.unit(), "16.425");
        assert_eq!(month.to_string(), "16.43");
        assert_eq!(usd(0.0832).times(730).times(4).to_string(), "242.94");
        assert_eq!(usd(0.0416).percent(30).times(730).unit(), "9.1104");
    }

    #[test]
    fn amounts_print_grouped_with_cents() {
        assert_eq!(Usd::dollars(1_234_567).to_string(), "1,234,567.00");
        assert_eq!(usd(73.0).unit(), "73.00");
        assert_eq!(usd(0.4).unit(), "0.40");
        assert_eq!(Usd::default().to_string(), "0.00");
    }

    #[test]
    fn a_price_must_be_a_finite_amount_that_is_not_negative() {
        assert_eq!(Usd::from_price(-0.01), None);
        assert_eq!(Usd::from_price(f64::NAN), None);
        assert_eq!(Usd::from_price(f64::INFINITY), None);
        assert_eq!(Usd::from_price(2e6), None);
    }

    #[test]
    fn an_amount_reads_back_from_json_as_it_was_written() {
        for amount in [usd(0.0), usd(60.736), Usd::dollars(2_500_000)] {
            let json = serde_json::to_string(&amount).expect("serializes");
            assert_eq!(serde_json::from_str::<Usd>(&json).expect("reads"), amount);
        }
        assert!(serde_json::from_str::<Usd>("-1.0").is_err());
    }
}
