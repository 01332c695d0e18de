//! "Similar incidents" for each incident page: the incidents that share the most telling
//! words of its title, summary and causes, plus a bonus for each service and root cause it
//! shares, so that the lists favour what an engineer about to change that service should
//! read.
//!
//! Two properties shape it, besides the ranking:
//! - Stable lists. A word weighs less the more incidents hold it, counted as the archive
//!   stood when the later of the two incidents happened: a word found in twice as many
//!   incidents weighs one bit less, and a word held by more than a quarter of them, or by
//!   more than [`COMMON`], weighs nothing. A score is thus a function of the pair and of
//!   what happened before the later of the two, never of what came after: a postmortem
//!   dated after all others changes no score between the others, and so only the lists it
//!   enters. Scores are integers and ties go to the smaller id, so the same archive gives
//!   the same lists whatever order it is read in.
//! - Linear time. Candidates come from an inverted index that keeps, per word and per
//!   service or root cause, only the first [`COMMON`] incidents that have it (any later
//!   pair weighs nothing), so one incident's candidates cost at most [`COMMON`] postings
//!   per word of its title, summary and causes, however large the archive. A service or
//!   root cause adds its bonus to every candidate that shares it; it finds candidates on
//!   its own while it is not yet common, and the [`RECENT`] latest earlier incidents with
//!   the same service and root cause always are candidates.

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::index::causes;
use crate::content::Postmortem;
use crate::site::{Similar, Site, term_slug};

/// How many similar incidents a page lists.
pub const LIMIT: usize = 5;

/// A word in more incidents than this is too common to say two incidents are alike, and it
/// would make finding candidates cost in proportion to the archive.
const COMMON: u32 = 256;

/// How many of the latest earlier incidents with the same service and root cause are
/// candidates however common that pair is: the recurrences an engineer should read,
/// found without reading every incident of a busy service.
const RECENT: usize = 64;

/// Words shorter than this (in characters, after stemming) are not compared.
const MIN_WORD: usize = 3;

/// A word found in two incidents weighs this many bits.
const TWO_BITS: u32 = 10;

/// Scores are in thousandths of a bit of a word's weight.
const UNIT: u32 = 1000;

/// Score added per shared root cause and per shared service, in bits of a word's weight. A
/// word found in two incidents weighs 10 bits, one in about a hundred 4, and a close match
/// shares several: sharing both a root cause and a service is worth two rare words, which
/// lifts a moderately similar incident above a merely wordy one.
const ROOT_CAUSE_BONUS: u32 = 12 * UNIT;
const SERVICE_BONUS: u32 = 8 * UNIT;

/// For every published postmortem, in site order, up to [`LIMIT`] similar ones.
pub fn similar_incidents(site: &Site<'_>) -> Vec<Vec<Similar>> {
    let archive = Archive::new(&site.postmortems);
    let count = site.postmortems.len();
    // A chunk of incidents shares one accumulator, the size of the archive.
    let chunk = 512;
    let chunks: Vec<Vec<Vec<Similar>>> = (0..count.div_ceil(chunk))
        .into_par_iter()
        .map(|c| {
            let mut scores = Scores::new(count);
            (c * chunk..((c + 1) * chunk).min(count))
                .map(|a| {
                    archive.collect(a, &mut scores);
                    let mut found: Vec<(u32, usize)> = scores
                        .touched
                        .iter()
                        .map(|&b| (archive.score(a, b as usize, &scores), b as usize))
                        .collect();
                    scores.clear();
                    let best = archive.best(&mut found, LIMIT);
                    best.into_iter()
                        .map(|b| Similar {
                            index: b,
                            reasons: reasons(site.postmortems[a], site.postmortems[b]),
                        })
                        .collect()
                })
                .collect()
        })
        .collect();
    chunks.into_iter().flatten().collect()
}

