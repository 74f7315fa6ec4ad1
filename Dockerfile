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
# `check`, on by default). Its C and assembly are freestanding, so Debian's gcc for the
# target's architecture is enough: the native gcc when build and target match, the
# gcc-<arch>-linux-gnu cross compiler otherwise; cargo hears of it through
# CC_<target> (the link stays rust-lld's / Rust's own). A build with
# `--no-default-features --features completions,man,tools` (no `check`) compiles no C.
RUN set -eu; \
    case "${TARGETARCH:-amd64}" in \
      amd64) target=x86_64-unknown-linux-musl; gnu=x86_64-linux-gnu; pkg=gcc-x86-64-linux-gnu ;; \
      arm64) target=aarch64-unknown-linux-musl; gnu=aarch64-linux-gnu; pkg=gcc-aarch64-linux-gnu ;; \
      *) echo "unsupported TARGETARCH=${TARGETARCH}" >&2; exit 1 ;; \
    esac; \
    if ! command -v "$gnu-gcc" >/dev/null; then \
      apt-get update -qq; \
      apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null; \
      rm -rf /var/lib/apt/lists/*; \
    fi; \
    rustup target add "$target"; \
    echo "$target" > /target; \
    echo "$gnu-gcc" > /target-cc
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    set -eu; target=$(cat /target); \
    export "CC_$(echo "$target" | tr - _)=$(cat /target-cc)"; \
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
