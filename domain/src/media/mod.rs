//! The org's media: uploaded and rendered assets, the render lifecycle of a
//! slot, the library of rendered videos, and imports of long videos with
//! their transcripts, highlights and the slots they become.

pub mod assets;
pub mod footage;
pub mod highlights;
pub mod imports;
pub mod library;
pub mod placement;
pub mod rendering;
pub mod shots;
pub mod spoken;
pub mod style;
pub mod transcripts;
pub mod translation;
