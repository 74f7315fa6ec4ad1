# relnode check inside the e2e cluster (sourced by tests/e2e/run).
#
# Real: the pods' network namespaces and kubelet-style resolv.conf, dnsmasq as the cluster DNS,
# the running releases and their epmd (reached by `check --peers`). The check's verdicts are
# relnode's reading of libcluster 3.5.0; the clustering itself is proven by the scenarios in run.

# check_in POD ARGS...: `relnode check` in the pod's main container, like kubectl exec;
# sets CHECK_OUT (stdout) and CHECK_RC
check_in() {
  local i=$1
  shift
  CHECK_RC=0
  CHECK_OUT=$(POD_TIMEOUT=30 pod_run "$i" main "$RELNODE_BIN" check "$@" 2>"$SD/pod$i/check.err") || CHECK_RC=$?
  printf '%s\n' "$CHECK_OUT" >"$SD/pod$i/check.out"
}

# expect_line NAME PATTERN: a sub-check passes when the last check's output matches (grep -E)
expect_line() {
  if printf '%s\n' "$CHECK_OUT" | grep -Eq -- "$2"; then
    extra "PASS $1"
  else
    extra "FAIL $1: no line matching '$2' in: $(printf '%s' "$CHECK_OUT" | tr '\n' '|' | cut -c1-600)"
  fi
}

expect_rc() { # NAME CODE
  if [ "$CHECK_RC" = "$2" ]; then
    extra "PASS $1"
  else
    extra "FAIL $1: exit $CHECK_RC, expected $2: $(printf '%s' "$CHECK_OUT" | tr '\n' '|' | cut -c1-600) $(tr '\n' ' ' <"$SD/pod${3:-0}/check.err" 2>/dev/null)"
  fi
}

# StatefulSet web-0..2 running (DNSSRV), and web-3 whose records DNS does not serve yet (a pod
# not ready behind a Service without publishNotReadyAddresses)
sc_check_dnssrv() {
  cluster_up cluster.local shop web web
  local i ip
  for i in 0 1 2; do
    ip=10.42.0.$((10 + i))
    pod_add $i "web-$i" "$ip" ""
    pod_env $i "MY_POD_IP=$ip" MY_POD_NAMESPACE=shop RELNODE_STRATEGY=dnssrv RELNODE_BASENAME=app
    EXP[$i]=app@web-$i.web.shop.svc.cluster.local
  done
  dns_records
  pod_add 3 web-3 10.42.0.13 ""
  pod_env 3 MY_POD_IP=10.42.0.13 MY_POD_NAMESPACE=shop RELNODE_STRATEGY=dnssrv RELNODE_BASENAME=app
  dns_start
  pods_boot
  # web-3 never starts its release: leave it out of the pods the suite waits for
  unset 'POD_HOST[3]'
  for i in 0 1 2; do start_exec $i start; done
  wait_nodes
  check_names
  [ -z "$CHECK_ERR" ] || die "${CHECK_ERR%; }"

  check_in 0 --service web --peers
  expect_rc "check: DNSSRV pod web-0 passes (exit 0)" 0
  expect_line "check: web-0's own FQDN resolves to its IP" '^ok +own-name .*10\.42\.0\.10 \(our IP\)$'
  expect_line "check: libcluster's SRV query lists web-0" '^ok +dnssrv +SRV web\.shop\.svc\.cluster\.local\. '
  expect_line "check: our name is marked among the names dialled" '^  app@web-0\.web\.shop\.svc\.cluster\.local  <- this node$'
  expect_line "check --peers: web-1 answers the handshake under the dialled name" '^ok +peer-node +handshake with app@web-1\.web\.shop\.svc\.cluster\.local: .*answered as app@web-1\.web\.shop\.svc\.cluster\.local on port [0-9]+$'
  expect_line "check --peers: web-2 answers the handshake under the dialled name" '^ok +peer-node +handshake with app@web-2\..*answered as app@web-2\.web\.shop\.svc\.cluster\.local on port [0-9]+$'

  check_in 3 --service web
  expect_rc "check: not-ready pod web-3 fails (exit 1)" 1 3
  expect_line "check: web-3's missing record is explained" '^FAIL +own-name .*NXDOMAIN'
  expect_line "check: web-3 missing from the SRV targets names publishNotReadyAddresses" 'web-3\.web\.shop\.svc\.cluster\.local is not among the targets.*publishNotReadyAddresses'
}

