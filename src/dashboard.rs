//! The runtime: sets up the terminal, merges input, timers and effect results into
//! one loop, runs effects on tokio tasks, and redraws only when the state says so.

mod effects;
mod terminal;

use std::path::PathBuf;
use std::time::Duration;

use color_eyre::eyre::WrapErr;
use crossterm::event::{Event, EventStream};
use futures_util::StreamExt;
use jiff::Timestamp;
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior, interval, interval_at};

use crate::app::{self, Msg, State};
use crate::config::Config;
use crate::memory::MemorySource;
use crate::ollama::Client;
use effects::Runner;

pub struct DashboardOptions {
    pub client: Client,
    pub config: Config,
    /// Where pins are saved; `None` keeps them for this run only.
    pub config_path: Option<PathBuf>,
    pub memory: Box<dyn MemorySource>,
    /// How the server is named on screen, e.g. `127.0.0.1:11434`.
    pub host_label: String,
    /// Shows a DEMO badge (the stand-in server is behind `client`).
    pub demo: bool,
    /// Problems found before start-up (a broken config file), shown on screen.
    pub warnings: Vec<String>,
    /// Whose memory `memory` reads ("this machine", an exporter URL).
    pub memory_origin: String,
    /// Set when the memory of the machine Ollama runs on cannot be read at all.
    pub memory_unknown: Option<String>,
    /// Where learned needs are kept; `None` keeps them for this run only.
    pub learned_path: Option<PathBuf>,
}

/// Runs the dashboard until the user quits. The terminal is restored on every way
/// out: normal return, error, or panic.
pub async fn run(opts: DashboardOptions) -> color_eyre::Result<()> {
    let mut guard = terminal::Guard::enter().wrap_err("cannot set up the terminal")?;
    let result = event_loop(guard.terminal(), opts).await;
    drop(guard);
    result
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s.max(0.1))
}

/// A timer whose first tick is one period away, skipping missed ticks.
fn timer(period: Duration) -> tokio::time::Interval {
    let mut t = interval_at(Instant::now() + period, period);
    t.set_missed_tick_behavior(MissedTickBehavior::Skip);
    t
}

fn initial_state(opts: &DashboardOptions) -> State {
    let mut state = State::new(
        opts.config.clone(),
        opts.host_label.clone(),
        Timestamp::now(),
    );
    state.tz = jiff::tz::TimeZone::system();
    state.demo = opts.demo;
    state.config_path = opts.config_path.clone();
    state.color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    for w in &opts.warnings {
        app::note_error(&mut state, w.clone());
    }
    state.memory_origin = opts.memory_origin.clone();
    state.memory_unknown = opts.memory_unknown.clone();
    state.server_settings = crate::server_env::settings(&opts.config);
    state.server = crate::fit::Server::new(None, state.server_settings.clone());
    if let Some(path) = &opts.learned_path {
        let (learned, warning) = crate::fit::learned::load(path);
        state.learned = learned;
        if let Some(w) = warning {
            app::note_error(&mut state, w);
        }
    }
    state
}

async fn event_loop(
    term: &mut ratatui::DefaultTerminal,
    opts: DashboardOptions,
) -> color_eyre::Result<()> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut state = initial_state(&opts);
    let refresh = opts.config.refresh.clone();
    let watched = opts.config_path.clone();
    let mut runner = Runner::new(opts.client, opts.config_path, tx.clone());
    runner.learned_path = opts.learned_path.clone();
    // Kept where learned needs are kept: the demo keeps neither.
    if opts.learned_path.is_some() {
        runner.shows = crate::show_cache::ShowCache::platform();
    }
    effects::spawn_config_watch(watched, secs(refresh.loaded_secs), tx.clone());
    effects::spawn_memory(opts.memory, secs(refresh.memory_secs), tx);
    let size = term.size().wrap_err("cannot read the terminal size")?;
    runner.dispatch(&mut state, Msg::Resize(size.width, size.height));
    runner.run_all(app::start(&mut state));

    // All input that is ready arrives as one batch, so a burst costs one frame. (Polling
    // the stream with `now_or_never` instead would hand crossterm a no-op waker and
    // leave the next key waiting for some other wake-up.)
    let mut events = EventStream::new().ready_chunks(64);
    let mut ps_tick = timer(secs(refresh.loaded_secs));
    let mut tags_tick = timer(secs(refresh.installed_secs));
    let mut clock_tick = interval(Duration::from_secs(1));
    clock_tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    // While `/api/show` answers stream in (10,000 at start), a frame at most every
    // SHOW_FRAME_GAP: each one re-sorts and re-picks over every model.
    let mut last_frame = Instant::now();
    let mut only_shows = false;
    loop {
        let gap = show_frame_gap(&state);
        let throttled = only_shows && last_frame.elapsed() < gap;
        if !throttled {
            app::settle(&mut state);
            if state.dirty {
                term.draw(|f| crate::ui::draw(f, &state))
                    .wrap_err("cannot draw")?;
                state.dirty = false;
                last_frame = Instant::now();
            }
        }
        if state.quit {
            return Ok(());
        }
        let msgs: Vec<Msg> = tokio::select! {
            batch = events.next() => match batch {
                Some(batch) => input_msgs(batch)?,
                None => return Ok(()),
            },
            Some(m) = rx.recv() => vec![m],
            _ = ps_tick.tick() => vec![Msg::PollPs],
            _ = tags_tick.tick() => vec![Msg::PollTags],
            _ = clock_tick.tick(), if state.needs_clock() => Vec::new(),
            _ = tokio::time::sleep_until(last_frame + gap), if throttled => Vec::new(),
        };
        // The clock first, so whatever these messages start is timed from now.
        runner.dispatch(&mut state, Msg::Clock(Timestamp::now()));
        only_shows = !msgs.is_empty() && msgs.iter().all(is_show);
        for m in msgs {
            runner.dispatch(&mut state, m);
        }
        while let Ok(m) = rx.try_recv() {
            only_shows &= is_show(&m);
            runner.dispatch(&mut state, m);
        }
    }
}

/// Frames are at most this close while only `/api/show` answers arrive: the
/// first ones fill the rows on screen, later ones (fetched in the background)
/// change only rows off screen, the sort order and the best pick.
fn show_frame_gap(state: &State) -> Duration {
    if state.shows.len() < 64 {
        Duration::from_millis(250)
    } else {
        Duration::from_secs(2)
    }
}

fn is_show(m: &Msg) -> bool {
    matches!(m, Msg::Show { .. })
}

fn input_msgs(batch: Vec<std::io::Result<Event>>) -> color_eyre::Result<Vec<Msg>> {
    let mut msgs = Vec::with_capacity(batch.len());
    for ev in batch {
        msgs.extend(event_msg(ev.wrap_err("cannot read terminal input")?));
    }
    Ok(msgs)
}

fn event_msg(ev: Event) -> Option<Msg> {
    match ev {
        Event::Key(k) => Some(Msg::Key(k)),
        Event::Mouse(m) => Some(Msg::Mouse(m)),
        Event::Resize(w, h) => Some(Msg::Resize(w, h)),
        _ => None,
    }
}
