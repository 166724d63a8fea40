//! Codes and identifiers from the operating system's CSPRNG.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The RFC 8628 §6.1 user-code alphabet: 20 consonants, no vowels (no words), no look-alikes.
const USER_CODE_ALPHABET: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";

/// `n` random bytes.
pub(crate) fn bytes(n: usize) -> Result<Vec<u8>, getrandom::Error> {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf)?;
    Ok(buf)
}

/// `n` random bytes, base64url without padding.
pub(crate) fn token(n: usize) -> Result<String, getrandom::Error> {
    Ok(URL_SAFE_NO_PAD.encode(bytes(n)?))
}

/// `len` characters drawn uniformly from `alphabet` (at most 256 symbols), by rejection sampling.
pub(crate) fn string_from(alphabet: &[u8], len: usize) -> Result<String, getrandom::Error> {
    debug_assert!(!alphabet.is_empty() && alphabet.len() <= 256);
    // The largest multiple of the alphabet's size that fits in a byte: bytes at or above it are
    // rejected so every symbol is equally likely.
    let limit = 256 - 256 % alphabet.len();
    let mut out = String::with_capacity(len);
    while out.len() < len {
        for b in bytes(len * 2)? {
            let b = usize::from(b);
            if b < limit && out.len() < len {
                out.push(char::from(alphabet[b % alphabet.len()]));
            }
        }
    }
    Ok(out)
}

/// A user code like `BCDF-GHJK` (8 symbols of 20, about 34.6 bits).
pub(crate) fn user_code() -> Result<String, getrandom::Error> {
    let raw = string_from(USER_CODE_ALPHABET, 8)?;
    Ok(format!("{}-{}", &raw[..4], &raw[4..]))
}

/// A typed-in user code in its canonical form: letters uppercased, everything but letters dropped
/// (spaces, dashes), and the dash put back after the fourth symbol. `None` when it cannot be one
/// of ours.
pub(crate) fn normalize_user_code(input: &str) -> Option<String> {
    let symbols: String = input
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if symbols.len() != 8 || !symbols.bytes().all(|b| USER_CODE_ALPHABET.contains(&b)) {
        return None;
    }
    Some(format!("{}-{}", &symbols[..4], &symbols[4..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_codes_have_the_shape() {
        let code = user_code().expect("random");
        assert_eq!(code.len(), 9);
        assert_eq!(&code[4..5], "-");
        assert_eq!(normalize_user_code(&code).as_deref(), Some(code.as_str()));
    }

    #[test]
    fn normalizing_accepts_what_people_type() {
        assert_eq!(
            normalize_user_code(" bcdf ghjk ").as_deref(),
            Some("BCDF-GHJK")
        );
        assert_eq!(
            normalize_user_code("bcdfghjk").as_deref(),
            Some("BCDF-GHJK")
        );
        assert_eq!(normalize_user_code("BCDF-GHJ"), None);
        assert_eq!(
            normalize_user_code("ABCD-EFGH"),
            None,
            "vowels are never in a code"
        );
    }

    #[test]
    fn tokens_are_long_and_distinct() {
        let a = token(32).expect("random");
        assert_eq!(a.len(), 43);
        assert_ne!(a, token(32).expect("random"));
    }
}
