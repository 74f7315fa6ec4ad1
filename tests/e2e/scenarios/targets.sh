# Scenarios for relnode's other targets and platforms (issue 10), sourced by tests/e2e/run:
#   - a rebar3/relx release (tests/e2e/relx_app) whose vm.args pulls relnode's fragment in with
#     `-args_file /run/relnode/vm.args`, over IPv4 and IPv6, and the `vm.args.src` way
#     (`-name ${NODE_NAME}`, relnode exporting NODE_NAME);
#   - RabbitMQ (Debian rabbitmq-server, the real broker) forming one cluster through
#     `classic_config` peer discovery that lists the names relnode computed;
#   - the mix release with dns_cluster-style discovery (tests/e2e/app/lib/dns_cluster_discovery.ex,
#     a transcription of phoenixframework/dns_cluster 0.2's polling, not dns_cluster itself) in
#     IPv6-only pods, on Kubernetes and on a simulated Fly.io machine.
# Real: Erlang/OTP distribution, relx's start script, RabbitMQ, dnsmasq as the resolver, netns.

TARGETS_PACKAGES="rebar3 rabbitmq-server"

# the relx build is cached where run caches the mix release (E2E_CACHE, default under cargo's
# target dir), never in the source tree
targets_cache() { echo "${E2E_CACHE:-$TARGET_DIR/e2e-cache}"; }

# ---------------------------------------------------------------- rebar3 / relx
relx_hash() {
  (
    cd "$HERE/relx_app" && find rebar.config src config -type f | sort | xargs sha256sum
    rebar3 version 2>/dev/null
    erl -noshell -eval 'io:format("~s~n", [erlang:system_info(otp_release)]), halt().' 2>/dev/null
  ) | sha256sum | cut -c1-16
}

# relx_release PROFILE: build tests/e2e/relx_app with `rebar3 as PROFILE release` (cached by a
# hash of its sources, rebar3's and OTP's versions) and print the release directory.
# PROFILE default ships config/vm.args, src ships config/vm.args.src.
relx_release() {
  local profile=$1 cache hash dir tmp
  command -v rebar3 >/dev/null 2>&1 || die "rebar3 is missing (apt-get install -y rebar3)"
  cache=$(targets_cache)
  hash=$(relx_hash)
  dir=$cache/relx-$profile-$hash
  if [ -x "$dir/rel/bin/relx_app" ]; then
    echo "$dir/rel"
    return 0
  fi
  mkdir -p "$cache" || die "cannot create $cache"
  tmp=$(mktemp -d "$cache/relx-build.XXXXXX")
  cp -r "$HERE/relx_app" "$tmp/src"
  rm -rf "$tmp/src/_build"
  # rebar3 keeps its own cache and config under HOME: a throwaway one
  if ! (cd "$tmp/src" && HOME=$tmp/home rebar3 as "$profile" release) >"$SD/rebar3.log" 2>&1; then
    rm -rf "$tmp"
    die "rebar3 as $profile release failed: $(tail -5 "$SD/rebar3.log" | tr '\n' ' ')"
  fi
  mv "$tmp/src/_build/$profile/rel/relx_app" "$tmp/rel"
  rm -rf "$tmp/src" "$tmp/home"
  # another run may have finished the same build meanwhile: keep the first one
  mv -T "$tmp" "$dir" 2>/dev/null || rm -rf "$tmp"
  echo "$dir/rel"
}

# relx_cmd I ARGS...: `bin/relx_app ARGS` in pod I's main container, like kubectl exec, after
# sourcing relnode's env file when there is one (the vm.args.src way needs NODE_NAME there).
# Its own RELX_OUT_FILE_PATH: relx rewrites the substituted vm.args on every command, and a
# command run while `foreground` starts truncates the file under it (measured: the start
# then fails with "need to have exactly one ... -name"); the README says so.
relx_cmd() {
  local i=$1
  shift
  pod_run "$i" main sh -c 'if [ -f /run/relnode/env.sh ]; then . /run/relnode/env.sh; fi
    mkdir -p /run/tmp/kubectl-exec && RELX_OUT_FILE_PATH=/run/tmp/kubectl-exec exec "$@"' \
    sh "$RELX/bin/relx_app" "$@"
}
# relx_spawn I ARGS...: the same as the container's long-running process
relx_spawn() {
  local i=$1
  shift
  pod_spawn "$i" main sh -c 'if [ -f /run/relnode/env.sh ]; then . /run/relnode/env.sh; fi; exec "$@"' \
    sh "$RELX/bin/relx_app" "$@"
}

