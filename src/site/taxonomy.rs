//! Grouping postmortems by tag, root cause, service, team, severity and year.

use rustc_hash::FxHashMap as HashMap;

use serde::Serialize;

use crate::config::{Allowlist, Config};
use crate::content::Postmortem;
use crate::content::markdown::slugify;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TaxonomyKind {
    Severity,
    Service,
    RootCause,
    Team,
    Tag,
    Year,
}

impl TaxonomyKind {
    /// In the order the navigation shows them.
    pub const ALL: [TaxonomyKind; 6] = [
        TaxonomyKind::Severity,
        TaxonomyKind::Service,
        TaxonomyKind::RootCause,
        TaxonomyKind::Team,
        TaxonomyKind::Tag,
        TaxonomyKind::Year,
    ];

    /// The URL folder of its pages.
    pub fn path(self) -> &'static str {
        match self {
            TaxonomyKind::Severity => "severities",
            TaxonomyKind::Service => "services",
            TaxonomyKind::RootCause => "root-causes",
            TaxonomyKind::Team => "teams",
            TaxonomyKind::Tag => "tags",
            TaxonomyKind::Year => "years",
        }
    }

    /// The kind as search facets, filters and URL parameters name it.
    pub fn key(self) -> &'static str {
        match self {
            TaxonomyKind::Severity => "severity",
            TaxonomyKind::Service => "service",
            TaxonomyKind::RootCause => "root_cause",
            TaxonomyKind::Team => "team",
            TaxonomyKind::Tag => "tag",
            TaxonomyKind::Year => "year",
        }
    }

    pub fn plural(self) -> &'static str {
        match self {
            TaxonomyKind::Severity => "Severities",
            TaxonomyKind::Service => "Services",
            TaxonomyKind::RootCause => "Root causes",
            TaxonomyKind::Team => "Teams",
            TaxonomyKind::Tag => "Tags",
            TaxonomyKind::Year => "Years",
        }
    }

    pub fn singular(self) -> &'static str {
        match self {
            TaxonomyKind::Severity => "Severity",
            TaxonomyKind::Service => "Service",
            TaxonomyKind::RootCause => "Root cause",
            TaxonomyKind::Team => "Team",
            TaxonomyKind::Tag => "Tag",
            TaxonomyKind::Year => "Year",
        }
    }

    /// The values of this taxonomy on one postmortem.
    pub fn values(self, pm: &Postmortem) -> Vec<String> {
        match self {
            TaxonomyKind::Severity => vec![pm.severity.clone()],
            TaxonomyKind::Service => pm.services.clone(),
            TaxonomyKind::RootCause => pm.root_causes.clone(),
            TaxonomyKind::Team => pm.teams.clone(),
            TaxonomyKind::Tag => pm.tags.clone(),
            TaxonomyKind::Year => vec![pm.started_at.year().to_string()],
        }
    }
}

#[derive(Clone, Debug)]
pub struct Taxonomy {
    pub kind: TaxonomyKind,
    /// In display order: severities by rank, years newest first, others by name.
    pub terms: Vec<Term>,
    index_by_slug: HashMap<String, usize>,
    /// Every spelling postmortems use, to its term: pages look terms up by the values
    /// they show, thousands of times a build, and a slug is made char by char.
    index_by_spelling: HashMap<String, usize>,
}

#[derive(Clone, Debug)]
pub struct Term {
    /// The spelling most postmortems use (`Postgres` and `postgres` share one page).
    pub name: String,
    pub slug: String,
    pub description: Option<String>,
    /// Postmortem indices, newest first.
    pub members: Vec<usize>,
}

