//! Turning what a user typed into a search box into safe index queries.

use std::ops::Range;

use crate::contact::{classify_fragment, is_contact_char, is_phone_like, ContactFragment};
use crate::text::{bigrams, normalize, runs, truncate_word, Class};

/// Input beyond this many characters is ignored: nobody types more into a search box,
/// and it bounds the size of the generated SQL expressions.
pub const MAX_QUERY_CHARS: usize = 200;

/// At most this many full-text terms are kept (further ones are dropped, which only
/// makes the query less strict).
pub const MAX_TERMS: usize = 24;

/// At most this many substrings (for the trigram index) are kept.
pub const MAX_SUBSTRINGS: usize = 6;

/// At most this many short fragments are kept for the `LIKE` fallback.
pub const MAX_LIKE_FALLBACK: usize = 4;

/// One full-text search term: a single token as stored by [`crate::index_tokens`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Term {
    text: String,
    prefix: bool,
    /// True when the term came from a fragment that is also in
    /// [`SearchQuery::substrings`], so a substring match may stand in for it.
    contact: bool,
}

impl Term {
    /// The token to look for (normalised: lower-case, no diacritics, letters and digits
    /// only).
    #[must_use]
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether the term matches any token that starts with [`Term::text`] (Latin words,
    /// single CJK characters) rather than only the token itself (CJK bigrams).
    #[must_use]
    pub fn is_prefix(&self) -> bool {
        self.prefix
    }

    /// Whether the term came from a phone number or code fragment that is also in
    /// [`SearchQuery::substrings`], so that a substring match may stand in for it (these
    /// are the terms the residual expressions leave out).
    #[must_use]
    pub fn is_covered_by_substring(&self) -> bool {
        self.contact
    }
}

/// A parsed search-box query, ready to be rendered for the indexes.
///
/// Made by [`parse_query`]. A record matches when
///
/// * its `search_tokens` match [`SearchQuery::fts5_match`] / [`SearchQuery::pg_tsquery`]
///   (all terms), **or**
/// * its `contact_points` contain every one of [`SearchQuery::substrings`] **and** its
///   `search_tokens` match the residual expression
///   ([`SearchQuery::residual_fts5_match`] / [`SearchQuery::residual_pg_tsquery`]; no
///   condition when that is `None`). The residual leaves out the terms that came from
///   the phone number and code fragments, so "张伟 13812345678" finds 张伟 whose stored phone
///   is written `138-1234-5678`.
///
/// When there are neither terms nor substrings, [`SearchQuery::like_fallback`] holds what
/// was too short for any index (one letter, two digits); run a bounded
/// `LIKE '%…%'` over display columns with [`like_contains_pattern`], or show nothing.
///
/// Every string this type produces is built only from normalised letters, digits and
/// (for substrings) a few punctuation characters, quoted and escaped for its target
/// syntax, and passed as a bound parameter: a user cannot cause a syntax error or
/// change the query's structure.
///
/// SQLite (FTS5 tables `x_fts(search_tokens)` with `tokenize='unicode61'` and
/// `x_cp(contact_points)` with `tokenize='trigram'`):
///
/// ```sql
/// SELECT rowid FROM x_fts WHERE x_fts MATCH ?1                  -- fts5_match()
/// UNION
/// SELECT rowid FROM x_cp WHERE x_cp MATCH ?2                    -- fts5_trigram_match()
///   AND (?3 IS NULL OR rowid IN (SELECT rowid FROM x_fts WHERE x_fts MATCH ?3))
/// ```
///
/// PostgreSQL (`GIN (search_vector)`, stored as `to_tsvector('simple', search_tokens)`;
/// `GIN (contact_points gin_trgm_ops)`):
///
/// ```sql
/// WHERE search_vector @@ to_tsquery('simple', $1)                -- pg_tsquery()
///    OR (contact_points LIKE $2 AND contact_points LIKE $3 …     -- substring_like_patterns()
///        AND ($4::text IS NULL
///             OR search_vector @@ to_tsquery('simple', $4)))
/// ```
///
/// (One `LIKE` per pattern: PostgreSQL does not use a GIN index for `LIKE ALL (array)`.)
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchQuery {
    terms: Vec<Term>,
    substrings: Vec<String>,
    like_fallback: Vec<String>,
}

/// Parses what a user typed into a search box.
///
/// * Latin words (and other space-separated scripts, digits) of 2+ characters become
///   lower-cased prefix terms (`Smi` finds "Smith").
/// * A CJK run of one or two characters becomes one term (`张伟`; a single character as a
///   prefix term, so `李` finds every name that has 李 before another character); a
///   longer run becomes its bigrams, all required (`华为科技` → 华为, 为科, 科技), which
///   finds it anywhere inside a longer name because [`crate::index_tokens`] stores all
///   bigrams.
/// * Fragments that look like a phone number or code (3+ digits, letters mixed with
///   digits) are also normalised into [`SearchQuery::substrings`] for the trigram
///   index; phone digits written in groups (`138 1234 5678`) are joined.
/// * Parts of e-mail addresses and domains (anything with `@`, dotted names) become
///   their words, each one followed by more of the address as a whole word and the last
///   as a prefix: `zhang.wei@hua` → `zhang`, `wei`, `hua`*; `sales@` → `sales`. The
///   index holds an address's local part, its letters joined and its domain labels as
///   words, so this finds what people type of an address without a substring index
///   (and a word the user has finished typing never costs a prefix lookup).
/// * What is too short for the indexes (one Latin letter, fewer than three digits,
///   and a single CJK character, which the bigram index only finds at the start of a
///   bigram) goes to [`SearchQuery::like_fallback`].
///
/// Never fails: arbitrary input yields a query whose rendered expressions are either
/// `None` or well-formed.
#[must_use]
pub fn parse_query(q: &str) -> SearchQuery {
    let limited: String = q.chars().take(MAX_QUERY_CHARS).collect();
    let normalized = normalize(&limited);
    let mut query = SearchQuery::default();

    // Phone numbers, codes and e-mail addresses first: they decide which terms may be
    // replaced by a substring match (the `contact` flag) and which words are complete.
    let mut covered: Vec<(Range<usize>, Cover)> = Vec::new();
    for span in contact_spans(&normalized) {
        match classify_fragment(&normalized[span.clone()]) {
            Some(ContactFragment::Substring(s)) => {
                push_unique(&mut query.substrings, s, MAX_SUBSTRINGS);
                covered.push((span, Cover::Substring));
            }
            Some(ContactFragment::Short(s)) => {
                push_unique(&mut query.like_fallback, s, MAX_LIKE_FALLBACK);
                covered.push((span, Cover::Short));
            }
            Some(ContactFragment::Address) => covered.push((span, Cover::Address)),
            None => {}
        }
    }
    let coverage = |start: usize, len: usize| {
        covered
            .iter()
            .find(|(span, _)| span.start <= start && start + len <= span.end)
    };

    for run in runs(&normalized) {
        let cover = coverage(run.start, run.text.len());
        match run.class {
            Class::Word => {
                let word = truncate_word(run.text);
                match cover {
                    Some((span, Cover::Address)) => {
                        if run.start + run.text.len() < span.end {
                            query.push_term(word, false, false);
                        } else if word.chars().nth(1).is_some() {
                            query.push_term(word, true, false);
                        }
                        // A last word of one letter is still being typed and would
                        // match most of the index as a prefix: left out.
                    }
                    Some((_, cover)) => {
                        if word.chars().nth(1).is_some() {
                            query.push_term(word, true, *cover == Cover::Substring);
                        }
                    }
                    None if word.chars().nth(1).is_some() => query.push_term(word, true, false),
                    None => {
                        // One letter: a prefix query on it would match most of the index.
                        push_unique(&mut query.like_fallback, word.to_owned(), MAX_LIKE_FALLBACK);
                    }
                }
            }
            Class::Cjk => match run.text.chars().count() {
                1 => {
                    query.push_term(run.text, true, false);
                    push_unique(
                        &mut query.like_fallback,
                        run.text.to_owned(),
                        MAX_LIKE_FALLBACK,
                    );
                }
                2 => query.push_term(run.text, false, false),
                _ => {
                    for gram in bigrams(run.text) {
                        query.push_term(gram, false, false);
                    }
                }
            },
            Class::Sep => {}
        }
    }
    query
}

/// How a query fragment of contact characters is searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cover {
    /// By substring (phone numbers, codes); its words may stand aside for it.
    Substring,
    /// Too short for the substring index: the `LIKE` fallback.
    Short,
    /// By its words (e-mail addresses, domains).
    Address,
}

