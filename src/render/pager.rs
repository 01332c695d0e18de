//! Pagination, the one way every list is cut into pages: which rows a page shows, which
//! pages a list has, and the pager that links them.
//!
//! Lists show the newest first and grow at that end, so pages are counted from the other:
//! with `S` rows a page, the oldest `S` rows are page 1 (`page/1/`), the next `S` page 2, and
//! so on; the list's own URL, its first page, shows the newest rows that fill no numbered
//! page, between `S` and `2S - 1` of them (all of them in a shorter list). A row's numbered
//! page never changes when newer rows arrive: a new postmortem changes the first page of the
//! lists it is on, and, once in `S` arrivals, adds one numbered page. Numbered pages show no
//! count of the whole list for the same reason.

use serde::Serialize;

use crate::site::url;

/// The number of a list's first page, at the list's own URL.
pub const FIRST: usize = 0;

/// Cuts lists into pages of `paginate_by` rows (pmsite.toml; 0 turns pagination off).
#[derive(Clone, Copy, Debug)]
pub struct Paginator {
    per_page: usize,
}

impl Paginator {
    pub fn new(paginate_by: usize) -> Paginator {
        Paginator {
            per_page: if paginate_by == 0 { usize::MAX } else { paginate_by },
        }
    }

    /// How many numbered pages a list of `rows` has beside its first page.
    fn numbered(&self, rows: usize) -> usize {
        (rows / self.per_page).saturating_sub(1)
    }

    /// Whether a list of `rows` has more than one page.
    pub fn is_paged(&self, rows: usize) -> bool {
        self.numbered(rows) > 0
    }

    /// The pages of a list of `rows`: its first page (which an empty list has too), then the
    /// numbered pages, newest first.
    pub fn pages(&self, rows: usize) -> impl Iterator<Item = usize> + use<> {
        std::iter::once(FIRST).chain((1..=self.numbered(rows)).rev())
    }

    /// The rows (newest first) that page `number` shows.
    pub fn slice<'r, T>(&self, rows: &'r [T], number: usize) -> &'r [T] {
        let numbered = self.numbered(rows.len());
        let (start, end) = if number == FIRST {
            (0, rows.len() - numbered * self.per_page)
        } else if number <= numbered {
            // Page n holds the n-th run of `per_page` rows counted from the oldest.
            let end = rows.len() - (number - 1) * self.per_page;
            (end - self.per_page, end)
        } else {
            (0, 0)
        };
        &rows[start..end]
    }

    /// The pager of page `current` of a list of `rows` whose first page is at `base`.
    pub fn pager(&self, base: &str, current: usize, rows: usize) -> Pager {
        Pager::new(base, current, self.numbered(rows))
    }
}

/// Links between the pages of a list: to the newer and the older page, to the first page
/// and a few numbered pages near this one. Newest first, as the list is.
#[derive(Debug, Serialize)]
pub struct Pager {
    /// The list has more than one page.
    pub paged: bool,
    /// This page's number; 0 for the first page.
    pub current: usize,
    prev: Option<String>,
    next: Option<String>,
    /// The first page and a window of numbered pages, not all of them: see [`page_window`].
    pages: Vec<PageLink>,
}

#[derive(Debug, PartialEq, Serialize)]
struct PageLink {
    /// 0 for the first page.
    number: usize,
    url: String,
    current: bool,
    /// Pages between the previous link and this one are left out (an ellipsis).
    gap_before: bool,
}

impl Pager {
    fn new(base: &str, current: usize, numbered: usize) -> Pager {
        // The first page stands where a page numbered one past the newest would.
        let rank = |number: usize| if number == FIRST { numbered + 1 } else { number };
        let mut previous: Option<usize> = None;
        let pages = page_window(current, numbered)
            .into_iter()
            .map(|number| {
                let gap_before = previous.is_some_and(|p| rank(p) > rank(number) + 1);
                previous = Some(number);
                PageLink {
                    number,
                    url: url::page(base, number),
                    current: number == current,
                    gap_before,
                }
            })
            .collect();
        // Newer is the page with the next number up, or the first page after the newest
        // numbered one; older the next number down.
        let newer = match current {
            FIRST => None,
            n if n >= numbered => Some(FIRST),
            n => Some(n + 1),
        };
        let older = match current {
            FIRST if numbered > 0 => Some(numbered),
            FIRST | 1 => None,
            n => Some(n - 1),
        };
        Pager {
            paged: numbered > 0,
            current,
            prev: newer.map(|n| url::page(base, n)),
            next: older.map(|n| url::page(base, n)),
            pages,
        }
    }
}

/// Numbered pages either side of the current one that the pager links.
const PAGER_AROUND: usize = 2;

