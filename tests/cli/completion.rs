//! Shell completion for real: `crm completions SHELL` is loaded into a real bash, zsh
//! and fish, each is asked to complete a line as it would on a TAB, and the words it
//! offers must be the book's customer ids, tags and kinds. A missing shell fails the
//! test (`.ci/run` installs zsh and fish).

use std::process::{Command, Output};

use crate::common;

use common::{stdout_of, TempBook};

fn stderr_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn book_to_complete() -> TempBook {
    let book = TempBook::new();
    book.customer("ada", "name: Ada\ntags: [vip, trial]\n");
    book.customer("adam", "name: Adam\ntags: [venue]\n");
    book.customer("bob", "name: Bob\n");
    book
}

/// What `crm` answers when a shell asks, as fish asks (the words so far, the current
/// one last).
fn fish_candidates(book: &TempBook, words: &[&str]) -> Vec<String> {
    let out = stdout_of(
        book.crm(&[&["--", "crm"], words].concat())
            .env("COMPLETE", "fish"),
    );
    out.lines()
        .map(|l| l.split('\t').next().unwrap().to_string())
        .collect()
}

#[test]
fn completion_offers_ids_tags_and_kinds_from_the_book() {
    let book = book_to_complete();
    assert_eq!(fish_candidates(&book, &["show", "ad"]), ["ada", "adam"]);
    // With nothing typed yet, the flags are offered too.
    let all: Vec<String> = fish_candidates(&book, &["set", ""])
        .into_iter()
        .filter(|c| !c.starts_with('-'))
        .collect();
    assert_eq!(all, ["ada", "adam", "bob"]);
    assert_eq!(
        fish_candidates(&book, &["list", "--tag", "v"]),
        ["venue", "vip"]
    );
    // (clap adds `-t` followed by the short flags after the tags.)
    assert_eq!(fish_candidates(&book, &["tag", "ada", "-t"])[0], "-trial");
    assert_eq!(
        fish_candidates(&book, &["tag", "ada", "+"]),
        ["+trial", "+venue", "+vip"]
    );
    assert_eq!(fish_candidates(&book, &["log", "ada", "pu"]), ["purchase"]);
    assert_eq!(fish_candidates(&book, &["merge", "ada", "b"]), ["bob"]);
}

#[test]
fn completion_answers_bash_and_zsh_through_their_variables() {
    let book = book_to_complete();
    let out = stdout_of(
        book.crm(&["--", "crm", "history", "ad"])
            .env("COMPLETE", "bash")
            .env("_CLAP_COMPLETE_INDEX", "2")
            .env("_CLAP_COMPLETE_COMP_TYPE", "9")
            .env("_CLAP_IFS", "\n"),
    );
    assert_eq!(out.lines().collect::<Vec<_>>(), ["ada", "adam"]);
    let out = stdout_of(
        book.crm(&["--", "crm", "rm", "b"])
            .env("COMPLETE", "zsh")
            .env("_CLAP_COMPLETE_INDEX", "2")
            .env("_CLAP_IFS", "\n"),
    );
    assert_eq!(out.lines().collect::<Vec<_>>(), ["bob"]);
}

#[test]
fn completion_scripts_register_for_each_shell() {
    let book = book_to_complete();
    for (shell, marker) in [
        (
            "bash",
            "complete -o nospace -o bashdefault -o nosort -F _clap_complete_crm crm",
        ),
        ("zsh", "compdef _clap_dynamic_completer_crm crm"),
        ("fish", "complete --keep-order --exclusive --command crm"),
    ] {
        let script = stdout_of(book.crm(&["completions", shell]));
        assert!(script.contains(marker), "{shell}: {script}");
        assert!(script.contains("COMPLETE="), "{shell}: {script}");
    }
}

/// A home for the shells, so that no user's configuration or history is read or written.
fn shell_home() -> std::path::PathBuf {
    let home = std::env::temp_dir().join("crm-test-shell-home");
    std::fs::create_dir_all(&home).expect("make the shells' home");
    home
}

/// Runs `program args` in `book`, failing (not skipping) when the shell is missing.
fn run_shell(book: &TempBook, program: &str, args: &[&str]) -> Output {
    let home = shell_home();
    let output = Command::new("timeout")
        .arg("60")
        .arg(program)
        .args(args)
        .current_dir(book.root())
        .env_remove("CRM_DIR")
        .env("CRM", assert_cmd::cargo::cargo_bin("crm"))
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .output()
        .expect("run timeout (coreutils)");
    assert!(
        output.status.code() != Some(127),
        "{program} is not installed; the completion tests need it (.ci/run installs it: apt-get install {program})"
    );
    assert!(
        output.status.success(),
        "{program} {args:?}: {:?}\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        stderr_of(&output)
    );
    output
}

