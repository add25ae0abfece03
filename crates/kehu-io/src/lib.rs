//! Kehu's import and export formats: CSV (what spreadsheets open without a wizard,
//! Chinese included) and XLSX export.

pub mod csv_export;
pub mod orders_csv;
pub mod xlsx_export;
