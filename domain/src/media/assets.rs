//! Media the org owns: uploads now, renders later. Rows point at storage
//! keys under the org's prefix; their bytes are metered in the usage ledger.

use crate::{DomainError, OrgScope};
use chrono::Utc;
use entities::assets;
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set};
use uuid::Uuid;

/// Upload types the product can use as backgrounds or voice, with the file
/// extension kept in the key.
pub const UPLOAD_TYPES: [(&str, &str); 6] = [
    ("image/jpeg", "jpg"),
    ("image/png", "png"),
    ("video/mp4", "mp4"),
    ("video/quicktime", "mov"),
    ("audio/mpeg", "mp3"),
    ("audio/wav", "wav"),
];

/// Largest upload accepted, in bytes.
pub const UPLOAD_LIMIT: u64 = 200 * 1024 * 1024;

pub fn extension_for(content_type: &str) -> Result<&'static str, DomainError> {
    UPLOAD_TYPES.iter().find(|(t, _)| *t == content_type).map(|(_, ext)| *ext).ok_or_else(|| {
        let allowed: Vec<&str> = UPLOAD_TYPES.iter().map(|(t, _)| *t).collect();
        DomainError::invalid("content_type", format!("must be one of {}", allowed.join(", ")))
    })
}

/// The media types an upload can be, known from its bytes (`sniff`), never
/// from a header alone: whatever FFmpeg later reads is opened with the
/// demuxer of this type, so a playlist or concat list in disguise cannot
/// make it open other files or URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    Jpeg,
    Png,
    Mp4,
    QuickTime,
    Mp3,
    Wav,
}

impl MediaType {
    pub const ALL: [MediaType; 6] =
        [MediaType::Jpeg, MediaType::Png, MediaType::Mp4, MediaType::QuickTime, MediaType::Mp3, MediaType::Wav];

    pub fn content_type(self) -> &'static str {
        UPLOAD_TYPES[self as usize].0
    }

    /// The extension kept in the storage key.
    pub fn extension(self) -> &'static str {
        UPLOAD_TYPES[self as usize].1
    }

    pub fn from_content_type(content_type: &str) -> Option<MediaType> {
        MediaType::ALL.into_iter().find(|t| t.content_type() == content_type)
    }

    pub fn from_extension(extension: &str) -> Option<MediaType> {
        MediaType::ALL.into_iter().find(|t| t.extension() == extension)
    }

    pub fn is_image(self) -> bool {
        matches!(self, MediaType::Jpeg | MediaType::Png)
    }

    pub fn is_video(self) -> bool {
        matches!(self, MediaType::Mp4 | MediaType::QuickTime)
    }

    /// The FFmpeg demuxer (`-f`) that reads this type and nothing else.
    pub fn ffmpeg_demuxer(self) -> &'static str {
        match self {
            MediaType::Jpeg | MediaType::Png => "image2",
            MediaType::Mp4 | MediaType::QuickTime => "mov",
            MediaType::Mp3 => "mp3",
            MediaType::Wav => "wav",
        }
    }

    /// MP4 and QuickTime are one container (ISO BMFF, one FFmpeg demuxer);
    /// only the brand in the `ftyp` box tells them apart, and files are
    /// often labelled with the other one.
    fn same_container(self, other: MediaType) -> bool {
        self == other || (self.is_video() && other.is_video())
    }
}

/// What a file's first bytes say it is: JPEG `FF D8 FF`, PNG's signature,
/// an ISO BMFF `ftyp` box at offset 4 (brand `qt  ` for QuickTime), MP3
/// with an ID3 tag or an MPEG audio frame header, WAV `RIFF....WAVE`.
/// Twelve bytes are enough; fewer may answer `None`.
pub fn sniff(head: &[u8]) -> Option<MediaType> {
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some(MediaType::Jpeg);
    }
    if head.starts_with(PNG) {
        return Some(MediaType::Png);
    }
    if head.len() >= 12 && &head[4..8] == b"ftyp" {
        return Some(if &head[8..12] == b"qt  " { MediaType::QuickTime } else { MediaType::Mp4 });
    }
    if head.starts_with(b"ID3") || is_mpeg_audio_frame(head) {
        return Some(MediaType::Mp3);
    }
    if head.len() >= 12 && head.starts_with(b"RIFF") && &head[8..12] == b"WAVE" {
        return Some(MediaType::Wav);
    }
    None
}

