//! The wire types against JSON shaped like what real Ollama servers send, from 0.1.38
//! to today (see the fixtures), asserted field by field.

use jiff::Timestamp;
use model_orchestrator::ollama::types::{
    GenerateResponse, PsResponse, PullLine, ShowResponse, TagsResponse,
};
use model_orchestrator::ollama::{Expiry, PullEvent};

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).expect("fixture exists")
}

fn ts(s: &str) -> Timestamp {
    s.parse().expect("valid timestamp")
}

#[test]
fn tags_from_0_30_with_capabilities_and_context() {
    let t: TagsResponse = serde_json::from_str(&fixture("tags-0.30.json")).expect("decodes");
    assert_eq!(t.models.len(), 2);
    let m = &t.models[0];
    assert_eq!(m.name, "qwen2.5-coder:7b");
    assert_eq!(m.model, "qwen2.5-coder:7b");
    assert_eq!(m.size, 4_683_087_332);
    assert_eq!(m.digest.len(), 64);
    assert_eq!(m.modified_at, Some(ts("2026-10-02T07:15:31.123456789Z")));
    assert_eq!(m.details.family, "qwen2");
    assert_eq!(m.details.families, Some(vec!["qwen2".to_string()]));
    assert_eq!(m.details.parameter_size, "7.6B");
    assert_eq!(m.details.quantization_level, "Q4_K_M");
    assert_eq!(m.details.context_length, Some(32768));
    assert_eq!(m.details.embedding_length, Some(3584));
    assert_eq!(m.capabilities, ["completion", "tools", "insert"]);
    assert!(!m.is_remote());
    let e = &t.models[1];
    assert_eq!(e.details.family, "nomic-bert");
    assert_eq!(e.capabilities, ["embedding"]);
}

#[test]
fn tags_from_0_1_38_with_null_families_and_zero_expiry() {
    let t: TagsResponse = serde_json::from_str(&fixture("tags-0.1.38.json")).expect("decodes");
    let m = &t.models[0];
    assert_eq!(m.name, "codellama:7b");
    assert_eq!(m.details.families, None);
    assert_eq!(m.details.quantization_level, "Q4_0");
    assert_eq!(m.details.context_length, None);
    assert!(m.capabilities.is_empty());
    assert_eq!(m.modified_at, Some(ts("2024-05-20T17:11:12.5Z")));
}

#[test]
fn tags_with_hf_names_unknown_quantization_and_short_digests() {
    let t: TagsResponse = serde_json::from_str(&fixture("tags-hf.json")).expect("decodes");
    let hf = &t.models[0];
    assert_eq!(
        hf.name,
        "hf.co/bartowski/Ministral-8B-Instruct-2410-GGUF:IQ4_XS"
    );
    assert_eq!(hf.details.quantization_level, "unknown");
    assert_eq!(hf.digest, "bcbfe32e5762");
    let file = &t.models[1];
    assert_eq!(file.name, "google_gemma-3-27b-it-IQ4_XS.gguf:latest");
    assert_eq!(file.details.parameter_size, "");
    assert_eq!(file.details.quantization_level, "");
    assert_eq!(file.modified_at, Some(ts("2025-03-14T02:30:00Z")));
}

#[test]
fn cloud_stubs_are_recognised() {
    let t: TagsResponse = serde_json::from_str(&fixture("tags-cloud.json")).expect("decodes");
    let m = &t.models[0];
    assert!(m.is_remote());
    assert_eq!(m.remote_model.as_deref(), Some("gpt-oss:120b"));
    assert_eq!(m.details.format, "");
    assert_eq!(m.details.families, None);
}

