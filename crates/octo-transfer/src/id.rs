//! Transfer ids: 32 lowercase hex characters (128 bits) from the operating
//! system's CSPRNG. The id is the only thing guarding an upload or download
//! URL, so it must be unguessable; it is also a file name on the data
//! volume, so anything but the exact form is rejected before it reaches a
//! path.

/// How many hex characters an id has.
pub const ID_LEN: usize = 32;

/// A fresh random id.
///
/// # Errors
/// When the OS random source fails (practically never).
pub fn new_id() -> Result<String, std::io::Error> {
    let mut bytes = [0u8; ID_LEN / 2];
    getrandom::fill(&mut bytes).map_err(std::io::Error::other)?;
    Ok(hex::encode(bytes))
}

/// Whether `id` has the exact form of a transfer id.
#[must_use]
pub fn is_valid(id: &str) -> bool {
    id.len() == ID_LEN && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_ids_are_valid_and_distinct() {
        let a = new_id().expect("random");
        let b = new_id().expect("random");
        assert!(is_valid(&a) && is_valid(&b));
        assert_ne!(a, b);
    }

    #[test]
    fn anything_else_is_invalid() {
        for id in [
            "",
            "../etc/passwd",
            "0123456789ABCDEF0123456789ABCDEF",
            "0123456789abcdef0123456789abcde",
            "0123456789abcdef0123456789abcdef0",
            "0123456789abcdef0123456789abcdeg",
        ] {
            assert!(!is_valid(id), "{id}");
        }
    }
}
