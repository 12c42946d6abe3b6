//! How a project's videos look and sound: the caption preset, the music
//! under the voice and the voice's pace. Stored on the project as JSON; a missing or older value
//! reads as the defaults, so every project has a style.

use serde::{Deserialize, Serialize};

/// Caption looks, each readable on a phone over any background.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaptionPreset {
    /// Large white words with a black outline in the middle band, the
    /// word being said in yellow.
    #[default]
    Bold,
    /// White words on a dark translucent box, the word being said in yellow.
    Boxed,
    /// Smaller white words with a thin outline in the lower third, the
    /// word being said in green.
    Clean,
}

/// What plays under the voice.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Music {
    /// A soft pad synthesised by FFmpeg for each render (no licence to
    /// worry about), ducked under the voice.
    #[default]
    Generated,
    /// The voice alone.
    None,
    /// The project's own track (`music_track`, an uploaded MP3 or WAV),
    /// looped to the video's length, levelled, faded and ducked the same way.
    Track,
}

/// How fast the voice speaks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VoicePace {
    Relaxed,
    #[default]
    Normal,
    Brisk,
}

impl VoicePace {
    /// Time per sound relative to the voice's own pace (Piper's length scale).
    pub fn length_scale(self) -> f64 {
        match self {
            VoicePace::Relaxed => 1.12,
            VoicePace::Normal => 1.0,
            VoicePace::Brisk => 0.88,
        }
    }
}

/// How high the voice sounds: Piper's one English voice (and espeak-ng's)
/// shifted, its formants kept so it stays natural, its timing unchanged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VoicePitch {
    Lower,
    #[default]
    Natural,
    Higher,
}

impl VoicePitch {
    /// The frequency ratio the voice is shifted by (1 for none).
    pub fn ratio(self) -> f64 {
        match self {
            VoicePitch::Lower => 0.89,
            VoicePitch::Natural => 1.0,
            VoicePitch::Higher => 1.12,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct VideoStyle {
    pub captions: CaptionPreset,
    pub music: Music,
    /// The uploaded MP3 or WAV played when `music` is `track`.
    pub music_track: Option<uuid::Uuid>,
    pub voice_pace: VoicePace,
    pub voice_pitch: VoicePitch,
}

impl VideoStyle {
    /// The style stored on a project; what cannot be read is the default.
    pub fn of(stored: &serde_json::Value) -> VideoStyle {
        serde_json::from_value(stored.clone()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn stored_styles_read_with_defaults_for_what_is_missing() {
        assert_eq!(VideoStyle::of(&json!({})), VideoStyle::default());
        let boxed = VideoStyle::of(&json!({"captions": "boxed"}));
        assert_eq!((boxed.captions, boxed.music), (CaptionPreset::Boxed, Music::Generated));
        assert_eq!(VideoStyle::of(&json!({"music": "none"})).music, Music::None);
        assert_eq!(VideoStyle::of(&json!({"voice_pace": "brisk"})).voice_pace.length_scale(), 0.88);
        assert_eq!(VideoStyle::of(&json!("garbage")), VideoStyle::default());
        assert_eq!(VideoStyle::of(&json!({"voice_pitch": "lower"})).voice_pitch.ratio(), 0.89);
    }
}
