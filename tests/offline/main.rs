//! Tests that need no server and no process: decoding Ollama's replies, the
//! dashboard's `update` driven by messages, whole screens drawn into a test
//! backend, and the fault and property suite of the update and render path.

#[path = "../ui_fixtures/mod.rs"]
mod ui_fixtures;

mod contract_decode;
mod faults;
mod ui_keeper;
mod ui_manage;
mod ui_snapshots;
mod ui_update;
