//! The cached prediction fit: the last BG/NBD + Gamma-Gamma model `crm predict` (or
//! `list --sort value`, `report`) fitted over the book, in `.crm/predict-fit.json`
//! (git-ignored), with the key of the data it was fitted on.
//!
//! Whole-book commands recompute the key from every customer's purchase summary and
//! refit when it differs, so for them the cache only saves time. `crm show` reads one
//! customer file and so cannot recompute the key: it uses whatever fit is cached, and
//! says which (its date and size). Deleting the file only means the next whole-book
//! command fits again. Writes are atomic (temp file in `.crm/`, then rename). This
//! module never touches customer files.

use std::fs;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::domain::predict::Model;

/// Name of the file in the book's state folder.
pub const FILE_NAME: &str = "predict-fit.json";

/// Bumped whenever the stored layout or the models' definitions change.
const FORMAT: u32 = 3;

#[derive(Serialize, Deserialize)]
struct Stored {
    format: u32,
    key: String,
    model: Model,
}

/// The cached model, if there is one in the current format and (when `key` is given)
/// it was fitted on data with that key.
pub fn load(state_dir: &Path, key: Option<&str>) -> Option<Model> {
    let bytes = fs::read(state_dir.join(FILE_NAME)).ok()?;
    let stored: Stored = serde_json::from_slice(&bytes).ok()?;
    (stored.format == FORMAT && key.is_none_or(|k| k == stored.key)).then_some(stored.model)
}

/// Replaces the cached model. Failure (a read-only book) only costs time, so it is
/// not an error.
pub fn save(state_dir: &Path, key: &str, model: &Model) -> bool {
    let stored = Stored {
        format: FORMAT,
        key: key.to_string(),
        model: model.clone(),
    };
    let Ok(bytes) = serde_json::to_vec_pretty(&stored) else {
        return false;
    };
    super::cache::write_atomically(state_dir, FILE_NAME, &bytes).is_ok()
}

/// The key of a fit's data: FNV-1a (64 bits) over the end of observation and every
/// summary's bits, in the order given (the caller sorts). Stable across builds, unlike
/// std's hasher.
pub fn key(to: chrono::NaiveDate, values: impl Iterator<Item = [f64; 4]>) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            hash ^= u64::from(*b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    };
    eat(to.to_string().as_bytes());
    let mut count: u64 = 0;
    for v in values {
        count += 1;
        for f in v {
            eat(&f.to_bits().to_le_bytes());
        }
    }
    format!("{to}:{count}:{hash:016x}")
}
