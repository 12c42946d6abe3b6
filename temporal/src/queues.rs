//! Task queues by workload, so a slow render never starves a plan.

/// The kinds of work, each on its own task queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// Workflows and light activities (database, LLM calls).
    Main,
    /// FFmpeg renders; low concurrency.
    Render,
    /// TikTok calls; rate limited.
    Publish,
    /// Speech recognition.
    Asr,
}

impl Workload {
    pub const ALL: [Workload; 4] = [Workload::Main, Workload::Render, Workload::Publish, Workload::Asr];

    pub fn suffix(self) -> &'static str {
        match self {
            Workload::Main => "main",
            Workload::Render => "render",
            Workload::Publish => "publish",
            Workload::Asr => "asr",
        }
    }

    /// The queue name under a deployment prefix (empty in production; tests
    /// use one per run so parallel runs never take each other's tasks).
    pub fn queue(self, prefix: &str) -> String {
        format!("{prefix}{}", self.suffix())
    }

    /// The queue of this workload next to `current`, a queue of the same
    /// deployment. Workflows use it to route activities without knowing the
    /// prefix; it only reads the workflow's own task queue, so it is
    /// deterministic.
    pub fn beside(self, current: &str) -> String {
        let prefix = Workload::ALL.iter().find_map(|w| current.strip_suffix(w.suffix())).unwrap_or("");
        self.queue(prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queues_keep_the_prefix_of_their_neighbours() {
        assert_eq!(Workload::Main.queue(""), "main");
        assert_eq!(Workload::Render.queue("t42-"), "t42-render");
        assert_eq!(Workload::Render.beside("t42-main"), "t42-render");
        assert_eq!(Workload::Publish.beside("main"), "publish");
    }
}
