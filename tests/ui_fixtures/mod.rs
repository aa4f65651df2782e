//! Shared test fixtures: a fixed clock, models, loaded models and memory.
#![allow(dead_code)]

use jiff::Timestamp;
use model_orchestrator::app::msg::OpId;
use model_orchestrator::app::{self, Effect, Msg, Request, State};
use model_orchestrator::config::Config;
use model_orchestrator::memory::{GpuMemory, MemorySnapshot};
use model_orchestrator::ollama::{ModelEntry, OllamaError, RunningModel, ShowResponse};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::json;

pub const GB: u64 = 1_000_000_000;

/// 2025-07-11 12:00:00 UTC: every test sees the same clock.
pub fn t0() -> Timestamp {
    Timestamp::from_second(1_752_235_200).expect("valid time")
}

pub fn at(secs: i64) -> Timestamp {
    Timestamp::from_second(t0().as_second() + secs).expect("valid time")
}

pub fn rfc3339(t: Timestamp) -> String {
    t.to_string()
}

pub fn entry(name: &str, size_gb: f64, params: &str, quant: &str, family: &str) -> ModelEntry {
    let digest = format!(
        "{:0>64}",
        name.len() * 7919 + name.bytes().map(u64::from).sum::<u64>() as usize
    );
    serde_json::from_value(json!({
        "name": name, "model": name,
        "modified_at": "2025-07-01T10:00:00Z",
        "size": (size_gb * GB as f64) as u64,
        "digest": digest,
        "details": {"format": "gguf", "family": family, "families": [family],
                    "parameter_size": params, "quantization_level": quant}
    }))
    .expect("valid model entry")
}

pub fn running(name: &str, size_gb: f64, vram_gb: f64, expires: Option<Timestamp>) -> RunningModel {
    let expires = expires.map_or("2318-03-04T10:00:00Z".to_string(), rfc3339);
    serde_json::from_value(json!({
        "name": name, "model": name,
        "size": (size_gb * GB as f64) as u64,
        "size_vram": (vram_gb * GB as f64) as u64,
        "digest": "",
        "expires_at": expires,
        "context_length": 4096
    }))
    .expect("valid running model")
}

pub fn show(family: &str, layers: u64, ctx: u64) -> ShowResponse {
    serde_json::from_value(json!({
        "details": {"family": family, "parameter_size": "8.0B", "quantization_level": "Q4_K_M"},
        "model_info": {
            "general.architecture": family,
            format!("{family}.block_count"): layers,
            format!("{family}.context_length"): ctx,
            format!("{family}.embedding_length"): 4096,
            format!("{family}.attention.head_count"): 32,
            format!("{family}.attention.head_count_kv"): 8
        },
        "capabilities": ["completion", "tools"]
    }))
    .expect("valid show response")
}

pub fn memory(ram_total: f64, ram_used: f64, gpus: &[(f64, f64)]) -> MemorySnapshot {
    MemorySnapshot {
        ram_total: (ram_total * GB as f64) as u64,
        ram_used: (ram_used * GB as f64) as u64,
        ram_available: ((ram_total - ram_used) * GB as f64) as u64,
        swap_total: 8 * GB,
        swap_used: GB / 2,
        gpus: gpus
            .iter()
            .map(|(total, used)| GpuMemory {
                name: "NVIDIA GeForce RTX 4090".into(),
                total: (total * GB as f64) as u64,
                used: (used * GB as f64) as u64,
            })
            .collect(),
    }
}

pub fn new_state(config: Config) -> State {
    let mut s = State::new(config, "127.0.0.1:11434".into(), t0());
    s.color = false;
    s
}

/// Feeds messages at the fixed clock; returns the effects of the last one.
pub fn feed(state: &mut State, msgs: Vec<Msg>) -> Vec<Effect> {
    let mut last = Vec::new();
    for m in msgs {
        last = update(state, m);
    }
    last
}

