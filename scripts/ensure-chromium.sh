#!/bin/sh
# Make sure a Chromium is available for the browser tests (tests/browser).
#
# Looks for Chromium at $CHROMIUM_PATH, then /usr/bin/chromium, then `chromium` or
# `chromium-browser` on PATH. When none is found and this runs as root on a machine with
# apt-get, installs Debian's `chromium` package. Otherwise exits non-zero saying how to
# install it. Prints the path of the Chromium it found on success.
#
# We never run `playwright install`: Playwright drives the system Chromium instead.
set -eu

find_chromium() {
    if [ -n "${CHROMIUM_PATH:-}" ]; then
        if [ -x "$CHROMIUM_PATH" ]; then
            echo "$CHROMIUM_PATH"
            return 0
        fi
        echo "CHROMIUM_PATH is set to '$CHROMIUM_PATH' but no executable is there." >&2
        return 1
    fi
    if [ -x /usr/bin/chromium ]; then
        echo /usr/bin/chromium
        return 0
    fi
    for name in chromium chromium-browser; do
        if found=$(command -v "$name" 2>/dev/null); then
            echo "$found"
            return 0
        fi
    done
    return 1
}

if path=$(find_chromium); then
    echo "Chromium found: $path"
    exit 0
fi

if [ -z "${CHROMIUM_PATH:-}" ] && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Chromium not found; installing Debian's chromium package with apt-get..." >&2
    export DEBIAN_FRONTEND=noninteractive
    if apt-get update && apt-get install -y chromium; then
        if path=$(find_chromium); then
            echo "Chromium installed: $path"
            exit 0
        fi
    fi
    echo "apt-get could not install chromium." >&2
fi

cat >&2 <<'EOF'

The browser tests need Chromium, and none was found.

Install it, then run the tests again:

  Debian or Ubuntu:   sudo apt-get update && sudo apt-get install -y chromium
                      (on Ubuntu the package may be called chromium-browser)
  Anything else:      install Chromium or Google Chrome and point the tests at it:
                      export CHROMIUM_PATH=/path/to/chromium

Do not run `playwright install`: the tests use the system Chromium.
EOF
exit 1
