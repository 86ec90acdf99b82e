//! The scan against libgit2's own status, on random states of a real repository.
#![allow(
    clippy::disallowed_methods,
    reason = "file times are set relative to the real clock, which git compares them with"
)]

use super::*;
use std::collections::BTreeMap;
use std::fs;
use std::time::{Duration, SystemTime};

use crate::store::mangle::Mangler;

/// libgit2's status of `folder` (a work-tree path ending in `/`), as the scan reports
/// it: what is not current, and the index entries of the files it does not report.
fn libgit2_status(
    repo: &Repository,
    folder: &str,
) -> (BTreeMap<String, Status>, Vec<(String, BlobKey)>) {
    let mut options = git2::StatusOptions::new();
    options
        .include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false)
        .exclude_submodules(true)
        .disable_pathspec_match(true)
        .pathspec(folder);
    let statuses = repo.statuses(Some(&mut options)).unwrap();
    let reported: BTreeMap<String, Status> = statuses
        .iter()
        .filter(|e| e.status() != Status::CURRENT)
        .map(|e| (e.path().unwrap().to_string(), e.status()))
        .collect();
    let index = repo.index().unwrap();
    let unchanged = index
        .iter()
        .map(|e| (String::from_utf8(e.path).unwrap(), e.id, e.file_size))
        .filter(|(path, _, _)| path.starts_with(folder) && !reported.contains_key(path))
        .map(|(path, id, size)| {
            let key = BlobKey {
                id: id.as_bytes().try_into().unwrap(),
                size: u64::from(size),
            };
            (path, key)
        })
        .collect();
    (reported, unchanged)
}

fn crm_scan(repo: &Repository, book: &str) -> Option<FolderStatus> {
    let head = repo.head().ok().map(|h| h.peel_to_tree().unwrap());
    scan(repo, book, "customers", head.as_ref()).unwrap()
}

fn commit_index(repo: &Repository) {
    let mut index = repo.index().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    index.write().unwrap();
    let who = git2::Signature::now("T", "t@example.com").unwrap();
    let parent = repo.head().ok().map(|h| h.peel_to_commit().unwrap());
    let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
    repo.commit(Some("HEAD"), &who, &who, "c", &tree, &parents)
        .unwrap();
}

fn set_mtime(path: &Path, mtime: SystemTime) {
    fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
}

/// One random change to the book's customer files, to the index, or to both.
fn mutate(repo: &Repository, root: &Path, book: &str, rng: &mut Mangler, step: u64) {
    let folder = root.join(book).join("customers");
    let mut names: Vec<String> = fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    let pick = |rng: &mut Mangler| names[(rng.next() as usize) % names.len()].clone();
    let repo_path = |name: &str| format!("{book}customers/{name}");
    let mut index = repo.index().unwrap();
    match rng.next() % 10 {
        // A different size.
        0 if !names.is_empty() => {
            let name = pick(rng);
            fs::write(folder.join(&name), format!("name: changed {step}\n")).unwrap();
        }
        // The same size and the same modification time: only the ctime tells.
        1 if !names.is_empty() => {
            let path = folder.join(pick(rng));
            let before = fs::metadata(&path).unwrap().modified().unwrap();
            let mut bytes = fs::read(&path).unwrap();
            if let Some(first) = bytes.first_mut() {
                *first = if *first == b'X' { b'Y' } else { b'X' };
            }
            fs::write(&path, &bytes).unwrap();
            set_mtime(&path, before);
        }
        // Made executable, or back.
        2 if !names.is_empty() => {
            use std::os::unix::fs::PermissionsExt as _;
            let path = folder.join(pick(rng));
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            fs::set_permissions(&path, fs::Permissions::from_mode(mode ^ 0o100)).unwrap();
        }
        3 if !names.is_empty() => fs::remove_file(folder.join(pick(rng))).unwrap(),
        4 => fs::write(folder.join(format!("new-{step}.yaml")), "name: N\n").unwrap(),
        // Ignored by the book's `.gitignore`.
        5 => fs::write(folder.join(format!("scratch-{step}.tmp")), "x").unwrap(),
        // Staged as it is now.
        6 if !names.is_empty() => {
            index.add_path(Path::new(&repo_path(&pick(rng)))).unwrap();
            index.write().unwrap();
        }
        // Taken out of the index.
        7 if !names.is_empty() => {
            let _ = index.remove_path(Path::new(&repo_path(&pick(rng))));
            index.write().unwrap();
        }
        // Touched: a new modification time, the same bytes.
        8 if !names.is_empty() => {
            let path = folder.join(pick(rng));
            set_mtime(
                &path,
                SystemTime::now() + Duration::from_secs(rng.next() % 5),
            );
        }
        // Committed as the index holds it.
        _ => commit_index(repo),
    }
}

