# relnode simulate against the cluster's own pods: the scenario's pods start with relnode
# (real Erlang nodes), then the suite writes the Endpoints and Pod lists the API server would
# return for them (kubectl get endpoints|pods -o json shapes) and checks that the names
# `relnode simulate` says libcluster dials are exactly the names the nodes run with
# (NODE from `bin/app rpc App.info()`, and EXP), with nothing flagged.

# endpoints_json: the Endpoints object of $SVC for this scenario's pods (ready, so in
# addresses[]); StatefulSet pods carry their hostname, as the endpoints controller sets it
# when spec.subdomain is the Service
endpoints_json() {
  local i sep="" ip
  printf '{"apiVersion":"v1","kind":"List","metadata":{"resourceVersion":""},"items":[{"apiVersion":"v1","kind":"Endpoints",'
  printf '"metadata":{"name":"%s","namespace":"%s","labels":{"app":"app"}},"subsets":[{"addresses":[' "$SVC" "$NSP"
  for i in "${!POD_HOST[@]}"; do
    ip=${POD_V4[$i]:-${POD_V6[$i]}}
    printf '%s{"ip":"%s",' "$sep" "$ip"
    [ -z "$STS" ] || printf '"hostname":"%s",' "${POD_HOST[$i]}"
    printf '"nodeName":"node-%s","targetRef":{"kind":"Pod","name":"%s","namespace":"%s","uid":"uid-%s"}}' "$i" "${POD_HOST[$i]}" "$NSP" "$i"
    sep=,
  done
  printf '],"ports":[{"name":"epmd","port":4369,"protocol":"TCP"}]}]}]}\n'
}

# pods_json: the Pod list (status.podIP, spec.hostname/subdomain for StatefulSet pods)
pods_json() {
  local i sep="" ip
  printf '{"apiVersion":"v1","kind":"List","metadata":{"resourceVersion":""},"items":['
  for i in "${!POD_HOST[@]}"; do
    ip=${POD_V4[$i]:-${POD_V6[$i]}}
    printf '%s{"apiVersion":"v1","kind":"Pod","metadata":{"name":"%s","namespace":"%s","labels":{"app":"app"}},' "$sep" "${POD_HOST[$i]}" "$NSP"
    if [ -n "$STS" ]; then
      printf '"spec":{"hostname":"%s","subdomain":"%s","containers":[{"name":"app","image":"app"}]},' "${POD_HOST[$i]}" "$SVC"
    else
      printf '"spec":{"containers":[{"name":"app","image":"app"}]},'
    fi
    printf '"status":{"phase":"Running","podIP":"%s","podIPs":[{"ip":"%s"}],"conditions":[{"type":"Ready","status":"True"}]}}' "$ip" "$ip"
    sep=,
  done
  printf ']}\n'
}

# simulate_matches LABEL FILE SIMULATE-ARGS...: the dialled names equal the running nodes'
simulate_matches() {
  local label=$1 file=$2 out want got nodes i
  shift 2
  out=$("$RELNODE_BIN" simulate --from "$file" --basename app "$@" 2>&1) ||
    die "$label: relnode simulate $* failed: $out"
  echo "$out" >"$SD/simulate-$label.out"
  got=$(sorted $(echo "$out" | awk '$1 == "dials" { print $2 }'))
  nodes=()
  for i in "${!POD_HOST[@]}"; do nodes+=("$(info "$i" NODE)"); done
  want=$(sorted "${nodes[@]}")
  [ "$got" = "$want" ] || die "$label: simulate says libcluster dials '$got'; the nodes run as '$want'"
  [ "$got" = "$(sorted "${EXP[@]}")" ] || die "$label: simulate says '$got', expected '$(sorted "${EXP[@]}")'"
  if echo "$out" | grep -qE '^ +(problem|why):'; then
    die "$label: simulate flagged an entry of a working cluster: $(echo "$out" | grep -E '^ +(problem|why):' | head -2)"
  fi
  # each node is found by --self, and a name no node has is not
  "$RELNODE_BIN" simulate --from "$file" --basename app "$@" --self "${nodes[0]}" >/dev/null ||
    die "$label: --self ${nodes[0]} was not found among the dialled names"
  if "$RELNODE_BIN" simulate --from "$file" --basename app "$@" --self "app@nobody.invalid" >/dev/null; then
    die "$label: --self app@nobody.invalid was reported as dialled"
  fi
  extra "PASS simulate $label: names equal the running nodes ($got)"
}

