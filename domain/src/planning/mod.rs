//! The month plan: projects and their settings, plans, slots and what people
//! do with them, the prompt library, and drafting slots with a model.

pub mod drafting;
pub mod generation;
pub mod plans;
pub mod projects;
pub mod prompts;
pub mod slots;
