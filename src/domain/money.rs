//! Exact money: amounts are whole cents in an `i64`, so sums never lose a cent to
//! floating point. Pure: no I/O.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub};

use serde::{Serialize, Serializer};

/// An amount of money in the book's currency, stored as whole cents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money {
    cents: i64,
}

impl Money {
    /// Zero.
    pub(crate) const ZERO: Money = Money { cents: 0 };

    /// An amount of `cents` cents.
    pub fn from_cents(cents: i64) -> Money {
        Money { cents }
    }

    /// The amount in cents.
    pub(crate) fn cents(self) -> i64 {
        self.cents
    }

    /// Parses a decimal like `129`, `129.5`, `129.00` or `-3.20`. At most two decimal
    /// places; a thousands separator or currency sign is refused with the reason, and so
    /// are other ways of writing a number (`0x10`, `0o17`, `1e2`), with the plain decimal
    /// to write instead.
    pub(crate) fn parse(text: &str) -> Result<Money, String> {
        let t = text.trim();
        let (negative, digits) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t.strip_prefix('+').unwrap_or(t)),
        };
        let (whole, frac) = match digits.split_once('.') {
            Some((w, f)) => (w, f),
            None => (digits, ""),
        };
        let valid = !whole.is_empty()
            && whole.bytes().all(|b| b.is_ascii_digit())
            && frac.bytes().all(|b| b.is_ascii_digit())
            && !(digits.contains('.') && frac.is_empty());
        if !valid {
            if let Some(decimal) = other_notation(digits) {
                let sign = if negative { "-" } else { "" };
                return Err(format!(
                    "{text:?} is not written as a plain decimal; write it as {sign}{decimal}"
                ));
            }
            return Err(format!(
                "{text:?} is not an amount; write a plain decimal such as 129.00 (no currency sign or thousands separator)"
            ));
        }
        if frac.len() > 2 {
            return Err(format!(
                "{text:?} has more than two decimal places; amounts are exact to the cent, so write the cents you mean{}",
                round_hint(whole, frac).map_or(String::new(), |hint| format!(" (e.g. {hint})"))
            ));
        }
        let whole: i64 = whole
            .parse()
            .ok()
            .filter(|w: &i64| *w <= i64::MAX / 1000)
            .ok_or_else(|| format!("{text:?} is too large an amount"))?;
        let frac_cents: i64 = match frac.len() {
            0 => 0,
            1 => i64::from(frac.as_bytes()[0] - b'0') * 10,
            _ => i64::from(frac.as_bytes()[0] - b'0') * 10 + i64::from(frac.as_bytes()[1] - b'0'),
        };
        let cents = whole * 100 + frac_cents;
        Ok(Money {
            cents: if negative { -cents } else { cents },
        })
    }

    /// Converts a float (as some readers hand numbers over) to cents, by the shortest
    /// decimal that reads back as the same float (`129.99`, `0.1`): exactly what a
    /// person wrote, for any amount written with at most 17 significant digits. Refuses
    /// more than two decimals instead of rounding them.
    pub(crate) fn from_f64(value: f64) -> Result<Money, String> {
        if !value.is_finite() || value.abs() > 1e15 {
            return Err(format!("{value} is not a usable amount"));
        }
        Money::parse(&value.to_string())
    }

    /// Divides by a count, rounding half away from zero to the cent; `None` for zero.
    pub(crate) fn div_round(self, count: u64) -> Option<Money> {
        if count == 0 {
            return None;
        }
        let n = i128::from(self.cents);
        let d = i128::from(count);
        let q = (2 * n.abs() + d) / (2 * d);
        let q = if n < 0 { -q } else { q };
        i64::try_from(q).ok().map(Money::from_cents)
    }

    /// True when the amount is below zero.
    pub(crate) fn is_negative(self) -> bool {
        self.cents < 0
    }
}

/// For a number written in hexadecimal, octal, binary or with an exponent (`0x10`,
/// `1e2`), the plain decimal with two places that means the same, if there is one.
fn other_notation(digits: &str) -> Option<String> {
    let radix = [("0x", 16), ("0o", 8), ("0b", 2)]
        .iter()
        .find_map(|(prefix, radix)| digits.strip_prefix(prefix).map(|d| (d, *radix)));
    if let Some((rest, radix)) = radix {
        let value = i64::from_str_radix(rest, radix).ok()?;
        return (value >= 0).then(|| format!("{value}.00"));
    }
    if !digits.contains(['e', 'E']) {
        return None;
    }
    let value: f64 = digits.parse().ok().filter(|f: &f64| f.is_finite())?;
    let plain = Money::from_f64(value).ok()?;
    Some(plain.to_string())
}

