//! The rows of the Loaded pane, in the order it draws them: loaded models (next to
//! be evicted first), loads on their way, then pinned models that are not loaded.
//! The pane, the cursor and the keys all use this one list, so a key acts on the
//! row that is highlighted.

use super::state::{Op, OpKind, State};
use crate::keepalive::PinStatus;
use crate::ollama::RunningModel;

#[derive(Debug, Clone, Copy)]
pub enum LoadedRow<'a> {
    Running(&'a RunningModel),
    /// A load, pin or reload of a model not loaded yet, a pull or a delete.
    Pending(&'a Op),
    /// A pinned model that is not loaded, with what the keeper does about it.
    Pin(&'a str, &'a PinStatus),
}

impl<'a> LoadedRow<'a> {
    /// The operation this row shows, when it shows one.
    pub fn op_id(&self) -> Option<super::state::OpId> {
        match self {
            LoadedRow::Pending(op) => Some(op.id),
            _ => None,
        }
    }

    /// The model a key on this row acts on.
    pub fn model(&self) -> &'a str {
        match self {
            LoadedRow::Running(m) => &m.name,
            LoadedRow::Pending(op) => &op.model,
            LoadedRow::Pin(name, _) => name,
        }
    }
}

impl State {
    pub fn loaded_rows(&self) -> Vec<LoadedRow<'_>> {
        let mut rows: Vec<LoadedRow<'_>> = self
            .loaded_order()
            .into_iter()
            .map(LoadedRow::Running)
            .collect();
        let pending = self.ops.iter().filter(|o| o.kind != OpKind::Unload);
        // A pull shows even for a loaded model (pulling a newer version of it).
        for op in pending.filter(|o| o.kind == OpKind::Pull || !self.is_loaded(&o.model)) {
            rows.push(LoadedRow::Pending(op));
        }
        for (name, status) in self.keeper.statuses() {
            if !self.is_loaded(name) && self.op_for(name).is_none() {
                rows.push(LoadedRow::Pin(name, status));
            }
        }
        rows
    }

    /// Whether the pin list holds `m` (under its name or an alias).
    pub fn is_pinned_runner(&self, m: &RunningModel) -> bool {
        self.aliases
            .pin_of(&self.config.keep_alive_models, m)
            .is_some()
    }
}
