//! Required sections (PM401): the sections a postmortem of a given severity must have,
//! from `[checks.required_sections]`. A body heading matches a section by its text, in any
//! case and ignoring punctuation, or by a common synonym ("Follow-ups" for "Action items").
//! Impact, Timeline and Action items are also satisfied by the front matter's `[impact]`,
//! `[[timeline]]` and `[[action_items]]`, which the page shows as those sections.

use super::{Step, at_field};
use crate::config::Checks;
use crate::content::Postmortem;
use crate::diagnostic::Code;

/// Section names and the headings accepted for them (all normalized).
const SYNONYMS: &[(&str, &[&str])] = &[
    (
        "summary",
        &[
            "summary",
            "overview",
            "executive summary",
            "tl dr",
            "tldr",
            "what happened",
        ],
    ),
    (
        "impact",
        &[
            "impact",
            "customer impact",
            "user impact",
            "business impact",
            "impact assessment",
        ],
    ),
    (
        "timeline",
        &[
            "timeline",
            "timeline of events",
            "sequence of events",
            "chronology",
        ],
    ),
    (
        "root cause",
        &[
            "root cause",
            "root causes",
            "root cause analysis",
            "cause",
            "causes",
            "why it happened",
        ],
    ),
    (
        "action items",
        &[
            "action items",
            "action plan",
            "follow ups",
            "followups",
            "follow up items",
            "follow up tasks",
            "corrective actions",
            "remediation",
            "remediations",
            "next steps",
        ],
    ),
    (
        "lessons learned",
        &[
            "lessons learned",
            "lessons learnt",
            "lessons",
            "learnings",
            "what we learned",
            "takeaways",
            "key takeaways",
        ],
    ),
    (
        "contributing factors",
        &[
            "contributing factors",
            "contributing factor",
            "contributors",
            "contributing causes",
        ],
    ),
    ("5 whys", &["5 whys", "five whys"]),
];

/// Lowercase words joined by single spaces, punctuation dropped: `Root-cause:` -> `root cause`.
pub fn normalize(text: &str) -> String {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The headings that count as `section`.
fn accepted(section: &str) -> Vec<String> {
    let wanted = normalize(section);
    SYNONYMS
        .iter()
        .find(|(name, synonyms)| *name == wanted || synonyms.contains(&wanted.as_str()))
        .map_or_else(
            || vec![wanted.clone()],
            |(_, s)| s.iter().map(|s| s.to_string()).collect(),
        )
}

/// Whether `heading` is, or starts with, one of the `accepted` headings (as whole words).
fn heading_matches(heading: &str, accepted: &[String]) -> bool {
    let heading = normalize(heading);
    accepted.iter().any(|a| {
        heading
            .strip_prefix(a.as_str())
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
    })
}

/// Whether `heading` opens the section named `section` (or one of its synonyms), the same
/// way a required section is found: other checks that look inside a section use this so
/// that they agree with PM401 on which headings count.
pub fn is_section(heading: &str, section: &str) -> bool {
    heading_matches(heading, &accepted(section))
}

pub fn check(pm: &Postmortem, checks: &Checks, found: &mut Vec<super::Diagnostic>) {
    let Some(required) = checks.required_sections.get(&pm.severity) else {
        return;
    };
    for section in required {
        let accepted = accepted(section);
        let in_front_matter = match accepted.first().map(String::as_str) {
            Some("impact") => !pm.impact.is_empty(),
            Some("timeline") => !pm.timeline.is_empty(),
            Some("action items") => !pm.action_items.is_empty(),
            _ => false,
        };
        if in_front_matter
            || pm
                .source
                .outline
                .headings
                .iter()
                .any(|h| heading_matches(&h.text, &accepted))
        {
            continue;
        }
        let also = if accepted.len() > 1 {
            format!(" (also accepted: {})", accepted[1..].join(", "))
        } else {
            String::new()
        };
        found.push(
            at_field(
                pm,
                Code::MissingSection,
                &[Step::Key("severity")],
                format!("a {} postmortem has no `{section}` section", pm.severity),
            )
            .hint(format!("add a `## {section}` heading{also}")),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_match_by_words_and_synonyms() {
        assert!(heading_matches("Root Cause:", &accepted("Root cause")));
        assert!(heading_matches("Root cause and trigger", &accepted("root cause")));
        assert!(heading_matches("Follow-ups", &accepted("Action items")));
        assert!(heading_matches("What we learned", &accepted("Lessons learned")));
        assert!(!heading_matches("Rooted", &accepted("Root cause")));
        assert!(heading_matches("Customer comms", &accepted("Customer comms")));
    }

    #[test]
    fn sections_are_found_by_their_name_or_a_synonym() {
        assert!(is_section("Contributing causes", "Contributing factors"));
        assert!(is_section("Contributing factor", "contributing factors"));
        assert!(is_section("Root cause analysis", "Root cause"));
        assert!(is_section("Why it happened:", "Root cause"));
        assert!(!is_section("Causes of delay", "Contributing factors"));
        assert!(!is_section("Timeline", "Root cause"));
    }
}
