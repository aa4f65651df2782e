//! The fault and property suite: the dashboard's update and render path under a
//! misbehaving server, hostile text, every terminal size, broken or unwritable
//! config files, and random message sequences. Each case asserts a clear message,
//! a UI that still answers keys, and nothing lost.

mod ui_fixtures;

#[path = "faults/client.rs"]
mod client;
#[path = "faults/common.rs"]
mod common;
#[path = "faults/config.rs"]
mod config;
#[path = "faults/props.rs"]
mod props;
#[path = "faults/replies.rs"]
mod replies;
#[path = "faults/sizes.rs"]
mod sizes;
