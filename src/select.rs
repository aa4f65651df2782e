//! Picking the best model for a task.

use crate::config::Config;
use crate::fit::Verdict;
use crate::memory::MemorySnapshot;
use crate::ollama::{ModelEntry, RunningModel};

/// What the user wants a model for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Task {
    #[default]
    General,
    Code,
    Debug,
    Embedding,
}

impl Task {
    pub const ALL: [Task; 4] = [Task::General, Task::Code, Task::Debug, Task::Embedding];

    pub fn as_str(self) -> &'static str {
        match self {
            Task::General => "general",
            Task::Code => "code",
            Task::Debug => "debug",
            Task::Embedding => "embedding",
        }
    }

    /// The next task in the cycle (`t` in the dashboard).
    pub fn next(self) -> Task {
        match self {
            Task::General => Task::Code,
            Task::Code => Task::Debug,
            Task::Debug => Task::Embedding,
            Task::Embedding => Task::General,
        }
    }
}

impl std::str::FromStr for Task {
    type Err = String;
    fn from_str(s: &str) -> Result<Task, String> {
        match s.to_ascii_lowercase().as_str() {
            "general" | "chat" => Ok(Task::General),
            "code" | "code_generation" | "coding" => Ok(Task::Code),
            "debug" | "debugging" => Ok(Task::Debug),
            "embedding" | "embed" | "embeddings" => Ok(Task::Embedding),
            other => Err(format!(
                "unknown task {other:?}: use general, code, debug or embedding"
            )),
        }
    }
}

/// One installed model as the selector sees it.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    pub entry: &'a ModelEntry,
    /// Bytes it needs (see `fit::need`).
    pub need: u64,
    /// From `/api/show` (or `/api/tags` on ≥ 0.30); empty when unknown.
    pub capabilities: &'a [String],
}

/// The selector's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pick {
    pub model: String,
    pub verdict: Verdict,
    /// One line, e.g. "llama3.1:8b needs 6.1 GB, 3.9 GB free → phi3:mini".
    pub reason: String,
}

/// Nothing suitable fits; says why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoPick {
    pub reason: String,
}

/// The seed's hierarchy: (1) a loaded suitable model wins; (2) code tasks prefer code
/// models, else general families in configured order; (3) what does not fit is
/// dropped; (4) fall back to a smaller quantization of the same model, then smaller
/// sizes of the same family, then smaller families.
pub fn select_best_model(
    task: Task,
    models: &[Candidate<'_>],
    memory: &MemorySnapshot,
    loaded: &[RunningModel],
    pins: &[String],
    config: &Config,
) -> Result<Pick, NoPick> {
    let _ = (task, models, memory, loaded, pins, config);
    Err(NoPick {
        reason: "selection is not implemented yet".into(),
    })
}