impl SearchQuery {
    /// The full-text terms, all of which must match.
    #[must_use]
    pub fn terms(&self) -> &[Term] {
        &self.terms
    }

    /// Normalised phone digits and codes (3+ characters each), all of
    /// which must occur in `contact_points`. Use [`SearchQuery::fts5_trigram_match`] or
    /// [`SearchQuery::substring_like_patterns`] rather than splicing these into SQL.
    #[must_use]
    pub fn substrings(&self) -> &[String] {
        &self.substrings
    }

    /// Fragments too short for any index, for a bounded `LIKE` search when the query has
    /// nothing else (see [`like_contains_pattern`]).
    #[must_use]
    pub fn like_fallback(&self) -> &[String] {
        &self.like_fallback
    }

    /// True when the query contains nothing searchable (empty, only punctuation, emoji).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty() && self.substrings.is_empty() && self.like_fallback.is_empty()
    }

    /// An FTS5 `MATCH` expression for the `search_tokens` table requiring every term:
    /// `"smith"* AND "华为"`. `None` when there are no terms.
    #[must_use]
    pub fn fts5_match(&self) -> Option<String> {
        fts5_expr(self.terms.iter())
    }

    /// A query for PostgreSQL's `to_tsquery('simple', $1)` requiring every term:
    /// `'smith':* & '华为'`. `None` when there are no terms.
    #[must_use]
    pub fn pg_tsquery(&self) -> Option<String> {
        pg_expr(self.terms.iter())
    }

    /// Like [`SearchQuery::fts5_match`] but without the terms that a
    /// [`SearchQuery::substrings`] match stands in for; combine it with the trigram
    /// condition (see the type's docs). `None` when no term is left.
    #[must_use]
    pub fn residual_fts5_match(&self) -> Option<String> {
        fts5_expr(self.terms.iter().filter(|t| !t.contact))
    }

    /// Like [`SearchQuery::pg_tsquery`] but without the terms that a
    /// [`SearchQuery::substrings`] match stands in for. `None` when no term is left.
    #[must_use]
    pub fn residual_pg_tsquery(&self) -> Option<String> {
        pg_expr(self.terms.iter().filter(|t| !t.contact))
    }

    /// An FTS5 `MATCH` expression for a `tokenize='trigram'` table over
    /// `contact_points`, requiring every substring: `"5678" AND "ann@ex"`. `None` when
    /// there are no substrings.
    ///
    /// Use this rather than `LIKE` on SQLite: FTS5 only uses the trigram index for
    /// `LIKE` without an `ESCAPE` clause, and without one a `_` in an e-mail address
    /// would be a wildcard.
    #[must_use]
    pub fn fts5_trigram_match(&self) -> Option<String> {
        if self.substrings.is_empty() {
            return None;
        }
        let parts: Vec<String> = self.substrings.iter().map(|s| fts5_quote(s)).collect();
        Some(parts.join(" AND "))
    }

    /// `LIKE` patterns (`%5678%`) for PostgreSQL's `contact_points LIKE $n`, one condition
    /// per pattern AND-ed (a `pg_trgm` GIN index serves each; it is not used for
    /// `LIKE ALL (array)`), with `%`, `_` and `\` escaped for the default backslash escape
    /// character.
    #[must_use]
    pub fn substring_like_patterns(&self) -> Vec<String> {
        self.substrings
            .iter()
            .map(|s| like_contains_pattern(s))
            .collect()
    }

    /// The same terms as whole words only: no prefix completions (`smith`, not
    /// `smithson`), no substrings and no `LIKE` fragments. Every record it matches, the
    /// query matches too, and it is cheap everywhere: a prefix term over a common word
    /// makes FTS5 gather every completion's matches before it can return the newest
    /// (6–15 ms for `sales` or `李` on a million records), a whole word is read newest
    /// first and stops after a page. The global search shows these matches first.
    ///
    /// `None` when it would be the query itself (no prefix terms, substrings or
    /// fragments) or would have no terms.
    #[must_use]
    pub fn whole_words(&self) -> Option<SearchQuery> {
        let narrower = self.terms.iter().any(|t| t.prefix)
            || !self.substrings.is_empty()
            || !self.like_fallback.is_empty();
        if self.terms.is_empty() || !narrower {
            return None;
        }
        let mut words = SearchQuery::default();
        for term in &self.terms {
            words.push_term(&term.text, false, false);
        }
        Some(words)
    }

    fn push_term(&mut self, text: &str, prefix: bool, contact: bool) {
        if self.terms.len() >= MAX_TERMS {
            return;
        }
        if let Some(existing) = self
            .terms
            .iter_mut()
            .find(|t| t.text == text && t.prefix == prefix)
        {
            // The same word typed twice: if either occurrence is an ordinary word, the
            // residual query must still require it.
            existing.contact &= contact;
            return;
        }
        self.terms.push(Term {
            text: text.to_owned(),
            prefix,
            contact,
        });
    }
}