impl Taxonomy {
    pub fn build(kind: TaxonomyKind, postmortems: &[&Postmortem], config: &Config) -> Taxonomy {
        struct Group {
            spellings: HashMap<String, usize>,
            members: Vec<usize>,
        }
        let mut groups: HashMap<String, Group> = HashMap::default();
        // Values repeat across thousands of postmortems; a slug is made char by char.
        let mut slugs: HashMap<String, String> = HashMap::default();
        for (i, pm) in postmortems.iter().enumerate() {
            for value in kind.values(pm) {
                let slug = match slugs.get(&value) {
                    Some(slug) => slug.clone(),
                    None => {
                        let slug = term_slug(&value);
                        slugs.insert(value.clone(), slug.clone());
                        slug
                    }
                };
                let group = groups.entry(slug).or_insert_with(|| Group {
                    spellings: HashMap::default(),
                    members: Vec::new(),
                });
                *group.spellings.entry(value).or_default() += 1;
                if group.members.last() != Some(&i) {
                    group.members.push(i);
                }
            }
        }
        let allowlist: Option<&Allowlist> = match kind {
            TaxonomyKind::Service => config.services.as_ref(),
            TaxonomyKind::RootCause => config.root_causes.as_ref(),
            TaxonomyKind::Team => config.teams.as_ref(),
            _ => None,
        };
        let mut terms: Vec<(Term, Vec<String>)> = groups
            .into_iter()
            .map(|(slug, group)| {
                let name = group
                    .spellings
                    .iter()
                    .max_by(|(a, na), (b, nb)| na.cmp(nb).then_with(|| b.cmp(a)))
                    .map(|(name, _)| name.clone())
                    .unwrap_or_default();
                let description = match kind {
                    TaxonomyKind::Severity => config.severity(&name).map(|(_, s)| s.description.clone()),
                    _ => allowlist.and_then(|a| a.description(&name)).map(str::to_string),
                };
                let term = Term {
                    name,
                    slug,
                    description,
                    members: group.members,
                };
                (term, group.spellings.into_keys().collect())
            })
            .collect();
        match kind {
            TaxonomyKind::Severity => {
                terms.sort_by_key(|(t, _)| config.severity(&t.name).map_or(usize::MAX, |(rank, _)| rank))
            }
            TaxonomyKind::Year => terms.sort_by(|(a, _), (b, _)| b.name.cmp(&a.name)),
            _ => terms.sort_by(|(a, _), (b, _)| a.slug.cmp(&b.slug)),
        }
        let index_by_slug = terms
            .iter()
            .enumerate()
            .map(|(i, (t, _))| (t.slug.clone(), i))
            .collect();
        let (terms, spellings): (Vec<Term>, Vec<Vec<String>>) = terms.into_iter().unzip();
        let index_by_spelling = spellings
            .into_iter()
            .enumerate()
            .flat_map(|(i, spellings)| spellings.into_iter().map(move |s| (s, i)))
            .collect();
        Taxonomy {
            kind,
            terms,
            index_by_slug,
            index_by_spelling,
        }
    }

    pub fn term_for(&self, value: &str) -> Option<&Term> {
        let index = match self.index_by_spelling.get(value) {
            Some(&i) => Some(i),
            None => self.index_by_slug.get(&term_slug(value)).copied(),
        };
        index.map(|i| &self.terms[i])
    }

    /// The `n` terms with the most postmortems, most first; ties by slug.
    pub fn most_used(&self, n: usize) -> Vec<&Term> {
        let mut terms: Vec<&Term> = self.terms.iter().collect();
        terms.sort_by(|a, b| {
            b.members
                .len()
                .cmp(&a.members.len())
                .then_with(|| a.slug.cmp(&b.slug))
        });
        terms.truncate(n);
        terms
    }
}

/// A term's URL slug; never empty, so every term has a page.
pub fn term_slug(value: &str) -> String {
    let slug = slugify(value);
    if slug.is_empty() {
        // Only punctuation: a stable, distinct slug from its bytes, ending in `-`, which
        // no slug of letters or digits does (`!!` is `2121-`, the tag `2121` is `2121`).
        value
            .bytes()
            .map(|b| format!("{b:02x}"))
            .chain(["-".into()])
            .collect()
    } else {
        slug
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::site::Site;
    use crate::site::fixture::{content, selection};

    #[test]
    fn most_used_terms_most_members_first_then_by_slug() {
        let config = Config::default();
        let content = content(
            &config,
            &[
                (
                    "a",
                    "started_at = 2024-01-01\nservices = [\"db\", \"api\", \"queue\"]",
                ),
                (
                    "b",
                    "started_at = 2024-02-01\nservices = [\"cache\", \"API\", \"queue\"]",
                ),
                ("c", "started_at = 2024-03-01\nservices = [\"Cache\", \"queue\"]"),
            ],
        );
        let site = Site::build(&content, &config, selection("2025-01-01"));
        let services = site.taxonomy(TaxonomyKind::Service);
        let slugs = |n| {
            services
                .most_used(n)
                .iter()
                .map(|t| t.slug.clone())
                .collect::<Vec<_>>()
        };
        // queue 3, api 2 (two spellings), cache 2, db 1.
        assert_eq!(slugs(3), ["queue", "api", "cache"]);
        assert_eq!(slugs(10), ["queue", "api", "cache", "db"]);
        assert!(slugs(0).is_empty());
    }
}
