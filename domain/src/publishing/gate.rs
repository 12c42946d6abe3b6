//! The publish gate: TikTok's required choices (no privacy default, the
//! account's own options, interaction toggles off unless turned on,
//! disclosure), checked against a fresh creator_info. One decision for a
//! person's choices (the API) and autopilot's saved ones (the pipeline).

use super::{project_in, slot_in};
use crate::{DomainError, OrgScope};
use entities::{
    assets, projects,
    slots::{self, SlotStatus},
};
use platform::tiktok::{CreatorInfo, PostInfo};
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const PRIVACY_LEVELS: [&str; 4] =
    ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY"];

/// What a person chooses at the publish gate (TikTok's required UX): no
/// privacy default, interaction toggles off unless turned on, disclosure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishChoice {
    pub privacy_level: String,
    #[serde(default)]
    pub allow_comment: bool,
    #[serde(default)]
    pub allow_duet: bool,
    #[serde(default)]
    pub allow_stitch: bool,
    /// "Your brand": shown as Promotional content.
    #[serde(default)]
    pub brand_organic: bool,
    /// "Branded content": shown as Paid partnership; cannot be private.
    #[serde(default)]
    pub branded_content: bool,
}

/// Checks a choice against the creator's live options, before TikTok is
/// called: an unaudited app is offered only SELF_ONLY and anything else is
/// refused here.
pub fn check_choice(choice: &PublishChoice, creator: &CreatorInfo) -> Result<(), DomainError> {
    check_privacy(&choice.privacy_level, creator)?;
    if choice.branded_content && choice.privacy_level == "SELF_ONLY" {
        return Err(DomainError::invalid("branded_content", "branded content cannot be private (SELF_ONLY)"));
    }
    let disabled = [
        (choice.allow_comment && creator.comment_disabled, "allow_comment", "comments"),
        (choice.allow_duet && creator.duet_disabled, "allow_duet", "duets"),
        (choice.allow_stitch && creator.stitch_disabled, "allow_stitch", "stitches"),
    ];
    if let Some((_, field, what)) = disabled.into_iter().find(|(on, _, _)| *on) {
        return Err(DomainError::invalid(field, format!("the creator has turned {what} off")));
    }
    Ok(())
}

/// The privacy level is one the account offers now.
fn check_privacy(privacy_level: &str, creator: &CreatorInfo) -> Result<(), DomainError> {
    if !creator.privacy_level_options.iter().any(|o| o == privacy_level) {
        return Err(DomainError::invalid(
            "privacy_level",
            format!("must be one of this account's options: {}", creator.privacy_level_options.join(", ")),
        ));
    }
    Ok(())
}

/// What TikTok checks right before a post (the gate, and again before the
/// init, with a creator_info fetched then): the privacy is still offered
/// and the video is not longer than the account may post.
pub fn check_postable(
    privacy_level: &str,
    video_duration_ms: Option<i32>,
    creator: &CreatorInfo,
) -> Result<(), DomainError> {
    check_privacy(privacy_level, creator)?;
    if i64::from(video_duration_ms.unwrap_or(0)) > creator.max_video_post_duration_sec * 1000 {
        return Err(DomainError::Conflict(format!(
            "the video is longer than the {} s this account may post",
            creator.max_video_post_duration_sec
        )));
    }
    Ok(())
}

/// TikTok's post_info for a slot and a choice.
pub fn post_info(slot: &slots::Model, choice: &PublishChoice, cover_timestamp_ms: i64) -> PostInfo {
    let tags: Vec<String> = serde_json::from_value(slot.hashtags.clone()).unwrap_or_default();
    let mut title = slot.caption.clone();
    for tag in tags {
        if !title.contains(&tag) {
            title.push(' ');
            title.push_str(&tag);
        }
    }
    // TikTok counts UTF-16 units; stay within 2200.
    while title.encode_utf16().count() > 2200 {
        title.pop();
    }
    PostInfo {
        title,
        privacy_level: choice.privacy_level.clone(),
        disable_comment: !choice.allow_comment,
        disable_duet: !choice.allow_duet,
        disable_stitch: !choice.allow_stitch,
        video_cover_timestamp_ms: cover_timestamp_ms,
        brand_content_toggle: choice.branded_content,
        brand_organic_toggle: choice.brand_organic,
        is_aigc: true,
    }
}

