//! Blame, whoever it names (PM104). PM101 knows phrases and PM102 the people of the front
//! matter; a reviewer also hears blame in:
//!
//! - a person as the agent of a blaming verb: "Bob forgot to enable discovery", "the DBA
//!   ignored the warning", "it was missed by the on-call engineer", "caused by our intern";
//! - a role as the culprit of a cause: "The contractor ran the script" under Root cause;
//! - possessive blame: "Bob's fault", "the engineer's lack of attention";
//! - blaming slang: "screwed up", "stupid mistake".
//!
//! Tools do the same things without blame ("Sentinel missed the failover", "Terraform
//! deleted the bucket"), so an agent counts as a person only when it is one of the
//! postmortem's people, a pronoun, a role ("the junior developer") or a handle
//! (`bob.smith`, `@bob`), or a capitalized name that is not a tool: not a well-known
//! infrastructure name, not one of the archive's services, and not a word the archive's
//! postmortems also write in lowercase (their vocabulary).

use std::cell::RefCell;
use std::collections::HashSet;
use std::ops::Range;
use std::sync::LazyLock;

use rayon::prelude::*;
use regex::Regex;

use super::language::People;
use crate::config::Config;
use crate::content::Postmortem;

/// What kind of blame a finding is, for its message and hint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Verb,
    Role,
    Possessive,
    Slang,
}

impl Kind {
    pub fn message(self, text: &str) -> String {
        match self {
            Kind::Verb => format!("blames a person: `{text}`"),
            Kind::Role => format!("a role as the culprit: `{text}`"),
            Kind::Possessive => format!("puts the fault on a person: `{text}`"),
            Kind::Slang => format!("blaming slang: `{text}`"),
        }
    }

    pub fn hint(self) -> &'static str {
        match self {
            Kind::Verb => {
                "describe what the system allowed: ask \"what made this easy to miss, and what would have caught it?\" (e.g. \"the migration checklist had no step for it\")"
            }
            Kind::Role => {
                "name the gap, not the role: ask \"what would have stopped anyone in this role from doing this?\""
            }
            Kind::Possessive => "a fault is never a person's: write what the process or tooling lacked",
            Kind::Slang => "say what happened in neutral words, and what in the system allowed it",
        }
    }
}

/// One finding: where in the prose, and what kind.
pub struct Found {
    pub range: Range<usize>,
    pub kind: Kind,
}

/// Well-known infrastructure, tools and services: agents that are never people.
const TOOLS: &[&str] = &[
    "airflow",
    "akamai",
    "alb",
    "alertmanager",
    "ansible",
    "apache",
    "argo",
    "argocd",
    "aurora",
    "auth0",
    "autoscaler",
    "aws",
    "azure",
    "bazel",
    "bgp",
    "bigquery",
    "bind",
    "buildkite",
    "cassandra",
    "celery",
    "ceph",
    "certbot",
    "certmanager",
    "chef",
    "chrome",
    "circleci",
    "clickhouse",
    "cloudflare",
    "cloudfront",
    "cloudwatch",
    "cockroachdb",
    "consul",
    "containerd",
    "coredns",
    "cron",
    "crond",
    "datadog",
    "debezium",
    "django",
    "dns",
    "docker",
    "dynamo",
    "dynamodb",
    "ec2",
    "ecs",
    "eks",
    "elasticache",
    "elasticsearch",
    "elb",
    "envoy",
    "etcd",
    "fastly",
    "firebase",
    "flink",
    "fluentd",
    "flux",
    "gcp",
    "gcs",
    "git",
    "github",
    "gitlab",
    "gke",
    "grafana",
    "graphql",
    "gunicorn",
    "hadoop",
    "haproxy",
    "hbase",
    "hdfs",
    "helm",
    "heroku",
    "hive",
    "iam",
    "istio",
    "jenkins",
    "jira",
    "kafka",
    "karpenter",
    "keda",
    "kibana",
    "kinesis",
    "kong",
    "kube",
    "kubectl",
    "kubelet",
    "kubernetes",
    "lambda",
    "ldap",
    "linkerd",
    "linux",
    "logstash",
    "loki",
    "memcache",
    "memcached",
    "mongo",
    "mongodb",
    "mysql",
    "nats",
    "netlify",
    "nginx",
    "node",
    "nomad",
    "okta",
    "openresty",
    "opensearch",
    "openssl",
    "opsgenie",
    "pagerduty",
    "patroni",
    "pgbouncer",
    "postgres",
    "postgresql",
    "prometheus",
    "proxysql",
    "pubsub",
    "puppet",
    "rabbitmq",
    "rails",
    "rds",
    "redis",
    "redshift",
    "route53",
    "s3",
    "salt",
    "sentinel",
    "sentry",
    "sidekiq",
    "slack",
    "snowflake",
    "solr",
    "spanner",
    "spark",
    "spinnaker",
    "splunk",
    "sqs",
    "sns",
    "stripe",
    "systemd",
    "tempo",
    "terraform",
    "thanos",
    "tomcat",
    "traefik",
    "twilio",
    "vault",
    "varnish",
    "vercel",
    "vitess",
    "vpc",
    "windows",
    "zookeeper",
];

