//! YAML text as a plain value (serde_yaml, which runs the same libyaml parser as
//! [`super::parse`]): what a lossless write compares before it saves anything, so that
//! a splice that changed the meaning of a file is caught.

/// A YAML document as a plain value.
pub(crate) type Value = serde_yaml::Value;
/// A mapping of a [`Value`], its keys in the order written.
pub(crate) type Mapping = serde_yaml::Mapping;

/// Why text does not read as a [`Value`]: where, and serde_yaml's reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ValueError {
    /// 1-based line and column (1, 1 when serde_yaml gives none).
    pub(crate) line: usize,
    pub(crate) column: usize,
    /// serde_yaml's message without its own ` at line L column C`.
    pub(crate) reason: String,
}

/// `text` read as a plain value.
pub(crate) fn value_of(text: &str) -> Result<Value, ValueError> {
    serde_yaml::from_str(text).map_err(|err| {
        let (line, column) = err.location().map_or((1, 1), |l| (l.line(), l.column()));
        let mut reason = err.to_string();
        if let Some(cut) = reason.find(" at line ") {
            reason.truncate(cut);
        }
        ValueError {
            line,
            column,
            reason,
        }
    })
}

/// `document` as it should read after `entry` is appended to its top-level list `key`.
/// A tagged top mapping (`--- !customer`) is a mapping too.
pub(crate) fn push_entry(document: &mut Value, key: &str, entry: Value) {
    if let Some(map) = document.as_mapping_mut() {
        let key = Value::String(key.into());
        match map.get_mut(&key) {
            Some(Value::Sequence(items)) => items.push(entry),
            Some(slot) => *slot = Value::Sequence(vec![entry]),
            None => {
                map.insert(key, Value::Sequence(vec![entry]));
            }
        }
    }
}
