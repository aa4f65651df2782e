//! Model Orchestrator: a terminal dashboard for local LLMs served by Ollama.
//!
//! The library holds everything the binary uses so integration tests can reach it.

pub mod aliases;
pub mod app;
pub mod cli;
pub mod commands;
pub mod config;
pub mod dashboard;
pub mod duration;
pub mod fit;
pub mod format;
pub mod headless;
pub mod host;
pub mod inventory;
pub mod keepalive;
pub mod keymap;
pub mod kind;
pub mod logging;
pub mod memory;
pub mod names;
pub mod ollama;
pub mod pins;
pub mod report;
pub mod sanitize;
pub mod select;
pub mod server_env;
pub mod show_cache;
pub mod sim;
pub mod ui;
