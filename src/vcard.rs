//! vCard 4.0 (RFC 6350) output: values escaped, long lines folded, CRLF
//! line ends.

/// One vCard being written.
pub struct VCard {
    text: String,
}

/// Lines are folded after this many octets (RFC 6350 §3.2).
const MAX_LINE_OCTETS: usize = 75;

impl VCard {
    pub fn new() -> Self {
        let mut card = VCard {
            text: String::new(),
        };
        card.raw_line("BEGIN:VCARD");
        card.raw_line("VERSION:4.0");
        card
    }

    /// A property whose value is already in vCard syntax (a URI, or
    /// components escaped by the caller).
    pub fn raw_property(&mut self, name: &str, value: &str) -> &mut Self {
        self.raw_line(&format!("{name}:{value}"));
        self
    }

    /// A text property: the value is escaped.
    pub fn text_property(&mut self, name: &str, value: &str) -> &mut Self {
        self.raw_property(name, &escape(value))
    }

    /// A property of several text components separated by `;`.
    pub fn structured_property(&mut self, name: &str, components: &[&str]) -> &mut Self {
        let value = components
            .iter()
            .map(|c| escape(c))
            .collect::<Vec<_>>()
            .join(";");
        self.raw_property(name, &value)
    }

    pub fn finish(mut self) -> String {
        self.raw_line("END:VCARD");
        self.text
    }

    fn raw_line(&mut self, line: &str) {
        fold_into(&mut self.text, line);
    }
}

impl Default for VCard {
    fn default() -> Self {
        Self::new()
    }
}

/// Escapes a text value: backslash, comma, semicolon and line breaks;
/// drops the other control characters.
pub fn escape(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            ',' => escaped.push_str("\\,"),
            ';' => escaped.push_str("\\;"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                escaped.push_str("\\n");
            }
            '\n' => escaped.push_str("\\n"),
            // Other control characters have no place in a vCard line.
            c if c.is_control() => {}
            c => escaped.push(c),
        }
    }
    escaped
}

/// Appends `line` folded at 75 octets (never inside a UTF-8 character),
/// each continuation starting with one space, then CRLF.
fn fold_into(out: &mut String, line: &str) {
    let mut used = 0;
    let mut limit = MAX_LINE_OCTETS;
    for c in line.chars() {
        if used + c.len_utf8() > limit {
            out.push_str("\r\n ");
            used = 0;
            // The leading space counts in the continuation line.
            limit = MAX_LINE_OCTETS - 1;
        }
        out.push(c);
        used += c.len_utf8();
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_text() {
        assert_eq!(escape("a,b;c\\d\ne\r\nf"), "a\\,b\\;c\\\\d\\ne\\nf");
        assert_eq!(escape("a\u{0}b\tc\u{7f}"), "abc");
    }

    #[test]
    fn folds_long_lines_without_splitting_characters() {
        let mut card = VCard::new();
        card.text_property("FN", &"é".repeat(60));
        let text = card.finish();
        for line in text.split("\r\n") {
            assert!(line.len() <= 75, "{line:?}");
        }
        let unfolded = text.replace("\r\n ", "");
        assert!(unfolded.contains(&format!("FN:{}\r\n", "é".repeat(60))));
    }
}
