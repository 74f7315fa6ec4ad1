//! The source tree's shape (issue 15): no import cycle between top-level modules, no source
//! file over 600 lines before its tests, no function over 80 lines. Read from `src/` as text;
//! nothing is built or run.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

const MAX_FILE_LINES: usize = 600;
const MAX_FN_LINES: usize = 80;

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("read src/") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn src() -> (PathBuf, Vec<PathBuf>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    files.sort();
    (root, files)
}

/// The top-level module a file belongs to: `src/check/probe/dns.rs` → `check`.
fn top_module(root: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(root).expect("under src/");
    let first = rel.components().next().expect("a component");
    let name = first.as_os_str().to_string_lossy();
    name.trim_end_matches(".rs").to_owned()
}

/// The file's lines up to its `#[cfg(test)] mod tests` (the code a reader reads first).
fn before_tests(text: &str) -> Vec<&str> {
    let lines: Vec<&str> = text.lines().collect();
    let cut = lines
        .windows(2)
        .position(|w| {
            w[0].trim() == "#[cfg(test)]"
                && (w[1].trim_start().starts_with("mod ")
                    || w[1].trim_start().starts_with("pub mod "))
        })
        .unwrap_or(lines.len());
    lines[..cut].to_vec()
}

/// Every `crate::NAME` a file mentions, with `use crate::{a, b::c}` groups.
fn crate_paths(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                found.insert(name);
            }
        } else {
            found.insert(
                rest.chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect(),
            );
        }
    }
    found
}

#[test]
fn no_import_cycle_between_top_level_modules() {
    let (root, files) = src();
    let modules: BTreeSet<String> = files
        .iter()
        .map(|f| top_module(&root, f))
        .filter(|m| m != "main")
        .collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let from = top_module(&root, file);
        if from == "main" || file.ends_with("tests.rs") {
            continue;
        }
        let text = fs::read_to_string(file).expect("read");
        let code = before_tests(&text).join("\n");
        for to in crate_paths(&code) {
            if modules.contains(&to) && to != from {
                edges.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    // A cycle exists when a module reaches itself.
    for start in &modules {
        let mut stack: Vec<(String, Vec<String>)> = vec![(start.clone(), vec![start.clone()])];
        let mut seen = BTreeSet::new();
        while let Some((at, path)) = stack.pop() {
            for next in edges.get(&at).into_iter().flatten() {
                if next == start {
                    panic!("import cycle: {} -> {start}", path.join(" -> "));
                }
                if seen.insert(next.clone()) {
                    let mut longer = path.clone();
                    longer.push(next.clone());
                    stack.push((next.clone(), longer));
                }
            }
        }
    }
}

#[test]
fn no_file_or_function_a_reader_cannot_take_in() {
    let (root, files) = src();
    let mut over = Vec::new();
    for file in &files {
        let text = fs::read_to_string(file).expect("read");
        let lines = before_tests(&text);
        let name = file.strip_prefix(&root).expect("under src/").display();
        if lines.len() > MAX_FILE_LINES {
            over.push(format!(
                "src/{name}: {} lines before its tests",
                lines.len()
            ));
        }
        let mut i = 0;
        while i < lines.len() {
            let line = lines[i];
            let indent = line.len() - line.trim_start().len();
            let head = line.trim_start();
            let is_fn = [
                "fn ",
                "pub fn ",
                "pub(crate) fn ",
                "const fn ",
                "pub const fn ",
                "unsafe fn ",
            ]
            .iter()
            .any(|p| head.starts_with(p))
                && !line.trim_end().ends_with(';');
            if is_fn {
                let close = format!("{}}}", " ".repeat(indent));
                let end = (i..lines.len())
                    .find(|&j| lines[j].trim_end() == close)
                    .unwrap_or(lines.len() - 1);
                if end - i + 1 > MAX_FN_LINES {
                    over.push(format!(
                        "src/{name}:{} a function of {} lines",
                        i + 1,
                        end - i + 1
                    ));
                }
                i = end;
            }
            i += 1;
        }
    }
    assert!(over.is_empty(), "{}", over.join("\n"));
}
