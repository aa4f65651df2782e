//! Managing models in the real dashboard, in tmux, against `model-orchestrator sim`:
//! pull (and cancel), delete, a typed keep-alive, unload all, copy, and Esc as back.

use crate::support;

use std::time::Duration;

use serde_json::Value;
use support::{BIN, SimProcess, Tmux, eventually};

const WAIT: Duration = Duration::from_secs(30);

fn requests(sim: &SimProcess, path: &str) -> Vec<Value> {
    let log: Value = serde_json::from_str(&sim.admin("GET", "/_sim/requests", None))
        .expect("request log is JSON");
    log.as_array()
        .expect("an array")
        .iter()
        .filter(|r| r["path"] == path)
        .map(|r| r["body"].clone())
        .collect()
}

fn installed(sim: &SimProcess) -> Vec<String> {
    let tags: Value =
        serde_json::from_str(&sim.admin("GET", "/api/tags", None)).expect("tags are JSON");
    tags["models"]
        .as_array()
        .expect("models")
        .iter()
        .filter_map(|m| m["name"].as_str().map(str::to_string))
        .collect()
}

fn loaded(sim: &SimProcess) -> Vec<String> {
    let ps: Value = serde_json::from_str(&sim.admin("GET", "/api/ps", None)).expect("ps is JSON");
    ps["models"]
        .as_array()
        .expect("models")
        .iter()
        .filter_map(|m| m["name"].as_str().map(str::to_string))
        .collect()
}

fn dashboard(sim: &SimProcess, w: u16, h: u16) -> (Tmux, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "# mine\n").expect("config");
    let cmd = format!("{BIN} --host {} --config {}", sim.url, config.display());
    let t = Tmux::start(&cmd, w, h);
    t.wait_for("● connected", WAIT);
    t.wait_for("Installed 16", WAIT);
    (t, dir)
}

/// Filters the table down to `name` and keeps the filter.
fn pick(t: &Tmux, name: &str) {
    t.send(&["/"]);
    t.send(&["C-u"]);
    t.send(&["-l", name]);
    t.send(&["Enter"]);
    t.wait_for(&format!("/{name}"), WAIT);
}

#[test]
fn pull_shows_progress_lists_the_model_and_esc_cancels_another() {
    // 1.3 GB at 400 MB/s: a few seconds of progress.
    let sim = SimProcess::start(&["--pull-speed", "400"]);
    let (t, _dir) = dashboard(&sim, 80, 24);
    t.send(&["P"]);
    t.wait_for("Pull a model", WAIT);
    t.send(&["-l", "llama3.2:1b"]);
    t.send(&["Enter"]);
    t.wait_for("1 pulling", WAIT);
    t.wait_for("pulled llama3.2:1b (1.3 GB)", WAIT);
    t.wait_for("Installed 17", WAIT);
    assert!(installed(&sim).contains(&"llama3.2:1b".to_string()));

    // A 5.2 GB pull, cancelled with Esc on its row (the cursor goes there).
    t.send(&["P"]);
    t.send(&["-l", "qwen3:8b"]);
    t.send(&["Enter"]);
    t.wait_until(WAIT, "progress", |s| {
        s.contains("⇣ qwen3:8b") && s.contains('%')
    });
    t.send(&["Escape"]);
    t.wait_for("pull cancelled: qwen3:8b", WAIT);
    std::thread::sleep(Duration::from_millis(500));
    let screen = t.screen();
    assert!(!screen.contains("EXITED"), "Esc quit:\n{screen}");
    assert!(!installed(&sim).contains(&"qwen3:8b".to_string()));

    // An unknown name fails as Ollama fails, and the dashboard goes on.
    t.send(&["P"]);
    t.send(&["-l", "no-such-model:1b"]);
    t.send(&["Enter"]);
    t.wait_for("cannot pull no-such-model:1b", WAIT);
    t.send(&["q"]);
    t.wait_for("EXITED:0", WAIT);
}

