//! Property-style tests over many random strings: whatever a user types (or pastes),
//! parsing never panics and every rendered expression is either `None` or well-formed
//! for its target syntax, so it can neither fail nor change the query's structure.
//!
//! The generator is a hand-rolled xorshift over a vocabulary of syntax-relevant pieces
//! (quotes, operators, FTS5 keywords, tsquery operators, emoji, control characters,
//! CJK, full-width forms, combining marks) and random code points, with a fixed seed so
//! failures reproduce.

use kehu_search::{
    contact_points, index_tokens, parse_query, MAX_LIKE_FALLBACK, MAX_SUBSTRINGS, MAX_TERMS,
};

const CASES: usize = 20_000;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const PIECES: &[&str] = &[
    "\"",
    "\"\"",
    "'",
    "''",
    "*",
    ":",
    ":*",
    "&",
    "|",
    "!",
    "(",
    ")",
    "<->",
    "<2>",
    "\\",
    "\\'",
    "%",
    "_",
    "^",
    "-",
    "+",
    "@",
    ".",
    ",",
    ";",
    "{",
    "}",
    "[",
    "]",
    "NEAR",
    "NEAR(",
    "AND",
    "OR",
    "NOT",
    "and",
    "col:",
    " ",
    "  ",
    "\t",
    "\n",
    "\r",
    "\0",
    "\u{7f}",
    "\u{1b}",
    "\u{200b}",
    "\u{feff}",
    "\u{301}",
    "\u{3000}",
    "😀",
    "👨‍👩‍👧",
    "🇨🇳",
    "™",
    "²",
    "①",
    "Ⓐ",
    "北京",
    "华为",
    "科技",
    "有限公司",
    "李",
    "张伟",
    "小明",
    "，",
    "。",
    "（",
    "）",
    "“",
    "”",
    "ＡＢＣ",
    "１３８",
    "＠",
    "ｅ",
    "café",
    "İ",
    "ß",
    "Σ",
    "हिन्दी",
    "ि",
    "٣",
    "カタカナ",
    "한국",
    "smith",
    "Ann",
    "x",
    "1",
    "13812345678",
    "138-1234",
    "+86",
    "ann@",
    "example.com",
    "KH-2024",
    "0001",
    "e5",
    "1e5",
];

fn random_string(rng: &mut Rng) -> String {
    let len = rng.below(16);
    let mut s = String::new();
    for _ in 0..len {
        if rng.below(5) == 0 {
            // A random Unicode scalar value, biased towards the BMP.
            let max = if rng.below(4) == 0 { 0x10_FFFF } else { 0xFFFF };
            if let Some(c) = char::from_u32((rng.next() % (max + 1)) as u32) {
                s.push(c);
            }
        } else {
            s.push_str(PIECES[rng.below(PIECES.len())]);
        }
    }
    s
}

/// A term as the tokenizers will see it: letters and ASCII digits only.
fn is_word(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || (!c.is_ascii() && c.is_alphabetic()))
}

/// Checks `"…"[*]( AND "…"[*])*` where `"` inside a string is written `""`.
fn check_fts5(expr: &str) {
    let mut rest = expr;
    loop {
        rest = rest
            .strip_prefix('"')
            .unwrap_or_else(|| panic!("term must start with a quote: {expr:?}"));
        // Find the closing quote, skipping doubled quotes.
        let mut end = None;
        let bytes = rest.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'"' {
                if bytes.get(i + 1) == Some(&b'"') {
                    i += 2;
                    continue;
                }
                end = Some(i);
                break;
            }
            i += 1;
        }
        let end = end.unwrap_or_else(|| panic!("unterminated string: {expr:?}"));
        assert!(end > 0, "empty string in {expr:?}");
        assert!(
            !rest[..end].chars().any(char::is_control),
            "control character in {expr:?}"
        );
        rest = &rest[end + 1..];
        rest = rest.strip_prefix('*').unwrap_or(rest);
        if rest.is_empty() {
            return;
        }
        rest = rest
            .strip_prefix(" AND ")
            .unwrap_or_else(|| panic!("terms must be joined by AND: {expr:?}"));
    }
}

