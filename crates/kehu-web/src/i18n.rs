//! The user interface's message catalogues (`zh-CN`, `en`) and choosing a language.
//!
//! Every string a page shows goes through [`Tr`]: labels by key, field names, picklist
//! kinds, permission actions and scopes, roles, timeline actions and validation error
//! codes. The catalogues are TOML files compiled into the binary; nested tables give
//! dotted keys (`[nav] home = …` is `nav.home`).

use kehu_core::entity::CustomFieldDef;
use kehu_core::FieldError;
use std::collections::HashMap;
use std::sync::OnceLock;

/// A language the interface speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Locale {
    /// Simplified Chinese.
    ZhCn,
    /// English.
    En,
}

impl Locale {
    /// Every supported locale, in the order the language switcher lists them.
    pub const ALL: [Locale; 2] = [Locale::ZhCn, Locale::En];

    /// The BCP 47 tag, stored in `users.locale` and used as `<html lang>`.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::ZhCn => "zh-CN",
            Locale::En => "en",
        }
    }

    /// The language's own name, for the switcher.
    pub fn native_name(self) -> &'static str {
        match self {
            Locale::ZhCn => "简体中文",
            Locale::En => "English",
        }
    }

    /// Reads a stored or submitted tag; any Chinese tag is `zh-CN`, any English one `en`.
    pub fn from_tag(tag: &str) -> Option<Locale> {
        let primary = tag
            .trim()
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match primary.as_str() {
            "zh" => Some(Locale::ZhCn),
            "en" => Some(Locale::En),
            _ => None,
        }
    }

    /// The language for a request: the user's saved choice, else the browser's
    /// `Accept-Language` (any `zh*` → Chinese, anything else → English).
    pub fn negotiate(saved: Option<&str>, accept_language: Option<&str>) -> Locale {
        if let Some(locale) = saved.and_then(Locale::from_tag) {
            return locale;
        }
        let Some(header) = accept_language else {
            return Locale::En;
        };
        let mut best: Option<(f32, Locale)> = None;
        for (position, item) in header.split(',').enumerate() {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("").trim();
            let quality = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            // Earlier entries win ties, as browsers list preferences in order.
            let score = quality - position as f32 * 1e-4;
            let locale = if tag.to_ascii_lowercase().starts_with("zh") {
                Locale::ZhCn
            } else {
                Locale::En
            };
            if tag.is_empty() || tag == "*" || quality <= 0.0 {
                continue;
            }
            if best.is_none_or(|(s, _)| score > s) {
                best = Some((score, locale));
            }
        }
        best.map(|(_, l)| l).unwrap_or(Locale::En)
    }
}

type Catalogue = HashMap<String, String>;

fn flatten(prefix: &str, table: &toml::Table, out: &mut Catalogue) {
    for (key, value) in table {
        let full = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::Table(inner) => flatten(&full, inner, out),
            toml::Value::String(text) => {
                out.insert(full, text.clone());
            }
            other => {
                out.insert(full, other.to_string());
            }
        }
    }
}

/// Parses a catalogue file into dotted keys.
pub fn parse_catalogue(source: &str) -> Result<Catalogue, toml::de::Error> {
    let table: toml::Table = toml::from_str(source)?;
    let mut out = Catalogue::new();
    flatten("", &table, &mut out);
    Ok(out)
}

/// The catalogue files as compiled in, by locale.
pub const SOURCES: [(Locale, &str); 2] = [
    (Locale::ZhCn, include_str!("../i18n/zh-CN.toml")),
    (Locale::En, include_str!("../i18n/en.toml")),
];

fn catalogue(locale: Locale) -> &'static Catalogue {
    static LOADED: OnceLock<HashMap<Locale, Catalogue>> = OnceLock::new();
    let all = LOADED.get_or_init(|| {
        SOURCES
            .iter()
            .map(|(locale, source)| {
                // A broken catalogue is a build defect that the catalogue tests catch.
                let parsed = parse_catalogue(source)
                    .unwrap_or_else(|e| panic!("catalogue {}: {e}", locale.tag()));
                (*locale, parsed)
            })
            .collect()
    });
    &all[&locale]
}

/// A translator for one locale; cheap to copy into every template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tr {
    /// The language it translates into.
    pub locale: Locale,
}

