# relnode advise: the libcluster config of every examples/<shape>/ folder (and of every
# branch advise has, printed afresh) is evaluated by the suite's release with Elixir's own
# Config.Reader and checked against libcluster 3.5.0's option names (LibclusterOptions,
# tests/e2e/app/lib/libcluster_options.ex: a transcription of libcluster's keys, not
# libcluster itself), so a misspelt key fails. A copy with one key misspelt must fail too.

# check_config FILE: run the check inside the release (bin/app eval), like a release would
check_config() {
  env -i PATH="$PATH" HOME=/root LANG=C.UTF-8 RELEASE_TMP="$SD/tmp" \
    timeout -k 5 60 "$APP" eval "LibclusterOptions.check!(\"$1\")" >>"$SD/check.log" 2>&1
}

sc_advise_libcluster_configs() {
  mkdir -p "$SD/tmp"
  local f n=0 dir answers
  for f in "$ROOT"/examples/*/libcluster.exs; do
    [ -f "$f" ] || die "no examples/*/libcluster.exs in $ROOT"
    check_config "$f" || die "$f: $(tail -3 "$SD/check.log" | tr '\n' ' ')"
    n=$((n + 1))
  done
  [ "$n" -ge 5 ] || die "only $n example configs found"
  # every branch of the tree, printed today (not only the committed copies)
  n=0
  while read -r answers; do
    n=$((n + 1))
    dir=$SD/advise$n
    # shellcheck disable=SC2086
    "$RELNODE_BIN" advise $answers --app shop --output "$dir" </dev/null >>"$SD/check.log" 2>&1 ||
      die "relnode advise $answers failed: $(tail -2 "$SD/check.log" | tr '\n' ' ')"
    check_config "$dir/libcluster.exs" || die "advise $answers: $(tail -3 "$SD/check.log" | tr '\n' ' ')"
  done <<'ANSWERS'
--service-account yes --workload deployment
--service-account yes --workload deployment --ip-family ipv6
--service-account yes --workload statefulset
--service-account yes --workload statefulset --cluster-domain k8s.example.org
--service-account no --workload deployment
--service-account no --workload deployment --ip-family dual
--service-account no --workload deployment --ip-family ipv6
--service-account no --workload statefulset --cluster-domain k8s.local
ANSWERS
  # control: the check fails on a misspelt key and on an unknown mode
  sed 's/kubernetes_selector:/kubernetes_selctor:/' "$ROOT/examples/kubernetes-ip/libcluster.exs" >"$SD/typo.exs"
  if check_config "$SD/typo.exs"; then
    extra "FAIL advise: a libcluster config with kubernetes_selctor passed the check"
  elif grep -q 'has no option :kubernetes_selctor' "$SD/check.log"; then
    extra "PASS advise: a misspelt libcluster key fails the check"
  else
    extra "FAIL advise: the misspelt key failed for another reason: $(tail -2 "$SD/check.log" | tr '\n' ' ')"
  fi
  sed 's/mode: :hostname/mode: :hostnme/' "$ROOT/examples/kubernetes-hostname/libcluster.exs" >"$SD/mode.exs"
  if check_config "$SD/mode.exs"; then
    extra "FAIL advise: a libcluster config with mode :hostnme passed the check"
  else
    extra "PASS advise: an unknown mode fails the check"
  fi
}

# -- advise's setup, applied ----------------------------------------------------------
# Each pod gets what advise's kubernetes.yaml gives the container (its literal RELNODE_* and
# CLUSTER_DOMAIN values, plus the downward-API MY_POD_IP/MY_POD_NAMESPACE), relnode runs as
# the ENTRYPOINT or init container advise describes, and pod 0 runs discovery with advise's
# own libcluster.exs (LibclusterOptions.Applied: the suite's transcribed Discovery, fed that
# config). The node names must be the ones advise promised, and the cluster must form.

# advise_for ARGS...: run advise into $SD/advice
advise_for() {
  "$RELNODE_BIN" advise "$@" --app app --namespace shop --output "$SD/advice" </dev/null >"$SD/advise.log" 2>&1 ||
    die "relnode advise $* failed: $(tail -2 "$SD/advise.log" | tr '\n' ' ')"
}