/// For each `a` of `wanted` (an index into `postmortems`), up to `limit` of the incidents
/// `b` for which `candidate(a, b)`, ranked as the incident page ranks similar incidents,
/// best first: the same scores, only the other incidents are passed over, and so are
/// candidates that share nothing with `a`. (A predicate, not lists: on a large archive the
/// candidates of a few thousand incidents were a gigabyte.)
pub fn rank(
    postmortems: &[Postmortem],
    wanted: &[usize],
    candidate: &(dyn Fn(usize, usize) -> bool + Sync),
    limit: usize,
) -> Vec<Vec<usize>> {
    let all: Vec<&Postmortem> = postmortems.iter().collect();
    let archive = Archive::new(&all);
    let by_label = ByLabel::new(&archive);
    wanted
        .par_iter()
        .map_init(
            || Scores::new(all.len()),
            |scores, &a| {
                archive.collect(a, scores);
                let mut found: Vec<(u32, usize)> = scores
                    .touched
                    .iter()
                    .map(|&b| b as usize)
                    .filter(|&b| b != a && candidate(a, b))
                    .map(|b| (archive.score(a, b, scores), b))
                    .filter(|&(score, _)| score > 0)
                    .collect();
                // Any other incident scores its bonus alone: nothing unless it shares a
                // service or root cause. Those are read in id order, as ties are broken,
                // only until no unread one can be among the best (reading the whole
                // archive for each of a few thousand recent incidents of a large one took
                // time in the square of its size).
                let shared = by_label.of(&archive, a);
                let mut tiers = Tiers::new(&archive, a, limit);
                let mut best = tiers.threshold(&found);
                for b in shared {
                    if tiers.settled(best) {
                        break;
                    }
                    let b = b as usize;
                    if b == a || scores.seen[b] || !candidate(a, b) {
                        continue;
                    }
                    if tiers.admit(archive.bonus(a, b), b) {
                        best = tiers.threshold(&found);
                    }
                }
                found.extend(tiers.admitted());
                scores.clear();
                archive.best(&mut found, limit)
            },
        )
        .collect()
}

/// Per label (service or root cause), every incident that has it, in id order: the order
/// in which [`rank`] reads the incidents a bonus alone may list.
struct ByLabel {
    /// Per label, the ranks in id order of the incidents that have it, ascending.
    lists: Vec<Vec<u32>>,
    /// Per rank in id order, the incident.
    incident: Vec<u32>,
}

impl ByLabel {
    fn new(archive: &Archive<'_>) -> ByLabel {
        let mut incident: Vec<u32> = (0..archive.ids.len() as u32).collect();
        incident.sort_unstable_by_key(|&b| archive.ids[b as usize]);
        let mut lists: Vec<Vec<u32>> = vec![Vec::new(); archive.labelled.len()];
        for (rank, &b) in incident.iter().enumerate() {
            let b = b as usize;
            for &label in archive.services[b].iter().chain(&archive.root_causes[b]) {
                lists[label as usize].push(rank as u32);
            }
        }
        ByLabel { lists, incident }
    }

    /// The incidents sharing a label with `a`, each once, in id order.
    fn of<'s>(&'s self, archive: &Archive<'_>, a: usize) -> impl Iterator<Item = u32> + 's {
        let mut lists: Vec<&[u32]> = archive.services[a]
            .iter()
            .chain(&archive.root_causes[a])
            .map(|&label| self.lists[label as usize].as_slice())
            .collect();
        // A merge of a few sorted lists: the smallest head next, equal heads once.
        std::iter::from_fn(move || {
            let next = lists.iter().filter_map(|list| list.first()).min().copied()?;
            for list in &mut lists {
                if list.first() == Some(&next) {
                    *list = &list[1..];
                }
            }
            Some(self.incident[next as usize])
        })
    }
}

/// The incidents `a`'s bonus alone ranks, read in id order: per bonus they can have, the
/// first `limit` of them (a later one with the same bonus loses the tie to each).
struct Tiers {
    limit: usize,
    /// Per bonus an incident sharing a label with `a` can get, highest first: the
    /// incidents admitted with it.
    tiers: Vec<(u32, Vec<usize>)>,
}

impl Tiers {
    fn new(archive: &Archive<'_>, a: usize, limit: usize) -> Tiers {
        let (services, causes) = (
            archive.services[a].len() as u32,
            archive.root_causes[a].len() as u32,
        );
        let mut bonuses: Vec<u32> = (0..=services)
            .flat_map(|s| (0..=causes).map(move |c| s * SERVICE_BONUS + c * ROOT_CAUSE_BONUS))
            .filter(|&bonus| bonus > 0)
            .collect();
        bonuses.sort_unstable_by(|x, y| y.cmp(x));
        bonuses.dedup();
        Tiers {
            limit,
            tiers: bonuses.into_iter().map(|bonus| (bonus, Vec::new())).collect(),
        }
    }

