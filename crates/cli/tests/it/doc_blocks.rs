//! Every shell block of the README and the docs says how it is kept true: either a test that
//! runs it (`<!-- tested by PATH: FN -->` right above the block, naming a test function that
//! exists) or why it is not run under test (`<!-- not run under test: REASON -->`, e.g. a
//! long-running server or a system installation). A new block without either fails here, and a
//! marker naming a test that no longer exists fails too.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn docs() -> Vec<PathBuf> {
    let mut files = vec![root().join("README.md"), root().join("examples/README.md")];
    let mut more: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    more.sort();
    files.extend(more);
    files
}

/// (line number, the marker found in the three lines above) of every shell block.
fn blocks(text: &str) -> Vec<(usize, Option<String>)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut in_block = false;
    for (i, l) in lines.iter().enumerate() {
        let t = l.trim_start();
        if in_block {
            if t.starts_with("```") {
                in_block = false;
            }
            continue;
        }
        if let Some(lang) = t.strip_prefix("```") {
            in_block = true;
            if ["sh", "bash", "shell", "console"].contains(&lang.trim()) {
                let marker = lines[i.saturating_sub(3)..i].iter().rev().find_map(|p| {
                    let p = p.trim();
                    (p.starts_with("<!-- tested by ") || p.starts_with("<!-- not run under test:"))
                        .then(|| p.to_owned())
                });
                out.push((i + 1, marker));
            }
        }
    }
    out
}

#[test]
fn every_shell_block_is_run_by_a_test_or_says_why_not() {
    let mut problems = Vec::new();
    let mut tested = 0;
    for file in docs() {
        let text = std::fs::read_to_string(&file).unwrap();
        let name = file
            .strip_prefix(root())
            .unwrap_or(&file)
            .display()
            .to_string();
        for (line, marker) in blocks(&text) {
            match marker {
                None => problems.push(format!(
                    "{name}:{line}: no `tested by` / `not run under test` marker"
                )),
                Some(m) if m.starts_with("<!-- tested by ") => {
                    let spec = m
                        .trim_start_matches("<!-- tested by ")
                        .trim_end_matches("-->")
                        .trim();
                    let Some((path, func)) = spec.split_once(": ") else {
                        problems.push(format!(
                            "{name}:{line}: marker must be `tested by PATH: FN`"
                        ));
                        continue;
                    };
                    let source = std::fs::read_to_string(root().join(path)).unwrap_or_default();
                    if !source.contains(&format!("fn {}(", func.trim())) {
                        problems.push(format!("{name}:{line}: {path} has no test fn {func}"));
                    }
                    tested += 1;
                }
                Some(m) => {
                    let why = m
                        .trim_start_matches("<!-- not run under test:")
                        .trim_end_matches("-->");
                    if why.trim().len() < 10 {
                        problems.push(format!("{name}:{line}: say why the block is not run"));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(tested >= 5, "only {tested} blocks are run by tests");
}

#[test]
fn the_block_scanner_reads_markers_and_skips_other_languages() {
    let text =
        "a\n<!-- tested by x.rs: f -->\n\n```sh\nls\n```\n```toml\n[x]\n```\n```bash\necho\n```\n";
    let b = blocks(text);
    assert_eq!(b.len(), 2);
    assert_eq!(b[0], (4, Some("<!-- tested by x.rs: f -->".into())));
    assert_eq!(b[1].1, None);
}
