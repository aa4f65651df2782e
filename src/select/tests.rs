use super::*;
use crate::fit::{Evict, Landing};
use crate::memory::GpuMemory;
use crate::ollama::RunningModel;

const G: f64 = 1e9;

/// (name, parameter_size, family, need in GB, capabilities)
type Spec = (
    &'static str,
    &'static str,
    &'static str,
    f64,
    &'static [&'static str],
);

const CHAT: &[&str] = &["completion", "tools"];
const EMBED: &[&str] = &["embedding"];

const LIBRARY: &[Spec] = &[
    ("llama3.1:8b-instruct-q8_0", "8.0B", "llama", 8.5, CHAT),
    ("llama3.1:8b", "8.0B", "llama", 4.9, CHAT),
    ("llama3.2:3b", "3.2B", "llama", 2.0, CHAT),
    ("mistral:7b", "7.2B", "llama", 4.1, CHAT),
    ("gemma3:12b", "12.2B", "gemma3", 8.1, CHAT),
    ("phi3:mini", "3.8B", "phi3", 2.2, CHAT),
    ("qwen2.5-coder:32b", "32.8B", "qwen2", 19.9, CHAT),
    ("qwen2.5-coder:7b", "7.6B", "qwen2", 4.7, CHAT),
    ("qwen2.5-coder:1.5b", "1.5B", "qwen2", 1.0, CHAT),
    ("nomic-embed-text:latest", "137M", "nomic-bert", 0.27, EMBED),
    ("mxbai-embed-large:latest", "334M", "bert", 0.67, &[]),
    ("granite-retriever:30m", "30M", "granite", 0.06, EMBED),
];

fn entries(specs: &[Spec]) -> Vec<ModelEntry> {
    specs
        .iter()
        .map(|&(name, params, family, need, caps)| {
            let mut e = ModelEntry {
                name: name.into(),
                size: (need * G) as u64,
                capabilities: caps.iter().map(|c| c.to_string()).collect(),
                ..ModelEntry::default()
            };
            e.details.parameter_size = params.into();
            e.details.family = family.into();
            e.details.families = Some(vec![family.into()]);
            e
        })
        .collect()
}

/// Verdicts as the fit rules hand them to the selector, for ranking tests: a
/// stand-in for `fit::Scene` (which has its own tests) with a simple memory rule;
/// the smallest loaded models are evicted first.
fn judged(
    entries: &[ModelEntry],
    memory: &MemorySnapshot,
    loaded: &[RunningModel],
) -> Vec<Verdict> {
    entries
        .iter()
        .map(|e| {
            if e.is_remote() {
                return Verdict::Remote;
            }
            if loaded.iter().any(|r| same_model(&r.name, &e.name)) {
                return Verdict::Loaded;
            }
            if !memory.gpus.is_empty() && e.size <= memory.vram_free() {
                return Verdict::Fits(Landing::Gpu);
            }
            let mut free = memory.ram_available + memory.vram_free();
            if e.size + 2_000_000_000 <= free {
                return Verdict::Fits(Landing::Cpu);
            }
            let mut by_size: Vec<&RunningModel> = loaded.iter().collect();
            by_size.sort_by_key(|r| r.size);
            let mut unload = Vec::new();
            for r in by_size {
                free += r.size;
                unload.push(r.name.clone());
                if e.size + 2_000_000_000 <= free {
                    return Verdict::FitsIfUnloaded {
                        unload,
                        why: Evict::Memory,
                        landing: Landing::Cpu,
                    };
                }
            }
            Verdict::NoFit {
                short_by: e.size + 2_000_000_000 - free,
            }
        })
        .collect()
}

fn candidates<'a>(entries: &'a [ModelEntry], verdicts: &'a [Verdict]) -> Vec<Candidate<'a>> {
    entries
        .iter()
        .zip(verdicts)
        .map(|(e, v)| Candidate {
            entry: e,
            need: e.size,
            verdict: v,
            capabilities: &[],
        })
        .collect()
}

fn only(names: &[&str]) -> Vec<Spec> {
    LIBRARY
        .iter()
        .copied()
        .filter(|s| names.contains(&s.0))
        .collect()
}

fn running(name: &str, gb: f64) -> RunningModel {
    RunningModel {
        name: name.into(),
        size: (gb * G) as u64,
        ..RunningModel::default()
    }
}