    /// Keeps `b` if its tier is not full; whether it did.
    fn admit(&mut self, bonus: u32, b: usize) -> bool {
        match self.tiers.iter_mut().find(|(tier, _)| *tier == bonus) {
            Some((_, admitted)) if admitted.len() < self.limit => {
                admitted.push(b);
                true
            }
            _ => false,
        }
    }

    /// The `limit`-th best score among `found` and the admitted incidents (0 while fewer).
    fn threshold(&self, found: &[(u32, usize)]) -> u32 {
        let mut scores: Vec<u32> = found
            .iter()
            .map(|&(score, _)| score)
            .chain(
                self.tiers
                    .iter()
                    .flat_map(|(bonus, admitted)| admitted.iter().map(|_| *bonus)),
            )
            .collect();
        scores.sort_unstable_by(|x, y| y.cmp(x));
        self.limit
            .checked_sub(1)
            .and_then(|at| scores.get(at))
            .copied()
            .unwrap_or(0)
    }

    /// Whether no incident read from now on can be among the best: each tier with room is
    /// below `threshold`, and in a full tier a later incident loses the tie.
    fn settled(&self, threshold: u32) -> bool {
        self.tiers
            .iter()
            .all(|(bonus, admitted)| admitted.len() >= self.limit || *bonus < threshold)
    }

    fn admitted(self) -> impl Iterator<Item = (u32, usize)> {
        self.tiers
            .into_iter()
            .flat_map(|(bonus, admitted)| admitted.into_iter().map(move |b| (bonus, b)))
    }
}

/// What the ranking reads of an archive: each incident's words and labels, interned, and
/// the inverted index of the words that find candidates. Everything is counted in the
/// order the incidents happened ([`Archive::age`]), so that what was true of the archive
/// when an incident was written stays true when newer ones arrive.
struct Archive<'a> {
    ids: Vec<&'a str>,
    /// Per incident: how many incidents started before it (ties by id).
    age: Vec<u32>,
    /// Per incident: its words that were in at most [`COMMON`] incidents when it
    /// happened, as (term, how many earlier incidents have the term).
    queries: Vec<Vec<(u32, u32)>>,
    /// Per term: the first [`COMMON`] incidents that have it, as (incident, [`saturated`]
    /// count), oldest first: later ones are beyond the cap of every pair.
    postings: Vec<Vec<(u32, u32)>>,
    /// Per incident: its services and root causes as label numbers, sorted.
    services: Vec<Vec<u32>>,
    root_causes: Vec<Vec<u32>>,
    /// Per label: the first [`COMMON`] incidents that have it, oldest first, and per
    /// incident and label, how many earlier incidents have that label.
    labelled: Vec<Vec<u32>>,
    label_rank: Vec<Vec<(u32, u32)>>,
    /// Per service and root cause together: the incidents that have both, oldest first.
    recurrences: Vec<Vec<u32>>,
    /// Per incident: its service and root cause pairs, with its place in their list.
    recurring: Vec<Vec<(u32, u32)>>,
}

/// A word of a field: title, summary and causes are compared field by field, as a word in
/// a title says something else than the same word among contributing factors.
type Term = (u8, String);

