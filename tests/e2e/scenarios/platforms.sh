# Platforms that discover peers by one DNS name (issue 16), sourced by tests/e2e/run: Docker
# Swarm's tasks.<service>, a Compose service name, Railway's <service>.railway.internal,
# Render's <service>-discovery.
# No pod IP is given anywhere: relnode finds the node's own address the way its peers will.
#
# Real: Erlang distribution (epmd, handshakes) between real mix releases started by relnode,
# dnsmasq as each platform's resolver, Linux network/mount/UTS namespaces as the containers
# with the interfaces and routes described below, relnode itself (its resolver, getifaddrs,
# the address choice). Transcribed: the peer discovery. libcluster's Cluster.Strategy.DNSPoll
# (tests/e2e/app/lib/dns_poll_discovery.ex: :inet_res.lookup of the name AS GIVEN, A then
# AAAA, `basename@ip`) and Kubernetes.DNS (tests/e2e/app/lib/discovery.ex: :inet_res.getbyname,
# with resolv.conf's search list) are Elixir transcriptions, not libcluster (no hex.pm here).
# The platforms themselves are not here either: what is reproduced is the shape a container
# sees (interfaces, default route, resolv.conf, environment, the DNS answer), as their docs
# describe it (docs/platforms.md cites them).

# ---------------------------------------------------------------- helpers
SWARM_SERVICE=app
SWARM_OVERLAY=10.0.1         # the stack's overlay network, 10.0.1.0/24 (fixed, as examples/swarm does)
SWARM_INGRESS=10.0.0         # the routing mesh's ingress network, 10.0.0.0/24
SWARM_GW=172.18.0.1          # docker_gwbridge, 172.18.0.0/16: the default route
SWARM_IDS=(3f9a1c0e7b21 8d2e64b0c913 c51f0a7e2d48)   # container IDs: a task's hostname

# the bridges the tasks' interfaces plug into, in the cluster netns: overlay and ingress carry
# no host address (an overlay's traffic stays between tasks), docker_gwbridge holds the gateway
swarm_up() {
  cluster_up cluster.local default "$SWARM_SERVICE"
  local b
  for b in ov0 ing0 gwbr; do
    ip -n "$CNS" link add "$b" type bridge || die "cannot add bridge $b"
  done
  ip -n "$CNS" addr add "$SWARM_GW/16" dev gwbr
  for b in ov0 ing0 gwbr; do ip -n "$CNS" link set "$b" up || die "cannot set up bridge $b"; done
}

# veth_into NETNS IFNAME BRIDGE HOSTSIDE ADDR/PREFIX: an interface of the container in a bridge
veth_into() {
  ip link add "$4" netns "$CNS" type veth peer name "$2" netns "$1" || die "cannot create veth $4"
  ip -n "$CNS" link set "$4" master "$3" up
  case $5 in *:*) ip -n "$1" addr add "$5" dev "$2" nodad ;; *) ip -n "$1" addr add "$5" dev "$2" ;; esac
  ip -n "$1" link set "$2" up || die "cannot configure $2 in $1"
}

# container_add I HOSTNAME: a container's network namespace with only loopback, and the
# bookkeeping pods_boot/pod_run/start_exec/wait_nodes need (resolv.conf and hosts are the
# caller's to write). No MY_POD_IP: a container on these platforms has no downward API.
container_add() {
  local i=$1 pns=$PFX-s$S-pod$1 pd=$SD/pod$1
  POD_HOST[$i]=$2 POD_V4[$i]="" POD_V6[$i]=""
  mkdir -p "$pd"
  echo "$pns" >>"$SD/netns.list"
  ip netns add "$pns" || die "ip netns add $pns failed"
  ip -n "$pns" link set lo up
  printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$pd/hosts"
  printf '%s\n' "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    "HOME=/root" "LANG=C.UTF-8" "HOSTNAME=$2" "RELEASE_TMP=/run/tmp" >"$pd/env.main"
  cp "$pd/env.main" "$pd/env.init"
}

