//! The org's media: uploaded and rendered assets, the render lifecycle of a
//! slot, and the library of rendered videos.

pub mod assets;
pub mod library;
pub mod rendering;
