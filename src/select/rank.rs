//! How the selector orders candidates: what suits a task, preference tiers, and the
//! size used to prefer bigger models within a tier.

use super::{Candidate, Task};
use crate::config::TaskPrefs;
use crate::names;

/// Families whose models only embed.
const EMBEDDING_FAMILIES: [&str; 2] = ["bert", "nomic-bert"];

fn capabilities<'a>(c: &Candidate<'a>) -> &'a [String] {
    if c.capabilities.is_empty() {
        &c.entry.capabilities
    } else {
        c.capabilities
    }
}

fn families<'a>(c: &Candidate<'a>) -> impl Iterator<Item = &'a str> {
    let d = &c.entry.details;
    std::iter::once(d.family.as_str())
        .chain(d.families.iter().flatten().map(String::as_str))
        .filter(|f| !f.is_empty())
}

/// An embedding-only model: capabilities known and without `completion`, a BERT
/// family, or "embed" in the name.
pub fn is_embedding(c: &Candidate<'_>) -> bool {
    let caps = capabilities(c);
    (!caps.is_empty() && !caps.iter().any(|k| k.eq_ignore_ascii_case("completion")))
        || families(c).any(|f| EMBEDDING_FAMILIES.iter().any(|e| f.eq_ignore_ascii_case(e)))
        || contains_lower(&c.entry.name, "embed")
}

/// `hay.to_lowercase().contains(needle)` for a lower-case `needle`, without the
/// string when both are ASCII (the selector asks it of every installed model).
fn contains_lower(hay: &str, needle: &str) -> bool {
    if !(hay.is_ascii() && needle.is_ascii()) {
        return hay.to_lowercase().contains(needle);
    }
    needle.is_empty()
        || hay
            .as_bytes()
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// Whether the task may use this model at all. Cloud stubs never serve local tasks.
pub fn suits(task: Task, c: &Candidate<'_>) -> bool {
    !c.entry.is_remote() && (task == Task::Embedding) == is_embedding(c)
}

/// Lower case without `-`, `_` and spaces, so "Meta-Llama-3.1" contains "llama3".
fn squash(s: &str) -> String {
    s.chars()
        .filter(|ch| !matches!(ch, '-' | '_' | ' '))
        .flat_map(char::to_lowercase)
        .collect()
}

pub fn is_code(c: &Candidate<'_>, prefs: &TaskPrefs) -> bool {
    prefs.code_patterns.iter().any(|p| {
        let p = p.trim();
        !p.is_empty()
            && if p.bytes().any(|b| b.is_ascii_uppercase()) || !p.is_ascii() {
                contains_lower(&c.entry.name, &p.to_lowercase())
            } else {
                contains_lower(&c.entry.name, p)
            }
    })
}

/// Index of the first configured general family the model belongs to, by its name
/// (last path segment of the base) or its `family`/`families`.
fn family_index(c: &Candidate<'_>, general: &GeneralFamilies) -> Option<usize> {
    let base = names::base(&c.entry.name);
    let base = squash(base.rsplit('/').next().unwrap_or(base));
    let fams: Vec<String> = families(c).map(squash).collect();
    general.0.iter().position(|p| {
        !p.is_empty() && (base.contains(p.as_str()) || fams.iter().any(|f| f.contains(p.as_str())))
    })
}

/// The configured general families, squashed once per selection rather than once
/// per installed model.
pub struct GeneralFamilies(Vec<String>);

impl GeneralFamilies {
    pub fn new(prefs: &TaskPrefs) -> GeneralFamilies {
        GeneralFamilies(prefs.general_families.iter().map(|p| squash(p)).collect())
    }
}

/// Preference tier, lower first. Code/Debug: code models, then the general families
/// in order, then the rest. General: the families in order, then the rest, code models
/// last (they answer chat worse than a general model of the same size).
pub fn tier(task: Task, c: &Candidate<'_>, prefs: &TaskPrefs, general: &GeneralFamilies) -> usize {
    let n = prefs.general_families.len();
    let family = family_index(c, general).unwrap_or(n);
    match task {
        Task::Embedding => 0,
        Task::Code | Task::Debug if is_code(c, prefs) => 0,
        Task::Code | Task::Debug => 1 + family,
        Task::General if is_code(c, prefs) => n + 1,
        Task::General => family,
    }
}

/// The kind of model the task asks for first (0) or falls back to (1): code models
/// for Code/Debug, general ones for General. A loaded model wins only when no model
/// of a more wanted kind fits.
pub fn class(task: Task, c: &Candidate<'_>, prefs: &TaskPrefs) -> u8 {
    match task {
        Task::Embedding => 0,
        Task::Code | Task::Debug => u8::from(!is_code(c, prefs)),
        Task::General => u8::from(is_code(c, prefs)),
    }
}

/// Parameters from `details.parameter_size` ("8.0B", "307.58M"), else from the tag
/// ("8b", "1.5b-instruct-q8_0", "8x7b"), else the file size as a stand-in.
pub fn size_rank(c: &Candidate<'_>) -> u64 {
    parse_count(&c.entry.details.parameter_size)
        .or_else(|| {
            names::tag(&c.entry.name)
                .split(['-', '_'])
                .find_map(parse_count)
        })
        .unwrap_or(c.entry.size)
}

/// "8B", "1.5b", "137M", "8x7b" → a count; `None` for anything else.
fn parse_count(s: &str) -> Option<u64> {
    let s = s.trim().to_ascii_lowercase();
    let scale = match s.chars().last()? {
        'k' => 1e3,
        'm' => 1e6,
        'b' => 1e9,
        't' => 1e12,
        _ => return None,
    };
    let digits = &s[..s.len() - 1];
    let value = match digits.split_once('x') {
        Some((n, each)) => n.parse::<f64>().ok()? * each.parse::<f64>().ok()?,
        None => digits.parse::<f64>().ok()?,
    };
    (value.is_finite() && value > 0.0).then_some((value * scale) as u64)
}

#[cfg(test)]
mod tests {
    use super::parse_count;

    #[test]
    fn parameter_counts_parse_from_labels_and_tags() {
        assert_eq!(parse_count("8.0B"), Some(8_000_000_000));
        assert_eq!(parse_count("307.58M"), Some(307_580_000));
        assert_eq!(parse_count("1.5b"), Some(1_500_000_000));
        assert_eq!(parse_count("8x7b"), Some(56_000_000_000));
        assert_eq!(parse_count("latest"), None);
        assert_eq!(parse_count("mini"), None);
        assert_eq!(parse_count(""), None);
        assert_eq!(parse_count("b"), None);
    }
}