# swarm_task_add I: a Swarm task of a service that publishes a port, as its container sees
# itself: eth0 on the ingress network (10.0.0.1I/24), eth1 on docker_gwbridge (172.18.0.1I/16,
# the DEFAULT ROUTE), eth2 on the stack's overlay (10.0.1.1I/24), the address tasks.app lists.
# resolv.conf is Swarm's: the embedded DNS at 127.0.0.11, `options ndots:0`; the hosts file
# has no line for the container (moby#32149, #36575: it varies, so nothing relies on it).
swarm_task_add() {
  local i=$1 pns=$PFX-s$S-pod$1
  container_add "$i" "${SWARM_IDS[$i]}"
  POD_V4[$i]=$SWARM_OVERLAY.1$i
  veth_into "$pns" eth0 ing0 "rn${RUN}s${S}i$i" "$SWARM_INGRESS.1$i/24"
  veth_into "$pns" eth1 gwbr "rn${RUN}s${S}g$i" "172.18.0.1$i/16"
  veth_into "$pns" eth2 ov0 "rn${RUN}s${S}o$i" "$SWARM_OVERLAY.1$i/24"
  ip -n "$pns" route add default via "$SWARM_GW" dev eth1 || die "task $i: no default route"
  ip -n "$pns" addr add 127.0.0.11/32 dev lo
  printf 'nameserver 127.0.0.11\noptions ndots:0\n' >"$SD/pod$i/resolv.conf"
}

# swarm_dns I ADDRESS...: the embedded DNS of task I (dnsmasq on its 127.0.0.11) answering
# tasks.app with these A records: the tasks Swarm lists (healthy ones, when the image has a
# HEALTHCHECK), as this task sees them now. Everything else: NXDOMAIN or no answer.
swarm_dns() {
  local i=$1 a
  shift
  local -a recs=()
  for a; do recs+=("--host-record=tasks.$SWARM_SERVICE,$a"); done
  ip netns exec "$PFX-s$S-pod$i" dnsmasq --conf-file=/dev/null --no-resolv --no-hosts --no-poll \
    --bind-interfaces --listen-address=127.0.0.11 --pid-file="$SD/pod$i/dnsmasq.pid" \
    --log-queries --log-facility="$SD/pod$i/dnsmasq.log" --local="/$SWARM_SERVICE/" \
    "${recs[@]}" >"$SD/pod$i/dnsmasq.out" 2>&1 ||
    die "task $i: dnsmasq did not start: $(cat "$SD/pod$i/dnsmasq.out")"
}

# an egress interface in the gwbridge bridge holding the default route (IPv4), for platforms
# whose private network is not the default route's: I ADDRESS
egress_add() {
  local pns=$PFX-s$S-pod$1
  ip -n "$CNS" link show gwbr >/dev/null 2>&1 || {
    ip -n "$CNS" link add gwbr type bridge && ip -n "$CNS" addr add "$SWARM_GW/16" dev gwbr &&
      ip -n "$CNS" link set gwbr up
  } || die "cannot add the egress bridge"
  veth_into "$pns" eth1 gwbr "rn${RUN}s${S}g$1" "$2/16"
  ip -n "$pns" route add default via "$SWARM_GW" dev eth1 || die "pod $1: no default route"
}

# dnspoll_discover I QUERY BASENAME TIMEOUT_MS: the DNSPoll transcription run in pod I; its
# DISCOVERED leaves out the node's own name (libcluster's DNSPoll does too)
dnspoll_discover() {
  note "dnspoll discover on pod $1: $2"
  POD_TIMEOUT=90 pod_run "$1" main "$APP" rpc "DnsPollDiscovery.run(\"$2\", \"$3\", $4)" \
    >"$SD/discovery" 2>"$SD/discovery.err" ||
    die "discovery rpc failed on pod $1: $(tail -3 "$SD/discovery.err" | tr '\n' ' ')"
  DISCOVERED=$(sed -n 's/^DISCOVERED //p' "$SD/discovery")
  CONNECTED=$(sed -n 's/^CONNECTED //p' "$SD/discovery")
  note "discovered: $DISCOVERED; connected: $CONNECTED"
}

# pod 0 found and connected to exactly pods 1 and 2 (their EXP names)
expect_peers_meshed() {
  local want
  want=$(sorted "${EXP[@]:1}")
  [ "$DISCOVERED" = "$want" ] || CHECK_ERR="${CHECK_ERR}discovery dialled '$DISCOVERED', expected '$want'; "
  [ "$CONNECTED" = "$want" ] || CHECK_ERR="${CHECK_ERR}Node.list() on pod 0 is '$CONNECTED', expected '$want'; "
  [ -z "$CHECK_ERR" ] || die "${CHECK_ERR%; }"
}

