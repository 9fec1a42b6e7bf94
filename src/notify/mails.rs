//! The mails the service sends, from the askama templates in
//! `templates/mail/` (compiled in; the `.html` ones are HTML-escaped).

use askama::Template;

use super::Mail;

#[derive(Template)]
#[template(path = "mail/activation_code.txt")]
struct ActivationCodeText<'a> {
    app_name: &'a str,
    address: &'a str,
    code: &'a str,
}

#[derive(Template)]
#[template(path = "mail/activation_code.html")]
struct ActivationCodeHtml<'a> {
    app_name: &'a str,
    address: &'a str,
    code: &'a str,
}

/// The activation code of a new account (`user@domain`), mailed to `to`.
pub fn activation_code(
    app_name: &str,
    to: &str,
    address: &str,
    code: &str,
) -> Result<Mail, askama::Error> {
    Ok(Mail {
        to: to.to_string(),
        subject: format!("{app_name}: your activation code"),
        text: ActivationCodeText {
            app_name,
            address,
            code,
        }
        .render()?,
        html: ActivationCodeHtml {
            app_name,
            address,
            code,
        }
        .render()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_versions_carry_the_code_and_the_html_one_is_escaped() {
        let mail = activation_code(
            "<Linphone>",
            "a@b.org",
            "john.doe@sip.example.org",
            "aB3dE6gH9jK1m",
        )
        .unwrap();
        assert_eq!(mail.to, "a@b.org");
        assert!(mail.subject.contains("<Linphone>"));
        assert!(mail.text.contains("aB3dE6gH9jK1m"));
        assert!(
            mail.text
                .contains("<Linphone> account john.doe@sip.example.org")
        );
        assert!(mail.html.contains("aB3dE6gH9jK1m"));
        assert!(mail.html.contains("&#60;Linphone&#62;") || mail.html.contains("&lt;Linphone&gt;"));
        assert!(!mail.html.contains("<Linphone>"));
    }
}
