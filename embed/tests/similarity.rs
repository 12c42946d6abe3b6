//! The real model: paraphrases are close, unrelated texts are not.

use std::path::PathBuf;

use embed::{DIMENSIONS, Embedder};

fn embedder() -> Embedder {
    let dir = std::env::var("TEST_EMBEDDING_MODEL_DIR").expect("TEST_EMBEDDING_MODEL_DIR is set by make test");
    let runtime = std::env::var("TEST_ONNXRUNTIME_LIB").expect("TEST_ONNXRUNTIME_LIB is set by make test");
    Embedder::load(&PathBuf::from(dir), &PathBuf::from(runtime)).expect("the model loads")
}

#[test]
fn a_paraphrase_is_close_and_an_unrelated_text_is_far() {
    let embedder = embedder();
    let texts = [
        "Three mistakes everyone makes when cooking rice at home",
        "The errors people commonly make when they prepare rice in their kitchen",
        "How to change the oil of a motorcycle in ten minutes",
    ];
    let [rice, paraphrase, motorcycle] = embedder.embed(&texts).unwrap().try_into().unwrap();
    assert_eq!(rice.values().len(), DIMENSIONS);
    let norm: f32 = rice.values().iter().map(|v| v * v).sum::<f32>().sqrt();
    assert!((norm - 1.0).abs() < 1e-4, "unit length, got {norm}");
    let close = rice.cosine(&paraphrase);
    let far = rice.cosine(&motorcycle);
    assert!(close > 0.6, "paraphrase similarity {close}");
    assert!(far < 0.25, "unrelated similarity {far}");
    // One at a time gives the same vector as in a batch.
    let alone = embedder.embed_one(texts[0]).unwrap();
    assert!(alone.cosine(&rice) > 0.999);
}

#[test]
fn a_missing_model_file_is_named() {
    let runtime = std::env::var("TEST_ONNXRUNTIME_LIB").expect("TEST_ONNXRUNTIME_LIB is set by make test");
    let empty = std::env::temp_dir().join("reelpilot-no-model");
    std::fs::create_dir_all(&empty).unwrap();
    let error = Embedder::load(&empty, &PathBuf::from(runtime)).unwrap_err();
    assert!(error.to_string().contains("tokenizer.json"), "{error}");
}
