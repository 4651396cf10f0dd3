//! The README stays true: its configuration table is exactly the key reference generated from the
//! typed config structs (`simrun check --explain --markdown`), every key of that reference is in
//! it, and the quick-start commands and the configs it names exist.

#[test]
fn readme_table_is_the_generated_key_reference() {
    let root = env!("CARGO_MANIFEST_DIR");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    let (_, rest) = readme.split_once("<!-- keys:begin -->\n").expect("README has the keys:begin marker");
    let (table, _) = rest.split_once("<!-- keys:end -->").expect("README has the keys:end marker");
    let generated = simrun::config::explain::markdown();
    assert_eq!(table, generated, "README configuration table is stale: run scripts/gen-config-table.py");
    let rows = simrun::config::explain::rows();
    assert!(rows.len() > 50, "{} keys", rows.len());
    let text = simrun::config::explain::text();
    for r in &rows {
        assert!(table.contains(&format!("| `{}` |", r.key)), "README lacks key `{}`", r.key);
        assert!(!r.doc.is_empty(), "key `{}` has no doc comment", r.key);
        assert!(text.contains(&r.key) && text.contains(&r.doc), "explain text lacks `{}`", r.key);
    }
    // The explain text and the table come from the same rows.
    let o =
        std::process::Command::new(env!("CARGO_BIN_EXE_simrun")).args(["check", "--explain", "--markdown"]).output();
    assert_eq!(String::from_utf8_lossy(&o.unwrap().stdout), generated);
}

#[test]
fn readme_names_existing_files() {
    let root = env!("CARGO_MANIFEST_DIR");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    for path in [
        "scripts/run.sh",
        "scripts/test.sh",
        "configs/heat2d.toml",
        "configs/heat3d.toml",
        "scripts/gen-config-table.py",
    ] {
        assert!(readme.contains(path), "README does not name {path}");
        assert!(std::path::Path::new(&format!("{root}/{path}")).exists(), "{path} missing");
    }
    assert!(std::path::Path::new(&format!("{root}/.ci/run")).exists(), ".ci/run missing");
    assert!(readme.contains("./scripts/run.sh configs/heat2d.toml") && readme.contains("./scripts/test.sh"));
}