# Kubernetes.DNS pods of a Deployment: the headless Service's A records, and a Service name
# that does not exist
sc_check_dns_strategy() {
  cluster_up cluster.local shop app-headless
  local i ip
  for i in 0 1 2; do
    ip=10.42.0.$((10 + i))
    pod_add $i "${DEPLOY_HOSTS[$i]}" "$ip" ""
    pod_env $i "MY_POD_IP=$ip" MY_POD_NAMESPACE=shop RELNODE_STRATEGY=dns RELNODE_BASENAME=app
    EXP[$i]=app@$ip
  done
  dns_records
  dns_start
  pods_boot
  # no release needed: check asks DNS only (no --peers)
  check_in 1 --service app-headless
  expect_rc "check: Kubernetes.DNS pod passes (exit 0)" 0 1
  expect_line "check: the short Service name resolves through the search list to three pods" '^ok +dns-a +A app-headless .* app-headless\.shop\.svc\.cluster\.local -> (10\.42\.0\.1[012](, )?){3} \(ours among them\)$'
  expect_line "check: app@10.42.0.11 is marked as this node" '^  app@10\.42\.0\.11  <- this node$'

  check_in 1 --service app
  expect_rc "check: a Service name that does not exist fails (exit 1)" 1 1
  expect_line "check: the NXDOMAIN names the Service name as the cause" '^FAIL +dns-a .*NXDOMAIN \(asked app\.shop\.svc\.cluster\.local'
}

scenario "check: DNSSRV StatefulSet passes, with --peers; a not-ready pod fails" sc_check_dnssrv
scenario "check: Kubernetes.DNS passes; a wrong Service name fails" sc_check_dns_strategy

# ---------------------------------------------------------------- check --peers, every shape
# For each shape: three pods named by relnode, `check --peers` in pod 0 proves each peer's
# name by its handshake (PASS); then pod 2's release is restarted under another host form
# of the same basename (the most common way a cluster does not form), and the same check
# names it FAIL with the name the node really answers with (the negative control).

# re TEXT: TEXT as a literal in an extended regex
re() { printf '%s' "$1" | sed 's/[].[\*^$()+?{}|]/\\&/g'; }

