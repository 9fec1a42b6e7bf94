//! Renders sections in liblinphone's remote-provisioning XML format.

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use super::rc::Section;

pub const NAMESPACE: &str = "http://www.linphone.org/xsds/lpconfig.xsd";

/// `<config xmlns=…><section name=…><entry name=…>value</entry>…`; with
/// `overwrite_all` every entry carries `overwrite="true"`, otherwise no entry
/// has the attribute (liblinphone then keeps values the user already has).
pub fn render(sections: &[Section], overwrite_all: bool) -> String {
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    // Writing into a Vec cannot fail.
    let mut write = |event: Event| writer.write_event(event).expect("write to memory");

    write(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)));
    write(Event::Start(
        BytesStart::new("config").with_attributes([("xmlns", NAMESPACE)]),
    ));
    for section in sections {
        let name = xml_chars(&section.name);
        write(Event::Start(
            BytesStart::new("section").with_attributes([("name", name.as_str())]),
        ));
        for (key, value) in &section.entries {
            let key = xml_chars(key);
            let mut entry = BytesStart::new("entry").with_attributes([("name", key.as_str())]);
            if overwrite_all {
                entry.push_attribute(("overwrite", "true"));
            }
            write(Event::Start(entry));
            write(Event::Text(BytesText::new(&xml_chars(value))));
            write(Event::End(BytesEnd::new("entry")));
        }
        write(Event::End(BytesEnd::new("section")));
    }
    write(Event::End(BytesEnd::new("config")));

    let mut xml = String::from_utf8(writer.into_inner()).expect("UTF-8 in, UTF-8 out");
    xml.push('\n');
    xml
}

/// Drops the characters XML 1.0 cannot carry even escaped (most control
/// characters), and `\r`, which parsers would turn into `\n`: a stray byte in
/// a database row must not make the whole document unreadable.
fn xml_chars(value: &str) -> String {
    value
        .chars()
        .filter(|&c| match c {
            '\t' | '\n' => true,
            '\u{FFFE}' | '\u{FFFF}' => false,
            c => !c.is_control() || c >= '\u{80}',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(name: &str, entries: &[(&str, &str)]) -> Section {
        Section {
            name: name.into(),
            entries: entries
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn escapes_values_and_names() {
        let xml = render(
            &[section(
                "a\"<b>",
                &[("k&", "<v> & \"q\" 'é' \u{1}end"), ("empty", "")],
            )],
            false,
        );
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let root = doc.root_element();
        assert_eq!(root.tag_name().namespace(), Some(NAMESPACE));
        let section = root.first_element_child().unwrap();
        assert_eq!(section.attribute("name"), Some("a\"<b>"));
        let entries: Vec<_> = section.children().filter(|n| n.is_element()).collect();
        assert_eq!(entries[0].attribute("name"), Some("k&"));
        assert_eq!(entries[0].text(), Some("<v> & \"q\" 'é' end"));
        assert_eq!(entries[0].attribute("overwrite"), None);
        assert_eq!(entries[1].text(), None);
    }

    #[test]
    fn overwrite_all_marks_every_entry() {
        let xml = render(&[section("s", &[("a", "1"), ("b", "")])], true);
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let marked = doc
            .descendants()
            .filter(|n| n.has_tag_name("entry"))
            .map(|n| n.attribute("overwrite"))
            .collect::<Vec<_>>();
        assert_eq!(marked, [Some("true"), Some("true")]);
    }
}
