//! Projects, month plans and the slots people edit and approve.

pub(crate) mod plans;
pub(crate) mod projects;
pub(crate) mod prompt_proposals;
pub(crate) mod slots;
