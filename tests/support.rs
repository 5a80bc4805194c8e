//! Helpers shared by the end-to-end and real-data tests.

use std::path::PathBuf;

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A file of the team's shared data sets (`../shared/data` beside the
/// checkout, or `$SEGMINT_SHARED_DATA`). `None`, with a message saying why the
/// test is skipped, when it is absent (a user's fresh clone).
pub fn shared_data(relative: &str) -> Option<PathBuf> {
    let root = std::env::var_os("SEGMINT_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("../shared/data"));
    let path = root.join(relative);
    if path.exists() {
        Some(path)
    } else {
        eprintln!(
            "SKIPPED: {} is absent (set SEGMINT_SHARED_DATA to the shared data folder to run this test)",
            path.display()
        );
        None
    }
}

/// A fresh, empty scratch directory under the target directory.
pub fn scratch_dir(name: &str) -> PathBuf {
    let dir = repo_root().join("target/test-scratch").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}