# wait until every pod's relx node answers `bin/relx_app eval 'relx_app:info().'` inside the
# pod; keep its answer as pod*/info lines (NODE ..., PROTO ..., COOKIE ...)
relx_wait() {
  note "relx_wait"
  local i pids=()
  for i in "${!POD_HOST[@]}"; do
    (
      deadline=$((SECONDS + 60))
      while [ $SECONDS -lt $deadline ]; do
        if POD_TIMEOUT=15 relx_cmd "$i" eval 'relx_app:info().' >"$SD/pod$i/info.raw" 2>"$SD/pod$i/info.err" &&
          grep -q 'NODE=' "$SD/pod$i/info.raw"; then
          tr -d '"' <"$SD/pod$i/info.raw" | tr ' ' '\n' | sed -n 's/^\([A-Z]*\)=/\1 /p' >"$SD/pod$i/info"
          exit 0
        fi
        sleep 0.5
      done
      exit 1
    ) &
    pids+=($!)
  done
  wait "${pids[@]}"
  note "relx nodes answered"
  for i in "${!POD_HOST[@]}"; do
    grep -q '^NODE ' "$SD/pod$i/info" 2>/dev/null ||
      die "pod $i: the relx release did not answer bin/relx_app eval within 60 s: $(tail -2 "$SD/pod$i/info.raw" "$SD/pod$i/info.err" 2>/dev/null | tr '\n' ' ')$(tail -3 "$SD/pod$i/container.log" 2>/dev/null | tr '\n' ' ')"
  done
}

# pod 0 dials every expected name (relx_app:connect/2); CONNECTED must be the other two
relx_expect_cluster() {
  local names="" n out want
  for n in "${EXP[@]}"; do names="$names\"$n\","; done
  out=$(POD_TIMEOUT=60 relx_cmd 0 eval "relx_app:connect([${names%,}], 20000).") ||
    die "${CHECK_ERR}bin/relx_app eval relx_app:connect(...) failed: $out"
  CONNECTED=$(echo "$out" | tr -d '"' | sed -n 's/^CONNECTED *//p')
  want=$(sorted "${EXP[@]:1}")
  note "connected: $CONNECTED"
  [ "$CONNECTED" = "$want" ] || die "${CHECK_ERR}nodes() on pod 0 is '$CONNECTED', expected '$want'"
  [ -z "$CHECK_ERR" ] || die "${CHECK_ERR%; }"
}

# relnode's part in a relx pod, as an init container: the vm.args fragment
relx_render_fragment() { # I
  local i=$1
  pod_run "$i" init "$RELNODE_BIN" render --target vm-args --output /run/relnode/vm.args \
    >"$SD/pod$i/init.log" 2>&1 ||
    die "pod $i: relnode render --target vm-args failed: $(tail -3 "$SD/pod$i/init.log" | tr '\n' ' ')"
}

