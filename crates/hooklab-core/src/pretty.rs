//! Pretty-printing a JSON body for reading without changing it: keys stay in the order they
//! arrived and every string and number keeps its exact text (parsing into a map would sort the
//! keys and re-spell numbers). Only whitespace between tokens changes.

/// `body` re-indented with two spaces, or `None` when it is not valid JSON.
pub fn reindent(body: &str) -> Option<String> {
    serde_json::from_str::<serde::de::IgnoredAny>(body).ok()?;
    let mut out = String::with_capacity(body.len() * 2);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = body.chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.extend(std::iter::repeat_n("  ", depth));
    };
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                while chars.peek().is_some_and(|n| n.is_ascii_whitespace()) {
                    chars.next();
                }
                if chars.peek().is_some_and(|n| *n == '}' || *n == ']') {
                    // An empty object or array stays `{}` / `[]`.
                    out.extend(chars.next());
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_ascii_whitespace() => {}
            c => out.push(c),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::reindent;

    #[test]
    fn keys_keep_their_order_and_values_their_spelling() {
        let body = r#"{"zeta":1.50,"alpha":{"b":[1, 2,{}],"a":"x, \"y\": {z}"},"empty":[ ]}"#;
        let pretty = reindent(body).unwrap();
        assert_eq!(
            pretty,
            "{\n  \"zeta\": 1.50,\n  \"alpha\": {\n    \"b\": [\n      1,\n      2,\n      {}\n    ],\n    \"a\": \"x, \\\"y\\\": {z}\"\n  },\n  \"empty\": []\n}"
        );
        // Only whitespace changed: the same value, the same key order.
        let squeeze = |s: &str| s.split_whitespace().collect::<String>();
        assert_eq!(squeeze(&pretty), squeeze(body));
    }

    #[test]
    fn not_json_is_none() {
        assert_eq!(reindent("{\"a\":"), None);
        assert_eq!(reindent("plain text"), None);
    }
}