/// Capitalized words that start sentences and are never names.
const NOT_NAMES: &[&str] = &[
    "a",
    "after",
    "all",
    "an",
    "another",
    "any",
    "anyone",
    "because",
    "before",
    "both",
    "each",
    "either",
    "every",
    "everyone",
    "everybody",
    "finally",
    "first",
    "however",
    "i",
    "if",
    "it",
    "its",
    "later",
    "many",
    "most",
    "neither",
    "next",
    "no",
    "nobody",
    "none",
    "nothing",
    "one",
    "our",
    "so",
    "some",
    "still",
    "that",
    "the",
    "their",
    "then",
    "these",
    "they",
    "this",
    "those",
    "we",
    "what",
    "when",
    "which",
    "while",
    "who",
    "you",
];

/// The archive's vocabulary: what tells a tool from a person. Built from every postmortem,
/// so an edit to one file's front matter can change what another file's check finds.
#[derive(Default)]
pub struct Vocabulary {
    /// Lowercase: services of the archive and the site, and every word its postmortems'
    /// front matter writes in lowercase.
    words: HashSet<String>,
}

impl Vocabulary {
    /// Services and lowercase words of every postmortem (titles, summaries and the
    /// front matter's other prose), and the site's allowlisted services.
    pub fn of(postmortems: &[Postmortem], config: &Config) -> Vocabulary {
        let mut words: HashSet<String> = postmortems
            .par_iter()
            .fold(HashSet::new, |mut words, pm| {
                let texts = [pm.title.as_str(), pm.summary.as_str()]
                    .into_iter()
                    .chain(pm.trigger.as_deref())
                    .chain(pm.detection.as_deref())
                    .chain(pm.contributing_factors.iter().map(String::as_str))
                    .chain(pm.timeline.iter().map(|e| e.text.as_str()))
                    .chain(pm.tags.iter().map(String::as_str));
                for text in texts {
                    for word in text.split(|c: char| !c.is_alphanumeric()) {
                        if word.chars().next().is_some_and(char::is_lowercase) {
                            words.insert(word.to_string());
                        }
                    }
                }
                for service in &pm.services {
                    words.insert(service.to_lowercase());
                    words.extend(service.split(['-', '_', '.', ' ']).map(str::to_lowercase));
                }
                words
            })
            .reduce(HashSet::new, |mut a, b| {
                a.extend(b);
                a
            });
        if let Some(services) = &config.services {
            for service in services.names() {
                words.insert(service.to_lowercase());
            }
        }
        Vocabulary { words }
    }

    /// The words one vocabulary has and the other has not: the answers of
    /// [`Tools::is_tool`] that differ between the two.
    pub fn differences(&self, other: &Vocabulary) -> HashSet<String> {
        self.words.symmetric_difference(&other.words).cloned().collect()
    }
}

/// One file's view of the vocabulary. It remembers which words the file's checks asked
/// about, so that a preview re-checks the file only when the answer to one of them changed.
pub struct Tools<'v> {
    vocabulary: &'v Vocabulary,
    asked: RefCell<Vec<String>>,
}

impl<'v> Tools<'v> {
    pub fn new(vocabulary: &'v Vocabulary) -> Tools<'v> {
        Tools {
            vocabulary,
            asked: RefCell::default(),
        }
    }

    #[cfg(test)]
    pub fn none() -> Tools<'static> {
        static EMPTY: LazyLock<Vocabulary> = LazyLock::new(Vocabulary::default);
        Tools::new(&EMPTY)
    }

    /// The words whose answer came from the archive's vocabulary, sorted.
    pub fn asked(self) -> Vec<String> {
        let mut asked = self.asked.into_inner();
        asked.sort_unstable();
        asked.dedup();
        asked
    }

