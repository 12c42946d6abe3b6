//! Prometheus metrics of the API and the worker, in one registry per
//! process: HTTP requests by route template (never by raw path, so ids do
//! not explode the label space), renders, LLM calls and tokens, TikTok calls
//! and posts. The API serves them at `/metrics`; the worker at
//! `WORKER_METRICS_ADDR`.

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, Opts, Registry, TextEncoder,
};
use std::sync::LazyLock;

static REGISTRY: LazyLock<Registry> =
    LazyLock::new(|| Registry::new_custom(Some("reelpilot".into()), None).expect("a valid registry prefix"));

fn register<C: prometheus::core::Collector + Clone + 'static>(collector: C) -> C {
    REGISTRY.register(Box::new(collector.clone())).expect("each metric is registered once");
    collector
}

fn counter_vec(name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    register(IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric"))
}

/// HTTP requests answered, by method, route template and status.
pub static HTTP_REQUESTS: LazyLock<IntCounterVec> =
    LazyLock::new(|| counter_vec("http_requests_total", "HTTP requests answered", &["method", "route", "status"]));

pub static HTTP_SECONDS: LazyLock<HistogramVec> = LazyLock::new(|| {
    register(
        HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "Time to answer an HTTP request"),
            &["method", "route"],
        )
        .expect("valid metric"),
    )
});

/// Renders finished, by outcome: rendered, failed, cancelled.
pub static RENDERS: LazyLock<IntCounterVec> =
    LazyLock::new(|| counter_vec("renders_total", "Slot renders finished", &["outcome"]));

pub static RENDER_SECONDS: LazyLock<Histogram> = LazyLock::new(|| {
    register(
        Histogram::with_opts(
            HistogramOpts::new("render_duration_seconds", "Wall time of a successful render")
                .buckets(vec![2.0, 5.0, 10.0, 20.0, 40.0, 80.0, 160.0, 320.0]),
        )
        .expect("valid metric"),
    )
});

pub static RENDERED_VIDEO_SECONDS: LazyLock<IntCounter> = LazyLock::new(|| {
    register(IntCounter::new("rendered_video_seconds_total", "Seconds of video rendered").expect("valid metric"))
});

/// LLM calls, by outcome: ok, error.
pub static LLM_CALLS: LazyLock<IntCounterVec> =
    LazyLock::new(|| counter_vec("llm_calls_total", "Calls to the language model", &["outcome"]));

/// LLM tokens, by direction: in (prompt), out (completion).
pub static LLM_TOKENS: LazyLock<IntCounterVec> =
    LazyLock::new(|| counter_vec("llm_tokens_total", "Language model tokens", &["direction"]));

/// TikTok API calls, by operation and outcome: ok, transient, permanent.
pub static TIKTOK_CALLS: LazyLock<IntCounterVec> =
    LazyLock::new(|| counter_vec("tiktok_calls_total", "Calls to TikTok's API", &["operation", "outcome"]));

/// Posts TikTok accepted (a `publish_id` issued), by mode: direct, inbox.
pub static TIKTOK_POSTS: LazyLock<IntCounterVec> =
    LazyLock::new(|| counter_vec("tiktok_posts_total", "Posts initiated on TikTok", &["mode"]));

/// Every metric of this process in Prometheus' text format; each one shows
/// from the first scrape, before anything has counted it.
pub fn render() -> String {
    LazyLock::force(&HTTP_REQUESTS);
    LazyLock::force(&HTTP_SECONDS);
    LazyLock::force(&RENDERS);
    LazyLock::force(&RENDER_SECONDS);
    LazyLock::force(&RENDERED_VIDEO_SECONDS);
    LazyLock::force(&LLM_CALLS);
    LazyLock::force(&LLM_TOKENS);
    LazyLock::force(&TIKTOK_CALLS);
    LazyLock::force(&TIKTOK_POSTS);
    let mut out = Vec::new();
    TextEncoder::new().encode(&REGISTRY.gather(), &mut out).expect("text encoding cannot fail");
    String::from_utf8(out).expect("the text format is UTF-8")
}

/// The content type of `render()`'s output.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_is_listed_before_it_counts_anything() {
        let text = render();
        for name in ["reelpilot_render_duration_seconds", "reelpilot_rendered_video_seconds_total"] {
            assert!(text.contains(&format!("# TYPE {name}")), "{name} missing: {text}");
        }
    }

    #[test]
    fn counters_appear_with_the_prefix_and_their_labels() {
        HTTP_REQUESTS.with_label_values(&["GET", "/api/orgs/{org_id}", "200"]).inc();
        RENDERS.with_label_values(&["rendered"]).inc_by(2);
        let text = render();
        assert!(
            text.contains(r#"reelpilot_http_requests_total{method="GET",route="/api/orgs/{org_id}",status="200"} 1"#),
            "{text}"
        );
        assert!(text.contains(r#"reelpilot_renders_total{outcome="rendered"} 2"#), "{text}");
    }
}
