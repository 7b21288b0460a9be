//! One integration-test binary: real servers on 127.0.0.1:0, real HTTP, real databases.
mod cache;
mod documentation;
mod engines;
mod errors;
mod helpers;
mod hostile;
mod observability;
mod pooler;
mod rate_limits;
mod shutdown;
mod tracing;
mod transactions;

fn main() -> std::process::ExitCode {
    testkit::main(
        [
            cache::tests(),
            documentation::tests(),
            engines::tests(),
            errors::tests(),
            hostile::tests(),
            observability::tests(),
            pooler::tests(),
            rate_limits::tests(),
            shutdown::tests(),
            tracing::tests(),
            transactions::tests(),
        ]
        .into_iter()
        .flatten()
        .collect(),
    )
}
