//! Stable identifiers for exported cards and events: the same customer and event kind
//! give the same UID on every export, so that a phone or a calendar that imports the
//! file again updates what it has instead of adding a copy.

use crate::domain::import::fnv1a64;

/// A UUID (RFC 9562 version 8, "custom") from `name`: two FNV-1a 64-bit hashes of it,
/// stable across versions and machines.
pub(crate) fn uuid(name: &str) -> String {
    let a = fnv1a64(name.as_bytes());
    let b = fnv1a64(format!("{name}\u{1f}crm").as_bytes());
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&a.to_be_bytes());
    bytes[8..].copy_from_slice(&b.to_be_bytes());
    bytes[6] = (bytes[6] & 0x0f) | 0x80; // version 8
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC variant
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// UIDs are stored by phones and calendars: if this changes, every re-import of an
    /// export duplicates its cards and events.
    #[test]
    fn uids_are_stable_and_well_formed() {
        let ada = uuid("card:ada");
        assert_eq!(ada, uuid("card:ada"));
        assert_ne!(ada, uuid("card:bob"));
        assert_eq!(ada.len(), 36);
        assert_eq!(&ada[14..15], "8");
        assert!(matches!(&ada[19..20], "8" | "9" | "a" | "b"), "{ada}");
        assert_eq!(ada, "f23e5acd-53ea-8c81-a6d1-337d07479792");
    }
}
