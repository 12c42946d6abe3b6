//! The Display API: the caller's profile and their public videos, whose
//! counters grow with the simulator's clock. Errors use the generic page's
//! spelling, `invalid_params`.

use super::{Caller, Fail, Inner, Post, Reply, Req, SandboxUser, fail, json_body, ok};
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Map, Value, json};

const INVALID_PARAMS: &str = "invalid_params";
const MAX_COUNT: u64 = 20;
const DEFAULT_COUNT: u64 = 10;

const BASIC: [&str; 6] = ["open_id", "union_id", "avatar_url", "avatar_url_100", "avatar_large_url", "display_name"];
const PROFILE: [&str; 4] = ["bio_description", "profile_deep_link", "is_verified", "username"];
const STATS: [&str; 4] = ["follower_count", "following_count", "likes_count", "video_count"];
const VIDEO_FIELDS: [&str; 15] = [
    "id",
    "create_time",
    "cover_image_url",
    "share_url",
    "video_description",
    "duration",
    "height",
    "width",
    "title",
    "embed_html",
    "embed_link",
    "like_count",
    "comment_count",
    "share_count",
    "view_count",
];

/// The comma-separated `fields` query parameter, each one known.
fn fields(req: &Req, known: &[&str]) -> Result<Vec<String>, Fail> {
    let asked: Vec<String> = req
        .query
        .get("fields")
        .map(|f| f.split(',').map(str::trim).filter(|f| !f.is_empty()).map(str::to_owned).collect())
        .unwrap_or_default();
    if asked.is_empty() {
        return Err(fail(400, INVALID_PARAMS, "The fields query parameter is required."));
    }
    match asked.iter().find(|f| !known.contains(&f.as_str())) {
        Some(unknown) => Err(fail(400, INVALID_PARAMS, format!("Unknown field {unknown:?}."))),
        None => Ok(asked),
    }
}

impl Inner {
    /// The user's videos anyone can see now: public and past moderation, newest first.
    fn public_videos(&self, open_id: &str, now: DateTime<Utc>) -> Vec<&Post> {
        let mut videos: Vec<&Post> = self
            .posts
            .iter()
            .filter(|p| p.record.open_id == open_id && p.record.publicly_available_at.is_some_and(|at| at <= now))
            .collect();
        videos.sort_by_key(|p| std::cmp::Reverse(p.record.created_at));
        videos
    }
}

/// Views, likes, comments, shares: a deterministic function of the video
/// and of how long it has been public, so they only ever grow.
fn counters(post: &Post, now: DateTime<Utc>) -> [u64; 4] {
    let since = post.record.publicly_available_at.unwrap_or(post.record.created_at);
    let minutes = (now - since).num_minutes().max(0) as u64;
    let views = minutes * (3 + post.video_id % 13);
    [views, views / 12, views / 90, views / 240]
}

fn video(post: &Post, user: &SandboxUser, now: DateTime<Utc>, fields: &[String]) -> Value {
    let id = post.video_id.to_string();
    let share_url = format!("https://www.tiktok.com/@{}/video/{id}", user.username);
    let [views, likes, comments, shares] = counters(post, now);
    let int32 = |n: u64| n.min(i32::MAX as u64);
    // Display titles are cut at 150 characters.
    let title: String = post.record.title.chars().take(150).collect();
    let value = |field: &str| match field {
        "id" => json!(id),
        "create_time" => json!(post.record.created_at.timestamp()),
        "cover_image_url" => {
            let expires = (now + TimeDelta::hours(6)).timestamp();
            json!(format!("https://p16-sign.tiktokcdn-us.com/sim/cover/{id}.jpeg?x-expires={expires}"))
        }
        "share_url" => json!(share_url),
        "video_description" | "title" => json!(title),
        "duration" => json!(post.duration),
        "height" => json!(post.height),
        "width" => json!(post.width),
        "embed_html" => json!(format!(
            "<blockquote class=\"tiktok-embed\" cite=\"{share_url}\" data-video-id=\"{id}\"><section></section></blockquote>"
        )),
        "embed_link" => json!(format!("https://www.tiktok.com/player/v1/{id}")),
        "like_count" => json!(int32(likes)),
        "comment_count" => json!(int32(comments)),
        "share_count" => json!(int32(shares)),
        "view_count" => json!(views),
        _ => Value::Null,
    };
    Value::Object(fields.iter().map(|f| (f.clone(), value(f))).collect::<Map<_, _>>())
}

