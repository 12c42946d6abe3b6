//! The org-wide views: the queue, the library of videos, analytics; and
//! the analytics agent's weekly summaries of a project.

pub(crate) mod activity;
pub(crate) mod summaries;
