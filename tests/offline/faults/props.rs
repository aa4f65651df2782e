//! Random sequences of messages into `update`: keys from the keymap, resizes, clock
//! steps, polls, and replies (good ones with random small model sets, and errors)
//! to the requests the effects asked for, in any order. After every step the
//! invariants hold; once every reply is in, no operation is left open.

use std::collections::BTreeSet;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use model_orchestrator::app::msg::OpId;
use model_orchestrator::app::{Effect, Msg, Request, State, start, update};
use model_orchestrator::config::Config;
use model_orchestrator::names::normalize;
use model_orchestrator::ollama::{ModelEntry, OllamaError, RunningModel};
use proptest::prelude::*;

use super::common::*;
use crate::ui_fixtures::*;

/// The models a server may list: a few that fit, one that does not, an embedding.
fn pool() -> Vec<ModelEntry> {
    vec![
        model("llama3.1:8b", 1, 4.9),
        model("mistral:7b", 2, 4.1),
        model("phi3:mini", 3, 2.2),
        model("qwen2.5-coder:7b", 4, 4.7),
        model("llama3.1:70b", 5, 42.5),
        model("nomic-embed-text:latest", 6, 0.27),
    ]
}

const KEYS: [KeyCode; 22] = [
    KeyCode::Down,
    KeyCode::Up,
    KeyCode::PageDown,
    KeyCode::PageUp,
    KeyCode::Home,
    KeyCode::End,
    KeyCode::Tab,
    KeyCode::BackTab,
    KeyCode::Enter,
    KeyCode::Char('l'),
    KeyCode::Char('u'),
    KeyCode::Char('p'),
    KeyCode::Char('t'),
    KeyCode::Char('b'),
    KeyCode::Char('r'),
    KeyCode::Char('/'),
    KeyCode::Char('s'),
    KeyCode::Char('?'),
    KeyCode::Char('y'),
    KeyCode::Char('n'),
    KeyCode::Char('m'),
    KeyCode::Backspace,
];

#[derive(Debug, Clone)]
enum Fail {
    Refused,
    Timeout,
    Status500,
}

impl Fail {
    fn error(&self) -> OllamaError {
        match self {
            Fail::Refused => refused(),
            Fail::Timeout => OllamaError::Timeout {
                url: "http://127.0.0.1:11434/api/ps".into(),
                after: std::time::Duration::from_secs(10),
            },
            Fail::Status500 => server_error("internal \u{1b}[31merror"),
        }
    }
}

#[derive(Debug, Clone)]
enum Step {
    Key(usize),
    Esc,
    Resize(u16, u16),
    /// Seconds forward.
    Clock(u8),
    PollPs,
    PollTags,
    /// Answers request `n` (modulo the number in flight) with success (a model set
    /// as a bit mask, for lists) or an error.
    Answer(usize, Result<u8, Fail>),
}

fn fail() -> impl Strategy<Value = Fail> {
    prop_oneof![
        Just(Fail::Refused),
        Just(Fail::Timeout),
        Just(Fail::Status500)
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (0..KEYS.len()).prop_map(Step::Key),
        1 => Just(Step::Esc),
        2 => (1u16..=200, 1u16..=80).prop_map(|(w, h)| Step::Resize(w, h)),
        2 => (0u8..=12).prop_map(Step::Clock),
        1 => Just(Step::PollPs),
        1 => Just(Step::PollTags),
        8 => (any::<usize>(), prop_oneof![4 => any::<u8>().prop_map(Ok), 1 => fail().prop_map(Err)])
            .prop_map(|(n, r)| Step::Answer(n, r)),
    ]
}

/// A request the effects asked for and the test has not answered yet.
#[derive(Debug, Clone, PartialEq)]
enum Pending {
    Version,
    Tags,
    Ps,
    Show {
        key: String,
        model: String,
    },
    /// An operation the runtime runs until it ends (`Msg::OpDone`).
    Op {
        id: OpId,
        model: String,
        load: bool,
    },
}

struct Harness {
    s: State,
    pending: Vec<Pending>,
    /// The pins as the `SavePin` effects left the file.
    saved: BTreeSet<String>,
    t: i64,
}

