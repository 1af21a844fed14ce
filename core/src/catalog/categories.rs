//! `GET /categories`: every category, by name.

use crate::db::{ResultSet, Statement};
use crate::error::ApiError;
use serde::Serialize;

/// The statement that lists categories.
pub fn list_statement() -> Statement {
    Statement::new("SELECT id, name, slug, description, icon_url FROM categories ORDER BY name, id")
}

/// A category.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Category {
    /// Category id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// URL slug, used by `GET /courses?category=`.
    pub slug: String,
    /// One-line description.
    pub description: String,
    /// Icon URL, when there is one.
    pub icon_url: Option<String>,
}

/// All categories.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryList {
    /// The categories, by name.
    pub items: Vec<Category>,
}

/// Reads the rows of [`list_statement`].
pub fn list(rows: &ResultSet) -> Result<CategoryList, ApiError> {
    let items = rows
        .iter()
        .map(|row| {
            Ok(Category {
                id: row.text("id")?.to_owned(),
                name: row.text("name")?.to_owned(),
                slug: row.text("slug")?.to_owned(),
                description: row.text("description")?.to_owned(),
                icon_url: row.opt_text("icon_url")?.map(str::to_owned),
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(CategoryList { items })
}
