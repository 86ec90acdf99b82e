//! `crm edit ID` and `crm edit --new NAME`: hand editing that cannot leave a broken file.
//!
//! Like `visudo` and `crontab -e`: the person edits a copy (in `.crm/edit/`), the copy is
//! checked with the same reader every command uses, and only a valid copy replaces the
//! file, atomically and only if the file did not change while the editor was open. The
//! lock is taken for the write alone, never while the editor is open. The editor command
//! is split into words here and started directly, never through a shell, and the only
//! thing added to it is the path of the copy.

use std::fs;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::context::Context;
use crate::domain::id::CustomerId;
use crate::error::{Error, ErrorKind, Result, EXIT_OK};
use crate::store::customer_text::{self, NewCustomer};
use crate::store::{read, Book, Problem, WriteLock};
use crate::ui::Ui;

/// Arguments of `crm edit`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The customer to edit.
    #[arg(required_unless_present = "new", conflicts_with = "new")]
    pub(crate) id: Option<String>,
    /// Start a new customer called NAME from a commented template instead.
    #[arg(long, value_name = "NAME")]
    pub(crate) new: Option<String>,
    /// With --new: the id (file name) to use instead of one derived from the name.
    #[arg(long = "id", value_name = "ID", requires = "new")]
    pub(crate) new_id: Option<String>,
}

pub(crate) fn run(ctx: &Context, args: &Args, out: &mut Ui) -> Result<u8> {
    let book = ctx.book()?;
    // A bad CRM_LOCK_TIMEOUT would only surface once the person has finished editing.
    if let Err(err) = &book.lock_wait {
        return Err(err.clone());
    }
    let editor = split_command(&ctx.editor)?;
    match (&args.new, &args.id) {
        (Some(name), _) => edit_new(ctx, &book, &editor, name, args.new_id.as_deref(), out),
        (None, Some(id)) => edit_existing(ctx, &book, &editor, &book.existing_id(id)?, out),
        (None, None) => Err(Error::usage("name a customer to edit, or use --new NAME")),
    }
}

fn edit_existing(
    ctx: &Context,
    book: &Book,
    editor: &[String],
    id: &CustomerId,
    out: &mut Ui,
) -> Result<u8> {
    let original = book.load_raw(id)?;
    let shown = book.shown(&book.customer_path(id));
    let copy = WorkCopy::create(book, id, &original)?;
    let Some(edited) = edit_until_valid(editor, &copy, &original, &shown, id, None, out)? else {
        copy.remove();
        let _ = writeln!(out.err(), "crm: no changes to {shown}");
        return Ok(EXIT_OK);
    };
    let saved = save(
        ctx,
        book,
        copy,
        &format!("edit {id}"),
        &format!("saved {shown}"),
        out,
        |lock| book.replace_text(lock, id, &original, &edited),
    )?;
    warn_about(&saved.warnings, out);
    Ok(EXIT_OK)
}

/// Writes a saved edit with `write` under the book's lock, says `done` on stdout (the
/// one-line summary every changing command prints), then
/// commits it if asked, with `message`; returns what `write` did. Until the file is written, every failure (the
/// lock timing out, a conflict) keeps the person's copy and names it in the error. Once
/// the file is written the copy goes, since the file holds the edit, and `done` is said
/// before the commit, so a failed commit reads as what it is: saved, not committed.
fn save<T>(
    ctx: &Context,
    book: &Book,
    copy: WorkCopy,
    message: &str,
    done: &str,
    out: &mut Ui,
    write: impl FnOnce(&mut WriteLock) -> Result<T>,
) -> Result<T> {
    let written = book
        .lock()
        .and_then(|mut lock| write(&mut lock).map(|saved| (lock, saved)));
    let (lock, saved) = written.map_err(|err| copy.keep_with(err))?;
    copy.remove();
    writeln!(out, "{done}")?;
    super::finish_write(ctx, book, lock, message, out)?;
    Ok(saved)
}

/// After saving: what `crm check` would still say about the file (an unknown kind, a
/// purchase without an amount). Such a file reads fine, so the edit is not refused.
fn warn_about(warnings: &[Problem], out: &mut Ui) {
    for problem in warnings {
        let _ = writeln!(out.err(), "{problem}");
        out.warn("`crm check` will report the problem above");
    }
}

