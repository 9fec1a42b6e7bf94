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

/// Text and HTML templates of one mail, rendered from one context.
macro_rules! mail_templates {
    ($text:ident, $html:ident, $text_path:literal, $html_path:literal, { $($field:ident: $ty:ty),* $(,)? }) => {
        #[derive(Template)]
        #[template(path = $text_path)]
        struct $text<'a> { $($field: $ty),* }

        #[derive(Template)]
        #[template(path = $html_path)]
        struct $html<'a> { $($field: $ty),* }
    };
}

mail_templates!(RecoveryCodeText, RecoveryCodeHtml, "mail/recovery_code.txt", "mail/recovery_code.html", {
    app_name: &'a str,
    address: &'a str,
    code: &'a str,
    lifetime_minutes: Option<i64>,
});

/// The code of the "recover my account" page, mailed to the account's
/// address.
pub fn recovery_code(
    app_name: &str,
    to: &str,
    address: &str,
    code: &str,
    lifetime_minutes: Option<i64>,
) -> Result<Mail, askama::Error> {
    Ok(Mail {
        to: to.to_string(),
        subject: format!("{app_name}: your account recovery code"),
        text: RecoveryCodeText {
            app_name,
            address,
            code,
            lifetime_minutes,
        }
        .render()?,
        html: RecoveryCodeHtml {
            app_name,
            address,
            code,
            lifetime_minutes,
        }
        .render()?,
    })
}

mail_templates!(ResetPasswordText, ResetPasswordHtml, "mail/reset_password.txt", "mail/reset_password.html", {
    app_name: &'a str,
    address: &'a str,
    link: &'a str,
    lifetime_minutes: i64,
});

/// An admin's password reset link.
pub fn reset_password(
    app_name: &str,
    to: &str,
    address: &str,
    link: &str,
    lifetime_minutes: i64,
) -> Result<Mail, askama::Error> {
    Ok(Mail {
        to: to.to_string(),
        subject: format!("{app_name}: set a new password"),
        text: ResetPasswordText {
            app_name,
            address,
            link,
            lifetime_minutes,
        }
        .render()?,
        html: ResetPasswordHtml {
            app_name,
            address,
            link,
            lifetime_minutes,
        }
        .render()?,
    })
}

mail_templates!(CodeLockText, CodeLockHtml, "mail/code_lock.txt", "mail/code_lock.html", {
    app_name: &'a str,
    address: &'a str,
    until: &'a str,
});

/// Tells the owner of `address` that its code flows are locked until
/// `until`, after too many wrong codes.
pub fn code_lock(
    app_name: &str,
    to: &str,
    address: &str,
    until: &str,
) -> Result<Mail, askama::Error> {
    Ok(Mail {
        to: to.to_string(),
        subject: format!("{app_name}: too many wrong codes"),
        text: CodeLockText {
            app_name,
            address,
            until,
        }
        .render()?,
        html: CodeLockHtml {
            app_name,
            address,
            until,
        }
        .render()?,
    })
}

mail_templates!(ProvisioningText, ProvisioningHtml, "mail/provisioning.txt", "mail/provisioning.html", {
    app_name: &'a str,
    address: &'a str,
    link: &'a str,
    qrcode_link: &'a str,
});

/// An admin's provisioning link and its QR code.
pub fn provisioning(
    app_name: &str,
    to: &str,
    address: &str,
    link: &str,
    qrcode_link: &str,
) -> Result<Mail, askama::Error> {
    Ok(Mail {
        to: to.to_string(),
        subject: format!("{app_name}: configure your app"),
        text: ProvisioningText {
            app_name,
            address,
            link,
            qrcode_link,
        }
        .render()?,
        html: ProvisioningHtml {
            app_name,
            address,
            link,
            qrcode_link,
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
