//! File modes of what crm writes: a new customer file gets what any editor would give it
//! (0666 less the umask), so a cron job running as another user can read it; a replaced
//! file keeps the mode a person gave it. crm runs under `sh -c 'umask ...; exec crm'`,
//! so the umask is the child's own and no other test is affected.

use crate::common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Output};

use common::{TempBook, TODAY};

/// Runs crm in `book` with `umask` set, and `EDITOR` if given.
fn crm_with_umask(book: &TempBook, umask: &str, editor: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!("umask {umask} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_crm"))
        .args(args)
        .current_dir(book.root())
        .env_remove("CRM_DIR")
        .env_remove("CRM_LOCK_TIMEOUT")
        .env_remove("VISUAL")
        .env("CRM_TODAY", TODAY);
    if let Some(editor) = editor {
        cmd.env("EDITOR", editor);
    }
    let output = cmd.output().unwrap();
    assert!(
        output.status.success(),
        "crm {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn mode(book: &TempBook, id: &str) -> u32 {
    fs::metadata(book.customer_path(id))
        .unwrap()
        .permissions()
        .mode()
        & 0o7777
}

#[test]
fn crm_add_creates_files_readable_by_others_under_umask_022() {
    let book = TempBook::without_git();
    crm_with_umask(&book, "022", None, &["add", "Grace Hopper"]);
    assert_eq!(mode(&book, "grace-hopper"), 0o644);
}

#[test]
fn crm_add_honours_a_stricter_umask() {
    let book = TempBook::without_git();
    crm_with_umask(&book, "027", None, &["add", "Grace Hopper"]);
    assert_eq!(mode(&book, "grace-hopper"), 0o640);
    crm_with_umask(&book, "002", None, &["add", "Alan Turing"]);
    assert_eq!(mode(&book, "alan-turing"), 0o664);
}

#[test]
fn crm_edit_new_creates_files_with_the_umask() {
    let book = TempBook::without_git();
    // An "editor" that fills in a phone number.
    crm_with_umask(
        &book,
        "022",
        Some("sh -c 'echo \"phone: 1\" >> \"$0\"'"),
        &["edit", "--new", "Grace Hopper"],
    );
    assert!(book.read_customer("grace-hopper").contains("phone: 1"));
    assert_eq!(mode(&book, "grace-hopper"), 0o644);
}

#[test]
fn crm_import_creates_files_with_the_umask() {
    let book = TempBook::without_git();
    book.write("p.csv", "customer,date,amount\nzed,2025-01-10,20.00\n");
    crm_with_umask(&book, "022", None, &["import", "purchases", "p.csv"]);
    assert_eq!(mode(&book, "zed"), 0o644);
}

#[test]
fn replacing_a_file_keeps_the_mode_a_person_gave_it() {
    let book = TempBook::without_git();
    book.customer("ada", "name: Ada\n")
        .customer("bob", "name: Bob\n");
    for (id, chosen) in [("ada", 0o600), ("bob", 0o664)] {
        fs::set_permissions(book.customer_path(id), fs::Permissions::from_mode(chosen)).unwrap();
        // A new file would be 0600 under umask 077 and 0644 under 022: only keeping
        // the original's mode gives 0664 after `log` and 0600 after `edit`.
        crm_with_umask(&book, "077", None, &["log", id, "call", "hi"]);
        assert_eq!(mode(&book, id), chosen, "{id} after crm log");
        crm_with_umask(
            &book,
            "022",
            Some("sh -c 'echo \"phone: 1\" >> \"$0\"'"),
            &["edit", id],
        );
        assert!(book.read_customer(id).contains("phone: 1"));
        assert_eq!(mode(&book, id), chosen, "{id} after crm edit");
    }
}