/// `whole.frac` (digits only, at least three decimals) rounded to two places, as a
/// suggestion (`1.005` → `1.01`); `None` for an absurdly large number.
fn round_hint(whole: &str, frac: &str) -> Option<String> {
    let digits: Vec<u64> = frac.bytes().take(3).map(|b| u64::from(b - b'0')).collect();
    let cents = digits.first()? * 10 + digits.get(1)? + u64::from(*digits.get(2)? >= 5);
    let total = whole
        .parse::<u64>()
        .ok()?
        .checked_mul(100)?
        .checked_add(cents)?;
    Some(format!("{}.{:02}", total / 100, total % 100))
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.cents < 0 { "-" } else { "" };
        let abs = self.cents.unsigned_abs();
        let text = format!("{sign}{}.{:02}", abs / 100, abs % 100);
        f.pad(&text)
    }
}

/// Money is serialized as a decimal string with two places (`"129.00"`), exact in JSON.
impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_string())
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money::from_cents(self.cents.saturating_add(rhs.cents))
    }
}

impl AddAssign for Money {
    fn add_assign(&mut self, rhs: Money) {
        *self = *self + rhs;
    }
}

impl Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money::from_cents(self.cents.saturating_sub(rhs.cents))
    }
}

impl Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money::from_cents(-self.cents)
    }
}

impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, Add::add)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_displays_decimals() {
        assert_eq!(Money::parse("129.00").unwrap().cents(), 12900);
        assert_eq!(Money::parse("129.5").unwrap().cents(), 12950);
        assert_eq!(Money::parse("7").unwrap().cents(), 700);
        assert_eq!(Money::parse("-3.20").unwrap().cents(), -320);
        assert_eq!(Money::parse("0.07").unwrap().to_string(), "0.07");
        assert_eq!(Money::from_cents(-5).to_string(), "-0.05");
        for bad in ["", "1.234", "1,000", "$5", "lots", "1.", ".5", "1e3"] {
            assert!(Money::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn sums_are_exact_where_floats_are_not() {
        let tenth = Money::from_f64(0.1).unwrap();
        let total: Money = std::iter::repeat_n(tenth, 10).sum();
        assert_eq!(total, Money::from_cents(100));
        assert_eq!(Money::from_f64(129.99).unwrap().cents(), 12999);
        assert!(Money::from_f64(1.005).is_err());
    }

    /// Audit finding: a relative tolerance let large amounts with a third decimal
    /// through, rounded (`99999.999` showed as 100000.00).
    #[test]
    fn a_third_decimal_is_refused_at_any_size() {
        for bad in ["99999.999", "10000.001", "5000.005", "1.005"] {
            let err = Money::parse(bad).unwrap_err();
            assert!(err.contains("more than two decimal places"), "{bad}: {err}");
        }
        assert!(Money::parse("5000.005")
            .unwrap_err()
            .contains("(e.g. 5000.01)"));
        assert!(Money::parse("99999.999")
            .unwrap_err()
            .contains("(e.g. 100000.00)"));
        let huge = format!("{}.999", "9".repeat(40));
        assert!(Money::parse(&huge)
            .unwrap_err()
            .contains("more than two decimal places"));
        for bad in [99999.999, 10000.001, 5000.005] {
            assert!(Money::from_f64(bad).is_err(), "{bad}");
        }
        assert_eq!(Money::parse("99999.99").unwrap().cents(), 9_999_999);
    }

    #[test]
    fn other_number_notations_are_refused_with_the_decimal_to_write() {
        for (bad, fix) in [
            ("0x10", "write it as 16.00"),
            ("0o17", "write it as 15.00"),
            ("0b11", "write it as 3.00"),
            ("1e2", "write it as 100.00"),
            ("1.5E1", "write it as 15.00"),
            ("-0x10", "write it as -16.00"),
        ] {
            let err = Money::parse(bad).unwrap_err();
            assert!(err.contains(fix), "{bad}: {err}");
        }
        assert!(Money::parse("1e-3").unwrap_err().contains("not an amount"));
        assert!(Money::parse(".inf").is_err());
    }

    #[test]
    fn divides_with_rounding() {
        assert_eq!(
            Money::from_cents(1000).div_round(3),
            Some(Money::from_cents(333))
        );
        assert_eq!(
            Money::from_cents(1001).div_round(2),
            Some(Money::from_cents(501))
        );
        assert_eq!(Money::from_cents(5).div_round(0), None);
    }
}