/// What a real fish offers for `line` (the cursor at its end), after loading
/// `crm completions fish`: `complete --do-complete` is what fish runs on a TAB.
fn fish_completes(book: &TempBook, line: &str) -> Vec<String> {
    let script = format!("$CRM completions fish | source; complete --do-complete '{line}'");
    let output = run_shell(book, "fish", &["--no-config", "-c", &script]);
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| l.split('\t').next().unwrap_or("").to_string())
        .collect()
}

/// Types `$1` and a TAB into an interactive zsh (on a pseudo-terminal of zsh's zpty
/// module, so that its line editor runs as for a person), with compinit and
/// `crm completions zsh` loaded and TAB bound to a widget that runs the completion
/// system and prints every word it offered (each `compadd` call is also captured with
/// `compadd -O`) between ^B and ^C.
const ZSH_COMPLETES: &str = r#"
zmodload zsh/zpty || exit 2
zpty z zsh -f -i
zpty -w z 'PS1= PROMPT_EOL_MARK=; autoload -Uz compinit && compinit -u -D'
zpty -w z 'eval "$($CRM completions zsh)"'
zpty -w z 'typeset -gaU offered; compadd() { local -a r; builtin compadd -O r "$@"; offered+=("${r[@]}"); builtin compadd "$@" }'
zpty -w z 'show-offered() { offered=(); _main_complete; print -n $'"'"'\x02'"'"'; print -nlr -- "${offered[@]}"; print -n $'"'"'\x03'"'"' }'
zpty -w z 'zle -C show-offered complete-word show-offered; bindkey "^I" show-offered; print ready-$((6*7))'
zpty -r -m z REPLY '*ready-42*' || exit 3
zpty -w -n z "$1"$'\t'
zpty -r -m z REPLY $'*\x02' || exit 4
zpty -r -m z REPLY $'*\x03' || exit 5
print -r -- "${${REPLY%$'\x03'}//$'\r'/}"
zpty -d z
"#;

/// What a real, interactive zsh offers for `line` on a TAB.
fn zsh_completes(book: &TempBook, line: &str) -> Vec<String> {
    let output = run_shell(book, "zsh", &["-f", "-c", ZSH_COMPLETES, "zsh", line]);
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// The lines typed and what each shell must offer for them: ids, tags (also as `+TAG`
/// for `crm tag`), kinds.
const EXPECTED: &[(&str, &[&str])] = &[
    ("crm show ad", &["ada", "adam"]),
    ("crm merge ada b", &["bob"]),
    ("crm list --tag v", &["venue", "vip"]),
    ("crm tag ada +", &["+trial", "+venue", "+vip"]),
    ("crm log ada pu", &["purchase"]),
];

#[test]
fn completion_works_in_a_real_fish() {
    let book = book_to_complete();
    for (line, expected) in EXPECTED {
        assert_eq!(fish_completes(&book, line), *expected, "fish: {line}");
    }
}

#[test]
fn completion_works_in_a_real_zsh() {
    let book = book_to_complete();
    for (line, expected) in EXPECTED {
        let mut offered = zsh_completes(&book, line);
        offered.sort();
        assert_eq!(offered, *expected, "zsh: {line}");
    }
}

/// What a real bash offers for `line`: the variables bash sets on a TAB, then the
/// function `crm completions bash` registered, as bash calls it (command, current
/// word, previous word).
fn bash_completes(book: &TempBook, line: &str) -> Vec<String> {
    let words: Vec<&str> = line.split(' ').collect();
    let current = words.len() - 1;
    let script = format!(
        "source <(\"$CRM\" completions bash)\nCOMP_WORDS=({words})\nCOMP_CWORD={current}\n\
         COMP_LINE='{line}'\nCOMP_POINT={point}\nCOMP_TYPE=9\n\
         _clap_complete_crm crm '{word}' '{previous}'\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        words = words
            .iter()
            .map(|w| format!("'{w}'"))
            .collect::<Vec<_>>()
            .join(" "),
        point = line.len(),
        word = words[current],
        previous = words[current - 1],
    );
    let output = run_shell(book, "bash", &["--norc", "--noprofile", "-c", &script]);
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

#[test]
fn completion_works_in_a_real_bash() {
    let book = book_to_complete();
    for (line, expected) in EXPECTED {
        assert_eq!(bash_completes(&book, line), *expected, "bash: {line}");
    }
}
