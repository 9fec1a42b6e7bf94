//! liblinphone rc (INI) files: the operator's base configuration
//! (`ACCOUNT_PROVISIONING_RC_FILE`) and account extensions
//! (`ACCOUNT_PROVISIONING_EXTRA_FILE`), read once at start.

use std::path::Path;

use crate::config::{Config, ConfigError};

/// One `[name]` section with its entries in file order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Section {
    pub name: String,
    pub entries: Vec<(String, String)>,
}

impl Section {
    pub fn new(name: impl Into<String>) -> Self {
        Section {
            name: name.into(),
            entries: Vec::new(),
        }
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Replaces the value in place, keeping the entry's position, or appends.
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        let value = value.into();
        match self.entries.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => entry.1 = value,
            None => self.entries.push((key.to_string(), value)),
        }
    }

    /// Sets every entry of `other` over this section's.
    pub fn merge(&mut self, other: &Section) {
        for (key, value) in &other.entries {
            self.set(key, value.as_str());
        }
    }
}

/// The two operator files, loaded once at start.
#[derive(Clone, Debug, Default)]
pub struct RcFiles {
    /// Base configuration, served to everybody.
    pub rc: Vec<Section>,
    /// Account extensions, used only when an account is provisioned.
    pub extra: Vec<Section>,
}

impl RcFiles {
    /// Reads both files named by the configuration. A missing or unreadable
    /// file is logged and counts as empty (the service still works without
    /// it); a malformed one is an error naming the variable and the file.
    pub fn load(config: &Config) -> Result<Self, ConfigError> {
        Ok(RcFiles {
            rc: load_file(
                "ACCOUNT_PROVISIONING_RC_FILE",
                config.provisioning_rc_file.as_deref(),
            )?,
            extra: load_file(
                "ACCOUNT_PROVISIONING_EXTRA_FILE",
                config.provisioning_extra_file.as_deref(),
            )?,
        })
    }
}

fn load_file(variable: &str, path: Option<&Path>) -> Result<Vec<Section>, ConfigError> {
    let Some(path) = path else {
        return Ok(Vec::new());
    };
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(err) => {
            tracing::warn!(
                "{variable}: cannot read {}: {err}; provisioning goes on without it",
                path.display()
            );
            return Ok(Vec::new());
        }
    };
    let malformed = |reason: String| ConfigError {
        variable: variable.to_string(),
        reason: format!("malformed rc file {}: {reason}", path.display()),
    };
    let text = String::from_utf8(bytes).map_err(|_| malformed("not UTF-8 text".into()))?;
    parse(&text).map_err(malformed)
}

/// Parses rc text: sections and entries in file order. A section that
/// appears twice is merged into its first occurrence; a key repeated in a
/// section keeps its first position and its last value (liblinphone keeps
/// one value per key).
///
/// liblinphone's reader is line based and takes values literally: quotes
/// are part of a value such as `"Alice" <sip:alice@example.org>`, and a
/// backslash is just a backslash, even at the end of a line. Lines starting
/// with `#` or `;` are comments; names and values lose surrounding blanks.
pub fn parse(text: &str) -> Result<Vec<Section>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut sections: Vec<Section> = Vec::new();
    let mut current: Option<usize> = None;
    for line in text.lines() {
        // Blanks are ASCII ones, as for liblinphone's C reader: a value may
        // end with a no-break space.
        let line = line.trim_ascii();
        if line.is_empty() || line.starts_with(['#', ';']) {
            continue;
        }
        if let Some(header) = line.strip_prefix('[') {
            let Some(name) = header.strip_suffix(']') else {
                return Err(format!("unclosed section header {:?}", shown(line)));
            };
            let name = name.trim_ascii();
            check_name("section name", name)?;
            current = Some(match sections.iter().position(|s| s.name == name) {
                Some(index) => index,
                None => {
                    sections.push(Section::new(name));
                    sections.len() - 1
                }
            });
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(format!(
                "line {:?} is neither [section], key=value nor a # comment",
                shown(line)
            ));
        };
        let key = key.trim_ascii();
        let Some(index) = current else {
            return Err(format!("entry {key:?} is outside any [section]"));
        };
        check_name(&format!("key in [{}]", sections[index].name), key)?;
        sections[index].set(key, value.trim_ascii());
    }
    Ok(sections)
}

