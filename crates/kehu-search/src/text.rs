//! Character normalisation and splitting shared by indexing and query parsing.
//!
//! Both sides of a search (what is written to `search_tokens` and what a user types)
//! go through exactly these functions, so a token and the term that should find it are
//! always spelled the same way. The rules are chosen so that every token we emit is a
//! single "word" for SQLite FTS5's `unicode61` tokenizer *and* for PostgreSQL's default
//! text-search parser with the `simple` configuration:
//!
//! * tokens consist only of letters (Unicode `Alphabetic`) and ASCII digits; everything
//!   else is a separator. Both backends split on punctuation, spaces and symbols, and
//!   neither joins two of our space-separated tokens.
//! * case folding and diacritic removal happen here, not in the database: `unicode61`
//!   strips diacritics (`café` → `cafe`) but PostgreSQL's `simple` does not, and
//!   PostgreSQL's lower-casing depends on the server locale. Doing it in Rust makes the
//!   stored text already final, so both backends keep it unchanged.
//! * characters the two backends classify differently are treated as separators: emoji
//!   and symbols (PostgreSQL in a `C` locale counts any non-ASCII character as a letter,
//!   so an emoji glued to a word would become part of it there but not in SQLite),
//!   non-ASCII digits and superscripts (`x²` is one token for `unicode61`, `x` for
//!   PostgreSQL), the circled/squared Latin letters (`Ⓐ`, alphabetic for Rust and
//!   PostgreSQL, a symbol for `unicode61`), and combining marks such as Indic vowel
//!   signs (alphabetic for Rust, separators for `unicode61`; see the `tables` module).
//!   Combining *diacritics* on Latin letters are dropped instead, so `cafe\u{301}` stays
//!   one word.
//! * Greek final sigma `ς` is folded to `σ` (and a few similar case foldings), as
//!   `unicode61` does.
//! * a word starting with a number in scientific notation (`1e5x`) is split after the
//!   number, because PostgreSQL's parser does so and `unicode61` does not.
//! * full-width ASCII (what a Chinese IME produces for `１３８` or `ＡＢＣ`) is folded to
//!   ASCII so it matches the half-width spelling.

use std::ops::Range;
use std::sync::LazyLock;

use jieba_rs::Jieba;

use crate::tables::{fold_latin, is_mark};

/// Longest Latin token we store or search for, in characters.
///
/// PostgreSQL rejects lexemes over 2047 bytes and a pasted hash or base64 blob is no use
/// as a search word anyway; truncating (rather than dropping) keeps prefix search on the
/// beginning of such a word working, because queries are truncated the same way.
pub(crate) const MAX_TOKEN_CHARS: usize = 64;

/// The jieba segmenter with its built-in dictionary.
///
/// Loading the dictionary takes ~100 ms, so it is built once on first use. It is an
/// immutable lookup table, not configuration, which is why a lazily-built static is fine.
pub(crate) static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

/// What a normalised character is, for splitting text into runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// Han ideographs, kana, hangul, bopomofo: scripts written without spaces that we
    /// index as character bigrams.
    Cjk,
    /// Letters of other scripts and ASCII digits: words split on anything else.
    Word,
    /// Everything else: spaces, punctuation, symbols, emoji, control characters.
    Sep,
}

/// A maximal run of characters of one class (`Cjk` or `Word`) in a normalised string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Run<'a> {
    /// Whether this is a CJK run or a word run.
    pub class: Class,
    /// The run's text.
    pub text: &'a str,
    /// Byte offset of the run in the normalised string it came from.
    pub start: usize,
}

/// Normalises text for tokenising: lower-case, full-width ASCII folded to ASCII,
/// diacritics removed from Latin letters, control characters and ideographic spaces
/// turned into plain spaces.
pub(crate) fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let c = fold_width(c);
        if c.is_control() || c.is_whitespace() {
            out.push(' ');
            continue;
        }
        for lower in c.to_lowercase() {
            // Combining diacritical marks (decomposed input such as "e\u{301}", or the
            // dot that `İ`.to_lowercase() produces) are dropped, not treated as
            // separators, so "cafe\u{301}" stays one word, like `unicode61` does.
            if is_combining_mark(lower) {
                continue;
            }
            out.push(fold_diacritic(lower));
        }
    }
    out
}

/// Classifies one already-normalised character.
pub(crate) fn classify(c: char) -> Class {
    if c.is_ascii_alphanumeric() {
        Class::Word
    } else if c.is_ascii() || !c.is_alphabetic() || is_symbol_letter(c) || is_mark(c) {
        // Non-ASCII digits (`٣`, `²`, `①`) are `is_numeric` but not `is_alphabetic`, so
        // they land here too: see the module docs for why they are separators.
        Class::Sep
    } else if is_cjk(c) {
        Class::Cjk
    } else {
        Class::Word
    }
}

