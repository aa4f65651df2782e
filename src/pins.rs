//! Saving pins: edits `keep_alive_models` in the config file in place, keeping the
//! user's comments, ordering and formatting, and replaces the file atomically.
//!
//! A file that does not parse is never overwritten: the caller keeps the pin for this
//! run and tells the user why it was not saved.

use std::io::Write;
use std::path::{Path, PathBuf};

use toml_edit::{Array, DocumentMut, Item, Value};

use crate::config::Config;
use crate::names::same_model;

const KEY: &str = "keep_alive_models";

/// What a save did to the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinChange {
    Added,
    Removed,
    /// Already as asked: the file was not touched.
    Unchanged,
}

#[derive(Debug, thiserror::Error)]
pub enum PinSaveError {
    #[error("cannot read config file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file does not hold a valid config: it is left byte for byte as it was.
    #[error("{message}; pins were not saved (the file was left untouched)")]
    Broken { path: PathBuf, message: String },
    #[error("cannot save pins to {}: {reason}", path.display())]
    Write { path: PathBuf, reason: String },
}

/// Adds (`pinned`) or removes `model` in the config file at `path`, creating the file
/// and its directory when missing. Names compare case-insensitively.
pub fn save_pin(path: &Path, model: &str, pinned: bool) -> Result<PinChange, PinSaveError> {
    // Write through symlinks (dotfile managers) instead of replacing the link.
    let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let existing = match std::fs::read_to_string(&target) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => {
            return Err(PinSaveError::Read {
                path: target,
                source,
            });
        }
    };
    if existing.is_none() && !pinned {
        return Ok(PinChange::Unchanged);
    }
    let text = existing.as_deref().unwrap_or(NEW_FILE);
    let (new_text, change) =
        edit_pins(text, model, pinned, &target).map_err(|message| PinSaveError::Broken {
            path: target.clone(),
            message,
        })?;
    if change == PinChange::Unchanged && existing.is_some() {
        return Ok(change);
    }
    // The rename would replace a file the user made read-only (and root writes
    // anywhere): its mode is the user's say.
    if existing.is_some() && std::fs::metadata(&target).is_ok_and(|m| m.permissions().readonly()) {
        return Err(PinSaveError::Write {
            reason: "the file is read-only; the pin holds for this run only".into(),
            path: target,
        });
    }
    write_atomic(&target, new_text.as_bytes()).map_err(|e| PinSaveError::Write {
        reason: write_reason(&target, &e),
        path: target,
    })?;
    Ok(change)
}

const NEW_FILE: &str = "# Model Orchestrator configuration (see config.toml.sample for every setting).\n\
\n\
# Pinned models: loaded with keep_alive -1 and loaded again whenever they drop out.\n\
keep_alive_models = []\n";

/// The pure edit: returns the new text and what changed. `Err` carries why the text was
/// refused (it does not parse, or does not hold a valid config); `path` is only used
/// in that message.
pub fn edit_pins(
    text: &str,
    model: &str,
    pinned: bool,
    path: &Path,
) -> Result<(String, PinChange), String> {
    Config::from_toml(text, path).map_err(|e| e.to_string())?;
    let mut doc: DocumentMut = text.parse().map_err(|e| format!("{e}"))?;
    let model = model.trim();
    if doc.get(KEY).is_none() {
        if !pinned {
            return Ok((text.to_string(), PinChange::Unchanged));
        }
        doc.insert(KEY, Item::Value(Value::Array(Array::new())));
    }
    let array = doc
        .get_mut(KEY)
        .and_then(Item::as_array_mut)
        .ok_or_else(|| format!("{KEY} is not a list"))?;
    let change = if pinned {
        add(array, model)
    } else {
        remove(array, model)
    };
    let out = doc.to_string();
    // Belt and braces: never write something we could not read back.
    Config::from_toml(&out, path).map_err(|e| e.to_string())?;
    Ok((out, change))
}