/// The start of a line, as an error message may show it.
fn shown(line: &str) -> String {
    line.chars().take(40).collect()
}

fn check_name(what: &str, name: &str) -> Result<(), String> {
    let bad = name.is_empty()
        || name
            .chars()
            .any(|c| c.is_control() || matches!(c, '[' | ']' | '='));
    if bad {
        return Err(format!("invalid {what} {:?}", shown(name)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(section: &Section) -> Vec<(&str, &str)> {
        section
            .entries
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    #[test]
    fn keeps_file_order_and_literal_values() {
        let sections = parse(
            "\u{feff}# comment\n[sip]\nverify_server_certs=1\n; other comment\n\n\
             [proxy_0]\nreg_proxy = <sip:proxy.example.org;transport=tls>\n\
             reg_identity=\"Alice & Bob\" <sip:a@b>\npath=C:\\tmp\nempty=\n",
        )
        .unwrap();
        assert_eq!(sections.len(), 2);
        assert_eq!(sections[0].name, "sip");
        assert_eq!(entries(&sections[0]), [("verify_server_certs", "1")]);
        assert_eq!(
            entries(&sections[1]),
            [
                ("reg_proxy", "<sip:proxy.example.org;transport=tls>"),
                ("reg_identity", "\"Alice & Bob\" <sip:a@b>"),
                ("path", "C:\\tmp"),
                ("empty", ""),
            ]
        );
    }

    /// Found by the property tests: the INI crate used before read a final
    /// backslash as a line continuation and dropped it.
    #[test]
    fn a_backslash_at_the_end_of_a_value_is_kept() {
        let sections = parse("[a]\npath=C:\\tmp\\\nnext=1\r\nnbsp=x\u{a0}\n").unwrap();
        assert_eq!(
            entries(&sections[0]),
            [("path", "C:\\tmp\\"), ("next", "1"), ("nbsp", "x\u{a0}")]
        );
    }

    #[test]
    fn repeated_sections_and_keys_merge() {
        let sections = parse("[a]\nx=1\ny=2\n[b]\nz=3\n[a]\nx=4\n").unwrap();
        assert_eq!(sections.len(), 2);
        assert_eq!(entries(&sections[0]), [("x", "4"), ("y", "2")]);
        assert_eq!(entries(&sections[1]), [("z", "3")]);
    }

    #[test]
    fn rejects_malformed_text() {
        for text in [
            "key=outside\n[a]\nx=1\n",
            "[a]\nno equals sign\nx=1\n",
            "[a]\nno equals sign at the end",
            "[unclosed\nx=1\n",
            "[]\nx=1\n",
            "[a]\n=value\n",
        ] {
            assert!(parse(text).is_err(), "{text:?} accepted");
        }
    }

    #[test]
    fn missing_file_is_empty_and_malformed_file_names_variable_and_path() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.rc");
        assert!(
            load_file("ACCOUNT_PROVISIONING_RC_FILE", Some(&missing))
                .unwrap()
                .is_empty()
        );

        let bad = dir.path().join("bad.rc");
        std::fs::write(&bad, "[a]\nnot an entry\n").unwrap();
        let err = load_file("ACCOUNT_PROVISIONING_EXTRA_FILE", Some(&bad)).unwrap_err();
        assert_eq!(err.variable, "ACCOUNT_PROVISIONING_EXTRA_FILE");
        assert!(
            err.to_string().contains(&bad.display().to_string()),
            "{err}"
        );
    }
}
