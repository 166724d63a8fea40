//! The HTML of the verification page and its outcomes. Plain HTML with inline CSS, no script.

use std::fmt::Write as _;

/// Escapes text for HTML element content and quoted attribute values.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0;color:#1d2330}\
main{max-width:26rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:8px;\
box-shadow:0 1px 4px rgba(0,0,0,.15)}h1{font-size:1.3rem;margin-top:0}\
label{display:block;margin:.8rem 0 .2rem;font-weight:600}\
input{width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem;border:1px solid #aab;border-radius:4px}\
input.code{font-family:monospace;letter-spacing:.15em;text-transform:uppercase}\
.buttons{display:flex;gap:.5rem;margin-top:1.2rem}button{padding:.55rem 1.1rem;font-size:1rem;\
border-radius:4px;border:1px solid #2456c9;background:#2456c9;color:#fff;cursor:pointer}\
button.secondary{background:#fff;color:#2456c9}.error{background:#fde8e8;border:1px solid #e0a0a0;\
padding:.6rem;border-radius:4px}.ok{background:#e6f6ea;border:1px solid #96d0a4;padding:.6rem;\
border-radius:4px}.info{color:#4a5366;font-size:.92rem}code{background:#eef0f4;padding:0 .2rem}\
footer{margin-top:1.5rem;font-size:.8rem;color:#6b7385}";

fn document(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · OctoMesh development sign-in</title><style>{STYLE}</style></head>\
         <body><main>{body}<footer>OctoMesh built-in development identity provider — \
         for development and evaluation only.</footer></main></body></html>\n",
        title = escape(title),
    )
}

/// What the login form shows about the pending request.
#[derive(Debug, Default)]
pub(crate) struct LoginForm<'a> {
    /// Where the form posts to.
    pub(crate) action: &'a str,
    pub(crate) user_code: &'a str,
    pub(crate) username: &'a str,
    /// The client and tenant of a known pending code.
    pub(crate) client_id: Option<&'a str>,
    pub(crate) tenant: Option<&'a str>,
    pub(crate) scopes: Option<&'a str>,
    /// Show the optional tenant field (the client asked for no tenant, or the code is unknown yet).
    pub(crate) ask_tenant: bool,
    pub(crate) tenant_input: &'a str,
    pub(crate) error: Option<&'a str>,
}

pub(crate) fn login_page(form: &LoginForm<'_>) -> String {
    let mut body = String::from("<h1>Sign in to connect a device</h1>");
    if let Some(error) = form.error {
        let _ = write!(
            body,
            "<p class=\"error\" role=\"alert\">{}</p>",
            escape(error)
        );
    }
    if let Some(client_id) = form.client_id {
        let _ = write!(
            body,
            "<p class=\"info\">The application <code>{}</code> asks for access",
            escape(client_id)
        );
        if let Some(tenant) = form.tenant {
            let _ = write!(body, " to tenant <code>{}</code>", escape(tenant));
        }
        if let Some(scopes) = form.scopes {
            let _ = write!(body, " with the scopes <code>{}</code>", escape(scopes));
        }
        body.push_str(".</p>");
    } else {
        body.push_str("<p class=\"info\">Enter the code your application shows, then sign in.</p>");
    }
    // The first field still to fill gets the focus.
    let focus = if form.user_code.is_empty() {
        "code"
    } else if form.username.is_empty() {
        "user"
    } else {
        "password"
    };
    let autofocus = |field: &str| if field == focus { " autofocus" } else { "" };
    let _ = write!(
        body,
        "<form method=\"post\" action=\"{action}\" autocomplete=\"on\">\
         <label for=\"user_code\">Code</label>\
         <input class=\"code\" id=\"user_code\" name=\"user_code\" value=\"{code}\" required \
         autocomplete=\"off\" spellcheck=\"false\" placeholder=\"XXXX-XXXX\"{code_focus}>\
         <label for=\"username\">User name</label>\
         <input id=\"username\" name=\"username\" value=\"{username}\" required \
         autocomplete=\"username\"{user_focus}>\
         <label for=\"password\">Password</label>\
         <input id=\"password\" name=\"password\" type=\"password\" required \
         autocomplete=\"current-password\"{password_focus}>",
        action = escape(form.action),
        code = escape(form.user_code),
        username = escape(form.username),
        code_focus = autofocus("code"),
        user_focus = autofocus("user"),
        password_focus = autofocus("password"),
    );
    if form.ask_tenant {
        let _ = write!(
            body,
            "<label for=\"tenant\">Tenant <span class=\"info\">(optional)</span></label>\
             <input id=\"tenant\" name=\"tenant\" value=\"{}\" autocomplete=\"off\" \
             spellcheck=\"false\">",
            escape(form.tenant_input)
        );
    }
    body.push_str(
        "<div class=\"buttons\"><button type=\"submit\" name=\"action\" value=\"approve\">\
         Sign in and allow</button><button class=\"secondary\" type=\"submit\" name=\"action\" \
         value=\"deny\" formnovalidate>Deny</button></div></form>",
    );
    document("Sign in", &body)
}

/// A final page: the device is connected, or why not.
pub(crate) fn outcome_page(ok: bool, title: &str, message: &str) -> String {
    let class = if ok { "ok" } else { "error" };
    let body = format!(
        "<h1>{title}</h1><p class=\"{class}\" role=\"status\">{message}</p>\
         <p class=\"info\">You can close this window and return to your application.</p>",
        title = escape(title),
        message = escape(message),
    );
    document(title, &body)
}

/// The issuer's own address: what this is and where the endpoints are.
pub(crate) fn index_page(issuer: &str) -> String {
    let issuer = escape(issuer);
    let body = format!(
        "<h1>Development identity provider</h1>\
         <p class=\"info\">Issuer <code>{issuer}</code>.</p>\
         <p>To connect a device, open the <a href=\"{issuer}/device\">verification page</a>.</p>\
         <p class=\"info\">Discovery: <a href=\"{issuer}/.well-known/openid-configuration\">\
         /.well-known/openid-configuration</a></p>"
    );
    document("Development identity provider", &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_shown_is_escaped() {
        let page = login_page(&LoginForm {
            action: "/dev-idp/device",
            user_code: "\"><script>",
            username: "<b>",
            error: Some("<i>bad</i>"),
            ask_tenant: true,
            tenant_input: "'x'",
            ..LoginForm::default()
        });
        assert!(!page.contains("<script>"));
        assert!(!page.contains("<b>"));
        assert!(!page.contains("<i>"));
        assert!(page.contains("&lt;i&gt;bad&lt;/i&gt;"));
        assert!(page.contains("&#39;x&#39;"));
    }
}
