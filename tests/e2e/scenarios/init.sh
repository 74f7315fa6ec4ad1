# shellcheck shell=bash
# `relnode exec --init` as the container's PID 1 (issue 11), with the real release.
#
# Each container here also gets its own PID namespace, as a container runtime gives it:
# `unshare --pid --fork --mount-proc` inside the pod's network/mount/UTS namespaces, so the
# container's first process is PID 1 and its /proc shows only the container. Commands "in the
# container" (rpc, ps-like looks at /proc) join that PID namespace with nsenter, as
# `kubectl exec` does.

# init_spawn I [relnode exec args...]: the container of pod I, in a new PID namespace:
# `relnode exec --output /run/relnode/env.sh ARGS -- bin/app start`, in the background.
# container.pid holds unshare's PID (nsenter execs it); relnode is its only child.
init_spawn() {
  local i=$1 f=$NSFILES/s$S-pod$1
  shift
  local -a e
  mapfile -t e <"$SD/pod$i/env.main"
  nsenter --net="/run/netns/$PFX-s$S-pod$i" --mount="$f.mnt" --uts="$f.uts" \
    -- unshare --pid --fork --mount-proc --kill-child \
    -- env -i "${e[@]}" "$RELNODE_BIN" exec --output /run/relnode/env.sh "$@" -- "$APP" start \
    >>"$SD/pod$i/container.log" 2>&1 &
  echo $! >"$SD/pod$i/container.pid"
}

