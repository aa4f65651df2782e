//! Every terminal size from 1×1 to 300×100, and a storm of resizes between keys.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use model_orchestrator::app::modal::Modal;
use model_orchestrator::app::{Msg, State, update};
use model_orchestrator::config::Config;
use model_orchestrator::ui::layout::{Areas, MIN_HEIGHT, MIN_WIDTH};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::common::*;
use crate::ui_fixtures::*;

/// A busy screen: models (some long), loaded ones, an error in the log.
fn busy() -> State {
    let mut models = typical_models();
    models.extend(many_models(60));
    models.push(model(&format!("hf.co/{}:Q4", "y".repeat(120)), 9_000, 3.0));
    let loaded = vec![
        running("llama3.1:8b", 6.1, 6.1, Some(at(252))),
        running("phi3:mini", 3.1, 1.5, Some(at(1800))),
    ];
    let mut s = connected(Config::default(), models, loaded);
    assert!(model_orchestrator::app::derive::select_name(
        &mut s,
        "mistral:7b"
    ));
    update(&mut s, key('l'));
    finish(
        &mut s,
        "mistral:7b",
        Err(server_error("model requires more system memory")),
    );
    // The long error stays in the status line: `? help` must keep its place
    // beside it at every size from 80×24 up.
    assert!(s.notice.as_ref().is_some_and(|n| n.error));
    s
}

fn check(s: &mut State, w: u16, h: u16) -> Buffer {
    let buf = frame(s, w, h);
    assert_eq!(buf.area, Rect::new(0, 0, w, h));
    assert_no_controls(&buf);
    let mut want: Vec<&str> = Vec::new();
    if w >= MIN_WIDTH && h >= MIN_HEIGHT {
        assert_borders(&buf);
        want.extend(["Installed", "Memory", "Loaded"]);
    } else if w >= 40 && h >= 3 {
        want.push("terminal too small");
    }
    if w >= 80 && h >= 24 {
        want.extend(["? help", "Events", "llama3.1:8b"]);
    }
    if !want.is_empty() {
        let screen = squeezed(&buf);
        for w in want {
            assert!(screen.contains(w), "{w:?} not on screen:\n{}", text(&buf));
        }
    }
    buf
}

/// Every `step`th width at height `h`.
fn widths_at(h: u16, step: usize) {
    let mut s = busy();
    for w in (1..=300).step_by(step).chain([300]) {
        check(&mut s, w, h);
    }
}

/// Every `step`th height at width `w`.
fn heights_at(w: u16, step: usize) {
    let mut s = busy();
    for h in (1..=100).step_by(step).chain([100]) {
        check(&mut s, w, h);
    }
}

// One test per line of the sweep, so the harness runs them side by side.
#[test]
fn every_width_one_row_high() {
    widths_at(1, 1);
}

#[test]
fn every_width_at_the_minimum_height() {
    widths_at(MIN_HEIGHT - 1, 1);
    widths_at(MIN_HEIGHT, 1);
}

#[test]
fn every_width_at_24_rows() {
    widths_at(24, 1);
}

#[test]
fn widths_at_100_rows() {
    // A full 300×100 frame costs tens of milliseconds in a debug build: every
    // third width keeps the sweep quick and still crosses each layout threshold.
    widths_at(100, 3);
}

#[test]
fn every_height_one_column_wide() {
    heights_at(1, 1);
}

#[test]
fn every_height_at_the_minimum_width() {
    heights_at(MIN_WIDTH - 1, 1);
    heights_at(MIN_WIDTH, 1);
}

#[test]
fn every_height_at_80_columns() {
    heights_at(80, 1);
}

#[test]
fn heights_at_300_columns() {
    heights_at(300, 3);
}

#[test]
fn the_help_and_confirm_overlays_fit_every_size() {
    let mut s = busy();
    update(&mut s, key('?'));
    assert!(matches!(s.modal, Some(Modal::Help { .. })), "{:?}", s.modal);
    for (w, h) in [(1, 1), (59, 15), (60, 16), (80, 24), (300, 100)] {
        assert_no_controls(&frame(&mut s, w, h));
    }
    assert_shows(&frame(&mut s, 80, 24), "Keys");
}

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn named(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

/// A small, seeded generator: the storm is the same on every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[test]
fn a_resize_storm_between_keys_keeps_the_cursor_on_screen() {
    let mut s = busy();
    let keys = [
        named(KeyCode::Down),
        named(KeyCode::Up),
        named(KeyCode::PageDown),
        named(KeyCode::PageUp),
        named(KeyCode::End),
        named(KeyCode::Home),
        named(KeyCode::Tab),
        key('j'),
        key('k'),
        key('s'),
    ];
    let mut rng = Lcg(0x5eed);
    for _ in 0..300 {
        let msg = if rng.below(3) == 0 {
            keys[rng.below(keys.len() as u64) as usize].clone()
        } else {
            Msg::Resize(1 + rng.below(300) as u16, 1 + rng.below(100) as u16)
        };
        update(&mut s, msg);
        assert_selection_sane(&s);
    }
    // Land on a real size with the cursor far down: the frame is drawn for that
    // size, and the selected row is on it.
    update(&mut s, Msg::Resize(37, 9));
    update(&mut s, named(KeyCode::End));
    update(&mut s, Msg::Resize(97, 31));
    assert_selection_sane(&s);
    let buf = check(&mut s, 97, 31);
    let selected = s.selected_model().expect("a selection").name.clone();
    let body = Areas::new(buf.area).expect("layout").models_body();
    let row = body.y + (s.selected - s.scroll) as u16;
    let line: String = (body.x..body.x + body.width)
        .map(|x| buf[(x, row)].symbol())
        .collect();
    let shown: String = selected.chars().take(12).collect();
    assert!(line.contains(&shown), "row {row}: {line:?} for {selected}");
}
