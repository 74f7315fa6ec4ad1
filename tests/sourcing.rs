//! Property: whatever relnode writes, sh, dash, bash and busybox sh read back byte for byte,
//! with `.` on a rendered file and with `eval "$(relnode env)"`, under `set -eu` as the
//! release script runs it.

mod common;

use common::{Pod, ok, shell, shells, stderr, stdout};

/// A small deterministic generator (xorshift64*), so a failure names a seed that replays.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn pick<'a>(&mut self, from: &'a [&'a str]) -> &'a str {
        from[(self.next() % from.len() as u64) as usize]
    }

    /// Text built from the characters shells treat specially, plus plain and non-ASCII ones.
    fn text(&mut self, pieces: &[&str], max: u64) -> String {
        let len = 1 + self.next() % max;
        (0..len).map(|_| self.pick(pieces).to_owned()).collect()
    }
}

/// Everything a cookie may hold (no control characters: relnode refuses those).
const COOKIE_PIECES: &[&str] = &[
    "'", "\"", "$", "`", "\\", " ", "*", "?", "[", "]", "{", "}", "~", "#", "!", "&", ";", "|",
    "<", ">", "(", ")", "$(id)", "${HOME}", "'\\''", "a", "Z", "9", "-", "_", "=", "%", "é",
    "日本", "🍪",
];

/// A user's ELIXIR_ERL_OPTIONS may hold anything, newlines and tabs included.
const OPTION_PIECES: &[&str] = &[
    "+S 1", " ", "\n", "\t", "'", "\"", "$", "`", "\\", "*", "-proto", "_dist", "x", "é",
    "$(false)",
];

#[test]
fn any_cookie_round_trips_through_render_and_every_shell() {
    let shells = shells();
    let pod = Pod::new("prop-cookie");
    let mut generator = Gen(0x5eed_c00c_1e5e_ed01);
    for round in 0..40 {
        let cookie = generator.text(COOKIE_PIECES, 24);
        let cookie_file = pod.write("cookie", &format!("{cookie}\n"));
        let out = pod.path("env.sh");
        let env = [("RELEASE_NAME", "app"), ("MY_POD_IP", "10.0.0.1")];
        let cookie_arg = cookie_file.to_str().expect("utf-8");
        ok(pod.run(
            &[
                "render",
                "-o",
                out.to_str().expect("utf-8"),
                "--cookie-file",
                cookie_arg,
            ],
            &env,
        ));
        let printed = ok(pod.run(&["env", "--cookie-file", cookie_arg], &env));
        for sh in &shells {
            let from_file = shell(
                sh,
                &format!(
                    "set -eu; . '{}'; printf %s \"$RELEASE_COOKIE\"",
                    out.display()
                ),
                &[],
            );
            assert_eq!(
                stdout(&from_file),
                cookie,
                "round {round}, {sh:?}, `.`: {}",
                stderr(&from_file)
            );
            let from_eval = shell(
                sh,
                "set -eu; eval \"$RELNODE_OUT\"; printf %s \"$RELEASE_COOKIE\"",
                &[("RELNODE_OUT", &printed)],
            );
            assert_eq!(
                stdout(&from_eval),
                cookie,
                "round {round}, {sh:?}, eval: {}",
                stderr(&from_eval)
            );
        }
    }
}

#[test]
fn any_user_erl_options_survive_the_ipv6_merge_in_every_shell() {
    let shells = shells();
    let pod = Pod::new("prop-erl");
    let out = pod.path("env.sh");
    ok(pod.run(
        &["render", "-o", out.to_str().expect("utf-8")],
        &[("RELEASE_NAME", "app"), ("MY_POD_IP", "fd00::7")],
    ));
    let script = format!(
        "set -eu; . '{}'; printf %s \"$ELIXIR_ERL_OPTIONS\"",
        out.display()
    );
    let mut generator = Gen(0xe71c_0a75_0000_0001);
    let fixed = [
        "+S 1\n-proto_dist\tinet6_tls",
        "-proto_dist inet_tls",
        "x-proto_dist",
        "-proto_dist",
    ];
    let generated: Vec<String> = (0..40).map(|_| generator.text(OPTION_PIECES, 12)).collect();
    for (round, theirs) in fixed
        .iter()
        .map(|s| s.to_string())
        .chain(generated)
        .enumerate()
    {
        for sh in &shells {
            let res = shell(sh, &script, &[("ELIXIR_ERL_OPTIONS", &theirs)]);
            let space = |c: char| " \t\n\x0b\x0c\r".contains(c);
            let want = if theirs.split(space).any(|w| w == "-proto_dist") {
                theirs.clone()
            } else {
                format!("{theirs} -proto_dist inet6_tcp")
            };
            assert_eq!(
                stdout(&res),
                want,
                "round {round}, {sh:?}: {}",
                stderr(&res)
            );
        }
    }
    // Unset (and under `set -u`): just the flag.
    for sh in &shells {
        let res = shell(sh, &script, &[]);
        assert_eq!(
            stdout(&res),
            "-proto_dist inet6_tcp",
            "{sh:?}: {}",
            stderr(&res)
        );
    }
}

/// The README's line for rel/env.sh.eex works under `set -e` whether or not the file exists;
/// the widely copied `[ -f F ] && . F` aborts the release script when it does not.
#[test]
fn the_readme_source_line_is_safe_under_set_e() {
    let pod = Pod::new("set-e");
    let missing = pod.path("nowhere/env.sh");
    for sh in shells() {
        let ours = format!(
            "set -e; if [ -f '{0}' ]; then . '{0}'; fi; echo booted",
            missing.display()
        );
        assert_eq!(stdout(&shell(&sh, &ours, &[])), "booted\n", "{sh:?}");
        // The recipe it replaces, as the last command of a sourced env.sh, fails the caller.
        let env_sh = pod.write(
            "env.sh",
            &format!(
                "[ -f '{}' ] && . '{}'\n",
                missing.display(),
                missing.display()
            ),
        );
        let theirs = format!("set -e; . '{}'; echo booted", env_sh.display());
        assert_ne!(
            stdout(&shell(&sh, &theirs, &[])),
            "booted\n",
            "{sh:?}: the && form should abort"
        );
    }
}