# sub-check LABEL: pod I's container log (relnode's stderr) matches PATTERN (grep -E)
expect_log() { # I LABEL PATTERN
  if grep -Eq -- "$3" "$SD/pod$1/container.log" 2>/dev/null; then
    extra "PASS $2"
  else
    extra "FAIL $2: no line matching '$3' in pod $1's log: $(tail -5 "$SD/pod$1/container.log" 2>/dev/null | tr '\n' '|' | cut -c1-400)"
  fi
}

# ---------------------------------------------------------------- Docker Swarm
# Three tasks of service `app`, no pod IP. Each names itself after its overlay address, by a
# different rule of relnode's address choice:
#   task 0: flags, `--strategy dnspoll --query tasks.app --basename app`: the local address
#           tasks.app lists (rule 3);
#   task 1: the same as env vars (RELNODE_*); its resolver does not list it yet, as Swarm does
#           for a task whose HEALTHCHECK has not passed, only its peers: the local address in
#           their subnet (rule 4), said on stderr;
#   task 2: `--ip-cidr 10.0.1.0/24`, the overlay's subnet as the stack file fixes it: no
#           lookup (rule 2).
# Task 0 then runs the DNSPoll transcription on tasks.app: it dials the other two and connects.
sc_swarm() {
  swarm_up
  local i
  for i in 0 1 2; do
    swarm_task_add $i
    EXP[$i]=app@$SWARM_OVERLAY.1$i
  done
  swarm_dns 0 "$SWARM_OVERLAY.10" "$SWARM_OVERLAY.11" "$SWARM_OVERLAY.12"
  swarm_dns 1 "$SWARM_OVERLAY.10" "$SWARM_OVERLAY.12"
  swarm_dns 2 "$SWARM_OVERLAY.10" "$SWARM_OVERLAY.11" "$SWARM_OVERLAY.12"
  pod_env 1 RELNODE_PLATFORM=dns RELNODE_STRATEGY=dnspoll "RELNODE_QUERY=tasks.$SWARM_SERVICE" RELNODE_BASENAME=app
  pods_boot
  start_exec 0 start --platform dns --strategy dnspoll --query "tasks.$SWARM_SERVICE" --basename app
  start_exec 1 start
  start_exec 2 start --platform dns --strategy dnspoll --query "tasks.$SWARM_SERVICE" --ip-cidr "$SWARM_OVERLAY.0/24"
  wait_nodes
  check_names
  dnspoll_discover 0 "tasks.$SWARM_SERVICE" app 20000
  expect_peers_meshed
  expect_log 1 "swarm: a task not listed yet takes the address in its listed peers' subnet, and says so" \
    "$SWARM_OVERLAY\\.11.*(subnet|peers)|(subnet|peers).*$SWARM_OVERLAY\\.11"
  # the address choice never asked task 2's resolver for tasks.app (--ip-cidr); the BEAM's own
  # lookups of its hostname are not relnode's
  if grep -q "query\[[A-Z]*\] tasks\.$SWARM_SERVICE from" "$SD/pod2/dnsmasq.log" 2>/dev/null; then
    extra "FAIL swarm: --ip-cidr chooses without a lookup: task 2's resolver was asked: $(grep "tasks\.$SWARM_SERVICE from" "$SD/pod2/dnsmasq.log" | head -2 | tr '\n' '|')"
  else
    extra "PASS swarm: --ip-cidr chooses without a lookup"
  fi
}

# Control: the same tasks named after the default route's address (the docker_gwbridge one,
# as `hostname -i`- or default-route-based start scripts do; given here with --pod-ip). They
# boot and answer rpc, DNSPoll dials their overlay addresses (what tasks.app lists), and no
# handshake succeeds: the dialled name is not theirs.
sc_swarm_gwbridge_control() {
  swarm_up
  local i
  for i in 0 1 2; do
    swarm_task_add $i
    EXP[$i]=app@172.18.0.1$i
    WRONG[$i]=app@$SWARM_OVERLAY.1$i
    swarm_dns $i "$SWARM_OVERLAY.10" "$SWARM_OVERLAY.11" "$SWARM_OVERLAY.12"
  done
  pods_boot
  for i in 0 1 2; do
    start_exec $i start --platform dns --strategy dnspoll --query "tasks.$SWARM_SERVICE" --basename app --pod-ip "172.18.0.1$i"
  done
  wait_nodes
  check_names
  dnspoll_discover 0 "tasks.$SWARM_SERVICE" app 4000
  expect_no_cluster
}