# api_up SELECTOR: an HTTPS stand-in for the API server on $DNS4:443 in the cluster netns
# (openssl s_server -WWW: each request path, query included, is a file) answering the
# Endpoints and EndpointSlices lists of the pods for SELECTOR; kubernetes.default.svc
# resolves to it; the service-account directory (token, ca.crt, namespace) is $SD/sa.
api_up() {
  local sel=$1 www=$SD/www q i ip host addrs="" eps="" hostname
  q="labelSelector=$(printf '%s' "$sel" | sed 's/=/%3D/g')"
  mkdir -p "$SD/sa" "$www/api/v1/namespaces/$NSP" "$www/apis/discovery.k8s.io/v1/namespaces/$NSP"
  (
    cd "$SD/sa" || exit 1
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt \
      -days 2 -subj /CN=kubernetes -addext basicConstraints=critical,CA:TRUE \
      -addext keyUsage=critical,keyCertSign &&
      openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout srv.key -out srv.csr \
        -subj /CN=kube-apiserver &&
      printf 'subjectAltName=IP:%s,DNS:kubernetes.default.svc.%s\n' "$DNS4" "$DOMAIN" >ext &&
      openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out srv.crt -days 2 -extfile ext
  ) >"$SD/api.pki.log" 2>&1 || die "cannot make the API server's certificates: $(tail -2 "$SD/api.pki.log")"
  echo "e2e-token" >"$SD/sa/token"
  echo "$NSP" >"$SD/sa/namespace"
  for i in "${!POD_HOST[@]}"; do
    ip=${POD_V4[$i]} host=${POD_HOST[$i]} hostname=""
    [ -z "$STS" ] || hostname="\"hostname\":\"$host\","
    addrs="$addrs${addrs:+,}{\"ip\":\"$ip\",$hostname\"targetRef\":{\"kind\":\"Pod\",\"name\":\"$host\",\"namespace\":\"$NSP\"}}"
    eps="$eps${eps:+,}{\"addresses\":[\"$ip\"],$hostname\"conditions\":{\"ready\":true},\"targetRef\":{\"kind\":\"Pod\",\"name\":\"$host\",\"namespace\":\"$NSP\"}}"
  done
  printf '{"kind":"EndpointsList","apiVersion":"v1","items":[{"metadata":{"name":"%s","namespace":"%s"},"subsets":[{"addresses":[%s]}]}]}\n' \
    "$SVC" "$NSP" "$addrs" >"$www/api/v1/namespaces/$NSP/endpoints?$q"
  printf '{"kind":"EndpointSliceList","apiVersion":"discovery.k8s.io/v1","items":[{"metadata":{"name":"%s-x","namespace":"%s","labels":{"kubernetes.io/service-name":"%s"}},"addressType":"IPv4","endpoints":[%s]}]}\n' \
    "$SVC" "$NSP" "$SVC" "$eps" >"$www/apis/discovery.k8s.io/v1/namespaces/$NSP/endpointslices?$q"
  echo "--host-record=kubernetes.default.svc.$DOMAIN,$DNS4" >>"$SD/dns.args"
  (cd "$www" && exec ip netns exec "$CNS" openssl s_server -WWW -quiet -accept "$DNS4:443" \
    -cert "$SD/sa/srv.crt" -key "$SD/sa/srv.key") >"$SD/api.log" 2>&1 &
}

# restart_as I ARGS...: stop pod I's release (ENTRYPOINT relnode exec ... start) and start
# it again with relnode ARGS
restart_as() {
  local i=$1 pid n
  shift
  pid=$(cat "$SD/pod$i/container.pid")
  kill -TERM "$pid" 2>/dev/null
  for n in $(seq 1 150); do running "$pid" || break; sleep 0.1; done
  running "$pid" && die "pod $i: the release did not stop within 15 s"
  wait "$pid" 2>/dev/null
  # the answer of the release that stopped must not pass for the new one's
  rm -f "$SD/pod$i/info"
  start_exec "$i" start "$@"
  wait_nodes
}

# sc_peers SHAPE: the PASS and the negative control of one shape, as the table below says
declare -A PEERS_SHAPE=(
  #          cluster                            | pods   | env (all pods)                                                            | check args                          | wrong start args                                     | node        | wrong node
  [kubernetes-ip]='cluster.local shop app-headless | deploy | RELNODE_STRATEGY=kubernetes RELNODE_MODE=ip                                  | --selector app=app                  | --mode dns                                           | app@{ip}    | app@{dip}.shop.pod.cluster.local'
  [kubernetes-dns]='cluster.local shop app-headless | deploy | RELNODE_STRATEGY=kubernetes RELNODE_MODE=dns                                | --selector app=app                  | --mode ip                                            | app@{dip}.shop.pod.cluster.local | app@{ip}'
  [kubernetes-hostname]='cluster.local shop db-headless db | sts | RELNODE_STRATEGY=kubernetes RELNODE_MODE=hostname                     | --selector app=app                  | --mode ip                                            | app@{host}.db-headless.shop.svc.cluster.local | app@{ip}'
  [dns]='cluster.local shop app-headless | deploy | RELNODE_STRATEGY=dns RELNODE_SERVICE=app-headless                                 |                                     | --strategy dnssrv --mode dns                         | app@{ip}    | app@{dip}.app-headless.shop.svc.cluster.local'
  [dnssrv-hostname]='cluster.local shop web web | sts | RELNODE_STRATEGY=dnssrv RELNODE_SERVICE=web                                        |                                     | --strategy dns                                       | app@{host}.web.shop.svc.cluster.local | app@{ip}'
  [dnssrv-dns]='cluster.local shop app-headless | deploy | RELNODE_STRATEGY=dnssrv RELNODE_MODE=dns RELNODE_SERVICE=app-headless             |                                     | --strategy dns --mode ip                             | app@{dip}.app-headless.shop.svc.cluster.local | app@{ip}'
)