    fn is_tool(&self, word: &str) -> bool {
        static KNOWN: LazyLock<HashSet<&str>> = LazyLock::new(|| TOOLS.iter().copied().collect());
        let lower = word.to_lowercase();
        if KNOWN.contains(lower.as_str()) {
            return true;
        }
        let answer = self.vocabulary.words.contains(&lower);
        self.asked.borrow_mut().push(lower);
        answer
    }
}

/// Words that may stand between an agent and its verb: "Bob simply forgot".
const ADVERBS: &str = r"(?:(?:just|simply|also|then|apparently|clearly|obviously|again|still|accidentally|mistakenly|completely|totally|unfortunately|never|had|has|have|had\s+simply|had\s+just)\s+)*";

/// Blaming verbs (their agent comes before them).
const VERBS: &str = r"(?:forgot|forgotten|forgets|forget|ignored|ignores|missed|misses|skipped|skips|neglected|neglects|overlooked|failed\s+to|fails\s+to|did\s+not\s+bother|didn'?t\s+bother|never\s+bothered|should(?:\s+not|n'?t)?\s+have|should'?ve|acted\s+without|went\s+ahead\s+without|did\s+not\s+(?:check|test|read|verify|follow|notice|review|think|wait|ask)|didn'?t\s+(?:check|test|read|verify|follow|notice|review|think|wait|ask)|rushed|botched|broke|was\s+(?:careless|negligent|sloppy|lazy|reckless|distracted|inattentive|asleep|not\s+paying\s+attention))";

/// What people are called by their job.
const ROLE_NOUN: &str = r"(?:developer|dev|engineer|dba|sysadmin|admin|administrator|operator|intern|contractor|consultant|sre|devops|team\s+lead|tech\s+lead|manager|new\s+hire|hire|employee|staffer|team\s+member|oncaller|on-?call|releaser|reviewer|programmer|coder|person|guy|technician|analyst|freelancer)s?";

/// Roles: "the junior developer", "our intern", "the DBA".
const ROLE: &str = r"(?:the|our|a|an|their|one\s+of\s+the|one\s+of\s+our|that|this)\s+(?:(?:junior|senior|new|on-?call|overnight|night|weekend|offshore|external|outside|former|same|responsible|lead|staff|platform|backend|frontend|database|release|support|vendor'?s?|third-party)\s+)*ROLE_NOUN";

/// Hands-on actions: a role doing one of these in a cause is cast as the culprit ("the
/// DBA dropped the index"); a role that "moved to another team" or "built the query" is not.
const ACTIONS: &str = r"(?:ran|run|pushed|deployed|dropped|deleted|disabled|changed|merged|applied|executed|removed|restarted|typed|entered|modified|committed|rebooted|truncated|overwrote|approved|misconfigured|turned\s+off|shut\s+down|killed|force-pushed|rolled\s+out)";

/// Roles singled out by their standing: culprits wherever they act.
const MARKED_ROLE: &str = r"(?:the|our|a|an|that)\s+(?:(?:(?:junior|new|inexperienced|temporary)\s+)+ROLE_NOUN|intern|contractor|new\s+hire)";

/// Slang that blames whoever it is about.
const SLANG: &str = r"(?:screwed\s+up|messed\s+up|stupid\s+mistake|dumb\s+mistake|silly\s+mistake|rookie\s+mistake|careless\s+mistake|bone-?headed|brain\s+fart|goofed(?:\s+up)?|idiot(?:ic|s)?|clueless|blew\s+it|fat-?finger(?:ed)?|butter-?fingers)";

/// What a possessive can blame: "Bob's fault", "the engineer's lack of attention".
const FAULTS: &str = r"(?:own\s+)?(?:fault|mistake|error|oversight|negligence|carelessness|sloppiness|laziness|incompetence|blunder|screw-?up|slip|lapse|inattention|lack\s+of\s+(?:attention|care|diligence|focus|rigou?r|judge?ment|experience|discipline))";

/// An agent: a role, a pronoun, a handle, or one to three capitalized words.
/// Only roles and pronouns ignore case: a name is capitalized.
const AGENT: &str = r"(?:(?P<role>(?i:ROLE))|(?P<pronoun>(?i:he|she|someone|somebody)|I)|(?P<handle>@[\w.-]+)|(?P<name>\p{Lu}[\p{L}'-]*(?:\s+\p{Lu}[\p{L}'-]*){0,2}))";

