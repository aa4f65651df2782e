//! Broken config files (unparsable, wrong types) and saves that cannot be written
//! (read-only file, read-only directory, full disk): a clear message naming the
//! file, the dashboard going on with the defaults, and the file byte for byte as
//! it was.

use std::path::{Path, PathBuf};
use std::process::Command;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use model_orchestrator::app::{self, Effect, Msg, State, update};
use model_orchestrator::config::{self, Config};
use model_orchestrator::pins::{PinSaveError, save_pin};

use super::common::*;
use crate::ui_fixtures::*;

const BROKEN: [(&str, &str); 5] = [
    ("keep_alive_models = [\"a\"\nnum_ctx = 4096\n", ":2:"),
    ("num_ctx = \"lots\"\n", ":1:11"),
    ("ram_buffer_gb = true\n", ":1:17"),
    ("[refresh]\nloaded_secs = \"2\"\n", ":2:15"),
    ("# mine\nkeep_alive_models = \"llama3\"\n", ":2:21"),
];

/// What `main` does with a config that does not load: the defaults, the path
/// kept for pins, and the warning on screen.
fn dashboard_with(path: &Path) -> (State, String) {
    let err = config::load(Some(path)).expect_err("the file is broken");
    assert_eq!(err.path(), path);
    let warning = format!("{err}; using the defaults for this run (the file is left as it is)");
    let mut s = new_state(Config::default());
    s.config_path = Some(path.to_path_buf());
    app::note_error(&mut s, warning.clone());
    (s, warning)
}

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

/// Runs the `SavePin` effects against the real file, as the runner does, and
/// feeds back what the save said.
fn save_all(s: &mut State, fx: Vec<Effect>) {
    let path = s.config_path.clone().expect("a config path");
    for f in fx {
        if let Effect::SavePin { model, pinned } = f {
            let result = save_pin(&path, &model, pinned)
                .map(|_| ())
                .map_err(|e| e.to_string());
            update(s, Msg::PinsSaved(result));
        }
    }
}

#[test]
fn a_broken_config_is_named_and_the_dashboard_goes_on_with_the_defaults() {
    for (text, at_line) in BROKEN {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("config.toml");
        std::fs::write(&path, text).expect("write");
        let (mut s, warning) = dashboard_with(&path);
        assert!(
            warning.contains(&format!("{}{at_line}", path.display())),
            "{text:?}: {warning}"
        );
        assert_eq!(s.config, Config::default());
        // Connected and answering keys.
        for m in [
            Msg::Resize(120, 40),
            Msg::Memory(memory(32.0, 8.0, &[])),
            Msg::Version(Ok("0.10.1".into())),
            Msg::Tags(Ok(typical_models())),
            Msg::Ps(Ok(vec![])),
        ] {
            update(&mut s, m);
        }
        let buf = frame(&mut s, 120, 40);
        assert_sound(&buf);
        assert_shows(&buf, "config.toml");
        assert_shows(&buf, "phi3:mini");
        assert!(model_orchestrator::app::derive::select_name(
            &mut s,
            "phi3:mini"
        ));
        // A pin holds for the run; the file is not touched and the user is told.
        let fx = update(&mut s, key('p'));
        assert!(
            fx.contains(&Effect::SavePin {
                model: "phi3:mini".into(),
                pinned: true
            }),
            "{fx:?}"
        );
        save_all(&mut s, fx);
        assert!(s.config.is_pinned("phi3:mini"));
        let notice = s.notice.clone().expect("a notice");
        assert!(notice.error, "{notice:?}");
        assert!(notice.text.contains("not saved"), "{notice:?}");
        assert!(notice.text.contains("config.toml"), "{notice:?}");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), text);
        assert_eq!(entries(dir.path()), 1, "no temporary file left");
    }
}

fn entries(dir: &Path) -> usize {
    std::fs::read_dir(dir).expect("list").count()
}

const ORIGINAL: &str = "# my pins\nkeep_alive_models = [\n    \"mistral:7b\", # editor\n]\n";