pub fn typical_models() -> Vec<ModelEntry> {
    vec![
        entry("llama3.1:8b", 4.9, "8.0B", "Q4_K_M", "llama"),
        entry("llama3.1:70b", 42.5, "70.6B", "Q4_K_M", "llama"),
        entry("mistral:7b", 4.1, "7.2B", "Q4_0", "llama"),
        entry("qwen2.5-coder:7b", 4.7, "7.6B", "Q4_K_M", "qwen2"),
        entry("phi3:mini", 2.2, "3.8B", "Q4_0", "phi3"),
        entry("nomic-embed-text:latest", 0.27, "137M", "F16", "nomic-bert"),
        entry(
            "hf.co/bartowski/Ministral-8B-Instruct-2410-GGUF:IQ4_XS",
            4.4,
            "8.0B",
            "IQ4_XS",
            "llama",
        ),
    ]
}

/// Connected to a server with the typical models, one loaded, memory read.
pub fn connected(config: Config, models: Vec<ModelEntry>, loaded: Vec<RunningModel>) -> State {
    let mut s = new_state(config);
    feed(
        &mut s,
        vec![
            Msg::Resize(80, 24),
            Msg::Memory(memory(32.0, 14.0, &[(24.0, 6.0)])),
            Msg::Version(Ok("0.10.1".into())),
            Msg::Tags(Ok(models)),
            Msg::Ps(Ok(loaded)),
        ],
    );
    s
}

pub fn screen(state: &mut State, w: u16, h: u16) -> Terminal<TestBackend> {
    app::update(state, Msg::Resize(w, h));
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
    t.draw(|f| model_orchestrator::ui::draw(f, state))
        .expect("draw");
    t
}

/// `app::update` with the operation ids of its effects set to 0, so tests can
/// compare effects with the fixtures below.
pub fn update(state: &mut State, msg: Msg) -> Vec<Effect> {
    anon(app::update(state, msg))
}

pub fn anon(fx: Vec<Effect>) -> Vec<Effect> {
    fx.into_iter()
        .map(|f| match f {
            Effect::Start { request, .. } => Effect::Start {
                id: OpId(0),
                request,
            },
            Effect::Cancel { .. } => Effect::Cancel { id: OpId(0) },
            other => other,
        })
        .collect()
}

/// Ends the (first) operation on `model` with `reply`, as the runtime would.
pub fn finish(state: &mut State, model: &str, reply: Result<(), OllamaError>) -> Vec<Effect> {
    let id = state
        .ops
        .iter()
        .find(|o| model_orchestrator::names::same_model(&o.model, model))
        .map(|o| o.id)
        .unwrap_or_else(|| panic!("no operation on {model}: {:?}", state.ops));
    update(state, Msg::OpDone { id, reply })
}

/// A plain load (generate route) with this keep-alive; `None`: none sent.
pub fn load_fx(model: &str, keep_alive: Option<model_orchestrator::duration::KeepAlive>) -> Effect {
    Effect::Start {
        id: OpId(0),
        request: Request::Load {
            model: model.into(),
            spec: model_orchestrator::ollama::LoadSpec {
                embedding: false,
                keep_alive,
                num_ctx: None,
            },
        },
    }
}

/// A pin: a load with keep-alive forever.
pub fn pin_fx(model: &str) -> Effect {
    load_fx(
        model,
        Some(model_orchestrator::duration::KeepAlive::Forever),
    )
}

pub fn unload_fx(model: &str) -> Effect {
    Effect::Start {
        id: OpId(0),
        request: Request::Unload {
            model: model.into(),
            embedding: false,
        },
    }
}

/// The question the dashboard asks now, or "".
pub fn confirm_text(state: &State) -> String {
    match &state.modal {
        Some(model_orchestrator::app::state::Modal::Confirm(c)) => c.text.clone(),
        _ => String::new(),
    }
}