/// An MPEG audio frame header: 11 sync bits, then no reserved version,
/// layer, bitrate or sample rate (ADTS AAC, layer `00`, is not MP3).
fn is_mpeg_audio_frame(head: &[u8]) -> bool {
    let [a, b, c, ..] = *head else { return false };
    a == 0xFF && b & 0xE0 == 0xE0 && (b >> 3) & 3 != 1 && (b >> 1) & 3 != 0 && c >> 4 != 0xF && (c >> 2) & 3 != 3
}

/// Why an upload's bytes are refused (the API answers 415).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaRefusal {
    #[error("the file is declared as {declared} but its bytes are {}", .sniffed.map_or("not a type we accept (JPEG, PNG, MP4, QuickTime, MP3 or WAV)", |t| t.content_type()))]
    Mismatch { declared: &'static str, sniffed: Option<MediaType> },
    #[error("the file is not a JPEG, PNG, MP4, QuickTime, MP3 or WAV")]
    Unrecognised,
}

/// The type of an upload from its declared Content-Type (already one of
/// `UPLOAD_TYPES`, or `None` when absent or `application/octet-stream`) and
/// its first bytes. The bytes decide: a declared type must match them (MP4
/// and QuickTime count as one, and the bytes' brand is kept); without one,
/// the sniffed type is taken.
pub fn identify(declared: Option<MediaType>, head: &[u8]) -> Result<MediaType, MediaRefusal> {
    let sniffed = sniff(head);
    match (declared, sniffed) {
        (None, Some(t)) => Ok(t),
        (None, None) => Err(MediaRefusal::Unrecognised),
        (Some(d), Some(s)) if d.same_container(s) => Ok(s),
        (Some(d), sniffed) => Err(MediaRefusal::Mismatch { declared: d.content_type(), sniffed }),
    }
}

/// Largest side of an image FFmpeg may decode, in pixels.
pub const MAX_IMAGE_SIDE: u32 = 8192;
/// Largest image FFmpeg may decode, in pixels (40 megapixels).
pub const MAX_IMAGE_PIXELS: u64 = 40_000_000;
/// How far into a JPEG its frame header is looked for (EXIF, ICC and XMP
/// segments come first); PNG's is always at bytes 16 to 24.
pub const IMAGE_HEADER_LIMIT: usize = 1024 * 1024;

/// An image's width and height from its header: PNG's IHDR, the JPEG
/// frame header (SOFn) after the segments before it. `Ok(None)` means more
/// bytes are needed; `Err` says why the header is not valid.
pub fn image_size(kind: MediaType, head: &[u8]) -> Result<Option<(u32, u32)>, &'static str> {
    let be16 = |i: usize| u16::from_be_bytes([head[i], head[i + 1]]) as u32;
    let be32 = |i: usize| u32::from_be_bytes([head[i], head[i + 1], head[i + 2], head[i + 3]]);
    let size = match kind {
        MediaType::Png => {
            if head.len() < 24 {
                return Ok(None);
            }
            if &head[12..16] != b"IHDR" {
                return Err("the PNG does not begin with its IHDR header");
            }
            (be32(16), be32(20))
        }
        MediaType::Jpeg => {
            let mut i = 2;
            loop {
                if i >= head.len() {
                    return Ok(None);
                }
                if head[i] != 0xFF {
                    return Err("the JPEG's segments are malformed");
                }
                while i < head.len() && head[i] == 0xFF {
                    i += 1;
                }
                let Some(&marker) = head.get(i) else { return Ok(None) };
                i += 1;
                if matches!(marker, 0x01 | 0xD0..=0xD7) {
                    continue;
                }
                if matches!(marker, 0xD9 | 0xDA) {
                    return Err("the JPEG has no frame header before its image data");
                }
                if i + 2 > head.len() {
                    return Ok(None);
                }
                let length = be16(i) as usize;
                if length < 2 {
                    return Err("the JPEG's segments are malformed");
                }
                if matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
                    if i + 7 > head.len() {
                        return Ok(None);
                    }
                    // Length, precision, height, width.
                    break (be16(i + 5), be16(i + 3));
                }
                i += length;
            }
        }
        _ => return Err("not an image"),
    };
    if size.0 == 0 || size.1 == 0 {
        return Err("the image header gives no size");
    }
    Ok(Some(size))
}

