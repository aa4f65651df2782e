//! The real client against the stand-in with its faults switched on, its replies fed
//! into `update` the way the dashboard's runner does: slow replies (within and past
//! the timeout, scaled down), garbage, truncated and dropped bodies, downtime, a
//! restart, and a pull stream cut short.

use std::time::Duration;

use futures_util::StreamExt;
use model_orchestrator::app::state::Connection;
use model_orchestrator::app::{Effect, Msg, Request, State, start, update};
use model_orchestrator::config::Config;
use model_orchestrator::ollama::{Client, OllamaError, PullEvent};
use model_orchestrator::sim::{self, Fault, SimHandle, SimOptions};

use crate::faults_common::*;
use crate::ui_fixtures::*;

/// The dashboard's quick timeout (10 s) scaled down: a "5 s" reply comes in half
/// of it, a "60 s" one six times past it.
const QUICK: Duration = Duration::from_millis(400);
const FIVE_SECONDS: Duration = Duration::from_millis(200);
const SIXTY_SECONDS: Duration = Duration::from_millis(2400);

/// Fails instead of hanging.
async fn bounded<T>(f: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), f)
        .await
        .expect("the client must not hang")
}

struct Rig {
    sim: SimHandle,
    client: Client,
    state: State,
    /// The simulated clock, in seconds after `t0`.
    t: i64,
}

impl Rig {
    async fn new() -> Rig {
        let sim = sim::start(SimOptions::for_tests())
            .await
            .expect("stand-in starts");
        let client = Client::with_timeouts(&sim.url(), QUICK, QUICK).expect("client");
        let mut state = new_state(Config::default());
        update(&mut state, Msg::Resize(100, 30));
        update(&mut state, Msg::Memory(memory(64.0, 4.0, &[])));
        Rig {
            sim,
            client,
            state,
            t: 0,
        }
    }

    /// Runs one effect the way the runner does and returns its reply.
    async fn reply(&self, effect: Effect) -> Option<Msg> {
        let c = &self.client;
        Some(match effect {
            Effect::FetchVersion => Msg::Version(bounded(c.version()).await),
            Effect::FetchTags => Msg::Tags(bounded(c.tags()).await),
            Effect::FetchPs => Msg::Ps(bounded(c.ps()).await),
            Effect::FetchShow { key, model } => Msg::Show {
                reply: Box::new(bounded(c.show(&model)).await),
                key,
                model,
            },
            Effect::Start { id, request } => match request {
                Request::Load { model, spec } => Msg::OpDone {
                    id,
                    reply: bounded(c.load_with(&model, &spec)).await,
                },
                Request::Unload { model, embedding } => Msg::OpDone {
                    id,
                    reply: bounded(c.unload_with(&model, embedding)).await,
                },
                _ => return None,
            },
            _ => return None,
        })
    }

    /// Feeds `msg`, then runs every effect and feeds its reply, until quiet.
    async fn drive(&mut self, msg: Msg) {
        let mut queue = std::collections::VecDeque::from(update(&mut self.state, msg));
        let mut steps = 0;
        while let Some(effect) = queue.pop_front() {
            steps += 1;
            assert!(steps < 500, "effects never settle");
            if let Some(reply) = self.reply(effect).await {
                queue.extend(update(&mut self.state, reply));
            }
        }
    }

    async fn start(&mut self) {
        let mut queue = std::collections::VecDeque::from(start(&mut self.state));
        while let Some(effect) = queue.pop_front() {
            if let Some(reply) = self.reply(effect).await {
                queue.extend(update(&mut self.state, reply));
            }
        }
    }

    async fn tick(&mut self, secs: i64) {
        self.t += secs;
        self.drive(Msg::Clock(at(self.t))).await;
    }

    fn screen(&mut self) -> ratatui::buffer::Buffer {
        let buf = frame(&mut self.state, 100, 30);
        assert_sound(&buf);
        buf
    }
}

