//! Unsigned version numbers as they appear in ids: the `1` of `EnergyMeter-1`
//! and each part of `2.0.2`.
//!
//! Only plain decimal digits are accepted and leading zeros are rejected, so
//! that every accepted spelling is the canonical one and `Display` gives back
//! exactly what was parsed.

/// What is wrong with a version number; callers turn this into a reason that
/// fits their id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumberProblem {
    Empty,
    NotDigits,
    LeadingZero,
    TooLarge,
}

pub(crate) fn parse_number(s: &str) -> Result<u32, NumberProblem> {
    if s.is_empty() {
        return Err(NumberProblem::Empty);
    }
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(NumberProblem::NotDigits);
    }
    if s.len() > 1 && s.starts_with('0') {
        return Err(NumberProblem::LeadingZero);
    }
    s.parse().map_err(|_| NumberProblem::TooLarge)
}

/// A short explanation of `problem` for the number `s`, e.g. for use after
/// "the version ... ".
pub(crate) fn describe(problem: NumberProblem, s: &str) -> String {
    match problem {
        NumberProblem::Empty => "is empty".to_owned(),
        NumberProblem::NotDigits => format!("'{s}' is not an unsigned integer"),
        NumberProblem::LeadingZero => format!("'{s}' has a leading zero"),
        NumberProblem::TooLarge => format!("'{s}' is larger than {}", u32::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_canonical_numbers_only() {
        assert_eq!(parse_number("0"), Ok(0));
        assert_eq!(parse_number("17"), Ok(17));
        assert_eq!(parse_number("4294967295"), Ok(u32::MAX));
        assert_eq!(parse_number(""), Err(NumberProblem::Empty));
        assert_eq!(parse_number("+1"), Err(NumberProblem::NotDigits));
        assert_eq!(parse_number("1.0"), Err(NumberProblem::NotDigits));
        assert_eq!(parse_number("01"), Err(NumberProblem::LeadingZero));
        assert_eq!(parse_number("4294967296"), Err(NumberProblem::TooLarge));
    }
}
