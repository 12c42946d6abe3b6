//! Uploads, assets and signed media links; rendering slots into videos.

pub(crate) mod assets;
pub(crate) mod renders;
