//! What a user finds: records are indexed with `index_tokens` / `contact_points` and
//! searched with `parse_query`, against a small in-memory model of the two indexes.
//!
//! The model follows the documented matching rule of `SearchQuery`: full-text on all
//! terms, or trigram on all substrings plus the residual terms. Full-text matching is
//! token equality (or prefix for prefix terms), which is what FTS5 `unicode61` and
//! PostgreSQL `simple` do with these tokens; trigram matching is substring containment.

use kehu_search::{contact_points, index_tokens, parse_query, Term};

struct Record {
    search_tokens: String,
    contact_points: String,
}

fn record(fields: &[&str], contacts: &[&str]) -> Record {
    Record {
        // Contact values are searchable as words too, as a repository would index them.
        search_tokens: index_tokens(fields.iter().chain(contacts).copied()),
        contact_points: contact_points(contacts.iter().copied()),
    }
}

impl Record {
    fn has_term(&self, term: &Term) -> bool {
        self.search_tokens.split(' ').any(|tok| {
            if term.is_prefix() {
                tok.starts_with(term.text())
            } else {
                tok == term.text()
            }
        })
    }

    fn found_by(&self, query: &str) -> bool {
        let q = parse_query(query);
        let full_text = !q.terms().is_empty() && q.terms().iter().all(|t| self.has_term(t));
        let substring = !q.substrings().is_empty()
            && q.substrings()
                .iter()
                .all(|s| self.contact_points.contains(s.as_str()))
            && q.terms()
                .iter()
                .filter(|t| !t.is_covered_by_substring())
                .all(|t| self.has_term(t));
        full_text || substring
    }
}

#[track_caller]
fn assert_found(r: &Record, queries: &[&str]) {
    for q in queries {
        assert!(
            r.found_by(q),
            "{q:?} should find {:?} / {:?}; query {:?}",
            r.search_tokens,
            r.contact_points,
            parse_query(q)
        );
    }
}

#[track_caller]
fn assert_not_found(r: &Record, queries: &[&str]) {
    for q in queries {
        assert!(
            !r.found_by(q),
            "{q:?} should not find {:?} / {:?}",
            r.search_tokens,
            r.contact_points
        );
    }
}

#[test]
fn chinese_company_name_is_found_by_any_part() {
    let r = record(&["北京华为科技有限公司"], &[]);
    assert_found(
        &r,
        &[
            "科技",
            "华为科技",
            "有限公司",
            "华为",
            "北京华为",
            "北京华为科技有限公司",
            "为科技有",
        ],
    );
    assert_not_found(&r, &["腾讯", "上海华为", "科技公司"]);
}

#[test]
fn three_character_chinese_name() {
    let r = record(&["李小明"], &[]);
    assert_found(&r, &["小明", "李小明", "李小", "李"]);
    assert_not_found(&r, &["李明", "王小明"]);
}

#[test]
fn two_character_chinese_names() {
    let zhang = record(&["张伟"], &[]);
    let wang = record(&["王芳"], &[]);
    assert_found(&zhang, &["张伟", "张"]);
    assert_found(&wang, &["王芳", "王"]);
    assert_not_found(&zhang, &["王芳", "张芳"]);
    assert_not_found(&wang, &["张伟", "王伟"]);
}

#[test]
fn a_single_character_at_the_end_of_a_name_needs_the_like_fallback() {
    // The bigram index finds a character only at the start of a bigram; the query says
    // so by putting the character in the LIKE fallback list.
    let r = record(&["张伟"], &[]);
    assert!(!r.found_by("伟"));
    assert_eq!(parse_query("伟").like_fallback(), ["伟"]);
}

#[test]
fn english_names() {
    let r = record(&["John Smith", "Acme Corp."], &[]);
    assert_found(
        &r,
        &["Smith", "smith", "SMI", "john smith", "Smith, John", "acme"],
    );
    assert_not_found(&r, &["smyth", "john doe"]);
}

#[test]
fn accented_names_are_found_without_accents() {
    let r = record(&["José Müller", "Lǚ Xiǎomíng"], &[]);
    assert_found(&r, &["jose", "José", "muller", "MÜLLER", "lu xiaoming"]);
}

#[test]
fn mixed_chinese_and_english() {
    let r = record(&["Apple 苹果电脑 (中国) 有限公司"], &[]);
    assert_found(&r, &["apple 苹果", "苹果电脑", "中国", "apple有限公司"]);
}

#[test]
fn email_is_found_by_local_part_domain_and_whole_address() {
    let r = record(&["Ann Lee"], &["ann@example.com"]);
    assert_found(
        &r,
        &[
            "ann",
            "example",
            "ann@example.com",
            "example.com",
            "ANN@EXAMPLE.COM",
        ],
    );
    assert_not_found(&r, &["bob@example.com", "example.org"]);
}

#[test]
fn dotted_email_is_found_by_joined_name() {
    let r = record(&["张伟"], &["zhang.wei@huawei.com"]);
    assert_found(&r, &["zhangwei", "zhang.wei", "zhang wei", "huawei"]);
}

#[test]
fn phone_number_is_found_by_its_digits_in_any_spelling() {
    let r = record(&["张伟"], &["+86 138-1234-5678"]);
    assert_found(
        &r,
        &[
            "5678",
            "13812345678",
            "138 1234 5678",
            "138-1234-5678",
            "+86 138",
            "+8613812345678",
            "1234-5678",
            "12345",
            "１３８１２３４５６７８",
            "张伟 13812345678",
        ],
    );
    assert_not_found(&r, &["13912345678", "王芳 13812345678", "8765"]);
}

#[test]
fn phone_written_without_separators() {
    let r = record(&["王芳"], &["13812345678"]);
    assert_found(&r, &["5678", "138", "138-1234-5678", "王芳 5678"]);
}

#[test]
fn customer_codes() {
    let r = record(&["Acme"], &["KH-2024-0001"]);
    assert_found(&r, &["KH-2024-0001", "kh20240001", "2024-0001", "kh-2024"]);
    assert_not_found(&r, &["KH-2023-0001"]);
}
