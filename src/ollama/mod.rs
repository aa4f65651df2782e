//! The Ollama HTTP API: client, wire types and errors.

pub mod client;
pub mod error;
pub mod route;
pub mod types;
pub mod wire;

pub use client::Client;
pub use error::OllamaError;
pub use route::{LoadSpec, Route};
pub use types::{
    Architecture, Expiry, GenerateResponse, ModelDetails, ModelEntry, PullEvent, RunningModel,
    ShowResponse,
};
