//! The report for a terminal or a log: one line per check, then the names, then a summary.

use std::fmt::Write as _;

use super::{Report, Status};

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "relnode check: node {} ({})",
        report.node, report.shape
    );
    for check in &report.checks {
        let _ = writeln!(
            out,
            "{:<4}  {:<18} {} -> {}",
            check.status.label(),
            check.id,
            check.asked,
            check.answer
        );
        if let Some(cause) = &check.cause {
            let _ = writeln!(out, "      cause: {cause}");
        }
        if let Some(fix) = &check.fix {
            let _ = writeln!(out, "      fix: {fix}");
        }
        for line in &check.extra {
            let _ = writeln!(out, "        {line}");
        }
    }
    // dns_cluster, not libcluster, does the dialling for the dnscluster strategy.
    let dialler = if report.shape.strategy == crate::libcluster::Strategy::DnsCluster {
        "dns_cluster"
    } else {
        "libcluster"
    };
    match &report.dialled {
        Some(dialled) => {
            let _ = writeln!(out, "names {dialler} would dial ({}):", dialled.len());
            for dial in dialled {
                let mark = if dial.ours { "  <- this node" } else { "" };
                let _ = writeln!(out, "  {}{mark}", dial.name);
            }
            if !dialled.iter().any(|d| d.ours) {
                let _ = writeln!(out, "  (this node, {}, is not among them)", report.node);
            }
        }
        None => {
            let _ = writeln!(
                out,
                "names {dialler} would dial: unknown (its lookup failed)"
            );
        }
    }
    let verdict = if report.failed() {
        "peers will not reach this node as it is"
    } else {
        "peers will reach this node"
    };
    let _ = writeln!(
        out,
        "summary: {} ok, {} FAIL, {} warn, {} skip after {} attempt(s): {verdict}",
        report.count(Status::Ok),
        report.count(Status::Fail),
        report.count(Status::Warn),
        report.count(Status::Skip),
        report.attempts,
    );
    out
}