/// `GET /v2/user/info/?fields=...`; fields beyond `user.info.basic` need
/// their own scope.
pub(super) fn user_info(inner: &mut Inner, caller: &Caller, req: &Req) -> Reply {
    let known: Vec<&str> = BASIC.iter().chain(&PROFILE).chain(&STATS).copied().collect();
    let fields = fields(req, &known)?;
    for field in &fields {
        let scope = match field.as_str() {
            f if PROFILE.contains(&f) => "user.info.profile",
            f if STATS.contains(&f) => "user.info.stats",
            _ => "user.info.basic",
        };
        if !caller.scopes.iter().any(|s| s == scope) {
            let message = format!("The field {field} needs the {scope} scope, which the user did not grant.");
            return Err(fail(401, "scope_not_authorized", message));
        }
    }
    let now = inner.now();
    let user = &inner.users[&caller.open_id];
    let videos = inner.public_videos(&caller.open_id, now);
    let value = |field: &str| match field {
        "open_id" => json!(user.open_id),
        "union_id" => json!(user.union_id),
        "avatar_url" | "avatar_url_100" | "avatar_large_url" => json!(user.avatar_url),
        "display_name" => json!(user.display_name),
        "bio_description" => json!(user.bio_description),
        "profile_deep_link" => json!(format!("https://vm.tiktok.com/sim/@{}", user.username)),
        "is_verified" => json!(user.is_verified),
        "username" => json!(user.username),
        "follower_count" => json!(user.follower_count),
        "following_count" => json!(user.following_count),
        "likes_count" => json!(videos.iter().map(|v| counters(v, now)[1]).sum::<u64>()),
        "video_count" => json!(videos.len()),
        _ => Value::Null,
    };
    let user: Map<String, Value> = fields.iter().map(|f| (f.clone(), value(f))).collect();
    ok(json!({"user": user}))
}

/// `POST /v2/video/list/?fields=...` with `{"cursor", "max_count"}`: the
/// caller's public videos, newest first; the cursor is the create time (ms)
/// of the last video returned, and the next page is what is older.
pub(super) fn video_list(inner: &mut Inner, caller: &Caller, req: &Req) -> Reply {
    let fields = fields(req, &VIDEO_FIELDS)?;
    let body = json_body(req, INVALID_PARAMS)?;
    let max_count = match body.get("max_count") {
        None | Some(Value::Null) => DEFAULT_COUNT,
        Some(n) => n
            .as_u64()
            .filter(|n| (1..=MAX_COUNT).contains(n))
            .ok_or_else(|| fail(400, INVALID_PARAMS, format!("max_count must be between 1 and {MAX_COUNT}.")))?,
    };
    // A zero cursor, as some clients send for the first page, means "from now".
    let cursor = match body.get("cursor") {
        None | Some(Value::Null) => None,
        Some(c) => Some(c.as_i64().ok_or_else(|| fail(400, INVALID_PARAMS, "cursor must be an integer."))?),
    }
    .filter(|c| *c > 0);
    let now = inner.now();
    let older: Vec<&Post> = inner
        .public_videos(&caller.open_id, now)
        .into_iter()
        .filter(|p| cursor.is_none_or(|c| p.record.created_at.timestamp_millis() < c))
        .collect();
    let page = &older[..older.len().min(max_count as usize)];
    let next = page.last().map(|p| p.record.created_at.timestamp_millis()).or(cursor).unwrap_or(0);
    let user = &inner.users[&caller.open_id];
    let videos: Vec<Value> = page.iter().map(|p| video(p, user, now, &fields)).collect();
    ok(json!({"videos": videos, "cursor": next, "has_more": older.len() > page.len()}))
}

/// `POST /v2/video/query/?fields=...` with `{"filters":{"video_ids":[...]}}`:
/// at most 20 ids (strings); ids that are not the caller's public videos are
/// left out.
pub(super) fn video_query(inner: &mut Inner, caller: &Caller, req: &Req) -> Reply {
    let fields = fields(req, &VIDEO_FIELDS)?;
    let body = json_body(req, INVALID_PARAMS)?;
    let ids = body.pointer("/filters/video_ids").and_then(Value::as_array);
    let ids = ids.filter(|ids| !ids.is_empty() && ids.iter().all(Value::is_string));
    let ids = ids.ok_or_else(|| fail(400, INVALID_PARAMS, "filters.video_ids must be a list of video id strings."))?;
    if ids.len() as u64 > MAX_COUNT {
        return Err(fail(400, INVALID_PARAMS, format!("filters.video_ids holds at most {MAX_COUNT} ids.")));
    }
    let now = inner.now();
    let mine = inner.public_videos(&caller.open_id, now);
    let user = &inner.users[&caller.open_id];
    let videos: Vec<Value> = ids
        .iter()
        .filter_map(|id| id.as_str()?.parse::<u64>().ok())
        .filter_map(|id| mine.iter().find(|p| p.video_id == id))
        .map(|p| video(p, user, now, &fields))
        .collect();
    ok(json!({"videos": videos, "cursor": 0, "has_more": false}))
}