/// The pages a pager links, newest first: the first page, the numbered pages within
/// [`PAGER_AROUND`] of the current one (of the newest, on the first page), and page 1, the
/// oldest. Linking every page would make every page of a long list carry a link to every
/// other (quadratic in the list's length), and would change every page when one is added.
/// A gap of a single page shows that page: an ellipsis in its place would be no shorter.
fn page_window(current: usize, numbered: usize) -> Vec<usize> {
    if numbered == 0 {
        return vec![FIRST];
    }
    let centre = if current == FIRST { numbered } else { current };
    let low = centre.saturating_sub(PAGER_AROUND).max(1);
    let high = centre.saturating_add(PAGER_AROUND).min(numbered);
    let mut numbers: Vec<usize> = (low..=high).collect();
    numbers.push(1);
    numbers.sort_unstable();
    numbers.dedup();
    let mut shown: Vec<usize> = Vec::with_capacity(numbers.len() + 2);
    for number in numbers {
        if let Some(&last) = shown.last()
            && number == last + 2
        {
            shown.push(last + 1);
        }
        shown.push(number);
    }
    shown.push(FIRST);
    shown.reverse();
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pages_of(paginator: Paginator, rows: &[usize]) -> Vec<Vec<usize>> {
        paginator
            .pages(rows.len())
            .map(|n| paginator.slice(rows, n).to_vec())
            .collect()
    }

    #[test]
    fn every_row_is_on_exactly_one_page_and_the_first_holds_the_newest_runs_remainder() {
        let rows: Vec<usize> = (0..23).collect();
        let paginator = Paginator::new(10);
        assert_eq!(paginator.pages(rows.len()).collect::<Vec<_>>(), [0, 1]);
        let pages = pages_of(paginator, &rows);
        assert_eq!(pages.concat(), rows);
        assert_eq!(pages[0].len(), 13, "the first page: 10 to 19 rows");
        assert_eq!(pages[1], (13..23).collect::<Vec<_>>(), "page 1: the oldest 10");
        assert!(paginator.slice(&rows, 2).is_empty());
        assert_eq!(
            paginator.pages(0).collect::<Vec<_>>(),
            [0],
            "an empty list has its page"
        );
        assert_eq!(
            paginator.pages(19).count(),
            1,
            "fewer than two pages' worth: one page"
        );
        assert_eq!(Paginator::new(0).pages(1000).count(), 1, "0 turns pagination off");
        assert_eq!(Paginator::new(0).slice(&rows, 0), &rows[..]);
    }

    #[test]
    fn a_newer_row_changes_only_the_first_page_until_it_splits() {
        let paginator = Paginator::new(10);
        // Rows are ids, newest first: the list after each arrival.
        let list = |n: usize| (0..n).rev().collect::<Vec<usize>>();
        for n in 20..60 {
            let (before, after) = (list(n), list(n + 1));
            for number in paginator.pages(n).skip(1) {
                assert_eq!(
                    paginator.slice(&before, number),
                    paginator.slice(&after, number),
                    "page {number} after row {n} arrived"
                );
            }
        }
    }

    #[test]
    fn pager_links_newer_older_the_first_page_and_a_window() {
        assert_eq!(page_window(0, 0), [0]);
        assert_eq!(page_window(0, 3), [0, 3, 2, 1], "short lists: every page");
        assert_eq!(page_window(0, 20), [0, 20, 19, 18, 1]);
        assert_eq!(page_window(10, 20), [0, 12, 11, 10, 9, 8, 1]);
        assert_eq!(page_window(1, 20), [0, 3, 2, 1]);
        assert_eq!(
            page_window(4, 20),
            [0, 6, 5, 4, 3, 2, 1],
            "a gap of one page shows the page"
        );
        assert_eq!(page_window(250, 500).len(), 7, "bounded however long the list");

        let first = Pager::new("incidents/", 0, 20);
        assert_eq!(first.prev, None);
        assert_eq!(first.next.as_deref(), Some("incidents/page/20/"));
        assert!(!first.pages[1].gap_before && first.pages[4].gap_before);
        let newest = Pager::new("incidents/", 20, 20);
        assert_eq!(newest.prev.as_deref(), Some("incidents/"));
        assert_eq!(newest.next.as_deref(), Some("incidents/page/19/"));
        let oldest = Pager::new("incidents/", 1, 20);
        assert_eq!(oldest.prev.as_deref(), Some("incidents/page/2/"));
        assert_eq!(oldest.next, None);
        let middle = Pager::new("incidents/", 10, 20);
        let link = |number: usize, current, gap_before| PageLink {
            number,
            url: url::page("incidents/", number),
            current,
            gap_before,
        };
        assert_eq!(
            middle.pages,
            [
                link(0, false, false),
                link(12, false, true),
                link(11, false, false),
                link(10, true, false),
                link(9, false, false),
                link(8, false, false),
                link(1, false, true),
            ]
        );
        assert!(!Pager::new("incidents/", 0, 0).paged);
    }
}
