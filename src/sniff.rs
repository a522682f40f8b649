//! Telling a user that stdin holds another format altogether (a TOML or INI file, XML),
//! instead of passing on a YAML or JSON parser's complaint about its first bracket.
//! Asked only after the input failed to read, so it can never refuse valid manifests.

/// What the input looks like, when it is clearly not Kubernetes YAML or JSON. Names a line
/// number and a shape, never the line's text (it may hold a secret).
pub fn other_format(text: &str) -> Option<String> {
    let (number, line) =
        text.lines().map(str::trim).enumerate().find(|(_, l)| !l.is_empty() && !l.starts_with('#') && *l != "---")?;
    let number = number + 1;
    if is_table_header(line) {
        Some(format!("it looks like TOML or INI (line {number} is a [table] header)"))
    } else if is_assignment(line) {
        Some(format!("it looks like TOML or INI (line {number} is a `key = value` assignment)"))
    } else if line.starts_with("<?xml") || line.starts_with("<!") || line.starts_with("<html") {
        Some(format!("it looks like XML or HTML (line {number})"))
    } else {
        None
    }
}

fn is_key(text: &str) -> bool {
    let text = text.trim();
    !text.is_empty()
        && text.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '"' | '\'' | ' '))
}

/// `[package]`, `[[bin]]`, `[servers.alpha]`: a bare key path in brackets (a JSON or YAML
/// flow sequence of one word would also match, which is why this runs only after a failure).
fn is_table_header(line: &str) -> bool {
    let inner = line.strip_prefix("[[").and_then(|l| l.strip_suffix("]]"));
    let inner = inner.or_else(|| line.strip_prefix('[').and_then(|l| l.strip_suffix(']')));
    inner.is_some_and(|k| is_key(k) && !k.contains(' '))
}

/// `name = "eastwest"`: a key, then `=` (YAML maps with `:`).
fn is_assignment(line: &str) -> bool {
    match line.split_once('=') {
        Some((key, value)) => is_key(key) && !key.contains(':') && !value.starts_with('='),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::other_format;

    #[test]
    fn toml_and_ini_are_named() {
        assert!(other_format("[package]\nname = \"x\"\n").unwrap().contains("TOML"));
        assert!(other_format("# comment\n\nname = \"x\"\n").unwrap().contains("line 3"));
        assert!(other_format("[[bin]]\n").unwrap().contains("[table]"));
        assert!(other_format("<?xml version=\"1.0\"?>\n<a/>").unwrap().contains("XML"));
    }

    #[test]
    fn yaml_and_json_are_not_named() {
        assert_eq!(other_format("apiVersion: v1\nkind: ConfigMap\n"), None);
        assert_eq!(other_format("{\"kind\": \"List\"}"), None);
        assert_eq!(other_format("[1, 2]"), None);
        assert_eq!(other_format("- a: b = c\n"), None);
        assert_eq!(other_format(""), None);
    }

    #[test]
    fn the_line_text_is_never_echoed() {
        let message = other_format("password = \"hunter2\"\n").unwrap();
        assert!(!message.contains("hunter2"), "{message}");
    }
}
