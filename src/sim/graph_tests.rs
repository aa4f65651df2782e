use super::*;

/// A hand-made shape: uniform heads, no key/value lengths.
fn shape(arch: &str, blocks: u64, embedding: u64, heads: u64, heads_kv: u64, vocab: u64) -> Shape {
    Shape {
        arch: arch.into(),
        blocks,
        embedding,
        heads: vec![heads; blocks as usize],
        heads_kv: vec![heads_kv; blocks as usize],
        key_length: None,
        value_length: None,
        vocab,
        sliding_window: 0,
        context_length: 0,
        file_size: 0,
        quantization: "Q4_0".into(),
        embedding_only: false,
    }
}

fn params(ctx: u64, parallel: u64, kv_type: &str) -> Params {
    Params {
        ctx,
        batch: ctx.min(512),
        parallel,
        kv_bytes: kv_bytes_per_element(kv_type),
        flash_attention: false,
    }
}

/// `GraphSize` default KV: llama3 8B is 128 KiB a token, 1 GiB at 8192
/// (ollama/ollama#7622); q8_0 halves it, q4_0 quarters it; parallel multiplies it.
#[test]
fn kv_per_layer_by_cache_type_and_slots() {
    let llama = shape("llama", 32, 4096, 32, 8, 128_256);
    let total = |ctx, par, t| graph_size(&llama, params(ctx, par, t)).kv_total();
    assert_eq!(total(8192, 1, "f16"), 1 << 30);
    assert_eq!(total(8192, 1, "q8_0"), 1 << 29);
    assert_eq!(total(8192, 1, "q4_0"), 1 << 28);
    assert_eq!(total(2048, 4, "f16"), 1 << 30);
}

/// The llama formulas of `GraphSize`, worked by hand at ctx 4096, batch 512.
#[test]
fn llama_graph_by_hand() {
    let g = graph_size(
        &shape("llama", 32, 4096, 32, 8, 128_256),
        params(4096, 1, "f16"),
    );
    // max(4·512·(1 + 4·4096 + 4096·33), 4·512·(4096 + 128256))
    assert_eq!(g.full, 2048 * 151_553);
    // 4·b·E + max(attention 311_429_120, vocab 271_056_896 + 430_940_160)
    assert_eq!(g.partial, 8_388_608 + 701_997_056);
}

#[test]
fn qwen2_graph_by_hand() {
    let g = graph_size(
        &shape("qwen2", 28, 3584, 28, 4, 152_064),
        params(4096, 1, "f16"),
    );
    // max(4·512·(3584 + 152064), 4·512·(1 + 7168 + 4096 + 4096·28)): the vocab wins.
    assert_eq!(g.full, 2048 * (3584 + 152_064));
    let vocab = 2048 * (3584 + 152_064) + 3584 * 152_064 * 105 / 128;
    let attention = 4 * (512 * (1 + 7168 + 4096 * 29) + 3584 * 4097);
    assert_eq!(g.partial, vocab.max(attention));
}

/// gemma3: every 6th layer global, the rest `parallel × window + batch` tokens.
#[test]
fn gemma3_sliding_window_layers() {
    let mut s = shape("gemma3", 12, 2560, 8, 4, 262_144);
    s.key_length = Some(256);
    s.value_length = Some(256);
    s.sliding_window = 1024;
    let g = graph_size(&s, params(8192, 1, "f16"));
    let per_token = 512 * 4 * 2;
    assert_eq!(g.kv[5], 8192 * per_token, "layer 6 is global");
    assert_eq!(g.kv[11], 8192 * per_token);
    assert_eq!(g.kv[0], (1024 + 512) * per_token);
    // gemma2 keeps every layer at the full context in `GraphSize`.
    s.arch = "gemma2".into();
    assert_eq!(
        graph_size(&s, params(8192, 1, "f16")).kv[0],
        8192 * per_token
    );
}

/// gpt-oss: even layers hold `parallel × 4096 + batch` tokens, odd ones the context.
#[test]
fn gptoss_alternating_window() {
    let mut s = shape("gptoss", 4, 2880, 64, 8, 201_088);
    s.key_length = Some(64);
    s.value_length = Some(64);
    let g = graph_size(&s, params(32_768, 1, "f16"));
    let per_token = 128 * 8 * 2;
    assert_eq!(
        g.kv,
        vec![
            (4096 + 512) * per_token,
            32_768 * per_token,
            (4096 + 512) * per_token,
            32_768 * per_token
        ]
    );
    let mut fa = params(32_768, 1, "f16");
    fa.flash_attention = true;
    assert_eq!(graph_size(&s, fa).partial, (4 + 32 + 110) << 20);
}

/// Unknown architectures: `gqa × kvTotal / 6`, full = partial (`estimateGPULayers`).
#[test]
fn generic_fallback() {
    let g = graph_size(
        &shape("phi3", 32, 3072, 32, 8, 32_064),
        params(4096, 1, "f16"),
    );
    assert_eq!(g.partial, 4 * g.kv_total() / 6);
    assert_eq!(g.full, g.partial);
}
