//! The org-wide views: the queue, the library of videos, analytics.

pub(crate) mod activity;
