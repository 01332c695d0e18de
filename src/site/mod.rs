//! Stage 3, the site: which postmortems this build publishes (audience, drafts), in what
//! order, at which URL, and everything computed across them: taxonomies, backlinks,
//! recurrence chains, linked files; and, from those, the follow-through numbers (ledger,
//! insights, dossiers). `model::Model` gathers it all for rendering.

pub mod dossier;
pub mod insights;
pub mod ledger;
pub mod stats;
mod taxonomy;
pub mod url;

use rustc_hash::FxHashMap as HashMap;
use std::collections::BTreeSet;

use chrono::NaiveDate;
use rayon::prelude::*;

pub use taxonomy::{Taxonomy, TaxonomyKind, Term, term_slug};

use crate::config::Config;
use crate::content::links::{self, Target};
use crate::content::{Content, Postmortem, Status, Visibility};

/// Which postmortems a build is for. One source serves several sites.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    /// Public postmortems only, e.g. for an external engineering blog.
    Public,
    /// Public and internal postmortems: the company-wide archive.
    Internal,
    /// Everything, restricted postmortems included.
    Restricted,
}

impl Audience {
    pub fn includes(self, visibility: Visibility) -> bool {
        match self {
            Audience::Public => visibility == Visibility::Public,
            Audience::Internal => visibility != Visibility::Restricted,
            Audience::Restricted => true,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Public => "public",
            Audience::Internal => "internal",
            Audience::Restricted => "restricted",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Selection {
    pub audience: Audience,
    pub drafts: bool,
    /// "Today" for overdue action items: fixed per build so output is reproducible.
    pub today: NaiveDate,
}

impl Selection {
    pub fn includes(&self, pm: &Postmortem) -> bool {
        self.audience.includes(pm.visibility) && (self.drafts || pm.status != Status::Draft)
    }
}

pub struct Site<'a> {
    pub config: &'a Config,
    pub selection: Selection,
    /// Published postmortems, newest first (ties by id): the order of every list.
    pub postmortems: Vec<&'a Postmortem>,
    index_by_id: HashMap<&'a str, usize>,
    index_by_key: HashMap<&'a str, usize>,
    /// Per postmortem: the published postmortems that link to it, newest first.
    pub backlinks: Vec<Vec<usize>>,
    /// Per postmortem: every incident of its recurrence chain, itself included, oldest
    /// first. Empty when it is part of none.
    pub recurrence_chains: Vec<Vec<usize>>,
    /// Shared with a preview's next build while the front matter is the same.
    pub taxonomies: std::sync::Arc<Vec<Taxonomy>>,
    /// Non-Markdown files under postmortems/ linked from published postmortems.
    pub files: BTreeSet<String>,
    /// A hash of the published postmortems' front matter (and file names, which can be
    /// their ids) and of what selected them: everything of the site but its bodies. What is
    /// made from front matter alone is the same while this is (see `build::Fingerprints`,
    /// `model::Reusable`).
    pub front_matter: u64,
}

/// An incident like another one, and why.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Similar {
    /// Index into `Site::postmortems`.
    pub index: usize,
    /// The services and root causes both share, or "similar wording".
    pub reasons: Vec<String>,
}

impl<'a> Site<'a> {
    /// See `Site::front_matter`.
    fn front_matter_digest(&self) -> u64 {
        use std::hash::Hasher;
        let mut hasher = rustc_hash::FxHasher::default();
        hasher.write(self.selection.audience.as_str().as_bytes());
        hasher.write_u8(self.selection.drafts as u8);
        hasher.write(self.selection.today.to_string().as_bytes());
        hasher.write_u64(crate::content::front_matter_digest(
            self.postmortems.iter().copied(),
        ));
        hasher.finish()
    }

    pub fn build(content: &'a Content, config: &'a Config, selection: Selection) -> Site<'a> {
        Site::build_reusing(content, config, selection, None)
    }

