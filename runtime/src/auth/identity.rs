//! Who is calling: the identity every authenticated request carries in its
//! extensions, from the front door down to the tool call.

/// How the caller proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    /// No authentication configured (loopback or `--insecure-no-auth`), or stdio.
    None,
    ApiKey,
    Basic,
    /// A static bearer token (the reference's `MCP_AUTH_BEARER_TOKEN`).
    BearerToken,
    /// A verified JWT.
    Jwt,
}

impl AuthMethod {
    pub fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::ApiKey => "api_key",
            Self::Basic => "basic",
            Self::BearerToken => "bearer_token",
            Self::Jwt => "jwt",
        }
    }
}

/// An authenticated caller. Never holds the credential itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The caller (JWT `sub`, API key subject, basic user name).
    pub subject: String,
    pub tenant: String,
    pub roles: Vec<String>,
    pub method: AuthMethod,
    /// A stable, non-secret name of the credential used (API key name,
    /// user name, JWT issuer + subject): the per-credential rate-limit key.
    pub credential: String,
}

impl Identity {
    /// The caller when authentication is off: one shared identity per tenant.
    pub fn anonymous(tenant: &str) -> Self {
        Self {
            subject: "anonymous".into(),
            tenant: tenant.into(),
            roles: Vec::new(),
            method: AuthMethod::None,
            credential: "anonymous".into(),
        }
    }

    pub fn is_authenticated(&self) -> bool {
        self.method != AuthMethod::None
    }
}

/// `*` matches any run of characters (including none), `?` one character;
/// everything else literally. Used for tool and service patterns.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn glob_examples() {
        assert!(glob_match("utilities_*", "utilities_get_time"));
        assert!(glob_match("*", ""));
        assert!(glob_match("*_get_*", "utilities_get_time"));
        assert!(glob_match("k?be*", "kubernetes_list"));
        assert!(!glob_match("utilities_*", "prometheus_query"));
        assert!(!glob_match("utilities_get", "utilities_get_time"));
        assert!(!glob_match("", "x"));
    }

    proptest! {
        #[test]
        fn literal_patterns_match_only_themselves(a in "[a-z_]{0,12}", b in "[a-z_]{0,12}") {
            prop_assert_eq!(glob_match(&a, &b), a == b);
        }

        #[test]
        fn star_suffix_is_prefix_match(a in "[a-z_]{0,8}", b in "[a-z_]{0,12}") {
            prop_assert_eq!(glob_match(&format!("{a}*"), &b), b.starts_with(&a));
        }
    }
}
