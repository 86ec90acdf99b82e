//! Fetching, pushing and cloning through the installed `git` program, as cargo's
//! `net.git-fetch-with-cli` does: libgit2 is built here without ssh and https, and the
//! `git` program already knows the user's ssh-agent, `~/.ssh/config`, `insteadOf` rules
//! and credential helpers. Only these three network operations run `git`; everything
//! else (status, commits, the merge itself) stays in libgit2, in-process.
//!
//! `git` runs with a controlled environment: no prompts when standard input is not a
//! terminal (`GIT_TERMINAL_PROMPT=0`, so cron never hangs on a password), messages in
//! English (`LC_ALL=C`, so crm can tell "the remote has moved" from other refusals), its
//! standard error captured and turned into a crm error that says what to do.

use std::ffi::OsString;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::error::{Error, ErrorKind, Result};

/// What a push did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Pushed {
    /// The remote took the commits.
    Done,
    /// The remote refused because it has commits the push lacks (`fetch first`,
    /// `non-fast-forward`): fetch, merge, and push again.
    RemoteMoved,
}

/// The `git` program to run and how.
#[derive(Debug, Clone)]
pub(crate) struct Git {
    /// The program (`git`, or `CRM_GIT`).
    program: OsString,
    /// Whether a person can answer git's prompts (standard input is a terminal).
    interactive: bool,
}

impl Git {
    /// `program`, run with prompts allowed only when `interactive`.
    pub(crate) fn new(program: OsString, interactive: bool) -> Git {
        Git {
            program,
            interactive,
        }
    }
}

/// The `git` program, run in `dir` with crm's environment.
fn git(settings: &Git, dir: &Path) -> Command {
    let mut command = Command::new(&settings.program);
    command
        .arg("-C")
        .arg(dir)
        .env("LC_ALL", "C")
        .env("LANGUAGE", "C")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if settings.interactive {
        command.stdin(Stdio::inherit());
    } else {
        // Nobody can answer a prompt: fail at once rather than wait for ever.
        command
            .stdin(Stdio::null())
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GCM_INTERACTIVE", "never");
    }
    command
}

/// The output of a `git` run that exited, successfully or not.
struct Ran {
    success: bool,
    stdout: String,
    stderr: String,
}

/// Runs `command`; a `git` that cannot be started is an error saying to install it.
fn run(settings: &Git, mut command: Command, what: &str) -> Result<Ran> {
    let output = command.output().map_err(|e| {
        let program = settings.program.to_string_lossy();
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::new(
                ErrorKind::Git,
                format!("cannot {what}: the `{program}` program is not installed (crm runs it to fetch and push, so your ssh keys and credential helpers work)"),
            )
            .with_hint("install git (`apt install git`, `brew install git`, or https://git-scm.com), or set CRM_GIT to its path")
        } else {
            Error::new(
                ErrorKind::Git,
                format!("cannot {what}: failed to run `{program}`: {e}"),
            )
        }
    })?;
    Ok(Ran {
        success: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    })
}

/// git's own words for a failure: its `fatal:`/`error:` lines (or its last lines),
/// joined, so the crm error carries what ssh or the server said.
fn git_said(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("hint:"))
        .collect();
    let important: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| {
            l.starts_with("fatal:")
                || l.starts_with("error:")
                || l.starts_with("remote:")
                || l.starts_with(" ! ")
                || l.starts_with("ssh:")
                || l.contains("Permission denied")
                || l.contains("Host key verification failed")
        })
        .collect();
    let chosen = if important.is_empty() {
        &lines[lines.len().saturating_sub(3)..]
    } else {
        &important[..]
    };
    if chosen.is_empty() {
        "git gave no reason".to_string()
    } else {
        chosen.join("; ")
    }
}

/// The hint for a failed network operation with remote `remote`, from what git said.
fn network_hint(said: &str, remote: &str) -> String {
    let lower = said.to_ascii_lowercase();
    if lower.contains("permission denied")
        || lower.contains("authentication failed")
        || lower.contains("could not read username")
        || lower.contains("terminal prompts disabled")
    {
        format!("check that you may access `{remote}`: your ssh key is loaded (`ssh-add -l`) or your credential helper knows the password; `git fetch {remote}` shows git's own prompts")
    } else if lower.contains("could not resolve host")
        || lower.contains("connection refused")
        || lower.contains("connection timed out")
        || lower.contains("network is unreachable")
    {
        format!("the remote `{remote}` could not be reached: check the network and the address (`git remote -v`), then run the command again")
    } else if lower.contains("does not appear to be a git repository")
        || lower.contains("not found")
    {
        format!("check the remote's address (`git remote -v`; change it with `git remote set-url {remote} URL`)")
    } else {
        format!("`git fetch {remote}` or `git push {remote}` shows the same failure with git's own messages; fix it, then run the command again")
    }
}

