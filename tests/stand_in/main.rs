//! Tests against the stand-in Ollama (`sim`) started in this process and reached
//! over loopback: the client's contract, the stand-in's own rules per version, its
//! faults, the keeper against it, and every verdict checked against where the
//! stand-in really puts each model.

#[path = "../offline/faults/common.rs"]
mod faults_common;
#[path = "../pins_support/mod.rs"]
mod pins_support;
#[path = "../sim_support/mod.rs"]
mod sim_support;
#[path = "../ui_fixtures/mod.rs"]
mod ui_fixtures;

mod contract_client;
mod faults_client;
mod pins_keeper;
mod sim_faults;
mod sim_pull;
mod sim_scheduling;
mod sim_server;
mod sim_versions;
mod verdict_grid;
