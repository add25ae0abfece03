//! Money as integer minor units (fen, cents) with a currency code.

use serde::{Deserialize, Serialize};

/// An amount in minor units (1/100 of the currency unit) and an ISO 4217 code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    /// Minor units: 12345 CNY means ¥123.45.
    pub minor: i64,
    /// Three upper-case letters, e.g. `CNY`.
    pub currency: [u8; 3],
}

impl Money {
    /// Parses a decimal amount as a person writes it ("12,345.6", "¥100", "-3") into minor units.
    /// At most two decimals; thousands separators (`,` or spaces) are ignored.
    pub fn parse_major_units(raw: &str) -> Result<i64, &'static str> {
        let cleaned: String = raw
            .trim()
            .trim_start_matches(['¥', '￥', '$', '€'])
            .chars()
            .filter(|c| *c != ',' && !c.is_whitespace())
            .collect();
        let (negative, unsigned) = match cleaned.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, cleaned.as_str()),
        };
        let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
        if whole.is_empty() && fraction.is_empty()
            || !whole.chars().all(|c| c.is_ascii_digit())
            || !fraction.chars().all(|c| c.is_ascii_digit())
        {
            return Err("invalid_number");
        }
        if fraction.len() > 2 {
            return Err("too_many_decimals");
        }
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| "out_of_range")?
        };
        let cents: i64 = format!("{fraction:0<2}")
            .parse()
            .map_err(|_| "invalid_number")?;
        let minor = whole
            .checked_mul(100)
            .and_then(|v| v.checked_add(cents))
            .ok_or("out_of_range")?;
        Ok(if negative { -minor } else { minor })
    }

    /// Formats minor units as a decimal with two places and thousands separators: `1,234.50`.
    pub fn format_major_units(minor: i64) -> String {
        let sign = if minor < 0 { "-" } else { "" };
        let abs = minor.unsigned_abs();
        let whole = (abs / 100).to_string();
        let mut grouped = String::new();
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(c);
        }
        format!("{sign}{grouped}.{:02}", abs % 100)
    }
}

/// Checks an ISO 4217-shaped currency code (three ASCII upper-case letters).
pub fn parse_currency(raw: &str) -> Result<String, &'static str> {
    let code = raw.trim().to_ascii_uppercase();
    if code.len() == 3 && code.chars().all(|c| c.is_ascii_uppercase()) {
        Ok(code)
    } else {
        Err("invalid_currency")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_amounts_people_write() {
        assert_eq!(Money::parse_major_units("12,345.6"), Ok(1_234_560));
        assert_eq!(Money::parse_major_units("¥100"), Ok(10_000));
        assert_eq!(Money::parse_major_units("-3"), Ok(-300));
        assert_eq!(Money::parse_major_units(".5"), Ok(50));
        assert_eq!(Money::parse_major_units("1.234"), Err("too_many_decimals"));
        assert_eq!(Money::parse_major_units("abc"), Err("invalid_number"));
        assert_eq!(Money::parse_major_units(""), Err("invalid_number"));
        assert_eq!(
            Money::parse_major_units("99999999999999999999"),
            Err("out_of_range")
        );
    }

    #[test]
    fn formats_with_grouping() {
        assert_eq!(Money::format_major_units(123_456_789), "1,234,567.89");
        assert_eq!(Money::format_major_units(-5), "-0.05");
        assert_eq!(Money::format_major_units(100_000), "1,000.00");
    }

    #[test]
    fn currency_codes() {
        assert_eq!(parse_currency("cny"), Ok("CNY".into()));
        assert!(parse_currency("RMB1").is_err());
    }
}
