//! Model names as Ollama compares them: case-insensitive, with an implicit `:latest`.

/// `llama3` and `llama3:latest` are the same model; case does not matter.
pub fn same_model(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    if !(a.is_ascii() && b.is_ascii()) {
        return normalize(a) == normalize(b);
    }
    // `normalize` without its two strings: every loaded model is looked up among
    // 10,000 installed ones. Names of one length are the same model when they
    // match case aside (':' and '/' have no case, so both or neither are tagged);
    // otherwise only `x` and `x:latest` are, the shorter one untagged.
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if short.len() == long.len() {
        return short.eq_ignore_ascii_case(long);
    }
    let tagged = |s: &str| s.rsplit('/').next().unwrap_or(s).contains(':');
    long.len() == short.len() + ":latest".len()
        && long[short.len()..].eq_ignore_ascii_case(":latest")
        && long[..short.len()].eq_ignore_ascii_case(short)
        && !tagged(short)
}

pub fn normalize(name: &str) -> String {
    let lower = name.trim().to_lowercase();
    let last = lower.rsplit('/').next().unwrap_or(&lower);
    if last.contains(':') {
        lower
    } else {
        format!("{lower}:latest")
    }
}

/// The part before the tag: `qwen2.5-coder` for `qwen2.5-coder:7b`, keeping any
/// namespace or host (`hf.co/bartowski/x`).
pub fn base(name: &str) -> &str {
    let slash = name.rfind('/').map_or(0, |i| i + 1);
    match name[slash..].find(':') {
        Some(i) => &name[..slash + i],
        None => name,
    }
}

/// The tag: `7b` for `qwen2.5-coder:7b`, `latest` when there is none.
pub fn tag(name: &str) -> &str {
    let slash = name.rfind('/').map_or(0, |i| i + 1);
    match name[slash..].find(':') {
        Some(i) => &name[slash + i + 1..],
        None => "latest",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implicit_latest_and_case() {
        assert!(same_model("llama3", "LLAMA3:latest"));
        assert!(!same_model("llama3", "llama3:8b"));
        assert!(same_model(
            "hf.co/bartowski/Ministral-8B-Instruct-2410-GGUF:IQ4_XS",
            "hf.co/bartowski/ministral-8b-instruct-2410-gguf:iq4_xs"
        ));
    }

    #[test]
    fn same_model_agrees_with_comparing_normalized_names() {
        let names = [
            "llama3",
            "LLAMA3:latest",
            "llama3:latestx",
            "llama3:8b",
            " llama3:8B ",
            "ns/llama3",
            "ns/llama3:latest",
            "localhost:5000/ns/m",
            "localhost:5000/ns/m:latest",
            "Ünïcode",
            "ünïcode:latest",
            "a:b",
            "a:b:latest",
            "A:B:LATEST",
            "ns/a:latest",
            "ns:5/a",
            "ns:5/a:latest",
            "",
            ":latest",
        ];
        for a in names {
            for b in names {
                let want = normalize(a) == normalize(b);
                assert_eq!(same_model(a, b), want, "{a:?} vs {b:?}");
            }
        }
    }

    #[test]
    fn base_and_tag() {
        assert_eq!(base("qwen2.5-coder:7b"), "qwen2.5-coder");
        assert_eq!(tag("qwen2.5-coder:7b"), "7b");
        assert_eq!(base("localhost:5000/ns/m"), "localhost:5000/ns/m");
        assert_eq!(tag("localhost:5000/ns/m"), "latest");
        assert_eq!(base("hf.co/a/b-GGUF:Q4_K_M"), "hf.co/a/b-GGUF");
    }
}