# the container env advise wrote: literal values of RELNODE_* and CLUSTER_DOMAIN
advised_env() {
  awk '$1 == "-" && $2 == "name:" { n = $3; next }
       n != "" && $1 == "value:" { v = $2; gsub(/"/, "", v); if (n ~ /^(RELNODE_|CLUSTER_DOMAIN$)/) print n "=" v }
       { n = "" }' "$SD/advice/kubernetes.yaml"
}

discover_advised() { # TIMEOUT_MS [EXTRA-KEYWORDS]
  note "discover with advise's libcluster.exs"
  POD_TIMEOUT=90 pod_run 0 main "$APP" rpc "LibclusterOptions.Applied.discover(\"$SD/advice/libcluster.exs\", [${2:-}], $1)" \
    >"$SD/discovery" 2>"$SD/discovery.err" || die "discovery rpc failed: $(tail -3 "$SD/discovery.err" | tr '\n' ' ')"
  DISCOVERED=$(sed -n 's/^DISCOVERED //p' "$SD/discovery")
  CONNECTED=$(sed -n 's/^CONNECTED //p' "$SD/discovery")
  note "discovered: $DISCOVERED; connected: $CONNECTED"
}

# pods_from_advice HOST-PREFIX|deploy v4|v6: three pods with advise's env
pods_from_advice() {
  local i ip host env
  mapfile -t env < <(advised_env)
  [ "${#env[@]}" -ge 2 ] || die "no RELNODE_* env found in advise's kubernetes.yaml"
  for i in 0 1 2; do
    if [ "$1" = deploy ]; then host=${DEPLOY_HOSTS[$i]}; else host=$1-$i; fi
    if [ "$2" = v4 ]; then ip=10.42.0.$((10 + i)); pod_add $i "$host" "$ip" ""; else ip=fd00:42::$((10 + i)); pod_add $i "$host" "" "$ip"; fi
    pod_env $i "MY_POD_IP=$ip" MY_POD_NAMESPACE=shop "${env[@]}"
  done
}

# the node name advise's advice.txt promises for pod 0 ("node names like ...")
promised() { sed -n 's/.*(node names like \(.*\))$/\1/p' "$SD/advice/advice.txt"; }

sc_advise_applied_dnssrv() {
  cluster_up cluster.local shop app-headless app
  advise_for --service-account no --workload statefulset
  pods_from_advice app v4
  local i
  for i in 0 1 2; do EXP[$i]=app@app-$i.app-headless.shop.svc.cluster.local; done
  [ "$(promised)" = "${EXP[0]}" ] || die "advise promised '$(promised)', expected '${EXP[0]}'"
  dns_records
  dns_start
  pods_boot
  for i in 0 1 2; do start_exec $i start; done
  wait_nodes
  check_names
  discover_advised 20000
  expect_cluster
}

sc_advise_applied_dns() {
  cluster_up cluster.local shop app-headless
  advise_for --service-account no --workload deployment
  pods_from_advice deploy v4
  local i
  for i in 0 1 2; do EXP[$i]=app@10.42.0.$((10 + i)); done
  dns_records
  dns_start
  pods_boot
  for i in 0 1 2; do start_init $i start; done
  wait_nodes
  check_names
  discover_advised 20000
  expect_cluster
}

sc_advise_applied_kubernetes_hostname() {
  cluster_up cluster.local shop app-headless app
  advise_for --service-account yes --workload statefulset
  pods_from_advice app v4
  local i
  for i in 0 1 2; do
    EXP[$i]=app@app-$i.app-headless.shop.svc.cluster.local
    endpoint "10.42.0.$((10 + i))" "app-$i" shop
  done
  [ "$(promised)" = "${EXP[0]}" ] || die "advise promised '$(promised)', expected '${EXP[0]}'"
  dns_records
  dns_start
  pods_boot
  for i in 0 1 2; do start_exec $i daemon; done
  wait_nodes
  check_names
  discover_advised 20000 "endpoints_file: '$SD/endpoints'"
  expect_cluster
}

sc_advise_applied_dnssrv_ipv6_deployment() {
  cluster_up cluster.local shop app-headless
  advise_for --service-account no --workload deployment --ip-family ipv6
  pods_from_advice deploy v6
  local i
  for i in 0 1 2; do EXP[$i]=app@fd00-42--$((10 + i)).app-headless.shop.svc.cluster.local; done
  dns_records
  dns_start
  pods_boot
  for i in 0 1 2; do start_exec $i start; done
  wait_nodes
  check_names
  check_info PROTO inet6_tcp
  discover_advised 20000
  expect_cluster
}

scenario "advise: every example's libcluster config has libcluster 3.5.0's keys" sc_advise_libcluster_configs
scenario "advise applied: StatefulSet, no service account (DNSSRV) clusters" sc_advise_applied_dnssrv
scenario "advise applied: Deployment, no service account (Kubernetes.DNS, init container) clusters" sc_advise_applied_dns
scenario "advise applied: StatefulSet with a service account (Kubernetes :hostname) clusters" sc_advise_applied_kubernetes_hostname
scenario "advise applied: IPv6 Deployment, no service account (DNSSRV mode dns) clusters" sc_advise_applied_dnssrv_ipv6_deployment
