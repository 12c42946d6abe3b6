//! Uploads, assets and signed media links; rendering slots into videos;
//! imports of long videos and their transcripts.

pub(crate) mod assets;
pub(crate) mod imports;
pub(crate) mod renders;
