//! The dashboard's state machine: state, messages, effects and the pure `update`.

pub mod derive;
pub mod log;
pub mod msg;
pub mod state;
pub mod update;

mod actions;
mod conn;
mod data;
mod done;
mod input;
mod keeper;
pub mod line_edit;
pub mod loaded_rows;
mod memory;
pub mod modal;
mod ops;
mod ps_news;
pub mod pull;
mod types;

pub use conn::note_error;
pub use msg::{Effect, Msg, OpEvent, Request};
pub use ops::{keep_alive_text, parse_keep_alive, pull_name};
pub use state::State;
pub use update::{settle, start, update};
