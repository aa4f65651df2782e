//! The real binary in a real terminal (tmux) against `model-orchestrator sim`: keys are
//! typed with send-keys, the screen is read with capture-pane, and the stand-in's
//! request log shows what the dashboard sent.

use crate::support;

use std::time::Duration;

use serde_json::Value;
use support::{BIN, SimProcess, Tmux, eventually};

const WAIT: Duration = Duration::from_secs(20);

/// The generate requests the stand-in received for `model`, as (keep_alive) values.
fn keep_alives_sent(sim: &SimProcess, model: &str) -> Vec<Value> {
    let log: Value = serde_json::from_str(&sim.admin("GET", "/_sim/requests", None))
        .expect("request log is JSON");
    log.as_array()
        .expect("an array")
        .iter()
        .filter(|r| r["path"] == "/api/generate" && r["body"]["model"] == model)
        .map(|r| r["body"]["keep_alive"].clone())
        .collect()
}

fn dashboard(sim: &SimProcess, config: &std::path::Path, w: u16, h: u16) -> Tmux {
    let cmd = format!("{BIN} --host {} --config {}", sim.url, config.display());
    Tmux::start(&cmd, w, h)
}

#[test]
fn load_pin_unpin_and_quit_leave_the_right_requests_and_a_clean_terminal() {
    let sim = SimProcess::start(&["--load-speed", "50"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "# my settings\nram_buffer_gb = 1.0 # keep this\n").expect("config");
    let t = dashboard(&sim, &config, 120, 40);
    t.wait_for("● connected", WAIT);
    t.wait_for("Installed 16", WAIT);

    // Filter down to one model, then load it: no default_keep_alive is configured,
    // so none is sent and the server's OLLAMA_KEEP_ALIVE applies.
    t.send(&["/"]);
    t.send(&["-l", "llama3.1:8b"]);
    t.send(&["Enter"]);
    t.wait_for("Installed 1 of 16", WAIT);
    t.send(&["Enter"]);
    t.wait_for("loaded llama3.1:8b in", WAIT);
    assert_eq!(
        keep_alives_sent(&sim, "llama3.1:8b"),
        vec![serde_json::Value::Null]
    );

    // Pin: keep_alive -1 now, and the config file gains the model, comments intact.
    t.send(&["p"]);
    t.wait_for("∞ pinned", WAIT);
    eventually(WAIT, "pin sent", || {
        keep_alives_sent(&sim, "llama3.1:8b")
            .contains(&serde_json::json!(-1))
            .then_some(())
    });
    let saved = eventually(WAIT, "pin saved", || {
        let text = std::fs::read_to_string(&config).ok()?;
        text.contains("llama3.1:8b").then_some(text)
    });
    assert!(
        saved.contains("# my settings") && saved.contains("# keep this"),
        "{saved}"
    );

    // Unload a pinned model: unpinned first (saved), then keep_alive 0.
    t.send(&["u"]);
    eventually(WAIT, "unload sent", || {
        keep_alives_sent(&sim, "llama3.1:8b")
            .last()
            .filter(|k| **k == serde_json::json!(0))
            .map(|_| ())
    });
    eventually(WAIT, "pin removed from the config", || {
        let text = std::fs::read_to_string(&config).ok()?;
        (!text.contains("llama3.1:8b")).then_some(())
    });
    t.wait_for("Loaded 0", WAIT);

    t.send(&["q"]);
    let screen = t.wait_for("EXITED:0", WAIT);
    assert!(
        !screen.contains("Installed"),
        "dashboard left on screen:\n{screen}"
    );
    assert_eq!(t.pane_flag("alternate_on"), "0", "alternate screen left on");
    assert_eq!(t.pane_flag("cursor_flag"), "1", "cursor left hidden");
    assert_eq!(t.pane_flag("mouse_any_flag"), "0", "mouse capture left on");
}

#[test]
fn a_server_that_is_down_is_explained_and_found_again_when_it_comes_back() {
    let sim = SimProcess::start(&[]);
    sim.admin("POST", "/_sim/down", Some(r#"{"ms":4000}"#));
    let dir = tempfile::tempdir().expect("tempdir");
    let t = dashboard(&sim, &dir.path().join("none.toml"), 100, 30);
    let screen = t.wait_for("unreachable", WAIT);
    assert!(screen.contains("127.0.0.1"), "{screen}");
    t.wait_for("● connected", WAIT);
    t.wait_for("Installed 16", WAIT);
    t.send(&["C-c"]);
    t.wait_for("EXITED:0", WAIT);
}

#[test]
fn a_tiny_terminal_gets_a_notice_instead_of_a_broken_layout() {
    let sim = SimProcess::start(&[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let t = dashboard(&sim, &dir.path().join("none.toml"), 40, 10);
    t.wait_for("too small", WAIT);
    t.send(&["q"]);
    t.wait_for("EXITED:0", WAIT);
}

/// With every timer slowed to 30 s nothing but the keys themselves can wake the
/// dashboard: each key must show on screen at once, not at the next timer tick.
#[test]
fn every_key_redraws_at_once_even_when_no_timer_is_due() {
    let sim = SimProcess::start(&[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "[refresh]\nmemory_secs = 30\nloaded_secs = 30\ninstalled_secs = 30\n",
    )
    .expect("config");
    let t = dashboard(&sim, &config, 120, 40);
    t.wait_for("Installed 16", WAIT);
    let selected =
        |name: &'static str| move |s: &str| s.lines().any(|l| l.contains('›') && l.contains(name));
    t.wait_until(WAIT, "codellama selected", selected("codellama:7b"));
    for (key, name) in [
        ("j", "deepseek-coder-v2:16b"),
        ("j", "gemma2:9b"),
        ("k", "deepseek-coder-v2:16b"),
        ("G", "qwen2.5:7b-instruct-q8_0"),
    ] {
        t.send(&[key]);
        t.wait_until(Duration::from_secs(5), name, selected(name));
    }
    t.send(&["q"]);
    t.wait_for("EXITED:0", WAIT);
}

#[test]
fn a_broken_config_is_shown_on_screen_and_the_dashboard_still_works() {
    let sim = SimProcess::start(&[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.toml");
    let broken = "num_ctx = \"lots\"\n";
    std::fs::write(&config, broken).expect("config");
    let t = dashboard(&sim, &config, 120, 40);
    t.wait_for("Installed 16", WAIT);
    t.wait_for("config.toml:1:11", WAIT);
    t.send(&["q"]);
    t.wait_for("EXITED:0", WAIT);
    assert_eq!(std::fs::read_to_string(&config).expect("read"), broken);
}

/// 300 installed models: the stand-in's catalog copied under numbered names.
fn big_catalog(dir: &std::path::Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/catalog.json"))
        .expect("catalog");
    let catalog: Value = serde_json::from_str(&text).expect("catalog JSON");
    let base: Vec<Value> = catalog["models"]
        .as_array()
        .expect("models")
        .iter()
        .filter(|m| m["installed"] == true)
        .cloned()
        .collect();
    let models: Vec<Value> = (0..300)
        .map(|i| {
            let mut m = base[i % base.len()].clone();
            let name = m["name"].as_str().expect("name").to_string();
            let (model, tag) = name.rsplit_once(':').expect("a tag");
            m["name"] = Value::from(format!("{model}-v{i:03}:{tag}"));
            m["digest"] = Value::from(format!("{i:064x}"));
            m
        })
        .collect();
    let path = dir.join("catalog.json");
    std::fs::write(&path, serde_json::json!({ "models": models }).to_string()).expect("write");
    path
}

#[test]
fn three_hundred_models_scroll_filter_and_sort() {
    let dir = tempfile::tempdir().expect("tempdir");
    let catalog = big_catalog(dir.path());
    let catalog = catalog.to_str().expect("utf-8 path");
    let sim = SimProcess::start(&["--catalog", catalog]);
    let t = dashboard(&sim, &dir.path().join("none.toml"), 120, 40);
    t.wait_for("Installed 300", WAIT);
    let selected =
        |name: &'static str| move |s: &str| s.lines().any(|l| l.contains('›') && l.contains(name));
    // Sorted by name: End reaches the last one, Home the first.
    t.send(&["End"]);
    t.wait_until(
        Duration::from_secs(5),
        "last row",
        selected("qwen2.5-v285:7b-instruct-q8_0"),
    );
    t.send(&["Home"]);
    t.wait_until(Duration::from_secs(5), "first row", selected("codellama-v"));
    let row = |s: &str| -> String {
        s.lines()
            .find(|l| l.contains('›'))
            .unwrap_or_default()
            .to_string()
    };
    let first = row(&t.screen());
    t.send(&["PgDn"]);
    t.wait_until(Duration::from_secs(5), "a page down", |s| row(s) != first);
    // Filter down to one model, then clear it.
    t.send(&["/"]);
    t.send(&["-l", "v123"]);
    t.wait_for("Installed 1 of 300", Duration::from_secs(5));
    t.send(&["Escape"]);
    t.wait_until(Duration::from_secs(5), "filter cleared", |s| {
        s.contains("Installed 300") && !s.contains("1 of 300")
    });
    // Sort by size: the biggest model comes first.
    t.send(&["s"]);
    t.wait_for("sort size", Duration::from_secs(5));
    t.send(&["Home"]);
    t.wait_until(
        Duration::from_secs(5),
        "largest first",
        selected("llama3.1-v"),
    );
    t.send(&["q"]);
    t.wait_for("EXITED:0", WAIT);
}
