//! Terminal setup and restore. `ratatui::try_init` installs a panic hook that
//! restores the terminal; this guard covers every other way out, including early
//! `?` returns.

use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::execute;

pub struct Guard {
    terminal: ratatui::DefaultTerminal,
}

impl Guard {
    pub fn enter() -> std::io::Result<Guard> {
        let terminal = ratatui::try_init()?;
        // ratatui's hook leaves raw mode and the alternate screen; mouse capture is
        // ours to undo, or a panic would leave the shell receiving mouse reports.
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let _ = execute!(std::io::stdout(), DisableMouseCapture);
            previous(info);
        }));
        // From here on, Drop restores even if mouse capture fails.
        let guard = Guard { terminal };
        execute!(std::io::stdout(), EnableMouseCapture)?;
        Ok(guard)
    }

    pub fn terminal(&mut self) -> &mut ratatui::DefaultTerminal {
        &mut self.terminal
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        // Errors cannot be reported from here; restoring is best effort.
        let _ = execute!(std::io::stdout(), DisableMouseCapture);
        ratatui::restore();
    }
}
