//! One file per probe. Each asks what libcluster (or dns_cluster) asks for one strategy, or
//! one thing every shape needs, from inside the pod, and says it as [`Check`] lines; the
//! strategy probes also return the names that would be dialled.
//!
//! [`Check`]: super::Check

pub mod api_host;
pub mod api_list;
pub mod dns;
pub mod dnssrv;
pub mod own_name;
pub mod peers;
pub mod query;
pub mod rbac;
