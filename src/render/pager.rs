//! Pagination, the one way every list is cut into pages: which rows a page shows, how many
//! pages a list takes, and the pager that links them.

use serde::Serialize;

use crate::site::url;

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

    /// Pages a list of `rows` takes: at least one, as an empty list still has its page.
    pub fn pages(&self, rows: usize) -> usize {
        rows.div_ceil(self.per_page).max(1)
    }

    /// The rows page `number` (1-based) shows.
    pub fn slice<'r, T>(&self, rows: &'r [T], number: usize) -> &'r [T] {
        let start = (number - 1).saturating_mul(self.per_page).min(rows.len());
        let end = start.saturating_add(self.per_page).min(rows.len());
        &rows[start..end]
    }

    /// The pager of page `current` of a list of `rows` whose first page is at `base`.
    pub fn pager(&self, base: &str, current: usize, rows: usize) -> Pager {
        Pager::new(base, current, self.pages(rows))
    }
}

#[derive(Debug, Serialize)]
pub struct Pager {
    pub current: usize,
    pub total: usize,
    prev: Option<String>,
    next: Option<String>,
    /// A window of pages, not all of them: see [`page_window`].
    pages: Vec<PageLink>,
}

#[derive(Debug, PartialEq, Serialize)]
struct PageLink {
    number: usize,
    url: String,
    current: bool,
    /// Pages between the previous link and this one are left out (an ellipsis).
    gap_before: bool,
}

impl Pager {
    fn new(base: &str, current: usize, total: usize) -> Pager {
        let mut previous = 0;
        let pages = page_window(current, total)
            .into_iter()
            .map(|number| {
                let gap_before = previous != 0 && number > previous + 1;
                previous = number;
                PageLink {
                    number,
                    url: url::page(base, number),
                    current: number == current,
                    gap_before,
                }
            })
            .collect();
        Pager {
            current,
            total,
            prev: (current > 1).then(|| url::page(base, current - 1)),
            next: (current < total).then(|| url::page(base, current + 1)),
            pages,
        }
    }
}

/// Pages either side of the current one that the pager links.
const PAGER_AROUND: usize = 2;

/// The page numbers a pager links, ascending: the first, the last, and the current one
/// with [`PAGER_AROUND`] either side. Linking every page would make every page of a long
/// list carry a link to every other (quadratic in the list's length). A gap of a single
/// page shows that page: an ellipsis in its place would be no shorter.
fn page_window(current: usize, total: usize) -> Vec<usize> {
    let low = current.saturating_sub(PAGER_AROUND).max(1);
    let high = current.saturating_add(PAGER_AROUND).min(total);
    let mut numbers = vec![1];
    numbers.extend(low..=high);
    numbers.push(total.max(1));
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
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_is_on_exactly_one_page() {
        let rows: Vec<usize> = (0..23).collect();
        let paginator = Paginator::new(10);
        assert_eq!(paginator.pages(rows.len()), 3);
        let pages: Vec<&[usize]> = (1..=3).map(|n| paginator.slice(&rows, n)).collect();
        assert_eq!(pages.concat(), rows);
        assert_eq!(pages[2], [20, 21, 22]);
        assert!(paginator.slice(&rows, 4).is_empty());
        assert_eq!(paginator.pages(0), 1, "an empty list has its page");
        assert_eq!(Paginator::new(0).pages(1000), 1, "0 turns pagination off");
        assert_eq!(Paginator::new(0).slice(&rows, 1), &rows[..]);
    }

    #[test]
    fn pager_links_the_ends_and_a_window_around_the_current_page() {
        assert_eq!(page_window(1, 1), [1]);
        assert_eq!(page_window(3, 5), [1, 2, 3, 4, 5], "short lists: every page");
        assert_eq!(page_window(1, 20), [1, 2, 3, 20]);
        assert_eq!(page_window(10, 20), [1, 8, 9, 10, 11, 12, 20]);
        assert_eq!(page_window(20, 20), [1, 18, 19, 20]);
        assert_eq!(page_window(4, 20), [1, 2, 3, 4, 5, 6, 20]);
        assert_eq!(
            page_window(5, 20),
            [1, 2, 3, 4, 5, 6, 7, 20],
            "a gap of one page shows the page"
        );
        assert_eq!(page_window(16, 20), [1, 14, 15, 16, 17, 18, 19, 20]);
        assert_eq!(page_window(250, 500).len(), 7, "bounded however long the list");
    }

    #[test]
    fn pager_marks_gaps_and_the_current_page() {
        let pager = Pager::new("incidents/", 10, 20);
        let link = |number: usize, current, gap_before| PageLink {
            number,
            url: url::page("incidents/", number),
            current,
            gap_before,
        };
        assert_eq!(
            pager.pages,
            [
                link(1, false, false),
                link(8, false, true),
                link(9, false, false),
                link(10, true, false),
                link(11, false, false),
                link(12, false, false),
                link(20, false, true),
            ]
        );
        assert_eq!(pager.pages[0].url, "incidents/");
        assert_eq!(pager.pages[6].url, "incidents/page/20/");
        assert_eq!(pager.prev.as_deref(), Some("incidents/page/9/"));
        assert_eq!(pager.next.as_deref(), Some("incidents/page/11/"));
    }
}
