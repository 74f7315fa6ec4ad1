//! Temporary (issue 15): the old paths of what moved to `crate::libcluster`, so that `facts`,
//! `fly` and `check` compile untouched while they are moved by others. The merge step points
//! them at `libcluster` and deletes this file.

pub use crate::libcluster::erlang::{check_basename, domain, label_problem, strip_root_dot};
pub use crate::libcluster::names::{Parts, cluster_name_for_domain, node_name};
pub use crate::libcluster::{
    MODE_VALUES, Mode, NameError, Part, SHAPES, STRATEGY_VALUES, Shape, Strategy,
};