/// Fetches `remote_ref` (`refs/heads/main`) from the configured remote `remote` into
/// `tracking` (`refs/remotes/origin/main`). Returns `false` when the remote has no
/// such branch yet (an empty repository, or a branch nobody pushed).
pub(crate) fn fetch(
    settings: &Git,
    dir: &Path,
    remote: &str,
    remote_ref: &str,
    tracking: &str,
) -> Result<bool> {
    let mut command = git(settings, dir);
    command
        .args(["fetch", "--quiet", "--no-tags", "--"])
        .arg(remote)
        .arg(format!("+{remote_ref}:{tracking}"));
    let ran = run(settings, command, &format!("fetch from `{remote}`"))?;
    if ran.success {
        return Ok(true);
    }
    if ran.stderr.contains("couldn't find remote ref") {
        return Ok(false);
    }
    let said = git_said(&ran.stderr);
    Err(Error::new(
        ErrorKind::Git,
        format!("fetching from `{remote}` failed: {said}"),
    )
    .with_hint(network_hint(&said, remote)))
}

/// Pushes `commit` (a commit id, or a local ref) to `remote_ref` of `remote`, never
/// forcing. A sync pushes the commit it made under the book's lock by its id, so that a
/// commit another crm makes on the branch while git pushes is left for the next sync.
pub(crate) fn push(
    settings: &Git,
    dir: &Path,
    remote: &str,
    commit: &str,
    remote_ref: &str,
) -> Result<Pushed> {
    let mut command = git(settings, dir);
    command
        .args(["push", "--porcelain", "--quiet", "--"])
        .arg(remote)
        .arg(format!("{commit}:{remote_ref}"));
    let ran = run(settings, command, &format!("push to `{remote}`"))?;
    if ran.success {
        return Ok(Pushed::Done);
    }
    // `--porcelain` writes one line per ref on stdout: `!<TAB>from:to<TAB>[rejected] (fetch first)`.
    let moved = ran.stdout.lines().any(|line| {
        line.starts_with('!')
            && (line.contains("(fetch first)") || line.contains("(non-fast-forward)"))
    });
    // A push that raced another one: the remote's branch moved between git's reading
    // it and updating it (`cannot lock ref ... is at X but expected Y`), or another
    // push held its lock. Fetching and merging again is the answer to both.
    let raced = ran.stderr.contains("cannot lock ref") || ran.stderr.contains("failed to lock");
    if moved || raced {
        return Ok(Pushed::RemoteMoved);
    }
    let rejected: Vec<&str> = ran
        .stdout
        .lines()
        .filter(|l| l.starts_with('!'))
        .filter_map(|l| l.split('\t').nth(2))
        .collect();
    let mut said = git_said(&ran.stderr);
    if !rejected.is_empty() {
        said = format!("{said} ({})", rejected.join("; "));
    }
    let hint = if said.contains("remote rejected") || said.contains("hook declined") {
        format!("the remote `{remote}` refused the commits (a hook or a protected branch); the lines starting with `remote:` say why. Your commits are safe here; run `crm sync` again once it is fixed")
    } else {
        network_hint(&said, remote)
    };
    Err(Error::new(
        ErrorKind::Git,
        format!("pushing to `{remote}` failed: {said}"),
    )
    .with_hint(hint))
}

/// Clones `url` into `dir` (which must not exist, or be empty), with git's default
/// branch checked out; a relative `url` or `dir` is taken from `cwd`.
pub(crate) fn clone(settings: &Git, cwd: &Path, url: &str, dir: &Path) -> Result<()> {
    let mut command = git(settings, cwd);
    command.args(["clone", "--quiet", "--"]).arg(url).arg(dir);
    let ran = run(settings, command, &format!("clone `{url}`"))?;
    if ran.success {
        return Ok(());
    }
    let said = git_said(&ran.stderr);
    Err(
        Error::new(ErrorKind::Git, format!("cloning `{url}` failed: {said}"))
            .with_hint(network_hint(&said, url)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_said_keeps_the_fatal_lines_and_drops_hints() {
        let stderr = "hint: Updates were rejected\nremote: Permission to x denied\nfatal: unable to access 'x'\n\n";
        assert_eq!(
            git_said(stderr),
            "remote: Permission to x denied; fatal: unable to access 'x'"
        );
        assert_eq!(git_said("one\ntwo\nthree\nfour\n"), "two; three; four");
        assert_eq!(git_said(""), "git gave no reason");
    }

    #[test]
    fn hints_follow_what_went_wrong() {
        assert!(
            network_hint("fatal: Permission denied (publickey).", "origin").contains("ssh-add")
        );
        assert!(network_hint(
            "ssh: connect to host x port 22: Connection refused",
            "origin"
        )
        .contains("could not be reached"));
        assert!(network_hint(
            "fatal: '/x' does not appear to be a git repository",
            "origin"
        )
        .contains("git remote set-url origin"));
    }
}
