//! The owner and team marks in SQLite's full-text indexes (migration 12).
//!
//! Every record's indexed text carries a token naming its owner and one naming its team,
//! each three characters from Unicode's private use area: a kind character and the id in
//! base 6000. These functions spell the marks as the migration's views do, so that a
//! search can require them: `(what was typed) AND "<mark>"`.

/// The kind character of an owner mark.
const OWNER: u32 = 0xF8FE;
/// The kind character of a team mark.
const TEAM: u32 = 0xF8FF;
/// The first private use character, digit zero of the id.
const DIGITS_FROM: u32 = 0xE000;
/// The id's base: two digits cover ids up to 35,999,999.
const BASE: i64 = 6000;

/// The mark of records owned by `user_id`.
pub(crate) fn owner(user_id: i64) -> String {
    mark(OWNER, user_id)
}

/// The mark of records of team `team_id`.
pub(crate) fn team(team_id: i64) -> String {
    mark(TEAM, team_id)
}

/// Whether an id has a mark (ids past two base-6000 digits have none, and are searched
/// through the scope indexes instead).
pub(crate) fn has_mark(id: i64) -> bool {
    (0..BASE * BASE).contains(&id)
}

fn mark(kind: u32, id: i64) -> String {
    debug_assert!(has_mark(id));
    let digit =
        |value: i64| char::from_u32(DIGITS_FROM + value as u32).expect("a private use character");
    [
        char::from_u32(kind).expect("a private use character"),
        digit(id / BASE),
        digit(id % BASE),
    ]
    .into_iter()
    .collect()
}

/// `expression` restricted to records carrying one of `marks`: `(…) AND ("m1" OR "m2")`.
pub(crate) fn require_any(expression: &str, marks: &[String]) -> String {
    let quoted: Vec<String> = marks.iter().map(|m| format!("\"{m}\"")).collect();
    format!("({expression}) AND ({})", quoted.join(" OR "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_are_three_private_use_characters() {
        assert_eq!(owner(4), "\u{F8FE}\u{E000}\u{E004}");
        assert_eq!(team(6001), "\u{F8FF}\u{E001}\u{E001}");
        assert_ne!(owner(7), team(7));
        assert_eq!(owner(35_999_999).chars().count(), 3);
        assert!(!has_mark(36_000_000));
    }

    #[test]
    fn restriction_keeps_the_typed_expression_whole() {
        assert_eq!(
            require_any(r#""a"* AND "b""#, &[owner(1), team(2)]),
            "(\"a\"* AND \"b\") AND (\"\u{F8FE}\u{E000}\u{E001}\" OR \"\u{F8FF}\u{E000}\u{E002}\")"
        );
    }
}
