//! A model's figures as Ollama's scheduler reads them from the GGUF (`fs/ggml/ggml.go`
//! `KV` accessors), here from the catalog's `model_info`, and its weights split into
//! per-layer sizes the way `Tensors().GroupLayers()` would give them.

use serde_json::Value;

use super::catalog::CatalogModel;

/// What the estimators need to know about one model.
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    pub arch: String,
    pub blocks: u64,
    pub embedding: u64,
    /// Per layer; `attention.head_count` may be one number or an array.
    pub heads: Vec<u64>,
    pub heads_kv: Vec<u64>,
    pub key_length: Option<u64>,
    pub value_length: Option<u64>,
    /// 0 when unknown.
    pub vocab: u64,
    pub sliding_window: u64,
    /// Trained context; 0 when unknown.
    pub context_length: u64,
    /// Bytes on disk (the weights blob, roughly).
    pub file_size: u64,
    pub quantization: String,
    /// Capabilities say embedding and not completion.
    pub embedding_only: bool,
}

/// Weights per block and of the output layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Weights {
    pub block: u64,
    pub output: u64,
}

impl Shape {
    pub fn of(m: &CatalogModel) -> Shape {
        let info = &m.model_info;
        let arch = info
            .get("general.architecture")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let key = |k: &str| info.get(&format!("{arch}.{k}"));
        let num = |k: &str| key(k).and_then(Value::as_u64);
        let blocks = num("block_count").unwrap_or(0);
        Shape {
            blocks,
            embedding: num("embedding_length").unwrap_or(0),
            // `HeadCountKV` defaults to 1; `HeadCountMax` likewise (ggml.go).
            heads: per_layer(key("attention.head_count"), blocks, 1),
            heads_kv: per_layer(key("attention.head_count_kv"), blocks, 1),
            key_length: num("attention.key_length"),
            value_length: num("attention.value_length"),
            vocab: num("vocab_size").unwrap_or(0),
            sliding_window: num("attention.sliding_window").unwrap_or(0),
            context_length: num("context_length").unwrap_or(0),
            file_size: m.size,
            quantization: m.details.quantization_level.clone(),
            embedding_only: embedding_only(m),
            arch,
        }
    }

    pub fn heads_max(&self) -> u64 {
        self.heads.iter().copied().max().unwrap_or(1)
    }

    pub fn heads_min(&self) -> u64 {
        self.heads
            .iter()
            .copied()
            .filter(|h| *h > 0)
            .min()
            .unwrap_or(1)
    }

    pub fn heads_kv_max(&self) -> u64 {
        self.heads_kv.iter().copied().max().unwrap_or(1)
    }

    pub fn heads_kv_min(&self) -> u64 {
        self.heads_kv
            .iter()
            .copied()
            .filter(|h| *h > 0)
            .min()
            .unwrap_or(1)
    }

    /// `EmbeddingHeadCountMax`: embedding / the *smallest* head count.
    pub fn head_dim(&self) -> u64 {
        self.embedding / self.heads_min().max(1)
    }

    pub fn head_dim_k(&self) -> u64 {
        self.key_length.unwrap_or_else(|| self.head_dim())
    }

    pub fn head_dim_v(&self) -> u64 {
        self.value_length.unwrap_or_else(|| self.head_dim())
    }

    /// The file split into `blocks` equal blocks and an output layer of
    /// vocab × embedding at the file's bytes per weight (+ the f32 `output_norm`),
    /// or 1/(blocks+1) of the file when that cannot be told.
    pub fn weights(&self) -> Weights {
        let even = self.file_size / (self.blocks + 1);
        let output = bytes_per_weight(&self.quantization)
            .filter(|_| self.vocab > 0 && self.embedding > 0)
            .map(|bpw| (self.vocab as f64 * self.embedding as f64 * bpw) as u64)
            .map(|o| o.saturating_add(self.embedding * 4))
            .filter(|o| *o < self.file_size)
            .unwrap_or(even);
        let block = match self.blocks {
            0 => 0,
            n => (self.file_size - output) / n,
        };
        Weights { block, output }
    }
}