/// Splits a normalised string into runs of CJK characters and runs of word characters.
pub(crate) fn runs(s: &str) -> Vec<Run<'_>> {
    let mut out = Vec::new();
    let mut current: Option<(Class, usize)> = None;
    for (i, c) in s.char_indices() {
        let class = classify(c);
        match current {
            Some((cur, _)) if cur == class => {}
            Some((cur, start)) => {
                push_run(&mut out, s, cur, start..i);
                current = Some((class, i));
            }
            None => current = Some((class, i)),
        }
    }
    if let Some((cur, start)) = current {
        push_run(&mut out, s, cur, start..s.len());
    }
    out
}

fn push_run<'a>(out: &mut Vec<Run<'a>>, s: &'a str, class: Class, range: Range<usize>) {
    match class {
        Class::Sep => {}
        Class::Cjk => out.push(Run {
            class,
            text: &s[range.clone()],
            start: range.start,
        }),
        Class::Word => {
            let mut start = range.start;
            while start < range.end {
                let len = sci_notation_len(&s[start..range.end]);
                out.push(Run {
                    class,
                    text: &s[start..start + len],
                    start,
                });
                start += len;
            }
        }
    }
}

/// Length of the first word PostgreSQL's text-search parser sees in `word`.
///
/// The parser reads a leading number in scientific notation (`1e5`, `12e34`) as a float
/// and starts a new token after it: `to_tsvector('simple', '1e5x')` is `'1e5' 'x'`, while
/// `unicode61` keeps `1e5x`. We split such words the same way so both backends agree.
/// Returns `word.len()` when there is nothing to split.
pub(crate) fn sci_notation_len(word: &str) -> usize {
    let b = word.as_bytes();
    let digits = |from: usize| b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let mantissa = digits(0);
    if mantissa == 0 || b.get(mantissa) != Some(&b'e') {
        return word.len();
    }
    let exponent = digits(mantissa + 1);
    if exponent == 0 {
        return word.len();
    }
    mantissa + 1 + exponent
}

/// Cuts a word to at most [`MAX_TOKEN_CHARS`] characters.
pub(crate) fn truncate_word(word: &str) -> &str {
    match word.char_indices().nth(MAX_TOKEN_CHARS) {
        Some((i, _)) => &word[..i],
        None => word,
    }
}

/// The overlapping two-character substrings of a CJK run ("李小明" → 李小, 小明).
///
/// A run of one character yields nothing; callers handle that case themselves.
pub(crate) fn bigrams(run: &str) -> impl Iterator<Item = &str> {
    let idx: Vec<usize> = run
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(run.len()))
        .collect();
    // idx has one entry per character plus the end; a bigram spans idx[k]..idx[k+2].
    (0..idx.len().saturating_sub(2)).map(move |k| &run[idx[k]..idx[k + 2]])
}

/// Full-width ASCII variants (U+FF01–U+FF5E) to ASCII; the ideographic space to a space.
fn fold_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

/// Combining diacritical marks (U+0300–U+036F) and their supplement/extended blocks.
fn is_combining_mark(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}' | '\u{1AB0}'..='\u{1AFF}' | '\u{1DC0}'..='\u{1DFF}')
}

/// Letters that Unicode classifies as symbols (`So`) but Rust's `is_alphabetic` accepts:
/// circled, parenthesised and squared Latin letters. `unicode61` treats them as
/// separators and PostgreSQL as letters, so we must not put them inside a token.
fn is_symbol_letter(c: char) -> bool {
    matches!(c, '\u{24B6}'..='\u{24E9}' | '\u{1F130}'..='\u{1F189}')
}

