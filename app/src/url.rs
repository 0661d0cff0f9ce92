//! Percent-encoding for the URLs the portal builds (redirect targets, list links).

/// Percent-encodes `s`, leaving RFC 3986 unreserved characters and those in `keep` as they are.
pub fn percent_encode(s: &str, keep: &[u8]) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) || keep.contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::percent_encode;

    #[test]
    fn encodes_all_but_unreserved_and_kept() {
        assert_eq!(percent_encode("/a b?c=é", b"/"), "/a%20b%3Fc%3D%C3%A9");
        assert_eq!(percent_encode("ada@x.com&co", b"@"), "ada@x.com%26co");
        assert_eq!(percent_encode("a/b", b""), "a%2Fb");
    }
}
