//! The end-to-end tests: every artifact of every example spec checked by the real tool that
//! consumes it (the cluster add-ons' values through their vendored charts: `addons`), and the
//! runtime agreeing with all of them. Tests that need a validator declare it; without it they
//! are reported as not run (see `testkit`).

mod addons;
mod agreement;
mod alertmanager;
mod architecture;
mod chart;
mod dashboards;
mod deployment;
mod fuzz_regressions;
mod operations;
mod pgbouncer;
mod prometheus;
mod schema;
mod schemathesis;
mod secrets;
mod stack;
mod support;
mod terraform;
mod wiring;
mod workflows;

fn main() -> std::process::ExitCode {
    testkit::main(
        [
            addons::tests(),
            agreement::tests(),
            alertmanager::tests(),
            architecture::tests(),
            chart::tests(),
            dashboards::tests(),
            deployment::tests(),
            fuzz_regressions::tests(),
            operations::tests(),
            pgbouncer::tests(),
            prometheus::tests(),
            schema::tests(),
            schemathesis::tests(),
            secrets::tests(),
            stack::tests(),
            terraform::tests(),
            wiring::tests(),
            workflows::tests(),
        ]
        .into_iter()
        .flatten()
        .collect(),
    )
}
