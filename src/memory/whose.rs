//! Whose memory the verdicts use: this machine's only when Ollama runs here;
//! exporters the user names when given; otherwise the memory is unknown, and the
//! verdicts say so instead of guessing from the wrong machine.

use crate::host::HostUrl;

/// Where memory readings come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemoryPlan {
    /// This machine (sysinfo, NVML, sysfs).
    Local,
    /// Prometheus exporters (`--memory-url`, `memory_urls`).
    Exporters(Vec<String>),
    /// A server on another machine and no exporter named.
    Unknown { host: String },
}

/// The wording used wherever the memory is unknown.
pub const UNKNOWN_HINT: &str = "memory of that host unknown — see --memory-url";

impl MemoryPlan {
    /// `urls` from the command line win over the config's.
    pub fn choose(host: &HostUrl, flag_urls: &[String], config_urls: &[String]) -> MemoryPlan {
        let urls = if flag_urls.is_empty() {
            config_urls
        } else {
            flag_urls
        };
        let urls: Vec<String> = urls
            .iter()
            .map(|u| u.trim().to_string())
            .filter(|u| !u.is_empty())
            .collect();
        if !urls.is_empty() {
            MemoryPlan::Exporters(urls)
        } else if host.is_local() {
            MemoryPlan::Local
        } else {
            MemoryPlan::Unknown {
                host: host.connectable_host(),
            }
        }
    }

    /// Whose memory the memory pane shows.
    pub fn label(&self) -> String {
        match self {
            MemoryPlan::Local => "this machine".into(),
            MemoryPlan::Exporters(urls) => match urls.as_slice() {
                [one] => exporter_label(one),
                many => format!("{} exporters", many.len()),
            },
            MemoryPlan::Unknown { host } => format!("{} (unknown)", crate::sanitize::clean(host)),
        }
    }
}

/// `http://gpu-box:9100/metrics` → `gpu-box:9100`: short enough for a pane title.
pub fn exporter_label(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split('/').next().unwrap_or(rest);
    crate::sanitize::clean(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exporter_labels_keep_host_and_port() {
        assert_eq!(
            exporter_label("http://gpu-box:9100/metrics"),
            "gpu-box:9100"
        );
        assert_eq!(exporter_label("gpu-box:9100"), "gpu-box:9100");
    }

    #[test]
    fn exporters_win_then_local_then_unknown() {
        let local = HostUrl::parse("127.0.0.1");
        let remote = HostUrl::parse("gpu-box:11434");
        let urls = vec!["http://gpu-box:9100/metrics".to_string()];
        assert_eq!(MemoryPlan::choose(&local, &[], &[]), MemoryPlan::Local);
        assert_eq!(
            MemoryPlan::choose(&local, &urls, &[]),
            MemoryPlan::Exporters(urls.clone())
        );
        assert_eq!(
            MemoryPlan::choose(&remote, &[], &urls),
            MemoryPlan::Exporters(urls.clone())
        );
        let flag = vec!["http://a/metrics".to_string()];
        assert_eq!(
            MemoryPlan::choose(&remote, &flag, &urls),
            MemoryPlan::Exporters(flag)
        );
        assert_eq!(
            MemoryPlan::choose(&remote, &[], &[]),
            MemoryPlan::Unknown {
                host: "gpu-box".into()
            }
        );
    }
}