#[tokio::test]
async fn down_at_start_then_up_connects_on_a_retry_with_nothing_missing() {
    let mut r = Rig::new().await;
    r.sim.control().set_down(true).await;
    r.start().await;
    assert!(matches!(r.state.conn, Connection::Unreachable { .. }));
    let buf = r.screen();
    assert_shows(&buf, "unreachable");
    assert_shows(&buf, "start Ollama with `ollama serve`");
    r.tick(1).await;
    assert!(matches!(
        r.state.conn,
        Connection::Unreachable { attempt: 1, .. }
    ));
    r.sim.control().set_down(false).await;
    r.tick(2).await;
    assert_eq!(r.state.conn, Connection::Connected);
    assert_eq!(r.state.version.as_deref(), Some("0.12.6"));
    let names: Vec<_> = r.state.models.iter().map(|m| m.name.clone()).collect();
    assert_eq!(names.len(), r.sim.control().installed().len(), "{names:?}");
    let buf = r.screen();
    assert_shows(&buf, "● connected · Ollama 0.12.6");
    assert_shows(&buf, &format!("Installed {}", names.len()));
}

#[tokio::test]
async fn a_reply_within_the_timeout_is_fine_and_one_far_past_it_is_slow_then_recovers() {
    let mut r = Rig::new().await;
    r.start().await;
    assert_eq!(r.state.conn, Connection::Connected);
    // "5 s": slow, but inside the timeout — nothing to report.
    r.sim
        .control()
        .set_fault(Fault::Latency(FIVE_SECONDS), None);
    r.drive(Msg::PollPs).await;
    r.drive(Msg::PollTags).await;
    assert_eq!(r.state.conn, Connection::Connected);
    assert!(r.state.notice.is_none(), "{:?}", r.state.notice);
    // "60 s": the client gives up at its timeout, and the dashboard says so.
    r.sim
        .control()
        .set_fault(Fault::Latency(SIXTY_SECONDS), None);
    let started = std::time::Instant::now();
    r.drive(Msg::PollPs).await;
    assert!(
        started.elapsed() < SIXTY_SECONDS,
        "waited for the slow reply"
    );
    assert!(
        matches!(&r.state.conn, Connection::Slow { error } if error.contains("did not answer")),
        "{:?}",
        r.state.conn
    );
    let buf = r.screen();
    assert_shows(&buf, "slow to answer");
    // Keys still work while it is slow, and nothing is lost.
    let models = r.state.models.clone();
    r.drive(Msg::Key(crossterm::event::KeyEvent::from(
        crossterm::event::KeyCode::Down,
    )))
    .await;
    assert_eq!(r.state.selected, 1);
    assert_eq!(r.state.models, models);
    // Answers again: connected, the notice gone.
    r.sim.control().clear_faults();
    r.drive(Msg::PollPs).await;
    assert_eq!(r.state.conn, Connection::Connected);
    assert_shows(&r.screen(), "● connected");
}

#[tokio::test]
async fn garbage_and_truncated_bodies_are_errors_the_list_stays() {
    let mut r = Rig::new().await;
    r.start().await;
    let models = r.state.models.clone();
    assert!(!models.is_empty());
    r.sim.control().set_fault(Fault::Garbage, Some(1));
    r.drive(Msg::PollTags).await;
    let notice = r.state.notice.clone().expect("a notice");
    assert!(
        notice.error && notice.text.contains("cannot list models"),
        "{notice:?}"
    );
    assert!(!notice.text.chars().any(forbidden), "{notice:?}");
    assert_eq!(r.state.models, models);
    assert_shows(&r.screen(), "cannot list models");

    r.sim.control().set_fault(Fault::Truncate, Some(1));
    r.drive(Msg::PollTags).await;
    assert_eq!(r.state.models, models, "half a list is not taken");
    let buf = r.screen();
    assert!(
        squeezed(&buf).contains("cannot list models") || squeezed(&buf).contains("unreachable"),
        "{}",
        text(&buf)
    );
    // Good answers again: everything back, no stale error.
    r.tick(1).await;
    r.drive(Msg::PollTags).await;
    r.drive(Msg::PollPs).await;
    assert_eq!(r.state.conn, Connection::Connected);
    assert_eq!(r.state.models, models);
    assert!(
        r.state.notice.as_ref().is_none_or(|n| !n.error),
        "{:?}",
        r.state.notice
    );
}

