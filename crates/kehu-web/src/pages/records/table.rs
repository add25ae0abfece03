//! The list table: headers with sort links, one row per record, cells as people read them.

use super::EntityPages;
use crate::i18n::Tr;
use crate::pages::format::{field_text, reference_link, Names, EMPTY};
use crate::pages::url::{with, with_query, without};
use kehu_core::field_security::FieldRules;
use kehu_core::FieldValue;
use kehu_db::records::Record;

/// A column header.
pub struct Header {
    /// Label.
    pub label: String,
    /// Where clicking sorts, for sortable columns.
    pub sort_link: Option<String>,
    /// `↑`, `↓` or nothing.
    pub arrow: &'static str,
    /// `asc`, `desc` or `none`, for `aria-sort`.
    pub aria_sort: &'static str,
}

/// A table cell.
pub struct Cell {
    /// Text.
    pub text: String,
    /// Link, if the cell points somewhere.
    pub link: Option<String>,
    /// Extra CSS class (`cell--name` for the name column, `muted` for empty cells).
    pub class: &'static str,
    /// The column label, shown before the value when the table stacks on a phone.
    pub label: String,
}

/// A table row.
pub struct Row {
    /// The record's id (the value of its selection box).
    pub id: i64,
    /// The record's name, for the selection box's accessible name.
    pub name: String,
    /// Cells in column order.
    pub cells: Vec<Cell>,
}

/// The list's columns the user may see: a column of a hidden field is left out.
pub fn visible_columns(pages: &EntityPages, rules: &FieldRules) -> Vec<&'static str> {
    pages
        .columns
        .iter()
        .copied()
        .filter(|name| !rules.is_hidden(pages.entity.name, name))
        .collect()
}

/// The headers of a list with the current parameters.
pub fn headers(
    pages: &EntityPages,
    t: Tr,
    columns: &[&'static str],
    params: &[(String, String)],
) -> Vec<Header> {
    let current = params
        .iter()
        .find(|(k, _)| k == "sort")
        .map(|(_, v)| v.as_str())
        .unwrap_or("-id");
    let (current_desc, current_field) = match current.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, current),
    };
    let base_params = without(params, &["cursor", "sort"]);
    columns
        .iter()
        .map(|name| {
            let label = column_label(pages, t, name);
            let sortable = pages.entity.field(name).is_some_and(|f| f.sortable);
            if !sortable {
                return Header {
                    label,
                    sort_link: None,
                    arrow: "",
                    aria_sort: "none",
                };
            }
            let is_current = current_field == *name;
            // Dates read newest first; text reads A to Z first.
            let first_desc = name.ends_with("_at");
            let next_desc = if is_current {
                !current_desc
            } else {
                first_desc
            };
            let next = if next_desc {
                format!("-{name}")
            } else {
                name.to_string()
            };
            Header {
                label,
                sort_link: Some(with_query(
                    &pages.base(),
                    &with(&base_params, "sort", &next),
                )),
                arrow: match (is_current, current_desc) {
                    (false, _) => "",
                    (true, true) => "↓",
                    (true, false) => "↑",
                },
                aria_sort: match (is_current, current_desc) {
                    (false, _) => "none",
                    (true, true) => "descending",
                    (true, false) => "ascending",
                },
            }
        })
        .collect()
}

fn column_label(pages: &EntityPages, t: Tr, name: &str) -> String {
    if pages.entity.name == "account" && name == "province" {
        t.t("accounts.column_region").to_string()
    } else {
        t.field(pages.entity.name, name)
    }
}

/// The rows of a page of records.
pub fn rows(
    pages: &EntityPages,
    t: Tr,
    columns: &[&'static str],
    records: &[Record],
    names: &Names,
) -> Vec<Row> {
    records
        .iter()
        .map(|record| Row {
            id: record.id,
            name: record.text("name").unwrap_or(EMPTY).to_string(),
            cells: columns
                .iter()
                .map(|name| cell(pages, t, record, name, names))
                .collect(),
        })
        .collect()
}

fn cell(pages: &EntityPages, t: Tr, record: &Record, name: &str, names: &Names) -> Cell {
    let entity = pages.entity;
    let label = column_label(pages, t, name);
    if name == "name" {
        let text = record.text("name").unwrap_or(EMPTY).to_string();
        return Cell {
            text,
            link: Some(format!("{}/{}", pages.base(), record.id)),
            class: "cell--name",
            label,
        };
    }
    if entity.name == "account" && name == "province" {
        let parts: Vec<&str> = [record.text("province"), record.text("city")]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .collect();
        let text = if parts.is_empty() {
            EMPTY.to_string()
        } else {
            parts.join(" / ")
        };
        return Cell {
            class: if parts.is_empty() { "muted" } else { "" },
            text,
            link: None,
            label,
        };
    }
    let Some(field) = entity.field(name) else {
        return Cell {
            text: EMPTY.into(),
            link: None,
            class: "muted",
            label,
        };
    };
    let value = record.get(name);
    let text = field_text(t, name, field.kind, value, names);
    let link = match value {
        FieldValue::Null => None,
        v => reference_link(field.kind, v),
    };
    Cell {
        class: if value.is_empty() { "muted" } else { "" },
        text,
        link,
        label,
    }
}
