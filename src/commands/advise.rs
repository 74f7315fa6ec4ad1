//! `relnode advise`: the decision tree, and the setup for the shape it picks, printed or written
//! into a directory. Gathers no pod facts.

use std::io::{BufRead as _, IsTerminal as _, Read as _, Write as _};
use std::path::Path;

use anyhow::Context as _;

use crate::advise::platforms::{self, Platform};
use crate::advise::{self, Answers, Given};
use crate::atomic;
use crate::cli::{AdviseArgs, AdvisePlatform, TextOrJson};
use crate::error::{ExitStatus, InputError, Result, bad_flag as bad, shown};

pub fn run(args: AdviseArgs) -> Result<ExitStatus> {
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    match platform(&args, interactive)? {
        AdvisePlatform::Kubernetes => {}
        AdvisePlatform::Ecs => return ecs(&args, interactive),
        other => {
            use clap::ValueEnum as _;
            let name = other.to_possible_value().map(|v| v.get_name().to_owned());
            if let Some(row) = name.as_deref().and_then(platforms::find) {
                return off_kubernetes(&args, row, interactive);
            }
        }
    }
    let answers = answers(&args, interactive)?;
    let decision = advise::decide(&answers);
    decision.check_names(&answers)?;
    let files = advise::render(&answers, &decision)?;
    emit(&args, &files, || {
        advise::to_json(&answers, &decision, &files)
    })
}

/// `--platform`, else asked for on a terminal (an empty answer is Kubernetes), else Kubernetes.
fn platform(args: &AdviseArgs, interactive: bool) -> Result<AdvisePlatform> {
    use clap::ValueEnum as _;
    if let Some(given) = args.platform {
        return Ok(given);
    }
    if !interactive {
        return Ok(AdvisePlatform::Kubernetes);
    }
    let mut names: Vec<String> = AdvisePlatform::value_variants()
        .iter()
        .filter_map(|v| v.to_possible_value().map(|v| v.get_name().to_owned()))
        .collect();
    let last = names.pop().unwrap_or_default();
    let names = format!("{} or {last}", names.join(", "));
    let line = ask(&format!(
        "Where does the release run ({names}) [kubernetes]"
    ))?;
    if line.is_empty() {
        return Ok(AdvisePlatform::Kubernetes);
    }
    AdvisePlatform::from_str(&line, true).map_err(|_| {
        bad(
            "--platform",
            Some(&line),
            "is not a platform advise knows",
            &format!("use {names}"),
        )
    })
}

/// The advice for a platform off Kubernetes: only the release name is asked for.
fn off_kubernetes(
    args: &AdviseArgs,
    platform: &'static Platform,
    interactive: bool,
) -> Result<ExitStatus> {
    // The Kubernetes questions have no meaning here: said, rather than ignored.
    for (flag, given) in [
        ("--service-account", args.service_account.is_some()),
        ("--workload", args.workload.is_some()),
    ] {
        if given {
            return Err(bad(
                flag,
                None,
                format!(
                    "is a Kubernetes question, and --platform is {}",
                    platform.name
                ),
                &format!("drop {flag}, or use --platform kubernetes"),
            ));
        }
    }
    let app = app(args, interactive)?;
    let answers = platforms::Answers::validated(
        platform,
        app,
        args.service.clone(),
        args.ip_family == advise::Family::V6,
    )?;
    let files = platforms::render(&answers);
    emit(args, &files, || platforms::to_json(&answers, &files))
}

/// `--platform ecs`: one fixed setup (advise::ecs), printed or written as the other.
fn ecs(args: &AdviseArgs, interactive: bool) -> Result<ExitStatus> {
    let app = app(args, interactive)?;
    let ecs = advise::ecs::Ecs::validated(app, &args.cloud_map_namespace)?;
    let files = ecs.render();
    emit(args, &files, || ecs.to_json(&files))
}

/// The files written into `--output`, or printed (text or JSON).
/// advice.txt up to its list of files: the command, the decision and why.
fn summary(files: &[(&str, String)]) -> String {
    let advice = files.first().map_or("", |(_, body)| body.as_str());
    let head = match advice.find("\nFiles:") {
        Some(at) => advice[..at].to_owned(),
        // Advice without a list of files (ECS): the command and the decision.
        None => advice
            .split("\n\n")
            .take(2)
            .collect::<Vec<_>>()
            .join("\n\n"),
    };
    format!("{}\n\n", head.trim_end())
}

