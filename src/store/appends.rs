//! `.crm/appends`: where the next append goes in the big customer files crm appended
//! to last, so that `crm log` on a file of tens of thousands of interactions need not
//! parse it again (docs/design.md, "Lossless appends").
//!
//! A record holds a file's stamp just after crm wrote it (size, mtime and ctime to the
//! nanosecond, inode, device), a fingerprint of the bytes crm wrote, and the append
//! plan for those bytes ([`crate::yaml::SavedPlan`], which the planner derived from
//! the plan it verified the write with). It is used only for a file whose stamp is the
//! same *and* whose bytes, read under the lock, have the same fingerprint: a stamp
//! alone can miss an edit made in the same clock tick as crm's write, the fingerprint
//! cannot. Anything else (a hand edit, another tool, another build of crm, a torn or
//! missing file) means no record, and the append parses the file as always. A stale
//! record is never wrong, only unused, so no other writer needs to know of this file.
//!
//! Only the store uses this module, under the book's lock; it never writes customer
//! files. Losing the file costs one parse.

use std::hash::Hasher;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::write::Stamp;
use crate::yaml::SavedPlan;

/// Name of the file in the book's state folder.
const FILE_NAME: &str = "appends";

/// Files smaller than this are parsed for every append (a few milliseconds at most),
/// and get no record.
pub(crate) const MIN_BYTES: u64 = 64 * 1024;

/// Records kept: the files appended to most recently.
const KEPT: usize = 32;

/// The first bytes of the file.
const MAGIC: &[u8] = b"crm appends\n";
/// Bumped whenever the layout of a record changes.
const FORMAT: u32 = 1;

/// What crm knows of a file it appended to last.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Record {
    /// The customer's id.
    pub(crate) id: String,
    /// The file as crm left it.
    pub(crate) stamp: Stamp,
    /// [`fingerprint`] of the bytes crm wrote.
    pub(crate) fingerprint: (u64, u32),
    /// Whether the bytes start with a byte-order mark.
    pub(crate) bom: bool,
    /// Where the next entries go in the text after the mark.
    pub(crate) plan: SavedPlan,
}

/// A fingerprint of a file's bytes: SipHash-1-3 (std's hasher, fixed keys) and CRC-32
/// of them, two independent 96 bits; the length is in the stamp. The hash may change
/// with the Rust release, which changes the build and so drops every record.
pub(crate) fn fingerprint(bytes: &[u8]) -> (u64, u32) {
    let mut hasher = std::hash::DefaultHasher::new();
    hasher.write(bytes);
    (hasher.finish(), crc32fast::hash(bytes))
}

/// Larger than any file of [`KEPT`] records.
const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// The records in `state_dir` (a real folder: the lock checked it), if the file is
/// whole and written by this build of crm. Never read through a link or from anything
/// but a regular file (a cloned repository's `.crm/` may hold anything).
pub(crate) fn load(state_dir: &Path) -> Vec<Record> {
    read_own(&state_dir.join(FILE_NAME))
        .and_then(|bytes| decode(&bytes))
        .unwrap_or_default()
}

fn read_own(path: &Path) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = options.open(path).ok()?;
    if !file.metadata().ok()?.is_file() {
        return None;
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES).read_to_end(&mut bytes).ok()?;
    Some(bytes)
}

/// The record of customer `id` in `records`.
pub(crate) fn find<'a>(records: &'a [Record], id: &str) -> Option<&'a Record> {
    records.iter().find(|r| r.id == id)
}

/// Keeps `record` first in `records` (replacing the customer's older one) and writes
/// them; best effort, like every cache: a failure only costs a parse next time.
pub(crate) fn save(state_dir: &Path, mut records: Vec<Record>, record: Option<Record>, id: &str) {
    let before = records.len();
    records.retain(|r| r.id != id);
    if record.is_none() && records.len() == before {
        // Nothing kept for this customer, and nothing to keep: the file stays as it is.
        return;
    }
    if let Some(record) = record {
        records.insert(0, record);
    }
    records.truncate(KEPT);
    if let Some(bytes) = encode(&records) {
        let _ = super::cache::write_atomically(state_dir, FILE_NAME, &bytes);
    }
}

fn encode(records: &[Record]) -> Option<Vec<u8>> {
    let payload = postcard::to_extend(records, Vec::new()).ok()?;
    super::cache::frame(MAGIC, FORMAT, &super::cache::build_id(), &payload)
}

fn decode(bytes: &[u8]) -> Option<Vec<Record>> {
    let payload = super::cache::unframe(bytes, MAGIC, FORMAT, &super::cache::build_id())?;
    match postcard::take_from_bytes::<Vec<Record>>(payload) {
        Ok((records, [])) => Some(records),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_torn_or_foreign_file_gives_no_records() {
        let dir = tempfile::tempdir().unwrap();
        let text = "name: A\ninteractions:\n  - date: 2025-01-01\n    kind: call\n";
        let doc = crate::yaml::parse(text).unwrap();
        let plan = crate::yaml::plan_append(text, &doc, "interactions").unwrap();
        let record = Record {
            id: "a".into(),
            stamp: Stamp {
                dev: 1,
                ino: 2,
                size: 3,
                mtime: (4, 5),
                ctime: (6, 7),
            },
            fingerprint: fingerprint(text.as_bytes()),
            bom: false,
            plan: plan.saved().unwrap(),
        };
        save(dir.path(), Vec::new(), Some(record.clone()), "a");
        assert_eq!(load(dir.path()), std::slice::from_ref(&record));
        let path = dir.path().join(FILE_NAME);
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
        assert_eq!(load(dir.path()), []);
        let mut flipped = bytes.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        std::fs::write(&path, &flipped).unwrap();
        assert_eq!(load(dir.path()), []);
        // A newer record of the same customer replaces the older one.
        save(dir.path(), vec![record.clone()], Some(record.clone()), "a");
        assert_eq!(load(dir.path()), std::slice::from_ref(&record));
        save(dir.path(), load(dir.path()), None, "a");
        assert_eq!(load(dir.path()), []);
        // Never through a link.
        #[cfg(unix)]
        {
            save(dir.path(), Vec::new(), Some(record.clone()), "a");
            let elsewhere = dir.path().join("elsewhere");
            std::fs::rename(&path, &elsewhere).unwrap();
            std::os::unix::fs::symlink(&elsewhere, &path).unwrap();
            assert_eq!(load(dir.path()), []);
        }
    }
}
