//! Query strings for links the pages build (sort, next page, saved filters, export) and
//! the check that a redirect target stays on this site.

/// Percent-encodes one query component (everything but unreserved characters).
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// `a=1&b=2` from pairs, encoded.
pub fn query_string(params: &[(String, String)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// `path` or `path?query` when there are parameters.
pub fn with_query(path: &str, params: &[(String, String)]) -> String {
    if params.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", query_string(params))
    }
}

/// The parameters with `key` removed.
pub fn without(params: &[(String, String)], keys: &[&str]) -> Vec<(String, String)> {
    params
        .iter()
        .filter(|(k, _)| !keys.contains(&k.as_str()))
        .cloned()
        .collect()
}

/// The parameters with `key` set to `value` (replacing any earlier value).
pub fn with(params: &[(String, String)], key: &str, value: &str) -> Vec<(String, String)> {
    let mut out = without(params, &[key]);
    out.push((key.to_string(), value.to_string()));
    out
}

/// Decodes `a=b&c=d` (`+` as space, percent escapes).
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether a `next` or `back` target is a path on this site: it must start with one `/`
/// (not `//host` or `/\host`, which browsers treat as another site) and hold no control
/// characters.
pub fn is_local_path(target: &str) -> bool {
    target.starts_with('/')
        && !target.starts_with("//")
        && !target.starts_with("/\\")
        && !target.chars().any(|c| c.is_control() || c == '\\')
}

/// The target if it is local, else `/`.
pub fn local_or_home(target: Option<&str>) -> String {
    match target {
        Some(t) if is_local_path(t) => t.to_string(),
        _ => "/".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_chinese_and_reserved_characters() {
        let params = vec![
            ("q".to_string(), "华为 & co".to_string()),
            ("level__in".to_string(), "VIP,普通".to_string()),
        ];
        let text = query_string(&params);
        assert!(!text.contains(' ') && !text.contains('华'));
        assert_eq!(parse_query(&text), params);
        assert_eq!(
            parse_query("a=%zz&b=1+2&c=%E5%8D%8E"),
            vec![
                ("a".into(), "%zz".into()),
                ("b".into(), "1 2".into()),
                ("c".into(), "华".into())
            ]
        );
        assert_eq!(parse_query("x=%4"), vec![("x".into(), "%4".into())]);
    }

    #[test]
    fn only_local_paths_are_redirect_targets() {
        assert!(is_local_path("/accounts?level=VIP"));
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "",
            "accounts",
            "/a\nb",
        ] {
            assert!(!is_local_path(bad), "{bad:?}");
        }
        assert_eq!(local_or_home(Some("//x")), "/");
    }
}