impl Tr {
    /// A translator for a locale.
    pub fn new(locale: Locale) -> Tr {
        Tr { locale }
    }

    /// The `<html lang>` value.
    pub fn lang(&self) -> &'static str {
        self.locale.tag()
    }

    /// Whether the text is Chinese (for choosing between `label_zh` and `label_en`).
    pub fn is_chinese(&self) -> bool {
        self.locale == Locale::ZhCn
    }

    /// Looks a key up; a missing key shows itself, so it is noticed (and the catalogue
    /// tests fail).
    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        self.lookup(key).unwrap_or(key)
    }

    /// Looks a key up, if it exists.
    pub fn lookup(&self, key: &str) -> Option<&'static str> {
        catalogue(self.locale).get(key).map(String::as_str)
    }

    /// Looks a key up and fills `{name}` placeholders.
    pub fn fmt(&self, key: &str, args: &[(&str, &str)]) -> String {
        let mut text = self.t(key).to_string();
        for (name, value) in args {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    /// A number of things: "1 customer", "12 customers", "10,000+ customers". English needs
    /// the singular for exactly one (`{key}_one`); otherwise `{key}`, whose `{count}` is
    /// filled with `shown`, the number as the page writes it (grouped, perhaps capped).
    pub fn count(&self, key: &str, n: u64, shown: &str) -> String {
        let singular = if n == 1 {
            self.lookup(&format!("{key}_one"))
        } else {
            None
        };
        singular
            .or_else(|| self.lookup(key))
            .unwrap_or(key)
            .replace("{count}", shown)
    }

    /// The label of a built-in field (`field.account.name`, falling back to `field.common.*`).
    pub fn field(&self, entity: &str, field: &str) -> String {
        self.lookup(&format!("field.{entity}.{field}"))
            .or_else(|| self.lookup(&format!("field.common.{field}")))
            .unwrap_or(field)
            .to_string()
    }

    /// The label of a custom field in this language.
    pub fn custom_field(&self, def: &CustomFieldDef) -> String {
        if self.is_chinese() {
            def.label_zh.clone()
        } else {
            def.label_en.clone()
        }
    }

    /// The label of a field by the name events and errors use (`custom.KEY` for custom fields).
    pub fn any_field(&self, entity: &str, name: &str, custom: &[CustomFieldDef]) -> String {
        match name.strip_prefix("custom.") {
            Some(key) => custom
                .iter()
                .find(|c| c.key == key)
                .map(|c| self.custom_field(c))
                .unwrap_or_else(|| key.to_string()),
            None => self.field(entity, name),
        }
    }

    /// A value of a fixed choice field (`choice.lifecycle_status.active`); unknown values show as stored.
    pub fn choice(&self, field: &str, value: &str) -> String {
        self.lookup(&format!("choice.{field}.{value}"))
            .unwrap_or(value)
            .to_string()
    }

    /// The name of a picklist (`industry`, `level`, …).
    pub fn picklist(&self, list: &str) -> String {
        self.lookup(&format!("picklist.{list}"))
            .unwrap_or(list)
            .to_string()
    }

    /// An entity or administration area (`account`, `user`, `settings`, …).
    pub fn entity(&self, name: &str) -> String {
        self.lookup(&format!("entity.{name}"))
            .unwrap_or(name)
            .to_string()
    }

    /// A permission action (`read`, `edit`, …).
    pub fn action(&self, name: &str) -> String {
        self.lookup(&format!("action.{name}"))
            .unwrap_or(name)
            .to_string()
    }

    /// A permission scope (`all`, `team`, `own`, `none`).
    pub fn scope(&self, name: &str) -> String {
        self.lookup(&format!("scope.{name}"))
            .unwrap_or(name)
            .to_string()
    }

    /// A role; roles admins created show their own name.
    pub fn role(&self, name: &str) -> String {
        self.lookup(&format!("role.{name}"))
            .unwrap_or(name)
            .to_string()
    }

    /// What happened in a timeline event (`created`, `updated`, …).
    pub fn event(&self, action: &str) -> String {
        self.lookup(&format!("event.{action}"))
            .unwrap_or(action)
            .to_string()
    }

    /// A validation error, translated by its code. The maximum length of `too_long` is
    /// taken from the English message, the only place it is carried.
    pub fn error(&self, error: &FieldError) -> String {
        let Some(template) = self.lookup(&format!("error.{}", error.code)) else {
            return self.t("error.invalid").to_string();
        };
        let number: String = error
            .message
            .chars()
            .skip_while(|c| !c.is_ascii_digit())
            .take_while(char::is_ascii_digit)
            .collect();
        template.replace("{max}", &number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_preferred_supported_language() {
        assert_eq!(
            Locale::negotiate(None, Some("zh-CN,zh;q=0.9,en;q=0.8")),
            Locale::ZhCn
        );
        assert_eq!(Locale::negotiate(None, Some("zh-TW")), Locale::ZhCn);
        assert_eq!(
            Locale::negotiate(None, Some("en-US,en;q=0.9,zh-CN;q=0.8")),
            Locale::En
        );
        assert_eq!(Locale::negotiate(None, Some("de-DE,zh;q=0.5")), Locale::En);
        assert_eq!(
            Locale::negotiate(None, Some("fr;q=0.1, zh-Hans;q=0.9")),
            Locale::ZhCn
        );
        assert_eq!(Locale::negotiate(None, None), Locale::En);
        assert_eq!(Locale::negotiate(Some("en"), Some("zh-CN")), Locale::En);
        assert_eq!(
            Locale::negotiate(Some("bogus"), Some("zh-CN")),
            Locale::ZhCn
        );
    }

    #[test]
    fn both_catalogues_have_the_same_keys() {
        let zh = parse_catalogue(SOURCES[0].1).unwrap();
        let en = parse_catalogue(SOURCES[1].1).unwrap();
        let missing_in_en: Vec<_> = zh.keys().filter(|k| !en.contains_key(*k)).collect();
        let missing_in_zh: Vec<_> = en.keys().filter(|k| !zh.contains_key(*k)).collect();
        assert!(
            missing_in_en.is_empty(),
            "missing in en.toml: {missing_in_en:?}"
        );
        assert!(
            missing_in_zh.is_empty(),
            "missing in zh-CN.toml: {missing_in_zh:?}"
        );
        assert!(en.values().chain(zh.values()).all(|v| !v.trim().is_empty()));
    }

    /// Every file under `dir` (recursively) with one of the extensions.
    fn files(dir: &std::path::Path, extensions: &[&str], out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                files(&path, extensions, out);
            } else if path
                .extension()
                .is_some_and(|e| extensions.contains(&e.to_str().unwrap_or("")))
            {
                out.push(path);
            }
        }
    }

    /// The quoted literals in a text that look like catalogue keys of a known section.
    fn key_literals(text: &str, sections: &[String]) -> Vec<String> {
        let mut keys = Vec::new();
        for piece in text.split('"').skip(1).step_by(2) {
            let looks_like_key = piece.contains('.')
                && !piece.ends_with(".html")
                && piece
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_' || c == '.');
            if looks_like_key
                && sections
                    .iter()
                    .any(|s| piece.split('.').next() == Some(s.as_str()))
            {
                keys.push(piece.to_string());
            }
        }
        // Notices are named in redirect URLs (`?notice=deleted`) and `with(…, "notice", "…")`.
        for marker in ["notice=", "\"notice\", \""] {
            for (at, _) in text.match_indices(marker) {
                let name: String = text[at + marker.len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    keys.push(format!("notice.{name}"));
                }
            }
        }
        keys
    }

    #[test]
    fn every_key_the_pages_use_exists() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let en = parse_catalogue(SOURCES[1].1).unwrap();
        let mut sections: Vec<String> = en
            .keys()
            .filter_map(|k| k.split('.').next().map(str::to_string))
            .collect();
        sections.sort();
        sections.dedup();
        let mut paths = Vec::new();
        files(&root.join("templates"), &["html"], &mut paths);
        files(&root.join("src/pages"), &["rs"], &mut paths);
        let mut missing = Vec::new();
        let mut found = 0;
        for path in paths {
            let text = std::fs::read_to_string(&path).unwrap();
            for key in key_literals(&text, &sections) {
                found += 1;
                if !en.contains_key(&key) {
                    missing.push(format!("{key} ({})", path.display()));
                }
            }
        }
        assert!(
            found > 200,
            "the scan found only {found} keys; is it still looking in the right places?"
        );
        // Keys built at run time from a fixed set of names.
        for table in ["accounts", "contacts"] {
            for name in [
                "title",
                "new",
                "edit_title",
                "empty",
                "count",
                "count_one",
                "mass_title",
            ] {
                if !en.contains_key(&format!("{table}.{name}")) {
                    missing.push(format!("{table}.{name}"));
                }
            }
            for key in [format!("count.{table}"), format!("count.{table}_one")] {
                if !en.contains_key(&key) {
                    missing.push(key);
                }
            }
        }
        for (page, _) in crate::pages::ctx::ADMIN_AREAS {
            let key = format!("admin.tab_{}", page.replace('-', "_"));
            if !en.contains_key(&key) {
                missing.push(key);
            }
        }
        for kind in ["text", "number", "date", "select"] {
            if !en.contains_key(&format!("admin.kind_{kind}")) {
                missing.push(format!("admin.kind_{kind}"));
            }
        }
        assert!(
            missing.is_empty(),
            "keys used but not in the catalogue: {missing:#?}"
        );
    }

    #[test]
    fn counts_take_the_singular_for_exactly_one() {
        let en = Tr::new(Locale::En);
        assert_eq!(en.count("count.accounts", 1, "1"), "1 customer");
        assert_eq!(en.count("count.accounts", 0, "0"), "0 customers");
        assert_eq!(
            en.count("count.contacts", 12_345, "12,345"),
            "12,345 contacts"
        );
        assert_eq!(
            en.count("accounts.count", 10_000, "10,000+"),
            "10,000+ customers"
        );
        let zh = Tr::new(Locale::ZhCn);
        assert_eq!(zh.count("count.accounts", 1, "1"), "1 个客户");
        assert_eq!(zh.count("count.accounts", 3, "3"), "3 个客户");
    }

    #[test]
    fn errors_are_translated_by_code_with_the_limit() {
        let error = FieldError {
            code: "too_long".into(),
            message: "must be at most 200 characters".into(),
        };
        assert_eq!(Tr::new(Locale::ZhCn).error(&error), "不能超过 200 个字符");
        assert_eq!(
            Tr::new(Locale::En).error(&error),
            "must be at most 200 characters"
        );
        let unknown = FieldError {
            code: "brand_new".into(),
            message: "x".into(),
        };
        assert_eq!(
            Tr::new(Locale::En).error(&unknown),
            Tr::new(Locale::En).t("error.invalid")
        );
    }

    #[test]
    fn every_catalogued_field_choice_action_and_scope_has_a_label() {
        use kehu_core::entity::{FieldKind, ENTITIES};
        use kehu_core::permission::{permission_entities, Action, Scope};
        for locale in Locale::ALL {
            let tr = Tr::new(locale);
            for entity in ENTITIES {
                assert!(tr.lookup(&format!("entity.{}", entity.name)).is_some());
                for field in entity.fields {
                    let found = tr
                        .lookup(&format!("field.{}.{}", entity.name, field.name))
                        .is_some()
                        || tr.lookup(&format!("field.common.{}", field.name)).is_some();
                    assert!(
                        found,
                        "{}: no label for {}.{}",
                        locale.tag(),
                        entity.name,
                        field.name
                    );
                    match field.kind {
                        FieldKind::Choice(values) => {
                            for value in values {
                                assert!(
                                    tr.lookup(&format!("choice.{}.{value}", field.name))
                                        .is_some(),
                                    "choice {value}"
                                );
                            }
                        }
                        FieldKind::Picklist(list) => {
                            assert!(tr.lookup(&format!("picklist.{list}")).is_some())
                        }
                        _ => {}
                    }
                }
            }
            for area in permission_entities() {
                assert!(
                    tr.lookup(&format!("entity.{area}")).is_some(),
                    "entity {area}"
                );
            }
            for action in Action::ALL {
                assert!(tr.lookup(&format!("action.{}", action.as_str())).is_some());
            }
            for scope in Scope::ALL {
                assert!(tr.lookup(&format!("scope.{}", scope.as_str())).is_some());
            }
            for (role, _) in kehu_core::permission::default_roles() {
                assert!(tr.lookup(&format!("role.{role}")).is_some(), "role {role}");
            }
            for list in kehu_db::picklists::LISTS {
                assert!(
                    tr.lookup(&format!("picklist.{list}")).is_some(),
                    "picklist {list}"
                );
            }
        }
    }
}