fn edit_new(
    ctx: &Context,
    book: &Book,
    editor: &[String],
    name: &str,
    id: Option<&str>,
    out: &mut Ui,
) -> Result<u8> {
    let name = crate::domain::contact::name(name).map_err(Error::usage)?;
    let id = match id {
        Some(id) => CustomerId::parse(id)?,
        None => CustomerId::from_name(name)?,
    };
    let shown = book.shown(&book.customer_path(&id));
    if book.exists(&id) {
        return Err(Error::new(
            ErrorKind::AlreadyExists,
            format!("customer `{id}` already exists ({shown})"),
        )
        .with_hint(format!(
            "edit it with `crm edit {id}`, or give the new one another id with `--id {id}-2`"
        )));
    }
    let customer = NewCustomer {
        name: name.to_string(),
        since: Some(ctx.today),
        every: book.config.default_every(),
        ..NewCustomer::default()
    };
    let template = Template::new(&customer, &id, &shown);
    let copy = WorkCopy::create(book, &id, template.text.as_bytes())?;
    // A new file is held to every rule of `crm check` (a bad email is refused, not
    // saved with a warning): nothing was there before that the person must keep.
    let Some(edited) = edit_until_valid(
        editor,
        &copy,
        template.text.as_bytes(),
        &shown,
        &id,
        Some(book),
        out,
    )?
    else {
        copy.remove();
        let _ = writeln!(
            out.err(),
            "crm: template left unchanged; no customer was created"
        );
        return Ok(EXIT_OK);
    };
    let edited = template.without_instructions(edited);
    let saved = save(
        ctx,
        book,
        copy,
        &format!("add {id}"),
        &format!("created {shown}"),
        out,
        |lock| book.create_text(lock, &id, &edited),
    )?;
    warn_about(&saved.warnings, out);
    Ok(EXIT_OK)
}

/// Opens the editor on `copy` until its text is a valid customer file or the person
/// gives up. `None` means the text is exactly `start` (nothing to do).
fn edit_until_valid(
    editor: &[String],
    copy: &WorkCopy,
    start: &[u8],
    shown: &str,
    id: &CustomerId,
    strict: Option<&Book>,
    out: &mut Ui,
) -> Result<Option<Vec<u8>>> {
    loop {
        run_editor(editor, &copy.path).map_err(|err| copy.keep_if_changed(start, err))?;
        let edited = fs::read(&copy.path).map_err(|e| Error::io("read", &copy.path, &e))?;
        if edited == start {
            return Ok(None);
        }
        let checked = match strict {
            Some(book) => {
                let all_kinds = book.config.all_kinds();
                let known = |kind: &str| book.config.knows_kind(kind);
                read::parse_checked(&edited, shown, id, &known, &all_kinds)
                    .and_then(|(_, problems)| problems.into_iter().next().map_or(Ok(()), Err))
            }
            None => read::parse_customer(&edited, shown, id).map(|_| ()),
        };
        let problem = match checked {
            Ok(()) => return Ok(Some(edited)),
            Err(problem) => problem,
        };
        if out.stdin_is_tty() {
            let _ = writeln!(out.err(), "{problem}");
            if ask("re-open? [Y/n] ", out)? {
                continue;
            }
        }
        return Err(copy.keep_with(refused(shown, &problem)));
    }
}

/// An edit that does not read, as `path:line:col: message` like every other problem.
fn refused(shown: &str, problem: &Problem) -> Error {
    Error::invalid_file(format!("{problem}; {shown} was not changed"))
}

/// Asks a yes/no question on the terminal; yes unless the answer starts with `n`.
fn ask(question: &str, out: &mut Ui) -> Result<bool> {
    let _ = write!(out.err(), "{question}");
    let _ = out.err().flush();
    let mut answer = String::new();
    let read = std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Error::io("read an answer from", Path::new("standard input"), &e))?;
    Ok(read > 0 && is_yes(&answer))
}

fn is_yes(answer: &str) -> bool {
    !answer.trim().to_ascii_lowercase().starts_with('n')
}

/// Runs the editor on `path` and waits for it; an editor that fails is an error.
pub fn run_editor(editor: &[String], path: &Path) -> Result<()> {
    let (program, args) = editor
        .split_first()
        .expect("split_command never returns an empty list");
    let status = Command::new(program)
        .args(args)
        .arg(path)
        .status()
        .map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("cannot start the editor `{program}`: {e}"),
            )
            .with_hint("set VISUAL or EDITOR to an editor that is installed, e.g. EDITOR=nano")
        })?;
    if status.success() {
        return Ok(());
    }
    let how = match status.code() {
        Some(code) => format!("exited with status {code}"),
        None => "was stopped by a signal".to_string(),
    };
    Err(Error::new(
        ErrorKind::Io,
        format!("the editor `{program}` {how}; nothing was written"),
    ))
}

