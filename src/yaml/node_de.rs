//! Typed reading of a [`Document`]: a serde `Deserializer` over its nodes, so the
//! domain's plain-serde types (`Customer`, `Interaction`) are read from a tree that
//! knows where every value is. Compared with reading through serde_yaml directly:
//!
//! - every error carries the line and column of the value it is about, and the path of
//!   keys that leads there (`follow_up.every`), rather than the start of the mapping;
//! - text fields get the scalar exactly as written (`phone: +4420` stays `+4420`,
//!   `amount: 99999.999` reaches the money parser as written, not as a float);
//! - nodes listed in `excluded` are skipped, so that `crm check` can read a file again
//!   without the values already reported, and report every problem of a file.

use std::collections::HashSet;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

use serde::de::{
    self, DeserializeSeed, Deserializer, Error as _, MapAccess, SeqAccess, Unexpected, Visitor,
};

use super::libyaml::Style;
use super::tree::{resolve_plain, Document, Node, NodeKind, Pos, Resolved};

/// Nodes to skip, by [`node_id`]. Looked up for every key of every mapping read, so it
/// hashes the ids with one multiplication rather than SipHash.
pub(crate) type Excluded = HashSet<usize, BuildHasherDefault<IdHasher>>;

/// The hasher of [`Excluded`]: node ids are addresses, already unique, and a file is
/// no key to flood a hash table with (the ids are not chosen by its author).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn write_usize(&mut self, id: usize) {
        self.0 = (id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// State shared by all the deserializers of one read.
pub(crate) struct Ctx<'a> {
    doc: &'a Document,
    excluded: &'a Excluded,
}

impl<'a> Ctx<'a> {
    /// A read of `doc` that skips the nodes in `excluded` (see [`node_id`]).
    pub(crate) fn new(doc: &'a Document, excluded: &'a Excluded) -> Ctx<'a> {
        Ctx { doc, excluded }
    }

    /// A deserializer for `node`.
    pub(crate) fn de(&'a self, node: &'a Node) -> NodeDe<'a> {
        NodeDe { ctx: self, node }
    }
}

/// The identity of a node within its document, for `excluded` sets.
pub(crate) fn node_id(node: &Node) -> usize {
    std::ptr::from_ref(node) as usize
}

/// A deserialization error, located at the innermost value it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DeError {
    /// What is wrong.
    pub(crate) message: String,
    /// Where; `None` when raised by the mapping being read as a whole.
    pub(crate) pos: Option<Pos>,
    /// The innermost mapping value or list item the error came out of.
    pub(crate) node: Option<usize>,
    /// Keys and list indices from the innermost out (`every`, `follow_up`).
    keys: Vec<Segment>,
    missing: Option<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    Index(usize),
}

impl DeError {
    /// For "has no `x:`", the field `x`.
    pub(crate) fn missing(&self) -> Option<&'static str> {
        self.missing
    }

    /// Marks the error as coming from list item `index` of the list at `key`.
    pub(crate) fn within(mut self, key: &str, index: usize) -> DeError {
        self.keys.push(Segment::Index(index));
        self.keys.push(Segment::Key(key.to_string()));
        self
    }

    /// The path to the value as serde_yaml writes it (`follow_up.every`,
    /// `tags[1]`), empty at the top.
    pub(crate) fn path(&self) -> String {
        let mut path = String::new();
        for segment in self.keys.iter().rev() {
            match segment {
                Segment::Key(key) => {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(key);
                }
                Segment::Index(i) => path.push_str(&format!("[{i}]")),
            }
        }
        path
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError {
            message: msg.to_string(),
            pos: None,
            node: None,
            keys: Vec::new(),
            missing: None,
        }
    }

    fn invalid_type(unexp: Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        DeError::custom(format_args!("expected {exp}, found {}", describe(&unexp)))
    }

    fn invalid_value(unexp: Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        DeError::custom(format_args!("expected {exp}, found {}", describe(&unexp)))
    }

    fn missing_field(field: &'static str) -> Self {
        let mut err = DeError::custom(format_args!("has no `{field}:`"));
        err.missing = Some(field);
        err
    }
}

fn describe(unexp: &Unexpected<'_>) -> String {
    match unexp {
        Unexpected::Map => "a mapping (`key: value` lines)".to_string(),
        Unexpected::Seq => "a list".to_string(),
        Unexpected::Unit | Unexpected::Option => "nothing".to_string(),
        Unexpected::Str(s) => format!("{s:?}"),
        Unexpected::Signed(i) => format!("the number {i}"),
        Unexpected::Unsigned(u) => format!("the number {u}"),
        Unexpected::Float(f) => format!("the number {f}"),
        Unexpected::Bool(b) => format!("`{b}`"),
        other => other.to_string(),
    }
}

/// A deserializer for one node.
#[derive(Clone, Copy)]
pub(crate) struct NodeDe<'a> {
    ctx: &'a Ctx<'a>,
    node: &'a Node,
}

impl<'a> NodeDe<'a> {
    fn resolved(&self) -> &'a Node {
        self.ctx.doc.resolve(self.node)
    }

    fn at(&self, mut err: DeError) -> DeError {
        if err.pos.is_none() {
            err.pos = Some(self.node.pos);
        }
        err
    }
}

macro_rules! forward_to_any {
    ($($method:ident)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
                self.deserialize_any(visitor)
            }
        )*
    };
}