/// A book of `files` customers at `book` in a new repository, committed, every file
/// dated ten seconds back so that its index entry is not racily clean.
fn new_book(book: &str, files: usize) -> (tempfile::TempDir, Repository) {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::init(dir.path()).unwrap();
    let root = dir.path().join(book);
    fs::create_dir_all(root.join("customers")).unwrap();
    fs::write(dir.path().join(".gitignore"), "*.tmp\n").unwrap();
    fs::write(root.join("crm.toml"), "").unwrap();
    let back = SystemTime::now() - Duration::from_secs(10);
    for n in 0..files {
        let path = root.join("customers").join(format!("c{n:03}.yaml"));
        fs::write(&path, format!("name: Customer {n}\n")).unwrap();
        set_mtime(&path, back);
    }
    let mut index = repo.index().unwrap();
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .unwrap();
    index.write().unwrap();
    commit_index(&repo);
    (dir, repo)
}

#[test]
fn the_scan_reports_what_libgit2_reports() {
    for (seed, book) in [(1_u64, ""), (2, "sales/book/"), (3, ""), (4, "b/")] {
        let (dir, repo) = new_book(book, 40);
        let mut rng = Mangler::new(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15), b"x");
        for step in 0..60 {
            mutate(&repo, dir.path(), book, &mut rng, step);
            let scanned = crm_scan(&repo, book).expect("a plain folder is scanned");
            let (reported, unchanged) = libgit2_status(&repo, &format!("{book}customers/"));
            let ours: BTreeMap<String, Status> = scanned.reported.into_iter().collect();
            assert_eq!(ours, reported, "seed {seed}, step {step}");
            assert_eq!(scanned.unchanged, unchanged, "seed {seed}, step {step}");
            let mut others = vec![format!("{book}crm.toml")];
            if book.is_empty() {
                others.insert(0, ".gitignore".to_string());
            }
            assert_eq!(scanned.others, others, "seed {seed}, step {step}");
        }
    }
}

#[test]
fn a_folder_too_big_for_one_thread_is_scanned_alike() {
    let (dir, repo) = new_book("", 3 * FILES_PER_TASK);
    let folder = dir.path().join("customers");
    fs::write(folder.join("c007.yaml"), "name: Seven\n").unwrap();
    fs::remove_file(folder.join("c2500.yaml")).unwrap();
    let scanned = crm_scan(&repo, "").unwrap();
    let (reported, unchanged) = libgit2_status(&repo, "customers/");
    assert_eq!(reported.len(), 2);
    assert_eq!(
        scanned.reported.into_iter().collect::<BTreeMap<_, _>>(),
        reported
    );
    assert_eq!(scanned.unchanged, unchanged);
}

#[test]
fn folders_libgit2_must_answer_for_are_not_scanned() {
    type Make = fn(&Path, &Repository);
    let cases: [(&str, Make); 4] = [
        ("a subfolder", |root, _| {
            fs::create_dir(root.join("customers/sub")).unwrap();
        }),
        ("a link", |root, _| {
            std::os::unix::fs::symlink("c000.yaml", root.join("customers/l.yaml")).unwrap();
        }),
        ("a filter", |root, _| {
            fs::write(root.join(".gitattributes"), "*.yaml text eol=crlf\n").unwrap();
        }),
        ("a case-insensitive index", |_, repo| {
            repo.config()
                .unwrap()
                .set_bool("core.ignorecase", true)
                .unwrap();
        }),
    ];
    for (what, make) in cases {
        let (dir, repo) = new_book("", 3);
        make(dir.path(), &repo);
        assert!(crm_scan(&repo, "").is_none(), "{what}");
    }
}

#[test]
fn a_racily_clean_entry_is_hashed() {
    use std::os::unix::fs::MetadataExt as _;
    let (dir, repo) = new_book("", 2);
    let path = dir.path().join("customers/c000.yaml");
    // Dated after the index will be written: git cannot tell a change in the same
    // instant from its stat data, so it compares the content.
    set_mtime(&path, SystemTime::now() + Duration::from_secs(100));
    let committed = repo
        .index()
        .unwrap()
        .get_path(Path::new("customers/c000.yaml"), 0)
        .unwrap();
    fs::write(&path, "name: Customer X\n").unwrap();
    set_mtime(&path, SystemTime::now() + Duration::from_secs(100));
    let meta = fs::metadata(&path).unwrap();
    // An entry whose stat data is the file's own but whose content is the old one.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let entry = git2::IndexEntry {
        ctime: git2::IndexTime::new(meta.ctime() as i32, meta.ctime_nsec() as u32),
        mtime: git2::IndexTime::new(meta.mtime() as i32, meta.mtime_nsec() as u32),
        dev: meta.dev() as u32,
        ino: meta.ino() as u32,
        mode: 0o100_644,
        uid: meta.uid(),
        gid: meta.gid(),
        file_size: meta.size() as u32,
        ..committed
    };
    let mut index = repo.index().unwrap();
    index.add(&entry).unwrap();
    index.write().unwrap();
    let (reported, _) = libgit2_status(&repo, "customers/");
    assert_eq!(
        reported.get("customers/c000.yaml"),
        Some(&Status::WT_MODIFIED)
    );
    let scanned = crm_scan(&repo, "").unwrap();
    assert_eq!(
        scanned.reported,
        [("customers/c000.yaml".to_string(), Status::WT_MODIFIED)]
    );
}
