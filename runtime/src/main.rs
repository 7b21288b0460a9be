fn main() {
    eprintln!("expense-backend: the runtime is not implemented yet (see the runtime issue)");
    std::process::exit(2);
}
