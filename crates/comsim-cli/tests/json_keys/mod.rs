//! The keys of a command's JSON output that a section of docs/json.md does not name, shared by
//! the tests of `comsim diagnose` and `comsim audit`.

use std::collections::BTreeSet;

use serde_json::Value;

/// The keys of `docs` (every object's, at any depth; below a key of `skip` nothing is collected,
/// those keys being documented elsewhere) that `section` names neither as `` `key` `` nor as the
/// end of a path `` `parent.key` ``.
pub fn undocumented(docs: &[Value], section: &str, skip: &[&str]) -> Vec<String> {
    let mut keys = BTreeSet::new();
    for v in docs {
        collect(v, skip, &mut keys);
    }
    keys.into_iter()
        .filter(|k| !section.contains(&format!("`{k}`")) && !section.contains(&format!(".{k}`")))
        .collect()
}

fn collect(v: &Value, skip: &[&str], out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                if !skip.contains(&k.as_str()) {
                    out.insert(k.clone());
                    collect(child, skip, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|c| collect(c, skip, out)),
        _ => {}
    }
}