/// Scripts written without spaces between words (so word splitting does not work and we
/// use jieba plus character bigrams instead).
fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{1100}'..='\u{11FF}'   // Hangul Jamo
        | '\u{3005}'..='\u{3007}' // 々 〆 〇
        | '\u{3021}'..='\u{3029}' // Hangzhou numerals
        | '\u{3031}'..='\u{3035}' // kana repeat marks
        | '\u{3038}'..='\u{303C}'
        | '\u{3040}'..='\u{30FF}' // Hiragana, Katakana
        | '\u{3100}'..='\u{312F}' // Bopomofo
        | '\u{3130}'..='\u{318F}' // Hangul compatibility Jamo
        | '\u{31A0}'..='\u{31BF}' // Bopomofo extended
        | '\u{31F0}'..='\u{31FF}' // Katakana phonetic extensions
        | '\u{3400}'..='\u{4DBF}' // CJK extension A
        | '\u{4E00}'..='\u{9FFF}' // CJK unified ideographs
        | '\u{A960}'..='\u{A97F}' // Hangul Jamo extended-A
        | '\u{AC00}'..='\u{D7AF}' // Hangul syllables
        | '\u{D7B0}'..='\u{D7FF}' // Hangul Jamo extended-B
        | '\u{F900}'..='\u{FAFF}' // CJK compatibility ideographs
        | '\u{FF66}'..='\u{FF9F}' // half-width Katakana
        | '\u{FFA0}'..='\u{FFDC}' // half-width Hangul
        | '\u{20000}'..='\u{323AF}' // CJK extensions B–H, compatibility supplement
    )
}

/// Removes diacritics from a lower-case letter (see [`fold_latin`]) and applies the
/// Unicode case foldings that `unicode61` does beyond lower-casing (Greek final sigma
/// and symbol variants, long s), which PostgreSQL does not.
fn fold_diacritic(c: char) -> char {
    match c {
        'ς' => 'σ',
        'ϐ' => 'β',
        'ϑ' => 'θ',
        'ϕ' => 'φ',
        'ϖ' => 'π',
        'ϰ' => 'κ',
        'ϱ' => 'ρ',
        'ϵ' => 'ε',
        'ſ' => 's',
        _ => fold_latin(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_texts(s: &str) -> Vec<(Class, &str)> {
        runs(s).into_iter().map(|r| (r.class, r.text)).collect()
    }

    #[test]
    fn normalize_folds_case_width_and_diacritics() {
        assert_eq!(normalize("Café ÅNGSTRÖM"), "cafe angstrom");
        assert_eq!(normalize("ＡＢＣ１２３"), "abc123");
        assert_eq!(normalize("Lǚ Xiǎomíng"), "lu xiaoming");
        assert_eq!(normalize("cafe\u{301}"), "cafe");
        assert_eq!(normalize("İstanbul"), "istanbul");
        assert_eq!(normalize("a\tb\u{3000}c\u{0}d"), "a b c d");
        assert_eq!(normalize("Σίσυφος"), "σίσυφοσ");
    }

    #[test]
    fn runs_split_scripts_and_punctuation() {
        assert_eq!(
            run_texts("iphone手机，北京2024年"),
            vec![
                (Class::Word, "iphone"),
                (Class::Cjk, "手机"),
                (Class::Cjk, "北京"),
                (Class::Word, "2024"),
                (Class::Cjk, "年"),
            ]
        );
        assert_eq!(
            run_texts("ann@example.com"),
            vec![
                (Class::Word, "ann"),
                (Class::Word, "example"),
                (Class::Word, "com")
            ]
        );
    }

    #[test]
    fn characters_the_backends_disagree_on_are_separators() {
        // Emoji, superscripts, circled letters: see the module docs.
        assert_eq!(
            run_texts("😀abc x² Ⓐb ① हिन्दी"),
            vec![
                (Class::Word, "abc"),
                (Class::Word, "x"),
                (Class::Word, "b"),
                (Class::Word, "ह"),
                (Class::Word, "न"),
                (Class::Word, "द"),
            ]
        );
    }

    #[test]
    fn words_are_split_after_a_leading_float_like_postgresql_does() {
        assert_eq!(
            run_texts("1e5x 12e34e56 x1e5y 2e3 5ea 1e"),
            vec![
                (Class::Word, "1e5"),
                (Class::Word, "x"),
                (Class::Word, "12e34"),
                (Class::Word, "e56"),
                (Class::Word, "x1e5y"),
                (Class::Word, "2e3"),
                (Class::Word, "5ea"),
                (Class::Word, "1e"),
            ]
        );
    }

    #[test]
    fn bigrams_of_a_run() {
        assert_eq!(bigrams("李小明").collect::<Vec<_>>(), vec!["李小", "小明"]);
        assert_eq!(bigrams("张伟").collect::<Vec<_>>(), vec!["张伟"]);
        assert_eq!(bigrams("李").count(), 0);
        assert_eq!(bigrams("").count(), 0);
    }

    #[test]
    fn truncation_is_by_characters() {
        let long = "é".repeat(100);
        assert_eq!(truncate_word(&long).chars().count(), MAX_TOKEN_CHARS);
        assert_eq!(truncate_word("short"), "short");
    }
}
