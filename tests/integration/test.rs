//! A small builder for "write these files, run pmsite with these arguments, expect this".

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub use pmsite::content::links::percent_decode;

pub const BIN: &str = env!("CARGO_BIN_EXE_pmsite");

/// A site in a temporary folder.
pub struct Site {
    pub dir: tempfile::TempDir,
}

impl Site {
    /// An empty site: a pmsite.toml and an empty postmortems/ folder.
    pub fn new() -> Site {
        let site = Site {
            dir: tempfile::tempdir().expect("temp dir"),
        };
        site.write(
            "pmsite.toml",
            "title = \"Test archive\"\nbase_url = \"https://incidents.example.com/\"\n",
        );
        fs::create_dir_all(site.path().join("postmortems")).unwrap();
        site
    }

    /// A copy of a folder (the example site, a fixture).
    pub fn copy_of(source: &Path) -> Site {
        let site = Site {
            dir: tempfile::tempdir().expect("temp dir"),
        };
        copy_dir(source, site.path());
        let _ = fs::remove_dir_all(site.path().join("public"));
        site
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, relative: &str, text: &str) -> &Self {
        let path = self.path().join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
        self
    }

    /// Writes `postmortems/<name>` with a valid minimal front matter plus `front`, and `body`.
    pub fn postmortem(&self, name: &str, front: &str, body: &str) -> &Self {
        let title = name
            .trim_end_matches(".md")
            .rsplit('/')
            .next()
            .unwrap()
            .replace('-', " ");
        let mut text = String::from("+++\n");
        // Only top-level keys count, not an action item's `title`.
        let top: Vec<&str> = front.lines().take_while(|l| !l.starts_with('[')).collect();
        let has = |key: &str| top.iter().any(|l| l.starts_with(&format!("{key} =")));
        if !has("title") {
            text.push_str(&format!("title = \"{title}\"\n"));
        }
        if !has("severity") {
            text.push_str("severity = \"SEV2\"\n");
        }
        if !has("started_at") {
            text.push_str("started_at = 2024-03-08T15:42:00Z\n");
        }
        if !has("summary") {
            text.push_str(&format!("summary = \"Summary of {title}.\"\n"));
        }
        text.push_str(front);
        if !front.is_empty() && !front.ends_with('\n') {
            text.push('\n');
        }
        text.push_str("+++\n");
        text.push_str(body);
        self.write(&format!("postmortems/{name}"), &text)
    }

    pub fn pmsite(&self, args: &[&str]) -> Run {
        let output = Command::new(BIN)
            .args(args)
            .current_dir(self.path())
            .env_remove("SOURCE_DATE_EPOCH")
            .env("NO_COLOR", "1")
            .output()
            .expect("run pmsite");
        Run::from(output)
    }

    pub fn build(&self) -> Run {
        self.pmsite(&["build", "--today", "2025-06-01"]).success()
    }

    pub fn read(&self, relative: &str) -> String {
        let path = self.path().join(relative);
        fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
    }

    pub fn exists(&self, relative: &str) -> bool {
        self.path().join(relative).exists()
    }

    /// Every file under `relative`, as path -> bytes.
    pub fn snapshot(&self, relative: &str) -> BTreeMap<PathBuf, Vec<u8>> {
        snapshot_of(&self.path().join(relative))
    }
}

