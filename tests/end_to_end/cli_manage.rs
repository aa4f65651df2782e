//! The binary's model-management commands (`pull`, `rm`, `unload --all`) and its
//! conveniences (completions, man page, `select` output, `--log-file`), run as a user
//! runs them: piped, or in a terminal (tmux), against `model-orchestrator sim`.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::Value;
use support::{BIN, SimProcess, Tmux};

const WAIT: Duration = Duration::from_secs(30);

struct Env {
    sim: SimProcess,
    dir: tempfile::TempDir,
}

impl Env {
    fn new(sim_flags: &[&str], config: &str) -> Env {
        let sim = SimProcess::start(sim_flags);
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("config.toml"), config).expect("write config");
        Env { sim, dir }
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = support::bin();
        c.arg("--config")
            .arg(self.config())
            .args(["--host", &self.sim.url])
            .args(args)
            .env_remove("OLLAMA_HOST");
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("binary runs")
    }

    /// The same command line in a tmux terminal. The shell around it traps SIGINT
    /// so that Ctrl-C reaches only the program and the shell lives on to print
    /// its exit code.
    fn in_terminal(&self, args: &str) -> Tmux {
        let line = format!(
            "trap true INT; {BIN} --config {} --host {} {args}",
            self.config().display(),
            self.sim.url
        );
        Tmux::start(&line, 120, 30)
    }

    fn state(&self, key: &str) -> Vec<String> {
        let v: Value =
            serde_json::from_str(&self.sim.admin("GET", "/_sim/state", None)).expect("JSON");
        v[key]
            .as_array()
            .expect("names")
            .iter()
            .filter_map(|n| n.as_str().map(str::to_string))
            .collect()
    }

    fn installed(&self, name: &str) -> bool {
        self.state("installed").iter().any(|n| n == name)
    }

    fn saved(&self) -> String {
        std::fs::read_to_string(self.config()).expect("read config")
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(o: &Output) {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        stdout(o),
        stderr(o)
    );
}

#[test]
fn pull_piped_prints_plain_lines_and_installs() {
    // 1.3 GB at 600 MB/s: a little over two seconds, so progress lines come.
    let env = Env::new(&["--pull-speed", "600"], "");
    assert!(!env.installed("llama3.2:1b"));
    let out = env.run(&["pull", "llama3.2:1b"]);
    ok(&out);
    let text = stdout(&out);
    assert!(
        !text.contains('\x1b'),
        "no terminal codes when piped: {text:?}"
    );
    // A model not installed yet: Ollama's API does not tell its size beforehand.
    let lines: Vec<&str> = std::iter::once("").chain(text.lines()).collect();
    assert_eq!(lines[1], "pulling manifest", "{text}");
    let weights = lines[2].split(':').next().expect("a layer line");
    assert!(
        weights.starts_with("pulling ") && weights.len() == "pulling ".len() + 12,
        "{text}"
    );
    assert_eq!(lines[2], format!("{weights}: 1.3 GB"));
    let progress = lines
        .iter()
        .filter(|l| l.starts_with(weights) && l.contains("% of 1.3 GB"))
        .count();
    assert!((1..=4).contains(&progress), "one a second: {text}");
    assert!(
        text.contains(&format!("{weights}: done, 1.3 GB in")),
        "{text}"
    );
    let tail: Vec<&str> = lines.iter().rev().take(4).rev().copied().collect();
    assert_eq!(
        tail[..3],
        ["verifying sha256 digest", "writing manifest", "success"]
    );
    assert!(
        tail[3].starts_with("pulled llama3.2:1b (1.3 GB, 1.3 GB fetched in"),
        "{text}"
    );
    assert!(env.installed("llama3.2:1b"));

    // Again: every layer is already here.
    let out = env.run(&["pull", "llama3.2:1b"]);
    ok(&out);
    let text = stdout(&out);
    assert!(
        text.contains("already here") && text.contains("already up to date"),
        "{text}"
    );
}

#[test]
fn pull_in_a_terminal_draws_bars_and_ctrl_c_stops_it() {
    let env = Env::new(&["--pull-speed", "3000"], "");
    let t = env.in_terminal("pull qwen3:8b");
    let screen = t.wait_for("EXITED:0", WAIT);
    assert!(screen.contains("pulling manifest"), "{screen}");
    assert!(
        screen
            .lines()
            .any(|l| l.starts_with("total") && l.contains("100%")),
        "{screen}"
    );
    assert!(screen.contains("pulled qwen3:8b (5.2 GB"), "{screen}");
    assert!(env.installed("qwen3:8b"));
    drop(t);

    // Slow enough to be caught in the middle.
    let env = Env::new(&["--pull-speed", "50"], "");
    let t = env.in_terminal("pull deepseek-r1:7b");
    t.wait_until(WAIT, "a bar", |s| s.lines().any(|l| l.starts_with("total")));
    t.send(&["C-c"]);
    let screen = t.wait_for("EXITED:130", WAIT);
    assert!(
        screen.contains("stopped pulling deepseek-r1:7b"),
        "{screen}"
    );
    assert!(!env.installed("deepseek-r1:7b"));
}