# rebar3 release, vm.args with `-args_file /run/relnode/vm.args`; relnode as init container
# (render --target vm-args); Kubernetes mode :ip names over IPv4; `foreground` as the
# container's command. Also: what relx does without the fragment and with a second -name.
sc_relx_ipv4() {
  RELX=$(relx_release default) || exit 1
  cluster_up cluster.local shop relx-headless
  local i ip out rc
  for i in 0 1 2; do
    ip=10.42.0.$((10 + i))
    pod_add $i "${DEPLOY_HOSTS[$i]}" "$ip" ""
    pod_env $i "MY_POD_IP=$ip" MY_POD_NAMESPACE=shop RELNODE_STRATEGY=kubernetes RELNODE_BASENAME=relx_app
    EXP[$i]=relx_app@$ip
  done
  dns_records
  dns_start
  pods_boot

  # relx's rule, measured: without the fragment the script stops before the VM with exit 1
  # and a message about -name that does not mention the missing file
  out=$(relx_cmd 0 foreground 2>&1)
  rc=$?
  echo "foreground without the fragment: exit $rc: $out"
  if [ $rc -eq 1 ] && echo "$out" | grep -q 'need to have exactly one of either -name or -sname'; then
    extra "PASS relx: a missing -args_file fragment exits 1 with 'need to have exactly one ... -name'"
  else
    extra "FAIL relx: a missing -args_file fragment: exit $rc: $(echo "$out" | tail -2 | tr '\n' ' ')"
  fi

  for i in 0 1 2; do
    relx_render_fragment $i
    relx_spawn $i foreground
  done
  relx_wait
  check_names
  check_info PROTO inet_tcp
  check_info COOKIE relnode-e2e-fixed-cookie
  out=$(pod_run 0 main cat /run/relnode/vm.args)
  [ "$out" = "-name ${EXP[0]}" ] || CHECK_ERR="${CHECK_ERR}the fragment is '$out', expected only '-name ${EXP[0]}'; "

  # a second -name (here: the user's vm.args kept its own) makes relx exit 2
  pod_run 1 main sh -c 'printf "%s\n" "-args_file /run/relnode/vm.args" "-name other@10.42.0.11" "-setcookie x" >/run/tmp/vm.args.twice'
  out=$(pod_run 1 main env VMARGS_PATH=/run/tmp/vm.args.twice "$RELX/bin/relx_app" foreground 2>&1)
  rc=$?
  echo "foreground with two -name: exit $rc: $out"
  if [ $rc -eq 2 ] && echo "$out" | grep -q 'already specified'; then
    extra "PASS relx: a second -name across vm.args and the fragment exits 2"
  else
    extra "FAIL relx: a second -name: exit $rc: $(echo "$out" | tail -2 | tr '\n' ' ')"
  fi
  relx_expect_cluster
}

# the same release in IPv6-only StatefulSet pods (DNSSRV names, AAAA records only). Measured:
# the VM follows -args_file, but relx's script takes -proto_dist only from vm.args itself (for
# nodetool and remote_console), so the user's vm.args carries it (VMARGS_PATH points the script
# at that file, as a user's own vm.args would be); relnode's fragment holds only the name. And
# erl_call, which the script uses by default for ping/eval/rpc, cannot reach an IPv6 node at
# all ("can't ei_gethostbyname"), so the pods set USE_NODETOOL=1.
# Entry point: relnode exec -- bin/relx_app foreground.
sc_relx_ipv6() {
  RELX=$(relx_release default) || exit 1
  cluster_up cluster.local shop web web
  local i ip
  for i in 0 1 2; do
    ip=fd00:42::$((10 + i))
    pod_add $i "web-$i" "" "$ip"
    pod_env $i "MY_POD_IP=$ip" MY_POD_NAMESPACE=shop RELNODE_STRATEGY=dnssrv RELNODE_BASENAME=relx_app \
      RELNODE_TARGET=vm-args VMARGS_PATH=/run/tmp/vm.args USE_NODETOOL=1
    EXP[$i]=relx_app@web-$i.web.shop.svc.cluster.local
  done
  dns_records
  dns_start
  pods_boot
  for i in 0 1 2; do
    pod_run $i main sh -c 'printf "%s\n" "-args_file /run/relnode/vm.args" "-proto_dist inet6_tcp" "-setcookie relnode-e2e-fixed-cookie" >/run/tmp/vm.args'
    pod_spawn $i main "$RELNODE_BIN" exec --output /run/relnode/vm.args -- "$RELX/bin/relx_app" foreground
  done
  relx_wait
  check_names
  check_info PROTO inet6_tcp
  relx_expect_cluster

  # the two measured rules above, as controls: each must fail
  local out rc
  pod_run 0 main sh -c 'printf "%s\n" "-args_file /run/relnode/vm.args" "-setcookie relnode-e2e-fixed-cookie" >/run/tmp/vm.args.noproto'
  out=$(POD_TIMEOUT=30 pod_run 0 main env VMARGS_PATH=/run/tmp/vm.args.noproto "$RELX/bin/relx_app" ping 2>&1)
  rc=$?
  echo "ping with -proto_dist only in the fragment: exit $rc: $out"
  if [ $rc -ne 0 ]; then
    extra "PASS relx ipv6: with -proto_dist only in the fragment, bin/relx_app ping cannot reach the node"
  else
    extra "FAIL relx ipv6: with -proto_dist only in the fragment, ping answered: $out"
  fi
  out=$(POD_TIMEOUT=30 pod_run 0 main env -u USE_NODETOOL "$RELX/bin/relx_app" ping 2>&1)
  rc=$?
  echo "ping through erl_call: exit $rc: $out"
  if [ $rc -ne 0 ]; then
    extra "PASS relx ipv6: without USE_NODETOOL=1 (erl_call), bin/relx_app ping cannot reach the node"
  else
    extra "FAIL relx ipv6: erl_call reached an IPv6 node: $out"
  fi
}

