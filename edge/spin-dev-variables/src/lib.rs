//! Dev-only: answers Spin's `fermyon:spin/variables@2.0.0` from the environment, the way Spin's own
//! environment provider does (`SPIN_VARIABLE_<NAME>`, the name upper-cased).
//!
//! `wasm-tools compose` plugs this component into the import of the unchanged Spin component
//! (`scripts/build-spin.sh`), so a plain wasi:http host (`wasmtime serve --env SPIN_VARIABLE_…`) can serve it.
//! It knows nothing of `spin.toml`: defaults and required variables are applied by `scripts/stack.sh` before
//! start, as `spin up` applies them. It is never part of a deployment: on Spin, Spin provides the interface.

wit_bindgen::generate!({ world: "dev-variables", path: "wit" });

use exports::fermyon::spin::variables::{Error, Guest};

struct Environment;

impl Guest for Environment {
    fn get(name: String) -> Result<String, Error> {
        if !valid(&name) {
            return Err(Error::InvalidName(name));
        }
        std::env::var(format!("SPIN_VARIABLE_{}", name.to_ascii_uppercase())).map_err(|_| Error::Undefined(name))
    }
}

/// Spin's rule for variable names: lower-case ASCII letters, digits and single underscores, starting with a
/// letter.
fn valid(name: &str) -> bool {
    let bytes = name.as_bytes();
    bytes.first().is_some_and(u8::is_ascii_lowercase)
        && !bytes.ends_with(b"_")
        && !name.contains("__")
        && bytes.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
}

export!(Environment);

#[cfg(test)]
mod tests {
    use super::valid;

    #[test]
    fn names_follow_spins_rule() {
        for name in ["data_api_endpoint", "a", "db2_name"] {
            assert!(valid(name), "{name}");
        }
        for name in ["", "Data", "2db", "_x", "x_", "a__b", "a-b", "DATA_API_ENDPOINT"] {
            assert!(!valid(name), "{name}");
        }
    }
}