/// Each check finds a cheap trigger first (a verb, "caused by", "'s fault", an action),
/// with ASCII word boundaries so that the fast regex engines run over the whole text, and
/// only then reads the few words around it for an agent.
struct Patterns {
    /// Every trigger, one group each: `by` ("ignored by", "caused by", "because of": the
    /// agent after it; before `verb`, which would take "ignored" alone), `verb` (ADVERBS
    /// VERB, the agent before it), `possessive` ('s
    /// FAULT, the agent before it), `slang`, and `action` (ADVERBS ACTION, a role before).
    /// One regex, so the text is read once.
    trigger: Regex,
    /// An agent that ends where the text ends (after optional whitespace).
    agent_before: Regex,
    /// An agent that starts the text.
    agent_after: Regex,
    /// A role that ends the text, and one singled out by standing.
    role_before: Regex,
    marked_before: Regex,
    /// A word that can end a role ("engineer", "DBA", "lead").
    role_word: Regex,
}

static PATTERNS: LazyLock<Patterns> = LazyLock::new(|| {
    let role = ROLE.replace("ROLE_NOUN", ROLE_NOUN);
    let agent = AGENT.replace("ROLE", &role);
    let marked = MARKED_ROLE.replace("ROLE_NOUN", ROLE_NOUN);
    let build = |p: String| Regex::new(&p).expect("valid regex");
    let edge = "(?-u:\\b)";
    let by = r"(?:(?:ignored|missed|skipped|overlooked|forgotten|neglected|botched|broken|caused|triggered|introduced)\s+by|because\s+of|due\s+to|blame\s+(?:lies|rests)\s+with)\s+";
    Patterns {
        trigger: build(format!(
            r"(?i){edge}(?P<by>{by})|{edge}(?P<verb>{ADVERBS}{VERBS}){edge}|(?P<possessive>(?:'s|’s|s')\s+{FAULTS}){edge}|{edge}(?P<slang>{SLANG}){edge}|{edge}(?P<action>{ADVERBS}{ACTIONS}){edge}"
        )),
        agent_before: build(format!(r"\b{agent}\s*$")),
        agent_after: build(format!(r"^{agent}(?:\b|$)")),
        role_before: build(format!(r"(?i)\b{role}\s+$")),
        marked_before: build(format!(r"(?i)\b{marked}\s+$")),
        role_word: build(format!(r"(?i)^(?:{ROLE_NOUN}|lead|member)$")),
    }
});

/// The word that ends `before`, trailing whitespace left out.
fn last_word(before: &str) -> &str {
    let trimmed = before.trim_end();
    let start = trimmed
        .char_indices()
        .rev()
        .find(|(_, c)| !(c.is_alphanumeric() || matches!(c, '@' | '.' | '_' | '-')))
        .map_or(0, |(i, c)| i + c.len_utf8());
    &trimmed[start..]
}

/// How far before or after a trigger an agent is looked for, in bytes.
const REACH: usize = 80;

/// The start of the `REACH` bytes before `at`, on a character boundary.
fn reach_back(text: &str, at: usize) -> usize {
    let mut start = at.saturating_sub(REACH);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    start
}

/// The end of the `REACH` bytes after `at`, on a character boundary.
fn reach_forward(text: &str, at: usize) -> usize {
    let mut end = (at + REACH).min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    end
}

/// A capitalized word that could be a first or last name: not a sentence opener like
/// "The" or "Nobody", and not a noun of a kind names are not ("Monitoring", "Replication").
fn looks_like_a_name(word: &str) -> bool {
    let lower = word.to_lowercase();
    word.chars().count() >= 2
        && !NOT_NAMES.contains(&lower.as_str())
        && ![
            "ing", "tion", "sion", "ment", "ness", "ity", "ance", "ence", "ers", "bot",
        ]
        .iter()
        .any(|suffix| lower.ends_with(suffix))
}

