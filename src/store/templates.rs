//! Message templates: `templates/NAME.txt` in the book, read for `crm draft` and `crm due
//! --drafts`, and the ones `crm init` ships. Reads only files inside the book: no link is
//! followed and names cannot climb out of `templates/`.

use std::fs;
use std::io::Read;
use std::path::PathBuf;

use crate::error::{Error, Result};

use super::Book;

/// The folder of templates, under the book root.
pub const TEMPLATES_DIR: &str = "templates";

/// Extension of template files.
pub const EXTENSION: &str = "txt";

/// Templates are small; anything bigger is a mistake (a wrong file).
const MAX_BYTES: u64 = 256 * 1024;

/// The templates `crm init` writes: (name, text). Each starts with its headers, then a
/// blank line, then the body; see docs/messages.md.
pub const SHIPPED: [(&str, &str); 5] = [
    (
        "thank-you",
        "Subject: Thank you, {{ customer.first_name }}\n\
\n\
Dear {{ customer.first_name }},\n\
\n\
{% if last_purchase is defined -%}\n\
thank you for your purchase of {{ last_purchase.what }} on {{ last_purchase.date }}.\n\
{%- else -%}\n\
thank you for being with us.\n\
{%- endif %}\n\
{% if loyalty is defined and loyalty.tier is defined %}\n\
As a {{ loyalty.tier }} member you now have {{ loyalty.points }} points.\n\
{%- elif loyalty is defined %}\n\
You now have {{ loyalty.points }} points.\n\
{%- endif %}\n\
\n\
Warm regards\n",
    ),
    (
        "birthday",
        "Subject: Happy birthday, {{ customer.first_name }}!\n\
\n\
Dear {{ customer.first_name }},\n\
\n\
everyone here wishes you a very happy birthday.\n\
{%- if preferences.coffee is defined %} Your next {{ preferences.coffee }} is on us.{% endif %}\n\
\n\
Warm regards\n",
    ),
    (
        "win-back",
        "Subject: We miss you, {{ customer.first_name }}\n\
\n\
Dear {{ customer.first_name }},\n\
\n\
it has been a while since we last saw you\n\
{%- if last_purchase is defined %} (your last visit was on {{ last_purchase.date }}){% endif %}.\n\
We would love to welcome you back.\n\
{%- if loyalty is defined and loyalty.points > 0 %} Your {{ loyalty.points }} points are waiting for you.{% endif %}\n\
\n\
Warm regards\n",
    ),
    (
        "after-complaint",
        "Subject: About your recent experience\n\
\n\
Dear {{ customer.first_name }},\n\
\n\
{% if last_complaint is defined and last_complaint.summary is defined -%}\n\
we are sorry about {{ last_complaint.summary }} on {{ last_complaint.date }}.\n\
{%- else -%}\n\
we are sorry that your last visit did not go as it should have.\n\
{%- endif %}\n\
We would like to make it right: simply reply to this message.\n\
\n\
Warm regards\n",
    ),
    (
        "follow-up",
        "Subject: Following up, {{ customer.first_name }}\n\
\n\
Dear {{ customer.first_name }},\n\
\n\
I wanted to follow up{% if last_interaction is defined and last_interaction.summary is defined %} on {{ last_interaction.summary }}{% endif %}.\n\
Is there anything we can do for you?\n\
\n\
Warm regards\n",
    ),
];

/// A template as read: where it is (as shown in messages) and its text.
#[derive(Debug, Clone)]
pub struct TemplateFile {
    /// `templates/NAME.txt`.
    pub shown: String,
    /// Its text.
    pub text: String,
}

impl Book {
    /// The file of template `name` (which may not exist).
    pub fn template_path(&self, name: &str) -> PathBuf {
        self.root
            .join(TEMPLATES_DIR)
            .join(format!("{name}.{EXTENSION}"))
    }

    /// Reads template `name`: a plain file (no link) inside `templates/`, UTF-8, at
    /// most 256 KiB.
    pub fn read_template(&self, name: &str) -> Result<TemplateFile> {
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if !valid {
            return Err(Error::usage(format!(
                "{name:?} is not a template name: use lowercase letters, digits, `-` and `_` (the file is templates/NAME.txt)"
            )));
        }
        let path = self.template_path(name);
        let shown = format!("{TEMPLATES_DIR}/{name}.{EXTENSION}");
        let meta = match fs::symlink_metadata(&path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let names = self.template_names();
                let hint = if names.is_empty() {
                    format!("write `{shown}` (`crm init` ships thank-you, birthday, win-back, after-complaint and follow-up; see docs/messages.md)")
                } else {
                    format!("templates: {}", names.join(", "))
                };
                return Err(Error::new(
                    crate::error::ErrorKind::NotFound,
                    format!("no template `{shown}` in this book"),
                )
                .with_hint(hint));
            }
            Err(e) => return Err(Error::io("read", &path, &e)),
        };
        let dir_is_link = fs::symlink_metadata(self.root.join(TEMPLATES_DIR))
            .is_ok_and(|m| m.file_type().is_symlink());
        if !meta.file_type().is_file() || dir_is_link {
            return Err(Error::invalid_file(format!(
                "`{shown}` is not a plain file in the book's templates/ folder; crm does not follow links"
            )));
        }
        let mut raw = Vec::new();
        fs::File::open(&path)
            .and_then(|f| f.take(MAX_BYTES + 1).read_to_end(&mut raw))
            .map_err(|e| Error::io("read", &path, &e))?;
        if raw.len() as u64 > MAX_BYTES {
            return Err(Error::invalid_file(format!(
                "`{shown}` is over {} KiB; is it the right file?",
                MAX_BYTES / 1024
            )));
        }
        let text = String::from_utf8(raw).map_err(|e| {
            Error::invalid_file(format!(
                "`{shown}` is not UTF-8 text (byte {} is not)",
                e.utf8_error().valid_up_to() + 1
            ))
        })?;
        Ok(TemplateFile { shown, text })
    }

    /// The names of the book's templates, sorted.
    pub fn template_names(&self) -> Vec<String> {
        let Ok(entries) = fs::read_dir(self.root.join(TEMPLATES_DIR)) else {
            return Vec::new();
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let stem = name.strip_suffix(&format!(".{EXTENSION}"))?;
                (!stem.starts_with('.')).then(|| stem.to_string())
            })
            .collect();
        names.sort();
        names
    }
}
