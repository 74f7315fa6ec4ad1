//! The file `render --output` and `exec --output` write: the env file a release sources, or
//! the target's fragment (vm-args: the `-name` line for `-args_file`).

use std::path::Path;

use crate::atomic;
use crate::error::{InputError, Result};
use crate::inputs::ProcessEnv;
use crate::output::{Encoding, Output, Sh};
use crate::target::Selected;

/// Checks the path, renders, writes atomically. A fragment holds no secret; an env file with a
/// cookie is for its owner's eyes only.
pub fn write(
    path: &Path,
    template: Option<&Path>,
    target: &Selected,
    output: &Output,
) -> Result<()> {
    atomic::check_target(path, "--output", output.facts.cookie_file())?;
    if let Some(fragment) = target.fragment() {
        if template.is_some() {
            return Err(InputError::from(&fragment.no_template).into());
        }
        return atomic::write(path, &(fragment.content)(output.node), 0o644, "--output");
    }
    let encoding = Sh {
        template: template.map(Path::to_path_buf),
    };
    let bytes = encoding.encode(output, &ProcessEnv)?;
    let mode = if output.node.cookie.is_some() {
        0o600
    } else {
        0o644
    };
    atomic::write(path, &bytes, mode, "--output")
}
