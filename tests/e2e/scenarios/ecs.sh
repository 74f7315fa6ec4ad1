# AWS ECS / Fargate, simulated (issue 17): netns "tasks" in awsvpc mode, each with its own task
# metadata endpoint at 169.254.170.2 (a small HTTP server in the task's network namespace
# answering GET $ECS_CONTAINER_METADATA_URI_V4 with AWS's documented v4 container answer,
# tests/fixtures/ecs/container-awsvpc.json, its addresses replaced by the task's), and Cloud
# Map's DNS as dnsmasq: the service's name app.shop.local answers one A record per task (Cloud
# Map's MULTIVALUE routing for awsvpc tasks). What is emulated: the ECS agent (a Python
# server, in both framings Go's net/http uses: Content-Length and chunked) and Cloud Map
# (dnsmasq). What is real: relnode, the mix release, Erlang distribution, the DNS lookups.
# Livebook cannot be built here (no hex): its variables are proven with plain `erl` started the
# way Livebook's own code reads them (see sc_ecs_livebook).

ECS_FIXTURE=$ROOT/tests/fixtures/ecs/container-awsvpc.json
ECS_AGENT_IP=169.254.170.2
ECS_TASK=8f03e41243824aea923aca126495f665

# the agent: ecs_agent_start I PORT MODE(sized|chunked|silent) [DOC]
ecs_agent_start() {
  local i=$1 port=$2 mode=$3 doc=${4:-$SD/pod$1/metadata.json} pns=$PFX-s$S-pod$1 n
  [ -f "$SD/agent.py" ] || cat >"$SD/agent.py" <<'PY'
import http.server, socket, sys, time
addr, port, path, doc, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
if mode == "silent":
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(16)
    while True:
        time.sleep(3600)
body = open(doc, "rb").read()
class Agent(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        if self.path != path:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if mode == "chunked":
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for at in range(0, len(body), 1000):
                chunk = body[at:at + 1000]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
http.server.HTTPServer((addr, port), Agent).serve_forever()
PY
  ip -n "$pns" addr add $ECS_AGENT_IP/32 dev lo 2>/dev/null
  ip netns exec "$pns" python3 "$SD/agent.py" $ECS_AGENT_IP "$port" "/v4/$ECS_TASK-$i" "$doc" "$mode" \
    >>"$SD/pod$i/agent.log" 2>&1 &
  for n in $(seq 1 50); do
    ip netns exec "$pns" ss -Hltn "sport = :$port" | grep -q . && return 0
    sleep 0.1
  done
  die "pod $i: the metadata endpoint did not listen on $ECS_AGENT_IP:$port"
}

# an awsvpc task's container document: the documented answer, the task's own address in it
ecs_doc() { # I IP MODE
  sed -e "s/10\.0\.2\.100/$2/; s/ip-10-0-2-100/ip-${2//./-}/; s#10\.0\.2\.0/24#10.42.0.0/24#; s#10\.0\.2\.1/24#10.42.0.1/24#" \
    -e "s/\"awsvpc\"/\"$3\"/" "$ECS_FIXTURE" >"$SD/pod$1/metadata.json"
}

# ecs_task I: pod I as an ECS task (awsvpc address 10.42.0.1I, the VPC resolver, ECS's env)
ecs_task() {
  local i=$1 ip=10.42.0.$((10 + $1))
  pod_add "$i" "ip-10-42-0-$((10 + i)).us-west-2.compute.internal" "$ip" ""
  printf 'search us-west-2.compute.internal\nnameserver %s\n' "$DNS4" >"$SD/pod$i/resolv.conf"
  printf '127.0.0.1\tlocalhost\n%s\tip-10-42-0-%s.us-west-2.compute.internal\n' "$ip" $((10 + i)) >"$SD/pod$i/hosts"
  pod_env "$i" "ECS_CONTAINER_METADATA_URI_V4=http://$ECS_AGENT_IP/v4/$ECS_TASK-$i" \
    "ECS_CONTAINER_METADATA_URI=http://$ECS_AGENT_IP/v3/$ECS_TASK-$i" \
    AWS_EXECUTION_ENV=AWS_ECS_FARGATE AWS_REGION=us-west-2
  echo "--host-record=app.shop.local,$ip" >>"$SD/dns.args"
  ecs_doc "$i" "$ip" awsvpc
}

# three awsvpc tasks, relnode as ENTRYPOINT with no naming input but the Cloud Map name: it
# detects ECS, reads the endpoint and names app@<task IP>; dns_cluster's poll (transcribed)
# over app.shop.local meshes them; `relnode check` reads the metadata, then the query
sc_ecs_awsvpc() {
  cluster_up cluster.local shop app
  local i out
  for i in 0 1 2; do
    ecs_task $i
    pod_env $i DNS_CLUSTER_QUERY=app.shop.local
    EXP[$i]=app@10.42.0.$((10 + i))
  done
  echo "--local=/shop.local/" >>"$SD/dns.args"
  dns_start
  pods_boot
  for i in 0 1 2; do
    if [ $i -eq 1 ]; then ecs_agent_start $i 80 chunked; else ecs_agent_start $i 80 sized; fi
  done
  for i in 0 1 2; do start_exec $i start; done
  wait_nodes
  check_names
  dnscluster_discover 0 20000
  [ "$QUERY" = app.shop.local ] || CHECK_ERR="${CHECK_ERR}the release's DNS_CLUSTER_QUERY is '$QUERY', expected 'app.shop.local'; "
  expect_cluster
  # as `kubectl exec` would run it: the basename given (exec took it from bin/app)
  out=$(POD_TIMEOUT=30 pod_run 1 main "$RELNODE_BIN" check --basename app 2>&1) && rc=0 || rc=$?
  echo "relnode check: exit $rc: $out"
  if [ "$rc" -eq 0 ] && echo "$out" | grep -q "ecs-metadata.*task address 10.42.0.11" &&
    echo "$out" | grep -q 'dnscluster-query.*ours among them'; then
    extra "PASS ecs: relnode check reads the task metadata, then finds the task among app.shop.local's answers"
  else
    extra "FAIL ecs: relnode check: exit $rc: $(echo "$out" | tr '\n' '|' | cut -c1-400)"
  fi
}

# ecs_refused LABEL WANT_RC SAYS ENV...: `relnode exec -- bin/app start` in pod 0 with ENV added
# exits WANT_RC within 3 s, saying SAYS, and the release is never started
ecs_refused() {
  local label=$1 want=$2 says=$3 t0 ms out rc
  shift 3
  t0=$(date +%s%N)
  out=$(POD_TIMEOUT=20 pod_run 0 main env "$@" "$RELNODE_BIN" exec -- "$APP" start 2>&1) && rc=0 || rc=$?
  ms=$((($(date +%s%N) - t0) / 1000000))
  echo "$label: exit $rc after $ms ms: $out"
  if [ "$rc" -eq "$want" ] && [ "$ms" -lt 3000 ] && echo "$out" | grep -qF -- "$says" &&
    ! POD_TIMEOUT=5 pod_run 0 main "$EPMD" -names 2>/dev/null | grep -q '^name '; then
    extra "PASS ecs refuses: $label (exit $rc in $ms ms)"
  else
    extra "FAIL ecs refuses: $label: exit $rc (want $want) in $ms ms: $(echo "$out" | tr '\n' '|' | cut -c1-300)"
  fi
}

# bridge and host network mode refuse (exit 2, saying why); an endpoint that accepts and
# never answers, and one that cannot be reached, are exit 3 within the 2 s bound
sc_ecs_refusals() {
  cluster_up cluster.local shop app
  ecs_task 0
  ecs_doc 0 172.17.0.2 bridge
  cp "$SD/pod0/metadata.json" "$SD/pod0/bridge.json"
  ecs_doc 0 10.42.0.10 host
  cp "$SD/pod0/metadata.json" "$SD/pod0/host.json"
  dns_start
  pods_boot
  ecs_agent_start 0 80 sized "$SD/pod0/bridge.json"
  ecs_agent_start 0 81 sized "$SD/pod0/host.json"
  ecs_agent_start 0 82 silent
  local u=http://$ECS_AGENT_IP
  ecs_refused "bridge mode" 2 "Docker bridge" "ECS_CONTAINER_METADATA_URI_V4=$u:80/v4/$ECS_TASK-0"
  ecs_refused "host mode" 2 "instance's private address explicitly with --pod-ip" "ECS_CONTAINER_METADATA_URI_V4=$u:81/v4/$ECS_TASK-0"
  ecs_refused "a silent endpoint" 3 "GET $u:82/v4/$ECS_TASK-0 (ECS_CONTAINER_METADATA_URI_V4) failed: no complete answer within 2 s" \
    "ECS_CONTAINER_METADATA_URI_V4=$u:82/v4/$ECS_TASK-0"
  ecs_refused "an unreachable endpoint" 3 "GET http://169.254.170.9/v4/x (ECS_CONTAINER_METADATA_URI_V4) failed" \
    "ECS_CONTAINER_METADATA_URI_V4=http://169.254.170.9/v4/x"
  # a given pod IP wins: the bridge endpoint is not read, the release starts
  local out asked
  asked=$(grep -c 'GET ' "$SD/pod0/agent.log")
  out=$(POD_TIMEOUT=20 pod_run 0 main env "ECS_CONTAINER_METADATA_URI_V4=$u:80/v4/$ECS_TASK-0" MY_POD_IP=10.42.0.10 \
    RELNODE_BASENAME=app "$RELNODE_BIN" env --format dotenv 2>&1)
  if echo "$out" | grep -qx 'RELEASE_NODE=app@10.42.0.10' && [ "$(grep -c 'GET ' "$SD/pod0/agent.log")" = "$asked" ]; then
    extra "PASS ecs: a given MY_POD_IP wins and the endpoint is not asked"
  else
    extra "FAIL ecs: a given MY_POD_IP: $(echo "$out" | tr '\n' '|') / $(tr '\n' '|' <"$SD/pod0/agent.log")"
  fi
}

# Livebook on ECS, as far as this machine allows: Livebook's release cannot be built here (no
# hex), so plain `erl` stands in for it, started the way Livebook's code reads the variables
# relnode writes (lib/livebook.ex, lib/livebook/application.ex, rel/server/vm.args.eex):
# LIVEBOOK_NODE -> Node.start(name, :longnames); LIVEBOOK_COOKIE -> Node.set_cookie;
# LIVEBOOK_CLUSTER "dns:" <> query -> dns_cluster's poll of the query (A and AAAA,
# <basename>@<ip>); distribution on port 13825 (`-kernel inet_dist_listen_min 13825`).
# relnode runs with --target livebook --ecs-basename deploy: every task is
# livebook-<sha1 of "<ImageID>\n", 10 hex>@<task IP>, Livebook's own ECS name.
sc_ecs_livebook() {
  cluster_up cluster.local shop livebook
  local i n out deploy peers image_id
  # Livebook's rel/server/env.sh.eex: deployment="$(echo $image_id | shasum | cut -c 1-10)"
  image_id=$(sed -n 's/.*"ImageID": "\(.*\)".*/\1/p' "$ECS_FIXTURE")
  deploy=$(echo $image_id | sha1sum | cut -c 1-10)
  echo "lbcookie-e2e" >"$SD/cookie"
  for i in 0 1 2; do
    ecs_task $i
    sed -i 's/app\.shop\.local/livebook.shop.local/' "$SD/dns.args"
    pod_env $i RELNODE_TARGET=livebook RELNODE_ECS_BASENAME=deploy RELNODE_QUERY=livebook.shop.local \
      DNS_CLUSTER_QUERY=livebook.shop.local "RELNODE_COOKIE_FILE=$SD/cookie"
    EXP[$i]=livebook-$deploy@10.42.0.$((10 + i))
  done
  echo "--local=/shop.local/" >>"$SD/dns.args"
  dns_start
  pods_boot
  local erl_eval='
    Node = list_to_atom(os:getenv("LIVEBOOK_NODE")),
    "dns:" ++ Query = os:getenv("LIVEBOOK_CLUSTER"),
    {ok, _} = net_kernel:start(Node, #{name_domain => longnames}),
    erlang:set_cookie(list_to_atom(os:getenv("LIVEBOOK_COOKIE"))),
    [Base, _] = string:split(atom_to_list(node()), "@"),
    Names = fun() -> lists:usort([list_to_atom(Base ++ "@" ++ inet:ntoa(A)) || T <- [a, aaaa], {ok, {hostent, _, _, _, _, As}} <- [inet_res:getbyname(Query, T)], A <- As]) end,
    Poll = fun P(0) -> ok; P(N) -> Want = Names() -- [node()], [net_kernel:connect_node(W) || W <- Want], case Want -- nodes() of [] -> ok; _ -> timer:sleep(500), P(N - 1) end end,
    Poll(60),
    {port, Port, _} = erl_epmd:port_please(Base, {127, 0, 0, 1}),
    io:format("NODE ~s~nPORT ~p~nCLUSTER ~s~nCONNECTED ~s~n", [node(), Port, Query, string:join(lists:sort([atom_to_list(X) || X <- nodes()]), " ")]),
    receive stop -> ok end.'
  for i in 0 1 2; do
    POD_TIMEOUT=10 pod_run $i main "$EPMD" -daemon
    ecs_agent_start $i 80 sized
    pod_spawn $i main "$RELNODE_BIN" exec -- erl -noshell -kernel inet_dist_listen_min 13825 inet_dist_listen_max 13825 -eval "$erl_eval"
  done
  for i in 0 1 2; do
    for n in $(seq 1 60); do grep -q '^CONNECTED' "$SD/pod$i/container.log" && break; sleep 0.5; done
    out=$(cat "$SD/pod$i/container.log")
    [ "$(echo "$out" | sed -n 's/^NODE //p')" = "${EXP[$i]}" ] ||
      CHECK_ERR="${CHECK_ERR}pod $i is named '$(echo "$out" | sed -n 's/^NODE //p')', expected '${EXP[$i]}': $(echo "$out" | tail -3 | tr '\n' ' '); "
    [ "$(echo "$out" | sed -n 's/^PORT //p')" = 13825 ] || CHECK_ERR="${CHECK_ERR}pod $i listens on '$(echo "$out" | sed -n 's/^PORT //p')', not 13825; "
    peers=$(sorted $(printf '%s\n' "${EXP[@]}" | grep -vx "${EXP[$i]}"))
    [ "$(echo "$out" | sed -n 's/^CONNECTED //p')" = "$peers" ] ||
      CHECK_ERR="${CHECK_ERR}pod $i is connected to '$(echo "$out" | sed -n 's/^CONNECTED //p')', expected '$peers'; "
  done
  [ -z "$CHECK_ERR" ] || die "${CHECK_ERR%; }"
  # check --peers under target livebook handshakes at 13825 directly (its default --dist-port)
  out=$(POD_TIMEOUT=30 pod_run 1 main "$RELNODE_BIN" check --peers 2>&1) && rc=0 || rc=$?
  echo "relnode check --peers: exit $rc: $out"
  if [ "$rc" -eq 0 ] && echo "$out" | grep -q '13825'; then
    extra "PASS ecs livebook: relnode check --peers handshakes with each task at 13825"
  else
    extra "FAIL ecs livebook: relnode check --peers: exit $rc: $(echo "$out" | tr '\n' '|' | cut -c1-400)"
  fi
}

scenario "ecs awsvpc tasks (metadata endpoint v4, Cloud Map A records, dns_cluster)" sc_ecs_awsvpc
scenario "ecs refusals (bridge, host, silent and unreachable endpoint)" sc_ecs_refusals
scenario "ecs livebook (plain erl as Livebook reads LIVEBOOK_*, port 13825)" sc_ecs_livebook
