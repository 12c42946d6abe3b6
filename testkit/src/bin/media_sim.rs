//! `reelpilot-media-sim ADDR`: a video site as a process, for the browser
//! tests and for trying imports without the internet. It speaks a short
//! talk with espeak-ng, muxes it over a test pattern and serves it as
//! `/watch` (an Open Graph page), `/clip.mp4` and `/hls/index.m3u8`.

use std::process::Command;
use testkit::media::{MediaOptions, MediaServer, synthetic_clip};

/// About a minute of speech: enough for a few 15 to 60 s highlights.
const TALK: &str = "Three knives are all you need in a small kitchen. Keep them sharp and store them dry. \
                    A good board matters more than an expensive pan.";
const TITLE: &str = "Knife skills for a small kitchen";

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:11436".into());
    let dir = std::env::temp_dir().join(format!("reelpilot-media-sim-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let wav = dir.join("talk.wav");
    let status =
        Command::new("espeak-ng").args(["-v", "en", "-s", "140", "-w"]).arg(&wav).arg([TALK; 6].join(" ")).status()?;
    if !status.success() {
        return Err(std::io::Error::other(format!("espeak-ng exited with {status}")));
    }
    let clip = synthetic_clip(&dir, &wav)?;
    let options = MediaOptions::new(clip).title(TITLE).addr(addr.parse().expect("an address like 127.0.0.1:11436"));
    let server = MediaServer::start_with(options).await?;
    eprintln!("media server at {}", server.url("/watch"));
    std::future::pending::<()>().await;
    Ok(())
}
