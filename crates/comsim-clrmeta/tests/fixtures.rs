//! What the reader reads from each assembly under `fixtures/assemblies/` (built from the sources
//! in `fixtures/assemblies/src/` by `build.sh`), one snapshot per file: identity, runtime,
//! architecture, the assembly's COM attributes and every type.

use std::path::PathBuf;

use comsim_clrmeta::read_assembly;

pub fn fixtures() -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/assemblies");
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "dll" || x == "exe"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    out.sort();
    assert!(
        out.len() >= 8,
        "expected the assemblies in {}",
        dir.display()
    );
    out
}

#[test]
fn every_fixture_assembly_reads_as_its_source_says() {
    insta::glob!("../../../fixtures/assemblies", "*.{dll,exe}", |path| {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(path).unwrap();
        let asm = read_assembly(&name, &bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        insta::assert_json_snapshot!(asm);
    });
}