/// Checks `'…'[:*]( & '…'[:*])*` where `'` inside is written `''` and `\` as `\\`.
fn check_tsquery(expr: &str) {
    let mut rest = expr;
    loop {
        rest = rest
            .strip_prefix('\'')
            .unwrap_or_else(|| panic!("lexeme must start with a quote: {expr:?}"));
        let mut chars = rest.char_indices();
        let end = loop {
            match chars.next() {
                Some((_, '\\')) => {
                    let escaped = chars.next();
                    assert!(
                        matches!(escaped, Some((_, '\\' | '\''))),
                        "bad escape in {expr:?}"
                    );
                }
                Some((i, '\'')) => {
                    if rest[i + 1..].starts_with('\'') {
                        chars.next();
                    } else {
                        break i;
                    }
                }
                Some((_, c)) => assert!(!c.is_control(), "control character in {expr:?}"),
                None => panic!("unterminated lexeme: {expr:?}"),
            }
        };
        assert!(end > 0, "empty lexeme in {expr:?}");
        rest = &rest[end + 1..];
        rest = rest.strip_prefix(":*").unwrap_or(rest);
        if rest.is_empty() {
            return;
        }
        rest = rest
            .strip_prefix(" & ")
            .unwrap_or_else(|| panic!("lexemes must be joined by &: {expr:?}"));
    }
}

/// Checks `%…%` with every `%`, `_` and `\` inside escaped by `\`.
fn check_like(pattern: &str) {
    let inner = pattern
        .strip_prefix('%')
        .and_then(|p| p.strip_suffix('%'))
        .unwrap_or_else(|| panic!("pattern must be %…%: {pattern:?}"));
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => assert!(
                matches!(chars.next(), Some('\\' | '%' | '_')),
                "bad escape in {pattern:?}"
            ),
            '%' | '_' => panic!("unescaped wildcard in {pattern:?}"),
            _ => {}
        }
    }
}

#[test]
fn random_queries_give_none_or_well_formed_expressions() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..CASES {
        let input = random_string(&mut rng);
        let q = parse_query(&input);
        assert_eq!(q, parse_query(&input), "parsing must be deterministic");
        assert!(q.terms().len() <= MAX_TERMS);
        assert!(q.substrings().len() <= MAX_SUBSTRINGS);
        assert!(q.like_fallback().len() <= MAX_LIKE_FALLBACK);

        for term in q.terms() {
            assert!(is_word(term.text()), "{input:?} gave term {term:?}");
        }
        for s in q.substrings() {
            assert!(
                s.chars().count() >= 3,
                "{input:?} gave short substring {s:?}"
            );
            assert!(
                !s.chars().any(|c| c.is_whitespace() || c.is_control()),
                "{input:?} gave substring {s:?}"
            );
        }
        for s in q.like_fallback() {
            assert!(
                !s.is_empty() && !s.chars().any(|c| c.is_whitespace() || c.is_control()),
                "{input:?} gave fallback {s:?}"
            );
        }

        match (q.fts5_match(), q.pg_tsquery()) {
            (Some(f), Some(p)) => {
                check_fts5(&f);
                check_tsquery(&p);
            }
            (None, None) => assert!(q.terms().is_empty()),
            other => panic!("backends disagree for {input:?}: {other:?}"),
        }
        match (q.residual_fts5_match(), q.residual_pg_tsquery()) {
            (Some(f), Some(p)) => {
                check_fts5(&f);
                check_tsquery(&p);
            }
            (None, None) => {}
            other => panic!("backends disagree for {input:?}: {other:?}"),
        }
        match q.fts5_trigram_match() {
            Some(t) => check_fts5(&t),
            None => assert!(q.substrings().is_empty()),
        }
        for p in q.substring_like_patterns() {
            check_like(&p);
        }
        assert_eq!(
            q.is_empty(),
            q.fts5_match().is_none() && q.substrings().is_empty() && q.like_fallback().is_empty()
        );
    }
}

#[test]
fn random_fields_give_clean_distinct_tokens() {
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    for _ in 0..CASES / 4 {
        let fields = [random_string(&mut rng), random_string(&mut rng)];
        let tokens = index_tokens(fields.iter().map(String::as_str));
        let list: Vec<&str> = if tokens.is_empty() {
            Vec::new()
        } else {
            tokens.split(' ').collect()
        };
        let mut seen = std::collections::HashSet::new();
        for t in &list {
            assert!(is_word(t), "{fields:?} gave token {t:?}");
            assert!(seen.insert(*t), "{fields:?} gave duplicate {t:?}");
        }

        // Whatever the query finds in the same text through words must be in the index:
        // parsing a field as a query yields terms that the field's own tokens satisfy.
        for field in &fields {
            let q = parse_query(field);
            if field.chars().count() <= kehu_search::MAX_QUERY_CHARS {
                for term in q.terms() {
                    let hit = list.iter().any(|tok| {
                        if term.is_prefix() {
                            tok.starts_with(term.text())
                        } else {
                            *tok == term.text()
                        }
                    });
                    assert!(hit, "{field:?}: term {term:?} not in {list:?}");
                }
            }
        }

        let cp = contact_points(fields.iter().map(String::as_str));
        assert!(!cp.chars().any(|c| c.is_control() && c != '\n'), "{cp:?}");
    }
}
