//! What Ollama's scheduler will do with one more load: `server/sched.go`
//! `processPending` replayed on our readings, without sending anything.
//!
//! The loop, as in v0.12.6 and v0.33: at the count limit evict one; with nothing
//! loaded, load allowing a CPU/GPU split; otherwise the new model must fit beside
//! the others (`requireFull`), or one victim goes and the loop runs again.

use super::estimate::{self, Layers};
use super::place::{self, Placement};
use super::server::{Band, GPU_MINIMUM_MEMORY, Server, Slots};
use super::{Evict, Landing, Verdict};

/// What one load asks for, in the form each band's check needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Demand {
    /// ≤ 0.29: layers per parallel-slot count to try, most slots first; `cpu` is
    /// what a CPU-only host loads (the CPU branch takes the default slots).
    Layered { tries: Vec<Layers>, cpu: Layers },
    /// ≥ 0.30: `PredictServerVRAM` for the pre-flight check, plus what it really
    /// takes once loaded: `resident` + `per_batch` × the batch, or what was seen.
    Predicted {
        predicted: u64,
        total_ctx: u64,
        completion: bool,
        resident: u64,
        per_batch: u64,
        observed: Option<u64>,
    },
}

impl Demand {
    /// ≥ 0.30: what the load really takes with `gpu_free` VRAM free.
    fn actual(&self, gpu_free: u64) -> u64 {
        match self {
            Demand::Predicted {
                observed: Some(seen),
                ..
            } => *seen,
            Demand::Predicted {
                predicted,
                total_ctx,
                completion,
                resident,
                per_batch,
                ..
            } => {
                let batch = if *completion {
                    estimate::generation_batch(*total_ctx, *predicted, gpu_free)
                } else {
                    estimate::DEFAULT_BATCH
                };
                resident.saturating_add(per_batch.saturating_mul(batch))
            }
            Demand::Layered { cpu, .. } => cpu.total(),
        }
    }
}

/// A loaded model as the scheduler sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Resident {
    pub name: String,
    pub size: u64,
    pub size_vram: u64,
    /// Its weights blob (`sha256-…`) where known: the scheduler's key.
    pub weights: Option<String>,
}

/// Free memory the scheduler works with.
#[derive(Debug, Clone, PartialEq)]
pub struct Room {
    pub ram_free: u64,
    pub swap_free: u64,
    pub gpus_free: Vec<u64>,
    pub gpus_total: Vec<u64>,
}

impl Room {
    /// What unloading `r` gives back: its RAM part, and its VRAM to the GPUs that
    /// are fullest (the API does not say which GPU held it).
    fn release(&mut self, r: &Resident) {
        self.ram_free += r.size.saturating_sub(r.size_vram);
        let mut left = r.size_vram.min(r.size);
        let mut order: Vec<usize> = (0..self.gpus_free.len()).collect();
        order.sort_by_key(|&i| self.gpus_free[i]);
        for i in order {
            let used = self.gpus_total[i].saturating_sub(self.gpus_free[i]);
            let back = left.min(used);
            self.gpus_free[i] += back;
            left -= back;
        }
    }

    fn gpu_free_sum(&self) -> u64 {
        self.gpus_free.iter().sum()
    }
}

/// Replays the scheduler. `residents` must be in eviction order (next to go first).
pub fn predict(demand: &Demand, server: &Server, room: &Room, residents: &[Resident]) -> Verdict {
    let mut room = room.clone();
    let limit = server.max_loaded(room.gpus_free.len());
    let mut left: Vec<&Resident> = residents.iter().collect();
    let mut gone: Vec<String> = Vec::new();
    let mut why: Option<Evict> = None;
    loop {
        let at_limit = left.len() as u64 >= limit;
        let outcome = if at_limit {
            None
        } else if left.is_empty() {
            Some(first_load(demand, server, &room))
        } else {
            beside(demand, server, &room).map(Ok)
        };
        match outcome {
            Some(Ok(landing)) if gone.is_empty() => return Verdict::Fits(landing),
            Some(Ok(landing)) => {
                return Verdict::FitsIfUnloaded {
                    unload: gone,
                    why: why.unwrap_or(Evict::Memory),
                    landing,
                };
            }
            Some(Err(short_by)) => return Verdict::NoFit { short_by },
            None => {}
        }
        // `findRunnerToUnload`: the first of the eviction order.
        let victim = left.remove(0);
        why.get_or_insert(if at_limit {
            Evict::CountLimit(limit)
        } else {
            Evict::Memory
        });
        room.release(victim);
        gone.push(victim.name.clone());
    }
}

