//! How the dashboard's hot paths grow with the number of installed models: a whole
//! frame at 160×50 with 10, 1,000 and 10,000 models; `update` for a key press, an
//! unchanged `/api/ps` poll, one `/api/show` answer and an unchanged tags refresh
//! at 1,000 and 10,000; and decoding a `/api/tags` body of 10,000 models.
//!
//! Every state is built with all `/api/show` answers in, as after a start; building
//! it and the messages is outside the timed loops.

mod shared;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use model_orchestrator::app::{self, Msg, State};
use model_orchestrator::config::Config;
use model_orchestrator::ollama::types::TagsResponse;
use model_orchestrator::ollama::{ModelEntry, RunningModel, ShowResponse};
use shared::memory;

const FAMILIES: [(&str, &str); 6] = [
    ("llama3.1", "llama"),
    ("qwen2.5", "qwen2"),
    ("gemma3", "gemma3"),
    ("phi3", "phi3"),
    ("mistral", "llama"),
    ("nomic-embed-text", "nomic-bert"),
];
const SIZES: [(&str, f64); 4] = [("1b", 1.0), ("3b", 3.0), ("8b", 8.0), ("32b", 32.0)];

/// The `/api/tags` body of `n` models, as Ollama writes it.
fn tags_body(n: usize) -> Vec<u8> {
    let models: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            let (base, family) = FAMILIES[i % FAMILIES.len()];
            let (size, params) = SIZES[(i / FAMILIES.len()) % SIZES.len()];
            let name = format!("{base}-{i:05}:{size}");
            serde_json::json!({
                "name": name,
                "model": name,
                "modified_at": "2025-06-01T12:00:00.123456789+02:00",
                "size": (params * 0.6e9) as u64,
                "digest": format!("{:064x}", i + 1),
                "details": {
                    "parent_model": "",
                    "format": "gguf",
                    "family": family,
                    "families": [family],
                    "parameter_size": format!("{params}B"),
                    "quantization_level": "Q4_K_M"
                }
            })
        })
        .collect();
    match serde_json::to_vec(&serde_json::json!({ "models": models })) {
        Ok(v) => v,
        Err(e) => panic!("tags body: {e}"),
    }
}

fn decode_tags(body: &[u8]) -> Vec<ModelEntry> {
    match serde_json::from_slice::<TagsResponse>(body) {
        Ok(t) => t.models,
        Err(e) => panic!("tags decode: {e}"),
    }
}

fn show_answer() -> ShowResponse {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/show-llama3.1.json"
    );
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => panic!("{path}: {e}"),
    };
    match serde_json::from_str(&text) {
        Ok(s) => s,
        Err(e) => panic!("{path}: {e}"),
    }
}

/// Three of the models loaded, at a quarter, half and three quarters of the list.
fn loaded(models: &[ModelEntry]) -> Vec<RunningModel> {
    let n = models.len();
    [n / 4, n / 2, 3 * n / 4]
        .iter()
        .map(|&i| RunningModel {
            name: models[i].name.clone(),
            model: models[i].name.clone(),
            digest: models[i].digest.clone(),
            size: models[i].size + 500_000_000,
            ..RunningModel::default()
        })
        .collect()
}

fn show_msg(m: &ModelEntry, show: &ShowResponse) -> Msg {
    Msg::Show {
        key: State::show_key(m),
        model: m.name.clone(),
        reply: Box::new(Ok(show.clone())),
    }
}

/// A dashboard of `n` models at 160×50, every `/api/show` answer in.
fn dashboard(n: usize) -> (State, Vec<ModelEntry>) {
    let models = decode_tags(&tags_body(n));
    let now = jiff::Timestamp::now();
    let mut state = State::new(Config::default(), "127.0.0.1:11434".into(), now);
    app::start(&mut state);
    for msg in [
        Msg::Resize(160, 50),
        Msg::Version(Ok("0.12.6".into())),
        Msg::Tags(Ok(models.clone())),
        Msg::Ps(Ok(loaded(&models))),
        Msg::Memory(memory()),
    ] {
        app::update(&mut state, msg);
    }
    let show = show_answer();
    for m in &models {
        app::update(&mut state, show_msg(m, &show));
    }
    app::settle(&mut state);
    (state, models)
}

