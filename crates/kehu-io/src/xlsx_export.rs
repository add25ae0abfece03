//! Writing tables as XLSX: the same header and rows as the CSV export, one worksheet.
//!
//! Every cell is written as a string, so the values read back exactly as exported (money
//! in major units as people read it, codes with their leading zeros) and nothing a user
//! typed can become a formula: a string cell is never evaluated, unlike text in a CSV.

use rust_xlsxwriter::{Format, Workbook, XlsxError};

/// The largest number of data rows a worksheet holds (Excel's limit less the header).
pub const MAX_ROWS: usize = 1_048_575;

/// Builds an XLSX document with one worksheet named `sheet` (Excel allows 31 characters).
pub fn xlsx_document(
    sheet: &str,
    header: &[String],
    rows: &[Vec<String>],
) -> Result<Vec<u8>, XlsxError> {
    if rows.len() > MAX_ROWS {
        return Err(XlsxError::RowColumnLimitError);
    }
    let mut workbook = Workbook::new();
    let worksheet = workbook.add_worksheet();
    worksheet.set_name(sheet.chars().take(31).collect::<String>())?;
    let bold = Format::new().set_bold();
    for (col, title) in header.iter().enumerate() {
        worksheet.write_string_with_format(0, column(col)?, title, &bold)?;
    }
    // The header stays in view while scrolling.
    worksheet.set_freeze_panes(1, 0)?;
    for (index, row) in rows.iter().enumerate() {
        let row_number = u32::try_from(index + 1).map_err(|_| XlsxError::RowColumnLimitError)?;
        for (col, cell) in row.iter().enumerate() {
            if !cell.is_empty() {
                worksheet.write_string(row_number, column(col)?, cell)?;
            }
        }
    }
    workbook.save_to_buffer()
}

fn column(index: usize) -> Result<u16, XlsxError> {
    u16::try_from(index).map_err(|_| XlsxError::RowColumnLimitError)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_a_zip_container() {
        let doc = xlsx_document(
            "accounts",
            &["name".into(), "city".into()],
            &[vec!["=1+1".into(), "深圳".into()]],
        )
        .unwrap();
        // XLSX is a ZIP archive: it starts with the local file header signature.
        assert_eq!(&doc[..4], b"PK\x03\x04");
    }
}
