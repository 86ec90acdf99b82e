//! Shared harness for black-box CLI tests: a temporary book and a `crm` runner with a
//! fixed `--today`, no colour, and no inherited CRM_* settings.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The day every test treats as today unless it says otherwise.
pub const TODAY: &str = "2025-06-15";

/// A temporary folder holding a crm book (created with `crm init`).
pub struct TempBook {
    dir: tempfile::TempDir,
}

impl TempBook {
    /// A new book made by `crm init`, with a git identity so commits work.
    pub fn new() -> TempBook {
        let dir = tempfile::tempdir().expect("temp dir");
        let book = TempBook { dir };
        book.crm(&["init", "."]).assert().success();
        book
    }

    /// A folder with `crm.toml` and `customers/` but no git repository.
    pub fn without_git() -> TempBook {
        let dir = tempfile::tempdir().expect("temp dir");
        fs::write(dir.path().join("crm.toml"), "").unwrap();
        fs::create_dir(dir.path().join("customers")).unwrap();
        TempBook { dir }
    }

    /// The book's root folder.
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// The path of a file in the book.
    pub fn path(&self, relative: &str) -> PathBuf {
        self.root().join(relative)
    }

    /// The path of customer `id`'s file.
    pub fn customer_path(&self, id: &str) -> PathBuf {
        self.path(&format!("customers/{id}.yaml"))
    }

    /// Writes a file in the book (creating folders).
    pub fn write(&self, relative: &str, contents: &str) -> &TempBook {
        let path = self.path(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, contents).unwrap();
        self
    }

    /// Writes customer `id`'s file.
    pub fn customer(&self, id: &str, yaml: &str) -> &TempBook {
        self.write(&format!("customers/{id}.yaml"), yaml)
    }

    /// Reads a file of the book as text.
    pub fn read(&self, relative: &str) -> String {
        fs::read_to_string(self.path(relative)).unwrap()
    }

    /// Reads customer `id`'s file.
    pub fn read_customer(&self, id: &str) -> String {
        fs::read_to_string(self.customer_path(id)).unwrap()
    }

    /// A `crm` command run inside the book with `--today` fixed and a clean
    /// environment (no colour, no CRM_* variables, a git identity).
    pub fn crm(&self, args: &[&str]) -> Command {
        let mut cmd = crm_command();
        cmd.current_dir(self.root()).args(args);
        cmd
    }
}

/// A `crm` command with a clean, reproducible environment and `CRM_TODAY` set to
/// [`TODAY`], not yet pointed at any folder.
pub fn crm_command() -> Command {
    let mut cmd = Command::cargo_bin("crm").expect("crm binary");
    cmd.env_remove("CRM_DIR")
        .env_remove("CRM_LOCK_TIMEOUT")
        .env_remove("NO_COLOR")
        .env("CRM_TODAY", TODAY)
        .env("GIT_AUTHOR_NAME", "Test Person")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test Person")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env(
            "HOME",
            std::env::temp_dir().join("crm-test-home-without-gitconfig"),
        )
        .env(
            "XDG_CONFIG_HOME",
            std::env::temp_dir().join("crm-test-home-without-gitconfig"),
        );
    cmd
}

/// Standard output of a successful run, as text.
pub fn stdout_of(mut cmd: impl std::borrow::BorrowMut<Command>) -> String {
    let output = cmd.borrow_mut().output().expect("run crm");
    assert!(
        output.status.success(),
        "crm failed with {:?}\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8 output")
}

/// The crm binary at a path every user may run, for tests that run crm as `nobody`
/// (when the tests run as root): the build folder may sit under a home only root can
/// enter (`/root/...`). A copy in a world-readable folder under the system's temp
/// folder, made once per build (named by the binary's size and modification time) and
/// reused by later runs.
pub fn crm_for_anyone() -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    use std::sync::OnceLock;
    static COPY: OnceLock<PathBuf> = OnceLock::new();
    COPY.get_or_init(|| {
        let built = assert_cmd::cargo::cargo_bin("crm");
        let meta = fs::metadata(&built).expect("the crm binary is built");
        let stamp = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        let dir = std::env::temp_dir().join("crm-test-binaries");
        fs::create_dir_all(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        let copy = dir.join(format!("crm-{}-{stamp}", meta.len()));
        if !copy.exists() {
            let partial = dir.join(format!("partial-{}", std::process::id()));
            fs::copy(&built, &partial).unwrap();
            fs::set_permissions(&partial, fs::Permissions::from_mode(0o755)).unwrap();
            fs::rename(&partial, &copy).unwrap();
        }
        copy
    })
    .clone()
}

/// Rewrites `path` in place (same inode) with `text`, which must have the old size, and
/// puts the old mtime back: only the ctime tells that the file changed.
pub fn edit_in_place_keeping_size_and_mtime(path: &Path, text: &str) {
    let before = fs::metadata(path).unwrap();
    assert_eq!(
        before.len(),
        text.len() as u64,
        "the edit must keep the size"
    );
    let mut file = fs::OpenOptions::new().write(true).open(path).unwrap();
    std::io::Write::write_all(&mut file, text.as_bytes()).unwrap();
    file.set_modified(before.modified().unwrap()).unwrap();
    drop(file);
    let after = fs::metadata(path).unwrap();
    assert_eq!(after.len(), before.len());
    assert_eq!(after.modified().unwrap(), before.modified().unwrap());
    assert_eq!(
        std::os::unix::fs::MetadataExt::ino(&after),
        std::os::unix::fs::MetadataExt::ino(&before)
    );
}
