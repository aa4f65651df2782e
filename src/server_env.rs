//! The `OLLAMA_*` settings of a server on this machine, which the API does not
//! show: read from the environment of a running `ollama serve` (`/proc/PID/environ`,
//! readable for our own user or as root) or from its systemd unit's `Environment=`
//! lines. The config's `[server]` table wins over what is found here.

use std::path::Path;

use crate::config::Config;
use crate::duration::KeepAlive;
use crate::fit::ServerSettings;

/// Units and drop-ins where the official installer and users put the settings.
const UNIT_FILES: &[&str] = &[
    "/etc/systemd/system/ollama.service",
    "/lib/systemd/system/ollama.service",
    "/usr/lib/systemd/system/ollama.service",
];
const DROP_IN_DIR: &str = "/etc/systemd/system/ollama.service.d";

/// The settings to judge with: the config's `[server]` first, then what a local
/// server's environment or unit says.
pub fn settings(config: &Config) -> ServerSettings {
    config.server.settings().or(detect())
}

/// What this machine tells about a local server's settings.
pub fn detect() -> ServerSettings {
    let vars = process_env().unwrap_or_else(unit_env);
    from_vars(vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
}

/// Settings from `KEY=value` pairs, read as `envconfig` reads them: spaces and
/// quotes trimmed (`envconfig.Var`), bad values ignored (the server's default stays).
pub fn from_vars<'a>(vars: impl Iterator<Item = (&'a str, &'a str)>) -> ServerSettings {
    let mut s = ServerSettings::default();
    for (key, raw) in vars {
        let v = raw.trim().trim_matches(|c| c == '"' || c == '\'').trim();
        match key {
            "OLLAMA_CONTEXT_LENGTH" => s.context_length = v.parse().ok(),
            "OLLAMA_NUM_PARALLEL" => s.num_parallel = v.parse().ok(),
            "OLLAMA_MAX_LOADED_MODELS" => s.max_loaded_models = v.parse().ok(),
            "OLLAMA_FLASH_ATTENTION" => s.flash_attention = parse_bool(v),
            "OLLAMA_KV_CACHE_TYPE" if !v.is_empty() => s.kv_cache_type = Some(v.to_lowercase()),
            "OLLAMA_GPU_OVERHEAD" => s.gpu_overhead = v.parse().ok(),
            // envconfig.KeepAlive: invalid values fall back to 5m.
            "OLLAMA_KEEP_ALIVE" if !v.is_empty() => s.keep_alive = KeepAlive::parse_env(v).ok(),
            _ => {}
        }
    }
    s
}

/// `strconv.ParseBool`, as `envconfig.Bool` uses it.
fn parse_bool(v: &str) -> Option<bool> {
    match v {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// The environment of the first readable `ollama serve` process.
fn process_env() -> Option<Vec<(String, String)>> {
    let procs = std::fs::read_dir("/proc").ok()?;
    procs.flatten().find_map(|p| {
        let dir = p.path();
        let cmdline = std::fs::read(dir.join("cmdline")).ok()?;
        let mut args = cmdline.split(|&b| b == 0).map(String::from_utf8_lossy);
        let exe = args.next()?;
        let is_ollama = Path::new(exe.as_ref())
            .file_name()
            .is_some_and(|n| n == "ollama");
        if !is_ollama || !args.any(|a| a == "serve") {
            return None;
        }
        let env = std::fs::read(dir.join("environ")).ok()?;
        Some(
            env.split(|&b| b == 0)
                .filter_map(|kv| {
                    let kv = String::from_utf8_lossy(kv);
                    let (k, v) = kv.split_once('=')?;
                    Some((k.to_string(), v.to_string()))
                })
                .collect(),
        )
    })
}

/// `Environment=` lines of the systemd unit and its drop-ins, later ones winning.
fn unit_env() -> Vec<(String, String)> {
    let mut files: Vec<std::path::PathBuf> = UNIT_FILES.iter().map(Into::into).collect();
    if let Ok(dir) = std::fs::read_dir(DROP_IN_DIR) {
        let mut drop_ins: Vec<_> = dir
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "conf"))
            .collect();
        drop_ins.sort();
        files.extend(drop_ins);
    }
    files
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .flat_map(|text| unit_vars(&text))
        .collect()
}

/// `Environment="A=1" "B=2"` and `Environment=A=1` lines of a unit file.
pub fn unit_vars(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("Environment="))
        .flat_map(split_words)
        .filter_map(|w| {
            let (k, v) = w.split_once('=')?;
            Some((k.to_string(), v.to_string()))
        })
        .collect()
}

/// Splits on spaces outside double quotes, dropping the quotes.
fn split_words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in s.chars() {
        match c {
            '"' => quoted = !quoted,
            ' ' | '\t' if !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_systemd_unit_with_quoted_and_bare_lines() {
        let unit = "[Service]\nExecStart=/usr/bin/ollama serve\nEnvironment=\"OLLAMA_NUM_PARALLEL=2\" \"OLLAMA_KEEP_ALIVE=24h\"\nEnvironment=OLLAMA_CONTEXT_LENGTH=8192\nEnvironment=\"PATH=/usr/bin\"\n";
        let vars = unit_vars(unit);
        let s = from_vars(vars.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        assert_eq!(s.num_parallel, Some(2));
        assert_eq!(s.context_length, Some(8192));
        assert_eq!(
            s.keep_alive,
            Some(KeepAlive::For(std::time::Duration::from_secs(86_400)))
        );
    }

    #[test]
    fn values_are_read_as_envconfig_reads_them() {
        let s = from_vars(
            [
                ("OLLAMA_FLASH_ATTENTION", " \"1\" "),
                ("OLLAMA_KV_CACHE_TYPE", "Q8_0"),
                ("OLLAMA_MAX_LOADED_MODELS", "lots"),
                ("OLLAMA_GPU_OVERHEAD", "536870912"),
                ("OLLAMA_KEEP_ALIVE", "-1"),
            ]
            .into_iter(),
        );
        assert_eq!(s.flash_attention, Some(true));
        assert_eq!(s.kv_cache_type.as_deref(), Some("q8_0"));
        assert_eq!(s.max_loaded_models, None);
        assert_eq!(s.gpu_overhead, Some(512 << 20));
        assert_eq!(s.keep_alive, Some(KeepAlive::Forever));
    }
}
