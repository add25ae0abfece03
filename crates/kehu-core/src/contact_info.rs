//! E-mail addresses and phone numbers that have been checked once, at the edge.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An e-mail address with one `@`, a non-empty local part and a dotted domain.
/// Stored as typed; compared case-insensitively by the search index, not here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Parses what a user typed; surrounding white space is dropped.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let value = raw.trim();
        if value.len() > 254 {
            return Err("too_long");
        }
        let Some((local, domain)) = value.split_once('@') else {
            return Err("invalid_email");
        };
        let valid_local = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && local
                .chars()
                .all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        let valid_domain = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        if valid_local && valid_domain {
            Ok(Email(value.to_string()))
        } else {
            Err("invalid_email")
        }
    }

    /// The address as typed (trimmed).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = &'static str;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Email::parse(&value)
    }
}

impl From<Email> for String {
    fn from(value: Email) -> Self {
        value.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A phone number: digits with the usual separators (space, `-`, `.`, parentheses), an
/// optional leading `+` and an optional extension after `ext`/`x`/`转`.
/// Kept as typed so that users see their own formatting; 5 to 20 digits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

impl Phone {
    /// Parses what a user typed; surrounding white space is dropped.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let value = raw.trim();
        if value.chars().count() > 40 {
            return Err("too_long");
        }
        let (main, extension) = split_extension(value);
        let main_ok = main
            .chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || " -.()".contains(c) || (c == '+' && i == 0));
        let extension_ok = extension.is_none_or(|e| {
            let e = e.trim();
            !e.is_empty() && e.chars().all(|c| c.is_ascii_digit())
        });
        let digits = main.chars().filter(char::is_ascii_digit).count();
        if main_ok && extension_ok && (5..=20).contains(&digits) {
            Ok(Phone(value.to_string()))
        } else {
            Err("invalid_phone")
        }
    }

    /// The number as typed (trimmed).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Only the digits, for matching fragments such as the last four digits.
    pub fn digits(&self) -> String {
        self.0.chars().filter(char::is_ascii_digit).collect()
    }
}

fn split_extension(value: &str) -> (&str, Option<&str>) {
    for marker in ["ext.", "ext", "x", "转"] {
        if let Some(pos) = value.to_lowercase().find(marker) {
            // Lower-casing keeps byte offsets for ASCII markers and for 转.
            return (&value[..pos], Some(&value[pos + marker.len()..]));
        }
    }
    (value, None)
}

impl TryFrom<String> for Phone {
    type Error = &'static str;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Phone::parse(&value)
    }
}

impl From<Phone> for String {
    fn from(value: Phone) -> Self {
        value.0
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_addresses() {
        assert_eq!(
            Email::parse("  wei.zhang@example.com ").unwrap().as_str(),
            "wei.zhang@example.com"
        );
        assert!(Email::parse("李@例子.中国").is_ok());
    }

    #[test]
    fn rejects_addresses_without_at_or_domain() {
        for bad in [
            "",
            "abc",
            "a@b",
            "@example.com",
            "a@.com",
            "a b@example.com",
            "a@example..com",
        ] {
            assert_eq!(Email::parse(bad), Err("invalid_email"), "{bad}");
        }
    }

    #[test]
    fn phones_keep_formatting_and_expose_digits() {
        let phone = Phone::parse("+86 138-1234-5678").unwrap();
        assert_eq!(phone.as_str(), "+86 138-1234-5678");
        assert_eq!(phone.digits(), "8613812345678");
        assert!(Phone::parse("(010) 6552 1234 转 801").is_ok());
        assert!(Phone::parse("010-65521234 ext 12").is_ok());
    }

    #[test]
    fn rejects_letters_and_short_numbers() {
        for bad in [
            "1234",
            "call me",
            "138+1234",
            "12345678901234567890123",
            "0101 ext",
        ] {
            assert_eq!(Phone::parse(bad), Err("invalid_phone"), "{bad}");
        }
    }
}