# rebar3's vm.args.src way: `-name ${NODE_NAME}` and `-setcookie ${RELX_COOKIE}`; relnode as
# ENTRYPOINT exports NODE_NAME (--node-var) and RELX_COOKIE (from --cookie-file) and writes the
# same variables to /run/relnode/env.sh for later `bin/relx_app eval|ping` (kubectl exec).
# The start script writes the substituted vm.args to RELX_OUT_FILE_PATH (per pod here).
sc_relx_vmargs_src() {
  RELX=$(relx_release src) || exit 1
  cluster_up cluster.local shop relx-headless
  local i ip
  for i in 0 1 2; do
    ip=10.42.0.$((10 + i))
    pod_add $i "${DEPLOY_HOSTS[$i]}" "$ip" ""
    pod_env $i "MY_POD_IP=$ip" MY_POD_NAMESPACE=shop RELNODE_STRATEGY=kubernetes RELNODE_BASENAME=relx_app \
      RELX_OUT_FILE_PATH=/run/tmp
    EXP[$i]=relx_app@$ip
  done
  dns_records
  dns_start
  pods_boot
  for i in 0 1 2; do
    pod_spawn $i main "$RELNODE_BIN" exec --target vm-args --node-var NODE_NAME --cookie-file "$WORK/cookie" \
      --output /run/relnode/env.sh -- "$RELX/bin/relx_app" foreground
  done
  relx_wait
  check_names
  check_info COOKIE "$COOKIE"
  relx_expect_cluster
}

# ---------------------------------------------------------------- RabbitMQ
RABBIT_LIB=/usr/lib/rabbitmq/bin

# three RabbitMQ nodes in a StatefulSet rabbit-N behind headless Service rabbit-nodes, named
# the way RabbitMQ's Kubernetes guide names them (rabbit@<pod>.<svc>.<ns>.svc.<domain>,
# RABBITMQ_USE_LONGNAME=true); relnode as init container writes RABBITMQ_NODENAME; the
# broker's classic_config peer discovery lists the names relnode computed.
sc_rabbitmq() { rabbitmq_cluster fqdn; }
# the guide's FQDN shape in IPv6-only pods (AAAA records only): relnode appends
# -proto_dist inet6_tcp to RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS and RABBITMQ_CTL_ERL_ARGS, for
# the broker and rabbitmqctl. Measured: the broker also needs `{inet6, true}.` in an inetrc
# (its prelaunch resolves its own host over IPv4 and stops with `epmd_error ... nxdomain`), so
# the user's RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS carries `-kernel inetrc`, as RabbitMQ's
# networking guide says; relnode keeps it and appends. (The IP shape rabbit@<ipv6> forms a
# cluster too, but rabbitmqctl 3.10 then names itself rabbitmqcli-N-rabbit@<ipv6>.localdomain
# and crashes, so relnode warns against it.)
sc_rabbitmq_ipv6() { rabbitmq_cluster ipv6; }

