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

scenario "advise: every example's libcluster config has libcluster 3.5.0's keys" sc_advise_libcluster_configs
