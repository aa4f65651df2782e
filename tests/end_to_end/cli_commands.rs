//! The real binary's non-interactive commands against the stand-in over loopback.

use std::process::Output;

use model_orchestrator::duration::KeepAlive;
use model_orchestrator::ollama::Client;
use model_orchestrator::sim::{self, SimHandle, SimOptions};
use serde_json::Value;

use crate::support;

struct Env {
    sim: SimHandle,
    dir: tempfile::TempDir,
}

async fn setup(config: &str) -> Env {
    let sim = sim::start(SimOptions::for_tests()).await.expect("stand-in");
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("config.toml"), config).expect("write config");
    Env { sim, dir }
}

impl Env {
    fn run(&self, args: &[&str]) -> Output {
        let config = self.dir.path().join("config.toml");
        support::bin()
            .arg("--config")
            .arg(&config)
            .args(["--host", &self.sim.url()])
            .args(args)
            .env_remove("OLLAMA_HOST")
            .output()
            .expect("binary runs")
    }

    fn json(&self, args: &[&str]) -> Value {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("JSON on stdout")
    }

    fn client(&self) -> Client {
        Client::new(&self.sim.url()).expect("client")
    }
}

fn find<'a>(rows: &'a Value, name: &str) -> &'a Value {
    rows.as_array()
        .expect("an array")
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("{name} listed"))
}

#[tokio::test(flavor = "multi_thread")]
async fn list_json_reports_need_verdict_loaded_and_pinned() {
    let env = setup(
        r#"keep_alive_models = ["llama3.1:8b"]
[model_sizes]
"llama3.1:70b" = 100000.0
"phi3:mini" = 0.001
"#,
    )
    .await;
    env.client()
        .load("llama3.1:8b", Some(KeepAlive::Forever))
        .await
        .expect("load");
    let rows = env.json(&["list", "--json"]);
    let huge = find(&rows, "llama3.1:70b");
    assert_eq!(huge["need"], 100_000_000_000_000u64);
    assert_eq!(huge["need_source"], "override");
    assert_eq!(huge["verdict"], "no_fit");
    assert!(huge["short_by"].as_u64().expect("short_by") > 90_000_000_000_000);
    let tiny = find(&rows, "phi3:mini");
    assert_eq!(tiny["verdict"], "fits");
    assert_eq!(tiny["need"], 1_000_000);
    let loaded = find(&rows, "llama3.1:8b");
    assert_eq!(loaded["verdict"], "loaded");
    assert_eq!(loaded["loaded"], true);
    assert_eq!(loaded["pinned"], true);
    assert_eq!(loaded["quantization"], "Q4_K_M");
    assert_eq!(loaded["need_source"], "estimate");
    assert!(loaded["need"].as_u64() > loaded["size"].as_u64());
    let hf = find(
        &rows,
        "hf.co/bartowski/Ministral-8B-Instruct-2410-GGUF:IQ4_XS",
    );
    assert_eq!(hf["quantization"], "unknown");
}

#[tokio::test(flavor = "multi_thread")]
async fn ps_json_and_table_show_expiry_and_pins() {
    let env = setup("keep_alive_models = [\"llama3.1:8b\"]\n").await;
    let c = env.client();
    c.load("llama3.1:8b", Some(KeepAlive::Forever))
        .await
        .expect("pin");
    c.load("phi3:mini", Some(KeepAlive::parse("5m").expect("dur")))
        .await
        .expect("load");
    let rows = env.json(&["ps", "--json"]);
    let pinned = find(&rows, "llama3.1:8b");
    assert_eq!(pinned["until"], "forever");
    assert_eq!(pinned["pinned"], true);
    assert_eq!(pinned["processor"], "100% CPU");
    assert_eq!(pinned["context_length"], 4096);
    let timed = find(&rows, "phi3:mini");
    assert_eq!(timed["pinned"], false);
    assert!(timed["until"].as_str().expect("until").starts_with("20"));
    let table = String::from_utf8(env.run(&["ps"]).stdout).expect("utf-8");
    assert!(table.starts_with("NAME"), "{table}");
    assert!(table.contains("Forever"), "{table}");
    assert!(table.contains("4 minutes from now"), "{table}");
}