/// Every file under `root`, as path (relative to `root`) -> bytes.
pub fn snapshot_of(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path().strip_prefix(root).unwrap().to_path_buf(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// The files that differ between two snapshots, added and removed ones included, as
/// paths in `/` form: what an upload tool would send or delete.
pub fn changed_files(before: &BTreeMap<PathBuf, Vec<u8>>, after: &BTreeMap<PathBuf, Vec<u8>>) -> Vec<String> {
    let paths: std::collections::BTreeSet<&PathBuf> = before.keys().chain(after.keys()).collect();
    paths
        .into_iter()
        .filter(|p| before.get(*p) != after.get(*p))
        .map(|p| p.display().to_string())
        .collect()
}

pub struct Run {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            status: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    #[track_caller]
    pub fn status(self, expected: i32) -> Self {
        assert_eq!(
            self.status, expected,
            "exit status\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn success(self) -> Self {
        self.status(0)
    }

    #[track_caller]
    pub fn stderr_has(self, needle: &str) -> Self {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}:\n{}",
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn stdout_has(self, needle: &str) -> Self {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}:\n{}",
            self.stdout
        );
        self
    }

    /// The diagnostics of a `check --format json` run.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", self.stdout))
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            fs::create_dir_all(&target).unwrap();
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

pub fn example_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("content-example")
}

/// Checks that every internal `href`/`src` in every HTML file under `dir` reaches a file,
/// and that every `#fragment` names an id on the target page. Returns the problems.
pub fn broken_links(dir: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    let mut ids_cache: BTreeMap<PathBuf, Vec<String>> = BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry.unwrap();
        if entry.path().extension().is_none_or(|e| e != "html") || entry.file_name() == "404.html" {
            continue;
        }
        let html = fs::read_to_string(entry.path()).unwrap();
        for link in attribute_values(&html, &["href", "src"]) {
            if link.starts_with("http://") || link.starts_with("https://") || link.starts_with("mailto:") {
                continue;
            }
            let (path_part, fragment) = match link.split_once('#') {
                Some((p, f)) => (p.to_string(), Some(f.to_string())),
                None => (link.clone(), None),
            };
            let path_part = path_part.split('?').next().unwrap().to_string();
            let mut target = if path_part.is_empty() {
                entry.path().to_path_buf()
            } else {
                entry.path().parent().unwrap().join(percent_decode(&path_part))
            };
            if target.is_dir() {
                target = target.join("index.html");
            }
            let Ok(target) = target.canonicalize() else {
                problems.push(format!(
                    "{}: {link} -> missing",
                    entry.path().strip_prefix(dir).unwrap().display()
                ));
                continue;
            };
            if !target.starts_with(dir.canonicalize().unwrap()) {
                problems.push(format!("{}: {link} leaves the site", entry.path().display()));
                continue;
            }
            if let Some(fragment) = fragment.filter(|f| !f.is_empty())
                && target.extension().is_some_and(|e| e == "html")
            {
                let ids = ids_cache
                    .entry(target.clone())
                    .or_insert_with(|| attribute_values(&fs::read_to_string(&target).unwrap(), &["id"]));
                if !ids.contains(&fragment) {
                    problems.push(format!(
                        "{}: {link} -> no id {fragment}",
                        entry.path().strip_prefix(dir).unwrap().display()
                    ));
                }
            }
        }
    }
    problems
}

/// Values of the given attributes (double-quoted, as pmsite writes them).
pub fn attribute_values(html: &str, names: &[&str]) -> Vec<String> {
    let mut values = Vec::new();
    for name in names {
        let needle = format!(" {name}=\"");
        let mut rest = html;
        while let Some(i) = rest.find(&needle) {
            rest = &rest[i + needle.len()..];
            if let Some(end) = rest.find('"') {
                values.push(rest[..end].replace("&amp;", "&"));
                rest = &rest[end..];
            }
        }
    }
    values
}

/// The incidents an incident page connects to it (its recurrence chain, then the others),
/// each as its link and the reasons the page gives for it.
pub fn connected_incidents(page: &str) -> Vec<(String, String)> {
    let Some(section) = page.split("<section class=\"related\"").nth(1) else {
        return Vec::new();
    };
    let section = &section[..section.find("</section>").expect("the section ends")];
    let mut entries = Vec::new();
    // The chain: an incident a line, its reasons after its severity and date.
    if let Some(chain) = section.split("<ol class=\"chain\">").nth(1) {
        for li in chain[..chain.find("</ol>").expect("the chain ends")].split("<li>") {
            if let (Some(href), Some(muted)) = (
                attribute_values(li, &["href"]).first(),
                li.split("<span class=\"muted\">").nth(1),
            ) {
                let why = muted.split("</span>").next().unwrap_or("");
                entries.push((
                    href.clone(),
                    why.splitn(3, " · ").nth(2).unwrap_or("").to_string(),
                ));
            }
        }
    }
    // The others: each run's reasons once (<dt>), then its incidents (<dd>).
    if let Some(list) = section.split("<dl class=\"connected\">").nth(1) {
        for group in list[..list.find("</dl>").expect("the list ends")]
            .split("<dt>")
            .skip(1)
        {
            let (why, items) = group.split_once("</dt>").expect("a reason ends");
            for dd in items.split("<dd>").skip(1) {
                let href = attribute_values(dd, &["href"])
                    .into_iter()
                    .next()
                    .expect("a link");
                entries.push((href, why.to_string()));
            }
        }
    }
    entries
}
