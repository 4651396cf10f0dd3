//! The README stays true: every configuration key is in its table, its quick-start commands and
//! the configs it names exist.

#[test]
fn readme_documents_every_key_and_existing_files() {
    let root = env!("CARGO_MANIFEST_DIR");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    for (key, ..) in simrun::config::explain::KEYS {
        assert!(readme.contains(&format!("`{key}`")), "README lacks key `{key}`: run scripts/gen-config-table.py");
    }
    for path in ["scripts/run.sh", "scripts/test.sh", "configs/heat2d.toml", "configs/heat3d.toml", ".ci/run"] {
        assert!(readme.contains(path.trim_start_matches(".ci/run")) || path == ".ci/run");
        assert!(std::path::Path::new(&format!("{root}/{path}")).exists(), "{path} missing");
    }
    assert!(readme.contains("./scripts/run.sh configs/heat2d.toml") && readme.contains("./scripts/test.sh"));
}
