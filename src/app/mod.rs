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
pub mod loaded_rows;
mod memory;
mod ops;
mod ps_news;
mod types;

pub use conn::note_error;
pub use msg::{Effect, Msg};
pub use state::State;
pub use update::{settle, start, update};
