//! The seeded development users: the one table of them in the code.
//!
//! `migrations/seed/0002_dev_users.sql` inserts the same rows (a unit test holds the two together); tokens minted
//! for these users carry their subs, so the edge finds them in `users` by `cognito_sub`.

/// One development user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DevUser {
    /// The name used on the command line and in `/_local/cognito/mint`.
    pub key: &'static str,
    /// `users.id`.
    pub id: &'static str,
    /// `users.cognito_sub` and the tokens' `sub`.
    pub sub: &'static str,
    pub email: &'static str,
    pub name: &'static str,
    /// `users.role`.
    pub role: &'static str,
    pub timezone: &'static str,
}

impl DevUser {
    /// The Cognito username: the part of the e-mail address before `@`.
    pub fn username(&self) -> &'static str {
        self.email.split('@').next().unwrap_or(self.email)
    }

    /// `cognito:groups`: none for a free user (the claim is left out), else the one group named like the role.
    pub fn groups(&self) -> Option<Vec<String>> {
        (self.role != "free").then(|| vec![self.role.to_string()])
    }
}

/// Every development user.
pub const DEV_USERS: [DevUser; 3] = [
    DevUser {
        key: "free",
        id: "40000000-0000-4000-8000-000000000001",
        sub: "5f0e1a2b-0000-4000-8000-000000000001",
        email: "free.learner@momentum.example",
        name: "Fran Free",
        role: "free",
        timezone: "UTC",
    },
    DevUser {
        key: "premium",
        id: "40000000-0000-4000-8000-000000000002",
        sub: "5f0e1a2b-0000-4000-8000-000000000002",
        email: "premium.learner@momentum.example",
        name: "Priya Premium",
        role: "premium",
        timezone: "Pacific/Auckland",
    },
    DevUser {
        key: "admin",
        id: "40000000-0000-4000-8000-000000000003",
        sub: "5f0e1a2b-0000-4000-8000-000000000003",
        email: "admin@momentum.example",
        name: "Ada Admin",
        role: "admin",
        timezone: "America/New_York",
    },
];

/// The development user named `key` (`free`, `premium` or `admin`).
pub fn dev_user(key: &str) -> Option<&'static DevUser> {
    DEV_USERS.iter().find(|u| u.key == key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_and_groups() {
        let names: Vec<_> = DEV_USERS.iter().map(DevUser::username).collect();
        assert_eq!(names, ["free.learner", "premium.learner", "admin"]);
        assert_eq!(dev_user("free").and_then(DevUser::groups), None);
        assert_eq!(dev_user("premium").and_then(DevUser::groups), Some(vec!["premium".to_string()]));
        assert_eq!(dev_user("admin").and_then(DevUser::groups), Some(vec!["admin".to_string()]));
        assert!(dev_user("root").is_none());
    }

    /// The seed file inserts exactly the rows of [`DEV_USERS`].
    #[test]
    fn seed_file_matches_the_table() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations/seed/0002_dev_users.sql");
        let sql = std::fs::read_to_string(path).expect("read the dev users seed");
        assert!(sql.contains("INSERT INTO users (id, cognito_sub, email, name, role, timezone) VALUES"));
        assert!(sql.contains("ON CONFLICT (id) DO NOTHING;"));
        for u in DEV_USERS {
            let row = format!("('{}', '{}', '{}', '{}', '{}', '{}')", u.id, u.sub, u.email, u.name, u.role, u.timezone);
            assert!(sql.contains(&row), "{path} lacks {row}");
        }
        assert_eq!(sql.matches("('40000000-").count(), DEV_USERS.len());
    }
}