# ---------------------------------------------------------------- Docker Compose
# Three replicas of Compose service `app` (`docker compose up --scale app=3`): one interface
# each on the project network (10.0.2.1I/24, default route via its gateway 10.0.2.1), the
# embedded DNS at 127.0.0.11 answering the bare service name `app` with every replica's
# address. The query is that single label: DNSPoll's :inet_res.lookup applies no search list
# but sends the name as given, and this resolver answers it (OTP 25), so the DNSPoll
# transcription on `app` meshes the nodes; dns_cluster's :inet_res.getbyname (search list,
# ndots:0) asks `app` as given too. The nodes are named with the Compose example's
# RELNODE_IP_CIDR (rule 2, no lookup). Two sub-checks ask relnode to choose by the answer
# (rule 3) with the same single label, as DNSPoll and as dns_cluster read it: both must name
# the node after its listed address (a single label fails DNSPoll only where the resolver
# does not answer it as given, as on Render: see sc_render).
sc_compose() {
  cluster_up cluster.local default app
  ip -n "$CNS" link add cbr type bridge && ip -n "$CNS" addr add 10.0.2.1/24 dev cbr &&
    ip -n "$CNS" link set cbr up || die "cannot add the project network's bridge"
  local i pns
  for i in 0 1 2; do
    pns=$PFX-s$S-pod$i
    container_add $i "${SWARM_IDS[$i]}"
    POD_V4[$i]=10.0.2.1$i
    veth_into "$pns" eth0 cbr "rn${RUN}s${S}c$i" "10.0.2.1$i/24"
    ip -n "$pns" route add default via 10.0.2.1 dev eth0 || die "container $i: no default route"
    ip -n "$pns" addr add 127.0.0.11/32 dev lo
    printf 'nameserver 127.0.0.11\noptions ndots:0\n' >"$SD/pod$i/resolv.conf"
    EXP[$i]=app@10.0.2.1$i
  done
  for i in 0 1 2; do
    ip netns exec "$PFX-s$S-pod$i" dnsmasq --conf-file=/dev/null --no-resolv --no-hosts --no-poll \
      --bind-interfaces --listen-address=127.0.0.11 --pid-file="$SD/pod$i/dnsmasq.pid" \
      --log-queries --log-facility="$SD/pod$i/dnsmasq.log" \
      --host-record=app,10.0.2.10 --host-record=app,10.0.2.11 --host-record=app,10.0.2.12 \
      >"$SD/pod$i/dnsmasq.out" 2>&1 || die "container $i: dnsmasq did not start: $(cat "$SD/pod$i/dnsmasq.out")"
  done
  pods_boot
  for i in 0 1 2; do start_exec $i start --platform dns --strategy dnscluster --query app --ip-cidr 10.0.2.0/24; done
  wait_nodes
  check_names
  dnspoll_discover 0 app app 20000
  expect_peers_meshed
  local strategy out rc
  for strategy in dnspoll dnscluster; do
    rc=0
    out=$(POD_TIMEOUT=30 pod_run 1 main "$RELNODE_BIN" env --platform dns --strategy $strategy --query app \
      --basename app --dns-wait 2s 2>&1) || rc=$?
    if [ $rc -eq 0 ] && echo "$out" | grep -q "RELEASE_NODE=.*${EXP[1]}"; then
      extra "PASS compose: relnode --strategy $strategy --query app (no --ip-cidr) names the node ${EXP[1]}"
    else
      extra "FAIL compose: relnode --strategy $strategy --query app (no --ip-cidr) names the node ${EXP[1]}, as the resolver answers the single label: exit $rc: $(echo "$out" | tr '\n' '|' | cut -c1-300)"
    fi
  done
}

