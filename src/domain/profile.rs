//! The one list of a customer's contact fields (docs/design.md, "Adding a customer
//! field"): optional text values at the top of a customer file, such as `email`.
//!
//! Every type that carries them — [`Customer`](super::customer::Customer),
//! [`Summary`](super::summary::Summary), [`NewCustomer`](super::customer::NewCustomer),
//! `crm add`'s flags, what a customers import row gives and what an existing customer
//! holds of it — declares them with [`contact_struct!`] and fills them with
//! [`contact_init!`], so a new contact field is one line in [`contact_fields!`]. The
//! fields stay plain named fields of each type (`customer.email`): no `serde(flatten)`,
//! which would lose the positions `yaml/node_de.rs` gives every value and break the
//! summary cache's non-self-describing format. The renderers (`show`, `export`, `list`)
//! are written out by hand, because each decides where a new key goes (JSON objects and
//! CSV columns only grow at the end); a unit test in `commands/` fails when one of them
//! misses a field of the list.
//!
//! Pure: declarations only.

/// The list. Each entry is the field's name (its key in the file, its `crm add` flag,
/// its column in a customers import and in `crm export`) and its doc (`--help`'s text).
/// `contact_fields! { then { args } }` calls `then! { args [entries] }`.
macro_rules! contact_fields {
    ($then:ident { $($args:tt)* }) => {
        $crate::domain::profile::$then! { $($args)* [
            email "Email address.",
            phone "Phone number.",
            company "Company.",
        ] }
    };
}

