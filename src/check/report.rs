//! The report model every probe writes into: one [`Check`] line per question asked, the
//! names libcluster would dial, and the [`Verdict`] the exit status follows. `text.rs` and
//! `json.rs` render it.

use crate::libcluster::Shape;

/// How one check ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Ok,
    Fail,
    Warn,
    Skip,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Fail => "FAIL",
            Status::Warn => "warn",
            Status::Skip => "skip",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Check {
    /// A short stable name, e.g. `own-name`, `dns-a`, `api-endpoints`.
    pub id: &'static str,
    pub status: Status,
    pub asked: String,
    pub answer: String,
    pub cause: Option<String>,
    pub fix: Option<String>,
    /// Further lines, e.g. the RBAC YAML that fixes a 403.
    pub extra: Vec<String>,
    /// A failure that says nothing about the cluster's setup: the check could not run (a DNS
    /// timeout or a resolver that cannot answer, the API server unreachable). Not printed: the
    /// answer already says what happened; it decides the exit status (3, not 1).
    pub could_not_run: bool,
}

impl Check {
    pub fn new(
        id: &'static str,
        status: Status,
        asked: impl Into<String>,
        answer: impl Into<String>,
    ) -> Check {
        Check {
            id,
            status,
            asked: asked.into(),
            answer: answer.into(),
            cause: None,
            fix: None,
            extra: Vec::new(),
            could_not_run: false,
        }
    }

    pub fn because(mut self, cause: impl Into<String>, fix: impl Into<String>) -> Check {
        self.cause = Some(cause.into());
        self.fix = Some(fix.into());
        self
    }

    /// Marks a failure as one where the check could not run (see [`Check::could_not_run`]).
    pub fn not_run(mut self) -> Check {
        self.could_not_run = true;
        self
    }
}

/// A name libcluster would dial, and whether it is ours.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dial {
    pub name: String,
    pub ours: bool,
}

#[derive(Clone, Debug)]
pub struct Report {
    pub node: String,
    pub shape: Shape,
    pub checks: Vec<Check>,
    /// The names libcluster would dial, from the strategy's own lookup; `None` when that
    /// lookup failed.
    pub dialled: Option<Vec<Dial>>,
    pub attempts: u32,
}

impl Report {
    pub fn count(&self, status: Status) -> usize {
        self.checks.iter().filter(|c| c.status == status).count()
    }

    pub fn failed(&self) -> bool {
        self.count(Status::Fail) > 0
    }

    /// Pass when nothing failed; could not run when every failure is a check that could not
    /// run; otherwise no.
    pub fn verdict(&self) -> Verdict {
        let mut failures = self.checks.iter().filter(|c| c.status == Status::Fail);
        match failures.next() {
            None => Verdict::Pass,
            Some(first) if first.could_not_run && failures.all(|c| c.could_not_run) => {
                Verdict::CouldNotRun
            }
            Some(_) => Verdict::No,
        }
    }
}

/// What a report says, for the exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// No check failed.
    Pass,
    /// A check failed: peers will not reach this node as it is.
    No,
    /// Every failed check could not run (a timeout, something unreachable): no answer yet.
    CouldNotRun,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::libcluster::{Mode, Strategy};

    fn check(status: Status, could_not_run: bool) -> Check {
        Check {
            could_not_run,
            ..Check::new("x", status, "asked", "answer")
        }
    }

    fn verdict(checks: Vec<Check>) -> Verdict {
        Report {
            node: "app@x".into(),
            shape: Shape::new(Strategy::Dns, Mode::Ip).unwrap(),
            checks,
            dialled: None,
            attempts: 1,
        }
        .verdict()
    }

    /// Exit 3 only when every failure is one that could not run; one real failure is a no.
    #[test]
    fn verdict_tells_no_from_could_not_run() {
        assert_eq!(
            verdict(vec![check(Status::Ok, false), check(Status::Warn, false)]),
            Verdict::Pass
        );
        assert_eq!(
            verdict(vec![check(Status::Ok, false), check(Status::Fail, true)]),
            Verdict::CouldNotRun
        );
        assert_eq!(
            verdict(vec![check(Status::Fail, true), check(Status::Fail, false)]),
            Verdict::No
        );
        assert_eq!(verdict(vec![check(Status::Fail, false)]), Verdict::No);
        // A skipped or warning line never decides it, marked or not.
        assert_eq!(verdict(vec![check(Status::Skip, true)]), Verdict::Pass);
    }
}
