//! `TIKTOK_SIM_CLIENT_KEY=... TIKTOK_SIM_CLIENT_SECRET=... reelpilot-tiktok-sim [addr]`:
//! the local TikTok sandbox (Login Kit, Content Posting, Display) as a
//! process, for `make dev`. Optional: `TIKTOK_SIM_AUDITED=false` (only
//! SELF_ONLY posts), `TIKTOK_SIM_VERIFIED_URL_PREFIXES` and
//! `TIKTOK_SIM_REDIRECT_URIS` (comma-separated), `TIKTOK_SIM_MODERATION_SECS`
//! (how long a public post waits for its id; default 60).

use std::time::Duration;
use testkit::tiktok::{SimConfig, TikTokSimulator};

fn required(name: &str) -> String {
    match std::env::var(name) {
        Ok(value) if !value.is_empty() => value,
        _ => {
            eprintln!("{name} must be set (the app credentials clients will use)");
            std::process::exit(2);
        }
    }
}

fn list(name: &str) -> Vec<String> {
    let value = std::env::var(name).unwrap_or_default();
    value.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:9400".into());
    let config = SimConfig {
        verified_url_prefixes: list("TIKTOK_SIM_VERIFIED_URL_PREFIXES"),
        redirect_uris: list("TIKTOK_SIM_REDIRECT_URIS"),
        audited: std::env::var("TIKTOK_SIM_AUDITED").map_or(true, |v| v != "false" && v != "0"),
        moderation_delay: match std::env::var("TIKTOK_SIM_MODERATION_SECS") {
            Ok(secs) => Duration::from_secs(secs.parse().expect("TIKTOK_SIM_MODERATION_SECS is whole seconds")),
            Err(_) => Duration::from_secs(60),
        },
        ..SimConfig::new(required("TIKTOK_SIM_CLIENT_KEY"), required("TIKTOK_SIM_CLIENT_SECRET"))
    };
    let sim = TikTokSimulator::new(config);
    let base = sim.serve(addr.parse().expect("an address like 127.0.0.1:9400")).await?;
    eprintln!("local TikTok sandbox at {base} (authorize at {base}/v2/auth/authorize/)");
    std::future::pending::<()>().await;
    Ok(())
}
