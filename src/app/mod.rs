//! The dashboard's state machine: state, messages, effects and the pure `update`.

pub mod derive;
pub mod log;
pub mod msg;
pub mod state;
pub mod update;

mod actions;
mod data;
mod done;
mod input;
mod keeper;
mod ops;

pub use data::note_error;
pub use msg::{Effect, Msg};
pub use state::State;
pub use update::{start, update};