/// RAM available in GB, free VRAM in GB (None: no GPU).
fn mem(ram: f64, vram: Option<f64>) -> MemorySnapshot {
    MemorySnapshot {
        ram_total: 64_000_000_000,
        ram_available: (ram * G) as u64,
        gpus: vram
            .map(|v| GpuMemory {
                name: "gpu".into(),
                total: 24_000_000_000,
                used: 24_000_000_000 - (v * G) as u64,
            })
            .into_iter()
            .collect(),
        ..MemorySnapshot::default()
    }
}

struct Case {
    what: &'static str,
    task: Task,
    models: Vec<Spec>,
    loaded: Vec<RunningModel>,
    memory: MemorySnapshot,
    /// Ok(model, part of the reason) or Err(part of the reason).
    want: Result<(&'static str, &'static str), &'static str>,
}

fn run(case: &Case) -> Result<Pick, NoPick> {
    let entries = entries(&case.models);
    let verdicts = judged(&entries, &case.memory, &case.loaded);
    let cands = candidates(&entries, &verdicts);
    let config = Config::default(); // 2 GB buffer
    select_best_model(case.task, &cands, &case.memory, &[], &config)
}

fn check(case: &Case) {
    let got = run(case);
    match (&case.want, &got) {
        (Ok((model, reason)), Ok(p)) => {
            assert_eq!(p.model, *model, "{}: {p:?}", case.what);
            assert!(p.reason.contains(reason), "{}: {:?}", case.what, p.reason);
            assert!(p.verdict.fits_now(), "{}: {p:?}", case.what);
        }
        (Err(reason), Err(n)) => {
            assert!(n.reason.contains(reason), "{}: {:?}", case.what, n.reason)
        }
        _ => panic!("{}: wanted {:?}, got {got:?}", case.what, case.want),
    }
}

fn case(what: &'static str, task: Task, ram: f64) -> Case {
    Case {
        what,
        task,
        models: LIBRARY.to_vec(),
        loaded: Vec::new(),
        memory: mem(ram, None),
        want: Err("unset"),
    }
}

