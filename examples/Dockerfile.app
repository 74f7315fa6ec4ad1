# syntax=docker/dockerfile:1
#
# An Elixir release image with relnode as its entrypoint (the shape of
# examples/kubernetes/statefulset-dnssrv.yaml). Build from the application's
# repository:
#   docker build -f Dockerfile.app -t ghcr.io/example/myapp:1.0.0 .
#
# The release must source relnode's file, so that `bin/myapp remote|rpc|eval`
# run later with `kubectl exec` get the same node name as `start`:
#   # rel/env.sh.eex
#   if [ -f /run/relnode/env.sh ]; then . /run/relnode/env.sh; fi
# (use `if`, not `[ -f ... ] && . ...`: bin/myapp runs under `set -e`.)

ARG RELNODE_IMAGE=ghcr.io/example/relnode:0.1.0
# Builder and runner must share the Debian release (OpenSSL, ncurses, glibc).
ARG BUILDER_IMAGE=elixir:1.18-otp-27-slim
ARG RUNNER_IMAGE=debian:bookworm-slim

# The relnode image only carries /relnode; name it as a stage so COPY --from
# can use a build argument.
FROM ${RELNODE_IMAGE} AS relnode

FROM ${BUILDER_IMAGE} AS build
ENV MIX_ENV=prod
WORKDIR /app
RUN mix local.hex --force && mix local.rebar --force
COPY mix.exs mix.lock ./
RUN mix deps.get --only prod && mix deps.compile
COPY config config
COPY lib lib
COPY priv priv
COPY rel rel
RUN mix release --path /app/release

FROM ${RUNNER_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends libstdc++6 openssl libncurses6 locales ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && sed -i '/en_US.UTF-8/s/^# //' /etc/locale.gen && locale-gen
ENV LANG=en_US.UTF-8 LC_ALL=en_US.UTF-8
# The one line relnode needs (static binary: no libraries to bring along).
COPY --from=relnode /relnode /usr/local/bin/relnode
COPY --from=build --chown=65534:65534 /app/release /app
WORKDIR /app
# Numeric, so the kubelet can check runAsNonRoot (nobody:nogroup).
USER 65534:65534
# relnode computes RELEASE_DISTRIBUTION/RELEASE_NODE, writes them to
# /run/relnode/env.sh (mount an emptyDir there) and execs the release (same PID).
ENTRYPOINT ["/usr/local/bin/relnode", "exec", "--output", "/run/relnode/env.sh", "--"]
CMD ["/app/bin/myapp", "start"]
