//! Text comparisons shared by search, suggestions and duplicate detection: folding
//! case and accents, the digits of a phone number, the closest word to a typo. Pure.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// `text` compared as a person would: compatibility-decomposed (NFKD), accents
/// (combining marks) dropped, lower-cased. `Zoë` and `ZOE` fold to `zoe`, `ﬁ` to `fi`.
///
/// ```
/// # use crm::domain::text::fold;
/// assert_eq!(fold("Zoë Ångström"), "zoe angstrom");
/// ```
pub fn fold(text: &str) -> String {
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    text.nfkd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The ASCII digits of `text`: `+44 20 7946-0000` is `442079460000`.
pub fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

/// The candidate closest to `word` by edit distance, if it is close enough to be a typo
/// (at most a third of its letters, at least one, or `word` starts it).
pub fn closest<'a>(word: &str, candidates: &'a [String]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .filter(|(distance, c)| *distance <= (c.len() / 3).max(1) || c.starts_with(word))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_drops_case_and_accents() {
        assert_eq!(fold("Émile ZOLA"), "emile zola");
        assert_eq!(fold("Straße"), "straße");
        assert_eq!(digits("+44 (20) 7946-0000"), "442079460000");
        let words = vec!["vip".to_string(), "trial".to_string()];
        assert_eq!(closest("vpi", &words), Some("vip"));
        assert_eq!(closest("zzzzz", &words), None);
    }
}
