//! `crm merge-file BASE OURS THEIRS [PATH]`: git's merge driver for customer files
//! (`merge.crm.driver = crm merge-file %O %A %B %P`, with `.gitattributes` saying
//! `customers/*.yaml merge=crm`). Reads the three versions git hands over, merges them
//! by crm's rules ([`crate::store::merge`]) and writes the result over OURS, as git
//! expects; exit 0 when clean, 1 when conflict markers were left (each conflict is
//! named on stderr). Other files, and customer files a side of which does not read,
//! are merged line by line, so the driver is safe for any path.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::context::Context;
use crate::error::{Error, Result, EXIT_FOUND, EXIT_OK};
use crate::store::merge::{self, MergeOptions, DEFAULT_MARKER_SIZE};

/// Arguments of `crm merge-file`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The common ancestor's version (git's `%O`); an empty file when there is none.
    #[arg(value_name = "BASE")]
    pub(crate) base: PathBuf,
    /// Our version (git's `%A`); the result is written over it.
    #[arg(value_name = "OURS")]
    pub(crate) ours: PathBuf,
    /// Their version (git's `%B`).
    #[arg(value_name = "THEIRS")]
    pub(crate) theirs: PathBuf,
    /// The file's path in the repository (git's `%P`), for messages and to tell a
    /// customer file (`customers/*.yaml`) from others; without it, OURS is taken for
    /// a customer file.
    #[arg(value_name = "PATH")]
    pub(crate) path: Option<String>,
    /// Length of the conflict markers (git's `%L`).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MARKER_SIZE as u16,
          value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub(crate) marker_size: u16,
}

/// Runs `crm merge-file`.
pub(crate) fn run(ctx: &Context, args: &Args, _out: &mut dyn Write) -> Result<u8> {
    // Relative to where git runs the driver (the top of the work tree), or to a `-C`
    // typed on the command line; never to a `CRM_DIR` the person has set for their
    // own book.
    let at = |path: &Path| ctx.init_dir.join(path);
    let base = read(&at(&args.base))?;
    let ours_path = at(&args.ours);
    let ours = read(&ours_path)?;
    let theirs = read(&at(&args.theirs))?;
    let (shown, customer) = match &args.path {
        Some(path) => (path.clone(), merge::is_customer_path(path)),
        None => (args.ours.display().to_string(), true),
    };
    let options = MergeOptions {
        marker_size: usize::from(args.marker_size),
    };
    let result = merge::merge_file(&base, &ours, &theirs, &shown, customer, &options);
    if result.bytes != ours {
        crate::store::write::replace_atomically(&ours_path, &result.bytes)?;
    }
    let stderr = std::io::stderr();
    let mut stderr = stderr.lock();
    for conflict in &result.conflicts {
        writeln!(stderr, "{conflict}")?;
    }
    Ok(if result.is_clean() {
        EXIT_OK
    } else {
        EXIT_FOUND
    })
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::io("read", path, &e))
}