#[tokio::test]
async fn a_connection_dropped_mid_reply_is_a_lost_server_that_comes_back() {
    let mut r = Rig::new().await;
    r.start().await;
    let models = r.state.models.clone();
    r.sim.control().set_fault(Fault::Drop, Some(1));
    r.drive(Msg::PollPs).await;
    assert!(
        matches!(r.state.conn, Connection::Unreachable { .. }),
        "{:?}",
        r.state.conn
    );
    assert_shows(&r.screen(), "unreachable");
    r.tick(1).await;
    assert_eq!(r.state.conn, Connection::Connected);
    assert_eq!(r.state.models, models);
}

#[tokio::test]
async fn a_restart_of_the_stand_in_empties_loaded_and_the_pin_comes_back() {
    let mut r = Rig::new().await;
    let name = "phi3:mini".to_string();
    r.state.config.keep_alive_models = vec![name.clone()];
    r.state.keeper = model_orchestrator::keepalive::Keeper::new([name.as_str()], at(0));
    r.start().await;
    // The keeper loaded the pin.
    r.drive(Msg::PollPs).await;
    assert!(r.state.is_loaded(&name), "{:?}", r.state.running);
    r.sim.control().restart();
    r.sim.control().set_down(true).await;
    r.drive(Msg::PollPs).await;
    assert!(matches!(r.state.conn, Connection::Unreachable { .. }));
    r.sim.control().set_down(false).await;
    r.tick(1).await;
    r.tick(30).await;
    r.drive(Msg::PollPs).await;
    assert_eq!(r.state.conn, Connection::Connected);
    assert!(
        r.state.is_loaded(&name),
        "pin reloaded: {:?}",
        r.state.running
    );
    assert!(r.state.ops.is_empty(), "{:?}", r.state.ops);
    let log = r
        .state
        .log
        .recent()
        .map(|e| e.text.clone())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(log.contains("lost Ollama"), "{log}");
}

#[tokio::test]
async fn a_truncated_pull_stream_ends_in_an_error_never_in_success() {
    let r = Rig::new().await;
    r.sim.control().set_fault(Fault::Truncate, Some(1));
    let client = Client::new(&r.sim.url()).expect("client");
    let stream = bounded(client.pull("llama3.2:1b"))
        .await
        .expect("the pull starts");
    let events: Vec<_> = bounded(stream.collect::<Vec<_>>()).await;
    assert!(!events.is_empty());
    assert!(
        !events.iter().any(|e| matches!(e, Ok(PullEvent::Success))),
        "{events:?}"
    );
    let last = events.last().expect("an event");
    match last {
        Err(e @ (OllamaError::Broken { .. } | OllamaError::Decode { .. })) => {
            let text = e.plain();
            assert!(!text.is_empty() && !text.chars().any(forbidden), "{text}");
        }
        other => panic!("expected the cut to end the stream in an error: {other:?}"),
    }
    // The headless pull says so in words, and does not claim success.
    r.sim.control().set_fault(Fault::Truncate, Some(1));
    let outcome = model_orchestrator::headless::pull(
        &client,
        &Config::default(),
        "llama3.2:1b",
        model_orchestrator::headless::PullOptions::default(),
        std::future::pending(),
    )
    .await;
    let err = outcome.expect_err("a cut pull fails");
    let text = err.to_string();
    assert!(
        text.contains("broke") || text.contains("unexpected reply") || text.contains("stopped"),
        "{text}"
    );
}
