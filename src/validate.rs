//! Stage 2, validate: the rules that need the whole archive at once: ids are unique,
//! `related` / `recurrence_of` name real postmortems, and body links reach a file and a
//! heading that exist. Reads the content; changes nothing.

use rayon::prelude::*;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::content::links::{self, Target};
use crate::content::{Content, Postmortem, Source, body_location, decode};
use crate::diagnostic::{Code, Diagnostic, did_you_mean, shorten};

pub fn validate(content: &Content) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    let by_id = unique_ids(content, &mut diagnostics);
    let by_key: HashMap<&str, &Postmortem> = content
        .postmortems
        .iter()
        .map(|pm| (pm.source.key.as_str(), pm))
        .collect();
    let files: HashSet<&str> = content.files.iter().map(String::as_str).collect();
    // A postmortem that failed to load still exists: a reference to it is not also an
    // unknown one (its problems are reported on it). Its id is taken to be its file name.
    let failed: HashSet<String> = content
        .files
        .iter()
        .filter(|key| key.ends_with(".md") && !by_key.contains_key(key.as_str()))
        .map(|key| decode::file_stem(key.as_ref()))
        .collect();
    // Postmortems whose id is not their file name: a reference by the file name is a
    // likely mistake, and the hint can say so.
    let renamed: HashMap<String, &Postmortem> = content
        .postmortems
        .iter()
        .map(|pm| (decode::file_stem(pm.source.key.as_ref()), pm))
        .filter(|(stem, pm)| *stem != pm.id)
        .collect();
    let archive = Archive {
        content,
        by_key,
        files,
    };
    // Each file on its own, on every core; collected in the content's order.
    let per_file: Vec<Vec<Diagnostic>> = content
        .postmortems
        .par_iter()
        .map(|pm| {
            let mut found = Vec::new();
            check_references(pm, &failed, &renamed, &by_id, &mut found);
            check_body_links(&pm.source, &archive, &mut found);
            found
        })
        .chain(content.unreadable_front_matter.par_iter().map(|source| {
            let mut found = Vec::new();
            check_body_links(source, &archive, &mut found);
            found
        }))
        .collect();
    diagnostics.extend(per_file.into_iter().flatten());
    diagnostics
}

/// What a body link may lead to.
struct Archive<'c> {
    content: &'c Content,
    /// Postmortems by key.
    by_key: HashMap<&'c str, &'c Postmortem>,
    /// Every file under postmortems/, by key.
    files: HashSet<&'c str>,
}

fn unique_ids<'a>(
    content: &'a Content,
    diagnostics: &mut Vec<Diagnostic>,
) -> HashMap<&'a str, &'a Postmortem> {
    let mut by_id: HashMap<&str, &Postmortem> = HashMap::default();
    for pm in &content.postmortems {
        if let Some(first) = by_id.get(pm.id.as_str()) {
            diagnostics.push(
                Diagnostic::error(
                    Code::DuplicateId,
                    &pm.source.path,
                    format!("id `{}` is already used by {}", pm.id, first.source.path.display()),
                )
                .at(pm.source.id_location.clone())
                .field("id")
                .hint("every postmortem needs its own id (the file name, unless `id` is set): set a different `id`"),
            );
        } else {
            by_id.insert(&pm.id, pm);
        }
    }
    by_id
}

fn check_references(
    pm: &Postmortem,
    failed: &HashSet<String>,
    renamed: &HashMap<String, &Postmortem>,
    by_id: &HashMap<&str, &Postmortem>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    for reference in pm.related.iter().chain(&pm.recurrence_of) {
        let known = by_id.contains_key(reference.id.as_str()) || failed.contains(&reference.id);
        let message = if reference.id == pm.id {
            format!("`{}` refers to this postmortem itself", reference.field)
        } else if known {
            continue;
        } else {
            format!("no postmortem has the id `{}`", reference.id)
        };
        let hint = match (
            renamed.get(&reference.id),
            did_you_mean(&reference.id, by_id.keys().copied()),
        ) {
            _ if reference.id == pm.id => "remove it: a postmortem is not connected to itself".to_string(),
            (Some(named), _) if named.id != pm.id => format!(
                "`{}` is the file name of {}, whose id is `{}`: refer to it by its id",
                reference.id,
                named.source.path.display(),
                named.id
            ),
            (_, Some(near)) if near != pm.id => format!("did you mean `{near}`?"),
            _ => "ids are file names without `.md`, unless the postmortem sets `id`".to_string(),
        };
        diagnostics.push(
            Diagnostic::error(Code::UnknownReference, &pm.source.path, message)
                .at(reference.location.clone())
                .field(reference.field.clone())
                .hint(hint),
        );
    }
}

