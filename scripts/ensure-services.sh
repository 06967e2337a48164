#!/usr/bin/env bash
# Start the local services the tests need if they are not running: RabbitMQ (127.0.0.1:5672)
# and PostgreSQL (127.0.0.1:5432). On this machine kind they are Debian packages started
# without systemd; elsewhere, start them your way (docker/compose.yaml has both).
set -u

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  for _ in $(seq 1 60); do port_open "$1" && return 0; sleep 1; done
  return 1
}

if ! port_open 5672; then
  echo "ensure-services: starting RabbitMQ"
  rabbitmq-server -detached || true
  wait_port 5672 || { echo "ensure-services: RabbitMQ did not start on 127.0.0.1:5672" >&2; exit 1; }
  rabbitmqctl await_startup >/dev/null 2>&1 || true
fi

if ! port_open 5432; then
  echo "ensure-services: starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  wait_port 5432 || { echo "ensure-services: PostgreSQL did not start on 127.0.0.1:5432" >&2; exit 1; }
fi
echo "ensure-services: RabbitMQ and PostgreSQL are up"