fn embedding_only(m: &CatalogModel) -> bool {
    let has = |c: &str| m.capabilities.iter().any(|x| x == c);
    has("embedding") && !has("completion")
}

/// One value for every layer: a number repeated, an array as given (missing
/// entries take the first value), `null` or absent as `default`.
fn per_layer(v: Option<&Value>, blocks: u64, default: u64) -> Vec<u64> {
    let n = blocks as usize;
    match v {
        Some(Value::Number(x)) => vec![x.as_u64().unwrap_or(default); n],
        Some(Value::Array(items)) => {
            let vals: Vec<u64> = items.iter().map(|x| x.as_u64().unwrap_or(0)).collect();
            let first = vals.first().copied().unwrap_or(default);
            (0..n)
                .map(|i| vals.get(i).copied().unwrap_or(first))
                .collect()
        }
        _ => vec![default; n],
    }
}

/// GGML block sizes over block lengths (`ggml/src/ggml.c` type traits).
pub fn bytes_per_weight(quantization: &str) -> Option<f64> {
    let q = quantization.to_ascii_uppercase();
    let bpw = match q.as_str() {
        "F32" => 4.0,
        "F16" | "BF16" => 2.0,
        "Q8_0" => 34.0 / 32.0,
        "Q6_K" => 210.0 / 256.0,
        "Q5_1" => 24.0 / 32.0,
        "Q5_0" | "Q5_K_M" | "Q5_K_S" | "Q5_K" => 176.0 / 256.0,
        "Q4_1" => 20.0 / 32.0,
        "Q4_0" | "Q4_K_M" | "Q4_K_S" | "Q4_K" | "IQ4_NL" => 144.0 / 256.0,
        "IQ4_XS" | "MXFP4" => 136.0 / 256.0,
        "Q3_K_M" | "Q3_K_S" | "Q3_K_L" | "Q3_K" => 110.0 / 256.0,
        "Q2_K" => 84.0 / 256.0,
        _ => return None,
    };
    Some(bpw)
}

/// The Modelfile `num_ctx` among `/api/show` `parameters` (`%-30s %#v` lines).
pub fn modelfile_num_ctx(parameters: &str) -> Option<u64> {
    parameters.lines().find_map(|line| {
        let (name, value) = line.trim().split_once(char::is_whitespace)?;
        (name == "num_ctx").then(|| value.trim().parse().ok())?
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::catalog::Catalog;

    fn shape(name: &str) -> Shape {
        Shape::of(Catalog::embedded().find(name).expect("in catalog"))
    }

    #[test]
    fn llama_figures_and_weights_split() {
        let s = shape("llama3.1:8b");
        assert_eq!((s.blocks, s.embedding, s.vocab), (32, 4096, 128_256));
        assert_eq!(
            (s.heads_max(), s.heads_kv_min(), s.head_dim_k()),
            (32, 8, 128)
        );
        let w = s.weights();
        // 128256 × 4096 × 0.5625 B + 4096 × 4 B
        assert_eq!(w.output, 295_501_824 + 16_384);
        assert_eq!(
            w.block * 32 + w.output + (s.file_size - w.output) % 32,
            s.file_size
        );
    }

    #[test]
    fn unknown_vocab_or_quantization_splits_evenly() {
        let s = shape("hf.co/bartowski/Ministral-8B-Instruct-2410-GGUF:IQ4_XS");
        assert_eq!(s.quantization, "unknown");
        assert_eq!(s.weights().output, s.file_size / 37);
        let nomic = shape("nomic-embed-text");
        assert!(nomic.embedding_only);
        assert_eq!(nomic.heads_kv, vec![1; 12], "head_count_kv defaults to 1");
    }

    #[test]
    fn modelfile_num_ctx_is_read_from_parameters() {
        assert_eq!(
            modelfile_num_ctx("num_ctx                        8192"),
            Some(8192)
        );
        assert_eq!(modelfile_num_ctx("stop \"x\"\nnum_ctx 4096"), Some(4096));
        assert_eq!(modelfile_num_ctx("stop \"num_ctx\""), None);
    }
}
