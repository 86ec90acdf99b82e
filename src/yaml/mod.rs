//! The YAML engine: everything crm knows about YAML text, and nothing about customers,
//! books or git. It depends on nothing else of crm but [`crate::error`] (for the one
//! user-facing error an append refusal becomes). The merge of customer files and any
//! other code that reads or changes YAML text is written against this interface alone;
//! the files behind it are private to this folder.
//!
//! The interface, in the order a lossless write uses it:
//!
//! - **Parse with positions and limits.** [`parse`] turns text into a [`Document`] of
//!   [`Node`]s, each knowing its [`Pos`] (line, column) and the bytes it spans, with
//!   [`MAX_DEPTH`], [`MAX_ALIASES`] and [`MAX_ALIAS_EXPANSION`] applied while parsing
//!   (a [`TreeError`] stops the parse at the first hostile byte). Duplicate keys and
//!   invalid scalars are collected, not fatal. [`Ctx`] and [`NodeDe`] read a node into
//!   any plain-serde type with the position and key path of every error ([`DeError`]).
//! - **Locate.** [`Document::get`] and [`Document::entry`] find a key of a mapping;
//!   [`plan_append`] finds the end of a top-level sequence (or where a missing one
//!   goes) and decides how entries are added there, or refuses with an [`AppendError`].
//! - **Render.** [`scalar`] and [`flow_list`] write values in crm's quoting rules:
//!   plain only when no YAML 1.1 or 1.2 reader can misread it, else double-quoted.
//! - **Change one value.** [`replace_value`], [`insert_entry`], [`remove_entry`],
//!   [`push_items`], [`remove_items`], [`item_text`]/[`reindent`]/[`insert_lines`]
//!   change one key or list item in the style the text already uses, or refuse with a
//!   [`SpliceError`] where that would mean rewriting what a person wrote.
//! - **Splice and verify.** [`Plan::apply`] splices entries into the text, keeping
//!   every other byte ([`Plan::splice`] gives the same as one edit, for a caller that
//!   makes others in the same pass: the merge of customer files); [`value_of`] reads
//!   text as a plain [`Value`] (serde_yaml, the same parser) so a caller can check that the result says exactly what the text
//!   said plus what was added ([`push_entry`] builds that expectation);
//!   [`without_lines`] takes lines out only when the meaning stays the same.
//!
//! This folder must not touch the file system, the clock, the environment or the
//! terminal (clippy.toml enforces the last three).

mod edit;
mod fast;
mod libyaml;
mod node_de;
mod splice;
mod tree;
mod value;
mod yaml_text;

pub(crate) use edit::{plan as plan_append, without_lines};
pub(crate) use edit::{Plan, SavedPlan};
// The rest of what a plan is: named by no caller yet, but part of what a splice is
// written against.
#[allow(unused_imports)]
pub(crate) use edit::{AppendError, Layout};
// Line arithmetic over text with any of YAML's line breaks, for code that splices text.
pub(crate) use edit::{break_before, has_break, is_line_start, line_end, line_start, next_line};
pub(crate) use libyaml::{Mark, Style, SyntaxError};
pub(crate) use node_de::{node_id, Ctx, DeError, Excluded, NodeDe};
pub(crate) use splice::{
    insert_entry, insert_lines, item_text, push_items, reindent, remove_entry, remove_items,
    replace_node, replace_value, SpliceError,
};
pub(crate) use tree::{
    break_len, key_text, parse, resolve_plain, yaml_lines, Document, Node, NodeKind, Pos, Resolved,
    TreeError, MAX_ALIASES, MAX_ALIAS_EXPANSION, MAX_DEPTH,
};
pub(crate) use value::{push_entry, value_of, Mapping, Value, ValueError};
pub(crate) use yaml_text::{flow_list, scalar, scalar_like};
