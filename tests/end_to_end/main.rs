//! The real binary as a process: its commands against a stand-in, and the
//! dashboard in tmux, typed into with send-keys and read with capture-pane.

#[path = "../pins_support/mod.rs"]
mod pins_support;
#[path = "../support/mod.rs"]
mod support;

mod cli_commands;
mod cli_headless;
mod cli_manage;
mod e2e_dashboard;
mod e2e_manage;
mod pins_headless;