fn emit(
    args: &AdviseArgs,
    files: &[(&str, String)],
    json: impl FnOnce() -> String,
) -> Result<ExitStatus> {
    if let Some(dir) = &args.output {
        write_all(dir, files)?;
        // One screen: the decision and why, then where the rest went.
        let mut text = String::new();
        if args.format == TextOrJson::Text {
            text = summary(files);
        }
        text.push_str(&format!(
            "Wrote {} files into {}:\n",
            files.len(),
            shown(dir)
        ));
        for (name, _) in files {
            text.push_str(&format!("  {}\n", shown(dir.join(name))));
        }
        super::print(text.as_bytes())?;
        return Ok(ExitStatus::Ok);
    }
    let text = if args.format == TextOrJson::Json {
        json()
    } else {
        advise::to_text(files)
    };
    super::print(text.as_bytes())?;
    Ok(ExitStatus::Ok)
}

/// The answers: the flags, and on a terminal the missing ones asked for, each checked as it
/// comes in.
fn answers(args: &AdviseArgs, interactive: bool) -> Result<Answers> {
    let service_account = choice(
        args.service_account.clone(),
        &Choice {
            flag: "--service-account",
            question: "May the pods use a service account allowed to list Endpoints (yes/no)",
            wrong: "is not yes or no",
            fix: "answer yes or no",
        },
        interactive,
        advise::yes_no,
    )?;
    let statefulset = choice(
        args.workload.clone(),
        &Choice {
            flag: "--workload",
            question: "Is the workload a deployment or a statefulset",
            wrong: "is not a workload kind advise knows",
            fix: "use deployment or statefulset",
        },
        interactive,
        advise::is_statefulset,
    )?;
    let app = app(args, interactive)?;
    Given {
        service_account,
        statefulset,
        service: args.service.clone(),
        app,
        namespace: args.namespace.clone(),
        family: args.ip_family,
        cluster_domain: args.cluster_domain.clone(),
    }
    .validated()
}

/// A question whose answer is one of a few words: its flag, what a terminal is asked, and what
/// an answer outside them is told.
struct Choice {
    flag: &'static str,
    question: &'static str,
    wrong: &'static str,
    fix: &'static str,
}

/// The answer to `c` (given or asked for), read by `parse`; one it rejects is bad input.
fn choice<T>(
    value: Option<String>,
    c: &Choice,
    interactive: bool,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<T> {
    let given = answer(value, c.flag, c.question, interactive)?;
    parse(&given).ok_or_else(|| bad(c.flag, Some(&given), c.wrong, c.fix))
}

/// `--app`: the release name, given or asked for.
fn app(args: &AdviseArgs, interactive: bool) -> Result<String> {
    answer(
        args.app.clone(),
        "--app",
        "The release name (the part before '@')",
        interactive,
    )
}

/// A missing answer: asked for on a terminal, an error in a script.
fn answer(value: Option<String>, flag: &str, question: &str, interactive: bool) -> Result<String> {
    if let Some(v) = value {
        return Ok(v);
    }
    if !interactive {
        return Err(bad(
            flag,
            None,
            "is missing",
            &format!("give {flag} ({question}); relnode advise asks only on a terminal"),
        ));
    }
    let line = ask(question)?;
    if line.is_empty() {
        return Err(bad(flag, None, "was not answered", &format!("give {flag}")));
    }
    Ok(line)
}

/// One question on the terminal; the answer trimmed.
fn ask(question: &str) -> Result<String> {
    let mut stderr = std::io::stderr();
    write!(stderr, "{question}? ").ok();
    stderr.flush().ok();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .take(4096)
        .read_line(&mut line)
        .context("cannot read the answer from the terminal")?;
    Ok(line.trim().to_owned())
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
        // atomic's fix names one file to write; advise writes a fixed set into a directory.
        atomic::check_target(&dir.join(name), "--output", None).map_err(|err| InputError {
            fix: format!(
                "move {name} out of {} (advise writes {} there), or give --output another directory",
                shown(dir),
                files.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
            ),
            ..err
        })?;
    }
    for (name, text) in files {
        atomic::write(&dir.join(name), text.as_bytes(), 0o644, "--output")?;
    }
    Ok(())
}
