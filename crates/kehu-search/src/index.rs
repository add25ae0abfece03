//! Building the `search_tokens` column.

use std::collections::HashSet;

use crate::text::{bigrams, normalize, runs, sci_notation_len, truncate_word, Class, JIEBA};

/// Builds the text stored in a record's `search_tokens` column from its searchable
/// fields (name, company, e-mail, phone, city, tags, …).
///
/// The result is a space-separated list of distinct tokens, in order of first
/// appearance:
///
/// * Latin (and other space-separated scripts) and digits: words split on anything that
///   is not a letter or digit, lower-cased, diacritics removed, at most 64 characters.
///   An e-mail address therefore yields its local part and domain labels as words
///   (`ann@example.com` → `ann example com`); a dotted local part additionally yields
///   its letters joined (`zhang.wei@…` → `zhang wei zhangwei`), since people search
///   for the name without the dot.
/// * Chinese (CJK) text: the words jieba's search mode finds, plus every two-character
///   substring of each CJK run, plus the run's first character (the whole run when it is
///   one character). The bigrams make any 2+ character substring of a name findable: a
///   query's CJK run is turned into the same bigrams by [`crate::parse_query`], all of
///   which must match. The first character is a surname typed alone (`李`): as a whole
///   word it is read newest first and stops after a page, where the prefix `李*` gathers
///   every name beginning with 李 first (30–115 ms on a million records).
///
/// Every token is one word for SQLite FTS5 `unicode61` and for PostgreSQL's
/// `to_tsvector('simple', …)`, so both backends index exactly these tokens.
///
/// ```
/// let tokens = kehu_search::index_tokens(["北京华为科技有限公司", "Ann Smith", "ann@example.com"]);
/// let tokens: Vec<&str> = tokens.split(' ').collect();
/// for t in ["华为", "科技", "有限", "公司", "ann", "smith", "example"] {
///     assert!(tokens.contains(&t), "{t} missing from {tokens:?}");
/// }
/// ```
#[must_use]
pub fn index_tokens<'a>(fields: impl IntoIterator<Item = &'a str>) -> String {
    let mut tokens = Tokens::default();
    for field in fields {
        let normalized = normalize(field);
        for run in runs(&normalized) {
            match run.class {
                Class::Word => {
                    let word = truncate_word(run.text);
                    tokens.push(word);
                    for part in letter_and_digit_parts(word) {
                        tokens.push(part);
                    }
                }
                Class::Cjk => add_cjk_run(&mut tokens, run.text),
                Class::Sep => {}
            }
        }
        add_email_local_parts(&mut tokens, &normalized);
    }
    tokens.out
}

/// Ordered, de-duplicated token list rendered directly into the output string.
#[derive(Default)]
struct Tokens {
    seen: HashSet<String>,
    out: String,
}

impl Tokens {
    fn push(&mut self, token: &str) {
        if token.is_empty() || self.seen.contains(token) {
            return;
        }
        self.seen.insert(token.to_owned());
        if !self.out.is_empty() {
            self.out.push(' ');
        }
        self.out.push_str(token);
    }
}

fn add_cjk_run(tokens: &mut Tokens, run: &str) {
    if run.chars().nth(1).is_none() {
        // A lone character has no bigram; store it so a one-character query (a surname
        // written apart, "李 先生") can find it.
        tokens.push(run);
        return;
    }
    // jieba first: its words are the "natural" tokens and help ranking; the input is a
    // pure CJK run, so every word it returns is a substring made of CJK letters only.
    for word in JIEBA.cut_for_search(run, true) {
        tokens.push(word);
    }
    for gram in bigrams(run) {
        tokens.push(gram);
    }
    if let Some((end, _)) = run.char_indices().nth(1) {
        tokens.push(&run[..end]);
    }
}

/// The letter parts and digit parts of a word that has both, two characters or longer:
/// `northwind2353` → `northwind`, `2353`; `wang398` → `wang`, `398`. E-mail domains,
/// product names and account names glue words to numbers, and people type the word.
fn letter_and_digit_parts(word: &str) -> impl Iterator<Item = &str> {
    let mixed =
        word.bytes().any(|b| b.is_ascii_digit()) && !word.bytes().all(|b| b.is_ascii_digit());
    let mut parts = Vec::new();
    if mixed {
        let mut start = 0;
        let mut digits = None;
        for (i, c) in word.char_indices() {
            let is_digit = c.is_ascii_digit();
            if digits.is_some_and(|d| d != is_digit) {
                parts.push(&word[start..i]);
                start = i;
            }
            digits = Some(is_digit);
        }
        parts.push(&word[start..]);
    }
    parts.into_iter().filter(|p| p.chars().nth(1).is_some())
}