/// Refuses images too large to decode safely (a tiny file can claim
/// 100000x100000 pixels and make the decoder allocate tens of gigabytes).
pub fn check_image_size((width, height): (u32, u32)) -> Result<(), String> {
    if width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE || width as u64 * height as u64 > MAX_IMAGE_PIXELS {
        return Err(format!(
            "the image is {width}x{height} pixels; at most {MAX_IMAGE_SIDE} per side and {} megapixels are accepted",
            MAX_IMAGE_PIXELS / 1_000_000
        ));
    }
    Ok(())
}

/// An object an upload stored.
#[derive(Debug, Clone)]
pub struct Upload<'a> {
    pub id: Uuid,
    pub storage_key: &'a str,
    pub content_type: &'a str,
    pub size_bytes: i64,
    pub label: Label,
}

/// What an upload is found by: its file name and the org's tags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Label {
    pub name: Option<String>,
    pub tags: Vec<String>,
}

pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_TAGS: usize = 10;
pub const MAX_TAG_CHARS: usize = 30;

impl Label {
    /// A file name (its directories dropped) and comma-separated tags, bounded.
    pub fn parse(name: Option<&str>, tags: Option<&str>) -> Result<Label, DomainError> {
        let name = name.map(|n| n.rsplit(['/', '\\']).next().unwrap_or("").trim().to_owned()).filter(|n| !n.is_empty());
        if name.as_ref().is_some_and(|n| n.chars().count() > MAX_NAME_CHARS || n.chars().any(char::is_control)) {
            return Err(DomainError::invalid("name", format!("a file name of at most {MAX_NAME_CHARS} characters")));
        }
        let mut list: Vec<String> = Vec::new();
        for tag in tags.unwrap_or("").split(',').map(|t| t.trim().to_lowercase()).filter(|t| !t.is_empty()) {
            if tag.chars().count() > MAX_TAG_CHARS || tag.chars().any(char::is_control) {
                return Err(DomainError::invalid("tags", format!("tags of at most {MAX_TAG_CHARS} characters")));
            }
            if !list.contains(&tag) {
                list.push(tag);
            }
        }
        if list.len() > MAX_TAGS {
            return Err(DomainError::invalid("tags", format!("at most {MAX_TAGS} tags")));
        }
        Ok(Label { name, tags: list })
    }
}

/// Records an uploaded object and meters its bytes, dropping the storage
/// reservation it was stored under in the same transaction.
pub async fn record_upload(
    db: &DatabaseConnection,
    scope: &OrgScope,
    upload: Upload<'_>,
    reservation: crate::usage::budgets::Reservation,
) -> Result<assets::Model, DomainError> {
    let Upload { id, storage_key, content_type, size_bytes, label } = upload;
    let tx = scope.begin(db).await?;
    let now = Utc::now().fixed_offset();
    let asset = assets::ActiveModel {
        id: Set(id),
        org_id: Set(tx.org_id()),
        kind: Set("upload".into()),
        storage_key: Set(storage_key.to_owned()),
        content_type: Set(content_type.to_owned()),
        size_bytes: Set(size_bytes),
        name: Set(label.name),
        tags: Set(serde_json::json!(label.tags)),
        render_version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&*tx)
    .await?;
    crate::usage::llm_usage::entry(
        &tx,
        None,
        "storage_bytes",
        size_bytes,
        format!("asset:{id}"),
        format!("asset:{id}:storage_bytes"),
    )
    .insert(&*tx)
    .await?;
    crate::usage::budgets::release_in(&tx, reservation).await?;
    tx.commit().await?;
    Ok(asset)
}

/// Records an asset a step made, by its storage key: a retried step that
/// stores under the same key updates its row (`columns`) instead of adding one.
pub(crate) async fn upsert_by_key(
    tx: &crate::TenantTxn,
    row: assets::ActiveModel,
    columns: &[assets::Column],
) -> Result<assets::Model, DomainError> {
    use sea_orm::{EntityTrait, sea_query::OnConflict};
    Ok(assets::Entity::insert(row)
        .on_conflict(OnConflict::column(assets::Column::StorageKey).update_columns(columns.to_vec()).to_owned())
        .exec_with_returning(&**tx)
        .await?)
}