rabbitmq_cluster() { # fqdn|ipv6
  local shape=$1
  [ -x "$RABBIT_LIB/rabbitmq-server" ] || die "rabbitmq-server is missing (apt-get install -y rabbitmq-server)"
  cluster_up cluster.local shop rabbit-nodes rabbit
  local i ip pd n want got start=$SECONDS
  for i in 0 1 2; do
    if [ "$shape" = fqdn ]; then
      ip=10.42.0.$((10 + i))
      pod_add $i "rabbit-$i" "$ip" ""
      pod_env $i "MY_POD_IP=$ip" RELNODE_STRATEGY=dnssrv
      EXP[$i]=rabbit@rabbit-$i.rabbit-nodes.shop.svc.cluster.local
    else
      ip=fd00:42::$((10 + i))
      pod_add $i "rabbit-$i" "" "$ip"
      pod_env $i "MY_POD_IP=$ip" RELNODE_STRATEGY=dnssrv "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=-kernel inetrc '$SD/erl_inetrc'"
      EXP[$i]=rabbit@rabbit-$i.rabbit-nodes.shop.svc.cluster.local
    fi
  done
  {
    echo "cluster_formation.peer_discovery_backend = classic_config"
    for i in 0 1 2; do echo "cluster_formation.classic_config.nodes.$((i + 1)) = ${EXP[$i]}"; done
    echo "cluster_formation.randomized_startup_delay_range.min = 0"
    echo "cluster_formation.randomized_startup_delay_range.max = 1"
  } >"$SD/rabbitmq.conf"
  echo '[].' >"$SD/enabled_plugins"
  echo '{inet6, true}.' >"$SD/erl_inetrc"
  : >"$SD/rabbitmq-env.conf"
  for i in 0 1 2; do
    pd=$SD/pod$i/rabbit
    mkdir -p "$pd/home" "$pd/mnesia" "$pd/log"
    # the Erlang cookie every node and rabbitmqctl read from HOME (a Secret in Kubernetes)
    printf '%s' "$COOKIE" >"$pd/home/.erlang.cookie"
    chmod 600 "$pd/home/.erlang.cookie"
    pod_env $i MY_POD_NAMESPACE=shop \
      RELNODE_TARGET=rabbitmq "HOME=$pd/home" "RABBITMQ_MNESIA_BASE=$pd/mnesia" "RABBITMQ_LOG_BASE=$pd/log" \
      "RABBITMQ_CONFIG_FILE=$SD/rabbitmq.conf" "RABBITMQ_ENABLED_PLUGINS_FILE=$SD/enabled_plugins" \
      "RABBITMQ_CONF_ENV_FILE=$SD/rabbitmq-env.conf" "RABBITMQ_ADVANCED_CONFIG_FILE=$pd/advanced.config" \
      RABBITMQ_LOGS=-
  done
  dns_records
  dns_start
  pods_boot
  for i in 0 1 2; do
    pod_run $i init "$RELNODE_BIN" render --output /run/relnode/env.sh >"$SD/pod$i/init.log" 2>&1 ||
      die "pod $i: relnode render --target rabbitmq failed: $(tail -3 "$SD/pod$i/init.log" | tr '\n' ' ')"
    pod_spawn $i main sh -c '. /run/relnode/env.sh && exec "$0"' "$RABBIT_LIB/rabbitmq-server"
  done
  # every node reports all three as running (kubectl exec ... rabbitmqctl cluster_status),
  # within 150 s
  want=$(sorted "${EXP[@]}")
  for i in 0 1 2; do
    got=""
    while [ $((SECONDS - start)) -lt 150 ]; do
      kill -0 "$(cat "$SD/pod$i/container.pid")" 2>/dev/null ||
        die "pod $i: rabbitmq-server exited: $(grep -m1 -o 'exited with reason: .*' "$SD/pod$i/container.log" | cut -c1-300)"
      got=$(POD_TIMEOUT=30 pod_run $i main sh -c '. /run/relnode/env.sh && exec "$0" cluster_status --formatter json' \
        "$RABBIT_LIB/rabbitmqctl" 2>"$SD/pod$i/ctl.err" |
        sed -n 's/.*"running_nodes":\[\([^]]*\)\].*/\1/p' | tr -d '"' | tr ',' '\n' | sort | tr '\n' ' ' | sed 's/ $//')
      [ "$got" = "$want" ] && break
      sleep 2
    done
    note "pod $i: running_nodes $got"
    [ "$got" = "$want" ] ||
      die "pod $i: rabbitmqctl cluster_status running_nodes is '$got', expected '$want' after $((SECONDS - start)) s: $(tail -2 "$SD/pod$i/ctl.err" | tr '\n' ' ')"
  done
  note "rabbitmq: one cluster of three $((SECONDS - start)) s after the first pod started"
  extra "PASS rabbitmq ($shape): one cluster of three formed in $((SECONDS - start)) s"
  if [ "$shape" = ipv6 ]; then
    # control: rabbitmqctl without relnode's RABBITMQ_CTL_ERL_ARGS cannot reach the node (it
    # retries until its timeout; 15 s bound it)
    local out rc
    out=$(POD_TIMEOUT=15 pod_run 0 main sh -c '. /run/relnode/env.sh && unset RABBITMQ_CTL_ERL_ARGS && exec "$0" cluster_status' \
      "$RABBIT_LIB/rabbitmqctl" 2>&1)
    rc=$?
    echo "rabbitmqctl without RABBITMQ_CTL_ERL_ARGS: exit $rc: $(echo "$out" | tail -3)"
    if [ $rc -ne 0 ]; then
      extra "PASS rabbitmq ipv6: rabbitmqctl without relnode's RABBITMQ_CTL_ERL_ARGS cannot reach the node"
    else
      extra "FAIL rabbitmq ipv6: rabbitmqctl reached the node without -proto_dist inet6_tcp"
    fi
  fi
}