/// A `LIKE` pattern matching values that contain `fragment`: `%fragment%` with `\`, `%`
/// and `_` escaped by a backslash.
///
/// PostgreSQL uses `\` as the `LIKE` escape character by default; on SQLite add
/// `ESCAPE '\'`.
#[must_use]
pub fn like_contains_pattern(fragment: &str) -> String {
    let mut out = String::with_capacity(fragment.len() + 2);
    out.push('%');
    for c in fragment.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// Byte ranges of the query that may be a phone number, e-mail address or code:
/// maximal runs of contact characters, with phone-number groups separated only by
/// spaces (`+86 138 1234 5678`) merged into one range.
fn contact_spans(s: &str) -> Vec<Range<usize>> {
    let mut pieces: Vec<Range<usize>> = Vec::new();
    let mut start = None;
    for (i, c) in s.char_indices() {
        match (is_contact_char(c), start) {
            (true, None) => start = Some(i),
            (false, Some(st)) => {
                pieces.push(st..i);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(st) = start {
        pieces.push(st..s.len());
    }

    let mut merged: Vec<Range<usize>> = Vec::new();
    for piece in pieces {
        if let Some(last) = merged.last_mut() {
            let gap_is_spaces = s[last.end..piece.start].chars().all(|c| c == ' ');
            if gap_is_spaces && is_phone_like(&s[last.clone()]) && is_phone_like(&s[piece.clone()])
            {
                last.end = piece.end;
                continue;
            }
        }
        merged.push(piece);
    }
    merged
}

fn push_unique(list: &mut Vec<String>, item: String, max: usize) {
    if list.len() < max && !list.contains(&item) {
        list.push(item);
    }
}

/// A double-quoted FTS5 string; a `"` inside is written `""`. Inside quotes FTS5 treats
/// everything (`AND`, `NEAR`, `*`, `:`, parentheses) as text to tokenise.
fn fts5_quote(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn fts5_expr<'a>(terms: impl Iterator<Item = &'a Term>) -> Option<String> {
    let parts: Vec<String> = terms
        .map(|t| {
            let mut p = fts5_quote(&t.text);
            if t.prefix {
                p.push('*');
            }
            p
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join(" AND "))
}

/// A single-quoted tsquery lexeme; `'` is doubled and `\` escaped, as `to_tsquery`
/// expects. Term texts are letters and digits only, so this is defence in depth.
fn pg_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            _ => out.push(c),
        }
    }
    out.push('\'');
    out
}

fn pg_expr<'a>(terms: impl Iterator<Item = &'a Term>) -> Option<String> {
    let parts: Vec<String> = terms
        .map(|t| {
            let mut p = pg_quote(&t.text);
            if t.prefix {
                p.push_str(":*");
            }
            p
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join(" & "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(q: &str) -> Vec<(String, bool)> {
        parse_query(q)
            .terms()
            .iter()
            .map(|t| (t.text().to_owned(), t.is_prefix()))
            .collect()
    }

    #[test]
    fn latin_words_are_lower_cased_prefixes() {
        let q = parse_query("Ann SMITH");
        assert_eq!(q.fts5_match().unwrap(), r#""ann"* AND "smith"*"#);
        assert_eq!(q.pg_tsquery().unwrap(), "'ann':* & 'smith':*");
        assert!(q.substrings().is_empty());
    }

    #[test]
    fn cjk_runs() {
        assert_eq!(terms("张伟"), [("张伟".to_owned(), false)]);
        assert_eq!(
            terms("华为科技"),
            [
                ("华为".to_owned(), false),
                ("为科".to_owned(), false),
                ("科技".to_owned(), false)
            ]
        );
        let q = parse_query("李");
        assert_eq!(q.fts5_match().unwrap(), r#""李"*"#);
        assert_eq!(q.pg_tsquery().unwrap(), "'李':*");
        assert_eq!(q.like_fallback(), ["李"]);
    }

    #[test]
    fn mixed_query() {
        let q = parse_query("华为 Smith，科技");
        assert_eq!(q.fts5_match().unwrap(), r#""华为" AND "smith"* AND "科技""#);
    }

    #[test]
    fn phone_fragments_become_substrings() {
        let q = parse_query("+86 (138) 1234-5678");
        assert_eq!(q.substrings(), ["8613812345678"]);
        assert_eq!(q.residual_fts5_match(), None);
        assert_eq!(
            q.fts5_match().unwrap(),
            r#""86"* AND "138"* AND "1234"* AND "5678"*"#
        );

        let q = parse_query("张伟 138-1234");
        assert_eq!(q.substrings(), ["1381234"]);
        assert_eq!(q.residual_fts5_match().unwrap(), r#""张伟""#);
        assert_eq!(q.residual_pg_tsquery().unwrap(), "'张伟'");
    }

    #[test]
    fn code_fragments_become_substrings() {
        assert_eq!(parse_query("KH-2024-0001").substrings(), ["kh20240001"]);
        assert!(parse_query("smith").substrings().is_empty());
    }

    #[test]
    fn email_fragments_become_words_the_last_one_a_prefix() {
        let q = parse_query("Zhang.Wei@Hua");
        assert!(q.substrings().is_empty());
        assert_eq!(
            terms("Zhang.Wei@Hua"),
            [
                ("zhang".to_owned(), false),
                ("wei".to_owned(), false),
                ("hua".to_owned(), true)
            ]
        );
        assert_eq!(terms("sales@"), [("sales".to_owned(), false)]);
        assert_eq!(
            terms("<ann@x.cn>;"),
            [
                ("ann".to_owned(), false),
                ("x".to_owned(), false),
                ("cn".to_owned(), true)
            ]
        );
        assert_eq!(
            terms("example.com"),
            [("example".to_owned(), false), ("com".to_owned(), true)]
        );
        // A last letter is still being typed: left out rather than matching everything.
        assert_eq!(terms("wang.l"), [("wang".to_owned(), false)]);
        assert!(parse_query("@").is_empty());
    }

    #[test]
    fn short_fragments_go_to_the_like_fallback() {
        let q = parse_query("a 12");
        assert_eq!(q.like_fallback(), ["12", "a"]);
        assert!(q.substrings().is_empty());
        // "12" is still a (cheap enough) two-character prefix term.
        assert_eq!(q.fts5_match().unwrap(), r#""12"*"#);
        assert!(!q.is_empty());
    }

    #[test]
    fn operators_are_quoted_text() {
        let q = parse_query(r#"foo" OR bar* NEAR(x y) -baz ^qux col:val AND'"#);
        assert_eq!(
            q.fts5_match().unwrap(),
            r#""foo"* AND "or"* AND "bar"* AND "near"* AND "baz"* AND "qux"* AND "col"* AND "val"* AND "and"*"#
        );
        let q = parse_query("a & b | !c <-> (d) 'e':*");
        assert_eq!(q.pg_tsquery(), None);
        assert_eq!(q.like_fallback().len(), MAX_LIKE_FALLBACK);
    }

    #[test]
    fn whole_words_drop_prefixes_substrings_and_fragments() {
        let q = parse_query("Wang.Li 李 5678");
        let words = q.whole_words().unwrap();
        assert_eq!(
            words.fts5_match().unwrap(),
            r#""wang" AND "li" AND "李" AND "5678""#
        );
        assert_eq!(words.pg_tsquery().unwrap(), "'wang' & 'li' & '李' & '5678'");
        assert!(words.substrings().is_empty());
        assert!(words.like_fallback().is_empty());
        // Nothing narrower to try first: bigrams are whole words already.
        assert_eq!(parse_query("华为科技").whole_words(), None);
        // Only a fragment too short for the indexes: no words at all.
        assert_eq!(parse_query("a").whole_words(), None);
    }

    #[test]
    fn nothing_searchable() {
        for q in ["", "   ", "!!!", "😀🎉", "\"\"", "*", "\u{0}\u{7f}"] {
            let parsed = parse_query(q);
            assert!(parsed.is_empty(), "{q:?} gave {parsed:?}");
            assert_eq!(parsed.fts5_match(), None);
            assert_eq!(parsed.pg_tsquery(), None);
            assert_eq!(parsed.fts5_trigram_match(), None);
        }
    }

    #[test]
    fn repeated_words_appear_once() {
        assert_eq!(terms("smith Smith SMITH"), [("smith".to_owned(), true)]);
    }

    #[test]
    fn long_input_is_bounded() {
        let q = parse_query(&"word ".repeat(10_000));
        assert_eq!(q.terms().len(), 1);
        let many: String = (0..500).map(|i| format!("w{i}x ")).collect();
        assert!(parse_query(&many).terms().len() <= MAX_TERMS);
    }

    #[test]
    fn like_patterns_are_escaped() {
        assert_eq!(like_contains_pattern(r"a_b%c\d"), r"%a\_b\%c\\d%");
        assert_eq!(
            parse_query("kh_2024_0001").substring_like_patterns(),
            [r"%kh20240001%"]
        );
    }

    #[test]
    fn trigram_match_is_quoted() {
        // `"` cannot reach a substring (it is not a contact character), but the
        // quoting would cope with it.
        let q = parse_query(r#"a"kh-01 5678"#);
        assert_eq!(q.fts5_trigram_match().unwrap(), r#""kh01" AND "5678""#);
        assert_eq!(fts5_quote(r#"x"y"#), r#""x""y""#);
        assert_eq!(pg_quote(r"x'y\z"), r"'x''y\\z'");
    }
}