fn check_body_links(source: &Source, archive: &Archive<'_>, diagnostics: &mut Vec<Diagnostic>) {
    let content = archive.content;
    for link in &source.outline.links {
        let broken = |code: Code, message: String, hint: String| {
            Diagnostic::error(code, &source.path, message)
                .at(body_location(source, link.span.clone()))
                .hint(hint)
        };
        if links::is_dangerous(&link.destination) {
            diagnostics.push(broken(
                Code::BrokenLink,
                format!("link to a script URL `{}`", shorten(&link.destination, 40)),
                "content cannot run scripts; link to a page instead".into(),
            ));
            continue;
        }
        match links::resolve(&source.key, &link.destination) {
            Target::External => {}
            Target::SamePage { fragment } => {
                if !fragment.is_empty() && !has_anchor(source, &fragment) {
                    diagnostics.push(broken(
                        Code::BrokenAnchor,
                        format!("this postmortem has no heading `#{fragment}`"),
                        anchors_hint(source),
                    ));
                }
            }
            Target::Postmortem { key, fragment } => match archive.by_key.get(key.as_str()) {
                Some(target) => {
                    if let Some(fragment) = fragment
                        && !fragment.is_empty()
                        && !has_anchor(&target.source, &fragment)
                    {
                        diagnostics.push(broken(
                            Code::BrokenAnchor,
                            format!("`{}` has no heading `#{fragment}`", target.source.path.display()),
                            anchors_hint(&target.source),
                        ));
                    }
                }
                None if archive.files.contains(key.as_str()) => {}
                None => diagnostics.push(broken(
                    Code::BrokenLink,
                    format!("link to `{}`, which does not exist", link.destination),
                    missing_file_hint(&source.key, &key, content),
                )),
            },
            Target::File { key } => {
                if !archive.files.contains(key.as_str()) {
                    diagnostics.push(broken(
                        Code::BrokenLink,
                        format!(
                            "{} `{}`, which does not exist",
                            if link.is_image { "image" } else { "link to" },
                            link.destination
                        ),
                        missing_file_hint(&source.key, &key, content),
                    ));
                }
            }
            Target::OutsideContent => diagnostics.push(broken(
                Code::BrokenLink,
                format!("link to `{}`, outside the postmortems folder", link.destination),
                "only files under postmortems/ are published; link to their published URL instead".into(),
            )),
        }
    }
}

/// Body headings plus the sections every incident page has.
fn has_anchor(source: &Source, fragment: &str) -> bool {
    source.outline.has_anchor(fragment) || crate::content::markdown::RESERVED_IDS.contains(&fragment)
}

fn anchors_hint(source: &Source) -> String {
    let ids: Vec<String> = source
        .outline
        .headings
        .iter()
        .map(|h| format!("#{}", h.id))
        .collect();
    if ids.is_empty() {
        "that postmortem has no headings; link to the page without a `#`".into()
    } else {
        format!("its headings are {}", ids.join(", "))
    }
}

/// What the link from the file `from` (a key) to the missing `key` could have been: a file
/// of that name elsewhere, or a file of a near name, written as the link would be (relative
/// to the linking file's folder). Never the linking file itself.
fn missing_file_hint(from: &str, key: &str, content: &Content) -> String {
    let others = || content.files.iter().map(String::as_str).filter(|k| *k != from);
    let name = key.rsplit('/').next().unwrap_or(key);
    if let Some(found) = others().find(|k| k.rsplit('/').next() == Some(name)) {
        return format!(
            "a file of that name is at postmortems/{found}: from this file, link to `{}`",
            relative_link(from, found)
        );
    }
    match did_you_mean(key, others()) {
        Some(near) => format!("did you mean `{}`?", relative_link(from, near)),
        None => "paths are relative to the linking file's folder".into(),
    }
}

/// The link from the file `from` to the file `to` (both keys under postmortems/).
fn relative_link(from: &str, to: &str) -> String {
    let folder: Vec<&str> = from
        .split('/')
        .collect::<Vec<_>>()
        .split_last()
        .map_or(vec![], |(_, f)| f.to_vec());
    let target: Vec<&str> = to.split('/').collect();
    let shared = folder
        .iter()
        .zip(&target)
        .take_while(|(a, b)| a == b)
        .count()
        .min(target.len().saturating_sub(1));
    let mut link = "../".repeat(folder.len() - shared);
    link.push_str(&target[shared..].join("/"));
    link
}

#[cfg(test)]
mod tests {
    use super::relative_link;

    #[test]
    fn links_are_written_from_the_linking_files_folder() {
        assert_eq!(relative_link("2024/a.md", "2024/b.md"), "b.md");
        assert_eq!(relative_link("2024/a.md", "2023/b.md"), "../2023/b.md");
        assert_eq!(relative_link("a.md", "2023/img/b.png"), "2023/img/b.png");
        assert_eq!(relative_link("2024/q1/a.md", "b.md"), "../../b.md");
        assert_eq!(relative_link("2024/a.md", "2024/img/g.png"), "img/g.png");
    }
}
