//! The fault and property suite: the dashboard's update and render path under a
//! misbehaving server, hostile text, every terminal size, broken or unwritable
//! config files, and random message sequences. Each case asserts a clear message,
//! a UI that still answers keys, and nothing lost.

pub mod common;
mod config;
mod props;
mod replies;
mod sizes;
