//! Bounded lists: a page of at most [`PAGE_MAX`] rows in a stable order the
//! database applies, continued from an opaque cursor (the key of the last
//! row shown), so no request loads everything.

use chrono::{DateTime, FixedOffset, Utc};
use sea_orm::{ColumnTrait, Condition};
use uuid::Uuid;

/// The most rows one page of any list here holds.
pub const PAGE_MAX: u64 = 200;

/// Opaque list positions: `kind`, a number (a time in microseconds or a
/// count) and an id, base64url-encoded. A cursor of one list is refused by
/// another.
pub mod cursor {
    use base64::Engine;
    use uuid::Uuid;

    pub fn encode(kind: &str, number: i64, id: Uuid) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{kind}:{number}:{id}"))
    }

    /// The number and id of a cursor of `kind`; `None` for anything else.
    pub fn decode(kind: &str, text: &str) -> Option<(i64, Uuid)> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let mut parts = text.splitn(3, ':');
        if parts.next()? != kind {
            return None;
        }
        let number = parts.next()?.parse().ok()?;
        let id = parts.next()?.parse().ok()?;
        Some((number, id))
    }
}

/// A row's place in a newest-first list: `(updated_at, id)`, both
/// descending, so rows updated at the same instant keep one order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Newest {
    pub at: DateTime<FixedOffset>,
    pub id: Uuid,
}

impl Newest {
    pub fn to_cursor(self, kind: &str) -> String {
        cursor::encode(kind, self.at.timestamp_micros(), self.id)
    }

    pub fn from_cursor(kind: &str, text: &str) -> Option<Newest> {
        let (micros, id) = cursor::decode(kind, text)?;
        Some(Newest { at: DateTime::<Utc>::from_timestamp_micros(micros)?.fixed_offset(), id })
    }

    /// Rows after this one in the order (older, or as old with a smaller id).
    pub(crate) fn after<C: ColumnTrait>(self, at: C, id: C) -> Condition {
        Condition::any().add(at.lt(self.at)).add(Condition::all().add(at.eq(self.at)).add(id.lt(self.id)))
    }
}

pub struct Page<T, K> {
    pub items: Vec<T>,
    /// The key of the last row of this page when more follow.
    pub next: Option<K>,
}

/// Keeps the first `limit` of `rows` (fetched with one more) and returns
/// the last kept one when the extra row shows that more follow.
pub(crate) fn more<T>(rows: &mut Vec<T>, limit: u64) -> Option<&T> {
    if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last()
    } else {
        None
    }
}
