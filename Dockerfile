# syntax=docker/dockerfile:1
#
# relnode image: a static musl binary at /relnode in an otherwise empty image.
#
# Two uses (see examples/):
#   1. as an init container (the ENTRYPOINT is /relnode, pass the subcommand as args):
#        image: <registry>/relnode:<version>
#        args: ["render", "--output", "/run/relnode/env.sh"]
#   2. as a source of the binary for an application image:
#        COPY --from=<registry>/relnode:<version> /relnode /usr/local/bin/relnode
#
# Build:  docker build -t relnode .
# Multi-arch (amd64 -> x86_64-unknown-linux-musl, arm64 -> aarch64-unknown-linux-musl;
# the builder runs natively on the build machine and cross-compiles, linking aarch64
# with the rust-lld that ships with Rust: no QEMU):
#         docker buildx build --platform linux/amd64,linux/arm64 -t <registry>/relnode:<version> --push .
# Needs BuildKit (the default builder since Docker 23) for the cache mounts.

ARG RUST_VERSION=1.95

FROM --platform=$BUILDPLATFORM rust:${RUST_VERSION}-slim AS builder
ARG TARGETARCH
WORKDIR /src
ENV CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER=rust-lld
# One dependency compiles C: ring, the crypto of `relnode check`'s TLS client (feature
# `check`, on by default). Its C and assembly are freestanding, so a plain C compiler for
# the target is enough: musl-gcc for x86_64, Debian's aarch64 cross gcc for arm64 (the
# link is still rust-lld's). `--no-default-features --features completions,man` builds
# without `check` and needs no C compiler at all.
ENV CC_aarch64_unknown_linux_musl=aarch64-linux-gnu-gcc
RUN set -eu; \
    case "${TARGETARCH:-amd64}" in \
      amd64) target=x86_64-unknown-linux-musl; cc=musl-tools ;; \
      arm64) target=aarch64-unknown-linux-musl; cc=gcc-aarch64-linux-gnu ;; \
      *) echo "unsupported TARGETARCH=${TARGETARCH}" >&2; exit 1 ;; \
    esac; \
    apt-get update -qq; \
    apt-get install -y -qq --no-install-recommends "$cc" >/dev/null; \
    rm -rf /var/lib/apt/lists/*; \
    rustup target add "$target"; \
    echo "$target" > /target
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    set -eu; target=$(cat /target); \
    cargo build --release --target "$target" --locked; \
    install -D -m 0755 "target/$target/release/relnode" /out/relnode; \
    case "$(uname -m)/$target" in \
      x86_64/x86_64-*|aarch64/aarch64-*) /out/relnode --help >/dev/null ;; \
    esac

FROM scratch
COPY --from=builder /out/relnode /relnode
# Any non-root uid works; 65532 is the conventional "nonroot" of distroless.
USER 65532:65532
ENTRYPOINT ["/relnode"]
CMD ["--help"]
