//! Keeps `docs/tools.md` equal to what the registry generates: a stale file is rewritten and the
//! test fails, so the fix is to commit the regenerated file.

use std::path::PathBuf;

#[tokio::test]
async fn docs_tools_md_is_up_to_date() {
    let platform = octo_tools::test_platform().await;
    let registry = octo_tools::standard_registry(&platform).expect("registry builds");
    let expected = octo_tools::reference::markdown(&registry);
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/tools.md");
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    if actual != expected {
        std::fs::write(&path, &expected).expect("write docs/tools.md");
        panic!(
            "docs/tools.md was stale and has been regenerated (as `cargo xtask docs` does); review and commit it"
        );
    }
}
