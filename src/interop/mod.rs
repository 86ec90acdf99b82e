//! The formats other programs speak: reading what people export (Google and Outlook
//! contacts, vCard, Shopify and Stripe orders, any CSV through a rules file) and writing
//! what phones and calendars read (vCard, iCalendar).
//!
//! Pure: bytes or text in, rows or text out. Nothing here touches the file system, the
//! clock, the book or the terminal; `commands/import.rs` and `commands/export.rs` do the
//! I/O and feed the rows through the one checked import path (docs/import.md).

pub(crate) mod calendar;
pub(crate) mod contacts;
pub(crate) mod orders;
pub(crate) mod rules;
pub(crate) mod text;
pub(crate) mod uid;
pub(crate) mod vcard;
