//! What an org spends: budgets with their reservations, and the metered
//! audit of every LLM call.

pub mod budgets;
pub mod llm_usage;
