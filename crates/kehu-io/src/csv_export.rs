//! Writing tables as CSV that Excel and WPS open correctly: UTF-8 with a byte-order mark,
//! and cells that a spreadsheet would run as formulas defused.

/// Builds a CSV document from a header and rows.
pub fn csv_document(header: &[String], rows: &[Vec<String>]) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 * (rows.len() + 1));
    // Without the BOM, Excel on Windows reads UTF-8 as the local code page and garbles 中文.
    out.extend_from_slice("\u{feff}".as_bytes());
    let mut writer = csv::Writer::from_writer(out);
    // Writing to a Vec cannot fail.
    writer.write_record(header).expect("write to memory");
    for row in rows {
        writer
            .write_record(row.iter().map(|cell| defuse_formula(cell)))
            .expect("write to memory");
    }
    writer.into_inner().unwrap_or_default()
}

/// Prefixes cells that start like a formula (`=`, `+`, `-`, `@`, tab, CR) with `'`, so
/// that opening an export cannot run code (CSV injection). Plain negative numbers stay.
pub fn defuse_formula(cell: &str) -> String {
    let risky = cell.starts_with(['=', '+', '@', '\t', '\r'])
        || (cell.starts_with('-') && cell[1..].parse::<f64>().is_err());
    if risky {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_with_a_bom_and_quotes_as_needed() {
        let doc = csv_document(
            &["name".into(), "city".into()],
            &[vec!["华为, 科技".into(), "深圳".into()]],
        );
        let text = String::from_utf8(doc).unwrap();
        assert!(text.starts_with('\u{feff}'));
        assert!(text.contains("\"华为, 科技\",深圳"));
    }

    #[test]
    fn defuses_formulas_but_not_numbers() {
        assert_eq!(defuse_formula("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(defuse_formula("+86 138"), "'+86 138");
        assert_eq!(defuse_formula("-12.5"), "-12.5");
        assert_eq!(defuse_formula("张伟"), "张伟");
    }
}
