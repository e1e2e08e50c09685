#!/usr/bin/env bash
# What the tests need that npm does not install: Debian's Chromium for the browser tests.
# Runs before `npm test` (the `pretest` script), so a fresh machine needs nothing done by hand.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
echo "Installing Chromium from Debian's packages (needed by the browser tests)..."
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q chromium