/// A slot at its publish gate: rendered, with its current video and the
/// project's TikTok account.
#[derive(Debug, Clone)]
pub struct Gate {
    pub slot: slots::Model,
    pub project: projects::Model,
    pub account_id: Uuid,
    /// The slot's current video: what would be posted, and its cover.
    pub video: assets::Model,
}

/// The gate's decision: what the post will be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateDecision {
    pub slot_id: Uuid,
    pub account_id: Uuid,
    pub video_id: Uuid,
    /// The project's post mode: direct or inbox.
    pub post_mode: String,
    pub info: PostInfo,
}

/// Opens the slot's publish gate: refused unless the slot is rendered, has
/// its video and its project a TikTok account.
pub async fn open(db: &DatabaseConnection, scope: &OrgScope, slot_id: Uuid) -> Result<Gate, DomainError> {
    let tx = scope.begin(db).await?;
    let slot = slot_in(&tx, slot_id).await?;
    if slot.status != SlotStatus::Rendered {
        return Err(DomainError::Conflict(format!(
            "the slot is {:?}; the publish gate opens once it is rendered",
            slot.status
        )));
    }
    let project = project_in(&tx, slot.project_id).await?;
    let account_id = project
        .tiktok_account_id
        .ok_or_else(|| DomainError::Conflict("the project has no TikTok account; connect one and choose it".into()))?;
    let video_id =
        slot.video_asset_id.ok_or_else(|| DomainError::Conflict("the slot has no rendered video yet".into()))?;
    let video = tx.find_by_id::<assets::Entity>(video_id).one(&*tx).await?.ok_or(DomainError::NotFound("video"))?;
    Ok(Gate { slot, project, account_id, video })
}

impl Gate {
    /// The one gate decision: `choice` against the creator's live options
    /// and the video, into TikTok's post_info with the video's own cover.
    pub fn decide(&self, choice: &PublishChoice, creator: &CreatorInfo) -> Result<GateDecision, DomainError> {
        check_choice(choice, creator)?;
        check_postable(&choice.privacy_level, self.video.duration_ms, creator)?;
        let cover = self.video.cover_timestamp_ms.unwrap_or(0);
        Ok(GateDecision {
            slot_id: self.slot.id,
            account_id: self.account_id,
            video_id: self.video.id,
            post_mode: self.project.post_mode.clone(),
            info: post_info(&self.slot, choice, i64::from(cover)),
        })
    }

    /// Autopilot's choice: the project's saved publish choices.
    pub fn saved_choice(&self) -> Result<PublishChoice, DomainError> {
        self.project.publish_defaults.clone().and_then(|d| serde_json::from_value(d).ok()).ok_or_else(|| {
            DomainError::Conflict("autopilot needs the project's saved publish choices (privacy and toggles)".into())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creator(options: &[&str]) -> CreatorInfo {
        CreatorInfo {
            creator_username: "u".into(),
            creator_nickname: "n".into(),
            privacy_level_options: options.iter().map(|s| (*s).to_owned()).collect(),
            comment_disabled: true,
            duet_disabled: false,
            stitch_disabled: false,
            max_video_post_duration_sec: 60,
        }
    }

    fn choice(privacy: &str) -> PublishChoice {
        PublishChoice {
            privacy_level: privacy.into(),
            allow_comment: false,
            allow_duet: false,
            allow_stitch: false,
            brand_organic: false,
            branded_content: false,
        }
    }

    #[test]
    fn choices_are_checked_against_the_accounts_live_options() {
        let c = creator(&["SELF_ONLY"]);
        assert!(check_choice(&choice("SELF_ONLY"), &c).is_ok());
        assert!(matches!(
            check_choice(&choice("PUBLIC_TO_EVERYONE"), &c),
            Err(DomainError::Invalid { field: "privacy_level", .. })
        ));
        let branded = PublishChoice { branded_content: true, ..choice("SELF_ONLY") };
        assert!(matches!(check_choice(&branded, &c), Err(DomainError::Invalid { field: "branded_content", .. })));
        let comments = PublishChoice { allow_comment: true, ..choice("SELF_ONLY") };
        assert!(matches!(check_choice(&comments, &c), Err(DomainError::Invalid { field: "allow_comment", .. })));
        assert!(check_postable("SELF_ONLY", Some(60_000), &c).is_ok());
        assert!(matches!(check_postable("SELF_ONLY", Some(60_001), &c), Err(DomainError::Conflict(_))));
    }
}