/// Tries to pin, checks the refusal and that the file and its directory are as
/// they were.
fn assert_refused(path: &Path, dir: &Path, why: &[&str]) {
    let before = std::fs::read(path).expect("read");
    let files = entries(dir);
    let err = save_pin(path, "phi3:mini", true).expect_err("cannot save");
    assert!(matches!(err, PinSaveError::Write { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains(&path.display().to_string()),
        "names the file: {msg}"
    );
    assert!(msg.contains("for this run only"), "{msg}");
    assert!(
        why.iter().any(|w| msg.contains(w)),
        "says why ({why:?}): {msg}"
    );
    assert!(!msg.chars().any(forbidden), "{msg:?}");
    assert_eq!(std::fs::read(path).expect("read"), before, "byte-identical");
    assert_eq!(entries(dir), files, "no temporary file left");
    // The dashboard shows it and keeps the pin for the run.
    let mut s = crate::ui_fixtures::connected(Config::default(), typical_models(), vec![]);
    s.config_path = Some(path.to_path_buf());
    assert!(model_orchestrator::app::derive::select_name(
        &mut s,
        "phi3:mini"
    ));
    let fx = update(&mut s, key('p'));
    save_all(&mut s, fx);
    assert!(s.config.is_pinned("phi3:mini"));
    let notice = s.notice.clone().expect("a notice");
    assert!(
        notice.error && notice.text.contains("cannot save pins"),
        "{notice:?}"
    );
    assert_eq!(std::fs::read(path).expect("read"), before, "byte-identical");
}

#[cfg(unix)]
#[test]
fn a_read_only_config_file_is_not_replaced() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("config.toml");
    std::fs::write(&path, ORIGINAL).expect("write");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).expect("chmod");
    // The directory is writable: only the file's mode says no (root included).
    assert_refused(&path, dir.path(), &["read-only"]);
    let mode = std::fs::metadata(&path).expect("stat").permissions().mode();
    assert_eq!(mode & 0o777, 0o444);
}

/// A small tmpfs mounted for one test (root only), unmounted on drop.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// `None`, with the reason, where this process may not mount.
    fn mount(size: &str) -> Result<Tmpfs, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0755"),
                "tmpfs",
            ])
            .arg(dir.path())
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
        }
        Ok(Tmpfs { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn remount(&self, opts: &str) {
        let ok = Command::new("mount")
            .args(["-o", &format!("remount,{opts}")])
            .arg(self.path())
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "remount {opts}");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// Whether permission bits bind this process (they do not for root).
fn permissions_bind(dir: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let probe = dir.join("probe");
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o555)).expect("chmod");
    let binds = std::fs::write(&probe, "x").is_err();
    let _ = std::fs::remove_file(&probe);
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    binds
}

/// Where neither way to make a directory unwritable is open to this process, the
/// test says so; it never passes by accident for another reason.
fn no_way(why: &str) {
    assert!(
        why.contains("permission") || why.contains("only root") || why.contains("denied"),
        "mount failed for another reason: {why}"
    );
    eprintln!("skipped: cannot mount a tmpfs here ({why})");
}

#[cfg(unix)]
#[test]
fn a_read_only_directory_leaves_the_file_as_it_was() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    if permissions_bind(dir.path()) {
        let path = dir.path().join("config.toml");
        std::fs::write(&path, ORIGINAL).expect("write");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o555))
            .expect("chmod");
        assert_refused(&path, dir.path(), &["not writable"]);
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
            .expect("chmod back");
        return;
    }
    // Root: permission bits do not bind, a read-only mount does.
    let fs = match Tmpfs::mount("1m") {
        Ok(fs) => fs,
        Err(why) => return no_way(&why),
    };
    let path = fs.path().join("config.toml");
    std::fs::write(&path, ORIGINAL).expect("write");
    fs.remount("ro");
    assert_refused(&path, fs.path(), &["read-only file system"]);
    fs.remount("rw");
}

#[cfg(unix)]
#[test]
fn a_full_disk_leaves_the_file_as_it_was() {
    let fs = match Tmpfs::mount("64k") {
        Ok(fs) => fs,
        Err(why) => return no_way(&why),
    };
    let path: PathBuf = fs.path().join("config.toml");
    std::fs::write(&path, ORIGINAL).expect("write");
    // Fill what is left, to the last block.
    let filler = fs.path().join("filler");
    let mut f = std::fs::File::create(&filler).expect("filler");
    let chunk = vec![0u8; 4096];
    loop {
        use std::io::Write;
        if f.write_all(&chunk).and_then(|()| f.sync_all()).is_err() {
            break;
        }
    }
    drop(f);
    assert_refused(&path, fs.path(), &["No space left", "space"]);
}
