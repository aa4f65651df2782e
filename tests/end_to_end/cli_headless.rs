//! The binary's headless commands (`load`, `unload`, `pin`, `unpin`, `keep`) against
//! the stand-in running as a separate process, as a user or a service manager runs them.

use crate::support;

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;
use support::{SimProcess, eventually};

const WAIT: Duration = Duration::from_secs(20);

fn run(sim: &SimProcess, config: &std::path::Path, args: &[&str]) -> Output {
    support::bin()
        .arg("--config")
        .arg(config)
        .args(["--host", &sim.url])
        .args(args)
        .env_remove("OLLAMA_HOST")
        .output()
        .expect("binary runs")
}

/// Loaded models and whether each is kept forever, from the stand-in's /api/ps.
fn loaded(sim: &SimProcess) -> Vec<(String, bool)> {
    let ps: Value = serde_json::from_str(&sim.admin("GET", "/api/ps", None)).expect("ps JSON");
    ps["models"]
        .as_array()
        .expect("models")
        .iter()
        .map(|m| {
            let name = m["name"].as_str().unwrap_or_default().to_string();
            let forever = m["expires_at"]
                .as_str()
                .is_some_and(|e| e.starts_with("23"));
            (name, forever)
        })
        .collect()
}

#[test]
fn load_pin_unpin_unload_print_outcomes_and_edit_the_config() {
    let sim = SimProcess::start(&[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "# pins below\nkeep_alive_models = []  # mine\n").expect("write");

    let out = run(&sim, &config, &["load", "phi3:mini", "--keep-alive", "10m"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("loaded phi3:mini") && text.contains("10m"),
        "{text}"
    );
    assert_eq!(loaded(&sim), vec![("phi3:mini".to_string(), false)]);

    let out = run(&sim, &config, &["pin", "phi3:mini"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(loaded(&sim), vec![("phi3:mini".to_string(), true)]);
    let saved = std::fs::read_to_string(&config).expect("read");
    assert!(
        saved.contains("\"phi3:mini\"") && saved.contains("# mine"),
        "{saved}"
    );

    let out = run(&sim, &config, &["unpin", "phi3:mini"]);
    assert!(out.status.success());
    assert_eq!(loaded(&sim), vec![("phi3:mini".to_string(), false)]);
    let saved = std::fs::read_to_string(&config).expect("read");
    assert!(
        !saved.contains("phi3:mini") && saved.contains("# pins below"),
        "{saved}"
    );

    let out = run(&sim, &config, &["unload", "phi3:mini"]);
    assert!(out.status.success());
    eventually(WAIT, "unloaded", || loaded(&sim).is_empty().then_some(()));
}

#[test]
fn failures_exit_non_zero_with_plain_words() {
    let sim = SimProcess::start(&["--ram", "8"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.toml");

    let out = run(&sim, &config, &["load", "no-such-model:1b"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not found") && err.contains("ollama pull"),
        "{err}"
    );

    let out = run(&sim, &config, &["load", "llama3.1:70b"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not enough memory"), "{err}");

    let out = run(&sim, &config, &["load", "phi3:mini", "--keep-alive", "1d"]);
    assert!(
        !out.status.success(),
        "an invalid duration is refused before sending"
    );
}

#[test]
fn pin_with_a_broken_config_applies_now_but_exits_3_and_leaves_the_file() {
    let sim = SimProcess::start(&[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.toml");
    let broken = "# mine\nkeep_alive_models = [\n";
    std::fs::write(&config, broken).expect("write");
    let out = run(&sim, &config, &["pin", "phi3:mini"]);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("config.toml:"), "{err}");
    assert_eq!(loaded(&sim), vec![("phi3:mini".to_string(), true)]);
    assert_eq!(std::fs::read_to_string(&config).expect("read"), broken);
}

#[test]
fn keep_reloads_pins_after_a_restart_and_stops_cleanly_on_sigterm() {
    let sim = SimProcess::start(&[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "keep_alive_models = [\"mistral:7b\"]\n[refresh]\nloaded_secs = 0.2\n",
    )
    .expect("write");
    let keep = support::bin()
        .arg("--config")
        .arg(&config)
        .args(["--host", &sim.url, "keep"])
        .env("XDG_CACHE_HOME", dir.path())
        .env("XDG_DATA_HOME", dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("keep starts");
    let held = || (loaded(&sim) == vec![("mistral:7b".to_string(), true)]).then_some(());
    eventually(WAIT, "pinned model loaded", held);
    sim.admin("POST", "/_sim/restart", None);
    eventually(WAIT, "pinned model loaded again after a restart", held);
    sim.admin(
        "POST",
        "/_sim/keep_alive",
        Some(r#"{"model":"mistral:7b","keep_alive":"5m"}"#),
    );
    eventually(WAIT, "pin re-applied after another client reset it", held);

    let pid = keep.id().to_string();
    let status = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let out = keep.wait_with_output().expect("keep exits");
    assert!(out.status.success(), "exit status {:?}", out.status);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("mistral:7b"), "{log}");
    assert!(log.contains("stopped"), "{log}");
}
