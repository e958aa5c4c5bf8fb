#!/bin/bash
# Fake `ctr` for the stand-in kubelet tests. State in $FAKE_CTR_STATE: calls (argv log), images,
# pull-mode (ok | denied | notfound), start-mode (run | exit3 | fail), running-<id>, task-<id>.
# Error lines are containerd's own texts (client pull.go "failed to resolve reference %q: %w",
# remotes/docker/authorizer.go "failed to fetch anonymous token: …").
S="$FAKE_CTR_STATE"
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --address|--namespace|-n|-a) shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
set -- "${args[@]}"
echo "$*" >> "$S/calls"
case "$1 $2" in
  "version "*) echo "Client: 1.6.20~ds1"; exit 0 ;;
  "images pull")
    shift 2; user=""; while [ $# -gt 1 ]; do case "$1" in --user) user="$2"; shift 2 ;; --hosts-dir) shift 2 ;; *) shift ;; esac; done
    ref="$1"; mode=$(cat "$S/pull-mode" 2>/dev/null || echo ok)
    echo "pull $ref user=$user" >> "$S/pulls"
    if [ "$mode" = ok ] || { [ "$mode" = needs-user ] && [ -n "$user" ]; }; then echo "$ref: resolved"; echo "$ref" >> "$S/images"; exit 0; fi
    echo "$ref: resolving" >&2
    if [ "$mode" = notfound ]; then echo "ctr: failed to resolve reference \"$ref\": $ref: not found" >&2; exit 1; fi
    echo "ctr: failed to resolve reference \"$ref\": failed to authorize: failed to fetch anonymous token: unexpected status from GET request to http://token.example/token: 401 Unauthorized" >&2; exit 1 ;;
  "images ls")
    echo "REF TYPE DIGEST SIZE PLATFORMS LABELS"
    [ -f "$S/images" ] && sort -u "$S/images" | while read -r r; do echo "$r application/vnd.oci.image.manifest.v1+json sha256:$(printf 'a%.0s' $(seq 64)) 1.1 KiB linux/amd64 io.cri-containerd.image=managed"; done
    exit 0 ;;
  "content get") printf '{"schemaVersion":2,"config":{"size":100},"layers":[{"size":1000},{"size":24}]}'; exit 0 ;;
  "containers create") exit 0 ;;
  "containers delete") exit 0 ;;
  "tasks start")
    id="${@: -1}"; mode=$(cat "$S/start-mode" 2>/dev/null || echo run)
    if [ "$mode" = fail ]; then echo "ctr: failed to create shim task: OCI runtime create failed: exec: \"nope\": executable file not found in \$PATH: unknown" >&2; exit 1; fi
    touch "$S/running-$id"; echo $$ > "$S/task-$id"
    if [ "$mode" = exit3 ]; then sleep 0.6; rm -f "$S/running-$id"; exit 3; fi
    exec sleep 300 ;;
  "tasks ls")
    echo "TASK PID STATUS"
    for f in "$S"/running-*; do [ -e "$f" ] && echo "${f##*/running-} 4242 RUNNING"; done
    exit 0 ;;
  "tasks kill")
    id="${@: -1}"; [ -f "$S/task-$id" ] && kill -9 "$(cat "$S/task-$id")" 2>/dev/null; rm -f "$S/running-$id"; exit 0 ;;
  "tasks delete") exit 0 ;;
esac
echo "ctr: unknown command $*" >&2
exit 1