    /// A site that takes the taxonomies an earlier build made (`kept`, with the
    /// `Site::front_matter` they were made of) when its front matter is the same: they are
    /// made of nothing else (a preview starts afresh when the configuration changes).
    pub fn build_reusing(
        content: &'a Content,
        config: &'a Config,
        selection: Selection,
        kept: Option<(u64, std::sync::Arc<Vec<Taxonomy>>)>,
    ) -> Site<'a> {
        let mut postmortems: Vec<&Postmortem> = content
            .postmortems
            .iter()
            .filter(|pm| selection.includes(pm))
            .collect();
        postmortems.sort_by(|a, b| {
            b.started_at
                .sort_key()
                .cmp(&a.started_at.sort_key())
                .then_with(|| a.id.cmp(&b.id))
        });
        let index_by_id = postmortems
            .iter()
            .enumerate()
            .map(|(i, pm)| (pm.id.as_str(), i))
            .collect();
        let index_by_key = postmortems
            .iter()
            .enumerate()
            .map(|(i, pm)| (pm.source.key.as_str(), i))
            .collect();
        let mut site = Site {
            config,
            selection,
            postmortems,
            index_by_id,
            index_by_key,
            backlinks: Vec::new(),
            recurrence_chains: Vec::new(),
            taxonomies: Default::default(),
            files: BTreeSet::new(),
            front_matter: 0,
        };
        site.front_matter = site.front_matter_digest();
        site.backlinks = site.compute_backlinks(content);
        site.recurrence_chains = site.compute_recurrence_chains();
        site.taxonomies = match kept {
            Some((front_matter, taxonomies)) if front_matter == site.front_matter => taxonomies,
            // Each kind walks the whole archive: at 100,000 postmortems, 0.27 s on one core.
            _ => std::sync::Arc::new(
                TaxonomyKind::ALL
                    .par_iter()
                    .map(|kind| Taxonomy::build(*kind, &site.postmortems, config))
                    .collect(),
            ),
        };
        site
    }

    pub fn index_of_id(&self, id: &str) -> Option<usize> {
        self.index_by_id.get(id).copied()
    }

    pub fn index_of_key(&self, key: &str) -> Option<usize> {
        self.index_by_key.get(key).copied()
    }

    pub fn taxonomy(&self, kind: TaxonomyKind) -> &Taxonomy {
        self.taxonomies
            .iter()
            .find(|t| t.kind == kind)
            .expect("every taxonomy kind is built")
    }

    /// Published postmortems this one names in `related`, in the author's order.
    pub fn related(&self, pm: &Postmortem) -> Vec<usize> {
        pm.related
            .iter()
            .filter_map(|r| self.index_of_id(&r.id))
            .collect()
    }

    fn compute_backlinks(&mut self, content: &Content) -> Vec<Vec<usize>> {
        let mut backlinks: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); self.postmortems.len()];
        for (from, pm) in self.postmortems.iter().enumerate() {
            let named = pm
                .related
                .iter()
                .chain(&pm.recurrence_of)
                .filter_map(|r| self.index_of_id(&r.id));
            let mut targets: Vec<usize> = named.collect();
            for link in &pm.source.outline.links {
                match links::resolve(&pm.source.key, &link.destination) {
                    Target::Postmortem { key, .. } => targets.extend(self.index_of_key(&key)),
                    Target::File { key } if content.files.contains(&key) => {
                        self.files.insert(key);
                    }
                    _ => {}
                }
            }
            for to in targets {
                if to != from {
                    backlinks[to].insert(from);
                }
            }
        }
        // Indices follow the newest-first order, so a sorted set is already newest first.
        backlinks
            .into_iter()
            .map(|set| set.into_iter().collect())
            .collect()
    }

    fn compute_recurrence_chains(&self) -> Vec<Vec<usize>> {
        // Union-find over `recurrence_of` edges between published postmortems.
        let mut parent: Vec<usize> = (0..self.postmortems.len()).collect();
        fn find(parent: &mut [usize], mut i: usize) -> usize {
            while parent[i] != i {
                parent[i] = parent[parent[i]];
                i = parent[i];
            }
            i
        }
        let mut linked = vec![false; self.postmortems.len()];
        for (i, pm) in self.postmortems.iter().enumerate() {
            for earlier in pm.recurrence_of.iter().filter_map(|r| self.index_of_id(&r.id)) {
                let (a, b) = (find(&mut parent, i), find(&mut parent, earlier));
                parent[a] = b;
                linked[i] = true;
                linked[earlier] = true;
            }
        }
        let mut groups: HashMap<usize, Vec<usize>> = HashMap::default();
        for i in (0..self.postmortems.len()).filter(|i| linked[*i]) {
            groups.entry(find(&mut parent, i)).or_default().push(i);
        }
        let mut chains = vec![Vec::new(); self.postmortems.len()];
        for mut members in groups.into_values() {
            // Oldest first: indices are newest first.
            members.sort_by(|a, b| b.cmp(a));
            for &m in &members {
                chains[m] = members.clone();
            }
        }
        chains
    }
}

/// Builds in-memory archives for the model's unit tests.
#[cfg(test)]
pub(crate) mod fixture {
    use std::path::Path;

    use chrono::NaiveDate;

    use super::{Audience, Selection};
    use crate::config::Config;
    use crate::content::{Content, parse_file};

    /// Postmortems from `(id, front matter)` pairs; title, severity and summary default.
    pub fn content(config: &Config, files: &[(&str, &str)]) -> Content {
        let postmortems = files
            .iter()
            .map(|(id, front)| {
                let mut text = String::from("+++\n");
                for (key, default) in [
                    ("title", format!("title = \"{id}\"")),
                    ("severity", "severity = \"SEV2\"".to_string()),
                    ("summary", "summary = \"s\"".to_string()),
                ] {
                    // Top-level keys only: an action item has a `title` too.
                    let mut top = front.lines().take_while(|l| !l.starts_with('['));
                    if !top.any(|l| l.starts_with(&format!("{key} ="))) {
                        text.push_str(&default);
                        text.push('\n');
                    }
                }
                text.push_str(front);
                text.push_str("\n+++\n");
                let name = format!("postmortems/{id}.md");
                let parsed = parse_file(Path::new(&name), format!("{id}.md"), &text, config);
                assert!(parsed.diagnostics.is_empty(), "{id}: {:?}", parsed.diagnostics);
                *parsed.postmortem.expect("a postmortem")
            })
            .collect();
        Content {
            postmortems,
            ..Content::default()
        }
    }

    pub fn selection(today: &str) -> Selection {
        Selection {
            audience: Audience::Internal,
            drafts: false,
            today: NaiveDate::parse_from_str(today, "%Y-%m-%d").expect("a date"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audiences_nest() {
        use Visibility::*;
        let table = [
            (Audience::Public, [true, false, false]),
            (Audience::Internal, [true, true, false]),
            (Audience::Restricted, [true, true, true]),
        ];
        for (audience, expected) in table {
            let got = [Public, Internal, Restricted].map(|v| audience.includes(v));
            assert_eq!(got, expected, "{audience:?}");
        }
    }
}
