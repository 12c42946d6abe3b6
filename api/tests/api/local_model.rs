//! The offline default model: SmolLM2-135M-Instruct behind the llama.cpp
//! server (`llm-server/`), driven by the production LLM client with the
//! production batch schema as a grammar.

use crate::helpers::required_env;
use domain::{planning::generation, planning::prompts::DEFAULT_INSTRUCTIONS};
use platform::config::LlmConfig;
use platform::llm::LlmClient;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn the_local_model_drafts_a_day_that_passes_validation() {
    let client = LlmClient::new(&LlmConfig {
        base_url: required_env("TEST_LOCAL_LLM_URL"),
        api_key: None,
        model: "SmolLM2-135M-Instruct".into(),
        timeout: Duration::from_secs(600),
        repair_attempts: 0,
        price_in_micros_per_mtok: 0,
        price_out_micros_per_mtok: 0,
        max_output_tokens: 4096,
        batch_days: 1,
        placeholder: true,
    });
    let expected = [(4, 0), (4, 1), (4, 2)];
    let task = json!({
        "project": "Kitchen", "niche": "home cooking", "audience": "busy parents", "language": "en",
        "slots": expected.iter().map(|(d, s)| json!({"day_index": d, "slot_index": s})).collect::<Vec<_>>(),
    });
    let messages = [
        json!({"role": "system", "content": DEFAULT_INSTRUCTIONS}),
        json!({"role": "user", "content": task.to_string()}),
    ];
    let answer = client
        .complete(&messages, &generation::batch_schema(&expected, &generation::Bounds::default()))
        .await
        .expect("the local model answers");
    let drafts = generation::validate_batch(&answer.content, &expected, &generation::Bounds::default())
        .unwrap_or_else(|errors| panic!("the grammar keeps the answer valid: {errors:?}\n{}", answer.content));
    assert_eq!(drafts.iter().map(|d| (d.day_index, d.slot_index)).collect::<Vec<_>>(), expected);
    assert!(answer.tokens_in > 0 && answer.tokens_out > 0);
}
