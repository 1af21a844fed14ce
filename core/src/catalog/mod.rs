//! The public catalog: courses, lessons and categories, read-only and the same for everyone.

pub mod admin;
pub mod categories;
pub mod courses;
pub mod cursor;
pub mod lessons;
pub mod money;

pub use money::Money;
