//! Sharing a book: `crm sync` and `crm clone` against real remotes — bare repositories
//! over `file://`, and over ssh to an `sshd` the test starts on 127.0.0.1 — with the git
//! CLI as the independent party (`git pull` with crm's merge driver must give the same
//! files as `crm sync`), and a seeded property test of random edits on three clones.

use crate::common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Output};

use common::{crm_command, TODAY};

/// A folder holding a bare repository (`shared.git`) and the clones of the test.
struct Team {
    dir: tempfile::TempDir,
}

/// The environment every process of a test gets: an empty HOME (no global git config),
/// a fixed identity unless the clone sets its own.
fn clean_env(cmd: &mut Process) -> &mut Process {
    let home = std::env::temp_dir().join("crm-test-home-without-gitconfig");
    fs::create_dir_all(&home).unwrap();
    cmd.env_remove("CRM_DIR")
        .env_remove("CRM_LOCK_TIMEOUT")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env("CRM_TODAY", TODAY)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", &home)
        .env("GIT_AUTHOR_NAME", "Test Person")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test Person")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
}

fn git_in(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Process::new("git");
    clean_env(&mut cmd).current_dir(dir).args(args);
    cmd.output()
        .expect("the git program runs (the tests need it)")
}

/// Runs git in `dir`, which must succeed; its stdout.
fn git_ok(dir: &Path, args: &[&str]) -> String {
    let out = git_in(dir, args);
    assert!(
        out.status.success(),
        "git {args:?} failed in {}:\n{}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What a crm run gave.
struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Team {
    /// A team with an empty bare repository.
    fn new() -> Team {
        let dir = tempfile::tempdir().expect("temp dir");
        git_ok(dir.path(), &["init", "--quiet", "--bare", "shared.git"]);
        Team { dir }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    /// The shared repository's `file://` URL.
    fn url(&self) -> String {
        format!("file://{}", self.root().join("shared.git").display())
    }

    fn clone_dir(&self, name: &str) -> PathBuf {
        self.root().join(name)
    }

    /// `crm` run in clone `name` as the person `name`.
    fn crm(&self, name: &str, args: &[&str]) -> Ran {
        let dir = self.clone_dir(name);
        run_crm(&dir, name, args)
    }

    /// `crm` run in clone `name`, which must succeed; its stdout.
    fn crm_ok(&self, name: &str, args: &[&str]) -> String {
        let ran = self.crm(name, args);
        assert_eq!(
            ran.code, 0,
            "crm {args:?} in {name} failed\nstdout: {}\nstderr: {}",
            ran.stdout, ran.stderr
        );
        ran.stdout
    }

    /// The first clone: a new book (`crm init`) with the shared repository as `origin`,
    /// pushed by `crm sync`.
    fn founder(&self, name: &str) {
        let dir = self.clone_dir(name);
        fs::create_dir(&dir).unwrap();
        run_crm(&dir, name, &["init", "."]);
        git_ok(&dir, &["remote", "add", "origin", &self.url()]);
        let out = self.crm_ok(name, &["sync"]);
        assert!(out.contains("pushed 1 commit to origin"), "{out}");
    }

    /// A teammate's clone by `crm clone`.
    fn join(&self, name: &str) {
        let ran = run_crm(self.root(), name, &["clone", &self.url(), name]);
        assert_eq!(ran.code, 0, "crm clone failed: {}", ran.stderr);
    }

    fn read(&self, name: &str, file: &str) -> String {
        fs::read_to_string(self.clone_dir(name).join(file)).unwrap()
    }

    fn write(&self, name: &str, file: &str, text: &str) {
        let path = self.clone_dir(name).join(file);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    /// The commit the shared repository's branch points at.
    fn shared_head(&self) -> String {
        git_ok(&self.root().join("shared.git"), &["rev-parse", "HEAD"])
            .trim()
            .to_string()
    }

    /// The book files of clone `name`: `crm.toml` and every customer file, with content.
    fn files(&self, name: &str) -> Vec<(String, String)> {
        let dir = self.clone_dir(name);
        let mut files = vec![("crm.toml".to_string(), self.read(name, "crm.toml"))];
        let mut customers: Vec<_> = fs::read_dir(dir.join("customers"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".yaml"))
            .collect();
        customers.sort();
        for name_ in customers {
            let file = format!("customers/{name_}");
            let text = self.read(name, &file);
            files.push((file, text));
        }
        files
    }
}

fn run_crm(dir: &Path, who: &str, args: &[&str]) -> Ran {
    let mut cmd = crm_command();
    cmd.current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", who)
        .env("GIT_COMMITTER_NAME", who)
        .env("GIT_AUTHOR_EMAIL", format!("{who}@example.com"))
        .env("GIT_COMMITTER_EMAIL", format!("{who}@example.com"));
    let out = cmd.output().expect("run crm");
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

const ADA: &str = "name: Ada Lovelace\nemail: ada@example.com\n# met at the fair\ntags: [vip]\ninteractions:\n  - date: 2025-01-02\n    kind: call\n    summary: first call\n";

/// Alice's book with ada, shared, and Bob's clone of it.
fn alice_and_bob() -> Team {
    let team = Team::new();
    team.founder("alice");
    team.write("alice", "customers/ada.yaml", ADA);
    team.write("alice", "customers/carol.yaml", "name: Carol\n");
    team.crm_ok("alice", &["sync"]);
    team.join("bob");
    team
}

#[test]
fn two_clones_over_file_keep_both_interactions_with_the_same_customer() {
    let team = alice_and_bob();
    team.crm_ok("alice", &["log", "ada", "call", "about the engine"]);
    team.crm_ok("bob", &["log", "ada", "email", "sent the notes"]);
    let alice = team.crm_ok("alice", &["sync"]);
    assert_eq!(
        alice,
        format!(
            "committed {} (1 file): log call with ada\npushed 1 commit to origin\n",
            short_head(&team, "alice")
        )
    );
    let bob = team.crm_ok("bob", &["sync"]);
    let lines: Vec<&str> = bob.lines().collect();
    assert_eq!(lines.len(), 4, "{bob}");
    assert!(
        lines[0].starts_with("committed ") && lines[0].ends_with(" (1 file): log email with ada"),
        "{bob}"
    );
    assert_eq!(
        lines[1],
        "pulled 1 commit from origin (alice: log call with ada)"
    );
    assert_eq!(lines[2], "merged 1 customer file");
    assert_eq!(lines[3], "pushed 2 commits to origin");
    let alice = team.crm_ok("alice", &["sync"]);
    assert!(
        alice.starts_with("pulled 2 commits from origin (bob: log email with ada"),
        "{alice}"
    );
    assert_eq!(team.files("alice"), team.files("bob"));
    let ada = team.read("alice", "customers/ada.yaml");
    assert!(ada.contains("# met at the fair"), "{ada}");
    assert_eq!(ada.matches("kind: call").count(), 2, "{ada}");
    assert_eq!(ada.matches("kind: email").count(), 1, "{ada}");
    for name in ["alice", "bob"] {
        team.crm_ok(name, &["check"]);
        assert_eq!(
            team.crm_ok(name, &["sync"]),
            "",
            "nothing left to do in {name}"
        );
    }
}

/// The commit HEAD of a clone points at, shortened.
fn short_head(team: &Team, name: &str) -> String {
    git_ok(&team.clone_dir(name), &["rev-parse", "--short=7", "HEAD"])
        .trim()
        .to_string()
}

#[test]
fn three_clones_over_file_end_with_the_same_files() {
    let team = alice_and_bob();
    team.join("cy");
    team.crm_ok("alice", &["log", "ada", "call"]);
    team.crm_ok("bob", &["log", "ada", "meeting", "lunch"]);
    team.crm_ok("cy", &["log", "ada", "note", "likes tea"]);
    team.crm_ok("cy", &["add", "Dora Dee"]);
    team.crm_ok("bob", &["log", "carol", "purchase", "--amount", "12.50"]);
    for name in ["alice", "bob", "cy", "alice", "bob"] {
        team.crm_ok(name, &["sync"]);
    }
    assert_eq!(team.files("alice"), team.files("bob"));
    assert_eq!(team.files("bob"), team.files("cy"));
    let ada = team.read("cy", "customers/ada.yaml");
    for kind in ["kind: meeting", "kind: note", "summary: likes tea"] {
        assert_eq!(ada.matches(kind).count(), 1, "{kind} in {ada}");
    }
    assert!(team
        .read("alice", "customers/carol.yaml")
        .contains("amount: 12.50"));
    assert!(team
        .clone_dir("alice")
        .join("customers/dora-dee.yaml")
        .exists());
    for name in ["alice", "bob", "cy"] {
        team.crm_ok(name, &["check"]);
        assert_eq!(
            git_ok(&team.clone_dir(name), &["status", "--porcelain"]),
            ""
        );
    }
    git_ok(&team.root().join("shared.git"), &["fsck", "--strict"]);
}

#[test]
fn a_sync_with_nothing_to_do_prints_nothing() {
    let team = alice_and_bob();
    let ran = team.crm("bob", &["sync"]);
    assert_eq!(
        (ran.code, ran.stdout.as_str(), ran.stderr.as_str()),
        (0, "", "")
    );
}

/// `crm sync` asks the git CLI first whether anything is pending: a hand edit that
/// keeps the file's size (and is made in the same second as the commit before it), a
/// change only staged, and a deletion must each still be committed and pushed.
#[test]
fn a_sync_commits_every_kind_of_pending_change() {
    let team = alice_and_bob();
    let ada = team.read("bob", "customers/ada.yaml");
    let same_size = ada.replace("first call", "first CALL");
    assert_eq!(same_size.len(), ada.len());
    team.write("bob", "customers/ada.yaml", &same_size);
    let ran = team.crm("bob", &["sync"]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(ran.stdout.contains("pushed 1 commit"), "{}", ran.stdout);
    assert_eq!(team.shared_head(), full_head(&team, "bob"));

    team.write(
        "bob",
        "customers/carol.yaml",
        "name: Carol\nemail: c@example.com\n",
    );
    git_ok(&team.clone_dir("bob"), &["add", "customers/carol.yaml"]);
    let ran = team.crm("bob", &["sync"]);
    assert!(ran.stdout.contains("pushed 1 commit"), "{}", ran.stdout);

    fs::remove_file(team.clone_dir("bob").join("customers/carol.yaml")).unwrap();
    let ran = team.crm("bob", &["sync"]);
    assert!(ran.stdout.contains("pushed 1 commit"), "{}", ran.stdout);
    team.crm_ok("alice", &["sync"]);
    assert_eq!(team.read("alice", "customers/ada.yaml"), same_size);
    assert!(!team
        .clone_dir("alice")
        .join("customers/carol.yaml")
        .exists());
    let status = git_ok(&team.clone_dir("bob"), &["status", "--porcelain"]);
    assert_eq!(status, "", "everything was committed");
}

fn full_head(team: &Team, name: &str) -> String {
    git_ok(&team.clone_dir(name), &["rev-parse", "HEAD"])
        .trim()
        .to_string()
}

#[test]
fn clone_registers_the_merge_driver_once_and_checks_the_book() {
    let team = alice_and_bob();
    team.write("alice", "customers/dave.yaml", "name: [unclosed\n");
    team.crm_ok("alice", &["sync"]);
    let ran = run_crm(team.root(), "eve", &["clone", &team.url()]);
    assert_eq!(ran.code, 1, "a book with a problem: {}", ran.stderr);
    assert!(
        ran.stdout.starts_with(&format!(
            "cloned {} into shared (3 customers)\nregistered crm's merge driver",
            team.url()
        )),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stderr.contains("customers/dave.yaml:1:"),
        "{}",
        ran.stderr
    );
    let driver = git_ok(
        &team.clone_dir("shared"),
        &["config", "--local", "merge.crm.driver"],
    );
    assert!(
        driver
            .trim()
            .ends_with("merge-file --marker-size %L %O %A %B %P"),
        "{driver}"
    );
    let again = run_crm(&team.clone_dir("shared"), "eve", &["sync"]);
    assert!(
        !again.stdout.contains("registered"),
        "said once: {}",
        again.stdout
    );
    // Bob's clone was registered by `crm clone`; a clone made by git is registered by
    // the first `crm sync`, which says so.
    git_ok(team.root(), &["clone", "--quiet", &team.url(), "by-git"]);
    let first = team.crm_ok("by-git", &["sync"]);
    assert!(
        first.starts_with("registered crm's merge driver"),
        "{first}"
    );
    assert_eq!(team.crm_ok("by-git", &["sync"]), "");
}

#[test]
fn clone_refuses_a_folder_that_is_not_empty_and_a_repository_without_a_book() {
    let team = alice_and_bob();
    let ran = run_crm(team.root(), "eve", &["clone", &team.url(), "bob"]);
    assert_eq!(ran.code, 2);
    assert!(
        ran.stderr.contains("already exists and is not empty"),
        "{}",
        ran.stderr
    );
    git_ok(team.root(), &["init", "--quiet", "--bare", "empty.git"]);
    let url = format!("file://{}", team.root().join("empty.git").display());
    let ran = run_crm(team.root(), "eve", &["clone", &url, "empty"]);
    assert_eq!(ran.code, 2);
    assert!(ran.stderr.contains("holds no crm book"), "{}", ran.stderr);
}

#[test]
fn a_conflict_on_one_field_stops_before_the_push_and_crm_sync_finishes_it() {
    let team = alice_and_bob();
    team.write(
        "alice",
        "customers/ada.yaml",
        &ADA.replace("ada@example.com", "ada@alice.example"),
    );
    team.crm_ok("alice", &["sync"]);
    let shared = team.shared_head();
    team.write(
        "bob",
        "customers/ada.yaml",
        &ADA.replace("ada@example.com", "ada@bob.example"),
    );
    team.crm_ok("bob", &["log", "carol", "call"]);
    let ran = team.crm("bob", &["sync"]);
    assert_eq!(
        ran.code, 5,
        "stdout: {}\nstderr: {}",
        ran.stdout, ran.stderr
    );
    assert!(
        ran.stdout
            .contains("pulled 1 commit from origin (alice: edit ada (by hand))"),
        "{}",
        ran.stdout
    );
    assert!(ran.stderr.contains("nothing was pushed"), "{}", ran.stderr);
    assert!(ran.stderr.contains("customers/ada.yaml:"), "{}", ran.stderr);
    assert!(
        ran.stderr.contains("email"),
        "names the field: {}",
        ran.stderr
    );
    assert!(
        ran.stderr.contains("`crm check`") && ran.stderr.contains("`crm sync`"),
        "{}",
        ran.stderr
    );
    assert_eq!(team.shared_head(), shared, "nothing was pushed");
    // The state is git's own: MERGE_HEAD, a conflicted file, both values kept.
    let bob = team.clone_dir("bob");
    assert!(bob.join(".git/MERGE_HEAD").exists());
    assert!(git_ok(&bob, &["status", "--porcelain"]).contains("UU customers/ada.yaml"));
    let file = team.read("bob", "customers/ada.yaml");
    assert!(
        file.contains("ada@alice.example") && file.contains("ada@bob.example"),
        "{file}"
    );
    let status = team.crm("bob", &["status"]);
    assert!(status.stdout.contains("conflict"), "{}", status.stdout);
    // A second sync before the edit says what is left, and still pushes nothing.
    let again = team.crm("bob", &["sync"]);
    assert_eq!(again.code, 5, "{}", again.stderr);
    assert!(
        again.stderr.contains("customers/ada.yaml:"),
        "{}",
        again.stderr
    );
    assert_eq!(team.shared_head(), shared);
    // Resolve by keeping Bob's address, as a person would in an editor.
    team.write("bob", "customers/ada.yaml", &keep_ours(&file));
    team.crm_ok("bob", &["check"]);
    let done = team.crm_ok("bob", &["sync"]);
    assert!(
        done.starts_with("finished the merge with origin/master\n"),
        "{done}"
    );
    assert!(done.ends_with("\npushed 2 commits to origin\n"), "{done}");
    team.crm_ok("alice", &["sync"]);
    assert_eq!(team.files("alice"), team.files("bob"));
    assert!(team
        .read("alice", "customers/ada.yaml")
        .contains("ada@bob.example"));
    assert!(!bob.join(".git/MERGE_HEAD").exists());
}

/// `text` with each conflict replaced by its first (our) side.
fn keep_ours(text: &str) -> String {
    let mut out = String::new();
    let mut side = 0;
    for line in text.split_inclusive('\n') {
        if line.starts_with("<<<<<<<") {
            side = 1;
        } else if line.starts_with("|||||||") && side == 1 {
            side = 3;
        } else if line.starts_with("=======") && side != 0 {
            side = 2;
        } else if line.starts_with(">>>>>>>") && side != 0 {
            side = 0;
        } else if side == 0 || side == 1 {
            out.push_str(line);
        }
    }
    out
}

#[test]
fn delete_against_edit_is_a_conflict_that_names_both_ways_out() {
    let team = alice_and_bob();
    fs::remove_file(team.clone_dir("alice").join("customers/carol.yaml")).unwrap();
    team.crm_ok("alice", &["sync"]);
    team.crm_ok("bob", &["log", "carol", "call"]);
    let ran = team.crm("bob", &["sync"]);
    assert_eq!(ran.code, 5, "{}", ran.stderr);
    assert!(
        ran.stderr
            .contains("customers/carol.yaml: changed here but deleted in origin/master"),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr.contains("git rm customers/carol.yaml"),
        "{}",
        ran.stderr
    );
    // Deleting it settles it.
    fs::remove_file(team.clone_dir("bob").join("customers/carol.yaml")).unwrap();
    let done = team.crm_ok("bob", &["sync"]);
    assert!(done.contains("pushed"), "{done}");
}

#[test]
fn a_rename_on_one_side_takes_the_other_sides_interaction_along() {
    let team = alice_and_bob();
    let alice = team.clone_dir("alice");
    fs::rename(
        alice.join("customers/ada.yaml"),
        alice.join("customers/ada-lovelace.yaml"),
    )
    .unwrap();
    let out = team.crm_ok("alice", &["sync"]);
    assert!(out.contains("rename ada to ada-lovelace"), "{out}");
    team.crm_ok("bob", &["log", "ada", "email", "hello"]);
    team.crm_ok("bob", &["log", "ada", "call", "again"]);
    team.write(
        "alice",
        "customers/ada-lovelace.yaml",
        &format!(
            "{}  - date: 2025-06-01\n    kind: note\n",
            team.read("alice", "customers/ada-lovelace.yaml")
        ),
    );
    team.crm_ok("alice", &["sync"]);
    let bob = team.crm_ok("bob", &["sync"]);
    assert!(bob.contains("merged 1 customer file"), "{bob}");
    assert!(!team.clone_dir("bob").join("customers/ada.yaml").exists());
    let ada = team.read("bob", "customers/ada-lovelace.yaml");
    for part in [
        "summary: hello",
        "summary: again",
        "kind: note",
        "# met at the fair",
    ] {
        assert!(ada.contains(part), "{part} in {ada}");
    }
    team.crm_ok("alice", &["sync"]);
    assert_eq!(team.files("alice"), team.files("bob"));
}

#[test]
fn a_crm_toml_conflict_is_reported_at_its_line() {
    let team = alice_and_bob();
    let toml = team.read("alice", "crm.toml");
    let setting = "# within = \"7d\"\n";
    assert!(toml.contains(setting), "{toml}");
    team.write(
        "alice",
        "crm.toml",
        &toml.replace(setting, "within = \"14d\"\n"),
    );
    team.crm_ok("alice", &["sync"]);
    team.write(
        "bob",
        "crm.toml",
        &toml.replace(setting, "within = \"30d\"\n"),
    );
    let ran = team.crm("bob", &["sync"]);
    assert_eq!(ran.code, 5, "{}\n{}", ran.stdout, ran.stderr);
    let line = toml[..toml.find(setting).unwrap()].lines().count() + 1;
    assert!(
        ran.stderr
            .contains(&format!("crm.toml:{line}: changed here and there")),
        "line {line}: {}",
        ran.stderr
    );
}

#[test]
fn sync_errors_say_what_to_do() {
    let team = alice_and_bob();
    let ran = team.crm("bob", &["sync", "upstream"]);
    assert_eq!(ran.code, 2);
    assert!(
        ran.stderr.contains("no remote named `upstream`") && ran.stderr.contains("`origin`"),
        "{}",
        ran.stderr
    );
    git_ok(
        &team.clone_dir("bob"),
        &["remote", "add", "gone", "file:///nonexistent/crm-book.git"],
    );
    let ran = team.crm("bob", &["sync", "gone"]);
    assert_eq!(ran.code, 2);
    assert!(
        ran.stderr
            .contains("crm: error: fetching from `gone` failed: "),
        "{}",
        ran.stderr
    );
    assert!(ran.stderr.contains("hint: "), "{}", ran.stderr);
    let mut cmd = crm_command();
    cmd.current_dir(team.clone_dir("bob"))
        .arg("sync")
        .env("CRM_GIT", "/nonexistent/git");
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains("is not installed") && stderr.contains("install git"),
        "{stderr}"
    );
    let lone = tempfile::tempdir().unwrap();
    run_crm(lone.path(), "x", &["init", "."]);
    let ran = run_crm(lone.path(), "x", &["sync"]);
    assert_eq!(ran.code, 2);
    assert!(
        ran.stderr.contains("git remote add origin URL"),
        "{}",
        ran.stderr
    );
}

#[test]
fn a_push_refused_because_the_remote_moved_merges_again() {
    let team = alice_and_bob();
    team.join("cy");
    // Cy pushes from Bob's pre-push hook: Bob fetched before, so the remote has moved
    // when his push arrives; the hook runs once.
    let hook = team.clone_dir("bob").join(".git/hooks/pre-push");
    let crm = assert_cmd::cargo::cargo_bin("crm");
    let marker = team.root().join("hook-ran");
    fs::write(
        &hook,
        format!(
            "#!/bin/sh\nif [ ! -e '{marker}' ]; then touch '{marker}'; cd '{cy}' && unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE && '{crm}' log ada note 'from cy' >/dev/null && GIT_AUTHOR_NAME=cy '{crm}' sync >/dev/null || exit 1; fi\nexit 0\n",
            marker = marker.display(),
            cy = team.clone_dir("cy").display(),
            crm = crm.display(),
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&hook, fs::Permissions::from_mode(0o755)).unwrap();
    team.crm_ok("bob", &["log", "ada", "call", "from bob"]);
    let out = team.crm_ok("bob", &["sync"]);
    assert!(marker.exists(), "the hook ran");
    assert!(out.contains("pulled 1 commit from origin ("), "{out}");
    assert!(out.contains(": log note with ada)"), "{out}");
    assert!(
        out.ends_with("merged 1 customer file\npushed 2 commits to origin\n"),
        "{out}"
    );
    team.crm_ok("alice", &["sync"]);
    let ada = team.read("alice", "customers/ada.yaml");
    assert!(ada.contains("from cy") && ada.contains("from bob"), "{ada}");
}

/// A `git` for `CRM_GIT` that stops in `fetch` or `push` (git's first word after
/// `-C DIR`) until the test lets it go: the network step of a sync, made as slow as a
/// test needs. `started` appears when it stops; creating `go` lets it go on.
struct SlowGit {
    program: PathBuf,
    started: PathBuf,
    go: PathBuf,
}

impl SlowGit {
    fn new(team: &Team, step: &str) -> SlowGit {
        let program = team.root().join(format!("slow-{step}-git"));
        let started = team.root().join(format!("{step}-started"));
        let go = team.root().join(format!("{step}-go"));
        fs::write(
            &program,
            format!(
                "#!/bin/sh\nif [ \"$3\" = {step} ] && [ ! -e '{go}' ]; then\n  touch '{started}'\n  i=0\n  while [ ! -e '{go}' ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done\nfi\nexec git \"$@\"\n",
                go = go.display(),
                started = started.display(),
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&program, fs::Permissions::from_mode(0o755)).unwrap();
        SlowGit {
            program,
            started,
            go,
        }
    }

    /// `crm sync` in clone `name` through this git, started and left running.
    fn spawn_sync(&self, team: &Team, name: &str) -> std::process::Child {
        let mut cmd = Process::new(assert_cmd::cargo::cargo_bin("crm"));
        clean_env(&mut cmd)
            .current_dir(team.clone_dir(name))
            .arg("sync")
            .env("CRM_GIT", &self.program)
            .env("GIT_AUTHOR_NAME", name)
            .env("GIT_COMMITTER_NAME", name)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        cmd.spawn().expect("start crm sync")
    }

    /// Waits until git has stopped in its step (at most 30 s).
    fn wait_until_stopped(&self) {
        for _ in 0..600 {
            if self.started.exists() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("git never reached its slow step");
    }

    fn let_go(&self) {
        fs::write(&self.go, "").unwrap();
    }
}

/// `crm` in clone `name` with a short lock wait: it fails (exit 2) if the lock is held
/// for longer than the wait.
fn crm_quick(team: &Team, name: &str, args: &[&str]) -> Ran {
    let mut cmd = crm_command();
    cmd.current_dir(team.clone_dir(name))
        .args(args)
        .env("CRM_LOCK_TIMEOUT", "2")
        .env("GIT_AUTHOR_NAME", name)
        .env("GIT_COMMITTER_NAME", name);
    let out = cmd.output().expect("run crm");
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn finished(child: std::process::Child) -> Ran {
    let out = child.wait_with_output().expect("crm sync ends");
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn a_crm_log_during_the_fetch_does_not_wait_for_it_and_is_synced() {
    let team = alice_and_bob();
    team.crm_ok("alice", &["log", "ada", "call", "alice called"]);
    team.crm_ok("alice", &["sync"]);
    let git = SlowGit::new(&team, "fetch");
    let sync = git.spawn_sync(&team, "bob");
    git.wait_until_stopped();
    // The sync is fetching: the book's lock is free for Bob's own crm meanwhile.
    let logged = crm_quick(
        &team,
        "bob",
        &["log", "ada", "email", "sent during the fetch"],
    );
    let shown = crm_quick(&team, "bob", &["show", "ada"]);
    // A second sync of the same clone waits for the first, and gives up after the wait.
    let mut second = crm_command();
    second
        .current_dir(team.clone_dir("bob"))
        .arg("sync")
        .env("CRM_LOCK_TIMEOUT", "0.2");
    let second = second.output().unwrap();
    git.let_go();
    let ran = finished(sync);
    assert_eq!(
        logged.code, 0,
        "crm log waited for the fetch: {}",
        logged.stderr
    );
    assert!(
        shown.stdout.contains("sent during the fetch"),
        "{}",
        shown.stdout
    );
    assert_eq!(second.status.code(), Some(2));
    let second_err = String::from_utf8_lossy(&second.stderr);
    assert!(second_err.contains("another `crm sync`"), "{second_err}");
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    // What was written during the fetch is committed by the sync, merged and pushed.
    assert!(
        ran.stdout.starts_with("committed ") && ran.stdout.contains("log email with ada"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout
            .ends_with("merged 1 customer file\npushed 2 commits to origin\n"),
        "{}",
        ran.stdout
    );
    assert_eq!(
        git_ok(&team.clone_dir("bob"), &["status", "--porcelain"]),
        ""
    );
    team.crm_ok("alice", &["sync"]);
    let ada = team.read("alice", "customers/ada.yaml");
    assert!(
        ada.contains("alice called") && ada.contains("sent during the fetch"),
        "{ada}"
    );
}

#[test]
fn a_commit_made_during_the_push_is_kept_and_left_for_the_next_sync() {
    let team = alice_and_bob();
    team.crm_ok("bob", &["log", "ada", "call", "before the sync"]);
    let git = SlowGit::new(&team, "push");
    let sync = git.spawn_sync(&team, "bob");
    git.wait_until_stopped();
    let logged = crm_quick(
        &team,
        "bob",
        &["log", "ada", "note", "during the push", "--commit"],
    );
    git.let_go();
    let ran = finished(sync);
    assert_eq!(
        logged.code, 0,
        "crm log waited for the push: {}",
        logged.stderr
    );
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(
        ran.stdout.ends_with("pushed 1 commit to origin\n"),
        "{}",
        ran.stdout
    );
    let bob = team.clone_dir("bob");
    // The push sent the sync's own commit; the one made meanwhile is Bob's, not pushed yet.
    assert_eq!(
        team.shared_head(),
        git_ok(&bob, &["rev-parse", "HEAD~1"]).trim()
    );
    assert_eq!(git_ok(&bob, &["status", "--porcelain"]), "");
    let out = team.crm_ok("bob", &["sync"]);
    assert_eq!(out, "pushed 1 commit to origin\n");
    team.crm_ok("alice", &["sync"]);
    let ada = team.read("alice", "customers/ada.yaml");
    assert!(
        ada.contains("before the sync") && ada.contains("during the push"),
        "{ada}"
    );
}

#[test]
fn git_pull_with_the_driver_gives_the_files_crm_sync_gives() {
    let team = alice_and_bob();
    team.crm_ok("alice", &["log", "ada", "call", "alice called"]);
    team.crm_ok("alice", &["add", "Zed"]);
    team.write(
        "alice",
        "customers/ada.yaml",
        &team
            .read("alice", "customers/ada.yaml")
            .replace("tags: [vip]", "tags: [vip, fair]"),
    );
    team.crm_ok("alice", &["sync"]);
    team.crm_ok("bob", &["log", "ada", "email", "bob wrote"]);
    team.write(
        "bob",
        "customers/ada.yaml",
        &team
            .read("bob", "customers/ada.yaml")
            .replace("name: Ada Lovelace", "name: Ada King"),
    );
    team.crm_ok("bob", &["commit"]);
    // The same clone twice: one pulls with git, the other syncs with crm.
    let copy = team.clone_dir("bob-with-git");
    let out = Process::new("cp")
        .arg("-a")
        .arg(team.clone_dir("bob"))
        .arg(&copy)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        team.read("bob", ".gitattributes").contains("merge=crm"),
        "crm init writes the attribute that names the driver"
    );
    let pulled = git_in(
        &copy,
        &["pull", "--no-rebase", "--no-edit", "origin", "master"],
    );
    assert!(
        pulled.status.success(),
        "git pull: {}",
        String::from_utf8_lossy(&pulled.stderr)
    );
    team.crm_ok("bob", &["sync"]);
    assert_eq!(team.files("bob"), team.files("bob-with-git"));
    let ada = team.read("bob", "customers/ada.yaml");
    for part in ["name: Ada King", "fair", "alice called", "bob wrote"] {
        assert!(ada.contains(part), "{part} in {ada}");
    }
}

/// An `sshd` on 127.0.0.1 for one test, killed when dropped.
struct Sshd {
    child: std::process::Child,
    port: u16,
    key: PathBuf,
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Sshd {
    /// Starts Debian's sshd with a throwaway host key and a key authorized for the
    /// current user. Fails (never skips) when sshd is not installed: `.ci/run`
    /// installs it.
    fn start(dir: &Path) -> Sshd {
        let sshd = Path::new("/usr/sbin/sshd");
        assert!(
            sshd.is_file(),
            "/usr/sbin/sshd is missing: install openssh-server (.ci/run does)"
        );
        let keygen = |file: &Path| {
            let out = Process::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-f"])
                .arg(file)
                .output()
                .expect("ssh-keygen runs (openssh-client)");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let host_key = dir.join("host_key");
        let key = dir.join("client_key");
        keygen(&host_key);
        keygen(&key);
        let authorized = dir.join("authorized_keys");
        fs::copy(dir.join("client_key.pub"), &authorized).unwrap();
        // Privilege separation needs its folder; a fresh container may not have it.
        let _ = fs::create_dir_all("/run/sshd");
        for _ in 0..5 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map(|a| a.port())
                .unwrap();
            let config = dir.join("sshd_config");
            fs::write(
                &config,
                format!(
                    "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nPidFile {}\nAuthorizedKeysFile {}\nPermitRootLogin yes\nUsePAM no\nStrictModes no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\nSubsystem sftp internal-sftp\nAcceptEnv GIT_PROTOCOL\n",
                    host_key.display(),
                    dir.join("sshd.pid").display(),
                    authorized.display()
                ),
            )
            .unwrap();
            let child = Process::new(sshd)
                .args(["-D", "-e", "-f"])
                .arg(&config)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("sshd starts");
            let started = Sshd {
                child,
                port,
                key: key.clone(),
            };
            for _ in 0..100 {
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return started;
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
        }
        panic!("sshd did not start listening on 127.0.0.1");
    }

    /// What git runs to reach this sshd.
    fn ssh_command(&self) -> String {
        format!(
            "ssh -i {} -p {} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR",
            self.key.display(),
            self.port
        )
    }
}

#[test]
fn two_clones_over_ssh_to_a_real_sshd() {
    let team = Team::new();
    let sshd = Sshd::start(team.root());
    let url = format!(
        "ssh://127.0.0.1:{}{}",
        sshd.port,
        team.root().join("shared.git").display()
    );
    let ssh = |dir: &Path, who: &str, args: &[&str]| {
        let mut cmd = crm_command();
        cmd.current_dir(dir)
            .args(args)
            .env("GIT_SSH_COMMAND", sshd.ssh_command())
            .env("GIT_AUTHOR_NAME", who)
            .env("GIT_COMMITTER_NAME", who);
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "crm {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let alice = team.clone_dir("alice");
    fs::create_dir(&alice).unwrap();
    ssh(&alice, "alice", &["init", "."]);
    git_ok(&alice, &["remote", "add", "origin", &url]);
    team.write("alice", "customers/ada.yaml", ADA);
    let out = ssh(&alice, "alice", &["sync"]);
    assert!(out.contains("pushed 2 commits to origin"), "{out}");
    let out = ssh(team.root(), "bob", &["clone", &url, "bob"]);
    assert!(
        out.starts_with(&format!("cloned {url} into bob (1 customer)")),
        "{out}"
    );
    let bob = team.clone_dir("bob");
    ssh(&alice, "alice", &["log", "ada", "call", "over ssh"]);
    ssh(&bob, "bob", &["log", "ada", "email", "also over ssh"]);
    ssh(&alice, "alice", &["sync"]);
    let out = ssh(&bob, "bob", &["sync"]);
    assert!(
        out.contains("pulled 1 commit from origin (alice: log call with ada)"),
        "{out}"
    );
    assert!(out.contains("pushed 2 commits"), "{out}");
    ssh(&alice, "alice", &["sync"]);
    assert_eq!(team.files("alice"), team.files("bob"));

    // A key the server does not know: a crm error that says what to check.
    let mut cmd = crm_command();
    cmd.current_dir(&bob).arg("sync").env(
        "GIT_SSH_COMMAND",
        sshd.ssh_command().replace(
            &sshd.key.display().to_string(),
            &team.root().join("host_key").display().to_string(),
        ),
    );
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("fetching from `origin` failed") && stderr.contains("Permission denied"),
        "{stderr}"
    );
    assert!(stderr.contains("ssh-add"), "{stderr}");
}

/// A small deterministic generator (xorshift), so every run of the property test
/// replays the same cases.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn seeded_random_edits_on_three_clones_converge_and_lose_nothing() {
    let mut conflicts = 0;
    for seed in [0x5eed_0001_u64, 0x5eed_0002] {
        conflicts += random_session(seed);
    }
    assert!(conflicts > 0, "the seeds exercise a conflict too");
}

/// One seeded session; returns how many syncs met a conflict.
fn random_session(seed: u64) -> usize {
    let mut rng = Rng(seed);
    let team = Team::new();
    team.founder("c0");
    for id in ["ada", "bo", "cy"] {
        team.write("c0", &format!("customers/{id}.yaml"), &format!("name: {id}\nemail: {id}@example.com\n# a comment of {id}\ninteractions:\n  - date: 2025-01-01\n    kind: note\n    summary: start {id}\n"));
    }
    team.crm_ok("c0", &["sync"]);
    let clones = ["c0", "c1", "c2"];
    team.join("c1");
    team.join("c2");
    // Every interaction logged anywhere, by its unique summary.
    let mut logged: Vec<String> = Vec::new();
    let mut conflicts_seen = 0;
    let mut counter = 0;
    for _round in 0..4 {
        // Per round (every clone starts it with the same files): which clones set a
        // customer's email, to what; which customers were renamed.
        let mut emails: std::collections::BTreeMap<String, Vec<(String, String)>> =
            Default::default();
        let mut renamed: Vec<String> = Vec::new();
        for _ in 0..5 {
            let clone = clones[rng.below(3)];
            let customers: Vec<String> = team
                .files(clone)
                .into_iter()
                .filter_map(|(f, _)| {
                    f.strip_prefix("customers/")
                        .and_then(|f| f.strip_suffix(".yaml"))
                        .map(str::to_string)
                })
                .collect();
            let id = customers[rng.below(customers.len())].clone();
            counter += 1;
            let file = format!("customers/{id}.yaml");
            match rng.below(8) {
                0 => {
                    team.crm_ok(clone, &["add", &format!("New {clone} {counter}")]);
                }
                1 | 2 => {
                    let summary = format!("s{seed:x}-{counter} by {clone}");
                    let kinds = ["call", "email", "meeting", "note"];
                    team.crm_ok(clone, &["log", &id, kinds[rng.below(4)], &summary]);
                    logged.push(summary);
                }
                3 => {
                    team.crm_ok(clone, &["snooze", &id, "+3d"]);
                }
                4 => {
                    let ran = team.crm(clone, &["done", &id]);
                    assert!(
                        ran.code == 0 || ran.stderr.contains("no pending follow-up"),
                        "{}",
                        ran.stderr
                    );
                }
                5 => {
                    // A hand edit: a key of this clone's own, at the top.
                    let text = team.read(clone, &file);
                    team.write(
                        clone,
                        &file,
                        &format!("{clone}_note_{counter}: hand edit\n{text}"),
                    );
                }
                6 if !renamed.contains(&id) => {
                    // A hand edit of a key others may edit too: a conflict when two
                    // clones set it differently in the same round.
                    let text = team.read(clone, &file);
                    let old = text
                        .lines()
                        .find(|l| l.starts_with("email: "))
                        .unwrap()
                        .to_string();
                    let new = format!("email: {id}@{clone}-{counter}.example");
                    team.write(clone, &file, &text.replace(&old, &new));
                    emails
                        .entry(id.clone())
                        .or_default()
                        .push((clone.to_string(), new));
                }
                _ if !renamed.contains(&id) && !emails.contains_key(&id) => {
                    let dir = team.clone_dir(clone);
                    let to = format!("{}-r{counter}", id.split("-r").next().unwrap());
                    fs::rename(dir.join(&file), dir.join(format!("customers/{to}.yaml"))).unwrap();
                    renamed.push(id.clone());
                    renamed.push(to);
                }
                _ => {}
            }
        }
        // Clones whose email edits meet another clone's different edit of the same key.
        let expect_conflict = |clone: &str| {
            emails.values().any(|edits| {
                let mine: Vec<&String> = edits
                    .iter()
                    .filter(|(c, _)| c == clone)
                    .map(|(_, v)| v)
                    .collect();
                let others = edits.iter().any(|(c, v)| c != clone && !mine.contains(&v));
                !mine.is_empty() && others
            })
        };
        // Sync in a random order, twice round so every clone has everything.
        let mut order = clones.to_vec();
        for i in (1..order.len()).rev() {
            order.swap(i, rng.below(i + 1));
        }
        for clone in order.iter().chain(order.iter()) {
            let before = team.shared_head();
            let ran = team.crm(clone, &["sync"]);
            match ran.code {
                0 => {}
                5 => {
                    conflicts_seen += 1;
                    assert!(expect_conflict(clone), "seed {seed:x}: a conflict in {clone} where no key changed differently on both sides: {}", ran.stderr);
                    assert!(
                        ran.stderr.contains("email"),
                        "seed {seed:x}: {}",
                        ran.stderr
                    );
                    assert_eq!(
                        team.shared_head(),
                        before,
                        "seed {seed:x}: a conflict pushed nothing"
                    );
                    // Nothing lost: both values are in the file; keep ours, and finish.
                    let conflicted: Vec<String> = git_ok(
                        &team.clone_dir(clone),
                        &["diff", "--name-only", "--diff-filter=U"],
                    )
                    .lines()
                    .map(str::to_string)
                    .collect();
                    assert!(!conflicted.is_empty());
                    for file in conflicted {
                        let text = team.read(clone, &file);
                        let id = file
                            .trim_start_matches("customers/")
                            .trim_end_matches(".yaml");
                        let edits = &emails[id];
                        let mine = edits.iter().rev().find(|(c, _)| c == clone).map(|(_, v)| v);
                        assert!(
                            mine.is_some_and(|v| text.contains(v.as_str())),
                            "seed {seed:x}: {clone}'s own value is kept in {text}"
                        );
                        assert!(
                            edits
                                .iter()
                                .any(|(c, v)| c != clone && text.contains(v.as_str())),
                            "seed {seed:x}: the other side's value is kept in {text}"
                        );
                        team.write(clone, &file, &keep_ours(&text));
                    }
                    team.crm_ok(clone, &["check"]);
                    team.crm_ok(clone, &["sync"]);
                }
                _ => panic!(
                    "seed {seed:x}: sync in {clone} failed: {}\n{}",
                    ran.stdout, ran.stderr
                ),
            }
        }
        for clone in &order {
            team.crm_ok(clone, &["sync"]);
        }
        let reference = team.files("c0");
        for clone in &clones[1..] {
            assert_eq!(
                team.files(clone),
                reference,
                "seed {seed:x}: {clone} differs from c0"
            );
        }
    }
    let all: String = team.files("c0").iter().map(|(_, t)| t.clone()).collect();
    for summary in &logged {
        assert_eq!(
            all.matches(&format!("summary: {summary}\n")).count(),
            1,
            "seed {seed:x}: `{summary}` exactly once"
        );
    }
    for clone in clones {
        team.crm_ok(clone, &["check"]);
    }
    conflicts_seen
}
