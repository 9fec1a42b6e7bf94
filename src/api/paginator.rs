//! Laravel's length-aware paginator JSON, which API clients already parse.

use std::fmt;

use serde::Serialize;
use serde::ser::{SerializeSeq, SerializeStruct, Serializer};

pub const PER_PAGE: u64 = 20;

/// Keys in Laravel's order.
#[derive(Serialize)]
pub struct Page<T> {
    pub current_page: u64,
    pub data: Vec<T>,
    pub first_page_url: String,
    pub from: Option<u64>,
    pub last_page: u64,
    pub last_page_url: String,
    pub links: Links,
    pub next_page_url: Option<String>,
    pub path: String,
    pub per_page: u64,
    pub prev_page_url: Option<String>,
    pub to: Option<u64>,
    pub total: u64,
}

/// The `links` list as Laravel's paginator writes it: previous, the pages
/// of Laravel's `UrlWindow`, next. Up to 13 pages every page is listed;
/// beyond, the first and last pages and the ones around the current page,
/// with `...` entries for the gaps, so that the list keeps its size
/// however large the table.
pub struct Links {
    path: String,
    current_page: u64,
    last_page: u64,
}

/// Pages shown on each side of the current page (Laravel's `onEachSide`).
const ON_EACH_SIDE: u64 = 3;

/// One part of the window: a run of pages, or a gap (`...`).
#[derive(Debug, PartialEq)]
enum Part {
    Pages(std::ops::RangeInclusive<u64>),
    Gap,
}

/// The parts of Laravel's `UrlWindow` for `current` of `last` pages.
fn window(current: u64, last: u64) -> Vec<Part> {
    use Part::{Gap, Pages};
    if last < ON_EACH_SIDE * 2 + 8 {
        return vec![Pages(1..=last)];
    }
    let window = ON_EACH_SIDE + 4;
    let start = || Pages(1..=2);
    let finish = || Pages(last - 1..=last);
    if current <= window {
        vec![Pages(1..=window + ON_EACH_SIDE), Gap, finish()]
    } else if current > last - window {
        vec![
            start(),
            Gap,
            Pages(last - (window + ON_EACH_SIDE - 1)..=last),
        ]
    } else {
        let around = current - ON_EACH_SIDE..=current + ON_EACH_SIDE;
        vec![start(), Gap, Pages(around), Gap, finish()]
    }
}

/// The URL of page `page` of the listing at `path`.
struct PageUrl<'a> {
    path: &'a str,
    page: u64,
}

impl fmt::Display for PageUrl<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}?page={}", self.path, self.page)
    }
}

/// One entry of `links`: `{url, label, active}`.
struct Link<'a, L: fmt::Display> {
    url: Option<PageUrl<'a>>,
    label: L,
    active: bool,
}

impl<L: fmt::Display> Serialize for Link<'_, L> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Text<'a, T: fmt::Display>(&'a T);
        impl<T: fmt::Display> Serialize for Text<'_, T> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self.0)
            }
        }
        let mut link = serializer.serialize_struct("Link", 3)?;
        link.serialize_field("url", &self.url.as_ref().map(Text))?;
        link.serialize_field("label", &Text(&self.label))?;
        link.serialize_field("active", &self.active)?;
        link.end()
    }
}

impl Serialize for Links {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let url = |page: u64| PageUrl {
            path: &self.path,
            page,
        };
        let (current, last) = (self.current_page, self.last_page);
        let mut links = serializer.serialize_seq(None)?;
        links.serialize_element(&Link {
            url: (current > 1).then(|| url(current - 1)),
            label: "&laquo; Previous",
            active: false,
        })?;
        for part in window(current, last) {
            match part {
                Part::Pages(pages) => {
                    for page in pages {
                        links.serialize_element(&Link {
                            url: Some(url(page)),
                            label: page,
                            active: page == current,
                        })?;
                    }
                }
                Part::Gap => links.serialize_element(&Link {
                    url: None,
                    label: "...",
                    active: false,
                })?,
            }
        }
        links.serialize_element(&Link {
            url: (current < last).then(|| url(current + 1)),
            label: "Next &raquo;",
            active: false,
        })?;
        links.end()
    }
}

impl<T> Page<T> {
    /// `path` is the absolute URL of the listing, without query.
    pub fn new(path: String, current_page: u64, data: Vec<T>, total: u64) -> Self {
        let last_page = total.div_ceil(PER_PAGE).max(1);
        let url = |page: u64| PageUrl { path: &path, page }.to_string();
        let (from, to) = if data.is_empty() {
            (None, None)
        } else {
            let from = (current_page - 1) * PER_PAGE + 1;
            (Some(from), Some(from + data.len() as u64 - 1))
        };
        let prev_page_url = (current_page > 1).then(|| url(current_page - 1));
        let next_page_url = (current_page < last_page).then(|| url(current_page + 1));
        Page {
            current_page,
            data,
            first_page_url: url(1),
            from,
            last_page,
            last_page_url: url(last_page),
            links: Links {
                path: path.clone(),
                current_page,
                last_page,
            },
            next_page_url,
            path,
            per_page: PER_PAGE,
            prev_page_url,
            to,
            total,
        }
    }
}

