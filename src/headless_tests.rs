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

#[test]
fn a_slow_or_broken_server_is_not_called_down() {
    let c = client();
    let slow = OllamaError::Timeout {
        url: "http://127.0.0.1:9/api/ps".into(),
        after: Duration::from_secs(10),
    };
    let msg = CommandError::from_ollama(&c, "x:1", "unload", slow).to_string();
    assert!(msg.contains("did not answer within 10s"), "{msg}");
    assert!(!msg.contains("cannot reach"), "{msg}");
    assert!(!msg.contains("ollama serve"), "{msg}");
    let broken = OllamaError::Broken {
        url: "http://127.0.0.1:9/api/generate".into(),
        reason: "connection closed before message completed".into(),
    };
    let msg = CommandError::from_ollama(&c, "x:1", "load", broken).to_string();
    assert!(
        msg.contains("connection closed before message completed"),
        "{msg}"
    );
    assert!(!msg.contains("cannot reach"), "{msg}");
    assert!(!msg.contains("ollama serve"), "{msg}");
}

async fn slow_sim() -> (crate::sim::SimHandle, Client) {
    let server = crate::sim::start(crate::sim::SimOptions::for_tests())
        .await
        .expect("sim starts");
    let fault = crate::sim::Fault::Latency(Duration::from_secs(5));
    server.control().set_fault(fault, None);
    let quick = Duration::from_millis(300);
    let c = Client::with_timeouts(&server.url(), Duration::from_secs(1), quick).expect("client");
    (server, c)
}

#[tokio::test]
async fn unload_gives_up_after_one_timeout_when_ollama_is_slow() {
    let (server, c) = slow_sim().await;
    let err = unload(&c, &Config::default(), "llama3.1:8b")
        .await
        .expect_err("too slow");
    assert!(err.to_string().contains("did not answer"), "{err}");
    let asked: Vec<String> = server
        .control()
        .requests()
        .into_iter()
        .map(|r| r.path)
        .collect();
    assert_eq!(asked, vec!["/api/ps".to_string()]);
    server.shutdown().await;
}

#[tokio::test]
async fn unpin_of_a_model_that_was_not_pinned_exits_1_and_sends_nothing() {
    let (server, c) = slow_sim().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("config.toml");
    std::fs::write(&path, "keep_alive_models = [\"b:2\"]\n").expect("write");
    let err = unpin(&c, &Config::default(), Some(&path), "a:1")
        .await
        .expect_err("nothing to unpin");
    assert!(err.to_string().starts_with("a:1 is not pinned in"), "{err}");
    assert_eq!(err.exit_code(), ExitCode::FAILURE);
    assert!(server.control().requests().is_empty());
    server.shutdown().await;
}

async fn sim_playing(version: &str) -> (crate::sim::SimHandle, Client) {
    let server = crate::sim::start(crate::sim::SimOptions {
        version: version.into(),
        ..crate::sim::SimOptions::for_tests()
    })
    .await
    .expect("sim starts");
    let c = Client::new(&server.url()).expect("client");
    (server, c)
}

fn posted(server: &crate::sim::SimHandle) -> Vec<String> {
    let reads = ["/api/show"];
    server
        .control()
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && !reads.contains(&r.path.as_str()))
        .map(|r| r.path)
        .collect()
}

#[tokio::test]
async fn cloud_models_are_refused_and_nothing_is_sent() {
    let (server, c) = sim_playing("0.12.6").await;
    let config = Config::default();
    let model = "gpt-oss:120b-cloud";
    let e = load(&c, &config, model, LoadOptions::default()).await;
    let e = e.expect_err("refused");
    assert!(e.to_string().contains("runs remotely"), "{e}");
    assert_eq!(e.exit_code(), ExitCode::FAILURE);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("config.toml");
    assert!(pin(&c, Some(&path), model).await.is_err());
    assert!(unload(&c, &config, model).await.is_err());
    assert!(server.control().requests().is_empty(), "nothing sent");
    assert!(!path.exists());
    server.shutdown().await;
}

#[tokio::test]
async fn unload_of_a_model_not_loaded_sends_nothing_and_never_suggests_a_pull() {
    let (server, c) = sim_playing("0.3.10").await;
    let config = Config::default();
    let out = unload(&c, &config, "phi3:mini").await.expect("fine");
    assert_eq!(out.message, "phi3:mini was not loaded");
    let e = unload(&c, &config, "nosuch")
        .await
        .expect_err("not installed");
    assert_eq!(e.exit_code(), ExitCode::FAILURE);
    assert!(!e.to_string().contains("pull"), "{e}");
    // Before 0.3.11 keep_alive 0 would have loaded it first.
    assert!(posted(&server).is_empty(), "{:?}", posted(&server));
    assert!(server.control().loaded().is_empty());
    server.shutdown().await;
}

#[tokio::test]
async fn embedding_models_pin_and_unload_through_their_routes() {
    for (version, load_route, unload_route) in [
        ("0.3.5", "/api/embeddings", "/api/embeddings"),
        ("0.3.10", "/api/embed", "/api/embed"),
        ("0.12.6", "/api/embed", "/api/generate"),
    ] {
        let (server, c) = sim_playing(version).await;
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("config.toml");
        pin(&c, Some(&path), "nomic-embed-text")
            .await
            .expect("pinned");
        assert_eq!(server.control().loaded().len(), 1, "{version}");
        let config = Config::load_from(&path).expect("saved");
        let out = unload(&c, &config, "nomic-embed-text")
            .await
            .expect("unloaded");
        assert_eq!(out.message, "unloaded nomic-embed-text");
        assert_eq!(posted(&server), vec![load_route, unload_route], "{version}");
        crate::sim::SimHandle::shutdown(server).await;
    }
}

#[tokio::test]
async fn a_plain_load_sends_no_keep_alive_unless_configured() {
    let (server, c) = sim_playing("0.12.6").await;
    let out = load(&c, &Config::default(), "phi3:mini", LoadOptions::default())
        .await
        .expect("loaded");
    assert!(
        out.message.contains("server's keep-alive"),
        "{}",
        out.message
    );
    let reqs = server.control().requests();
    let sent = reqs
        .iter()
        .find(|r| r.path == "/api/generate")
        .expect("sent");
    assert!(sent.body.get("keep_alive").is_none(), "{}", sent.body);
    server.shutdown().await;
}
