//! `platformgen`: see `platformgen --help`.
fn main() -> std::process::ExitCode {
    generator::cli::main()
}