/// Splits an editor command like `code --wait` or `"/opt/My Editor/ed" -n` into the
/// program and its arguments, the way a shell splits words, but without any of a
/// shell's expansions: `'single'` and `"double"` quotes group words, and a backslash
/// escapes the next character (outside single quotes).
pub(crate) fn split_command(line: &str) -> Result<Vec<String>> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    let unfinished = || {
        Error::usage(format!(
            "the editor command {line:?} has an unclosed quote or a trailing backslash"
        ))
        .with_hint("fix VISUAL or EDITOR, e.g. EDITOR=\"code --wait\"")
    };
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err(unfinished()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\')) => word.push(c),
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err(unfinished()),
                        },
                        Some(c) => word.push(c),
                        None => return Err(unfinished()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                word.push(chars.next().ok_or_else(unfinished)?);
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    if words.is_empty() {
        return Err(Error::usage("the editor command is empty")
            .with_hint("set VISUAL or EDITOR, e.g. EDITOR=nano"));
    }
    Ok(words)
}

/// What `crm edit --new` starts from: a valid customer file with crm's instructions and
/// the optional fields as comments, which are removed again on save where the person left
/// them as they were.
struct Template {
    /// The whole text.
    text: String,
    /// crm's own comment lines in it (instructions and examples).
    instructions: Vec<String>,
}

impl Template {
    fn new(customer: &NewCustomer, id: &CustomerId, shown: &str) -> Template {
        let file = customer_text::new_customer_file(customer, "\n");
        let mut text = String::new();
        let mut instructions = Vec::new();
        let mut comment = |line: &str, text: &mut String| {
            text.push_str(line);
            text.push('\n');
            instructions.push(line.to_string());
        };
        comment(
            &format!("# New customer `{id}`, to be saved as {shown}."),
            &mut text,
        );
        comment(
            "# Fill in what you know. Your own # comments are kept; these instructions",
            &mut text,
        );
        comment(
            "# and the examples you leave commented out are removed on save.",
            &mut text,
        );
        comment(
            "# Save and quit to create the customer; quit without saving to cancel.",
            &mut text,
        );
        for line in file.lines() {
            if line.starts_with("since:") {
                for example in [
                    "# email: ada@example.com",
                    "# phone: \"+44 20 7946 0000\"",
                    "# company: Example Ltd",
                    "# tags: [vip, newsletter]",
                    "# birthday: 1990-12-10",
                ] {
                    comment(example, &mut text);
                }
            }
            if line.starts_with("interactions:") {
                if customer.every.is_none() {
                    comment("# follow_up:", &mut text);
                    comment("#   every: 30d", &mut text);
                }
                comment("# preferences:", &mut text);
                comment("#   coffee: oat flat white", &mut text);
                comment(
                    "# Interactions are best added with crm commands; the list is append-only.",
                    &mut text,
                );
            }
            text.push_str(line);
            text.push('\n');
        }
        Template { text, instructions }
    }

    /// `edited` without the template's own comment lines that are still there word for
    /// word, unless taking them out would change what the file says (a line inside a
    /// quoted text, say): then `edited` as it is.
    fn without_instructions(&self, edited: Vec<u8>) -> Vec<u8> {
        let (bom, body) = match edited.strip_prefix(b"\xEF\xBB\xBF") {
            Some(body) => (&b"\xEF\xBB\xBF"[..], body),
            None => (&b""[..], &edited[..]),
        };
        let Ok(text) = std::str::from_utf8(body) else {
            return edited;
        };
        let own: Vec<&str> = self.instructions.iter().map(String::as_str).collect();
        match crate::yaml::without_lines(text, &own) {
            Some(text) => [bom, text.as_bytes()].concat(),
            None => edited,
        }
    }
}

/// The copy a person edits, in the book's `.crm/edit/` (or the system temp folder if
/// that cannot be made). Not in `.crm/tmp/`: writers clear that folder, and an editing
/// session may outlive many writes.
struct WorkCopy {
    path: PathBuf,
}

impl WorkCopy {
    fn create(book: &Book, id: &CustomerId, contents: &[u8]) -> Result<WorkCopy> {
        let state_dir = book.state_dir();
        let in_book = state_dir.join("edit");
        let dir = match crate::store::create_state_dir(&state_dir)
            .and_then(|()| crate::store::own_dir(&in_book))
        {
            Ok(()) => in_book,
            Err(_) => std::env::temp_dir(),
        };
        let mut file = tempfile::Builder::new()
            .prefix(&format!("{id}."))
            .suffix(".yaml")
            .tempfile_in(&dir)
            .map_err(|e| Error::io("create an editing copy in", &dir, &e))?;
        file.write_all(contents)
            .and_then(|()| file.flush())
            .map_err(|e| Error::io("write", file.path(), &e))?;
        let (_, path) = file.keep().map_err(|e| Error::io("keep", &dir, &e.error))?;
        Ok(WorkCopy { path })
    }

