//! The pure core: customers, interactions, dates, money, the follow-up rule and the
//! metrics. Nothing here touches the file system, the clock, git or the terminal.

pub(crate) mod agenda;
pub mod birthday;
pub(crate) mod change;
pub mod contact;
pub mod customer;
pub mod date;
pub(crate) mod duplicates;
pub(crate) mod field_change;
pub(crate) mod fields;
pub(crate) mod followup;
pub mod id;
pub(crate) mod import;
pub mod interaction;
pub(crate) mod loyalty;
pub mod metrics;
pub mod money;
pub mod period;
pub(crate) mod predict;
pub(crate) mod profile;
pub(crate) mod search;
pub(crate) mod segments;
pub mod summary;
pub mod text;
