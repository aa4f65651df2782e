use std::path::Path;

use super::*;

fn edit(text: &str, model: &str, pinned: bool) -> (String, PinChange) {
    edit_pins(text, model, pinned, Path::new("c.toml")).expect("valid config edits")
}

fn temp_config(text: Option<&str>) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("config.toml");
    if let Some(t) = text {
        std::fs::write(&path, t).expect("write config");
    }
    (dir, path)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).expect("read config")
}

const SAMPLE: &str = include_str!("../config.toml.sample");

#[test]
fn pin_then_unpin_keeps_the_sample_byte_for_byte() {
    let (pinned, change) = edit(SAMPLE, "llama3.1:8b", true);
    assert_eq!(change, PinChange::Added);
    assert!(pinned.contains("keep_alive_models = [\"llama3.1:8b\"]\n"));
    // Only that one line differs.
    let differing: Vec<_> = SAMPLE
        .lines()
        .zip(pinned.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(differing.len(), 1, "{differing:?}");
    assert_eq!(SAMPLE.lines().count(), pinned.lines().count());
    let (unpinned, change) = edit(&pinned, "LLAMA3.1:8B", false);
    assert_eq!(change, PinChange::Removed);
    assert_eq!(unpinned, SAMPLE);
}

const MULTILINE: &str = "# my setup\n\
num_ctx = 8192 # bigger context\n\
keep_alive_models = [\n    \"qwen2.5-coder:7b\", # for the editor\n    \"phi3:mini\",\n]\n\
\n[refresh]\nloaded_secs = 3.0  # slower polling\n";

#[test]
fn multiline_list_keeps_indentation_and_comments() {
    let (added, change) = edit(MULTILINE, "llama3.1:8b", true);
    assert_eq!(change, PinChange::Added);
    assert!(
        added.contains("    \"phi3:mini\",\n    \"llama3.1:8b\",\n]"),
        "{added}"
    );
    assert!(added.contains("\"qwen2.5-coder:7b\", # for the editor\n"));
    assert!(added.contains("loaded_secs = 3.0  # slower polling\n"));
    let (back, _) = edit(&added, "llama3.1:8b", false);
    assert_eq!(back, MULTILINE);
    let (without_first, _) = edit(MULTILINE, "Qwen2.5-Coder:7B", false);
    assert!(!without_first.contains("qwen2.5-coder"), "{without_first}");
    assert!(without_first.contains("\"phi3:mini\""));
    assert!(without_first.starts_with("# my setup\nnum_ctx = 8192 # bigger context\n"));
}

#[test]
fn inline_list_removal_leaves_no_stray_space() {
    let text = "keep_alive_models = [\"a:1\", \"b:2\", \"c:3\"]\n";
    assert_eq!(
        edit(text, "a:1", false).0,
        "keep_alive_models = [\"b:2\", \"c:3\"]\n"
    );
    assert_eq!(
        edit(text, "b:2", false).0,
        "keep_alive_models = [\"a:1\", \"c:3\"]\n"
    );
    assert_eq!(
        edit(text, "d:4", true).0,
        "keep_alive_models = [\"a:1\", \"b:2\", \"c:3\", \"d:4\"]\n"
    );
}

#[test]
fn same_name_in_other_case_or_implicit_latest_is_unchanged() {
    let text = "keep_alive_models = [\"Llama3\"]\n";
    assert_eq!(
        edit(text, "llama3:latest", true),
        (text.into(), PinChange::Unchanged)
    );
    assert_eq!(
        edit(text, "mistral", false),
        (text.into(), PinChange::Unchanged)
    );
}

#[test]
fn missing_key_is_added_among_the_top_level_settings() {
    let text = "# hello\nnum_ctx = 2048\n\n[refresh]\nloaded_secs = 1.0\n";
    let (out, change) = edit(text, "phi3:mini", true);
    assert_eq!(change, PinChange::Added);
    let cfg = Config::from_toml(&out, Path::new("c")).expect("still valid");
    assert!(cfg.is_pinned("phi3:mini"));
    assert_eq!(cfg.num_ctx, Some(2048));
    assert_eq!(cfg.refresh.loaded_secs, 1.0);
    assert!(out.starts_with("# hello\nnum_ctx = 2048\n"), "{out}");
}

#[test]
fn save_creates_the_file_and_its_directory() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("nested/deeper/config.toml");
    let change = save_pin(&path, "llama3.1:8b", true).expect("saved");
    assert_eq!(change, PinChange::Added);
    let cfg = Config::load_from(&path).expect("created file parses");
    assert_eq!(cfg.keep_alive_models, vec!["llama3.1:8b".to_string()]);
    // Unpinning removes it again; the file stays valid.
    assert_eq!(
        save_pin(&path, "llama3.1:8b", false).expect("saved"),
        PinChange::Removed
    );
    assert!(
        Config::load_from(&path)
            .expect("parses")
            .keep_alive_models
            .is_empty()
    );
}