#[tokio::test(flavor = "multi_thread")]
async fn unreachable_server_says_which_url_and_how_to_start_ollama() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let url = format!("http://127.0.0.1:{port}");
    let out = support::bin()
        .args(["--config", "/dev/null", "--host", &url, "list"])
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&url), "{err}");
    assert!(err.contains("ollama serve"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn broken_config_is_reported_with_line_and_column_and_left_alone() {
    let text = "# mine\nram_buffer_gb = [\n";
    let env = setup(text).await;
    let out = env.run(&["list", "--json"]);
    // The command still answers, with the defaults, and says why.
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("config.toml:2:18"), "{err}");
    assert!(err.contains("defaults"), "{err}");
    let rows: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(rows.as_array().map(Vec::len), Some(16));
    let after = std::fs::read_to_string(env.dir.path().join("config.toml")).expect("read");
    assert_eq!(after, text);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_command_reports_key_bindings_that_do_not_work() {
    // "P" rebound leaves pull without a key; "z" names no action.
    let env = setup("[keys]\n\"P\" = \"help\"\n\"z\" = \"explode\"\n").await;
    for args in [&["list", "--json"][..], &["ps"][..], &["memory"][..]] {
        let out = env.run(args);
        assert!(out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("no key is left for pull"), "{args:?}: {err}");
        assert!(
            err.contains("\"z\" = \"explode\": unknown action"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn host_flag_parses_like_ollama_host() {
    // A bind-all address connects locally; an unreachable port proves which URL was used.
    let out = support::bin()
        .args(["--config", "/dev/null", "--host", "0.0.0.0:1", "ps"])
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("http://127.0.0.1:1/api/"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn select_picks_a_code_model_that_fits_and_exits_1_when_nothing_does() {
    // Overrides make the answer independent of this machine's memory: every code model
    // but the smallest needs a petabyte, and so does the only embedding model.
    let env = setup(
        r#"[model_sizes]
"qwen2.5-coder:32b" = 1000000.0
"qwen2.5-coder:7b" = 1000000.0
"deepseek-coder-v2:16b" = 1000000.0
"codellama:7b" = 1000000.0
"qwen2.5-coder:1.5b" = 0.001
"nomic-embed-text:latest" = 1000000.0
"#,
    )
    .await;
    let pick = env.json(&["select", "--task", "code", "--json"]);
    assert_eq!(pick["task"], "code");
    assert_eq!(pick["model"], "qwen2.5-coder:1.5b");
    assert_eq!(pick["verdict"], "fits");
    assert!(pick["reason"].as_str().is_some_and(|r| !r.is_empty()));

    let out = env.run(&["select", "--task", "embedding", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let none: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(none["model"], Value::Null);
    assert!(
        none["reason"].as_str().is_some_and(|r| r.contains("GB")),
        "{none}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_loaded_model_wins_the_selection() {
    let env = setup("").await;
    env.client().load("mistral:7b", None).await.expect("load");
    let pick = env.json(&["select", "--task", "general", "--json"]);
    assert_eq!(pick["model"], "mistral:7b");
    assert_eq!(pick["verdict"], "loaded");
}

#[test]
fn demo_with_a_command_is_refused_with_advice() {
    let out = support::bin()
        .args(["--config", "/dev/null", "--demo", "list"])
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("model-orchestrator sim"), "{err}");
}

/// A stand-in with a 24 GiB GPU at 0.12.6, its memory read from its /metrics as
/// for a remote host; `extra` holds more options for the command.
async fn gpu_env() -> Env {
    let sim = sim::start(SimOptions {
        gpus: vec![sim::GpuSpec {
            name: "NVIDIA RTX 4090".into(),
            vram: 24 << 30,
        }],
        ..SimOptions::for_tests()
    })
    .await
    .expect("stand-in");
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("config.toml"), "").expect("write config");
    Env { sim, dir }
}

impl Env {
    fn metrics(&self) -> String {
        format!("{}/metrics", self.sim.url())
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn list_json_judges_with_the_memory_url_and_names_who_goes() {
    let env = gpu_env().await;
    let url = env.metrics();
    // Nothing loaded: a 70B model too big for 24 GiB splits (only a first model may).
    let rows = env.json(&["list", "--json", "--memory-url", &url]);
    let big = find(&rows, "llama3.1:70b");
    assert_eq!(big["verdict"], "fits", "{big}");
    let share = big["gpu_percent"].as_u64();
    assert!(share.is_some_and(|p| p > 0 && p < 100), "{big}");
    assert_eq!(big["num_ctx"], 4096, "0.12.6's default");
    assert_eq!(big["need_source"], "estimate");
    assert_eq!(find(&rows, "qwen2.5-coder:32b")["verdict"], "fits_gpu");
    // With an 8B model loaded, the 32B model makes Ollama evict it (requireFull).
    env.client().load("llama3.1:8b", None).await.expect("load");
    let rows = env.json(&["list", "--json", "--memory-url", &url]);
    let coder = find(&rows, "qwen2.5-coder:32b");
    assert_eq!(coder["verdict"], "fits_if_unloaded", "{coder}");
    assert_eq!(coder["unload"], serde_json::json!(["llama3.1:8b"]));
    assert_eq!(coder["evicts_for"], "memory");
    assert_eq!(find(&rows, "phi3:mini")["verdict"], "fits_gpu");
    assert_eq!(find(&rows, "llama3.1:8b")["verdict"], "loaded");
}

#[tokio::test(flavor = "multi_thread")]
async fn ps_json_gives_the_configured_keep_alive_and_who_goes_next() {
    let env = gpu_env().await;
    let c = env.client();
    c.load(
        "phi3:mini",
        Some(KeepAlive::For(std::time::Duration::from_secs(600))),
    )
    .await
    .expect("load");
    c.load("llama3.2:3b", Some(KeepAlive::Forever))
        .await
        .expect("load");
    let rows = env.json(&["ps", "--json", "--memory-url", &env.metrics()]);
    let phi = find(&rows, "phi3:mini");
    let llama = find(&rows, "llama3.2:3b");
    // From one reading the keep-alive is the time left: at most what was sent.
    let secs = phi["keep_alive"].as_f64().expect("seconds");
    assert!((590.0..=600.0).contains(&secs), "{secs}");
    assert_eq!(llama["keep_alive"], -1.0);
    // findRunnerToUnload: the shortest configured keep-alive goes first, forever last.
    assert_eq!(phi["evicted_next"], true);
    assert_eq!(llama["evicted_next"], false);
}

#[tokio::test(flavor = "multi_thread")]
async fn select_json_uses_the_memory_url_and_unknown_without_one() {
    let env = gpu_env().await;
    let url = env.metrics();
    let pick = env.json(&["select", "--task", "code", "--json", "--memory-url", &url]);
    assert_eq!(pick["verdict"], "fits_gpu", "{pick}");
    assert!(
        pick["model"].as_str().is_some_and(|m| m.contains("coder")),
        "{pick}"
    );
    // An exporter that does not answer: no guess, and a clear message.
    let out = env.run(&[
        "list",
        "--json",
        "--memory-url",
        "http://127.0.0.1:9/metrics",
    ]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("http://127.0.0.1:9/metrics"), "{stderr}");
    let rows: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(find(&rows, "phi3:mini")["verdict"], "unknown");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_run_asks_show_only_for_digests_never_seen() {
    let env = setup("").await;
    // A cache of its own, so other tests in this process do not fill it first.
    let scratch = tempfile::tempdir().expect("tempdir");
    let list = || {
        let out = support::bin()
            .args([
                "--config",
                "/dev/null",
                "--host",
                &env.sim.url(),
                "list",
                "--json",
            ])
            .env_remove("OLLAMA_HOST")
            .env("XDG_CACHE_HOME", scratch.path())
            .env("XDG_DATA_HOME", scratch.path())
            .output()
            .expect("runs");
        assert!(out.status.success());
        serde_json::from_slice::<Value>(&out.stdout).expect("JSON")
    };
    let shows = || {
        let n = env
            .sim
            .control()
            .requests()
            .iter()
            .filter(|r| r.path == "/api/show")
            .count();
        env.sim.control().clear_requests();
        n
    };
    list();
    let first = shows();
    assert!(first >= 10, "{first}");
    let rows = list();
    assert_eq!(shows(), 0, "answers came from the cache");
    // The cached answers judge the same way: the estimate, not the file size.
    assert_eq!(find(&rows, "llama3.1:8b")["need_source"], "estimate");
}
