#!/bin/bash
# A credential provider plugin that is not pullproof's, written for the bring-your-own-plugin test:
# bash only (kind nodes and stand-in nodes both have it), no JSON library, HTTP over /dev/tcp.
#   TINY_MODE=passthrough: the service-account token is the password.
#   TINY_MODE=exchange:    POST {serviceAccountToken, role, annotations} to $TINY_EXCHANGE/exchange.
set -euo pipefail
request=$(cat)
field() { printf '%s' "$request" | sed -n "s|.*\"$1\":\"\([^\"]*\)\".*|\1|p"; }
token=$(field serviceAccountToken)
image=$(field image)
registry=${image%%/*}
[ -n "$token" ] || { echo "tiny-plugin: no service-account token for $image" >&2; exit 1; }
respond() {
  printf '{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderResponse","cacheKeyType":"Image","cacheDuration":"0s","auth":{"%s":{"username":"%s","password":"%s"}}}\n' "$registry" "$1" "$2"
}
case "${TINY_MODE:-passthrough}" in
  passthrough) respond tiny-plugin "$token" ;;
  exchange)
    role=$(field "${TINY_ROLE_KEY//./\\.}")
    [ -n "$role" ] || { echo "tiny-plugin: service account has no ${TINY_ROLE_KEY} annotation" >&2; exit 1; }
    hostport=${TINY_EXCHANGE#http://}; hostport=${hostport%%/*}
    body=$(printf '{"serviceAccountToken":"%s","role":"%s","annotations":{}}' "$token" "$role")
    exec 3<>"/dev/tcp/${hostport%:*}/${hostport#*:}"
    printf 'POST /exchange HTTP/1.0\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' "$hostport" "${#body}" "$body" >&3
    answer=$(cat <&3)
    status=$(printf '%s' "$answer" | head -1 | cut -d' ' -f2)
    [ "$status" = 200 ] || { echo "tiny-plugin: exchange answered $status (denied)" >&2; exit 1; }
    request=$answer
    respond "$(field username)" "$(field password)" ;;
  *) echo "tiny-plugin: unknown TINY_MODE ${TINY_MODE}" >&2; exit 2 ;;
esac