/// `?page=N` as Laravel reads it: anything that is not a positive number is 1.
pub fn page_number(raw: Option<&str>) -> u64 {
    raw.and_then(|p| p.parse::<u64>().ok())
        .filter(|p| (1..=1_000_000_000).contains(p))
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_listing() {
        let page = Page::<()>::new("http://h/api/accounts".into(), 1, vec![], 0);
        assert_eq!(page.last_page, 1);
        assert_eq!((page.from, page.to), (None, None));
        assert_eq!(
            serde_json::to_value(&page.links).unwrap(),
            serde_json::json!([
                {"url": null, "label": "&laquo; Previous", "active": false},
                {"url": "http://h/api/accounts?page=1", "label": "1", "active": true},
                {"url": null, "label": "Next &raquo;", "active": false},
            ])
        );
        assert_eq!(page.next_page_url, None);
    }

    #[test]
    fn middle_page() {
        let data = vec![serde_json::Value::Null; 20];
        let page = Page::new("http://h/a".into(), 2, data, 45);
        assert_eq!(page.last_page, 3);
        assert_eq!((page.from, page.to), (Some(21), Some(40)));
        assert_eq!(page.prev_page_url.as_deref(), Some("http://h/a?page=1"));
        assert_eq!(page.next_page_url.as_deref(), Some("http://h/a?page=3"));
        assert_eq!(
            serde_json::to_value(&page.links).unwrap(),
            serde_json::json!([
                {"url": "http://h/a?page=1", "label": "&laquo; Previous", "active": false},
                {"url": "http://h/a?page=1", "label": "1", "active": false},
                {"url": "http://h/a?page=2", "label": "2", "active": true},
                {"url": "http://h/a?page=3", "label": "3", "active": false},
                {"url": "http://h/a?page=3", "label": "Next &raquo;", "active": false},
            ])
        );
    }

    /// The labels of the links of `current` among `last` pages, without
    /// the previous and next entries.
    fn labels(current: u64, last: u64) -> Vec<String> {
        let page = Page::<()>::new("http://h/a".into(), current, vec![], last * PER_PAGE);
        let links = serde_json::to_value(&page.links).unwrap();
        let links = links.as_array().unwrap();
        let (first, last_link) = (&links[0], &links[links.len() - 1]);
        assert_eq!(first["label"], "&laquo; Previous");
        assert_eq!(last_link["label"], "Next &raquo;");
        links[1..links.len() - 1]
            .iter()
            .map(|l| l["label"].as_str().unwrap().to_string())
            .collect()
    }

    fn numbers(list: &str) -> Vec<String> {
        list.split(' ').map(str::to_string).collect()
    }

    #[test]
    fn up_to_thirteen_pages_every_page_is_listed() {
        assert_eq!(labels(7, 13), numbers("1 2 3 4 5 6 7 8 9 10 11 12 13"));
    }

    #[test]
    fn larger_listings_show_a_window_as_laravel_does() {
        let gap = "...";
        assert_eq!(labels(1, 14), numbers("1 2 3 4 5 6 7 8 9 10 ... 13 14"));
        assert_eq!(
            labels(7, 5000),
            numbers("1 2 3 4 5 6 7 8 9 10 ... 4999 5000")
        );
        assert_eq!(
            labels(8, 5000),
            numbers("1 2 ... 5 6 7 8 9 10 11 ... 4999 5000")
        );
        assert_eq!(
            labels(2500, 5000),
            numbers("1 2 ... 2497 2498 2499 2500 2501 2502 2503 ... 4999 5000")
        );
        assert_eq!(
            labels(4993, 5000),
            numbers("1 2 ... 4990 4991 4992 4993 4994 4995 4996 ... 4999 5000")
        );
        assert_eq!(
            labels(4994, 5000),
            numbers("1 2 ... 4991 4992 4993 4994 4995 4996 4997 4998 4999 5000")
        );
        // A page past the end: the last pages, none active.
        assert_eq!(labels(9000, 5000), labels(5000, 5000));
        assert!(labels(1, 5000).contains(&gap.to_string()));
    }

    #[test]
    fn gaps_have_no_url_and_pages_theirs() {
        let page = Page::<()>::new("http://h/a".into(), 2500, vec![], 5000 * PER_PAGE);
        let links = serde_json::to_value(&page.links).unwrap();
        assert_eq!(
            links[3],
            serde_json::json!({"url": null, "label": "...", "active": false})
        );
        assert_eq!(
            links[7],
            serde_json::json!({"url": "http://h/a?page=2500", "label": "2500", "active": true})
        );
        assert_eq!(links.as_array().unwrap().len(), 2 + 2 + 1 + 7 + 1 + 2);
    }

    #[test]
    fn page_numbers() {
        assert_eq!(page_number(None), 1);
        assert_eq!(page_number(Some("3")), 3);
        for bad in ["0", "-1", "x", "1e3", ""] {
            assert_eq!(page_number(Some(bad)), 1);
        }
    }
}
