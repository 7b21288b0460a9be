//! A value of the spec parsed into its domain type, or the located diagnostic that says why it
//! is not one: durations, CIDR blocks, and the dotted paths the checks point at.

use ipnet::Ipv4Net;

use crate::diagnostic::{Code, Diagnostic};
use crate::duration::{DurationError, PromDuration};
use crate::resolve::Resolved;
use crate::source::Path;

pub(super) fn path(text: &str) -> Path {
    Path::parse_dotted(text).unwrap_or_default()
}

pub(super) fn duration_error(error: &DurationError, at: Path) -> Diagnostic {
    Diagnostic::error(Code::InvalidDuration, error.to_string())
        .at_path(at)
        .help("write a duration such as `30s`, `5m`, `1h30m` or `30d`")
}

/// A duration at `at`, or its diagnostic.
pub(super) fn duration(text: &str, at: Path, out: &mut Vec<Diagnostic>) -> Option<PromDuration> {
    PromDuration::parse(text)
        .map_err(|error| out.push(duration_error(&error, at)))
        .ok()
}

pub(super) fn parse_cidr(text: &str) -> Result<Ipv4Net, String> {
    let net: Ipv4Net = text
        .parse()
        .map_err(|_| format!("`{text}` is not a valid IPv4 CIDR block"))?;
    if net.trunc() != net {
        return Err(format!(
            "`{text}` has host bits set; the network is `{}`",
            net.trunc()
        ));
    }
    Ok(net)
}

pub(super) fn cidr_diagnostic(
    environment: &Resolved,
    message: String,
    relative: &Path,
) -> Diagnostic {
    let help = match message.split("the network is ").nth(1) {
        Some(network) => format!("did you mean {network}?"),
        None => "write a block such as `10.0.0.0/16`: four numbers from 0 to 255, a slash, and a prefix length from 0 to 32".to_string(),
    };
    environment.diagnostic(
        Diagnostic::error(Code::InvalidCidr, message)
            .help(help)
            .on_value(),
        relative,
    )
}

/// A list of CIDR blocks at `at`; `None` when one is not a block.
pub(super) fn cidrs(
    environment: &Resolved,
    texts: &[String],
    at: &Path,
    out: &mut Vec<Diagnostic>,
) -> Option<Vec<Ipv4Net>> {
    let mut nets = Vec::new();
    let mut complete = true;
    for (index, text) in texts.iter().enumerate() {
        match parse_cidr(text) {
            Ok(net) => nets.push(net),
            Err(message) => {
                complete = false;
                out.push(cidr_diagnostic(environment, message, &at.index(index)));
            }
        }
    }
    complete.then_some(nets)
}

pub(super) fn overlaps(a: Ipv4Net, b: Ipv4Net) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

/// A Kubernetes CPU quantity as the schema admits it (`250m`, `1`, `0.5`), in millicores.
pub(super) fn millicores(text: &str) -> Option<u64> {
    if let Some(milli) = text.strip_suffix('m') {
        return milli.parse().ok();
    }
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let whole: u64 = whole.parse().ok()?;
    let digits: String = fraction.chars().chain("000".chars()).take(3).collect();
    whole.checked_mul(1000)?.checked_add(digits.parse().ok()?)
}

/// A Kubernetes memory quantity as the schema admits it (`512Ki`, `128Mi`, `1Gi`), in bytes.
pub(super) fn bytes(text: &str) -> Option<u64> {
    let (number, shift) = [("Ki", 10), ("Mi", 20), ("Gi", 30)]
        .into_iter()
        .find_map(|(suffix, shift)| Some((text.strip_suffix(suffix)?, shift)))?;
    number.parse::<u64>().ok()?.checked_mul(1 << shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs_with_host_bits_suggest_the_network() {
        assert_eq!(
            parse_cidr("10.0.1.5/24"),
            Err("`10.0.1.5/24` has host bits set; the network is `10.0.1.0/24`".into())
        );
        assert!(parse_cidr("10.0.0.0/33").is_err());
        assert!(parse_cidr("300.0.0.0/8").is_err());
    }

    #[test]
    fn kubernetes_quantities_read_as_the_api_server_reads_them() {
        assert_eq!(millicores("250m"), Some(250));
        assert_eq!(millicores("1"), Some(1000));
        assert_eq!(millicores("0.5"), Some(500));
        assert_eq!(millicores("1.25"), Some(1250));
        assert_eq!(millicores("0.05"), Some(50));
        assert_eq!(bytes("512Ki"), Some(512 << 10));
        assert_eq!(bytes("128Mi"), Some(128 << 20));
        assert_eq!(bytes("1Gi"), Some(1 << 30));
        assert_eq!(bytes("1G"), None);
    }
}
