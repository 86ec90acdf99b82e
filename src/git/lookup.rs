//! Looking many paths up in one tree: each folder's tree is read once, not once per
//! path. In a large book `customers/` is one tree of megabytes (100,000 entries);
//! `Tree::get_path` reads, inflates and parses it again for every file it is asked
//! about, as libgit2 keeps no tree that large in its object cache.

use std::collections::HashMap;

use git2::{ObjectType, Oid, Repository, Tree};

/// One entry of a tree, owned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) id: Oid,
    pub(crate) kind: Option<ObjectType>,
    pub(crate) mode: i32,
}

/// The entries of `root` (and the trees below it), found as `root.get_path(path)`
/// finds them, with each folder's tree loaded at most once.
pub(crate) struct TreeLookup<'r> {
    repo: &'r Repository,
    root: Option<Tree<'r>>,
    /// A folder's `/`-separated path (without a trailing `/`) → its tree, `None` when
    /// there is no such folder.
    folders: HashMap<String, Option<Tree<'r>>>,
}

impl<'r> TreeLookup<'r> {
    /// Lookups in `root`; `None` is an empty tree (an unborn branch).
    pub(crate) fn new(repo: &'r Repository, root: Option<Tree<'r>>) -> Self {
        TreeLookup {
            repo,
            root,
            folders: HashMap::new(),
        }
    }

    /// The entry at the `/`-separated `path`, `None` when the tree has none (or a
    /// folder on the way is not a tree).
    pub(crate) fn entry(&mut self, path: &str) -> Option<Entry> {
        let (folder, name) = match path.rsplit_once('/') {
            Some((folder, name)) => (Some(folder), name),
            None => (None, path),
        };
        let tree = match folder {
            None => self.root.as_ref()?,
            Some(folder) => {
                if !self.folders.contains_key(folder) {
                    let tree = folder_tree(self.repo, self.root.as_ref(), folder);
                    self.folders.insert(folder.to_string(), tree);
                }
                self.folders.get(folder)?.as_ref()?
            }
        };
        let entry = tree.get_name(name)?;
        Some(Entry {
            id: entry.id(),
            kind: entry.kind(),
            mode: entry.filemode(),
        })
    }
}

/// The tree at `folder` in `root`, if it is one.
fn folder_tree<'r>(
    repo: &'r Repository,
    root: Option<&Tree<'r>>,
    folder: &str,
) -> Option<Tree<'r>> {
    let entry = root?.get_path(std::path::Path::new(folder)).ok()?;
    if entry.kind() != Some(ObjectType::Tree) {
        return None;
    }
    repo.find_tree(entry.id()).ok()
}

/// The id of the tree at `folder` in `root` (`""`: the root itself), without loading
/// that tree: only the trees above it are read.
pub(crate) fn folder_id(root: &Tree<'_>, folder: &str) -> Option<Oid> {
    if folder.is_empty() {
        return Some(root.id());
    }
    let entry = root.get_path(std::path::Path::new(folder)).ok()?;
    (entry.kind() == Some(ObjectType::Tree)).then(|| entry.id())
}