# ---------------------------------------------------------------- Railway
# Three replicas in a legacy Railway environment (before 2025-10-16): app.railway.internal
# answers AAAA only. Each container has its private IPv6 address (fd00:42::1I/64) and an IPv4
# egress interface holding the default route. Only Railway's variables: relnode detects the
# platform, takes RAILWAY_PRIVATE_DOMAIN as the query and picks the IPv6 address the answer
# lists (never the IPv4 default route's), with -proto_dist inet6_tcp. Pods 0 and 1 ask for
# --strategy dnspoll, pod 2 takes the default off Kubernetes (dnscluster): same names.
sc_railway() {
  cluster_up cluster.local default app
  local i ip
  for i in 0 1 2; do
    ip=fd00:42::1$i
    pod_add $i "railway-replica-$i" "" "$ip"
    egress_add $i "172.18.0.1$i"
    printf 'nameserver %s\n' "$DNS6" >"$SD/pod$i/resolv.conf"
    printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$SD/pod$i/hosts"
    echo "--host-record=app.railway.internal,$ip" >>"$SD/dns.args"
    pod_env $i RAILWAY_PRIVATE_DOMAIN=app.railway.internal RAILWAY_SERVICE_NAME=app
    EXP[$i]=app@$ip
  done
  echo "--local=/railway.internal/" >>"$SD/dns.args"
  dns_start
  pods_boot
  start_exec 0 start --strategy dnspoll
  start_exec 1 start --strategy dnspoll
  start_exec 2 start
  wait_nodes
  check_names
  check_info PROTO inet6_tcp
  dnspoll_discover 0 app.railway.internal app 20000
  expect_peers_meshed
}

# ---------------------------------------------------------------- Render
# Three instances of service `app`: RENDER=true, RENDER_DISCOVERY_SERVICE=app-discovery (one
# label), RENDER_SERVICE_NAME=app, no pod IP. app-discovery resolves only through the
# resolv.conf search list (here `search srv-d2k9.svc.cluster.local ...`; the namespace is made
# up), as Render's Elixir guide relies on: Kubernetes.DNS (getbyname). relnode detects Render,
# looks the query up with the search list and names each node app@<its listed address>; pod 0
# runs the Kubernetes.DNS transcription with Render's guide's config and meshes. Controls: the
# DNSPoll transcription finds nothing for the single label (no search list), and relnode
# refuses --strategy dnspoll with it (exit 2, naming the FQDN to use).
sc_render() {
  cluster_up cluster.local srv-d2k9 app-discovery
  local i ip out rc=0
  for i in 0 1 2; do
    ip=10.42.0.1$i
    pod_add $i "${DEPLOY_HOSTS[$i]}" "$ip" ""
    printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$SD/pod$i/hosts"
    echo "--host-record=app-discovery.srv-d2k9.svc.cluster.local,$ip" >>"$SD/dns.args"
    pod_env $i RENDER=true RENDER_DISCOVERY_SERVICE=app-discovery RENDER_SERVICE_NAME=app
    EXP[$i]=app@$ip
  done
  dns_start
  pods_boot
  for i in 0 1 2; do start_exec $i start; done
  wait_nodes
  check_names
  discover ':dns, [service: "app-discovery", application_name: "app"]' 20000
  expect_cluster
  dnspoll_discover 0 app-discovery app 2000
  if [ -z "$DISCOVERED" ]; then
    extra "PASS render: DNSPoll (no search list) finds nothing for the single-label app-discovery"
  else
    extra "FAIL render: DNSPoll (no search list) finds nothing for the single-label app-discovery: it found '$DISCOVERED'"
  fi
  out=$(POD_TIMEOUT=30 pod_run 1 main "$RELNODE_BIN" env --strategy dnspoll 2>&1) || rc=$?
  if [ $rc -eq 2 ] && echo "$out" | grep -q 'app-discovery'; then
    extra "PASS render: relnode refuses --strategy dnspoll with the single-label query (exit 2)"
  else
    extra "FAIL render: relnode refuses --strategy dnspoll with the single-label query (exit 2): exit $rc: $(echo "$out" | tr '\n' '|' | cut -c1-400)"
  fi
}

scenario "platforms: docker swarm tasks.app, no pod IP (overlay address by answer, peers' subnet, --ip-cidr)" sc_swarm
scenario "platforms: control: swarm tasks named after the default route (docker_gwbridge) do not connect" sc_swarm_gwbridge_control
scenario "platforms: docker compose service name app (a single label the resolver answers)" sc_compose
scenario "platforms: railway legacy environment, IPv6-only app.railway.internal (AAAA), detected" sc_railway
scenario "platforms: render app-discovery through the search list, detected (Kubernetes.DNS)" sc_render