/// Blame in one block of prose. `people` are the postmortem's; `in_cause` says whether the
/// block is about causes (where a role as the subject is a culprit).
pub fn find(
    text: &str,
    people: Option<&People<'_>>,
    tools: &Tools<'_>,
    in_cause: bool,
    subjects: &[usize],
) -> Vec<Found> {
    let p = &*PATTERNS;
    let mut found = Vec::new();
    let is_person = |c: &regex::Captures<'_>| -> bool {
        if c.name("role").is_some() || c.name("pronoun").is_some() || c.name("handle").is_some() {
            return true;
        }
        let Some(name) = c.name("name") else {
            return false;
        };
        // One of the postmortem's people, in any of their forms.
        if people.is_some_and(|people| people.starts(name.as_str()) == Some(name.len())) {
            return true;
        }
        let words: Vec<&str> = name.as_str().split_whitespace().collect();
        words.iter().all(|w| looks_like_a_name(w) && !tools.is_tool(w))
            && !people.is_some_and(|people| words.iter().any(|w| people.is_common_word(w)))
    };
    // The person before a trigger: the range from the agent to the trigger's end.
    let person_before = |m: regex::Match<'_>| -> Option<Range<usize>> {
        // Most triggers follow a lowercase word that no agent ends with: no need to look.
        let word = last_word(&text[..m.start()]);
        let could_be = word.starts_with(|c: char| c.is_uppercase() || c == '@')
            || p.role_word.is_match(word)
            || ["he", "she", "someone", "somebody"]
                .iter()
                .any(|pronoun| word.eq_ignore_ascii_case(pronoun));
        if !could_be {
            return None;
        }
        let from = reach_back(text, m.start());
        let c = p.agent_before.captures(&text[from..m.start()])?;
        is_person(&c).then(|| from + c.get(0).expect("match").start()..m.end())
    };
    for c in p.trigger.captures_iter(text) {
        if let Some(m) = c.name("verb") {
            if let Some(range) = person_before(m) {
                found.push(Found {
                    range,
                    kind: Kind::Verb,
                });
            }
        } else if let Some(m) = c.name("by") {
            let to = reach_forward(text, m.end());
            if let Some(agent) = p.agent_after.captures(&text[m.end()..to])
                && is_person(&agent)
            {
                let end = m.end() + agent.get(0).expect("match").end();
                found.push(Found {
                    range: m.start()..end,
                    kind: Kind::Verb,
                });
            }
        } else if let Some(m) = c.name("possessive") {
            if let Some(range) = person_before(m) {
                found.push(Found {
                    range,
                    kind: Kind::Possessive,
                });
            }
        } else if let Some(m) = c.name("slang") {
            found.push(Found {
                range: m.range(),
                kind: Kind::Slang,
            });
        } else if let Some(m) = c.name("action")
            && p.role_word.is_match(last_word(&text[..m.start()]))
        {
            let from = reach_back(text, m.start());
            let before = &text[from..m.start()];
            let role = p.marked_before.find(before).or_else(|| {
                p.role_before
                    .find(before)
                    .filter(|r| in_cause && subjects.contains(&(from + r.start())))
            });
            if let Some(r) = role {
                found.push(Found {
                    range: from + r.start()..m.end(),
                    kind: Kind::Role,
                });
            }
        }
    }
    // One finding per place: the first pattern that saw it.
    found.sort_by_key(|f| f.range.start);
    found.dedup_by(|b, a| b.range.start < a.range.end);
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(Kind, &str)> {
        find(text, None, &Tools::none(), true, &[0])
            .into_iter()
            .map(|f| (f.kind, &text[f.range]))
            .collect()
    }

    #[test]
    fn people_and_roles_as_agents_of_blaming_verbs() {
        assert_eq!(
            kinds("Bob forgot to enable discovery."),
            [(Kind::Verb, "Bob forgot")]
        );
        assert_eq!(
            kinds("Then the DBA simply ignored it."),
            [(Kind::Verb, "the DBA simply ignored")]
        );
        assert_eq!(
            kinds("It was missed by our intern."),
            [(Kind::Verb, "missed by our intern")]
        );
        assert_eq!(
            kinds("It was Priya's fault."),
            [(Kind::Possessive, "Priya's fault")]
        );
        assert_eq!(
            kinds("the engineer's lack of attention"),
            [(Kind::Possessive, "the engineer's lack of attention")]
        );
        assert_eq!(kinds("We screwed up."), [(Kind::Slang, "screwed up")]);
        assert_eq!(
            kinds("The contractor ran the script."),
            [(Kind::Role, "The contractor ran")]
        );
        assert!(kinds("That engineer had since moved to another team.").is_empty());
        assert!(kinds("After the rollout the new node deployed the old image.").is_empty());
        assert_eq!(
            kinds("After lunch the new engineer deployed it."),
            [(Kind::Role, "the new engineer deployed")]
        );
        assert!(kinds("The on-call engineer built the query during the incident.").is_empty());
    }

    #[test]
    fn tools_and_common_words_are_not_people() {
        assert!(kinds("Sentinel missed the failover.").is_empty());
        assert!(kinds("Redis failed over and Kafka dropped the consumer group.").is_empty());
        assert!(kinds("The alert failed to fire.").is_empty());
        assert!(kinds("Nobody missed a page.").is_empty());
        assert!(kinds("It was caused by Terraform.").is_empty());
    }
}