sc_peers() {
  local shape=$1 cluster kind env args wrong node wrong_node i ip wrong_name
  local -a f
  IFS='|' read -r -a f <<<"${PEERS_SHAPE[$shape]}"
  cluster=$(trim "${f[0]}") kind=$(trim "${f[1]}") env=$(trim "${f[2]}") args=$(trim "${f[3]}")
  wrong=$(trim "${f[4]}") node=$(trim "${f[5]}") wrong_node=$(trim "${f[6]}")
  # shellcheck disable=SC2086 # DOMAIN NAMESPACE SERVICE [STATEFULSET]
  cluster_up $cluster
  for i in 0 1 2; do
    ip=10.42.0.$((10 + i))
    if [ "$kind" = sts ]; then pod_add $i "$STS-$i" "$ip" ""; else pod_add $i "${DEPLOY_HOSTS[$i]}" "$ip" ""; fi
    # shellcheck disable=SC2086 # KEY=VALUE words
    pod_env $i "MY_POD_IP=$ip" MY_POD_NAMESPACE=shop RELNODE_BASENAME=app $env
    EXP[$i]=$(fill "$node" $i)
  done
  [[ $shape != kubernetes-* ]] || {
    api_up app=app
    for i in 0 1 2; do
      pod_env_main $i "KUBERNETES_SERVICE_HOST=$DNS4" KUBERNETES_SERVICE_PORT=443 "RELNODE_SERVICE_ACCOUNT_DIR=$SD/sa"
    done
  }
  dns_records
  dns_start
  pods_boot
  for i in 0 1 2; do start_exec $i start; done
  wait_nodes
  check_names
  [ -z "$CHECK_ERR" ] || die "${CHECK_ERR%; }"

  # shellcheck disable=SC2086 # the shape's check arguments, shell words
  check_in 0 --peers $args
  expect_rc "check --peers ($shape): every peer answers its dialled name (exit 0)" 0
  for i in 1 2; do
    expect_line "check --peers ($shape): pod $i answers the handshake as ${EXP[$i]}" \
      "^ok +peer-node +handshake with $(re "${EXP[$i]}")[: ].* -> answered as $(re "${EXP[$i]}") on port [0-9]+\$"
  done

  # the control: pod 2 runs under another host form of the same basename
  wrong_name=$(fill "$wrong_node" 2)
  # shellcheck disable=SC2086 # relnode arguments, shell words
  restart_as 2 $wrong
  [ "$(info 2 NODE)" = "$wrong_name" ] || die "pod 2 restarted as '$(info 2 NODE)', expected '$wrong_name'"
  # shellcheck disable=SC2086
  check_in 0 --peers $args
  expect_rc "check --peers ($shape) control: a misnamed peer fails the check (exit 1)" 1
  expect_line "check --peers ($shape) control: pod 2 is reported with the name it really has" \
    "^FAIL +peer-node +handshake with $(re "${EXP[2]}")[: ].* -> answered as $(re "$wrong_name") on port [0-9]+, not as $(re "${EXP[2]}")\$"
  expect_line "check --peers ($shape) control: pod 1 still answers as ${EXP[1]}" \
    "^ok +peer-node +handshake with $(re "${EXP[1]}")[: ].* -> answered as $(re "${EXP[1]}") on port"
}

for shape in kubernetes-ip kubernetes-dns kubernetes-hostname dns dnssrv-hostname dnssrv-dns; do
  scenario "check --peers: $shape, and a misnamed peer as its control" "sc_peers $shape"
done