fn quick(c: &mut Criterion) -> criterion::BenchmarkGroup<'_, criterion::measurement::WallTime> {
    let mut g = c.benchmark_group("scale");
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    g
}

fn bench_frame(c: &mut Criterion) {
    let mut g = quick(c);
    for n in [10, 1_000, 10_000] {
        let (state, _) = dashboard(n);
        let backend = ratatui::backend::TestBackend::new(160, 50);
        let mut terminal = match ratatui::Terminal::new(backend) {
            Ok(t) => t,
            Err(e) => panic!("test backend: {e}"),
        };
        g.bench_with_input(
            BenchmarkId::new("draw a whole frame 160×50", n),
            &n,
            |b, _| {
                b.iter(|| {
                    // A cleared buffer each time: the full cost, not ratatui's diff.
                    terminal.clear().ok();
                    terminal
                        .draw(|f| model_orchestrator::ui::draw(f, black_box(&state)))
                        .ok();
                })
            },
        );
    }
    g.finish();
}

fn bench_update(c: &mut Criterion) {
    let mut g = quick(c);
    let key = |ch| Msg::Key(KeyEvent::new(KeyCode::Char(ch), KeyModifiers::NONE));
    for n in [1_000, 10_000] {
        let (mut state, models) = dashboard(n);
        // Down then up: the cursor stays mid-list, so every press moves it.
        state.selected = n / 2;
        g.bench_with_input(BenchmarkId::new("update: keys j then k", n), &n, |b, _| {
            b.iter(|| {
                black_box(app::update(&mut state, key('j')));
                black_box(app::update(&mut state, key('k')));
            })
        });
        let ps = loaded(&models);
        g.bench_with_input(
            BenchmarkId::new("update: unchanged /api/ps", n),
            &n,
            |b, _| {
                b.iter_batched(
                    || Msg::Ps(Ok(ps.clone())),
                    |m| black_box(app::update(&mut state, m)),
                    BatchSize::SmallInput,
                )
            },
        );
        let show = show_answer();
        let target = &models[n / 3];
        g.bench_with_input(
            BenchmarkId::new("update: one /api/show answer", n),
            &n,
            |b, _| {
                b.iter_batched(
                    || show_msg(target, &show),
                    |m| black_box(app::update(&mut state, m)),
                    BatchSize::SmallInput,
                )
            },
        );
        g.bench_with_input(
            BenchmarkId::new("settle after a /api/show answer", n),
            &n,
            |b, _| {
                // The answer goes in untimed; only the rebuild it leaves is timed.
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        app::update(&mut state, show_msg(target, &show));
                        let t = Instant::now();
                        app::settle(black_box(&mut state));
                        total += t.elapsed();
                    }
                    total
                })
            },
        );
        g.bench_with_input(
            BenchmarkId::new("update: unchanged /api/tags", n),
            &n,
            |b, _| {
                b.iter_batched(
                    || Msg::Tags(Ok(models.clone())),
                    |m| black_box(app::update(&mut state, m)),
                    BatchSize::LargeInput,
                )
            },
        );
        g.bench_with_input(
            BenchmarkId::new("update: unchanged memory reading", n),
            &n,
            |b, _| {
                b.iter_batched(
                    || Msg::Memory(memory()),
                    |m| black_box(app::update(&mut state, m)),
                    BatchSize::SmallInput,
                )
            },
        );
    }
    g.finish();
}

fn bench_decode(c: &mut Criterion) {
    let mut g = quick(c);
    let body = tags_body(10_000);
    g.bench_function(
        BenchmarkId::new(
            format!("decode /api/tags ({} KiB)", body.len() / 1024),
            10_000,
        ),
        |b| b.iter(|| black_box(decode_tags(black_box(&body)))),
    );
    g.finish();
}

criterion_group!(benches, bench_frame, bench_update, bench_decode);
criterion_main!(benches);
