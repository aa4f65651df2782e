//! The scheduling loop for one request: `server/sched.go` `processPending` with
//! `needsReload`, `useLoadedRunner`, `findRunnerToUnload` and `load`'s keep-alive
//! (v0.5.7, v0.12.10, v0.33.0-rc2). Pure: the caller passes the time and waits
//! out the load.

use jiff::Timestamp;

pub use super::host::{Host, Runner, expiry_after, load_time};

use super::band::{self, Band};
use super::catalog::CatalogModel;
use super::env::Ctx;
use super::llama_server::next_lower_auto_ctx;
use super::placement::{self, Decision, Fit, Want};
use super::shape::Shape;
use crate::duration::KeepAlive;

/// A generate or chat request as the scheduler gets it.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub model: &'a CatalogModel,
    /// `options.num_ctx`, if the request gave one.
    pub num_ctx: Option<u64>,
    pub keep_alive: Option<KeepAlive>,
}

/// What became of a request that did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheduled {
    /// A loaded runner with the same options serves it.
    Ready,
    /// A new runner is loading `bytes`; call `finish_load(id)` when done.
    Loading { id: u64, bytes: u64 },
}

impl Host {
    /// `GetRunner`'s shortcut (from v0.11.5): a loaded runner whose options match
    /// serves the request without queueing behind another model's load. Older
    /// versions queue every request (`processPending` blocks while loading).
    pub fn reuse(&mut self, req: &Request, now: Timestamp) -> bool {
        if !band::loaded_runner_shortcut(self.env.version) {
            return false;
        }
        let ctx = self.env.resolve_ctx(req.model, req.num_ctx);
        let weights = req.model.weights();
        match self.by_weights(&weights) {
            Some(r) if !r.loading() && !self.needs_reload(r, req.model, ctx) => {}
            _ => return false,
        }
        self.touch(&weights, req.keep_alive, now);
        true
    }

    /// `useLoadedRunner`: from v0.2.0 an absent keep_alive keeps the runner's;
    /// v0.1.48's handler always passes one, so there it resets to the default.
    fn touch(&mut self, weights: &str, keep_alive: Option<KeepAlive>, now: Timestamp) {
        let keeps = self.env.band.absent_keep_alive_keeps();
        let default = self.env.default_keep_alive;
        if let Some(r) = self.by_weights_mut(weights) {
            match (keep_alive, keeps) {
                (Some(k), _) => r.keep_alive = k,
                (None, false) => r.keep_alive = default,
                (None, true) => {}
            }
            if !r.loading() {
                r.expires_at = Some(expiry_after(now, r.keep_alive));
            }
        }
    }

    /// `processPending` for one request: reuse, reload, evict for the count
    /// limit or for memory, then load; or the error the client gets (a 500).
    pub fn schedule(&mut self, req: &Request, now: Timestamp) -> Result<Scheduled, String> {
        let shape = Shape::of(req.model);
        let weights = req.model.weights();
        let mut ctx = self.env.resolve_ctx(req.model, req.num_ctx);
        let mut retried = false;
        // Every pass evicts one runner or lowers the context once, so this ends.
        for _ in 0..=self.runners.len() + 2 {
            let loaded = self.by_weights(&weights);
            if let Some((id, reload)) = loaded.map(|r| (r.id, self.needs_reload(r, req.model, ctx)))
            {
                if !reload {
                    self.touch(&weights, req.keep_alive, now);
                    return Ok(Scheduled::Ready);
                }
                self.unload_id(id);
                continue;
            }
            if self.runners.len() >= self.env.max_loaded {
                self.evict_one()?;
                continue;
            }
            let want = Want {
                shape: &shape,
                ctx,
                require_full: !self.runners.is_empty(),
            };
            match placement::decide(&self.env, &self.free(), want) {
                Decision::Fit(fit) => return Ok(self.start(req, ctx, fit)),
                Decision::Evict => self.evict_one()?,
                Decision::Fail(message) => return Err(message),
                Decision::OutOfMemory(message) if retried => return Err(message),
                Decision::OutOfMemory(message) => {
                    retried = true;
                    self.after_oom(&shape, &mut ctx, message)?;
                }
            }
        }
        Err("the scheduler made no progress".into())
    }

    /// ≥ 0.30 `load` after a crash for memory: an automatic context drops a step
    /// (`reduceAutoNumCtxForLoadOOM`), and with others loaded all of them go
    /// (`evictAllAndWait`); with neither, the error stands.
    fn after_oom(&mut self, s: &Shape, ctx: &mut Ctx, message: String) -> Result<(), String> {
        let effective = self.env.effective_ctx(s, ctx.value);
        let lowered = next_lower_auto_ctx(effective).filter(|_| ctx.auto);
        if lowered.is_none() && self.runners.is_empty() {
            return Err(message);
        }
        if let Some(c) = lowered {
            ctx.value = c;
        }
        self.runners.clear();
        Ok(())
    }

    fn evict_one(&mut self) -> Result<(), String> {
        let id = self
            .victim()
            .ok_or("no runner can be evicted to make room")?;
        self.unload_id(id);
        Ok(())
    }

    /// `needsReload`: the options differ. Before 0.30 the requested `num_ctx` is
    /// compared as given; from 0.30 capped at the trained context, and two
    /// automatic contexts always match.
    fn needs_reload(&self, r: &Runner, m: &CatalogModel, ctx: Ctx) -> bool {
        if self.env.band != Band::LlamaServer {
            return r.requested_ctx != ctx.value;
        }
        if r.ctx_auto && ctx.auto {
            return false;
        }
        r.num_ctx != self.env.effective_ctx(&Shape::of(m), ctx.value)
    }

    /// `load`: the new runner takes the request's keep_alive or
    /// `OLLAMA_KEEP_ALIVE`, never a previous runner's.
    fn start(&mut self, req: &Request, ctx: Ctx, fit: Fit) -> Scheduled {
        let bytes = fit.size;
        let id = self.add(Runner {
            id: 0,
            model: req.model.clone(),
            weights: req.model.weights(),
            size: fit.size,
            vram: fit.vram,
            num_ctx: fit.ctx,
            requested_ctx: ctx.value,
            ctx_auto: ctx.auto,
            parallel: fit.parallel,
            keep_alive: req.keep_alive.unwrap_or(self.env.default_keep_alive),
            expires_at: None,
        });
        Scheduled::Loading { id, bytes }
    }
}

#[cfg(test)]
#[path = "sched_tests.rs"]
mod tests;
