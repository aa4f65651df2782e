use std::time::Duration;

use super::*;

#[test]
fn keep_alive_reads_like_the_flag() {
    assert_eq!(
        kept_for(KeepAlive::For(Duration::from_secs(300))),
        "kept for 5m"
    );
    assert_eq!(
        kept_for(KeepAlive::For(Duration::from_secs(5400))),
        "kept for 1h30m"
    );
    assert_eq!(
        kept_for(KeepAlive::For(Duration::from_secs(3601))),
        "kept for 1h1s"
    );
    assert_eq!(
        kept_for(KeepAlive::For(Duration::from_millis(500))),
        "kept for 500ms"
    );
    assert_eq!(kept_for(KeepAlive::Forever), "kept loaded forever");
    assert_eq!(kept_for(KeepAlive::UNLOAD), "unloaded right away");
}

fn client() -> Client {
    Client::new("http://127.0.0.1:9").expect("client")
}

#[test]
fn server_errors_become_plain_advice() {
    let c = client();
    let e = CommandError::from_ollama(
        &c,
        "x:1",
        "load",
        OllamaError::status(404, r#"{"error":"model 'x:1' not found"}"#),
    );
    assert_eq!(
        e.to_string(),
        "model 'x:1' not found — run `ollama pull x:1`"
    );
    let e = CommandError::from_ollama(
        &c,
        "big:70b",
        "load",
        OllamaError::status(
            500,
            r#"{"error":"model requires more system memory (40.1 GiB) than is available (12.0 GiB)"}"#,
        ),
    );
    assert_eq!(
        e.to_string(),
        "not enough memory to load big:70b: model requires more system memory (40.1 GiB) than is available (12.0 GiB)"
    );
    let e = CommandError::from_ollama(
        &c,
        "x:1",
        "pin",
        OllamaError::status(500, r#"{"error":"boom\u001b[31m"}"#),
    );
    assert_eq!(e.to_string(), "Ollama could not pin x:1: boom");
}

/// A port nobody listens on.
fn closed_port_client() -> Client {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    Client::new(&format!("http://127.0.0.1:{port}")).expect("client")
}

#[tokio::test]
async fn pin_with_ollama_down_says_where_and_saves_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("config.toml");
    let c = closed_port_client();
    let err = pin(&c, Some(&path), "llama3.1:8b")
        .await
        .expect_err("server down");
    let msg = err.to_string();
    assert!(
        msg.contains(&format!("cannot reach Ollama at {}", c.base_url())),
        "{msg}"
    );
    assert!(msg.contains("ollama serve"), "{msg}");
    assert!(!path.exists(), "nothing saved when the pin did not apply");
    assert_eq!(err.exit_code(), ExitCode::FAILURE);
}

#[tokio::test]
async fn unpin_with_ollama_down_still_saves_and_is_partial() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("config.toml");
    std::fs::write(&path, "# mine\nkeep_alive_models = [\"a:1\", \"b:2\"]\n").expect("write");
    let out = unpin(
        &closed_port_client(),
        &Config::default(),
        Some(&path),
        "A:1",
    )
    .await
    .expect("saved part succeeded");
    assert!(out.partial);
    assert_eq!(out.exit_code(), ExitCode::from(EXIT_PARTIAL));
    assert!(
        out.message.starts_with("unpinned A:1 (removed from"),
        "{}",
        out.message
    );
    let warning = out.warning.expect("a warning");
    assert!(
        warning.starts_with("Ollama was not told: cannot reach Ollama"),
        "{warning}"
    );
    assert_eq!(
        std::fs::read_to_string(&path).expect("read"),
        "# mine\nkeep_alive_models = [\"b:2\"]\n"
    );
}
