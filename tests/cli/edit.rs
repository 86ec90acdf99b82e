//! `crm edit`: with fake editors (small shell scripts that change the file they are
//! given), since the tests run without a terminal.

use crate::common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use common::TempBook;

const ADA: &str = "# Met at the 2024 fair.\nname: Ada Lovelace # the Countess\nemail: ada@example.com\ninteractions:\n  - date: 2025-03-01\n    kind: call\n";

/// Writes an executable `#!/bin/sh` script; it gets the file to edit as its last
/// argument.
fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    fs::create_dir_all(dir).unwrap();
    let path = dir.join(name);
    fs::write(
        &path,
        format!("#!/bin/sh\nfor last in \"$@\"; do :; done\n{body}\n"),
    )
    .unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn book_with_ada() -> (TempBook, tempfile::TempDir) {
    let book = TempBook::new();
    book.customer("ada", ADA);
    (book, tempfile::tempdir().unwrap())
}

fn edit(book: &TempBook, editor: &str, args: &[&str]) -> std::process::Output {
    let mut cmd = book.crm(&[&["edit"], args].concat());
    cmd.env_remove("VISUAL").env("EDITOR", editor);
    cmd.output().unwrap()
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn edit_copies(book: &TempBook) -> Vec<PathBuf> {
    match fs::read_dir(book.path(".crm/edit")) {
        Ok(dir) => dir.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
}

#[test]
fn a_valid_edit_is_saved_and_keeps_every_other_byte() {
    let (book, tools) = book_with_ada();
    let ed = script(
        tools.path(),
        "ed.sh",
        "printf 'phone: \"+44 20 7946 0000\"\\n' >> \"$last\"",
    );
    let output = edit(&book, ed.to_str().unwrap(), &["ada"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "saved customers/ada.yaml\n",
        "{}",
        stderr(&output)
    );
    assert_eq!(
        book.read_customer("ada"),
        format!("{ADA}phone: \"+44 20 7946 0000\"\n")
    );
    assert!(
        edit_copies(&book).is_empty(),
        "the editing copy is removed after saving"
    );
}

#[test]
fn an_unchanged_file_says_no_changes() {
    let (book, tools) = book_with_ada();
    let ed = script(tools.path(), "ed.sh", "true");
    let output = edit(&book, ed.to_str().unwrap(), &["ada"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(
        stderr(&output).contains("no changes"),
        "{}",
        stderr(&output)
    );
    assert_eq!(book.read_customer("ada"), ADA);
    assert!(edit_copies(&book).is_empty());
}

#[test]
fn an_invalid_edit_without_a_terminal_fails_and_keeps_the_copy() {
    let (book, tools) = book_with_ada();
    let ed = script(
        tools.path(),
        "ed.sh",
        "printf '  - date: 31/02/2025\\n    kind: call\\n' >> \"$last\"",
    );
    let output = edit(&book, ed.to_str().unwrap(), &["ada"]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    // Review finding: the error said "(line 7)"; it is a problem like any other,
    // `path:line:col: message`, said once.
    assert!(
        err.starts_with("crm: error: customers/ada.yaml:7:11: interactions[1].date: "),
        "path:line:col expected: {err}"
    );
    assert_eq!(err.matches("customers/ada.yaml:7:").count(), 1, "{err}");
    assert!(err.contains("was not changed"), "{err}");
    assert_eq!(book.read_customer("ada"), ADA, "the original is untouched");
    let copies = edit_copies(&book);
    assert_eq!(copies.len(), 1, "the edit is kept");
    assert!(
        err.contains(&copies[0].display().to_string()),
        "stderr names the kept copy: {err}"
    );
    assert!(fs::read_to_string(&copies[0])
        .unwrap()
        .contains("31/02/2025"));
    assert!(
        !err.contains("re-open?"),
        "no prompt without a terminal: {err}"
    );
}

#[test]
fn a_tab_indented_edit_is_refused_with_its_line() {
    let (book, tools) = book_with_ada();
    let ed = script(
        tools.path(),
        "ed.sh",
        "printf 'preferences:\\n\\tcoffee: black\\n' >> \"$last\"",
    );
    let output = edit(&book, ed.to_str().unwrap(), &["ada"]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("customers/ada.yaml:8:"), "{err}");
    assert!(err.contains("tab"), "{err}");
    assert_eq!(book.read_customer("ada"), ADA);
}

#[test]
fn a_file_changed_while_the_editor_was_open_is_not_overwritten() {
    let (book, tools) = book_with_ada();
    // The "editor" changes its copy, and meanwhile someone else changes the real file.
    let real = book.customer_path("ada");
    let ed = script(
        tools.path(),
        "ed.sh",
        &format!(
            "printf 'phone: \"1\"\\n' >> \"$last\"\nprintf 'company: Other Writer\\n' >> '{}'",
            real.display()
        ),
    );
    let output = edit(&book, ed.to_str().unwrap(), &["ada"]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("changed while crm was working on it"), "{err}");
    assert_eq!(
        book.read_customer("ada"),
        format!("{ADA}company: Other Writer\n")
    );
    let copies = edit_copies(&book);
    assert_eq!(copies.len(), 1);
    assert!(fs::read_to_string(&copies[0])
        .unwrap()
        .contains("phone: \"1\""));
}

#[test]
fn the_editor_command_is_split_into_words_and_never_given_to_a_shell() {
    let (book, tools) = book_with_ada();
    let log = tools.path().join("args.log");
    let ed = script(
        &tools.path().join("my editor"),
        "ed.sh",
        &format!(
            "for a in \"$@\"; do printf '<%s>\\n' \"$a\"; done > '{}'",
            log.display()
        ),
    );
    let pwned = tools.path().join("pwned");
    let command = format!(
        "'{}' --wait \"two words\" ';' touch {} '$(touch {})'",
        ed.display(),
        pwned.display(),
        pwned.display()
    );
    let output = edit(&book, &command, &["ada"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let args: Vec<String> = fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(args.len(), 7, "{args:?}");
    assert_eq!(
        &args[..6],
        [
            "<--wait>".to_string(),
            "<two words>".into(),
            "<;>".into(),
            "<touch>".into(),
            format!("<{}>", pwned.display()),
            format!("<$(touch {})>", pwned.display()),
        ]
    );
    assert!(
        args[6].ends_with(".yaml>") && args[6].contains("/.crm/edit/ada."),
        "{args:?}"
    );
    assert!(!pwned.exists(), "nothing was run through a shell");
}

#[test]
fn visual_wins_over_editor() {
    let (book, tools) = book_with_ada();
    let visual = script(
        tools.path(),
        "visual.sh",
        "printf 'phone: \"2\"\\n' >> \"$last\"",
    );
    let editor = script(tools.path(), "editor.sh", "exit 7");
    let output = book
        .crm(&["edit", "ada"])
        .env("VISUAL", &visual)
        .env("EDITOR", &editor)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(book.read_customer("ada").ends_with("phone: \"2\"\n"));
}

#[test]
fn a_failing_editor_changes_nothing() {
    let (book, tools) = book_with_ada();
    let ed = script(
        tools.path(),
        "ed.sh",
        "printf 'junk: [\\n' >> \"$last\"; exit 3",
    );
    let output = edit(&book, ed.to_str().unwrap(), &["ada"]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(
        err.contains("exited with status 3; nothing was written"),
        "{err}"
    );
    assert_eq!(book.read_customer("ada"), ADA);
}

#[test]
fn a_missing_editor_is_named() {
    let (book, _tools) = book_with_ada();
    let output = edit(&book, "/nonexistent/editor --flag", &["ada"]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(
        err.contains("cannot start the editor `/nonexistent/editor`"),
        "{err}"
    );
    assert!(err.contains("EDITOR"), "{err}");
    assert!(edit_copies(&book).is_empty());
}

#[test]
fn a_missing_customer_gets_a_suggestion_and_no_editor() {
    let (book, tools) = book_with_ada();
    let marker = tools.path().join("ran");
    let ed = script(
        tools.path(),
        "ed.sh",
        &format!("touch '{}'", marker.display()),
    );
    let output = edit(&book, ed.to_str().unwrap(), &["adda"]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(
        err.contains("no customer `adda`") && err.contains("`ada`"),
        "{err}"
    );
    assert!(!marker.exists());
}

#[test]
fn a_broken_file_can_be_opened_and_fixed() {
    let book = TempBook::new();
    let tools = tempfile::tempdir().unwrap();
    let broken = "name: Bob\n<<<<<<< HEAD\nemail: bob@a.example\n=======\nemail: bob@b.example\n>>>>>>> other\n";
    book.customer("bob", broken);
    let ed = script(
        tools.path(),
        "ed.sh",
        "printf 'name: Bob\\nemail: bob@b.example\\n' > \"$last\"",
    );
    let output = edit(&book, ed.to_str().unwrap(), &["bob"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        book.read_customer("bob"),
        "name: Bob\nemail: bob@b.example\n"
    );
    book.crm(&["check"]).assert().code(0);
}

#[test]
fn bom_and_crlf_survive_an_edit() {
    let book = TempBook::new();
    let tools = tempfile::tempdir().unwrap();
    let text = "\u{feff}name: Cleo\r\ninteractions: []\r\n";
    book.customer("cleo", text);
    let ed = script(
        tools.path(),
        "ed.sh",
        "printf 'phone: \"3\"\\r\\n' >> \"$last\"",
    );
    let output = edit(&book, ed.to_str().unwrap(), &["cleo"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        book.read_customer("cleo"),
        format!("{text}phone: \"3\"\r\n")
    );
}

#[test]
fn new_starts_from_a_commented_template() {
    let book = TempBook::new();
    let tools = tempfile::tempdir().unwrap();
    let seen = tools.path().join("seen.yaml");
    let ed = script(
        tools.path(),
        "ed.sh",
        &format!(
            "cp \"$last\" '{}'\nsed 's/^# email: .*/email: grace@example.com/' \"$last\" > \"$last.new\" && mv \"$last.new\" \"$last\"",
            seen.display()
        ),
    );
    let output = edit(&book, ed.to_str().unwrap(), &["--new", "Grace Hopper"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let template = fs::read_to_string(&seen).unwrap();
    assert!(
        template.starts_with("# New customer `grace-hopper`"),
        "{template}"
    );
    assert!(
        template.contains("name: Grace Hopper\n") && template.contains("since: 2025-06-15\n"),
        "{template}"
    );
    let file = book.read_customer("grace-hopper");
    assert!(file.contains("\nemail: grace@example.com\n"), "{file}");
    let show = common::stdout_of(&mut book.crm(&["show", "grace-hopper"]));
    assert!(show.contains("grace@example.com"), "{show}");
}

/// Regression: the template's instructions ("to be saved as", "Save and quit") and its
/// unused examples stayed in the customer file for good.
#[test]
fn new_removes_the_templates_instructions_but_keeps_a_persons_comments() {
    let book = TempBook::new();
    let tools = tempfile::tempdir().unwrap();
    let ed = script(
        tools.path(),
        "ed.sh",
        "sed -e 's/^# phone: .*/phone: \"555\" # mobile/' -e 's/^name:/# met at the fair\\\nname:/' \"$last\" > \"$last.new\" && mv \"$last.new\" \"$last\"",
    );
    let output = edit(&book, ed.to_str().unwrap(), &["--new", "Grace Hopper"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let file = book.read_customer("grace-hopper");
    assert_eq!(
        file,
        "# met at the fair\nname: Grace Hopper\nphone: \"555\" # mobile\nsince: 2025-06-15\ninteractions:\n"
    );
}

#[test]
fn new_left_unchanged_creates_nothing() {
    let book = TempBook::new();
    let tools = tempfile::tempdir().unwrap();
    let ed = script(tools.path(), "ed.sh", "true");
    let output = edit(
        &book,
        ed.to_str().unwrap(),
        &["--new", "Grace Hopper", "--id", "grace"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("no customer was created"),
        "{}",
        stderr(&output)
    );
    assert!(!book.customer_path("grace").exists());
}

#[test]
fn new_refuses_an_existing_id_before_opening_the_editor() {
    let (book, tools) = book_with_ada();
    let marker = tools.path().join("ran");
    let ed = script(
        tools.path(),
        "ed.sh",
        &format!("touch '{}'", marker.display()),
    );
    let output = edit(
        &book,
        ed.to_str().unwrap(),
        &["--new", "Ada", "--id", "ada"],
    );
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("already exists"), "{err}");
    assert!(!marker.exists());
    assert_eq!(book.read_customer("ada"), ADA);
}

#[test]
fn new_with_an_invalid_result_creates_nothing() {
    let book = TempBook::new();
    let tools = tempfile::tempdir().unwrap();
    let ed = script(tools.path(), "ed.sh", "printf 'name: \\n' > \"$last\"");
    let output = edit(&book, ed.to_str().unwrap(), &["--new", "Grace"]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("customers/grace.yaml:1:"), "{err}");
    assert!(!book.customer_path("grace").exists());
}

#[test]
fn edit_commit_commits_exactly_the_edited_file() {
    let (book, tools) = book_with_ada();
    book.write("notes.txt", "unrelated work in progress\n");
    let ed = script(
        tools.path(),
        "ed.sh",
        "printf 'phone: \"4\"\\n' >> \"$last\"",
    );
    let mut cmd = book.crm(&["edit", "--commit", "ada"]);
    cmd.env_remove("VISUAL").env("EDITOR", &ed);
    let output = cmd.output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let repo = git2::Repository::open(book.root()).unwrap();
    let head = repo.head().unwrap().peel_to_commit().unwrap();
    assert!(
        head.message().unwrap().starts_with("edit ada"),
        "{:?}",
        head.message()
    );
    let tree = head.tree().unwrap();
    let blob = tree
        .get_path(Path::new("customers/ada.yaml"))
        .unwrap()
        .to_object(&repo)
        .unwrap()
        .peel_to_blob()
        .unwrap();
    assert!(String::from_utf8_lossy(blob.content()).ends_with("phone: \"4\"\n"));
    assert!(
        tree.get_path(Path::new("notes.txt")).is_err(),
        "only the edited file is committed"
    );
}

/// Regression: when the commit failed after the edit was written, the copy stayed in
/// `.crm/edit/` although the file held the edit, and nothing said it was saved.
#[test]
fn a_failed_commit_after_saving_says_saved_and_removes_the_copy() {
    let (book, tools) = book_with_ada();
    // A stale ref lock makes git refuse to move the branch, whoever runs the test.
    let head = fs::read_to_string(book.path(".git/HEAD")).unwrap();
    let branch = head.trim().strip_prefix("ref: ").unwrap();
    fs::write(book.path(&format!(".git/{branch}.lock")), "").unwrap();
    let ed = script(
        tools.path(),
        "ed.sh",
        "printf 'phone: \"4\"\\n' >> \"$last\"",
    );
    let mut cmd = book.crm(&["edit", "--commit", "ada"]);
    cmd.env_remove("VISUAL").env("EDITOR", &ed);
    let output = cmd.output().unwrap();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(4), "{err}");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "saved customers/ada.yaml\n",
        "{err}"
    );
    assert!(err.contains("commit"), "{err}");
    assert_eq!(book.read_customer("ada"), format!("{ADA}phone: \"4\"\n"));
    assert!(
        edit_copies(&book).is_empty(),
        "the file holds the edit, so the copy is gone: {err}"
    );
    assert!(!err.contains(".crm/edit"), "no copy to point at: {err}");
}

/// An unusable CRM_LOCK_TIMEOUT is reported before the editor opens, not after the
/// person's work is done.
#[test]
fn a_bad_lock_timeout_is_reported_before_the_editor_opens() {
    let (book, tools) = book_with_ada();
    let marker = tools.path().join("ran");
    let ed = script(
        tools.path(),
        "ed.sh",
        &format!("touch '{}'", marker.display()),
    );
    let mut cmd = book.crm(&["edit", "ada"]);
    cmd.env_remove("VISUAL")
        .env("EDITOR", &ed)
        .env("CRM_LOCK_TIMEOUT", "1e30");
    let output = cmd.output().unwrap();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("CRM_LOCK_TIMEOUT=\"1e30\""), "{err}");
    assert!(!marker.exists(), "the editor was not opened");
    assert!(edit_copies(&book).is_empty());
}

/// On a terminal an invalid edit is shown and the editor re-opened, like `visudo`.
/// Runs crm under util-linux `script` to give it a terminal; fails where that is
/// missing rather than passing without having run.
#[test]
fn on_a_terminal_an_invalid_edit_offers_to_reopen_the_editor() {
    assert!(
        Path::new("/usr/bin/script").exists(),
        "this test needs /usr/bin/script (util-linux) to give crm a terminal"
    );
    let (book, tools) = book_with_ada();
    let count = tools.path().join("count");
    // First run: break the file. Second run: repair it and add a phone number.
    let ed = script(
        tools.path(),
        "ed.sh",
        &format!(
            "if [ -e '{count}' ]; then\n  grep -v 'oops' \"$last\" > \"$last.new\"; printf 'phone: \"5\"\\n' >> \"$last.new\"; mv \"$last.new\" \"$last\"\nelse\n  touch '{count}'; printf 'oops: [\\n' >> \"$last\"\nfi",
            count = count.display()
        ),
    );
    let crm = assert_cmd::cargo::cargo_bin("crm");
    let output = std::process::Command::new("/usr/bin/script")
        .args([
            "-qec",
            &format!("'{}' edit ada", crm.display()),
            "/dev/null",
        ])
        .current_dir(book.root())
        .env_remove("VISUAL")
        .env("EDITOR", &ed)
        .env("CRM_TODAY", common::TODAY)
        .env_remove("CRM_DIR")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(b"y\n")?;
            child.wait_with_output()
        })
        .unwrap();
    let shown = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{shown}");
    assert!(shown.contains("customers/ada.yaml:8:1:"), "{shown}");
    assert!(shown.contains("re-open? [Y/n]"), "{shown}");
    assert!(shown.contains("saved customers/ada.yaml"), "{shown}");
    assert_eq!(book.read_customer("ada"), format!("{ADA}phone: \"5\"\n"));
    assert!(edit_copies(&book).is_empty());
}

#[test]
fn a_saved_edit_that_check_would_flag_is_saved_with_a_warning() {
    let (book, tools) = book_with_ada();
    let ed = script(
        tools.path(),
        "ed.sh",
        "printf '  - date: 2025-04-01\\n    kind: purchse\\n' >> \"$last\"",
    );
    let output = edit(&book, ed.to_str().unwrap(), &["ada"]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    assert!(
        err.contains("customers/ada.yaml:8:5: unknown kind \"purchse\""),
        "{err}"
    );
    assert!(err.contains("did you mean `purchase`"), "{err}");
    assert!(book.read_customer("ada").ends_with("kind: purchse\n"));
}

/// The editing copy lives in `.crm/edit/`; made before any lock is taken, the state
/// folder must still ignore itself, or `git status` lists it while the editor is open.
#[test]
fn the_state_folder_made_for_an_editing_copy_ignores_itself() {
    let (book, tools) = book_with_ada();
    fs::remove_dir_all(book.path(".crm")).ok();
    let copy_seen = tools.path().join("copy.txt");
    let ed = script(
        tools.path(),
        "ed.sh",
        &format!(
            "cat \"$(dirname \"$last\")/../.gitignore\" > '{}'",
            copy_seen.display()
        ),
    );
    let output = edit(&book, ed.to_str().unwrap(), &["ada"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        fs::read_to_string(&copy_seen).unwrap().contains('*'),
        "no .crm/.gitignore while the editor was open"
    );
}