/// For each e-mail-looking fragment whose local part contains separators (`zhang.wei`,
/// `ann_lee`), adds the local part's letters joined together.
fn add_email_local_parts(tokens: &mut Tokens, normalized: &str) {
    for fragment in normalized.split(' ') {
        let Some((local, domain)) = fragment.rsplit_once('@') else {
            continue;
        };
        if local.is_empty() || domain.is_empty() {
            continue;
        }
        let local_runs = runs(local);
        if local_runs.len() < 2 || local_runs.iter().any(|r| r.class != Class::Word) {
            continue;
        }
        let joined: String = local_runs.iter().map(|r| r.text).collect();
        if sci_notation_len(&joined) != joined.len() {
            // PostgreSQL would split it again ("1e5.x" → "1e5x" → '1e5' 'x').
            continue;
        }
        tokens.push(truncate_word(&joined));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(fields: &[&str]) -> Vec<String> {
        index_tokens(fields.iter().copied())
            .split(' ')
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn latin_words_are_lower_cased_and_split_on_punctuation() {
        assert_eq!(
            toks(&["Ann O'Brien-Smith", "ACME Corp."]),
            ["ann", "o", "brien", "smith", "acme", "corp"]
        );
    }

    #[test]
    fn duplicates_are_removed_across_fields() {
        assert_eq!(toks(&["Smith", "smith", "SMITH & Co"]), ["smith", "co"]);
    }

    #[test]
    fn email_yields_local_part_domain_and_joined_local_part() {
        assert_eq!(
            toks(&["Zhang.Wei@Huawei.com.cn"]),
            ["zhang", "wei", "huawei", "com", "cn", "zhangwei"]
        );
        assert_eq!(toks(&["ann@example.com"]), ["ann", "example", "com"]);
    }

    #[test]
    fn words_glued_to_numbers_yield_both_parts() {
        assert_eq!(
            toks(&["sales@northwind2353.example", "iPhone15 mp3"]),
            [
                "sales",
                "northwind2353",
                "northwind",
                "2353",
                "example",
                "iphone15",
                "iphone",
                "15",
                "mp3",
                "mp"
            ]
        );
    }

    #[test]
    fn phone_number_yields_its_digit_groups() {
        assert_eq!(toks(&["+86 138-1234-5678"]), ["86", "138", "1234", "5678"]);
    }

    #[test]
    fn chinese_company_name_has_jieba_words_and_all_bigrams() {
        let t = toks(&["北京华为科技有限公司"]);
        for expected in [
            "北京", "京华", "华为", "为科", "科技", "技有", "有限", "限公", "公司",
        ] {
            assert!(t.iter().any(|x| x == expected), "{expected} not in {t:?}");
        }
    }

    #[test]
    fn chinese_names() {
        assert!(toks(&["张伟"]).contains(&"张伟".to_owned()));
        let t = toks(&["李小明"]);
        assert!(t.contains(&"李小".to_owned()) && t.contains(&"小明".to_owned()));
        // A lone character is kept as a token.
        assert_eq!(toks(&["李 先生"]), ["李", "先生", "先"]);
    }

    #[test]
    fn a_surname_typed_alone_is_a_whole_word() {
        for name in ["李小明", "李娜", "欧阳娜娜"] {
            let first = &name[..name.char_indices().nth(1).unwrap().0];
            assert!(
                toks(&[name]).iter().any(|t| t == first),
                "{first} of {name}"
            );
            let words = crate::parse_query(first).whole_words().unwrap();
            assert_eq!(words.fts5_match().unwrap(), format!("\"{first}\""));
        }
        assert!(
            !toks(&["王李"]).contains(&"李".to_owned()),
            "only the first character"
        );
    }

    #[test]
    fn mixed_scripts_are_separate_tokens() {
        assert_eq!(toks(&["iPhone手机"]), ["iphone", "手机", "手"]);
    }

    #[test]
    fn every_token_is_a_single_word_for_both_backends() {
        let t = toks(&[
            "😀Emoji™ x² Ⓐ ①②",
            "“北京”，（华为）！",
            "tab\there\nnew line\u{0}nul",
            "ｆｕｌｌ－ｗｉｄｔｈ",
        ]);
        for token in &t {
            assert!(
                token
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || (!c.is_ascii() && c.is_alphabetic())),
                "{token:?} has a separator inside"
            );
        }
        assert!(t.contains(&"full".to_owned()) && t.contains(&"width".to_owned()));
    }

    #[test]
    fn long_words_are_truncated() {
        let long = "a".repeat(500);
        assert_eq!(toks(&[&long])[0].len(), crate::text::MAX_TOKEN_CHARS);
    }

    #[test]
    fn empty_input_gives_empty_string() {
        assert_eq!(index_tokens([]), "");
        assert_eq!(index_tokens(["", "  ", "!!!"]), "");
    }
}
