//! Text from requests made safe to show: control characters and bidirectional overrides as
//! visible escapes, for the CLI's terminal output and the log file alike.

use std::borrow::Cow;
use std::fmt::Write as _;

/// `text` with control characters and bidirectional overrides shown as escapes (`\n`,
/// `\x1b`, `\u{202e}`), so a request cannot start a new line, move the cursor or reorder
/// what the terminal shows.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) && u32::from(c) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{{{:04x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn control_characters_and_bidi_overrides_are_shown_escaped() {
        assert_eq!(printable("user.created"), "user.created");
        assert_eq!(
            printable("x\n12:00  200  user.created verified"),
            "x\\n12:00  200  user.created verified"
        );
        assert_eq!(
            printable("\u{1b}[2J\u{1b}]0;owned\u{7}"),
            "\\x1b[2J\\x1b]0;owned\\x07"
        );
        assert_eq!(printable("a\u{202e}b\u{9b}c"), "a\\u{202e}b\\u{009b}c");
        assert_eq!(printable("tab\there é"), "tab\\there é");
    }
}