/// The assets one render of a slot stored (video and thumbnail).
pub async fn for_render(
    db: &DatabaseConnection,
    scope: &OrgScope,
    slot_id: Uuid,
    version: i32,
) -> Result<Vec<assets::Model>, DomainError> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let tx = scope.begin(db).await?;
    Ok(tx
        .find::<assets::Entity>()
        .filter(assets::Column::SlotId.eq(slot_id))
        .filter(assets::Column::RenderVersion.eq(version))
        .filter(assets::Column::Kind.is_in(["video", "thumbnail"]))
        .all(&*tx)
        .await?)
}

/// The org's uploads, newest first, `limit` of them after `after`.
pub async fn uploads(
    db: &DatabaseConnection,
    scope: &OrgScope,
    after: Option<crate::paging::Newest>,
    limit: u64,
) -> Result<crate::paging::Page<assets::Model, crate::paging::Newest>, DomainError> {
    use crate::paging::{Newest, PAGE_MAX, Page, more};
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
    let tx = scope.begin(db).await?;
    let mut query = tx.find::<assets::Entity>().filter(assets::Column::Kind.eq("upload"));
    if let Some(after) = after {
        query = query.filter(after.after(assets::Column::CreatedAt, assets::Column::Id));
    }
    let limit = limit.min(PAGE_MAX);
    let mut items = query
        .order_by_desc(assets::Column::CreatedAt)
        .order_by_desc(assets::Column::Id)
        .limit(limit + 1)
        .all(&*tx)
        .await?;
    let next = more(&mut items, limit).map(|a| Newest { at: a.created_at, id: a.id });
    Ok(Page { items, next })
}

/// Renames or retags an upload: what scenes find it by.
pub async fn relabel(
    db: &DatabaseConnection,
    scope: &OrgScope,
    id: Uuid,
    name: Option<&str>,
    tags: Option<&str>,
) -> Result<assets::Model, DomainError> {
    let tx = scope.begin(db).await?;
    let asset = tx.find_by_id::<assets::Entity>(id).one(&*tx).await?.ok_or(DomainError::NotFound("asset"))?;
    if asset.kind != "upload" {
        return Err(DomainError::invalid("asset_id", "only uploads have a name and tags"));
    }
    let label = Label::parse(name, tags)?;
    let mut row: assets::ActiveModel = asset.clone().into();
    if name.is_some() {
        row.name = Set(label.name);
    }
    if tags.is_some() {
        row.tags = Set(serde_json::json!(label.tags));
    }
    row.updated_at = Set(Utc::now().fixed_offset());
    let asset = row.update(&*tx).await?;
    tx.commit().await?;
    Ok(asset)
}

