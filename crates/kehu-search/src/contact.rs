//! Phone numbers and codes: the `contact_points` column, and the recognition of phone
//! numbers, codes and e-mail addresses in a query.
//!
//! Phone numbers and codes are matched by substring (a trigram index: FTS5 `trigram`,
//! PostgreSQL `pg_trgm`), because people search for "the last four digits" or the
//! middle of a customer code. Stored values and query fragments are normalised by the
//! same rules so that a substring of what was typed is a substring of what was stored:
//!
//! * phone numbers: digits only (spaces, dashes, dots, `+`, parentheses removed);
//! * codes (`KH-2024-0001`, `SO2024001`): lower-cased with separators removed.
//!
//! E-mail addresses are not contact points: they are found by their words (local part,
//! its letters joined, domain labels; see [`crate::index_tokens`]), which is how people
//! type them (`zhang.wei`, `sales@`, `huawei.com`). Trigrams of addresses made every
//! sparse fragment slow on a large table: `ng.`, `.li` and `ang` occur in most Chinese
//! addresses, so a fragment such as `wang.li` intersected lists of a million entries.

use std::collections::HashSet;

use crate::text::normalize;

/// Minimum length of a substring the trigram indexes can look up.
pub(crate) const MIN_SUBSTRING_CHARS: usize = 3;

/// Longest substring we pass to the trigram index; longer fragments are cut, which still
/// finds the value (a prefix of a substring is a substring).
const MAX_SUBSTRING_CHARS: usize = 64;

/// Characters removed from codes to build their compact form.
const CODE_SEPARATORS: &[char] = &['-', '_', '.', '/', '#', '(', ')', '+', ' '];

/// Builds the text stored in a record's `contact_points` column (indexed for substring
/// search) from its phone numbers and codes.
///
/// Each value contributes one or more lines:
///
/// * an e-mail address (anything with `@`): nothing, see the module docs;
/// * a phone number (only digits and `+ - ( ) . /` and spaces, at least 3 digits): its
///   digits, plus `+` and the digits when it was written with a leading `+`, so that an
///   E.164 number from a telephony integration (`+8613812345678`) can be looked up as
///   is;
/// * anything else (customer codes, order numbers): the lower-cased value with
///   separators removed, plus the lower-cased value itself when that differs.
///
/// Values are separated by newlines; a query substring never contains whitespace, so it
/// cannot match across two values.
///
/// ```
/// let cp = kehu_search::contact_points(["+86 138-1234-5678", "Ann@Example.com", "KH-2024-0001"]);
/// assert_eq!(cp, "8613812345678\n+8613812345678\nkh20240001\nkh-2024-0001");
/// ```
#[must_use]
pub fn contact_points<'a>(values: impl IntoIterator<Item = &'a str>) -> String {
    let mut seen = HashSet::new();
    let mut out = String::new();
    let mut push = |line: String| {
        if !line.is_empty() && seen.insert(line.clone()) {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&line);
        }
    };
    for value in values {
        let v = normalize(value);
        let v = v.split_whitespace().collect::<Vec<_>>().join(" ");
        if v.is_empty() {
            continue;
        }
        if v.contains('@') {
            continue;
        } else if is_phone_like(&v) && digit_count(&v) >= MIN_SUBSTRING_CHARS {
            let digits = digits_of(&v);
            let plus = v.starts_with('+').then(|| format!("+{digits}"));
            push(digits);
            if let Some(plus) = plus {
                push(plus);
            }
        } else {
            push(v.replace(CODE_SEPARATORS, ""));
            push(v);
        }
    }
    out
}

/// What a query fragment made of contact characters turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ContactFragment {
    /// A phone number or code long enough for the trigram index.
    Substring(String),
    /// Looks like a phone number or code but is too short for the trigram index.
    Short(String),
    /// Part of an e-mail address or domain (`sales@`, `zhang.wei`, `example.com`): found
    /// by its words, every one but the last complete.
    Address,
}

