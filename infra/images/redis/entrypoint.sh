#!/bin/sh
# Like the official image: a redis-server started without a config file listens on every
# interface with protected mode off (the container's network is the boundary; the compose
# file publishes no Redis port). Options given on the command line come later and win; a
# config file (first argument not an option) is left to decide for itself.
if [ "${1:-}" = redis-server ]; then
  case "${2:-}" in
    "" | -*) shift; exec redis-server --bind '* -::*' --protected-mode no "$@" ;;
  esac
fi
exec "$@"
