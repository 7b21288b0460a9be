//! JSON text written by hand for the log lines, where serde's general path showed in the
//! profiles (BENCHMARKS.md). The output is byte for byte
//! what `serde_json` writes for the same values (the tests hold it to that).

use std::fmt::{self, Write as _};

/// Decimal digits without going through `fmt` (statuses, counts, ids).
pub fn write_u64(w: &mut impl fmt::Write, mut value: u64) -> fmt::Result {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        // `value % 10` is a single decimal digit.
        digits[start] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    w.write_str(std::str::from_utf8(&digits[start..]).map_err(|_| fmt::Error)?)
}

pub fn write_i64(w: &mut impl fmt::Write, value: i64) -> fmt::Result {
    if value < 0 {
        w.write_char('-')?;
    }
    write_u64(w, value.unsigned_abs())
}

/// `text` as a JSON string, quoted and escaped.
pub fn write_string(w: &mut impl fmt::Write, text: &str) -> fmt::Result {
    w.write_char('"')?;
    Escaped(w).write_str(text)?;
    w.write_char('"')
}

/// Whether `text` has a byte JSON escapes (a control character, `"` or `\`), eight bytes at a
/// time: every request line passes a dozen strings through here, a list page a hundred.
pub fn needs_escape(text: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH: u64 = ONES << 7;
    // The high bit of each byte of `x` that is zero (exact as a yes/no answer).
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let (words, rest) = text.as_chunks::<8>();
    words.iter().any(|word| {
        let x = u64::from_ne_bytes(*word);
        // Bytes below 0x20, then `"`, then `\`.
        (x.wrapping_sub(ONES * 0x20) & !x & HIGH)
            | zero(x ^ (ONES * u64::from(b'"')))
            | zero(x ^ (ONES * u64::from(b'\\')))
            != 0
    }) || rest
        .iter()
        .any(|&byte| byte < 0x20 || byte == b'"' || byte == b'\\')
}

/// Escapes what it is given as the inside of a JSON string, as `serde_json` does.
pub struct Escaped<'a, W>(pub &'a mut W);

impl<W: fmt::Write> fmt::Write for Escaped<'_, W> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        // Nearly every value (ids, paths, descriptions) has nothing to escape: one write.
        if !needs_escape(text.as_bytes()) {
            return self.0.write_str(text);
        }
        let mut plain = 0;
        for (at, byte) in text.bytes().enumerate() {
            let escape = match byte {
                b'"' => "\\\"",
                b'\\' => "\\\\",
                b'\n' => "\\n",
                b'\r' => "\\r",
                b'\t' => "\\t",
                0x08 => "\\b",
                0x0c => "\\f",
                0..=0x1f => "",
                _ => continue,
            };
            self.0.write_str(&text[plain..at])?;
            if escape.is_empty() {
                write!(self.0, "\\u{byte:04x}")?;
            } else {
                self.0.write_str(escape)?;
            }
            plain = at + 1;
        }
        self.0.write_str(&text[plain..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(text: &str) -> String {
        let mut out = String::new();
        write_string(&mut out, text).expect("writes");
        out
    }

    #[test]
    fn every_byte_that_needs_escaping_is_found_wherever_it_is() {
        for special in ['"', '\\', '\n', '\u{0}', '\u{1f}'] {
            for at in 0..20 {
                let mut text: String = "é-plain-text-0123456789".chars().take(20).collect();
                let at = text.char_indices().nth(at).map_or(text.len(), |(i, _)| i);
                text.insert(at, special);
                assert!(
                    needs_escape(text.as_bytes()),
                    "{special:?} at {at}: {text:?}"
                );
                assert_eq!(
                    string(&text),
                    serde_json::to_string(&text).expect("encodes")
                );
            }
        }
        for plain in [
            "",
            "a",
            "0123456789abcdef/x",
            "é 🦀 \u{7f} ~ !#$%&'()*+,-./:;<=>?@[]^_`{|}",
        ] {
            assert!(!needs_escape(plain.as_bytes()), "{plain:?}");
        }
    }

    #[test]
    fn strings_are_escaped_exactly_as_serde_json_escapes_them() {
        for code in (0..0x80).chain([0xe9, 0x2028, 0x1f980]) {
            let c = char::from_u32(code).expect("a char");
            let text = format!("a{c}b{c}{c}");
            assert_eq!(
                string(&text),
                serde_json::to_string(&text).expect("encodes"),
                "U+{code:04X}"
            );
        }
    }

    #[test]
    fn integers_are_written_as_serde_json_writes_them() {
        for value in [0, 1, -1, 9, 10, -10, 1234567890, i64::MAX, i64::MIN] {
            let mut out = String::new();
            write_i64(&mut out, value).expect("writes");
            assert_eq!(out, serde_json::to_string(&value).expect("encodes"));
        }
    }
}