#[test]
fn empty_lists() {
    let t: TagsResponse = serde_json::from_str(&fixture("tags-empty.json")).expect("decodes");
    assert!(t.models.is_empty());
    let p: PsResponse = serde_json::from_str(&fixture("ps-empty.json")).expect("decodes");
    assert!(p.models.is_empty());
    let p: PsResponse = serde_json::from_str(r#"{"models":null}"#).expect("decodes");
    assert!(p.models.is_empty());
}

#[test]
fn ps_current_with_pinned_year_2318_and_split() {
    let p: PsResponse = serde_json::from_str(&fixture("ps-0.33.json")).expect("decodes");
    let now = ts("2026-11-27T22:00:00Z");
    let pinned = &p.models[0];
    assert_eq!(pinned.name, "llama3.1:8b");
    assert_eq!(pinned.size, 6_654_289_920);
    assert_eq!(pinned.size_vram, Some(6_654_289_920));
    assert_eq!(pinned.context_length, Some(4096));
    assert_eq!(pinned.expiry(now), Expiry::Forever);
    assert_eq!(pinned.processor(), "100% GPU");
    let split = &p.models[1];
    assert_eq!(split.processor(), "11%/89% CPU/GPU");
    assert_eq!(split.expiry(now), Expiry::At(ts("2026-11-27T22:04:00.5Z")));
    assert_eq!(split.expiry(ts("2026-11-27T22:05:00Z")), Expiry::Stopping);
}

#[test]
fn ps_0_1_38_without_size_vram() {
    let p: PsResponse = serde_json::from_str(&fixture("ps-0.1.38.json")).expect("decodes");
    let m = &p.models[0];
    assert_eq!(m.size_vram, None);
    assert_eq!(m.vram(), 0);
    assert_eq!(m.processor(), "100% CPU");
    assert_eq!(m.context_length, None);
    assert_eq!(m.expires_at, Some(ts("2024-06-01T10:05:00.123Z")));
}

#[test]
fn ps_before_0_10_without_context_length() {
    let p: PsResponse = serde_json::from_str(&fixture("ps-0.9.json")).expect("decodes");
    let m = &p.models[0];
    assert_eq!(m.size_vram, Some(0));
    assert_eq!(m.context_length, None);
    assert_eq!(m.details.quantization_level, "Q4_0");
}

#[test]
fn show_with_model_info_gives_the_architecture() {
    let s: ShowResponse = serde_json::from_str(&fixture("show-llama3.1.json")).expect("decodes");
    let a = s.architecture();
    assert_eq!(a.name, "llama");
    assert_eq!(a.parameter_count, Some(8_030_261_248));
    assert_eq!(a.block_count, Some(32));
    assert_eq!(a.context_length, Some(131_072));
    assert_eq!(a.embedding_length, Some(4096));
    assert_eq!(a.head_count, Some(32));
    assert_eq!(a.head_count_kv, vec![8]);
    assert_eq!(s.capabilities, ["completion", "tools"]);
    assert!(s.parameters.contains("<|eot_id|>"));
}

#[test]
fn show_with_per_layer_head_counts() {
    let s: ShowResponse = serde_json::from_str(&fixture("show-openelm.json")).expect("decodes");
    let a = s.architecture();
    assert_eq!(a.head_count, Some(16));
    assert_eq!(a.head_count_kv, vec![2, 2, 4, 4]);
    assert_eq!(a.key_length, Some(64));
}

#[test]
fn show_from_an_old_server_without_model_info() {
    let s: ShowResponse = serde_json::from_str(&fixture("show-old.json")).expect("decodes");
    let a = s.architecture();
    assert_eq!(a.name, "llama");
    assert_eq!(a.block_count, None);
    assert!(s.capabilities.is_empty());
}

#[test]
fn generate_load_and_unload_replies() {
    let g: GenerateResponse =
        serde_json::from_str(&fixture("generate-load.json")).expect("decodes");
    assert_eq!(g.model, "llama3.2");
    assert!(g.done);
    assert_eq!(g.done_reason.as_deref(), Some("load"));
    let g: GenerateResponse =
        serde_json::from_str(&fixture("generate-load-0.1.30.json")).expect("decodes");
    assert_eq!(g.done_reason, None);
    let g: GenerateResponse =
        serde_json::from_str(&fixture("generate-unload.json")).expect("decodes");
    assert_eq!(g.done_reason.as_deref(), Some("unload"));
}

#[test]
fn pull_lines_become_typed_events() {
    let events: Vec<PullEvent> = fixture("pull.ndjson")
        .lines()
        .map(|l| {
            serde_json::from_str::<PullLine>(l)
                .expect("decodes")
                .into_event()
                .expect("no error line")
        })
        .collect();
    assert_eq!(events[0], PullEvent::Status("pulling manifest".into()));
    assert_eq!(
        events[1],
        PullEvent::Layer {
            status: "pulling 6a0746a1ec1a".into(),
            digest: "sha256:6a0746a1ec1aef3e7ec53868f220ff6e389f6f8ef87a01d77c96807de94ca2aa"
                .into(),
            total: 4_661_211_424,
            completed: 0,
        }
    );
    assert!(matches!(
        events[2],
        PullEvent::Layer {
            completed: 1_048_576,
            ..
        }
    ));
    assert_eq!(events.last(), Some(&PullEvent::Success));
    let err: PullLine =
        serde_json::from_str(r#"{"error":"pull model manifest: file does not exist"}"#)
            .expect("decodes");
    assert_eq!(
        err.into_event(),
        Err("pull model manifest: file does not exist".to_string())
    );
}