#[test]
fn hierarchy_rungs() {
    let cases = [
        Case {
            loaded: vec![running("phi3:mini", 2.5)],
            want: Ok(("phi3:mini", "phi3:mini is already loaded")),
            ..case(
                "a loaded suitable model wins over better ones",
                Task::General,
                64.0,
            )
        },
        Case {
            loaded: vec![running("phi3:mini", 2.5), running("Mistral:7B", 4.5)],
            want: Ok(("mistral:7b", "already loaded")),
            ..case("of several loaded, the best ranked", Task::General, 64.0)
        },
        Case {
            loaded: vec![running("llama3.1:8b", 5.5)],
            want: Ok(("qwen2.5-coder:32b", "best code model that fits")),
            ..case(
                "a loaded chat model does not beat a code model that fits",
                Task::Code,
                64.0,
            )
        },
        Case {
            models: only(&["llama3.1:8b", "qwen2.5-coder:32b"]),
            loaded: vec![running("llama3.1:8b", 5.5)],
            want: Ok(("llama3.1:8b", "llama3.1:8b is already loaded")),
            ..case("but it wins when no code model fits", Task::Code, 8.0)
        },
        Case {
            loaded: vec![running("qwen2.5-coder:7b", 5.0)],
            want: Ok(("qwen2.5-coder:7b", "already loaded")),
            ..case("a loaded code model wins for code", Task::Code, 64.0)
        },
        Case {
            loaded: vec![running("nomic-embed-text:latest", 0.3)],
            want: Ok(("llama3.1:8b-instruct-q8_0", "best general model")),
            ..case(
                "a loaded embedder does not win a chat task",
                Task::General,
                64.0,
            )
        },
        Case {
            want: Ok((
                "qwen2.5-coder:32b",
                "best code model that fits: qwen2.5-coder:32b (needs 19.9 GB of 64.0 GB free)",
            )),
            ..case("code prefers code models, biggest first", Task::Code, 64.0)
        },
        Case {
            want: Ok(("qwen2.5-coder:32b", "best debug model")),
            ..case("debug prefers code models too", Task::Debug, 64.0)
        },
        Case {
            want: Ok(("llama3.1:8b-instruct-q8_0", "best general model")),
            ..case(
                "general: first family, not the biggest model",
                Task::General,
                64.0,
            )
        },
        Case {
            want: Ok((
                "llama3.1:8b",
                "llama3.1:8b-instruct-q8_0 needs 8.5 GB (+2.0 GB buffer), 8.0 GB free → llama3.1:8b (smaller quantization)",
            )),
            ..case("smaller quantization of the same model", Task::General, 8.0)
        },
        Case {
            want: Ok(("llama3.2:3b", "→ llama3.2:3b (smaller model)")),
            ..case("smaller size of the same family", Task::General, 6.0)
        },
        Case {
            models: only(&["llama3.1:8b", "mistral:7b", "phi3:mini", "gemma3:12b"]),
            want: Ok((
                "mistral:7b",
                "llama3.1:8b needs 4.9 GB (+2.0 GB buffer), 6.5 GB free → mistral:7b",
            )),
            ..case("next family in preference order", Task::General, 6.5)
        },
        Case {
            models: only(&["llama3.1:8b", "mistral:7b", "phi3:mini", "gemma3:12b"]),
            want: Ok(("phi3:mini", "→ phi3:mini (next preference)")),
            ..case("down to the last family", Task::General, 5.0)
        },
        Case {
            want: Ok((
                "qwen2.5-coder:7b",
                "qwen2.5-coder:32b needs 19.9 GB (+2.0 GB buffer), 10.0 GB free",
            )),
            ..case("code falls back to a smaller code model", Task::Code, 10.0)
        },
        Case {
            models: only(&["qwen2.5-coder:32b", "llama3.1:8b", "phi3:mini"]),
            want: Ok(("llama3.1:8b", "→ llama3.1:8b (next preference)")),
            ..case("code falls back to a general family", Task::Code, 10.0)
        },
        Case {
            want: Err(
                "the smallest, qwen2.5-coder:1.5b, needs 1.0 GB (+2.0 GB buffer), 2.9 GB free",
            ),
            ..case("nothing fits", Task::General, 2.9)
        },
        Case {
            memory: mem(1.0, Some(20.0)),
            want: Ok(("qwen2.5-coder:32b", "(needs 19.9 GB of 21.0 GB free)")),
            ..case("free VRAM counts without the RAM buffer", Task::Code, 1.0)
        },
    ];
    for c in &cases {
        check(c);
    }
}

#[test]
fn embedding_models_only_serve_embedding() {
    let embedders = only(&[
        "nomic-embed-text:latest",
        "mxbai-embed-large:latest",
        "granite-retriever:30m",
    ]);
    for task in [Task::General, Task::Code, Task::Debug] {
        check(&Case {
            models: embedders.clone(),
            want: Err("no installed model suits"),
            ..case("embedders never chat", task, 64.0)
        });
    }
    check(&Case {
        want: Ok(("mxbai-embed-large:latest", "best embedding model")),
        ..case(
            "embedding picks the biggest embedder",
            Task::Embedding,
            64.0,
        )
    });
    check(&Case {
        models: only(&["llama3.1:8b", "phi3:mini"]),
        want: Err("no installed model suits the embedding task"),
        ..case("chat models never embed", Task::Embedding, 64.0)
    });
}

#[test]
fn capabilities_from_show_count_when_tags_have_none() {
    let mut entries = entries(&only(&["llama3.1:8b", "phi3:mini"]));
    entries[0].capabilities.clear();
    let show_caps = vec!["embedding".to_string()];
    let verdicts = judged(&entries, &mem(64.0, None), &[]);
    let mut cands = candidates(&entries, &verdicts);
    cands[0].capabilities = &show_caps;
    let got = select_best_model(
        Task::General,
        &cands,
        &mem(64.0, None),
        &[],
        &Config::default(),
    );
    assert_eq!(got.map(|p| p.model), Ok("phi3:mini".to_string()));
}

#[test]
fn cloud_stubs_are_not_picked_for_local_tasks() {
    let mut entries = entries(&only(&["llama3.1:8b"]));
    entries[0].name = "gpt-oss:120b-cloud".into();
    entries[0].remote_host = Some("https://ollama.com:443".into());
    let verdicts = judged(&entries, &mem(64.0, None), &[]);
    let got = select_best_model(
        Task::General,
        &candidates(&entries, &verdicts),
        &mem(64.0, None),
        &[],
        &Config::default(),
    );
    assert!(got.is_err(), "{got:?}");
}

