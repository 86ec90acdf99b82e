//! The `crm` binary: everything happens in [`crm::run`], so tests can run it in-process.

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(crm::run(std::env::args_os()))
}