#[test]
fn delete_asks_then_unloads_and_deletes() {
    let sim = SimProcess::start(&["--load-speed", "50"]);
    let (t, _dir) = dashboard(&sim, 100, 30);
    pick(&t, "phi3:mini");
    t.send(&["Enter"]);
    t.wait_for("loaded phi3:mini", WAIT);
    t.send(&["d"]);
    t.wait_for("Delete phi3:mini (2.2 GB) from disk? It is loaded", WAIT);
    // Esc says no.
    t.send(&["Escape"]);
    t.wait_for("kept phi3:mini", WAIT);
    assert!(installed(&sim).contains(&"phi3:mini".to_string()));
    t.send(&["d"]);
    t.wait_for("Delete phi3:mini", WAIT);
    t.send(&["y"]);
    t.wait_for("deleted phi3:mini (2.2 GB)", WAIT);
    eventually(WAIT, "gone from the list and from memory", || {
        (!installed(&sim).contains(&"phi3:mini".to_string()) && loaded(&sim).is_empty())
            .then_some(())
    });
    // Unloaded first (keep_alive 0), then deleted.
    let unloads: Vec<Value> = requests(&sim, "/api/generate")
        .into_iter()
        .filter(|b| b["keep_alive"] == serde_json::json!(0))
        .collect();
    assert_eq!(unloads.len(), 1, "{unloads:?}");
    assert_eq!(requests(&sim, "/api/delete").len(), 1);
    t.wait_for("Installed 0 of 15", WAIT);
    t.send(&["q"]);
    t.wait_for("EXITED:0", WAIT);
}

#[test]
fn a_typed_keep_alive_is_sent_unload_all_asks_and_y_copies() {
    let sim = SimProcess::start(&["--load-speed", "50"]);
    let (t, _dir) = dashboard(&sim, 120, 40);
    t.tmux(&["set-option", "-g", "set-clipboard", "on"]);
    pick(&t, "mistral:7b");
    t.send(&["L"]);
    t.wait_for("Load mistral:7b with keep-alive", WAIT);
    t.send(&["C-u"]);
    t.send(&["-l", "2h"]);
    t.wait_for("mistral:7b unloads after 2h idle", WAIT);
    t.send(&["Enter"]);
    t.wait_for("loaded mistral:7b", WAIT);
    let sent: Vec<Value> = requests(&sim, "/api/generate")
        .into_iter()
        .map(|b| b["keep_alive"].clone())
        .collect();
    assert_eq!(sent, vec![serde_json::json!(7200)]);
    t.wait_for("1h 59m", WAIT);

    pick(&t, "llama3.2:3b");
    t.send(&["Enter"]);
    t.wait_for("loaded llama3.2:3b", WAIT);
    t.send(&["y"]);
    t.wait_for("copied llama3.2:3b", WAIT);
    eventually(WAIT, "the name on tmux's clipboard", || {
        (t.tmux(&["show-buffer"]) == "llama3.2:3b").then_some(())
    });

    t.send(&["U"]);
    t.wait_for("Unload all 2 loaded models", WAIT);
    t.send(&["n"]);
    t.wait_for("unloaded nothing", WAIT);
    assert_eq!(loaded(&sim).len(), 2);
    t.send(&["U"]);
    t.send(&["y"]);
    eventually(WAIT, "nothing loaded", || {
        loaded(&sim).is_empty().then_some(())
    });
    t.wait_for("Loaded 0", WAIT);
    // Esc with nothing open clears the filter, then does nothing; q quits.
    t.send(&["Escape"]);
    t.wait_for("Installed 16 ", WAIT);
    t.send(&["Escape"]);
    std::thread::sleep(Duration::from_millis(500));
    assert!(!t.screen().contains("EXITED"));
    t.send(&["q"]);
    t.wait_for("EXITED:0", WAIT);
}