impl<'a> Archive<'a> {
    fn new(postmortems: &[&'a Postmortem]) -> Archive<'a> {
        // Each incident's terms with their counts.
        let texts: Vec<Vec<(Term, u32)>> = postmortems
            .par_iter()
            .map_init(
                || super::stem::analyzer(Default::default()),
                |analyzer, pm| {
                    let mut counts: FxHashMap<Term, u32> = FxHashMap::default();
                    for (field, text) in [(0u8, pm.title.as_str()), (1, &pm.summary), (2, &causes(pm))] {
                        let mut stream = analyzer.token_stream(text);
                        while stream.advance() {
                            let word = &stream.token().text;
                            if word.chars().count() >= MIN_WORD {
                                *counts.entry((field, word.clone())).or_default() += 1;
                            }
                        }
                    }
                    counts.into_iter().collect()
                },
            )
            .collect();
        let mut oldest_first: Vec<usize> = (0..postmortems.len()).collect();
        oldest_first.sort_by(|&a, &b| {
            let (a, b) = (postmortems[a], postmortems[b]);
            (a.started_at.sort_key(), &a.id).cmp(&(b.started_at.sort_key(), &b.id))
        });
        let mut age = vec![0u32; postmortems.len()];
        for (rank, &incident) in oldest_first.iter().enumerate() {
            age[incident] = rank as u32;
        }

        let mut numbers: FxHashMap<&Term, u32> = FxHashMap::default();
        let mut postings: Vec<Vec<(u32, u32)>> = Vec::new();
        let mut seen: Vec<u32> = Vec::new();
        let mut queries: Vec<Vec<(u32, u32)>> = vec![Vec::new(); postmortems.len()];
        for &incident in &oldest_first {
            for (term, count) in &texts[incident] {
                let next = numbers.len() as u32;
                let number = *numbers.entry(term).or_insert(next);
                if number == next {
                    postings.push(Vec::new());
                    seen.push(0);
                }
                let earlier = seen[number as usize];
                seen[number as usize] += 1;
                if earlier < COMMON {
                    postings[number as usize].push((incident as u32, saturated(*count)));
                    queries[incident].push((number, earlier));
                }
            }
        }

        let mut labels: FxHashMap<String, u32> = FxHashMap::default();
        let mut label = |kind: &str, names: &[String]| -> Vec<u32> {
            let mut numbers: Vec<u32> = names
                .iter()
                .map(|name| {
                    let next = labels.len() as u32;
                    *labels
                        .entry(format!("{kind}/{}", term_slug(name)))
                        .or_insert(next)
                })
                .collect();
            numbers.sort_unstable();
            numbers.dedup();
            numbers
        };
        let services: Vec<Vec<u32>> = postmortems
            .iter()
            .map(|pm| label("service", &pm.services))
            .collect();
        let root_causes: Vec<Vec<u32>> = postmortems
            .iter()
            .map(|pm| label("cause", &pm.root_causes))
            .collect();
        // Every incident sharing a label is a candidate until the label is common: in a
        // small archive, the bonus alone may list an incident, as it always has.
        let mut labelled: Vec<Vec<u32>> = vec![Vec::new(); labels.len()];
        let mut label_seen = vec![0u32; labels.len()];
        let mut label_rank: Vec<Vec<(u32, u32)>> = vec![Vec::new(); postmortems.len()];
        for &incident in &oldest_first {
            for &number in services[incident].iter().chain(&root_causes[incident]) {
                let earlier = label_seen[number as usize];
                label_seen[number as usize] += 1;
                if earlier < COMMON {
                    labelled[number as usize].push(incident as u32);
                }
                label_rank[incident].push((number, earlier));
            }
        }

        // Per service and root cause together: every incident that has both, oldest first.
        let mut pairs: FxHashMap<(u32, u32), u32> = FxHashMap::default();
        let mut recurrences: Vec<Vec<u32>> = Vec::new();
        let mut recurring: Vec<Vec<(u32, u32)>> = vec![Vec::new(); postmortems.len()];
        for &incident in &oldest_first {
            for &service in &services[incident] {
                for &cause in &root_causes[incident] {
                    let next = pairs.len() as u32;
                    let pair = *pairs.entry((service, cause)).or_insert(next);
                    if pair == next {
                        recurrences.push(Vec::new());
                    }
                    let list = &mut recurrences[pair as usize];
                    recurring[incident].push((pair, list.len() as u32));
                    list.push(incident as u32);
                }
            }
        }

        Archive {
            ids: postmortems.iter().map(|pm| pm.id.as_str()).collect(),
            age,
            queries,
            recurrences,
            recurring,
            postings,
            services,
            root_causes,
            labelled,
            label_rank,
        }
    }

    /// Adds to `scores` what each other incident's words score against `a`'s, and marks
    /// as candidates the latest earlier incidents with the same service and root cause
    /// and the incidents that share a label that was not yet common.
    fn collect(&self, a: usize, scores: &mut Scores) {
        let age = self.age[a];
        for &(term, earlier) in &self.queries[a] {
            for (their_earlier, &(b, count)) in self.postings[term as usize].iter().enumerate() {
                if b as usize == a {
                    continue;
                }
                // The word as common as it was when the later of the two happened.
                let doc_freq = earlier.max(their_earlier as u32) + 1;
                let archive = age.max(self.age[b as usize]) as usize + 1;
                let weight = weight(doc_freq, max_doc_freq(archive));
                if weight > 0 {
                    scores.add(b, weight * count);
                }
            }
        }
        for &(pair, at) in &self.recurring[a] {
            let list = &self.recurrences[pair as usize];
            for &b in &list[(at as usize).saturating_sub(RECENT)..at as usize] {
                scores.add(b, 0);
            }
        }
        for &(label, earlier) in &self.label_rank[a] {
            if earlier < COMMON {
                for &b in &self.labelled[label as usize] {
                    if b as usize != a {
                        scores.add(b, 0);
                    }
                }
            }
        }
    }

    /// How like `a` `b` is: its words' scores collected for `a`, and its bonus.
    fn score(&self, a: usize, b: usize, collected: &Scores) -> u32 {
        collected.of[b] + self.bonus(a, b)
    }

    /// What `b` gets for sharing `a`'s services and root causes.
    fn bonus(&self, a: usize, b: usize) -> u32 {
        let shared =
            |x: &[u32], y: &[u32]| x.iter().filter(|label| y.binary_search(label).is_ok()).count() as u32;
        shared(&self.services[a], &self.services[b]) * SERVICE_BONUS
            + shared(&self.root_causes[a], &self.root_causes[b]) * ROOT_CAUSE_BONUS
    }

    /// The `limit` best of `found` (score, incident), best first, ties to the smaller id.
    fn best(&self, found: &mut Vec<(u32, usize)>, limit: usize) -> Vec<usize> {
        let order =
            |x: &(u32, usize), y: &(u32, usize)| y.0.cmp(&x.0).then_with(|| self.ids[x.1].cmp(self.ids[y.1]));
        if found.len() > limit {
            found.select_nth_unstable_by(limit, order);
            found.truncate(limit);
        }
        found.sort_unstable_by(order);
        found.iter().map(|&(_, b)| b).collect()
    }
}

/// The largest number of incidents a word may be found in and still be compared: a
/// quarter of a small archive (in which a word of every other incident says little),
/// [`COMMON`] in a large one.
fn max_doc_freq(incidents: usize) -> u32 {
    u32::try_from(incidents / 4).unwrap_or(u32::MAX).clamp(2, COMMON)
}

/// A word's weight in whole bits (so that scores are integers and ties exact), from the
/// number of incidents holding it: [`TWO_BITS`] for a word found in two incidents, one bit
/// less each time that number doubles. 0 for a word in one incident (nothing to compare it
/// with) and for one in more than `ceiling`.
fn weight(doc_freq: u32, ceiling: u32) -> u32 {
    if doc_freq < 2 || doc_freq > ceiling {
        return 0;
    }
    let bits = |n: u32| n.next_power_of_two().trailing_zeros();
    TWO_BITS + 1 - bits(doc_freq)
}

/// A word's score for its count in the other incident: BM25's saturation (k1 = 1.2), in
/// [`UNIT`]s, so that a word said three times counts half as much again as once, not three
/// times.
fn saturated(count: u32) -> u32 {
    let count = count.min(1000);
    count * 22 * UNIT / (count * 10 + 12)
}

/// Per incident of the archive, the score collected so far, and which incidents have one.
struct Scores {
    of: Vec<u32>,
    seen: Vec<bool>,
    touched: Vec<u32>,
}

impl Scores {
    fn new(incidents: usize) -> Scores {
        Scores {
            of: vec![0; incidents],
            seen: vec![false; incidents],
            touched: Vec::new(),
        }
    }

    fn add(&mut self, incident: u32, score: u32) {
        let i = incident as usize;
        if !self.seen[i] {
            self.seen[i] = true;
            self.touched.push(incident);
        }
        self.of[i] += score;
    }

    fn clear(&mut self) {
        for &incident in &self.touched {
            self.of[incident as usize] = 0;
            self.seen[incident as usize] = false;
        }
        self.touched.clear();
    }
}

/// What `a` shares with `b`, named as `a` names it: its services and root causes that `b`
/// has too, else "similar wording" (an incident is listed only for sharing one or the other).
fn reasons(a: &Postmortem, b: &Postmortem) -> Vec<String> {
    let shared = |names: &[String], theirs: &[String]| -> Vec<String> {
        let theirs: Vec<String> = theirs.iter().map(|name| term_slug(name)).collect();
        names
            .iter()
            .filter(|name| theirs.contains(&term_slug(name)))
            .cloned()
            .collect()
    };
    let mut reasons = shared(&a.services, &b.services);
    reasons.extend(shared(&a.root_causes, &b.root_causes));
    if reasons.is_empty() {
        reasons.push("similar wording".into());
    }
    reasons
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use std::path::Path;

    /// A postmortem `id` with these title, services and root causes.
    fn postmortem(id: &str, title: &str, services: &[&str], root_causes: &[&str]) -> Postmortem {
        let list = |names: &[&str]| {
            names
                .iter()
                .map(|n| format!("\"{n}\""))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let text = format!(
            "+++\ntitle = \"{title}\"\nseverity = \"SEV2\"\nstarted_at = 2024-03-08T15:42:00Z\n\
             summary = \"s\"\nservices = [{}]\nroot_causes = [{}]\n+++\n",
            list(services),
            list(root_causes)
        );
        let parsed = crate::content::parse_file(Path::new(id), id.into(), &text, &Config::default());
        *parsed
            .postmortem
            .unwrap_or_else(|| panic!("{id}: {:?}", parsed.diagnostics))
    }

    fn ranked(postmortems: &[Postmortem]) -> Vec<Vec<&str>> {
        let everyone: Vec<usize> = (0..postmortems.len()).collect();
        rank(postmortems, &everyone, &|_, _| true, LIMIT)
            .into_iter()
            .map(|list| list.into_iter().map(|j| postmortems[j].id.as_str()).collect())
            .collect()
    }

    /// What [`rank`] finds, the slow way: every incident of the archive scored.
    fn ranked_reading_everything(
        postmortems: &[Postmortem],
        candidate: &dyn Fn(usize, usize) -> bool,
        limit: usize,
    ) -> Vec<Vec<usize>> {
        let all: Vec<&Postmortem> = postmortems.iter().collect();
        let archive = Archive::new(&all);
        let mut scores = Scores::new(all.len());
        (0..all.len())
            .map(|a| {
                archive.collect(a, &mut scores);
                let mut found: Vec<(u32, usize)> = (0..all.len())
                    .filter(|&b| b != a && candidate(a, b))
                    .map(|b| (archive.score(a, b, &scores), b))
                    .filter(|&(score, _)| score > 0)
                    .collect();
                scores.clear();
                archive.best(&mut found, limit)
            })
            .collect()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]
        /// `rank` reads only the incidents sharing a label, and stops once no unread one can
        /// be among the best: its lists are those of reading every incident.
        #[test]
        fn ranking_reads_part_of_the_archive_and_ranks_as_if_it_read_all(
            incidents in proptest::collection::vec(
                (0..100u32, 0..6usize, proptest::collection::vec(0..2usize, 0..3),
                 proptest::collection::vec(0..2usize, 0..2)),
                // Past COMMON incidents with a label, so that labels alone find no candidates.
                1..900,
            ),
            seed in 0..u64::MAX,
            limit in 1..6usize,
        ) {
            const WORDS: [&str; 6] = ["gateway", "timeouts", "ledger", "drift", "deploy", "cache"];
            let postmortems: Vec<Postmortem> = incidents
                .iter()
                .enumerate()
                .map(|(i, (prefix, word, services, causes))| {
                    let services: Vec<String> = services.iter().map(|s| format!("service{s}")).collect();
                    let causes: Vec<String> = causes.iter().map(|c| format!("cause{c}")).collect();
                    let services: Vec<&str> = services.iter().map(String::as_str).collect();
                    let causes: Vec<&str> = causes.iter().map(String::as_str).collect();
                    // Ids in another order than the archive's: ties go by id.
                    let title = format!("{} {} outage", WORDS[*word], WORDS[(word + i) % WORDS.len()]);
                    postmortem(&format!("pm{prefix:02}-{i:03}"), &title, &services, &causes)
                })
                .collect();
            let some = |a: usize, b: usize| {
                let mixed = ((a as u64) << 32 | b as u64) ^ seed;
                mixed.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 62 != 0
            };
            let everyone: Vec<usize> = (0..postmortems.len()).collect();
            for candidate in [&some as &(dyn Fn(usize, usize) -> bool + Sync), &|_, _| true] {
                proptest::prop_assert_eq!(
                    rank(&postmortems, &everyone, candidate, limit),
                    ranked_reading_everything(&postmortems, candidate, limit)
                );
            }
        }
    }

    #[test]
    fn a_word_weighs_a_bit_less_each_time_its_count_doubles() {
        let ceiling = max_doc_freq(100_000);
        assert_eq!(ceiling, COMMON);
        assert_eq!(weight(1, ceiling), 0, "found in no other incident");
        assert_eq!(weight(2, ceiling), 10);
        assert_eq!(weight(3, ceiling), 9);
        assert_eq!(weight(4, ceiling), 9);
        assert_eq!(weight(5, ceiling), 8);
        assert_eq!(weight(COMMON, ceiling), TWO_BITS + 1 - COMMON.trailing_zeros());
        assert_eq!(weight(COMMON + 1, ceiling), 0, "too common to compare");
    }

    #[test]
    fn weights_do_not_depend_on_the_size_of_a_large_archive() {
        for size in [4 * COMMON as usize, 10_000, 10_001, 100_000, 1_000_000] {
            assert_eq!(max_doc_freq(size), COMMON, "{size}");
        }
        assert_eq!(max_doc_freq(0), 2);
        assert_eq!(max_doc_freq(40), 10, "a quarter of a small archive");
    }

    #[test]
    fn a_word_said_again_counts_less_than_twice() {
        assert_eq!(saturated(1), UNIT);
        assert!(saturated(2) > saturated(1) && saturated(2) < 2 * UNIT);
        assert!(saturated(u32::MAX) < 22 * UNIT / 10, "saturates, never overflows");
    }

    #[test]
    fn equal_scores_go_to_the_smaller_id() {
        let postmortems = [
            postmortem("c", "Gateway timeouts", &["gateway"], &[]),
            postmortem("b", "Gateway timeouts", &["gateway"], &[]),
            postmortem("a", "Gateway timeouts", &["gateway"], &[]),
            postmortem("d", "Ledger drift", &["ledger"], &[]),
        ];
        assert_eq!(ranked(&postmortems)[0], ["a", "b"]);
        assert_eq!(ranked(&postmortems)[2], ["b", "c"]);
        assert!(ranked(&postmortems)[3].is_empty(), "shares nothing with anyone");
    }

    #[test]
    fn a_shared_root_cause_and_service_outrank_a_shared_word() {
        let postmortems = [
            postmortem("a", "Checkout timeouts", &["checkout"], &["deploy"]),
            postmortem("b", "Checkout slowness", &["search"], &["capacity"]),
            postmortem("c", "Search errors", &["checkout"], &["deploy"]),
            postmortem("d", "Ledger drift", &["ledger"], &["dns"]),
            postmortem("e", "Ledger slowness", &["ledger"], &["dns"]),
        ];
        assert_eq!(ranked(&postmortems)[0], ["c", "b"]);
    }

    #[test]
    fn a_word_already_in_common_incidents_finds_no_candidates() {
        let postmortems: Vec<Postmortem> = (0..=COMMON)
            .map(|i| postmortem(&format!("pm{i:04}"), &format!("Zebra outage number{i}"), &[], &[]))
            .collect();
        let all: Vec<&Postmortem> = postmortems.iter().collect();
        let archive = Archive::new(&all);
        let newest = (0..all.len()).max_by_key(|&i| archive.age[i]).unwrap();
        assert!(
            archive.queries[newest].iter().all(|&(_, earlier)| earlier == 0),
            "only its number"
        );
        assert!(archive.postings.iter().all(|list| list.len() <= COMMON as usize));
        let mut scores = Scores::new(all.len());
        archive.collect(newest, &mut scores);
        assert!(scores.touched.is_empty());
    }

    #[test]
    fn the_latest_recurrences_are_candidates_however_common_their_service() {
        let postmortems: Vec<Postmortem> = (0..COMMON + 100)
            .map(|i| {
                postmortem(
                    &format!("pm{i:04}"),
                    &format!("Incident number{i}"),
                    &["gateway"],
                    &["dns"],
                )
            })
            .collect();
        let newest = postmortems.len() - 1;
        let lists = ranked(&postmortems);
        let recent = newest - RECENT..newest;
        let all: Vec<&Postmortem> = postmortems.iter().collect();
        let archive = Archive::new(&all);
        let mut scores = Scores::new(all.len());
        archive.collect(newest, &mut scores);
        let mut found: Vec<usize> = scores.touched.iter().map(|&b| b as usize).collect();
        found.sort_unstable();
        assert_eq!(found, recent.clone().collect::<Vec<_>>());
        assert_eq!(lists[newest].len(), LIMIT);
    }
}