/// Nothing else loaded (`loadedCount == 0`, `requireFull` false): a split is
/// allowed; the CPU part must fit in RAM + swap where the band checks it.
fn how(server: &Server) -> place::How {
    place::How {
        overhead: server.gpu_overhead(),
        first_to_last: server.band == Band::Early,
    }
}

fn first_load(demand: &Demand, server: &Server, room: &Room) -> Result<Landing, u64> {
    let ram = room.ram_free + room.swap_free;
    let overhead = server.gpu_overhead();
    let placed: Placement = match demand {
        Demand::Layered { tries, cpu } => {
            if room.gpus_free.is_empty() {
                place::on_cpu(cpu)
            } else if let Some(p) = tries
                .iter()
                .find_map(|l| place::full_fit(l, &room.gpus_free, how(server)))
            {
                p
            } else {
                // pickBestPartialFitByLibrary drops to one slot.
                let one = tries.last().unwrap_or(cpu);
                place::estimate_gpu_layers(one, &room.gpus_free, how(server))
            }
        }
        Demand::Predicted { .. } => {
            // llama-server fits what it can on the GPUs itself.
            let actual = demand.actual(room.gpu_free_sum());
            let usable: u64 = room
                .gpus_free
                .iter()
                .map(|f| f.saturating_sub(overhead + GPU_MINIMUM_MEMORY))
                .sum();
            let vram = actual.min(usable);
            Placement {
                vram,
                total: actual,
                full: vram == actual && vram > 0,
            }
        }
    };
    // On ≥ 0.30 Ollama no longer checks, but a load that does not fit in RAM + VRAM
    // fails all the same; the figure is the same either way.
    if placed.ram() > ram {
        return Err(placed.ram() - ram);
    }
    Ok(landing(&placed))
}

/// Others are loaded (`requireFull`): `Some(landing)` when the model fits beside
/// them, `None` when the scheduler evicts.
fn beside(demand: &Demand, server: &Server, room: &Room) -> Option<Landing> {
    match demand {
        Demand::Layered { tries, cpu } => {
            if room.gpus_free.is_empty() {
                // maybeFindCPURunnerToUnload / predictServerFit on the CPU: the
                // whole estimate within free RAM, swap not counted.
                return (cpu.total() <= room.ram_free).then_some(Landing::Cpu);
            }
            tries
                .iter()
                .find_map(|l| place::full_fit(l, &room.gpus_free, how(server)))
                .map(|_| Landing::Gpu)
        }
        Demand::Predicted {
            predicted,
            total_ctx,
            completion,
            ..
        } => {
            if room.gpus_free.is_empty() {
                // No pre-flight on a CPU-only host; a load that runs out of memory
                // makes the scheduler evict everything and retry.
                return (demand.actual(0) <= room.ram_free).then_some(Landing::Cpu);
            }
            let free = room.gpu_free_sum();
            let surcharge = if *completion {
                estimate::batch_surcharge(*total_ctx, *predicted, free)
            } else {
                0
            };
            // sched.go `load` (v0.30+): evict when predicted + surcharge > 80 % free.
            (predicted.saturating_add(surcharge) <= free / 100 * 80).then_some(Landing::Gpu)
        }
    }
}

fn landing(p: &Placement) -> Landing {
    if p.vram == 0 {
        Landing::Cpu
    } else if p.full || p.vram >= p.total {
        Landing::Gpu
    } else {
        Landing::Split {
            gpu_percent: p.gpu_percent(),
        }
    }
}

/// The slot counts a band tries for a full fit, most first.
pub fn slot_tries(slots: Slots) -> Vec<u64> {
    match slots {
        Slots::Fixed(n) => vec![n.max(1)],
        Slots::Auto(n) => vec![n, 1],
    }
}

/// Slots a CPU-only host loads with (the CPU branch of `processPending`, v0.2 –
/// v0.9: `defaultParallel` without trying fewer).
pub fn cpu_slots(slots: Slots) -> u64 {
    match slots {
        Slots::Fixed(n) | Slots::Auto(n) => n.max(1),
    }
}

/// Whether the band is the llama-server one (the `Predicted` demand applies).
pub fn predicted_band(band: Band) -> bool {
    band == Band::LlamaServer
}
