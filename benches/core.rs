//! Figures for the pure core: `fit::verdict` and `select_best_model` over 300
//! installed models, with three models loaded; and for the dashboard's hot paths with
//! the same models: a whole frame drawn at 120×40, and `update` for the messages that
//! arrive while idle (an unchanged /api/ps poll, an unchanged memory reading).

mod shared;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use model_orchestrator::config::Config;
use model_orchestrator::fit;
use model_orchestrator::ollama::{ModelEntry, RunningModel};
use model_orchestrator::select::{Candidate, Task, select_best_model};
use shared::memory;

const FAMILIES: [(&str, &str); 8] = [
    ("llama3.1", "llama"),
    ("mistral", "llama"),
    ("qwen2.5", "qwen2"),
    ("qwen2.5-coder", "qwen2"),
    ("gemma3", "gemma3"),
    ("phi3", "phi3"),
    ("deepseek-r1", "qwen2"),
    ("nomic-embed-text", "nomic-bert"),
];
const SIZES: [(&str, f64); 5] = [
    ("1b", 1.0),
    ("3b", 3.0),
    ("8b", 8.0),
    ("14b", 14.0),
    ("32b", 32.0),
];
const QUANTS: [(&str, f64); 3] = [("q4_K_M", 0.6), ("q8_0", 1.1), ("fp16", 2.0)];

/// 300 models: 8 families × 5 sizes × 3 quantizations, then numbered variants.
fn models() -> Vec<ModelEntry> {
    let mut out = Vec::with_capacity(300);
    for i in 0..300usize {
        let (base, family) = FAMILIES[i % FAMILIES.len()];
        let (size, params) = SIZES[(i / FAMILIES.len()) % SIZES.len()];
        let (quant, bytes_per_param) = QUANTS[(i / 40) % QUANTS.len()];
        let mut e = ModelEntry {
            name: format!("{base}:{size}-v{}-{quant}", i / 120),
            size: (params * bytes_per_param * 1e9) as u64,
            ..ModelEntry::default()
        };
        e.details.family = family.into();
        e.details.families = Some(vec![family.into()]);
        e.details.parameter_size = format!("{params}B");
        e.details.quantization_level = quant.to_uppercase();
        e.capabilities = if family == "nomic-bert" {
            vec!["embedding".into()]
        } else {
            vec!["completion".into(), "tools".into()]
        };
        out.push(e);
    }
    out
}

fn loaded(models: &[ModelEntry]) -> Vec<RunningModel> {
    [7usize, 100, 201]
        .iter()
        .map(|&i| RunningModel {
            name: models[i].name.clone(),
            size: models[i].size + 500_000_000,
            ..RunningModel::default()
        })
        .collect()
}

fn bench_verdict(c: &mut Criterion) {
    let models = models();
    let (mem, config) = (memory(), Config::default());
    let loaded = loaded(&models);
    let server = fit::Server::new(Some("0.12.6"), fit::ServerSettings::default());
    let scene = fit::Scene::new(&server, Some(&mem), &loaded, &config);
    c.bench_function("fit::Scene::judge × 300 models (0.12.6, 3 loaded)", |b| {
        b.iter(|| {
            for m in &models {
                let model = fit::Model {
                    entry: m,
                    arch: None,
                    embedding_only: false,
                };
                black_box(scene.judge(model));
            }
        })
    });
}

fn candidates<'a>(models: &'a [ModelEntry], judged: &'a [fit::Judgement]) -> Vec<Candidate<'a>> {
    models
        .iter()
        .zip(judged)
        .map(|(e, j)| Candidate {
            entry: e,
            need: j.need.bytes,
            verdict: &j.verdict,
            capabilities: &[],
        })
        .collect()
}

fn bench_select(c: &mut Criterion) {
    let models = models();
    let (mem, config) = (memory(), Config::default());
    let none: [RunningModel; 0] = [];
    let loaded = loaded(&models);
    let server = fit::Server::new(Some("0.12.6"), fit::ServerSettings::default());
    let judge_all = |running: &[RunningModel]| -> Vec<fit::Judgement> {
        let scene = fit::Scene::new(&server, Some(&mem), running, &config);
        models
            .iter()
            .map(|m| {
                scene.judge(fit::Model {
                    entry: m,
                    arch: None,
                    embedding_only: false,
                })
            })
            .collect()
    };
    let (alone, beside) = (judge_all(&none), judge_all(&loaded));
    let (fallback, three) = (candidates(&models, &alone), candidates(&models, &beside));
    c.bench_function("select_best_model × 300 models (fallback)", |b| {
        b.iter(|| black_box(select_best_model(Task::Code, &fallback, &mem, &[], &config)))
    });
    c.bench_function("select_best_model × 300 models (3 loaded)", |b| {
        b.iter(|| black_box(select_best_model(Task::General, &three, &mem, &[], &config)))
    });
}

/// A dashboard state holding the 300 models, three of them loaded.
fn dashboard_state(models: &[ModelEntry]) -> model_orchestrator::app::State {
    use model_orchestrator::app::{self, Msg};
    let now = jiff::Timestamp::now();
    let mut state = app::State::new(Config::default(), "127.0.0.1:11434".into(), now);
    app::start(&mut state);
    for msg in [
        Msg::Resize(120, 40),
        Msg::Version(Ok("0.12.6".into())),
        Msg::Tags(Ok(models.to_vec())),
        Msg::Ps(Ok(loaded(models))),
        Msg::Memory(memory()),
    ] {
        app::update(&mut state, msg);
    }
    state
}

fn bench_dashboard(c: &mut Criterion) {
    use model_orchestrator::app::{self, Msg};
    let models = models();
    let mut state = dashboard_state(&models);
    let backend = ratatui::backend::TestBackend::new(120, 40);
    let mut terminal = match ratatui::Terminal::new(backend) {
        Ok(t) => t,
        Err(e) => panic!("test backend: {e}"),
    };
    c.bench_function("draw a whole frame, 120×40, 300 models", |b| {
        b.iter(|| {
            // A cleared buffer each time: the full cost, not ratatui's diff.
            terminal.clear().ok();
            terminal
                .draw(|f| model_orchestrator::ui::draw(f, black_box(&state)))
                .ok();
        })
    });
    let ps = loaded(&models);
    c.bench_function("update: unchanged /api/ps poll, 300 models", |b| {
        b.iter(|| black_box(app::update(&mut state, Msg::Ps(Ok(ps.clone())))))
    });
    c.bench_function("update: unchanged memory reading, 300 models", |b| {
        b.iter(|| black_box(app::update(&mut state, Msg::Memory(memory()))))
    });
}

criterion_group!(benches, bench_verdict, bench_select, bench_dashboard);
criterion_main!(benches);