fn norm_set<S: AsRef<str>>(names: &[S]) -> BTreeSet<String> {
    names.iter().map(|n| normalize(n.as_ref())).collect()
}

impl Harness {
    fn new(pins: &[&str]) -> Harness {
        let config = Config {
            keep_alive_models: pins.iter().map(|p| p.to_string()).collect(),
            ..Config::default()
        };
        let mut s = new_state(config);
        s.config_path = Some("config.toml".into());
        let mut h = Harness {
            s,
            pending: Vec::new(),
            saved: norm_set(pins),
            t: 0,
        };
        let fx = update(&mut h.s, Msg::Resize(100, 30));
        h.take(fx);
        let fx = update(&mut h.s, Msg::Memory(memory(32.0, 8.0, &[(24.0, 2.0)])));
        h.take(fx);
        let fx = start(&mut h.s);
        h.take(fx);
        h.check();
        h
    }

    fn in_flight(&self, p: &Pending) -> usize {
        self.pending.iter().filter(|q| *q == p).count()
    }

    /// Records the effects as requests in flight, checking none is asked twice.
    fn take(&mut self, fx: Vec<Effect>) {
        for f in fx {
            let p = match f {
                Effect::FetchVersion => Pending::Version,
                Effect::FetchTags => Pending::Tags,
                Effect::FetchPs => Pending::Ps,
                Effect::FetchShow { key, model } => {
                    assert!(
                        !self
                            .pending
                            .iter()
                            .any(|p| matches!(p, Pending::Show { key: k, .. } if *k == key)),
                        "show {key} asked twice"
                    );
                    Pending::Show { key, model }
                }
                Effect::Start { id, request } => {
                    let (model, load) = match request {
                        Request::Load { model, .. } => (model, true),
                        Request::Unload { model, .. } => (model, false),
                        Request::Pull { model } => (model, false),
                        Request::Delete { model, .. } => (model, false),
                    };
                    let n = normalize(&model);
                    assert!(
                        !load
                            || !self.pending.iter().any(|p| matches!(
                                p,
                                Pending::Op { model: m, load: true, .. } if normalize(m) == n
                            )),
                        "{model} loaded twice at once: {:?}",
                        self.pending
                    );
                    Pending::Op { id, model, load }
                }
                Effect::Cancel { id } => {
                    // The runner drops the request; the operation still ends
                    // with a reply (cancelled).
                    let _ = id;
                    continue;
                }
                Effect::SavePin { model, pinned } => {
                    if pinned {
                        self.saved.insert(normalize(&model));
                    } else {
                        self.saved.remove(&normalize(&model));
                    }
                    // The save works: the file now holds what the state holds.
                    let fx = update(&mut self.s, Msg::PinsSaved(Ok(())));
                    self.take(fx);
                    continue;
                }
                Effect::SaveLearned(_) | Effect::Copy(_) | Effect::Quit => continue,
            };
            if matches!(p, Pending::Version | Pending::Tags | Pending::Ps) {
                assert_eq!(self.in_flight(&p), 0, "a second {p:?} while one is out");
            }
            self.pending.push(p);
        }
    }

