//! The report as one JSON document, for scripts: the same facts as the text.

use serde_json::{Value, json};

use super::{Report, Status};

pub fn render(report: &Report) -> String {
    let checks: Vec<Value> = report
        .checks
        .iter()
        .map(|c| {
            json!({
                "id": c.id,
                "status": c.status.label().to_ascii_lowercase(),
                "asked": c.asked,
                "answer": c.answer,
                "cause": c.cause,
                "fix": c.fix,
                "extra": c.extra,
            })
        })
        .collect();
    let dialled = report.dialled.as_ref().map(|d| {
        d.iter()
            .map(|d| json!({ "name": d.name, "ours": d.ours }))
            .collect::<Vec<_>>()
    });
    let doc = json!({
        "node": report.node,
        "strategy": report.shape.strategy.module(),
        "mode": report.shape.mode.to_string(),
        "checks": checks,
        "dialled": dialled,
        "summary": {
            "ok": report.count(Status::Ok),
            "fail": report.count(Status::Fail),
            "warn": report.count(Status::Warn),
            "skip": report.count(Status::Skip),
            "attempts": report.attempts,
            "passed": !report.failed(),
        },
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}