# ---------------------------------------------------------------- dns_cluster and Fly.io
# dns_cluster-style discovery (the transcription) on pod $1 with the node's DNS_CLUSTER_QUERY
dnscluster_discover() { # I TIMEOUT_MS
  note "dnscluster discover on pod $1"
  POD_TIMEOUT=90 pod_run "$1" main "$APP" rpc "DnsClusterDiscovery.run(nil, $2)" >"$SD/discovery" 2>"$SD/discovery.err" ||
    die "discovery rpc failed on pod $1: $(tail -3 "$SD/discovery.err" | tr '\n' ' ')"
  QUERY=$(sed -n 's/^QUERY //p' "$SD/discovery")
  DISCOVERED=$(sed -n 's/^DISCOVERED //p' "$SD/discovery")
  CONNECTED=$(sed -n 's/^CONNECTED //p' "$SD/discovery")
  note "query: $QUERY; discovered: $DISCOVERED; connected: $CONNECTED"
}

# strategy dnscluster in IPv6-only Deployment pods: names <basename>@<ip>; the query (the
# headless Service, given to relnode as --query) handed to the release as DNS_CLUSTER_QUERY
sc_dnscluster_ipv6() {
  cluster_up cluster.local shop app-headless
  local i ip q=app-headless.shop.svc.cluster.local
  for i in 0 1 2; do
    ip=fd00:42::$((10 + i))
    pod_add $i "${DEPLOY_HOSTS[$i]}" "" "$ip"
    pod_env $i "MY_POD_IP=$ip" MY_POD_NAMESPACE=shop RELNODE_STRATEGY=dnscluster RELNODE_BASENAME=app
    EXP[$i]=app@$ip
  done
  dns_records
  dns_start
  pods_boot
  for i in 0 1 2; do start_exec $i start --query "$q"; done
  wait_nodes
  check_names
  check_info PROTO inet6_tcp
  dnscluster_discover 0 20000
  [ "$QUERY" = "$q" ] || CHECK_ERR="${CHECK_ERR}the release's DNS_CLUSTER_QUERY is '$QUERY', expected '$q'; "
  expect_cluster
  targets_check 1 "dnscluster: relnode check finds the pod among the query's AAAA answers" --query "$q"
}

