//! Kehu's import and export formats. CSV for now: what spreadsheets open without a
//! wizard, Chinese included.

pub mod csv_export;
pub mod orders_csv;
