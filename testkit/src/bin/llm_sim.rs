//! `reelpilot-llm-sim [addr]`: the OpenAI-compatible simulator as a process,
//! for benchmarks and for trying the pipeline without a model.

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:11435".into());
    let sim = testkit::llm::LlmSimulator::new();
    let base = sim.serve(addr.parse().expect("an address like 127.0.0.1:11435")).await?;
    eprintln!("OpenAI-compatible simulator at {base}");
    std::future::pending::<()>().await;
    Ok(())
}