    fn deliver(&mut self, i: usize, outcome: Result<u8, Fail>) {
        let p = self.pending.remove(i);
        let pool = pool();
        let pick = |mask: u8| -> Vec<ModelEntry> {
            pool.iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, m)| m.clone())
                .collect()
        };
        let loaded = |mask: u8| -> Vec<RunningModel> {
            pick(mask.rotate_left(3))
                .iter()
                .take(3)
                .map(|m| running(&m.name, 2.0, 2.0, Some(at(self.t + 300))))
                .collect()
        };
        let msg = match (p, outcome) {
            (Pending::Version, Ok(_)) => Msg::Version(Ok("0.10.1".into())),
            (Pending::Version, Err(f)) => Msg::Version(Err(f.error())),
            (Pending::Tags, Ok(mask)) => Msg::Tags(Ok(pick(mask))),
            (Pending::Tags, Err(f)) => Msg::Tags(Err(f.error())),
            (Pending::Ps, Ok(mask)) => Msg::Ps(Ok(loaded(mask))),
            (Pending::Ps, Err(f)) => Msg::Ps(Err(f.error())),
            (Pending::Show { key, model }, r) => Msg::Show {
                key,
                model,
                reply: Box::new(r.map(|_| show("llama", 32, 8192)).map_err(|f| f.error())),
            },
            (Pending::Op { id, .. }, r) => Msg::OpDone {
                id,
                reply: r.map(|_| ()).map_err(|f| f.error()),
            },
        };
        let fx = update(&mut self.s, msg);
        self.take(fx);
    }

    fn step(&mut self, step: Step) {
        let fx = match step {
            Step::Key(i) => update(
                &mut self.s,
                Msg::Key(KeyEvent::new(KEYS[i], KeyModifiers::NONE)),
            ),
            // Esc quits from the table; only send it where it closes something.
            Step::Esc if self.s.modal.is_some() => update(
                &mut self.s,
                Msg::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)),
            ),
            Step::Esc => Vec::new(),
            Step::Resize(w, h) => update(&mut self.s, Msg::Resize(w, h)),
            Step::Clock(secs) => {
                self.t += i64::from(secs);
                update(&mut self.s, Msg::Clock(at(self.t)))
            }
            Step::PollPs => update(&mut self.s, Msg::PollPs),
            Step::PollTags => update(&mut self.s, Msg::PollTags),
            Step::Answer(n, outcome) => {
                if !self.pending.is_empty() {
                    let i = n % self.pending.len();
                    self.deliver(i, outcome);
                }
                Vec::new()
            }
        };
        self.take(fx);
        self.check();
    }

    /// Answers everything still out, successfully, and whatever that asks for.
    fn drain(&mut self) {
        let mut n = 0;
        while !self.pending.is_empty() {
            n += 1;
            assert!(n < 10_000, "requests never settle: {:?}", self.pending);
            self.deliver(0, Ok(0b0001_0111));
            self.check();
        }
    }

    fn check(&self) {
        let s = &self.s;
        let has = |p: Pending| self.in_flight(&p) > 0;
        assert_eq!(s.flight.version, has(Pending::Version), "version flag");
        assert_eq!(s.flight.tags, has(Pending::Tags), "tags flag");
        assert_eq!(s.flight.ps, has(Pending::Ps), "ps flag");
        let shows: BTreeSet<&String> = self
            .pending
            .iter()
            .filter_map(|p| match p {
                Pending::Show { key, .. } => Some(key),
                _ => None,
            })
            .collect();
        assert_eq!(
            s.flight.shows.iter().collect::<BTreeSet<_>>(),
            shows,
            "shows in flight"
        );
        // The cursor is on a row, and that row is on screen.
        assert_selection_sane(s);
        assert!(
            s.view.iter().all(|&i| i < s.models.len()),
            "view points past models"
        );
        let loaded = s.loaded_rows().len();
        assert!(
            s.loaded_selected < loaded.max(1),
            "loaded cursor {} of {loaded}",
            s.loaded_selected
        );
        // The pins in the state are the pins the effects saved.
        assert_eq!(norm_set(&s.config.keep_alive_models), self.saved, "pins");
        // Each operation open has its request out.
        for op in &s.ops {
            assert!(
                self.pending
                    .iter()
                    .any(|p| matches!(p, Pending::Op { id, .. } if *id == op.id)),
                "{op:?} has no request out: {:?}",
                self.pending
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 32,
        max_shrink_iters: 256,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_messages_keep_every_invariant(
        pins in proptest::sample::subsequence(vec!["phi3:mini", "mistral:7b", "llama3.1:70b"], 0..=2),
        steps in proptest::collection::vec(step(), 1..80),
    ) {
        let mut h = Harness::new(&pins);
        for st in steps {
            h.step(st);
        }
        h.drain();
        prop_assert!(h.s.ops.is_empty(), "operations left open: {:?}", h.s.ops);
        // The frame of whatever state it ended in is sound.
        let (w, ht) = h.s.size;
        let buf = frame(&mut h.s, w, ht);
        assert_no_controls(&buf);
        if h.s.modal.is_none() {
            assert_borders(&buf);
        }
    }
}
