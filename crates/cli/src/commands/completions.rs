//! `seg completions`: prints a shell completion script generated from the command definitions.

use clap::Args;
use clap_complete::Shell;

use crate::{Failure, print};

/// Arguments of `seg completions`.
#[derive(Args)]
#[command(after_help = "Examples:
  seg completions bash > ~/.local/share/bash-completion/completions/seg
  seg completions zsh > ~/.zfunc/_seg    # with fpath+=(~/.zfunc) before compinit in ~/.zshrc
  seg completions fish > ~/.config/fish/completions/seg.fish
  seg completions powershell >> $PROFILE")]
pub struct CompletionsArgs {
    /// The shell to print the completion script for.
    #[arg(value_enum)]
    shell: Shell,
}

/// Prints the completion script of `command` for the requested shell to stdout.
pub fn run(args: CompletionsArgs, command: &mut clap::Command) -> Result<(), Failure> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, command, "seg", &mut script);
    let script = String::from_utf8(script).map_err(|error| Failure(format!("the completion script is not UTF-8: {error}")))?;
    print(&script)
}
