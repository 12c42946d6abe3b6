//! Retrieval at scale: an org with 100,000 knowledge chunks (embeddings
//! spread around 400 real sentences' meanings, as an org's content clusters
//! by topic), searched by meaning and words through `domain::knowledge`
//! (HNSW + tsvector, reciprocal rank fusion, row-level security) with real
//! query embeddings; and how fast the model embeds. Needs the servers
//! `make bench` starts. Prints the figures and writes them to
//! test-output/bench/retrieval.json; it asserts nothing about time.

// Printing the figures is the point of a benchmark.
#![allow(unreachable_pub, dead_code, clippy::print_stdout)]

#[path = "../tests/api/helpers.rs"]
mod helpers;

use helpers::TestApp;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};

const CHUNKS: i64 = 100_000;
const SEEDS: usize = 400;
const QUERIES: usize = 200;
const TARGET_P95: Duration = Duration::from_millis(50);

const SUBJECTS: [&str; 20] = [
    "pasta",
    "rice",
    "a knife",
    "bread",
    "coffee",
    "a salad",
    "soup",
    "eggs",
    "a budget",
    "the oven",
    "spices",
    "leftovers",
    "a lunchbox",
    "tomatoes",
    "a pan",
    "cheese",
    "breakfast",
    "dessert",
    "the freezer",
    "garlic",
];
const ANGLES: [&str; 20] = [
    "the mistake everyone makes with",
    "three quick tricks for",
    "what nobody tells you about",
    "how to save money on",
    "a ten minute recipe with",
    "the science behind",
    "why kids love",
    "how chefs really handle",
    "a myth about",
    "the cheapest way to cook",
    "one habit that changes",
    "what to do with old",
    "a weekend project with",
    "how to store",
    "the healthiest way to prepare",
    "a family favourite made of",
    "the fastest dinner using",
    "a classic Italian take on",
    "how to clean up after",
    "a street food version of",
];

fn sentence(i: usize) -> String {
    format!("{} {}, explained in under a minute (idea {i})", ANGLES[i % 20], SUBJECTS[(i / 20) % 20])
}

#[tokio::main]
async fn main() {
    let app = TestApp::spawn().await;
    let owner = app.user("bench").await;
    let org = app.create_org(&owner, "Bench").await;
    let embeddings =
        embed::Embeddings::new(app.config.embedding.model_dir.clone(), app.config.embedding.onnxruntime_lib.clone());

    // Embeddings per second, in the worker's batches.
    let texts: Vec<String> = (0..SEEDS).map(sentence).collect();
    embeddings.embed_one("warm up").await.unwrap();
    let started = Instant::now();
    let seeds = embeddings.embed(texts.clone()).await.unwrap();
    let per_second = SEEDS as f64 / started.elapsed().as_secs_f64();

    // 100,000 chunks around the seeds' meanings, the index built once.
    let db = platform::db::connect(&app.config.database).await.unwrap();
    let sql = |s: String| Statement::from_string(sea_orm::DbBackend::Postgres, s);
    db.execute_unprepared("DROP INDEX knowledge_chunks_embedding_idx").await.unwrap();
    db.execute_unprepared("CREATE TABLE bench_seeds (n int, text text, embedding vector(384))").await.unwrap();
    for (n, (text, e)) in texts.iter().zip(&seeds).enumerate() {
        db.execute(Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            "INSERT INTO bench_seeds VALUES ($1, $2, $3::vector)",
            [(n as i32).into(), text.clone().into(), e.to_pgvector().into()],
        ))
        .await
        .unwrap();
    }
    let started = Instant::now();
    db.execute(sql(format!(
        "INSERT INTO knowledge_chunks (id, org_id, source, source_id, position, text, embedding)
         SELECT gen_random_uuid(), '{org}', 'document', gen_random_uuid(), 0, s.text || ' #' || g,
                l2_normalize(s.embedding + (SELECT array_agg((random() - 0.5) * 0.06)::vector(384)
                                            FROM generate_series(1, 384) WHERE g > 0))
         FROM generate_series(1, {CHUNKS}) g JOIN bench_seeds s ON s.n = g % {SEEDS}"
    )))
    .await
    .unwrap();
    let inserted = started.elapsed();
    let started = Instant::now();
    db.execute_unprepared(
        "SET maintenance_work_mem = '1GB'; \
         CREATE INDEX knowledge_chunks_embedding_idx ON knowledge_chunks USING hnsw (embedding vector_cosine_ops); \
         ANALYZE knowledge_chunks",
    )
    .await
    .unwrap();
    let indexed = started.elapsed();

    // Searches as the API runs them: a fresh query embedding is not timed
    // (it is the per-second figure above), the retrieval is.
    let scope = domain::OrgScope::new(org);
    let questions: Vec<String> = (0..QUERIES)
        .map(|i| {
            format!(
                "{} {}",
                ["tips for", "how do I cook", "cheap ideas with", "mistakes with"][i % 4],
                SUBJECTS[i % 20]
            )
        })
        .collect();
    let vectors = embeddings.embed(questions.clone()).await.unwrap();
    let mut times = Vec::with_capacity(QUERIES);
    let mut found = 0;
    for (text, embedding) in questions.iter().zip(vectors) {
        let query =
            domain::knowledge::Query { text: text.clone(), embedding, project_id: None, sources: vec![], limit: 10 };
        let started = Instant::now();
        let hits = domain::knowledge::find(&db, &scope, &query).await.unwrap();
        times.push(started.elapsed());
        found += hits.len();
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let (p50, p95, p99) = (times[QUERIES / 2], times[QUERIES * 95 / 100], times[QUERIES * 99 / 100]);
    println!("retrieval over {CHUNKS} chunks of one org (HNSW + full text, fused), {QUERIES} queries, 10 results");
    println!(
        "  p50 {:.1} ms  p95 {:.1} ms  p99 {:.1} ms  (target p95 < {} ms: {:.2}x of it)",
        ms(p50),
        ms(p95),
        ms(p99),
        TARGET_P95.as_millis(),
        ms(p95) / ms(TARGET_P95)
    );
    println!("  {} results per query on average", found / QUERIES);
    println!(
        "  loading {CHUNKS} chunks {:.1} s, building the HNSW index {:.1} s",
        inserted.as_secs_f64(),
        indexed.as_secs_f64()
    );
    println!("embedding model (all-MiniLM-L6-v2 int8): {per_second:.0} short texts/s in batches of 32");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let figures = json!({
        "chunks": CHUNKS,
        "queries": QUERIES,
        "cores": cores,
        "search_ms": {"p50": ms(p50), "p95": ms(p95), "p99": ms(p99)},
        "p95_over_target": ms(p95) / ms(TARGET_P95),
        "embeddings_per_second": per_second,
        "load_secs": inserted.as_secs_f64(),
        "index_build_secs": indexed.as_secs_f64(),
    });
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../test-output/bench");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("retrieval.json"), serde_json::to_string_pretty(&figures).unwrap()).unwrap();
}
