//! What the reader reads from each assembly under `fixtures/assemblies/` (built from the sources
//! in `fixtures/assemblies/src/` by `build.sh`), one snapshot per file: identity, runtime,
//! architecture, the assembly's COM attributes and every type.

use comsim_clrmeta::read_assembly;

#[test]
fn every_fixture_assembly_reads_as_its_source_says() {
    insta::glob!("../../../fixtures/assemblies", "*.{dll,exe}", |path| {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(path).unwrap();
        let asm = read_assembly(&name, &bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        insta::assert_json_snapshot!(asm);
    });
}
