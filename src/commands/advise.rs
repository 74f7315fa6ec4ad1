//! `relnode advise`: the decision tree, and the setup for the shape it picks, printed or written
//! into a directory. Gathers no pod facts.

use std::io::IsTerminal as _;
use std::path::Path;

use crate::advise::{self, Answers};
use crate::atomic;
use crate::cli::{AdviseArgs, TextOrJson};
use crate::error::{ExitStatus, Result, shown};
use crate::simulate::bad;

pub fn run(args: AdviseArgs) -> Result<ExitStatus> {
    let json_out = args.format == TextOrJson::Json;
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let answers = Answers::from_args(&args, interactive)?;
    let decision = advise::decide(&answers);
    let files = advise::render(&answers, &decision)?;
    if let Some(dir) = &args.output {
        write_all(dir, &files)?;
        for (name, _) in &files {
            eprintln!("relnode: wrote {}", shown(dir.join(name)));
        }
        return Ok(ExitStatus::Ok);
    }
    let text = if json_out {
        advise::to_json(&answers, &decision, &files)
    } else {
        advise::to_text(&files)
    };
    super::print(text.as_bytes())?;
    Ok(ExitStatus::Ok)
}

/// Every file into `dir`, each atomically. All targets are checked first (regular files or
/// absent; never a link, device or FIFO), so bad output writes nothing.
fn write_all(dir: &Path, files: &[(&str, String)]) -> Result<()> {
    if let Ok(meta) = std::fs::metadata(dir) {
        if !meta.is_dir() {
            return Err(bad(
                "--output",
                Some(&dir.to_string_lossy()),
                "is not a directory",
                "give a directory (it is created if missing)",
            ));
        }
    }
    for (name, _) in files {
        atomic::check_target(&dir.join(name), "--output", None)?;
    }
    for (name, text) in files {
        atomic::write(&dir.join(name), text.as_bytes(), 0o644, "--output")?;
    }
    Ok(())
}