/// Characters that may appear in a phone number, e-mail address or code as typed in a
/// query (after [`normalize`]).
pub(crate) fn is_contact_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '@' | '.' | '_' | '-' | '+' | '(' | ')' | '/' | '#')
}

/// Whether a fragment consists of phone-number characters and contains a digit.
pub(crate) fn is_phone_like(s: &str) -> bool {
    s.chars().any(|c| c.is_ascii_digit())
        && s.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '(' | ')' | '.' | '/' | ' '))
}

/// Classifies a normalised query fragment made of [`is_contact_char`] characters (and,
/// for merged phone groups, spaces). Returns `None` for ordinary words.
pub(crate) fn classify_fragment(fragment: &str) -> Option<ContactFragment> {
    let trimmed = trim_punctuation(fragment);
    let has_letter = trimmed.chars().any(|c| c.is_ascii_alphabetic());
    let has_digit = trimmed.chars().any(|c| c.is_ascii_digit());
    let text = if fragment.contains('@') || (has_letter && trimmed.contains('.')) {
        // Part of an e-mail address or a domain (a lone `@` is nothing).
        return (has_letter || has_digit).then_some(ContactFragment::Address);
    } else if is_phone_like(fragment) {
        digits_of(fragment)
    } else if has_letter && has_digit {
        trimmed.replace(CODE_SEPARATORS, "")
    } else {
        return None;
    };
    let text: String = text.chars().take(MAX_SUBSTRING_CHARS).collect();
    if text.is_empty() {
        None
    } else if text.chars().count() >= MIN_SUBSTRING_CHARS {
        Some(ContactFragment::Substring(text))
    } else {
        Some(ContactFragment::Short(text))
    }
}

fn trim_punctuation(s: &str) -> &str {
    s.trim_matches(|c: char| !c.is_ascii_alphanumeric())
}

fn digits_of(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

fn digit_count(s: &str) -> usize {
    s.chars().filter(char::is_ascii_digit).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_keep_only_digits_and_the_plus_form() {
        assert_eq!(
            contact_points(["+86 138-1234-5678"]),
            "8613812345678\n+8613812345678"
        );
        assert_eq!(contact_points(["(010) 6234-5678"]), "01062345678");
        assert_eq!(contact_points(["１３８ １２３４ ５６７８"]), "13812345678");
    }

    #[test]
    fn emails_are_not_contact_points() {
        assert_eq!(
            contact_points(["  Ann.Lee@Example.COM ", "mailto:bob@x.cn", "138 1234 5678"]),
            "13812345678"
        );
    }

    #[test]
    fn codes_get_a_compact_form() {
        assert_eq!(contact_points(["SO2024001"]), "so2024001");
        assert_eq!(
            contact_points(["010-6234-5678 ext. 12"]),
            "01062345678ext12\n010-6234-5678 ext. 12"
        );
    }

    #[test]
    fn duplicates_and_empty_values_are_skipped() {
        assert_eq!(
            contact_points(["", "  ", "138 1234 5678", "138-1234-5678"]),
            "13812345678"
        );
    }

    #[test]
    fn fragments() {
        use ContactFragment::*;
        assert_eq!(
            classify_fragment("+86(138)1234-5678"),
            Some(Substring("8613812345678".into()))
        );
        assert_eq!(classify_fragment("56"), Some(Short("56".into())));
        assert_eq!(classify_fragment("ann@example.com"), Some(Address));
        assert_eq!(classify_fragment("example.com"), Some(Address));
        assert_eq!(classify_fragment("sales@"), Some(Address));
        assert_eq!(
            classify_fragment("kh-2024-"),
            Some(Substring("kh2024".into()))
        );
        assert_eq!(classify_fragment("a1"), Some(Short("a1".into())));
        assert_eq!(classify_fragment("smith"), None);
        assert_eq!(classify_fragment("o-brien"), None);
        assert_eq!(classify_fragment("(+)"), None);
        assert_eq!(classify_fragment("@"), None);
    }
}
