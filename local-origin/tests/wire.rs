//! The Data API and the Cognito stand-in over the wire: a private PostgreSQL, the real binary, requests signed
//! by `aws-sigv4`.
//!
//! One test drives every case in turn against one server (starting PostgreSQL dominates the cost); each
//! case lives in a module per concern. PostgreSQL failing to start fails the test: nothing is skipped.

#[path = "wire/cases_auth.rs"]
mod cases_auth;
#[path = "wire/cases_cognito.rs"]
mod cases_cognito;
#[path = "wire/cases_controls.rs"]
mod cases_controls;
#[path = "wire/cases_errors.rs"]
mod cases_errors;
#[path = "wire/cases_transactions.rs"]
mod cases_transactions;
#[path = "wire/cases_types.rs"]
mod cases_types;
#[path = "wire/support.rs"]
mod support;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_api_wire_protocol() {
    let env = support::Env::start();
    cases_types::setup(&env).await;

    cases_auth::health_and_routing(&env).await;
    cases_auth::signatures(&env).await;
    cases_auth::arns_and_required_members(&env).await;

    cases_types::hinted_round_trip(&env).await;
    cases_types::nulls(&env).await;
    cases_types::numeric_exactness_and_options(&env).await;
    cases_types::timestamp_fractions(&env).await;
    cases_types::jsonb_and_arrays(&env).await;
    cases_types::format_records_as_json(&env).await;
    cases_types::column_metadata(&env).await;
    cases_types::other_types_match_postgres_text(&env).await;

    cases_errors::uuid_without_hint_fails_like_aws(&env).await;
    cases_errors::refused_parameters(&env).await;
    cases_errors::constraint_violations(&env).await;
    cases_errors::response_size_limit(&env).await;
    cases_errors::statement_timeout(&env).await;

    cases_transactions::commit_and_rollback_visibility(&env).await;
    cases_transactions::aborted_transaction_cannot_commit(&env).await;
    cases_transactions::batch_all_or_nothing(&env).await;

    cases_controls::stats(&env).await;
    cases_controls::faults(&env).await;
    cases_controls::migrations_recorded(&env).await;

    cases_cognito::jwks_served_at_the_pool_path_and_counted(&env).await;
    cases_cognito::sign_verifies_against_the_published_jwk(&env).await;
    cases_cognito::mint_control(&env).await;
    cases_cognito::rotate_adds_a_kid_and_unpublish_removes_it(&env).await;
    cases_cognito::mint_token_cli_prints_a_token_for_the_servers_keys(&env).await;
    cases_cognito::dev_users_seeded(&env).await;
}