    fn remove(&self) {
        let _ = fs::remove_file(&self.path);
    }

    /// Keeps the copy (a person's work is never thrown away) and says where it is.
    fn keep_with(&self, mut err: Error) -> Error {
        let kept = format!("your edited copy is kept in `{}`", self.path.display());
        err.hint = Some(match err.hint.take() {
            Some(hint) => format!("{kept}; {hint}"),
            None => format!("{kept}; fix it there and copy what you need into `crm edit` again"),
        });
        err
    }

    /// Keeps the copy only if the person changed something.
    fn keep_if_changed(&self, start: &[u8], err: Error) -> Error {
        match fs::read(&self.path) {
            Ok(text) if text != start => self.keep_with(err),
            _ => {
                self.remove();
                err
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_editor_commands_like_a_shell_without_expanding() {
        let cases: [(&str, &[&str]); 7] = [
            ("vi", &["vi"]),
            ("  code   --wait ", &["code", "--wait"]),
            ("'/opt/My Editor/ed' -n", &["/opt/My Editor/ed", "-n"]),
            (
                "\"/opt/My Editor/ed\" \"a \\\"b\\\"\"",
                &["/opt/My Editor/ed", "a \"b\""],
            ),
            ("/opt/My\\ Editor/ed", &["/opt/My Editor/ed"]),
            ("ed ''", &["ed", ""]),
            (
                "ed $HOME;rm -rf / `x`",
                &["ed", "$HOME;rm", "-rf", "/", "`x`"],
            ),
        ];
        for (line, words) in cases {
            assert_eq!(split_command(line).unwrap(), words, "{line}");
        }
    }

    #[test]
    fn refuses_unfinished_or_empty_editor_commands() {
        for line in ["'vi", "\"vi", "vi \\", "", "   "] {
            assert!(split_command(line).is_err(), "{line:?}");
        }
    }

    #[test]
    fn reads_answers_like_visudo() {
        for yes in ["", "\n", "y\n", "Yes\n"] {
            assert!(is_yes(yes), "{yes:?}");
        }
        for no in ["n\n", "No\n", "  N"] {
            assert!(!is_yes(no), "{no:?}");
        }
    }

    #[test]
    fn the_template_is_a_valid_customer_file() {
        let id = CustomerId::parse("ada-lovelace").unwrap();
        let customer = NewCustomer {
            name: "Ada Lovelace".into(),
            since: chrono::NaiveDate::from_ymd_opt(2025, 6, 15),
            ..NewCustomer::default()
        };
        let template = Template::new(&customer, &id, "customers/ada-lovelace.yaml");
        let text = &template.text;
        let loaded = read::parse_customer(text.as_bytes(), "t", &id).unwrap();
        assert_eq!(loaded.customer.name, "Ada Lovelace");
        assert!(text.contains("# email:"), "{text}");
        let stripped = template.without_instructions(text.clone().into_bytes());
        assert_eq!(
            String::from_utf8(stripped).unwrap(),
            "name: Ada Lovelace\nsince: 2025-06-15\ninteractions:\n"
        );
    }

    #[test]
    fn only_the_templates_own_lines_are_removed() {
        let id = CustomerId::parse("ada").unwrap();
        let customer = NewCustomer {
            name: "Ada".into(),
            since: chrono::NaiveDate::from_ymd_opt(2025, 6, 15),
            ..NewCustomer::default()
        };
        let template = Template::new(&customer, &id, "customers/ada.yaml");
        let edited = template
            .text
            .replace(
                "# company: Example Ltd\n",
                "company: Babbage & Co # partner\n",
            )
            .replace(
                "name: Ada\n",
                "# met at the fair\nname: Ada\n# company: Example Ltd, maybe\n",
            );
        let out = String::from_utf8(template.without_instructions(edited.into_bytes())).unwrap();
        assert_eq!(
            out,
            "# met at the fair\nname: Ada\n# company: Example Ltd, maybe\ncompany: Babbage & Co # partner\nsince: 2025-06-15\ninteractions:\n"
        );
    }

    #[test]
    fn template_lines_inside_a_quoted_text_stay() {
        let id = CustomerId::parse("ada").unwrap();
        let template = Template::new(
            &NewCustomer {
                name: "Ada".into(),
                ..NewCustomer::default()
            },
            &id,
            "c",
        );
        let edited = "\u{feff}name: Ada\nnotes: \"a\n# company: Example Ltd\n  b\"\n# company: Example Ltd\n";
        read::parse_customer(edited.as_bytes(), "t", &id).expect("valid YAML");
        let out = template.without_instructions(edited.as_bytes().to_vec());
        assert_eq!(
            out,
            edited.as_bytes(),
            "the meaning would change: nothing is removed"
        );
    }
}
