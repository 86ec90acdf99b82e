//! The one integration test binary: black-box tests of the `crm` binary on temporary books,
//! one module per area (as cargo, jj and just do), so the crate is linked once.

mod append;
mod big_appends;
mod cache;
mod common;
#[cfg(unix)]
mod completion;
mod concurrency;
mod edit;
mod follow_ups;
mod foundation;
mod git;
mod hostile;
mod import_export;
mod init;
mod interop;
mod lifecycle;
mod merge;
#[cfg(unix)]
mod modes;
mod predict;
mod programmes;
mod reader;
mod render;
mod report;
#[cfg(unix)]
mod second_writers;
#[cfg(unix)]
mod single_file;
mod stats;
#[cfg(unix)]
mod sync;
#[cfg(unix)]
mod terminal;

/// Every `.rs` file beside this one is a module of this binary: a test file that is not
/// declared here would never run.
#[test]
fn every_test_file_is_a_module() {
    let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli");
    let main = std::fs::read_to_string(here.join("main.rs")).expect("main.rs is readable");
    for entry in std::fs::read_dir(&here).expect("tests/cli is readable") {
        let path = entry.expect("a directory entry").path();
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        if path.extension().is_some_and(|e| e == "rs") && stem != "main" {
            assert!(
                main.contains(&format!("mod {stem};")),
                "tests/cli/{stem}.rs is not declared in main.rs"
            );
        }
    }
    let stray: Vec<_> = std::fs::read_dir(here.parent().expect("tests/"))
        .expect("tests/ is readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    assert!(
        stray.is_empty(),
        "test files outside tests/cli/ build a binary of their own: {stray:?}"
    );
}
