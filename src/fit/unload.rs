//! Which loaded models to unload to make room: as few as possible, then as little
//! memory as possible, then by name, so the same readings always give the same answer.

use crate::ollama::RunningModel;

/// Above this many candidates, try every subset no more (2^12 = 4096 sets); Ollama
/// keeps at most 3 models per GPU loaded by default, so this is rarely reached.
const EXACT_LIMIT: usize = 12;

/// Names of the models to unload to free at least `deficit` bytes, largest first, or
/// `None` when even all of them are not enough.
pub fn choose(victims: &[&RunningModel], deficit: u64) -> Option<Vec<String>> {
    let mut sorted: Vec<&RunningModel> = victims.to_vec();
    sorted.sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.name.cmp(&b.name)));
    let total: u64 = sorted.iter().map(|m| m.size).sum();
    if total < deficit {
        return None;
    }
    let chosen = if sorted.len() <= EXACT_LIMIT {
        exact(&sorted, deficit)
    } else {
        greedy(&sorted, deficit)
    };
    Some(chosen.into_iter().map(|m| m.name.clone()).collect())
}

/// Largest first until enough: always the fewest models, not always the least memory.
fn greedy<'a>(sorted: &[&'a RunningModel], deficit: u64) -> Vec<&'a RunningModel> {
    let mut freed = 0u64;
    let mut out = Vec::new();
    for m in sorted {
        if freed >= deficit {
            break;
        }
        freed = freed.saturating_add(m.size);
        out.push(*m);
    }
    out
}

/// Every subset: fewest models, then fewest bytes, then the earliest in size order.
fn exact<'a>(sorted: &[&'a RunningModel], deficit: u64) -> Vec<&'a RunningModel> {
    let mut best: Option<(u32, u64, u32)> = None;
    for mask in 1u32..(1u32 << sorted.len()) {
        let freed: u64 = sorted
            .iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .map(|(_, m)| m.size)
            .fold(0u64, u64::saturating_add);
        if freed < deficit {
            continue;
        }
        // Reversed bits so that, at equal count and bytes, the set holding the
        // earlier (larger, then alphabetically first) models wins.
        let key = (mask.count_ones(), freed, !mask.reverse_bits());
        if best.is_none_or(|b| key < b) {
            best = Some(key);
        }
    }
    let mask = best.map_or(0, |(_, _, rev)| (!rev).reverse_bits());
    sorted
        .iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, m)| *m)
        .collect()
}