sc_simulate_kubernetes_hostname() {
  cluster_up cluster.local shop db-headless db
  local i ip
  for i in 0 1 2; do
    ip=10.42.0.$((10 + i))
    pod_add $i "db-$i" "$ip" ""
    pod_env $i "MY_POD_IP=$ip" MY_POD_NAMESPACE=shop RELNODE_STRATEGY=kubernetes RELNODE_MODE=hostname RELNODE_BASENAME=app
    EXP[$i]=app@db-$i.db-headless.shop.svc.cluster.local
  done
  dns_records
  dns_start
  pods_boot
  for i in 0 1 2; do start_exec $i daemon; done
  wait_nodes
  check_names
  [ -z "$CHECK_ERR" ] || die "${CHECK_ERR%; }"
  endpoints_json >"$SD/endpoints.json"
  pods_json >"$SD/pods.json"
  simulate_matches "kubernetes-hostname endpoints" "$SD/endpoints.json" --mode hostname
  simulate_matches "kubernetes-hostname pods" "$SD/pods.json" --mode hostname --service db-headless
  simulate_matches "dnssrv from the same Endpoints" "$SD/endpoints.json" --strategy dnssrv --cluster-domain cluster.local
}

sc_simulate_kubernetes_dns() {
  cluster_up cluster.local shop app-headless
  local i ip
  for i in 0 1 2; do
    ip=10.42.0.$((10 + i))
    pod_add $i "${DEPLOY_HOSTS[$i]}" "$ip" ""
    pod_env $i "MY_POD_IP=$ip" MY_POD_NAMESPACE=shop RELNODE_STRATEGY=kubernetes RELNODE_MODE=dns
    EXP[$i]=app@$(dash_ip "$ip").shop.pod.cluster.local
  done
  dns_records
  dns_start
  pods_boot
  for i in 0 1 2; do start_init $i daemon --basename app; done
  wait_nodes
  check_names
  [ -z "$CHECK_ERR" ] || die "${CHECK_ERR%; }"
  endpoints_json >"$SD/endpoints.json"
  pods_json >"$SD/pods.json"
  simulate_matches "kubernetes-dns endpoints" "$SD/endpoints.json" --mode dns
  simulate_matches "kubernetes-dns pods" "$SD/pods.json" --mode dns
}

sc_simulate_ipv6_kubernetes_ip() {
  cluster_up cluster.local shop app-headless
  local i ip
  for i in 0 1 2; do
    ip=fd00:42::$((10 + i))
    pod_add $i "${DEPLOY_HOSTS[$i]}" "" "$ip"
    pod_env $i "MY_POD_IP=$ip" MY_POD_NAMESPACE=shop RELNODE_STRATEGY=kubernetes
    EXP[$i]=app@$ip
  done
  dns_records
  dns_start
  pods_boot
  for i in 0 1 2; do start_exec $i daemon --basename app; done
  wait_nodes
  check_names
  [ -z "$CHECK_ERR" ] || die "${CHECK_ERR%; }"
  endpoints_json >"$SD/endpoints.json"
  simulate_matches "ipv6 kubernetes-ip endpoints" "$SD/endpoints.json"
}

scenario "simulate: kubernetes-hostname and DNSSRV names equal the running StatefulSet nodes" sc_simulate_kubernetes_hostname
scenario "simulate: kubernetes-dns names equal the running Deployment nodes" sc_simulate_kubernetes_dns
scenario "simulate: ipv6 kubernetes-ip names equal the running nodes" sc_simulate_ipv6_kubernetes_ip
