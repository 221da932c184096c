# Ovation server image: a static binary on Alpine, running as an unprivileged
# user, its database on the /data volume.
#
#   docker build -t ovation .
#   docker run -p 8080:8080 -v ovation-data:/data --stop-timeout 30 ovation
#
# Settings are OVATION_* environment variables (README, Configuration), or a
# config file mounted at /etc/ovation/config.yaml (the working directory).
#
# Why Alpine and not an empty or distroless base: the HEALTHCHECK needs an
# HTTP client, and Alpine's busybox wget is one, in a base of a few MB that
# also carries the CA certificates the social feed sources need (HTTPS and
# WSS). The server itself gains no health-check mode.

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION}-alpine AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# modernc.org/sqlite is pure Go: no C compiler, a static binary.
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags="-s -w" -o /out/ovation ./cmd/ovation

FROM alpine:3.22
RUN addgroup -S -g 10001 ovation \
 && adduser -S -D -H -u 10001 -G ovation -h /data -s /sbin/nologin ovation \
 && mkdir -p /data /etc/ovation \
 && chown ovation:ovation /data \
 && chmod 0700 /data
COPY --from=build /out/ovation /usr/local/bin/ovation
ENV OVATION_LISTEN=":8080" \
    OVATION_DATA_DIR="/data"
WORKDIR /etc/ovation
VOLUME /data
EXPOSE 8080
USER 10001:10001
# Liveness on the port of OVATION_LISTEN. /readyz is for load balancers.
HEALTHCHECK --interval=10s --timeout=3s --start-period=40s --retries=3 \
  CMD wget -q -T 2 -O /dev/null "http://127.0.0.1:${OVATION_LISTEN##*:}/healthz" || exit 1
# Graceful stop on SIGTERM within shutdown_timeout (10s): give it longer than
# Docker's default 10 s (docker run --stop-timeout 30, compose stop_grace_period).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/ovation"]
