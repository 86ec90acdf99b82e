//! Moving a customer's file as a whole: `crm rename` (a new id, the same bytes) and
//! `crm rm` (the file deleted). Both work under the book's lock and only on the bytes
//! that were read: a file that changed in between is left alone.

use std::fs;

use super::{Book, Loaded, WriteLock};
use crate::domain::id::CustomerId;
use crate::error::{Error, ErrorKind, Result};

impl Book {
    /// Renames customer `old` to `new`: the file is created under the new name with the
    /// same bytes, then the old one is removed. Refuses an existing `new`.
    pub fn rename_customer(
        &self,
        lock: &mut WriteLock,
        old: &CustomerId,
        new: &CustomerId,
    ) -> Result<Loaded> {
        let loaded = self.load(old)?;
        if old == new {
            return Err(Error::usage(format!("`{old}` is already called `{new}`")));
        }
        if self.exists(new) {
            return Err(Error::new(
                ErrorKind::AlreadyExists,
                format!(
                    "customer `{new}` already exists ({})",
                    self.shown(&self.customer_path(new))
                ),
            )
            .with_hint(format!(
                "if they are the same person, `crm merge {new} {old}` makes one customer of the two"
            )));
        }
        lock.create(&self.customer_path(new), loaded.raw())?;
        if let Err(err) = lock.remove(&self.customer_path(old), loaded.raw()) {
            // Never two copies: take the new one back out, as it was just written.
            let _ = fs::remove_file(self.customer_path(new));
            return Err(err);
        }
        Ok(loaded)
    }

    /// Deletes customer `id`'s file, if it still holds the bytes of `loaded`.
    pub fn remove_customer(
        &self,
        lock: &mut WriteLock,
        id: &CustomerId,
        loaded: &Loaded,
    ) -> Result<()> {
        lock.remove(&self.customer_path(id), loaded.raw())
    }
}