#[test]
fn ties_break_by_name_whatever_the_input_order() {
    let specs: Vec<Spec> = vec![
        ("llama3:8b", "8.0B", "llama", 4.9, CHAT),
        ("llama3.1:8b", "8.0B", "llama", 4.9, CHAT),
        ("Llama3-chatqa:8b", "8.0B", "llama", 4.9, CHAT),
    ];
    for rotation in 0..specs.len() {
        let mut s = specs.clone();
        s.rotate_left(rotation);
        check(&Case {
            models: s,
            want: Ok(("Llama3-chatqa:8b", "best general model")),
            ..case("ties by name", Task::General, 64.0)
        });
    }
}

#[test]
fn family_matches_by_name_or_details() {
    let specs: Vec<Spec> = vec![
        ("deepseek-r1:7b", "7.6B", "qwen2", 4.7, CHAT),
        (
            "hf.co/bartowski/Meta-Llama-3.1-8B-Instruct-GGUF:Q4_K_M",
            "8.0B",
            "llama",
            4.9,
            CHAT,
        ),
        ("cogito:14b", "14.8B", "other", 9.0, CHAT),
    ];
    check(&Case {
        models: specs.clone(),
        want: Ok((
            "hf.co/bartowski/Meta-Llama-3.1-8B-Instruct-GGUF:Q4_K_M",
            "best",
        )),
        ..case("llama3 by name beats qwen by family", Task::General, 64.0)
    });
    check(&Case {
        models: specs,
        want: Ok(("deepseek-r1:7b", "→ deepseek-r1:7b")),
        ..case("qwen family beats an unknown family", Task::General, 6.8)
    });
}

#[test]
fn unload_suggestions_never_name_pinned_models() {
    let entries = entries(&only(&["llama3.1:8b", "phi3:mini"]));
    let loaded = [running("gemma3:12b", 8.1), running("qwen2.5-coder:7b", 4.7)];
    let memory = mem(3.0, None);
    let verdicts = judged(&entries, &memory, &loaded);
    let cands = candidates(&entries, &verdicts);
    let config = Config {
        keep_alive_models: vec!["gemma3:12b".into()],
        ..Config::default()
    };
    let got = select_best_model(Task::General, &cands, &memory, &[], &config);
    let no = got.expect_err("nothing fits without unloading");
    let suggestion = no.unload_for.expect("unloading the coder makes room");
    assert_eq!(suggestion.model, "llama3.1:8b");
    assert_eq!(
        suggestion.verdict,
        Verdict::FitsIfUnloaded {
            unload: vec!["qwen2.5-coder:7b".into()],
            why: Evict::Memory,
            landing: Landing::Cpu,
        }
    );
    assert!(
        no.reason
            .contains("unloading qwen2.5-coder:7b makes room for llama3.1:8b")
    );
    // Pinned in the dashboard but not yet in the config: still never unloaded.
    let pins = ["qwen2.5-coder:7b".to_string()];
    let got = select_best_model(Task::General, &cands, &memory, &pins, &config);
    let no = got.expect_err("nothing fits and nothing may be unloaded");
    assert_eq!(no.unload_for, None);
    assert!(
        no.reason
            .contains("phi3:mini, needs 2.2 GB (+2.0 GB buffer), 3.0 GB free"),
        "{}",
        no.reason
    );
}

#[test]
fn reasons_are_cleaned_of_control_characters() {
    let mut entries = entries(&only(&["phi3:mini"]));
    entries[0].name = "phi3\u{1b}]0;owned\u{7}:mini".into();
    let verdicts = judged(&entries, &mem(64.0, None), &[]);
    let got = select_best_model(
        Task::General,
        &candidates(&entries, &verdicts),
        &mem(64.0, None),
        &[],
        &Config::default(),
    );
    let reason = got.map(|p| p.reason).unwrap_or_else(|n| n.reason);
    assert!(!reason.chars().any(char::is_control), "{reason:?}");
    assert!(reason.contains("phi3:mini"), "{reason}");
}