#[test]
fn pull_errors_are_plain_words_and_exit_1() {
    let env = Env::new(&[], "");
    let out = env.run(&["pull", "nope:7b"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("the registry has no model of that name"),
        "{}",
        stderr(&out)
    );
    let out = env.run(&["pull", "bad name!"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("not a valid model name"),
        "{}",
        stderr(&out)
    );
    let out = support::bin()
        .args([
            "--config",
            "/dev/null",
            "--host",
            "127.0.0.1:1",
            "pull",
            "x",
        ])
        .env_remove("OLLAMA_HOST")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("cannot reach Ollama"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn rm_needs_yes_without_a_terminal_then_unpins_unloads_and_deletes() {
    let env = Env::new(&[], "# mine\nkeep_alive_models = []\n");
    ok(&env.run(&["pin", "phi3:mini"]));
    assert_eq!(env.state("loaded"), ["phi3:mini"]);

    let out = env.run(&["rm", "phi3:mini"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("pass --yes"), "{}", stderr(&out));
    assert!(env.installed("phi3:mini"), "nothing done without --yes");

    let out = env.run(&["rm", "phi3:mini", "--yes"]);
    ok(&out);
    let text = stdout(&out);
    assert!(
        text.contains("deleted phi3:mini (2.2 GB")
            && text.contains("unpinned")
            && text.contains("unloaded first"),
        "{text}"
    );
    assert!(!env.installed("phi3:mini"));
    assert!(env.state("loaded").is_empty(), "unloaded before the delete");
    let saved = env.saved();
    assert!(
        !saved.contains("phi3:mini") && saved.contains("# mine"),
        "{saved}"
    );

    let out = env.run(&["rm", "phi3:mini", "--yes"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("not installed"), "{}", stderr(&out));
}

#[test]
fn rm_on_a_terminal_asks_naming_the_model_and_its_size() {
    let env = Env::new(&[], "");
    let t = env.in_terminal("rm mistral:7b");
    let screen = t.wait_for("[y/N]", WAIT);
    assert!(
        screen.contains("Delete mistral:7b (4.1 GB) from disk?"),
        "{screen}"
    );
    t.send(&["n", "Enter"]);
    let screen = t.wait_for("EXITED:1", WAIT);
    assert!(screen.contains("left mistral:7b as it is"), "{screen}");
    assert!(env.installed("mistral:7b"));
    drop(t);

    let t = env.in_terminal("rm mistral:7b");
    t.wait_for("[y/N]", WAIT);
    t.send(&["y", "Enter"]);
    let screen = t.wait_for("EXITED:0", WAIT);
    assert!(screen.contains("deleted mistral:7b"), "{screen}");
    assert!(!env.installed("mistral:7b"));
}

#[test]
fn unload_all_unpins_pinned_models_first_and_says_so() {
    let env = Env::new(&[], "keep_alive_models = []\n");
    ok(&env.run(&["pin", "phi3:mini"]));
    ok(&env.run(&["load", "llama3.2:3b"]));
    let out = env.run(&["unload", "--all"]);
    ok(&out);
    let text = stdout(&out);
    assert!(text.contains("unpinned and unloaded phi3:mini"), "{text}");
    assert!(text.contains("unloaded llama3.2:3b"), "{text}");
    assert!(env.state("loaded").is_empty());
    assert!(!env.saved().contains("phi3:mini"));
    let out = env.run(&["stop", "--all"]);
    ok(&out);
    assert_eq!(stdout(&out).trim(), "nothing was loaded");
}

#[test]
fn completions_and_the_man_page_name_the_subcommands() {
    let out = support::bin()
        .args(["completions", "bash"])
        .output()
        .expect("runs");
    ok(&out);
    let script = stdout(&out);
    for word in [
        "model-orchestrator",
        "pull",
        "rm",
        "unload",
        "select",
        "--log-file",
    ] {
        assert!(script.contains(word), "{word} missing from the script");
    }
    let out = support::bin().arg("manpage").output().expect("runs");
    ok(&out);
    let page = stdout(&out);
    assert!(page.starts_with(".ie") || page.contains(".TH"), "{page}");
    assert!(page.contains("pull"), "{page}");
}

#[test]
fn select_prints_only_the_name_on_stdout() {
    let env = Env::new(
        &[],
        r#"[model_sizes]
"qwen2.5-coder:32b" = 1000000.0
"qwen2.5-coder:7b" = 1000000.0
"deepseek-coder-v2:16b" = 1000000.0
"codellama:7b" = 1000000.0
"qwen2.5-coder:1.5b" = 0.001
"#,
    );
    let out = env.run(&["select", "--task", "code"]);
    ok(&out);
    assert_eq!(stdout(&out), "qwen2.5-coder:1.5b\n");
    assert!(!stderr(&out).trim().is_empty(), "the reason goes to stderr");
}

fn log_of(path: &Path) -> String {
    std::fs::read_to_string(path).expect("log file written")
}

#[test]
fn log_file_gets_the_requests_and_stderr_stays_quiet() {
    let env = Env::new(&[], "");
    let log = env.dir.path().join("debug.log");
    let out = env.run(&["--log-file", log.to_str().expect("utf-8 path"), "ps"]);
    ok(&out);
    assert_eq!(stderr(&out), "");
    let text = log_of(&log);
    assert!(text.contains("/api/ps") && text.contains("DEBUG"), "{text}");

    let out = support::bin()
        .args(["--config", "/dev/null", "--host", "127.0.0.1:1", "ps"])
        .arg("--log-file")
        .arg(&log)
        .env_remove("OLLAMA_HOST")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(log_of(&log).contains("request failed"), "errors are logged");
}

#[test]
fn pulling_an_installed_model_again_says_whether_it_fits() {
    // Its size is known from /api/tags, so the fit is said first.
    let env = Env::new(&[], "");
    let out = env.run(&["pull", "phi3:mini"]);
    ok(&out);
    let text = stdout(&out);
    let first = text.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("phi3:mini is 2.2 GB; it needs about"),
        "{text}"
    );
    assert!(first.contains("fit"), "{text}");
}