# targets_check POD LABEL ARGS...: `relnode check ARGS` in the pod (like kubectl exec) exits 0
# with the dnscluster-query line saying our address is among the answers
targets_check() {
  local i=$1 label=$2 out rc=0
  shift 2
  out=$(POD_TIMEOUT=30 pod_run "$i" main "$RELNODE_BIN" check "$@" 2>&1) || rc=$?
  echo "relnode check: exit $rc: $out"
  if [ $rc -eq 0 ] && echo "$out" | grep -q 'dnscluster-query.*ours among them'; then
    extra "PASS $label"
  else
    extra "FAIL $label: exit $rc: $(echo "$out" | tr '\n' '|' | cut -c1-400)"
  fi
}

# a Fly.io machine, simulated: IPv6-only pods whose resolver (Fly's fdaa::3, here dnsmasq)
# answers <app>.internal with the AAAA of every machine; hosts file and hostname are the
# machine id; only FLY_* variables, so relnode detects the platform. Pods 0 and 1 run the
# current deploy, pod 2 an older image: names <app>-<image ref suffix>@<FLY_PRIVATE_IP> keep
# them apart. The release's remote/rpc commands go over IPv6 too (wait_nodes uses rpc).
sc_fly() {
  cluster_up cluster.local shop app-headless
  local i ip mid ref
  local -a machine=(e784079b449483 7811373c095548 d891e7dc4e7d18)
  for i in 0 1 2; do
    ip=fd00:42::$((10 + i)) mid=${machine[$i]}
    pod_add $i "$mid" "" "$ip"
    # Fly's /etc/resolv.conf and /etc/hosts shapes
    printf 'nameserver %s\n' "$DNS6" >"$SD/pod$i/resolv.conf"
    printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n%s\t%s\n' "$ip" "$mid" >"$SD/pod$i/hosts"
    echo "--host-record=shop.internal,$ip" >>"$SD/dns.args"
    echo "--host-record=$mid.vm.shop.internal,$ip" >>"$SD/dns.args"
    if [ $i -lt 2 ]; then ref=registry.fly.io/shop:deployment-01JD3X7Q5RZ8WM2E4Q5V0F6H7K; else ref=registry.fly.io/shop:deployment-01JC0A1B2C3D4E5F6G7H8J9K0M; fi
    pod_env $i FLY_APP_NAME=shop "FLY_IMAGE_REF=$ref" "FLY_PRIVATE_IP=$ip" "FLY_MACHINE_ID=$mid" FLY_REGION=ams
    EXP[$i]=shop-${ref##*-}@$ip
  done
  echo "--local=/internal/" >>"$SD/dns.args"
  dns_start
  pods_boot
  for i in 0 1 2; do start_exec $i start; done
  wait_nodes
  check_names
  check_info PROTO inet6_tcp
  # pod 0 dials <its basename>@ every AAAA of shop.internal: pod 1 joins, pod 2 (another
  # deploy, another basename) does not
  dnscluster_discover 0 8000
  [ "$QUERY" = shop.internal ] || CHECK_ERR="${CHECK_ERR}the release's DNS_CLUSTER_QUERY is '$QUERY', expected 'shop.internal'; "
  local b=${EXP[0]%@*}
  local want_disc want_conn
  want_disc=$(sorted "$b@fd00:42::10" "$b@fd00:42::11" "$b@fd00:42::12")
  want_conn=${EXP[1]}
  [ "$DISCOVERED" = "$want_disc" ] || CHECK_ERR="${CHECK_ERR}discovery dialled '$DISCOVERED', expected '$want_disc'; "
  [ "$CONNECTED" = "$want_conn" ] || CHECK_ERR="${CHECK_ERR}pod 0 is connected to '$CONNECTED', expected only '$want_conn' (pod 2 runs another deploy); "
  [ -z "$CHECK_ERR" ] || die "${CHECK_ERR%; }"
  targets_check 1 "fly.io: relnode check finds the Machine among shop.internal's AAAA answers"
}

# ---------------------------------------------------------------- servers with a name variable
# --target none --host-var NODENAME, the way the CouchDB image starts its VM
# (`-name couchdb@${NODENAME}`): CouchDB itself is not packaged for Debian, so plain `erl`
# (erlang-base) stands in for it, started with exactly that argument from relnode's variable.
# StatefulSet couchdb-N behind Service couchdb, FQDN names (the couchdb-helm shape). Pod 0
# pings the other two by name and prints nodes().
sc_host_var_couchdb() {
  cluster_up cluster.local shop couchdb couchdb
  local i ip peers="" out
  for i in 0 1 2; do
    ip=10.42.0.$((10 + i))
    pod_add $i "couchdb-$i" "$ip" ""
    pod_env $i "MY_POD_IP=$ip" MY_POD_NAMESPACE=shop RELNODE_STRATEGY=dnssrv RELNODE_BASENAME=couchdb
    EXP[$i]=couchdb@couchdb-$i.couchdb.shop.svc.cluster.local
    [ $i -eq 0 ] || peers="$peers ${EXP[$i]}"
  done
  dns_records
  dns_start
  pods_boot
  for i in 1 2; do
    pod_spawn $i main "$RELNODE_BIN" exec --target none --host-var NODENAME -- \
      sh -c 'exec erl -noshell -name "couchdb@$NODENAME" -setcookie "$0" -eval "io:format(\"NODE ~s~n\", [node()])."' "$COOKIE"
  done
  out=$(POD_TIMEOUT=60 pod_run 0 main env "PEERS=$peers" "$RELNODE_BIN" exec --target none --host-var NODENAME -- \
    sh -c 'exec erl -noshell -name "couchdb@$NODENAME" -setcookie "$0" -eval "
      Peers = [list_to_atom(P) || P <- string:tokens(os:getenv(\"PEERS\"), \" \")],
      Wait = fun W(0) -> ok; W(N) -> case [P || P <- Peers, net_adm:ping(P) =/= pong] of [] -> ok; _ -> timer:sleep(500), W(N - 1) end end,
      Wait(60),
      io:format(\"NODE ~s~nCONNECTED ~s~n\", [node(), string:join(lists:sort([atom_to_list(N) || N <- nodes()]), \" \")]),
      halt()."' "$COOKIE" 2>&1)
  echo "$out" >"$SD/pod0/container.log"
  [ "$(echo "$out" | sed -n 's/^NODE //p')" = "${EXP[0]}" ] ||
    CHECK_ERR="${CHECK_ERR}pod 0 is named '$(echo "$out" | sed -n 's/^NODE //p')', expected '${EXP[0]}'; "
  for i in 1 2; do
    grep -qx "NODE ${EXP[$i]}" "$SD/pod$i/container.log" ||
      CHECK_ERR="${CHECK_ERR}pod $i did not start as ${EXP[$i]}: $(tail -2 "$SD/pod$i/container.log" | tr '\n' ' '); "
  done
  CONNECTED=$(echo "$out" | sed -n 's/^CONNECTED //p')
  [ "$CONNECTED" = "$(sorted "${EXP[@]:1}")" ] || die "${CHECK_ERR}nodes() on pod 0 is '$CONNECTED', expected '$(sorted "${EXP[@]:1}")'"
  [ -z "$CHECK_ERR" ] || die "${CHECK_ERR%; }"
}

scenario "relx vm.args fragment, ipv4 (init container render, foreground)" sc_relx_ipv4
scenario "relx vm.args fragment, ipv6 StatefulSet DNSSRV (entrypoint exec)" sc_relx_ipv6
scenario "relx vm.args.src -name \${NODE_NAME} (--node-var, RELX_COOKIE)" sc_relx_vmargs_src
scenario "rabbitmq classic_config (StatefulSet, FQDN names)" sc_rabbitmq
scenario "rabbitmq classic_config ipv6-only (StatefulSet, FQDN names, AAAA)" sc_rabbitmq_ipv6
scenario "dnscluster ipv6-only (headless Service AAAA)" sc_dnscluster_ipv6
scenario "fly.io detected (shop.internal AAAA, deploys kept apart)" sc_fly
scenario "target none --host-var NODENAME (CouchDB's -name couchdb@\${NODENAME}, plain erl)" sc_host_var_couchdb
