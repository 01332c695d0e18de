fn main() {
    std::process::exit(pmsite::cli::run(std::env::args_os()));
}
