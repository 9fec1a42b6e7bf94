//! Laravel's length-aware paginator JSON, which API clients already parse.

use serde::Serialize;
use serde_json::Value;

pub const PER_PAGE: u64 = 20;

#[derive(Serialize)]
pub struct Link {
    pub url: Option<String>,
    pub label: String,
    pub active: bool,
}

/// Keys in Laravel's order.
#[derive(Serialize)]
pub struct Page {
    pub current_page: u64,
    pub data: Vec<Value>,
    pub first_page_url: String,
    pub from: Option<u64>,
    pub last_page: u64,
    pub last_page_url: String,
    pub links: Vec<Link>,
    pub next_page_url: Option<String>,
    pub path: String,
    pub per_page: u64,
    pub prev_page_url: Option<String>,
    pub to: Option<u64>,
    pub total: u64,
}

impl Page {
    /// `path` is the absolute URL of the listing, without query.
    pub fn new(path: String, current_page: u64, data: Vec<Value>, total: u64) -> Self {
        let last_page = total.div_ceil(PER_PAGE).max(1);
        let url = |page: u64| format!("{path}?page={page}");
        let (from, to) = if data.is_empty() {
            (None, None)
        } else {
            let from = (current_page - 1) * PER_PAGE + 1;
            (Some(from), Some(from + data.len() as u64 - 1))
        };
        let prev_page_url = (current_page > 1).then(|| url(current_page - 1));
        let next_page_url = (current_page < last_page).then(|| url(current_page + 1));
        let mut links = vec![Link {
            url: prev_page_url.clone(),
            label: "&laquo; Previous".into(),
            active: false,
        }];
        links.extend((1..=last_page).map(|page| Link {
            url: Some(url(page)),
            label: page.to_string(),
            active: page == current_page,
        }));
        links.push(Link {
            url: next_page_url.clone(),
            label: "Next &raquo;".into(),
            active: false,
        });
        Page {
            current_page,
            data,
            first_page_url: url(1),
            from,
            last_page,
            last_page_url: url(last_page),
            links,
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
        let page = Page::new("http://h/api/accounts".into(), 1, vec![], 0);
        assert_eq!(page.last_page, 1);
        assert_eq!((page.from, page.to), (None, None));
        assert_eq!(page.links.len(), 3);
        assert_eq!(page.next_page_url, None);
    }

    #[test]
    fn middle_page() {
        let data = vec![Value::Null; 20];
        let page = Page::new("http://h/a".into(), 2, data, 45);
        assert_eq!(page.last_page, 3);
        assert_eq!((page.from, page.to), (Some(21), Some(40)));
        assert_eq!(page.prev_page_url.as_deref(), Some("http://h/a?page=1"));
        assert_eq!(page.next_page_url.as_deref(), Some("http://h/a?page=3"));
        assert!(page.links[2].active && !page.links[1].active);
        assert_eq!(page.links[4].label, "Next &raquo;");
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
