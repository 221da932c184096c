// Package deploy holds Ovation's deployment files — the nginx examples, the
// systemd unit, the Grafana dashboard and the Prometheus alert rules — and,
// in its tests, the checks that they agree with the server: the metric names
// they query, the configuration keys they set, the Dockerfile and
// compose.yaml at the repository's root, and a static build of the server.
// It has no code of its own.
package deploy