#[test]
fn unpin_without_a_file_creates_nothing() {
    let (_dir, path) = temp_config(None);
    assert_eq!(
        save_pin(&path, "x:1", false).expect("ok"),
        PinChange::Unchanged
    );
    assert!(!path.exists());
}

#[test]
fn broken_config_is_never_overwritten() {
    for text in [
        "keep_alive_models = [\"a\"\nnum_ctx = 4096\n", // TOML syntax error
        "keep_alive_modles = []\n",                     // unknown key
        "keep_alive_models = \"llama3\"\n",             // not a list
    ] {
        let (_dir, path) = temp_config(Some(text));
        let before = std::fs::read(&path).expect("read");
        let err = save_pin(&path, "llama3.1:8b", true).expect_err("must refuse");
        assert!(matches!(err, PinSaveError::Broken { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(msg.contains("config.toml"), "{msg}");
        assert!(msg.contains("not saved"), "{msg}");
        assert_eq!(std::fs::read(&path).expect("read"), before, "{text:?}");
        let leftovers = std::fs::read_dir(path.parent().expect("dir"))
            .expect("list")
            .count();
        assert_eq!(leftovers, 1, "no temporary file left behind");
    }
}

#[cfg(unix)]
#[test]
fn read_only_directory_gives_a_clear_error() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, path) = temp_config(Some("keep_alive_models = []\n"));
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o555)).expect("chmod");
    // Root ignores permission bits: then use a directory nobody may create files in.
    let probe = dir.path().join("probe");
    let target = if std::fs::write(&probe, "x").is_err() {
        path.clone()
    } else {
        let _ = std::fs::remove_file(&probe);
        PathBuf::from("/sys/model-orchestrator-test/config.toml")
    };
    let err = save_pin(&target, "llama3.1:8b", true).expect_err("cannot write there");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
        .expect("chmod back");
    assert!(matches!(err, PinSaveError::Write { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("cannot save pins to"), "{msg}");
    assert!(msg.contains("for this run only"), "{msg}");
    assert_eq!(read(&path), "keep_alive_models = []\n");
}

#[cfg(unix)]
#[test]
fn permissions_and_symlinks_are_kept() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, path) = temp_config(Some("num_ctx = 4096\n"));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    let link = dir.path().join("link.toml");
    std::os::unix::fs::symlink(&path, &link).expect("symlink");
    save_pin(&link, "phi3:mini", true).expect("saved");
    assert!(
        std::fs::symlink_metadata(&link)
            .expect("stat")
            .file_type()
            .is_symlink()
    );
    let mode = std::fs::metadata(&path).expect("stat").permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    assert!(read(&path).contains("phi3:mini"));
}

/// A reader polling the file while it is rewritten must only ever see a whole old or
/// a whole new version: never an empty or cut file.
#[test]
fn readers_never_see_a_partial_file() {
    let filler: String = (0..400).map(|i| format!("# comment line {i}\n")).collect();
    let original = format!("{filler}keep_alive_models = []\n");
    let (_dir, path) = temp_config(Some(&original));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (path, stop, original) = (path.clone(), stop.clone(), original.clone());
        std::thread::spawn(move || {
            let mut seen = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let text = std::fs::read_to_string(&path).expect("file always exists");
                assert!(
                    text.len() >= original.len() && Config::from_toml(&text, &path).is_ok(),
                    "partial file seen ({} bytes)",
                    text.len()
                );
                seen += 1;
            }
            seen
        })
    };
    for i in 0..150 {
        save_pin(&path, &format!("model{}:7b", i % 3), i % 2 == 0).expect("saved");
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let reads = reader.join().expect("reader saw only whole files");
    assert!(reads > 0);
}
