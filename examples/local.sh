#!/usr/bin/env bash
# Builds relnode and runs it on a fake pod, once per libcluster shape: env vars as the
# downward API would set them, and kubelet-style resolv.conf and hosts files in a temp dir.
# Nothing here touches the network or this machine's /etc.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet
relnode=target/debug/relnode

pod=$(mktemp -d)
trap 'rm -rf "$pod"' EXIT
printf 'search shop.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n' >"$pod/resolv.conf"
printf '127.0.0.1\tlocalhost\n10.42.1.49\tmyapp-0.myapp-headless.shop.svc.cluster.local\tmyapp-0\n' >"$pod/hosts"

# What a StatefulSet pod `myapp-0` of Service `myapp-headless` in namespace `shop` sees.
export MY_POD_IP=10.42.1.49 MY_POD_NAMESPACE=shop RELEASE_NAME=myapp
export RELNODE_RESOLV_CONF="$pod/resolv.conf" RELNODE_HOSTS_FILE="$pod/hosts" RELNODE_HOSTNAME=myapp-0

for shape in "--strategy kubernetes --mode ip" "--strategy kubernetes --mode dns" \
    "--strategy kubernetes --mode hostname" "--strategy dns" "--strategy dnssrv"; do
    # shellcheck disable=SC2086 # the shape is two or four words on purpose
    printf '%-40s %s\n' "$shape" "$("$relnode" env --format dotenv $shape | grep RELEASE_NODE)"
done

echo
echo "The env file an init container would write, with where each fact came from:"
"$relnode" render --explain --strategy dnssrv --output "$pod/run/relnode/env.sh"
cat "$pod/run/relnode/env.sh"

echo
echo "And the hand-off: relnode exec -- sh -c 'echo \$RELEASE_NODE' (same PID, no shell in between):"
"$relnode" exec --strategy dnssrv -- sh -c 'echo "pid $$ runs as $RELEASE_NODE"'
