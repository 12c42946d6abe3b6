//! Audio as Whisper wants it: 16 kHz mono f32, decoded by FFmpeg from any
//! file FFmpeg reads (restricted to the file protocol).

use crate::{AsrError, SAMPLE_RATE};
use std::{path::Path, process::Command};

/// The audio of `input` as 16 kHz mono samples. `demuxer` (`-f`), when
/// given, is the only one FFmpeg may read the file with: a file whose type
/// was checked cannot turn out to be a playlist that opens other files.
pub fn decode(ffmpeg: &Path, input: &Path, demuxer: Option<&str>) -> Result<Vec<f32>, AsrError> {
    let mut command = Command::new(ffmpeg);
    command.args(["-nostdin", "-hide_banner", "-loglevel", "error", "-protocol_whitelist", "file"]);
    if let Some(demuxer) = demuxer {
        command.args(["-f", demuxer]);
    }
    let output = command
        .arg("-i")
        .arg(input)
        .args(["-vn", "-ac", "1", "-ar", &SAMPLE_RATE.to_string(), "-f", "f32le", "pipe:1"])
        .output()
        .map_err(|e| AsrError::Audio(format!("could not run FFmpeg: {e}")))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(AsrError::Audio(stderr.lines().last().unwrap_or("FFmpeg failed").to_owned()));
    }
    Ok(output.stdout.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect())
}

/// How long `samples` last, in milliseconds.
pub fn duration_ms(samples: &[f32]) -> i64 {
    samples.len() as i64 * 1000 / i64::from(SAMPLE_RATE)
}
