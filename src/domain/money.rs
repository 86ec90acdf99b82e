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
    pub const ZERO: Money = Money { cents: 0 };

    /// An amount of `cents` cents.
    pub fn from_cents(cents: i64) -> Money {
        Money { cents }
    }

    /// The amount in cents.
    pub fn cents(self) -> i64 {
        self.cents
    }

    /// Parses a decimal like `129`, `129.5`, `129.00` or `-3.20`. At most two decimal
    /// places; a thousands separator or currency sign is refused with the reason.
    pub fn parse(text: &str) -> Result<Money, String> {
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
            return Err(format!(
                "{text:?} is not an amount; write a plain decimal such as 129.00 (no currency sign or thousands separator)"
            ));
        }
        if frac.len() > 2 {
            return Err(format!(
                "{text:?} has more than two decimal places; amounts are exact to the cent"
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

    /// Converts a number as YAML readers hand it over (a float such as `129.99`) to
    /// cents. Refuses values with more than two decimals instead of rounding them.
    pub fn from_f64(value: f64) -> Result<Money, String> {
        if !value.is_finite() || value.abs() > 1e15 {
            return Err(format!("{value} is not a usable amount"));
        }
        let scaled = value * 100.0;
        let rounded = scaled.round();
        if (scaled - rounded).abs() > 1e-6 * scaled.abs().max(1.0) {
            return Err(format!(
                "{value} has more than two decimal places; amounts are exact to the cent"
            ));
        }
        // In range (checked above) and integral, so the cast is exact.
        Ok(Money {
            cents: rounded as i64,
        })
    }

    /// The amount as a float, for ratios only (never for sums).
    pub fn as_f64(self) -> f64 {
        self.cents as f64 / 100.0
    }

    /// Divides by a count, rounding half away from zero to the cent; `None` for zero.
    pub fn div_round(self, count: u64) -> Option<Money> {
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
    pub fn is_negative(self) -> bool {
        self.cents < 0
    }
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