fn matches(v: &Value, model: &str) -> bool {
    v.as_str().is_some_and(|s| same_model(s, model))
}

fn add(array: &mut Array, model: &str) -> PinChange {
    if array.iter().any(|v| matches(v, model)) {
        return PinChange::Unchanged;
    }
    let mut value = Value::from(model);
    // Follow the layout of the list: same indentation as the last entry, without
    // copying any comment that sits in its prefix.
    let prefix = match array.iter().last() {
        Some(last) => layout_prefix(last.decor().prefix().and_then(|p| p.as_str())),
        None => layout_prefix(array.trailing().as_str()).filter(|p| p.contains('\n')),
    };
    if let Some(prefix) = prefix {
        value.decor_mut().set_prefix(prefix);
        value.decor_mut().set_suffix("");
    }
    let multiline_empty = array.is_empty() && value.decor().prefix().is_some();
    array.push_formatted(value);
    if multiline_empty {
        array.set_trailing_comma(true);
    }
    PinChange::Added
}

/// The whitespace layout of a prefix: a line break plus the indentation of its last
/// line, or a single space when the entry shares a line with the previous one.
fn layout_prefix(prefix: Option<&str>) -> Option<String> {
    let p = prefix?;
    Some(match p.rfind('\n') {
        Some(i) => {
            let indent = &p[i + 1..];
            let indent = if indent.is_empty() { "    " } else { indent };
            format!("\n{indent}")
        }
        None if p.is_empty() => String::new(),
        None => " ".to_string(),
    })
}

fn remove(array: &mut Array, model: &str) -> PinChange {
    let mut removed = false;
    let mut i = 0;
    while i < array.len() {
        if !array.get(i).is_some_and(|v| matches(v, model)) {
            i += 1;
            continue;
        }
        let gone = array.remove(i);
        removed = true;
        // The next entry moves up: give it the removed entry's line layout when it
        // sat on the same line (`["a", "b"]` → `["b"]`, not `[ "b"]`).
        let gone_prefix = gone
            .decor()
            .prefix()
            .and_then(|p| p.as_str())
            .map(str::to_string);
        if let (Some(next), Some(p)) = (array.get_mut(i), gone_prefix) {
            let same_line = next
                .decor()
                .prefix()
                .and_then(|x| x.as_str())
                .is_none_or(|x| !x.contains('\n'));
            if same_line {
                next.decor_mut().set_prefix(p);
            }
        }
    }
    if array.is_empty()
        && array
            .trailing()
            .as_str()
            .is_some_and(|t| t.trim().is_empty())
    {
        array.set_trailing("");
        array.set_trailing_comma(false);
    }
    if removed {
        PinChange::Removed
    } else {
        PinChange::Unchanged
    }
}

/// Writes `bytes` to `path` so that readers see either the old file or the new one,
/// never a part: a temporary file in the same directory, fsync, rename. Keeps the
/// old file's permissions.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir)?;
    let old_perms = std::fs::metadata(path).ok().map(|m| m.permissions());
    let mut tmp = tempfile::Builder::new()
        .prefix(".config-")
        .suffix(".tmp")
        .tempfile_in(&dir)?;
    tmp.write_all(bytes)?;
    if let Some(perms) = old_perms {
        tmp.as_file().set_permissions(perms)?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    // Make the rename itself durable; not every platform can open a directory.
    if let Ok(d) = std::fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

fn write_reason(path: &Path, e: &std::io::Error) -> String {
    let dir = path.parent().unwrap_or(Path::new("."));
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => format!(
            "the directory {} is not writable ({e}); the pin holds for this run only",
            dir.display()
        ),
        std::io::ErrorKind::ReadOnlyFilesystem => format!(
            "{} is on a read-only file system; the pin holds for this run only",
            dir.display()
        ),
        _ => format!("{e}; the pin holds for this run only"),
    }
}

#[cfg(test)]
#[path = "pins_tests.rs"]
mod tests;