# the container's PID 1, as this (the node's) PID namespace numbers it
init_pid1() {
  local parent i f
  parent=$(cat "$SD/pod$1/container.pid")
  for i in $(seq 1 100); do
    # the process whose parent is unshare
    for f in /proc/[0-9]*/status; do
      if grep -q "^PPid:[[:space:]]*$parent\$" "$f" 2>/dev/null; then
        f=${f#/proc/}
        echo "${f%/status}"
        return 0
      fi
    done
    sleep 0.1
  done
  die "pod $1: no container process under unshare $parent"
}

# in_container I CMD...: run CMD inside pod I's container (its PID namespace too), with the
# container's environment, bounded by POD_TIMEOUT seconds
in_container() {
  local i=$1 pid1
  shift
  pid1=$(init_pid1 "$i") || exit 1
  local -a e
  mapfile -t e <"$SD/pod$i/env.main"
  timeout -k 5 "${POD_TIMEOUT:-60}" nsenter --target "$pid1" --pid --mount --net --uts \
    -- env -i "${e[@]}" "$@"
}

# zombies I: "PID COMM" of every process in state Z in pod I's container, one per line
zombies() {
  # shellcheck disable=SC2016
  in_container "$1" sh -c '
    for f in /proc/[0-9]*/status; do
      grep -q "^State:[[:space:]]*Z" "$f" 2>/dev/null || continue
      d=${f%/status}
      echo "${d#/proc/} $(cat "$d/comm" 2>/dev/null)"
    done'
}

# the parent (PPid) of the process named COMM in pod I's container, or nothing
ppid_of() { # I COMM
  # shellcheck disable=SC2016
  in_container "$1" sh -c '
    for f in /proc/[0-9]*/comm; do
      [ "$(cat "$f" 2>/dev/null)" = "$1" ] || continue
      sed -n "s/^PPid:[[:space:]]*//p" "${f%/comm}/status"
      exit 0
    done' sh "$2"
}

# orphan_and_rpcs I: what a running node does that leaves orphans behind: the node runs a
# shell that backgrounds a short sleep and exits (the sleep is orphaned inside the
# container), then three `bin/app rpc` calls from inside the container; then waits for the
# sleep to have ended
orphan_and_rpcs() {
  local i=$1 n
  POD_TIMEOUT=30 in_container "$i" "$APP" rpc 'System.cmd("sh", ["-c", "sleep 0.5 >/dev/null 2>&1 &"])' \
    >>"$SD/pod$i/rpc.log" 2>&1 || die "pod $i: rpc System.cmd failed: $(tail -3 "$SD/pod$i/rpc.log" | tr '\n' ' ')"
  for n in 1 2 3; do
    POD_TIMEOUT=30 in_container "$i" "$APP" rpc 'App.info()' >>"$SD/pod$i/rpc.log" 2>&1 ||
      die "pod $i: rpc $n failed: $(tail -3 "$SD/pod$i/rpc.log" | tr '\n' ' ')"
  done
  sleep 1
}

# SIGTERM to the container's PID 1, as the kubelet sends it; the container's exit status
# (unshare passes on its child's) in $STOPPED, or die after 30 s
stop_container() {
  local i=$1 unshare pid1 n
  unshare=$(cat "$SD/pod$i/container.pid")
  pid1=$(init_pid1 "$i") || exit 1
  note "pod $i: SIGTERM to PID 1 ($pid1)"
  kill -TERM "$pid1"
  for n in $(seq 1 300); do
    kill -0 "$unshare" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$unshare" 2>/dev/null && die "pod $i: the container did not stop within 30 s of SIGTERM: $(tail -3 "$SD/pod$i/container.log" | tr '\n' ' ')"
  wait "$unshare"
  STOPPED=$?
}

# pod 0: `relnode exec --init -- bin/app start` as PID 1; pod 1, the control: plain
# `relnode exec -- bin/app start`, where the BEAM itself is PID 1
sc_init_pid1() {
  cluster_up cluster.local shop app-headless
  local i ip
  for i in 0 1; do
    ip=10.42.0.$((10 + i))
    pod_add $i "${DEPLOY_HOSTS[$i]}" "$ip" ""
    pod_env $i "MY_POD_IP=$ip" MY_POD_NAMESPACE=shop RELNODE_STRATEGY=kubernetes
    EXP[$i]=app@$ip
  done
  dns_records
  dns_start
  pods_boot
  init_spawn 0 --init
  init_spawn 1
  wait_nodes
  check_names
  [ -z "$CHECK_ERR" ] || die "${CHECK_ERR%; }"

  # who is who: relnode is PID 1 and the BEAM its child; epmd (`-daemon` forks) was adopted
  local comm beam epmd
  comm=$(in_container 0 cat /proc/1/comm)
  [ "$comm" = relnode ] || die "pod 0: PID 1 is '$comm', expected relnode"
  beam=$(ppid_of 0 beam.smp)
  [ "$beam" = 1 ] || die "pod 0: beam.smp's parent is '$beam', expected relnode (PID 1)"
  epmd=$(ppid_of 0 epmd)
  [ "$epmd" = 1 ] || die "pod 0: epmd's parent is '$epmd', expected PID 1"

  orphan_and_rpcs 0
  local left
  left=$(zombies 0)
  note "pod 0 zombies: ${left:-none}"
  [ -z "$left" ] || die "pod 0 (exec --init): zombies remain after the rpc calls: $(echo "$left" | tr '\n' ' ')"

  # control: the BEAM as PID 1 does not reap. It ignores SIGCHLD, so the kernel discards its
  # own children as they exit, but `epmd -daemon`'s first process, which exits while erlexec
  # starts, stays <defunct> for the life of the container. This is the bug --init fixes, and
  # it shows that the zombie check above can see one.
  comm=$(in_container 1 cat /proc/1/comm)
  orphan_and_rpcs 1
  left=$(zombies 1)
  note "pod 1 zombies: ${left:-none}"
  if [ "$comm" != beam.smp ]; then
    extra "FAIL control: the BEAM as PID 1 leaves a zombie: PID 1 of the plain exec container is '$comm'"
  elif [ -n "$left" ]; then
    extra "PASS control: the BEAM as PID 1 (plain exec) leaves a zombie ($(echo "$left" | tr '\n' ' ' | sed 's/ $//'))"
  else
    extra "FAIL control: the BEAM as PID 1 leaves a zombie: none seen"
  fi

  # SIGTERM: relnode passes it on, the BEAM runs init:stop() (OTP's erl_signal_handler logs
  # the line below first), and relnode exits with the BEAM's status, 0
  stop_container 0
  grep -q 'SIGTERM received - shutting down' "$SD/pod0/container.log" ||
    die "pod 0: no 'SIGTERM received - shutting down' in the node's log: $(tail -3 "$SD/pod0/container.log" | tr '\n' ' ')"
  [ "$STOPPED" -eq 0 ] || die "pod 0: relnode exited $STOPPED after SIGTERM, expected 0: $(tail -3 "$SD/pod0/container.log" | tr '\n' ' ')"
  note "pod 0 stopped cleanly"
}

scenario "exec --init as PID 1 (SIGTERM stops the node, orphans reaped)" sc_init_pid1