impl<'de, 'a> Deserializer<'de> for NodeDe<'a> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let node = self.resolved();
        let result = match &node.kind {
            NodeKind::Scalar { value, style } => {
                let core = node
                    .tag
                    .as_deref()
                    .and_then(|t| t.strip_prefix("tag:yaml.org,2002:"));
                let resolved = match (core, style) {
                    (Some("str"), _) => Resolved::Str,
                    (Some("null" | "bool" | "int" | "float"), _) | (None, Style::Plain) => {
                        resolve_plain(value)
                    }
                    _ if node.tag.as_deref().is_some_and(|t| t.starts_with('!'))
                        && *style == Style::Plain =>
                    {
                        resolve_plain(value)
                    }
                    _ => Resolved::Str,
                };
                match resolved {
                    Resolved::Str => visitor.visit_str(value),
                    Resolved::Null => visitor.visit_unit(),
                    Resolved::Bool(b) => visitor.visit_bool(b),
                    Resolved::Int(i) => match (u64::try_from(i), i64::try_from(i)) {
                        (Ok(u), _) => visitor.visit_u64(u),
                        (_, Ok(s)) => visitor.visit_i64(s),
                        _ => visitor.visit_i128(i),
                    },
                    Resolved::Float(f) => visitor.visit_f64(f),
                }
            }
            NodeKind::Seq(items) => visitor.visit_seq(Items {
                ctx: self.ctx,
                items: items.iter().enumerate(),
            }),
            NodeKind::Map(entries) => visitor.visit_map(Entries {
                ctx: self.ctx,
                entries: entries.iter(),
                value: None,
            }),
            NodeKind::Anchor(_) => Err(DeError::custom("an alias that leads nowhere")),
        };
        result.map_err(|e| self.at(e))
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let node = self.resolved();
        let result = match &node.kind {
            NodeKind::Scalar { value, .. } => visitor.visit_str(value),
            _ => self.deserialize_any(visitor),
        };
        result.map_err(|e| self.at(e))
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        // A key that is a list or a mapping names no field crm knows: it is one of the
        // person's own fields, kept and otherwise ignored like any other.
        visitor
            .visit_str(self.resolved().scalar().unwrap_or(""))
            .map_err(|e| self.at(e))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.resolved().is_null() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.resolved().is_null() {
            visitor.visit_unit()
        } else {
            self.deserialize_any(visitor)
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_any(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_any(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_any(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, DeError> {
        Err(self.at(DeError::custom("crm reads no enumerations from YAML")))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    forward_to_any! {
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
        deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char deserialize_bytes
        deserialize_byte_buf deserialize_seq deserialize_map
    }
}

struct Items<'a> {
    ctx: &'a Ctx<'a>,
    items: std::iter::Enumerate<std::slice::Iter<'a, Node>>,
}

impl<'de, 'a> SeqAccess<'de> for Items<'a> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        let Some((index, item)) = self
            .items
            .by_ref()
            .find(|(_, item)| !self.ctx.excluded.contains(&node_id(item)))
        else {
            return Ok(None);
        };
        let de = NodeDe {
            ctx: self.ctx,
            node: item,
        };
        seed.deserialize(de).map(Some).map_err(|mut err| {
            if err.pos.is_none() {
                err.pos = Some(item.pos);
            }
            if err.node.is_none() {
                err.node = Some(node_id(item));
            }
            err.keys.push(Segment::Index(index));
            err
        })
    }
}

struct Entries<'a> {
    ctx: &'a Ctx<'a>,
    entries: std::slice::Iter<'a, (Node, Node)>,
    value: Option<(&'a Node, &'a Node)>,
}

impl<'de, 'a> MapAccess<'de> for Entries<'a> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let Some((key, value)) = self
            .entries
            .by_ref()
            .find(|(_, value)| !self.ctx.excluded.contains(&node_id(value)))
        else {
            return Ok(None);
        };
        self.value = Some((key, value));
        let de = NodeDe {
            ctx: self.ctx,
            node: key,
        };
        seed.deserialize(de).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let Some((key, value)) = self.value.take() else {
            return Err(DeError::custom("a value without a key"));
        };
        let name = self.ctx.doc.resolve(key).scalar();
        let de = NodeDe {
            ctx: self.ctx,
            node: value,
        };
        seed.deserialize(de).map_err(|mut err| {
            if err.pos.is_none() {
                err.pos = Some(value.pos);
            }
            if err.node.is_none() {
                err.node = Some(node_id(value));
            }
            err.keys.push(Segment::Key(name.unwrap_or("?").to_string()));
            err
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::customer::Customer;
    use crate::yaml::tree;
    use serde::Deserialize;

    fn read(text: &str) -> Result<Customer, DeError> {
        let doc = tree::parse(text).unwrap();
        let excluded = Excluded::default();
        let ctx = Ctx::new(&doc, &excluded);
        Customer::deserialize(ctx.de(doc.root.as_ref().unwrap()))
    }

    #[test]
    fn text_is_read_as_written() {
        let customer = read("name: Ann\nphone: +4420\ntags: [0o17, vip]\n").unwrap();
        assert_eq!(customer.phone.as_deref(), Some("+4420"));
        assert_eq!(customer.tags, ["0o17", "vip"]);
    }

    #[test]
    fn errors_point_at_the_value_and_name_the_path() {
        let err = read("name: Ann\nfollow_up:\n  every: 30x\n").unwrap_err();
        assert_eq!(
            err.pos,
            Some(Pos {
                line: 3,
                column: 10
            })
        );
        assert_eq!(err.path(), "follow_up.every");
    }

    #[test]
    fn aliases_are_followed() {
        let customer = read("name: &n Ann\ncompany: *n\n");
        assert_eq!(customer.unwrap().company.as_deref(), Some("Ann"));
    }
}
