#!/bin/sh
# agentsync-hook: @HOOK@ (stub version @STUB_VERSION@)
# Installed by `agentsync hooks install`; `agentsync hooks uninstall` removes it and puts
# back the hook that was here before, kept meanwhile as @HOOK@.agentsync-chained.
# Set AGENTSYNC_SKIP=1 to skip agentsync (the chained hook still runs).
HOOK=@HOOK@
PYTHON='@PYTHON@'
CHAINED="$(dirname "$0")/$HOOK.agentsync-chained"

# pre-push and post-rewrite read stdin: keep it for both hooks.
case $HOOK in
pre-push | post-rewrite) INPUT=$(cat; echo .); INPUT=${INPUT%.}; HAS_INPUT=1 ;;
*) HAS_INPUT= ;;
esac

feed() {
    if [ -n "$HAS_INPUT" ]; then printf '%s' "$INPUT" | "$@"; else "$@"; fi
}

chained=0
if [ -x "$CHAINED" ]; then
    feed "$CHAINED" "$@"
    chained=$?
    case $HOOK in pre-*) [ $chained -eq 0 ] || exit $chained ;; esac
fi

[ "${AGENTSYNC_SKIP:-}" = 1 ] && exit $chained

if [ -x "$PYTHON" ]; then
    # -c, not -m: runpy's imports would cost every commit more than the post-* hooks' own start
    feed "$PYTHON" -c 'import sys; from agentsync.hookrun import main; sys.exit(main())' "$HOOK" "$@"
elif command -v agentsync > /dev/null 2>&1; then
    feed agentsync hook-run "$HOOK" "$@"
else
    echo "agentsync: $HOOK hook: agentsync is not installed here (install it, or run 'agentsync hooks uninstall')" >&2
    exit $chained
fi
ours=$?
[ $chained -eq 0 ] || exit $chained
exit $ours