pub async fn get(db: &DatabaseConnection, scope: &OrgScope, id: Uuid) -> Result<assets::Model, DomainError> {
    let tx = scope.begin(db).await?;
    tx.find_by_id::<assets::Entity>(id).one(&*tx).await?.ok_or(DomainError::NotFound("asset"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_uploads_label_is_its_file_name_and_bounded_tags() {
        let label = Label::parse(Some("C:\\clips\\Knife skills.mp4"), Some(" Knife, chopping,knife ,")).unwrap();
        assert_eq!(
            label,
            Label { name: Some("Knife skills.mp4".into()), tags: vec!["knife".into(), "chopping".into()] }
        );
        assert_eq!(Label::parse(None, None).unwrap(), Label::default());
        assert!(Label::parse(Some(&"x".repeat(201)), None).is_err());
        assert!(Label::parse(None, Some(&"b".repeat(31))).is_err());
        let eleven: Vec<String> = (0..11).map(|n| format!("t{n}")).collect();
        assert!(Label::parse(None, Some(&eleven.join(","))).is_err());
    }

    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        bytes.extend(width.to_be_bytes());
        bytes.extend(height.to_be_bytes());
        bytes.extend([8, 6, 0, 0, 0]);
        bytes
    }

    fn jpeg(width: u16, height: u16, exif_len: usize) -> Vec<u8> {
        let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE1];
        bytes.extend(((exif_len + 2) as u16).to_be_bytes());
        bytes.extend(std::iter::repeat_n(0u8, exif_len));
        bytes.extend([0xFF, 0xFF, 0xC0, 0, 17, 8]);
        bytes.extend(height.to_be_bytes());
        bytes.extend(width.to_be_bytes());
        bytes.extend([3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
        bytes.extend([0xFF, 0xDA]);
        bytes
    }

    #[test]
    fn types_are_told_by_their_first_bytes() {
        assert_eq!(sniff(&png(1, 1)), Some(MediaType::Png));
        assert_eq!(sniff(&jpeg(1, 1, 10)), Some(MediaType::Jpeg));
        assert_eq!(sniff(b"\0\0\0\x20ftypisom\0\0\x02\0"), Some(MediaType::Mp4));
        assert_eq!(sniff(b"\0\0\0\x14ftypqt  \0\0\x02\0"), Some(MediaType::QuickTime));
        assert_eq!(sniff(b"ID3\x04\0\0\0\0\0\0"), Some(MediaType::Mp3));
        assert_eq!(sniff(&[0xFF, 0xFB, 0x90, 0x64]), Some(MediaType::Mp3));
        assert_eq!(sniff(&[0xFF, 0xF1, 0x50, 0x80]), None, "ADTS AAC is not MP3");
        assert_eq!(sniff(b"RIFF\x24\0\0\0WAVEfmt "), Some(MediaType::Wav));
        assert_eq!(sniff(b"RIFF\x24\0\0\0AVI LIST"), None);
        assert_eq!(sniff(b"#EXTM3U\n#EXTINF:10,\nhttp://x/a.ts\n"), None);
        assert_eq!(sniff(b"ffconcat version 1.0\nfile /etc/passwd\n"), None);
        assert_eq!(sniff(&[1; 64]), None);
        assert_eq!(sniff(&[]), None);
        for t in MediaType::ALL {
            assert_eq!(MediaType::from_content_type(t.content_type()), Some(t));
            assert_eq!(MediaType::from_extension(t.extension()), Some(t));
        }
    }

    #[test]
    fn the_bytes_decide_and_must_match_a_declared_type() {
        let mp4 = b"\0\0\0\x20ftypisom\0\0\x02\0";
        let mov = b"\0\0\0\x14ftypqt  \0\0\x02\0";
        assert_eq!(identify(Some(MediaType::Png), &png(10, 10)), Ok(MediaType::Png));
        assert_eq!(identify(None, &png(10, 10)), Ok(MediaType::Png), "octet-stream takes the sniffed type");
        assert_eq!(
            identify(Some(MediaType::Mp4), &png(10, 10)),
            Err(MediaRefusal::Mismatch { declared: "video/mp4", sniffed: Some(MediaType::Png) })
        );
        let err = identify(Some(MediaType::Mp4), b"#EXTM3U\n").unwrap_err();
        assert!(err.to_string().contains("video/mp4") && err.to_string().contains("not a type"), "{err}");
        assert_eq!(identify(None, b"#EXTM3U\n"), Err(MediaRefusal::Unrecognised));
        assert_eq!(identify(Some(MediaType::Mp4), mov), Ok(MediaType::QuickTime), "one container, the brand is kept");
        assert_eq!(identify(Some(MediaType::QuickTime), mp4), Ok(MediaType::Mp4));
        assert!(identify(Some(MediaType::Mp3), mp4).is_err());
    }

    #[test]
    fn image_sizes_come_from_the_header_and_are_bounded() {
        assert_eq!(image_size(MediaType::Png, &png(640, 480)), Ok(Some((640, 480))));
        assert_eq!(image_size(MediaType::Png, &png(640, 480)[..20]), Ok(None));
        assert_eq!(image_size(MediaType::Jpeg, &jpeg(1920, 1080, 30_000)), Ok(Some((1920, 1080))));
        let long = jpeg(1920, 1080, 60_000);
        assert_eq!(image_size(MediaType::Jpeg, &long[..40_000]), Ok(None), "the frame header is further on");
        assert!(image_size(MediaType::Jpeg, &[0xFF, 0xD8, 0xFF, 0xDA, 0, 2]).is_err());
        assert!(image_size(MediaType::Jpeg, &[0xFF, 0xD8, 0x00, 0x00]).is_err());
        assert!(image_size(MediaType::Png, &png(0, 10)).is_err());
        let mut no_ihdr = png(1, 1);
        no_ihdr[12..16].copy_from_slice(b"tEXt");
        assert!(image_size(MediaType::Png, &no_ihdr).is_err());

        assert!(check_image_size((1080, 1920)).is_ok());
        assert!(check_image_size((8192, 4096)).is_ok());
        assert!(check_image_size((8192, 8192)).unwrap_err().contains("megapixels"));
        assert!(check_image_size((8193, 100)).is_err());
        let err = check_image_size((100_000, 100_000)).unwrap_err();
        assert!(err.contains("100000x100000"), "{err}");
    }
}
