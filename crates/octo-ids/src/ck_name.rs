//! The spelling rules shared by every Construction Kit name: model names
//! (`Industry.Energy`) and element names (`EnergyMeter`, `ParentChild`).
//!
//! A CK name is 1 to [`MAX_NAME_LEN`] ASCII characters: letters, digits, `_`
//! and `.`, starting with a letter or `_`, with no empty part between dots.
//! `-` is excluded on purpose: it separates a name from its version
//! (`Basic-2.0.2`, `Tree-1`), so allowing it would make ids ambiguous.
//! `/` is excluded because it separates the model from the element.

/// Longest accepted CK name, in bytes. Real names are far shorter; the limit
/// only stops pathological input from being echoed back at length.
pub const MAX_NAME_LEN: usize = 256;

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.'
}

/// Whether `name` follows the CK name rules.
pub(crate) fn is_valid_name(name: &str) -> bool {
    check_name(name, "name").is_ok()
}

/// Checks `name` against the CK name rules; `what` names the part of the id
/// (e.g. "model name") so the reason points at the right place.
pub(crate) fn check_name(name: &str, what: &str) -> Result<(), String> {
    let Some(first) = name.chars().next() else {
        return Err(format!("the {what} is empty"));
    };
    if name.len() > MAX_NAME_LEN {
        return Err(format!(
            "the {what} is {} characters long; names have at most {MAX_NAME_LEN}",
            name.chars().count()
        ));
    }
    if let Some(c) = name.chars().find(|c| !is_name_char(*c)) {
        return Err(if c == '-' {
            format!(
                "the {what} '{name}' contains '-', which is reserved for separating a name from its version; names may only use ASCII letters, digits, '_' and '.'"
            )
        } else {
            format!(
                "the {what} '{name}' contains {c:?}; names may only use ASCII letters, digits, '_' and '.'"
            )
        });
    }
    if !(first.is_ascii_alphabetic() || first == '_') {
        return Err(format!(
            "the {what} '{name}' must start with an ASCII letter or '_'"
        ));
    }
    if name.split('.').any(str::is_empty) {
        return Err(format!(
            "the {what} '{name}' has an empty part between dots; '.' may not lead, trail or repeat"
        ));
    }
    Ok(())
}

/// A reason for input that is padded with whitespace, which usually comes
/// from copy-and-paste and is easier to fix when named explicitly.
pub(crate) fn whitespace_reason(input: &str) -> Option<String> {
    (input.trim() != input).then(|| {
        format!(
            "it has leading or trailing whitespace; use '{}'",
            input.trim()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_real_octomesh_names() {
        for name in [
            "RtEntity",
            "Basic",
            "Basic.Tree",
            "Industry.Energy",
            "System",
            "_private",
            "Meter2",
        ] {
            assert!(is_valid_name(name), "{name}");
        }
    }

    #[test]
    fn rejects_bad_names() {
        for name in [
            "", "1Abc", ".Abc", "Abc.", "A..B", "A-B", "A/B", "A B", "Ä", "A\n",
        ] {
            assert!(!is_valid_name(name), "{name:?}");
        }
        let long = "a".repeat(MAX_NAME_LEN + 1);
        assert!(!is_valid_name(&long));
        assert!(is_valid_name(&long[1..]));
    }

    #[test]
    fn dash_gets_a_specific_reason() {
        let reason = check_name("My-Type", "type name").err().unwrap_or_default();
        assert!(reason.contains("reserved"), "{reason}");
    }
}
