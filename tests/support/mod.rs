//! Helpers for end-to-end tests: the real binary, the stand-in server as a separate
//! process, and a tmux pane to type into and read from.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_model-orchestrator");

/// The binary with its caches and learned needs in a scratch place of this test
/// process, never the user's real ones.
pub fn bin() -> Command {
    let scratch = std::env::temp_dir().join(format!("mo-test-{}", std::process::id()));
    let mut c = Command::new(BIN);
    c.env_remove("OLLAMA_HOST")
        .env("XDG_CACHE_HOME", &scratch)
        .env("XDG_DATA_HOME", &scratch);
    c
}

/// `model-orchestrator sim` running in the background; killed on drop.
pub struct SimProcess {
    child: Child,
    pub url: String,
}

impl SimProcess {
    pub fn start(extra: &[&str]) -> SimProcess {
        let mut child = Command::new(BIN)
            .args(["sim", "--port", "0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the stand-in");
        let stdout = child.stdout.take().expect("stdout piped");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the URL line");
        let url = line.trim().to_string();
        assert!(url.starts_with("http://127.0.0.1:"), "first line: {url:?}");
        SimProcess { child, url }
    }

    /// GET or POST an admin route of the stand-in (`/_sim/...`) and return the body.
    pub fn admin(&self, method: &str, path: &str, body: Option<&str>) -> String {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let client = model_orchestrator::ollama::client::raw_http();
            let url = format!("{}{}", self.url, path);
            let req = match method {
                "POST" => client.post(&url),
                "DELETE" => client.delete(&url),
                _ => client.get(&url),
            };
            let req = match body {
                Some(b) => req
                    .header("content-type", "application/json")
                    .body(b.to_string()),
                None => req,
            };
            req.send()
                .await
                .expect("admin request")
                .text()
                .await
                .expect("admin body")
        })
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

static SESSIONS: AtomicUsize = AtomicUsize::new(0);

/// A detached tmux session on its own server socket, killed on drop.
pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// Runs `command` (a shell line) in a `w`×`h` pane. After the program exits the
    /// shell prints `EXITED:<code>` and waits, so the final screen can be read.
    pub fn start(command: &str, w: u16, h: u16) -> Tmux {
        let n = SESSIONS.fetch_add(1, Ordering::SeqCst);
        let socket = format!("mo-e2e-{}-{n}", std::process::id());
        let line = format!("{command}; echo EXITED:$?; sleep 60");
        // Caches and learned needs go to a scratch place, not the real ones.
        let scratch = std::env::temp_dir().join(&socket);
        let scratch = scratch.display();
        let status = Command::new("tmux")
            .args(["-L", &socket, "-f", "/dev/null", "new-session", "-d"])
            .args(["-x", &w.to_string(), "-y", &h.to_string()])
            .args(["-e", "TERM=xterm-256color"])
            .args(["-e", &format!("XDG_CACHE_HOME={scratch}")])
            .args(["-e", &format!("XDG_DATA_HOME={scratch}")])
            .args(["sh", "-c", &line])
            .status()
            .expect("tmux runs");
        assert!(status.success(), "tmux new-session failed");
        Tmux { socket }
    }

    pub fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn send(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "0"];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    pub fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", "0"])
    }

    /// A tmux format value of the pane, e.g. `alternate_on`, `cursor_flag`.
    pub fn pane_flag(&self, name: &str) -> String {
        self.tmux(&["display-message", "-p", "-t", "0", &format!("#{{{name}}}")])
            .trim()
            .to_string()
    }

    /// Waits until the screen contains `text`; panics with the last screen otherwise.
    pub fn wait_for(&self, text: &str, timeout: Duration) -> String {
        self.wait_until(timeout, &format!("{text:?}"), |s| s.contains(text))
    }

    pub fn wait_until(&self, timeout: Duration, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if ok(&s) {
                return s;
            }
            if start.elapsed() > timeout {
                panic!("timed out waiting for {what}; screen was:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.tmux(&["kill-server"]);
    }
}

/// Polls `f` until it returns `Some`, or panics after `timeout`.
pub fn eventually<T>(timeout: Duration, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        if start.elapsed() > timeout {
            panic!("timed out waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
