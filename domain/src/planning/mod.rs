//! The month plan: projects and their settings, plans, slots and what people
//! do with them, the prompt library, drafting slots with a model and the
//! QA agent that checks what it wrote.

pub mod creative;
pub mod drafting;
pub mod generation;
pub mod plans;
pub mod projects;
pub mod prompt_review;
pub mod prompts;
pub mod qa;
pub mod slots;
