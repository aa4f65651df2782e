//! The client over real loopback HTTP against a server that replays recorded shapes,
//! including the plain-text 404 of servers older than /api/ps and what it sends.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{delete, get, post};
use model_orchestrator::duration::KeepAlive;
use model_orchestrator::ollama::{Client, OllamaError};
use serde_json::Value;

type Seen = Arc<Mutex<Vec<Value>>>;

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).expect("fixture exists")
}

fn json(body: String) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body,
    )
}

async fn generate(State(seen): State<Seen>, body: String) -> axum::response::Response {
    let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    seen.lock().expect("lock").push(v.clone());
    match v["model"].as_str() {
        Some("missing") => (
            StatusCode::NOT_FOUND,
            json(r#"{"error":"model 'missing' not found"}"#.into()),
        )
            .into_response(),
        Some("huge") => (
            StatusCode::INTERNAL_SERVER_ERROR,
            json(
                r#"{"error":"model requires more system memory (41.2 GiB) than is available (12.0 GiB)"}"#
                    .into(),
            ),
        )
            .into_response(),
        _ if v["keep_alive"] == 0 => json(fixture("generate-unload.json")).into_response(),
        _ => json(fixture("generate-load.json")).into_response(),
    }
}

/// A server shaped like 0.1.x: tags and generate, but no /api/ps (gin's plain 404).
async fn start(old: bool) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let mut app = Router::new()
        // Every Ollama answers `/` (`GenerateRoutes`); the client asks it when a
        // reply is not what Ollama sends.
        .route("/", get(|| async { "Ollama is running" }))
        .route(
            "/api/version",
            get(|| async { json(r#"{"version":"0.12.6"}"#.into()) }),
        )
        .route(
            "/api/tags",
            get(|| async { json(fixture("tags-0.30.json")) }),
        )
        .route(
            "/api/show",
            post(|| async { json(fixture("show-llama3.1.json")) }),
        )
        .route("/api/generate", post(generate))
        .route(
            "/api/delete",
            delete(|| async {
                (
                    StatusCode::NOT_FOUND,
                    json(r#"{"error":"model 'x' not found"}"#.into()),
                )
            }),
        );
    if !old {
        app = app.route("/api/ps", get(|| async { json(fixture("ps-0.33.json")) }));
    }
    let app = app
        .fallback(|| async { (StatusCode::NOT_FOUND, "404 page not found") })
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

#[tokio::test]
async fn reads_version_tags_ps_and_show() {
    let (url, _) = start(false).await;
    let c = Client::new(&url).expect("client");
    assert_eq!(c.version().await.expect("version"), "0.12.6");
    let tags = c.tags().await.expect("tags");
    assert_eq!(tags[0].name, "qwen2.5-coder:7b");
    let ps = c.ps().await.expect("ps");
    assert_eq!(ps.len(), 2);
    let show = c.show("llama3.1:8b").await.expect("show");
    assert_eq!(show.architecture().block_count, Some(32));
}

#[tokio::test]
async fn keep_alive_goes_out_as_a_number() {
    let (url, seen) = start(false).await;
    let c = Client::new(&url).expect("client");
    c.load("llama3.2", Some(KeepAlive::parse("5m").expect("dur")))
        .await
        .expect("load");
    c.pin("llama3.2").await.expect("pin");
    let reply = c.unload("llama3.2").await.expect("unload");
    assert_eq!(reply.done_reason.as_deref(), Some("unload"));
    c.load("llama3.2", None).await.expect("load");
    let seen = seen.lock().expect("lock").clone();
    assert_eq!(seen[0]["keep_alive"], serde_json::json!(300));
    assert_eq!(seen[1]["keep_alive"], serde_json::json!(-1));
    assert_eq!(seen[2]["keep_alive"], serde_json::json!(0));
    assert!(
        seen[3].get("keep_alive").is_none(),
        "no keep_alive keeps the server's"
    );
    assert!(seen.iter().all(|v| v.get("prompt").is_none()));
}

#[tokio::test]
async fn server_errors_become_typed_and_plain() {
    let (url, _) = start(false).await;
    let c = Client::new(&url).expect("client");
    let e = c.load("missing", None).await.expect_err("404");
    assert!(e.is_not_found());
    assert_eq!(e.server_message(), Some("model 'missing' not found"));
    let e = c.load("huge", None).await.expect_err("oom");
    assert!(e.is_out_of_memory());
    assert!(e.plain().starts_with("not enough memory"));
    let e = c.delete("x").await.expect_err("404");
    assert!(e.is_not_found());
}

#[tokio::test]
async fn old_servers_without_ps_give_the_plain_text_404() {
    let (url, _) = start(true).await;
    let c = Client::new(&url).expect("client");
    let e = c.ps().await.expect_err("no /api/ps");
    assert_eq!(
        e,
        OllamaError::Status {
            status: 404,
            message: "404 page not found".into()
        }
    );
}

#[tokio::test]
async fn a_closed_port_is_unreachable_and_names_the_url() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let url = format!("http://127.0.0.1:{port}");
    let c = Client::new(&url).expect("client");
    let e = c.tags().await.expect_err("refused");
    assert!(matches!(e, OllamaError::Unreachable { .. }), "{e:?}");
    assert!(e.to_string().contains(&url));
}

#[tokio::test]
async fn https_addresses_are_accepted_and_fail_plainly_when_nothing_answers() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let c = Client::new(&format!("https://127.0.0.1:{port}/ollama")).expect("https client");
    assert_eq!(c.base_url(), format!("https://127.0.0.1:{port}/ollama"));
    let e = c.version().await.expect_err("nothing listens");
    assert!(matches!(e, OllamaError::Unreachable { .. }), "{e:?}");
    assert!(e.to_string().contains("/ollama/api/version"), "{e}");
}

#[tokio::test]
async fn https_to_a_plain_http_server_is_an_error_not_a_hang() {
    let (url, _) = start(false).await;
    let c = Client::new(&url.replace("http://", "https://")).expect("https client");
    let e = tokio::time::timeout(std::time::Duration::from_secs(15), c.version())
        .await
        .expect("no hang")
        .expect_err("TLS to a plain server fails");
    assert!(e.is_connection(), "{e:?}");
}

/// A web page at the address (a proxy's login page, another service): the client
/// says it is not Ollama, with the URL, and never shows the raw page.
#[tokio::test]
async fn a_server_that_is_not_ollama_is_named_as_such() {
    let page = || async {
        (
            [(header::CONTENT_TYPE, "text/html")],
            "<html><body>\u{1b}[31mWelcome to nginx!</body></html>",
        )
    };
    let app = Router::new().fallback(page);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    let c = Client::new(&url).expect("client");
    let e = c.version().await.expect_err("not Ollama");
    let text = e.plain();
    assert_eq!(
        text,
        format!(
            "this does not look like Ollama (GET / did not answer \"Ollama is running\"): {url}"
        )
    );
    assert!(!text.contains("nginx"), "{text}");
    let e = c.ps().await.expect_err("not Ollama");
    assert!(matches!(e, OllamaError::NotOllama { .. }), "{e:?}");
}
