#!/bin/sh
# The container's entrypoint: `tessera` from the installed @tessera/server, with the arguments given
# (default `serve`). TESSERA_HOME is where the image installed it; a test sets it to a folder laid out
# the same way.
set -eu
TESSERA_HOME="${TESSERA_HOME:-/opt/tessera}"
if [ "$#" -eq 0 ]; then
  set -- serve
fi
exec node "$TESSERA_HOME/node_modules/@tessera/server/bin/tessera.js" "$@"
