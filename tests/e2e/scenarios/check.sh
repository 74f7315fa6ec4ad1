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
