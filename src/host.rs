//! `OLLAMA_HOST` parsing, exactly as Ollama's `envconfig.Host()` does it.

/// A parsed Ollama base URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostUrl {
    pub scheme: String,
    /// Empty for `:1234` (a bind-all address).
    pub host: String,
    pub port: u16,
    /// Kept for servers behind a proxy (`https://example.com/ollama`).
    pub path: String,
}

impl HostUrl {
    /// Parses the way Ollama does: quotes and spaces trimmed, `http` and port 11434 when
    /// there is no scheme, 80/443 when the scheme is explicit, invalid ports fall back.
    pub fn parse(raw: &str) -> HostUrl {
        let s = raw.trim().trim_matches(|c| c == '"' || c == '\'').trim();
        let mut default_port: u16 = 11434;
        let (scheme, hostport) = match s.split_once("://") {
            None if s == "ollama.com" => ("https".to_string(), "ollama.com:443".to_string()),
            None => ("http".to_string(), s.to_string()),
            Some((scheme, rest)) => {
                match scheme {
                    "http" => default_port = 80,
                    "https" => default_port = 443,
                    _ => {}
                }
                (scheme.to_string(), rest.to_string())
            }
        };
        let (hostport, path) = match hostport.split_once('/') {
            Some((hp, p)) => (hp.to_string(), p.to_string()),
            None => (hostport, String::new()),
        };
        let (host, port_str) = match split_host_port(&hostport) {
            Some((h, p)) => (h, Some(p)),
            None => {
                let trimmed = hostport.trim_matches(|c| c == '[' || c == ']');
                let host = if let Ok(ip) = trimmed.parse::<std::net::IpAddr>() {
                    ip.to_string()
                } else if !hostport.is_empty() {
                    hostport.clone()
                } else {
                    "127.0.0.1".to_string()
                };
                (host, None)
            }
        };
        let port = port_str
            .and_then(|p| p.parse::<i64>().ok())
            .filter(|n| (0..=65535).contains(n))
            .map(|n| n as u16)
            .unwrap_or(default_port);
        HostUrl {
            scheme,
            host,
            port,
            path,
        }
    }

    /// The host a client should connect to: bind-all addresses mean this machine.
    pub fn connectable_host(&self) -> String {
        match self.host.as_str() {
            "" | "0.0.0.0" => "127.0.0.1".to_string(),
            "::" => "::1".to_string(),
            h => h.to_string(),
        }
    }

    /// Whether the server runs on this machine: loopback, a bind-all address,
    /// `localhost`, or this machine's own host name. Only then is this machine's
    /// memory the memory Ollama loads into.
    pub fn is_local(&self) -> bool {
        let host = self.connectable_host().to_lowercase();
        if host == "localhost" || host.ends_with(".localhost") {
            return true;
        }
        if let Ok(ip) = host
            .trim_matches(|c| c == '[' || c == ']')
            .parse::<std::net::IpAddr>()
        {
            return ip.is_loopback();
        }
        sysinfo::System::host_name().is_ok_and(|h| h.eq_ignore_ascii_case(&host))
    }

    /// The URL to send requests to.
    pub fn base_url(&self) -> String {
        self.render(&self.connectable_host())
    }

    fn render(&self, host: &str) -> String {
        let host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host.to_string()
        };
        let path = if self.path.is_empty() {
            String::new()
        } else {
            format!("/{}", self.path)
        };
        format!("{}://{}:{}{}", self.scheme, host, self.port, path)
    }
}

impl std::fmt::Display for HostUrl {
    /// The URL as Ollama itself prints it (an empty host stays empty).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render(&self.host))
    }
}

/// Go's `net.SplitHostPort`: `host:port` or `[v6]:port`; `None` when there is no port
/// or when a bare IPv6 address has too many colons.
fn split_host_port(s: &str) -> Option<(String, String)> {
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = after.strip_prefix(':')?;
        return Some((host.to_string(), port.to_string()));
    }
    let (host, port) = s.rsplit_once(':')?;
    if host.contains(':') {
        return None;
    }
    Some((host.to_string(), port.to_string()))
}

/// Which source gave the host, in precedence order: `--host`, `OLLAMA_HOST`, the config
/// file, the default.
pub fn resolve(flag: Option<&str>, env: Option<&str>, config: Option<&str>) -> HostUrl {
    let pick = [flag, env, config]
        .into_iter()
        .flatten()
        .find(|s| !s.trim().is_empty())
        .unwrap_or("");
    HostUrl::parse(pick)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every row of the table in Ollama's `envconfig/config_test.go`.
    #[test]
    fn parses_like_ollama() {
        let cases = [
            ("", "http://127.0.0.1:11434"),
            ("1.2.3.4", "http://1.2.3.4:11434"),
            (":1234", "http://:1234"),
            ("example.com", "http://example.com:11434"),
            ("0.0.0.0", "http://0.0.0.0:11434"),
            ("[::1]", "http://[::1]:11434"),
            ("::1", "http://[::1]:11434"),
            ("http://1.2.3.4", "http://1.2.3.4:80"),
            ("https://1.2.3.4", "https://1.2.3.4:443"),
            (
                "https://example.com/ollama",
                "https://example.com:443/ollama",
            ),
            (":66000", "http://:11434"),
            (":-1", "http://:11434"),
            (" \"1.2.3.4\" ", "http://1.2.3.4:11434"),
            ("ollama.com", "https://ollama.com:443"),
            ("1.2.3.4:5678", "http://1.2.3.4:5678"),
            ("'localhost:8080'", "http://localhost:8080"),
        ];
        for (raw, want) in cases {
            assert_eq!(HostUrl::parse(raw).to_string(), want, "OLLAMA_HOST={raw:?}");
        }
    }

    #[test]
    fn bind_all_addresses_connect_locally() {
        assert_eq!(
            HostUrl::parse("0.0.0.0").base_url(),
            "http://127.0.0.1:11434"
        );
        assert_eq!(HostUrl::parse(":1234").base_url(), "http://127.0.0.1:1234");
        assert_eq!(HostUrl::parse("::1").base_url(), "http://[::1]:11434");
        assert_eq!(
            HostUrl::parse("https://example.com/ollama").base_url(),
            "https://example.com:443/ollama"
        );
    }

    #[test]
    fn precedence_flag_env_config_default() {
        assert_eq!(
            resolve(Some("a:1"), Some("b:2"), Some("c:3")).to_string(),
            "http://a:1"
        );
        assert_eq!(
            resolve(None, Some("b:2"), Some("c:3")).to_string(),
            "http://b:2"
        );
        assert_eq!(resolve(None, None, Some("c:3")).to_string(), "http://c:3");
        assert_eq!(
            resolve(None, Some("  "), None).to_string(),
            "http://127.0.0.1:11434"
        );
        assert_eq!(
            resolve(None, None, None).to_string(),
            "http://127.0.0.1:11434"
        );
    }

    #[test]
    fn local_hosts_are_loopback_bind_all_and_localhost() {
        for h in [
            "",
            "127.0.0.1",
            "127.1.2.3:8080",
            "0.0.0.0",
            ":1234",
            "localhost",
            "[::1]:11434",
            "http://localhost",
        ] {
            assert!(HostUrl::parse(h).is_local(), "{h}");
        }
        for h in [
            "10.0.0.5",
            "gpu-box.lan",
            "https://example.com/ollama",
            "192.168.1.20:11434",
        ] {
            assert!(!HostUrl::parse(h).is_local(), "{h}");
        }
    }
}
