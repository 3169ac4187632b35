# Sourced by the bench/ scripts: a free loopback port, and a wait until one accepts.
free_port() {
  local port
  while true; do
    port=$((20000 + RANDOM % 30000))
    if ! (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
}
wait_port() {
  for _ in $(seq 600); do
    (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "nothing listens on $1" >&2
  return 1
}