/// Declares a struct whose contact fields, one per entry of [`contact_fields!`], come
/// between the fields in the first braces and those in the second:
///
/// ```text
/// contact_struct! {
///     #[derive(Debug)]
///     pub(crate) struct Held<'a> { name: &'a str, }
///     + contact(bool)
///     + { tags: bool, }
/// }
/// ```
///
/// `contact(VIS TYPE, #[attr]...)`: every contact field gets that visibility, type and
/// attributes, and its doc from the list. The struct also gets `contact_fields(&self)`,
/// the fields as `(name, &value)` in the list's order.
macro_rules! contact_struct {
    (
        $(#[$m:meta])* $v:vis struct $name:ident $(<$lt:lifetime>)? { $($head:tt)* }
        + contact($fv:vis $ty:ty $(, #[$fm:meta])*)
        + { $($tail:tt)* }
    ) => {
        $crate::domain::profile::contact_fields! { contact_struct {
            @munch [$(#[$m])* $v struct $name $(<$lt>)? { $($head)* }]
            [$fv $ty] [$(#[$fm])*] [] { $($tail)* }
        } }
    };
    // One field at a time (so that the attributes, a repetition of their own, can be
    // copied onto each field).
    (
        @munch $item:tt [$fv:vis $ty:ty] [$($fm:tt)*] [$($done:tt)*] $tail:tt
        [$f:ident $doc:literal, $($rest:tt)*]
    ) => {
        $crate::domain::profile::contact_struct! {
            @munch $item [$fv $ty] [$($fm)*]
            [$($done)* #[doc = $doc] $($fm)* $fv $f: $ty,] $tail [$($rest)*]
        }
    };
    (
        @munch [$(#[$m:meta])* $v:vis struct $name:ident $(<$lt:lifetime>)? { $($head:tt)* }]
        [$fv:vis $ty:ty] [$($fm:tt)*] [$($done:tt)*] { $($tail:tt)* } []
    ) => {
        $(#[$m])*
        $v struct $name $(<$lt>)? {
            $($head)*
            $($done)*
            $($tail)*
        }

        impl $(<$lt>)? $name $(<$lt>)? {
            /// The contact fields (`crate::domain::profile`), as `(name, value)` in the
            /// list's order.
            #[allow(dead_code)]
            pub(crate) fn contact_fields(&self) -> impl Iterator<Item = (&'static str, &$ty)> + '_ {
                $crate::domain::profile::contact_fields! { contact_struct { @refs self } }
            }
        }
    };
    (@refs $self:ident [$($f:ident $doc:literal,)*]) => {
        [$((stringify!($f), &$self.$f)),*].into_iter()
    };
}

/// A struct literal whose contact fields come between the fields in the first braces and
/// those in the second, each computed by the closure-like expression:
///
/// - `contact(from SRC, |v| EXPR)`: `v` is `&SRC.field`;
/// - `contact(by name, |k| EXPR)`: `k` is the field's name (`"email"`), for sources
///   keyed by name such as a CSV record.
///
/// The fields are computed in the list's order, after those in the first braces.
macro_rules! contact_init {
    (
        $name:ident { $($head:tt)* }
        + contact(from $src:expr, |$v:ident| $conv:expr)
        + { $($tail:tt)* }
    ) => {
        $crate::domain::profile::contact_fields! { contact_init {
            @from $name { $($head)* } ($src) $v ($conv) { $($tail)* }
        } }
    };
    (
        $name:ident { $($head:tt)* }
        + contact(by name, |$k:ident| $conv:expr)
        + { $($tail:tt)* }
    ) => {
        $crate::domain::profile::contact_fields! { contact_init {
            @by $name { $($head)* } $k ($conv) { $($tail)* }
        } }
    };
    (
        @from $name:ident { $($head:tt)* } ($src:expr) $v:ident ($conv:expr) { $($tail:tt)* }
        [$($f:ident $doc:literal,)*]
    ) => {
        $name {
            $($head)*
            $($f: {
                let $v = &$src.$f;
                $conv
            },)*
            $($tail)*
        }
    };
    (
        @by $name:ident { $($head:tt)* } $k:ident ($conv:expr) { $($tail:tt)* }
        [$($f:ident $doc:literal,)*]
    ) => {
        $name {
            $($head)*
            $($f: {
                let $k: &'static str = stringify!($f);
                $conv
            },)*
            $($tail)*
        }
    };
}

/// An array of names with the contact fields' names between the two lists:
/// `contact_names!(["name"], ["tags"])` is `["name", "email", "phone", "company", "tags"]`.
macro_rules! contact_names {
    ([$($pre:expr),* $(,)?], [$($post:expr),* $(,)?]) => {
        $crate::domain::profile::contact_fields! { contact_names {
            @emit [$($pre),*] [$($post),*]
        } }
    };
    (@emit [$($pre:expr),*] [$($post:expr),*] [$($f:ident $doc:literal,)*]) => {
        [$($pre,)* $(stringify!($f),)* $($post),*]
    };
}

pub(crate) use {contact_fields, contact_init, contact_names, contact_struct};

/// The contact fields' names, in the list's order (for tests that check every place).
#[cfg(test)]
pub(crate) const CONTACT_FIELDS: &[&str] = &contact_names!([], []);

/// The contact fields' docs, in the list's order (`crm add --help` shows them).
#[cfg(test)]
pub(crate) const CONTACT_DOCS: &[&str] = &contact_fields! { contact_docs {} };

#[cfg(test)]
macro_rules! contact_docs {
    ([$($f:ident $doc:literal,)*]) => {
        [$($doc),*]
    };
}
#[cfg(test)]
pub(crate) use contact_docs;

#[cfg(test)]
mod tests {
    use super::*;

    contact_struct! {
        #[derive(Debug, Default, PartialEq)]
        struct Probe<'a> { first: &'a str, }
        + contact(Option<u32>, #[allow(dead_code)])
        + { last: bool, }
    }

    #[test]
    fn a_declared_struct_has_every_contact_field_in_order() {
        let probe = contact_init!(Probe { first: "a", }
            + contact(by name, |k| Some(k.len() as u32))
            + { last: true, });
        let fields: Vec<(&str, Option<u32>)> =
            probe.contact_fields().map(|(k, v)| (k, *v)).collect();
        let expected: Vec<(&str, Option<u32>)> = CONTACT_FIELDS
            .iter()
            .map(|k| (*k, Some(k.len() as u32)))
            .collect();
        assert_eq!(fields, expected);
        assert_eq!((probe.first, probe.last), ("a", true));
        let copy = contact_init!(Probe { first: probe.first, }
            + contact(from probe, |v| v.map(|n| n + 1))
            + { last: false, });
        assert_eq!(copy.contact_fields().count(), CONTACT_FIELDS.len());
        assert_eq!(copy.email, probe.email.map(|n| n + 1));
    }

    #[test]
    fn names_put_the_contact_fields_between_the_lists() {
        assert!(CONTACT_FIELDS.starts_with(&["email", "phone", "company"]));
        assert_eq!(CONTACT_DOCS.len(), CONTACT_FIELDS.len());
        let mut expected = vec!["name"];
        expected.extend(CONTACT_FIELDS);
        expected.extend(["tags", "since"]);
        assert_eq!(
            contact_names!(["name"], ["tags", "since"]).to_vec(),
            expected
        );
    }
}
